//! Character classes the planner decides with: the script of a letter, which characters are
//! invisible, which are emoji, which are combining marks, and how wide a character sets.
//!
//! Hand-written ranges rather than a Unicode database crate: the planner needs a dozen coarse
//! classes, not general categories, and the ranges below are the blocks the supported
//! languages are written in. Anything outside them is [`Script::Other`] (still copy, never
//! dropped), so a gap here costs detection accuracy, never text.

/// The writing systems the planner tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Script {
    Latin,
    Cyrillic,
    Greek,
    Arabic,
    Hebrew,
    Devanagari,
    Thai,
    Hangul,
    /// Hiragana and katakana: their presence makes Han text Japanese.
    Kana,
    Han,
    /// A letter of any other script (Bengali, Georgian, Tamil, …).
    Other,
}

impl Script {
    pub(crate) const COUNT: usize = 11;

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Scripts written without spaces between words: copy is measured and cut by character.
    pub(crate) fn is_unspaced(self) -> bool {
        matches!(self, Script::Kana | Script::Han | Script::Thai)
    }

    /// Scripts with upper and lower case: only these get a capitalised derived headline.
    pub(crate) fn has_case(self) -> bool {
        matches!(self, Script::Latin | Script::Cyrillic | Script::Greek)
    }
}

/// The script of a letter (or of a mark inside a script's block); `None` for digits,
/// punctuation, symbols, spaces and emoji.
pub(crate) fn script(c: char) -> Option<Script> {
    let u = c as u32;
    let s = match u {
        0x0041..=0x005A | 0x0061..=0x007A => Script::Latin,
        0x0000..=0x007F => return None,
        0x00C0..=0x024F
        | 0x0250..=0x02AF
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF
        | 0xFF21..=0xFF3A
        | 0xFF41..=0xFF5A => Script::Latin,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => Script::Hebrew,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFE => {
            Script::Arabic
        }
        0x0900..=0x097F | 0xA8E0..=0xA8FF => Script::Devanagari,
        0x0E00..=0x0E7F => Script::Thai,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xAC00..=0xD7AF | 0xD7B0..=0xD7FF => {
            Script::Hangul
        }
        // The katakana middle dot (U+30FB) is punctuation in Chinese text too.
        0x30FB => return None,
        0x3040..=0x309F | 0x30A0..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => Script::Kana,
        0x3005
        | 0x3007
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3134F => Script::Han,
        _ if c.is_alphabetic() && !is_emoji(c) => Script::Other,
        _ => return None,
    };
    // Digits and signs that sit inside a script's block (Arabic-Indic digits, the Arabic
    // percent sign, the danda) belong to no script for counting purposes.
    if c.is_numeric() || (!c.is_alphabetic() && !is_mark(c)) {
        return None;
    }
    Some(s)
}

/// Combining marks (vowel signs, tone marks, diacritics, variation selectors): part of the
/// word they sit in, zero width.
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2
        | 0x05C4..=0x05C5 | 0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x06E7..=0x06E8 | 0x06EA..=0x06ED
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF | 0x3099..=0x309A | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F)
}

/// A character that belongs inside a word: letters, digits and combining marks.
pub(crate) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c)
}

/// Zero-width and formatting characters: they never make copy non-empty (the contract's set).
pub(crate) use crate::contract::text::is_invisible;

/// Bidirectional formatting controls (marks, embeddings, isolates).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Zero-width joiner and non-joiner: they shape Indic, Arabic and Persian words.
pub(crate) fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// Emoji and pictographs (and their modifiers): decoration of a request, not derived copy.
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2190..=0x21FF | 0x2300..=0x23FF | 0x2460..=0x24FF
        | 0x25A0..=0x27BF | 0x2900..=0x297F | 0x2B00..=0x2BFF | 0x3030 | 0x303D | 0x3297
        | 0x3299 | 0x20E3 | 0xE0020..=0xE007F)
}

/// Characters set about twice as wide as a Latin letter (CJK ideographs, kana, Hangul,
/// full-width forms).
pub(crate) fn is_wide(c: char) -> bool {
    matches!(script(c), Some(Script::Han | Script::Kana | Script::Hangul))
        || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}

/// The width copy takes, in Latin-letter units: marks and invisible characters take none.
pub(crate) fn width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if is_mark(c) || is_invisible(c) {
                0
            } else if is_wide(c) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Copy trimmed of surrounding whitespace and invisible characters.
pub(crate) fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
}

/// Whether any character would show (not whitespace, not invisible).
pub(crate) fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !c.is_whitespace() && !is_invisible(c))
}

/// The first `max` characters of `text` (a prefix on a character boundary).
pub(crate) fn bounded(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_widths_and_trimming() {
        assert_eq!(script('é'), Some(Script::Latin));
        assert_eq!(script('ж'), Some(Script::Cyrillic));
        assert_eq!(script('の'), Some(Script::Kana));
        assert_eq!(script('国'), Some(Script::Han));
        assert_eq!(script('한'), Some(Script::Hangul));
        assert_eq!(script('ש'), Some(Script::Hebrew));
        assert_eq!(script('ع'), Some(Script::Arabic));
        assert_eq!(script('٥'), None, "Arabic-Indic digits are digits");
        assert_eq!(script('ก'), Some(Script::Thai));
        assert_eq!(script('অ'), Some(Script::Other));
        assert_eq!(script('7'), None);
        assert_eq!(script('🎃'), None);
        assert_eq!(width("ab秋"), 4);
        assert_eq!(trim("\u{FEFF}\u{200B} hi \u{200F}"), "hi");
        assert!(!has_visible("\u{200B}\u{FEFF} \u{202E}"));
        assert_eq!(bounded("héllo", 2), "hé");
        assert_eq!(bounded("hé", 5), "hé");
    }
}
