//! What counts as text in a request: a field "trimmed" by the contract loses surrounding
//! whitespace, control characters and the zero-width and formatting characters below, so that
//! a prompt of only `\u{200B}` is empty (400), not a blank ad. The copy planner and the
//! renderer judge visibility with the same set.

/// Zero-width and formatting characters (soft hyphen, Arabic letter mark, Mongolian vowel
/// separator, zero-width space/joiners, bidi marks, embeddings and isolates, word joiner and
/// invisible operators, byte-order mark): they never make text non-empty.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `text` without what surrounds it and shows nothing: whitespace, controls, invisibles.
pub fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || c.is_control() || is_invisible(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_drops_what_shows_nothing_around_the_text() {
        assert_eq!(trim("\u{200B}\u{200B}"), "");
        assert_eq!(trim(" \u{FEFF}\u{0000}\t\u{2066}"), "");
        assert_eq!(trim("\u{200E} Café \u{200D}\n"), "Café");
        // Inside the text, joiners and marks stay: they shape words.
        assert_eq!(trim("क्\u{200D}ष"), "क्\u{200D}ष");
    }
}
