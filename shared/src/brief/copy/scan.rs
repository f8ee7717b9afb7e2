//! Explicit copy: text the client quoted or labelled, used verbatim.
//!
//! # Why verbatim
//! A client who writes `"Fresh every morning"` or `CTA: Order ahead` has written the copy;
//! any change (case, shortening, "fixing" punctuation) is a bug report. So explicit copy is
//! only trimmed (whitespace and invisible characters at its ends, a dangling comma or dash).
//!
//! # Why these quote rules
//! Straight single quotes double as apostrophes ("Joe's", "l'été", "'90s"), so a `'` opens a
//! quote only after a non-word character and before a non-space, and closes one only after
//! a non-space and before a non-word character; a single-quoted text needs two visible
//! characters ("rock 'n' roll" is not copy). A straight `"` after a word character is an inch
//! mark, not a quote. Typographic pairs (`“…”`, `„…“`, `«…»` with or without inner spaces,
//! `»…«`, `「…」`, `『…』`) are unambiguous. A quote never spans a line break and is looked
//! for at most `QUOTE_WINDOW` characters ahead, which bounds the scan.
//!
//! # Why these label rules
//! A label (`Headline:`, `Titre :`, `見出し：`, `CTA 'Order ahead'`, `button saying "Try it"`)
//! names the role of its text, so it outranks position: a quote after a CTA label is the call
//! to action, not the headline. A label needs a colon (half or full width, spaces allowed
//! before it as French typesetting puts them) or a quote after it, optionally after a
//! connector ("saying", "that reads", "with"), so an everyday "button" or "title" in a
//! sentence is not a label. An unquoted value runs to the end of its clause — a sentence
//! full stop (not the one in "19.99", "Co." or "28.11."), `;`, a line break, `。`, or the
//! next label — and keeps a closing `!` or `?`. A call to action also ends at a comma: calls
//! to action are short imperatives and "CTA: Shop now, warm colours" means two things.

use super::chars;
use super::lexicon::{ABBREVIATIONS, CONNECTORS, LABELS, Role};

/// How far ahead a closing quote is looked for.
const QUOTE_WINDOW: usize = 600;

/// Where an explicit block of copy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Quoted,
    Labelled,
}

/// The explicit copy of a prompt, and what is left of the prompt without it.
#[derive(Debug, Default)]
pub(super) struct Explicit {
    pub(super) headline: Option<(String, Origin)>,
    pub(super) supporting: Option<(String, Origin)>,
    pub(super) call_to_action: Option<String>,
    /// The prompt with every quoted or labelled span replaced by a line break.
    pub(super) remaining: String,
}

struct Found {
    /// `None` for an unlabelled quote.
    role: Option<Role>,
    text: String,
}

/// Finds the quoted and labelled copy of `text` in one left-to-right pass.
pub(super) fn explicit(text: &str) -> Explicit {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut remaining = String::with_capacity(text.len());
    let mut k = 0;
    while k < chars.len() {
        let span = labelled_at(&chars, k)
            .map(|(role, text, end)| (Some(role), text, end))
            .or_else(|| quote_at(&chars, k).map(|(text, end)| (None, text, end)));
        match span {
            Some((role, text, end)) => {
                if chars::has_visible(&text) {
                    found.push(Found { role, text });
                }
                remaining.push('\n');
                k = end.max(k + 1);
            }
            None => {
                remaining.push(chars[k]);
                k += 1;
            }
        }
    }
    resolve(found, remaining)
}

/// Roles first (labelled headline, tagline, supporting line, call to action), then the
/// unlabelled quotes fill the headline and the supporting line in order.
fn resolve(found: Vec<Found>, remaining: String) -> Explicit {
    let first = |role: Role| {
        found
            .iter()
            .find(|f| f.role == Some(role))
            .map(|f| (f.text.clone(), Origin::Labelled))
    };
    let mut headline = first(Role::Headline);
    let mut supporting = first(Role::Supporting);
    let tagline = first(Role::Tagline);
    if headline.is_none() {
        headline = tagline;
    } else if supporting.is_none() {
        supporting = tagline;
    }
    let call_to_action = first(Role::CallToAction).map(|(text, _)| text);
    for quote in found.iter().filter(|f| f.role.is_none()) {
        let same = |other: &Option<(String, Origin)>| {
            other
                .as_ref()
                .is_some_and(|(t, _)| t.to_lowercase() == quote.text.to_lowercase())
        };
        if same(&headline) || same(&supporting) {
            continue;
        }
        if headline.is_none() {
            headline = Some((quote.text.clone(), Origin::Quoted));
        } else if supporting.is_none() {
            supporting = Some((quote.text.clone(), Origin::Quoted));
        } else {
            break;
        }
    }
    Explicit {
        headline,
        supporting,
        call_to_action,
        remaining,
    }
}

/// A character lower-cased to one character (the first of a multi-character mapping).
pub(super) fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Whether `phrase` (lower case; a space matches a run of inline whitespace) starts at `k`;
/// the index after it.
pub(super) fn phrase_end(chars: &[char], k: usize, phrase: &str) -> Option<usize> {
    let mut i = k;
    for p in phrase.chars() {
        if p == ' ' {
            let start = i;
            while chars.get(i).is_some_and(|c| is_inline_space(*c)) {
                i += 1;
            }
            if i == start {
                return None;
            }
        } else if lower(*chars.get(i)?) == p {
            i += 1;
        } else {
            return None;
        }
    }
    Some(i)
}

fn is_inline_space(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

fn skip_inline_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| is_inline_space(*c)) {
        i += 1;
    }
    i
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars
        .get(i)
        .is_some_and(|c| c.is_whitespace() || chars::is_invisible(*c))
    {
        i += 1;
    }
    i
}

/// Labels and connectors written in unspaced scripts need no word boundary.
fn needs_boundary(c: char) -> bool {
    !chars::script(c).is_some_and(|s| s.is_unspaced())
}

/// The longest label starting at `k` on word boundaries: its role and the index after it.
fn label_at(chars: &[char], k: usize) -> Option<(Role, usize)> {
    let first = lower(*chars.get(k)?);
    let before_ok = k == 0 || !chars::is_word(chars[k - 1]);
    let mut best: Option<(Role, usize)> = None;
    for (label, role) in LABELS {
        let Some(head) = label.chars().next() else {
            continue;
        };
        if head != first || (!before_ok && needs_boundary(head)) {
            continue;
        }
        let Some(end) = phrase_end(chars, k, label) else {
            continue;
        };
        let tail = label.chars().last().unwrap_or(head);
        if needs_boundary(tail) && chars.get(end).is_some_and(|c| chars::is_word(*c)) {
            continue;
        }
        if best.is_none_or(|(_, e)| end > e) {
            best = Some((*role, end));
        }
    }
    best
}

fn is_colon(c: char) -> bool {
    matches!(c, ':' | '：' | '﹕')
}

/// Where the quote after a label starts: right after it, or after a connector.
fn quote_after_label(chars: &[char], after: usize) -> Option<usize> {
    let j = skip_inline_space(chars, after);
    if quote_at(chars, j).is_some() {
        return Some(j);
    }
    let end = CONNECTORS
        .iter()
        .filter_map(|c| {
            let end = phrase_end(chars, j, c)?;
            let tail = c.chars().last()?;
            let bounded =
                !chars::is_word(tail) || !chars.get(end).is_some_and(|c| chars::is_word(*c));
            bounded.then_some(end)
        })
        .max()?;
    let q = skip_inline_space(chars, end);
    quote_at(chars, q).map(|_| q)
}

/// Whether a label with its colon or quote starts at `k` (a value ends there).
fn label_head_at(chars: &[char], k: usize) -> bool {
    let Some((_, after)) = label_at(chars, k) else {
        return false;
    };
    let j = skip_inline_space(chars, after);
    chars.get(j).is_some_and(|c| is_colon(*c)) || quote_after_label(chars, after).is_some()
}

/// A label and its value at `k`: the role, the verbatim text (possibly empty: the label is
/// still consumed) and the index after the span.
fn labelled_at(chars: &[char], k: usize) -> Option<(Role, String, usize)> {
    let (role, after) = label_at(chars, k)?;
    let j = skip_inline_space(chars, after);
    if chars.get(j).is_some_and(|c| is_colon(*c)) {
        let v = skip_space(chars, j + 1);
        if let Some((text, end)) = quote_at(chars, v) {
            return Some((role, text, end));
        }
        if label_head_at(chars, v) {
            return Some((role, String::new(), v));
        }
        let end = clause_end(chars, v, role);
        let value: String = chars.get(v..end).unwrap_or_default().iter().collect();
        return Some((role, clean_value(&value), end));
    }
    let q = quote_after_label(chars, after)?;
    let (text, end) = quote_at(chars, q)?;
    Some((role, text, end))
}

/// A labelled value trimmed of invisible characters and a dangling separator.
fn clean_value(value: &str) -> String {
    chars::trim(value)
        .trim_end_matches(|c: char| {
            matches!(c, ',' | '，' | '、' | ':' | '：' | '-' | '–' | '—') || c.is_whitespace()
        })
        .to_owned()
}

/// The end (exclusive) of an unquoted labelled value starting at `v`.
fn clause_end(chars: &[char], v: usize, role: Role) -> usize {
    let mut e = v;
    while let Some(&c) = chars.get(e) {
        match c {
            '\n' | '\r' | ';' | '；' | '。' | '｡' | '।' | '॥' | '؛' | '۔' | '\u{2028}'
            | '\u{2029}' => {
                break;
            }
            '!' | '?' | '！' | '？' | '‼' | '⁉' => {
                e += 1;
                while chars
                    .get(e)
                    .is_some_and(|c| matches!(c, '!' | '?' | '！' | '？'))
                {
                    e += 1;
                }
                break;
            }
            '.' if is_sentence_dot(chars, e) => break,
            ',' | '，' | '、'
                if role == Role::CallToAction && !(c == ',' && between_digits(chars, e)) =>
            {
                break;
            }
            _ => {}
        }
        if e > v && (!chars::is_word(chars[e - 1]) || !needs_boundary(c)) && label_head_at(chars, e)
        {
            break;
        }
        e += 1;
    }
    e
}

pub(super) fn between_digits(chars: &[char], i: usize) -> bool {
    i > 0 && chars[i - 1].is_numeric() && chars.get(i + 1).is_some_and(|c| c.is_numeric())
}

/// Whether the full stop at `i` ends a sentence: not inside a number, a web address or an
/// abbreviation ("Co.", "z.B."), not after an initial, not the stop of a date ("28.11.") or of
/// a German ordinal before a word ("1. Advent").
pub(super) fn is_sentence_dot(chars: &[char], i: usize) -> bool {
    let next = chars.get(i + 1).copied();
    if next.is_some_and(chars::is_word) {
        return false;
    }
    let mut s = i;
    while s > 0 && !chars[s - 1].is_whitespace() {
        s -= 1;
    }
    let word: String = chars[s..i].iter().map(|c| lower(*c)).collect();
    let word = word.trim_start_matches(|c: char| !chars::is_word(c));
    if word.is_empty() {
        return true;
    }
    if ABBREVIATIONS.contains(&word) {
        return false;
    }
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let digits = word.chars().filter(|c| c.is_ascii_digit()).count();
    let length = word.chars().count();
    if letters == 1 && length == 1 {
        return false;
    }
    if digits == 0 && word.contains('.') {
        return false;
    }
    if letters == 0 && digits > 0 {
        let parts: Vec<&str> = word.split('.').collect();
        let small = |p: &str, max: u32| {
            (1..=2).contains(&p.len())
                && p.chars().all(|c| c.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n))
        };
        if parts.len() == 2 && small(parts[0], 31) && small(parts[1], 12) {
            return false;
        }
        if parts.len() == 1 && length <= 2 {
            let j = skip_inline_space(chars, i + 1);
            if j > i + 1 && chars.get(j).is_some_and(|c| c.is_alphanumeric()) {
                return false;
            }
        }
    }
    true
}

/// The closing quotes a character opens, if it opens a quote.
fn closers(c: char) -> Option<&'static [char]> {
    Some(match c {
        '"' => &['"', '”'],
        '“' => &['”', '“', '"'],
        '„' => &['“', '”', '"'],
        '”' => &['”'],
        '«' => &['»'],
        '»' => &['«', '»'],
        '‹' => &['›'],
        '›' => &['‹', '›'],
        '「' => &['」'],
        '『' => &['』'],
        '﹁' => &['﹂'],
        '＂' => &['＂'],
        '〝' => &['〞', '〟'],
        '\'' => &['\'', '’'],
        '‘' => &['’'],
        '‚' => &['‘', '’'],
        _ => return None,
    })
}

/// A quote opening at `k`: its trimmed content (possibly empty) and the index after it.
pub(super) fn quote_at(chars: &[char], k: usize) -> Option<(String, usize)> {
    let open = *chars.get(k)?;
    let closers = closers(open)?;
    let prev = k.checked_sub(1).map(|i| chars[i]);
    let next = chars.get(k + 1).copied();
    let single = matches!(open, '\'' | '‘' | '‚');
    if (single || matches!(open, '"' | '”' | '＂')) && prev.is_some_and(chars::is_word) {
        return None;
    }
    if single && next.is_none_or(char::is_whitespace) {
        return None;
    }
    let limit = chars.len().min(k + 1 + QUOTE_WINDOW);
    for j in k + 1..limit {
        let c = chars[j];
        if c == '\n' || c == '\r' {
            return None;
        }
        if !closers.contains(&c) {
            continue;
        }
        if single {
            let before = chars[j - 1];
            let after = chars.get(j + 1).copied();
            if before.is_whitespace() || after.is_some_and(chars::is_word) {
                continue;
            }
        }
        let inner: String = chars[k + 1..j].iter().collect();
        let inner = chars::trim(&inner).to_owned();
        if single && inner.chars().filter(|c| !chars::is_invisible(*c)).count() < 2 {
            return None;
        }
        return Some((inner, j + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (Option<String>, Option<String>, Option<String>) {
        let e = explicit(text);
        (
            e.headline.map(|h| h.0),
            e.supporting.map(|s| s.0),
            e.call_to_action,
        )
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn apostrophes_are_not_quotes() {
        assert_eq!(run("Joe's pizza, l'été, rock 'n' roll, '90s style").0, None);
        assert_eq!(run("Poster 'Joe's Pizza' tonight").0, some("Joe's Pizza"));
        assert_eq!(run("a 12\" pizza").0, None);
    }

    #[test]
    fn every_quote_style_is_copy() {
        for text in [
            "Poster \"Fresh bread\" today",
            "Poster \u{201C}Fresh bread\u{201D} today",
            "Poster \u{201E}Fresh bread\u{201C} today",
            "Poster «Fresh bread» today",
            "Poster « Fresh bread » today",
            "Poster »Fresh bread« today",
            "Poster 'Fresh bread' today",
            "Poster \u{2018}Fresh bread\u{2019} today",
            "Poster 「Fresh bread」 today",
            "Poster 『Fresh bread』 today",
        ] {
            assert_eq!(run(text).0, some("Fresh bread"), "{text}");
        }
        // A quote after a call-to-action label is the call to action, not the headline.
        assert_eq!(run("CTA 'Order ahead'"), (None, None, some("Order ahead")));
        assert_eq!(
            run("\"Fresh bread\" \"Baked daily\" \"Third\""),
            (some("Fresh bread"), some("Baked daily"), None)
        );
        assert_eq!(run("\"unmatched and 「unmatched").0, None);
        assert_eq!(run("\"\u{200B}\" then \"Real\"").0, some("Real"));
    }

    #[test]
    fn labels_end_at_their_clause_or_the_next_label() {
        assert_eq!(
            run("Headline: SpaceLaunch Co. goes to orbit. CTA: Book now, warm tones"),
            (
                some("SpaceLaunch Co. goes to orbit"),
                None,
                some("Book now")
            )
        );
        assert_eq!(
            run("Headline: Fresh bread CTA: Order now"),
            (some("Fresh bread"), None, some("Order now"))
        );
        assert_eq!(run("Titre : « Bonjour l'été »").0, some("Bonjour l'été"));
        assert_eq!(
            run("Headline: Ready for winter? Warm tones").0,
            some("Ready for winter?")
        );
        assert_eq!(
            run("Price: €19.99. Headline: Only today").0,
            some("Only today")
        );
        assert_eq!(run("CTA:").2, None);
        assert_eq!(run("Schaltfläche: Jetzt buchen.").2, some("Jetzt buchen"));
        assert_eq!(run("ボタン：今すぐ注文。").2, some("今すぐ注文"));
        assert_eq!(run("버튼: 지금 주문하기").2, some("지금 주문하기"));
        assert_eq!(run("Botão: Peça já").2, some("Peça já"));
        assert_eq!(run("Call to action: Book now").2, some("Book now"));
        assert_eq!(
            run("a button saying \"Try it free\"").2,
            some("Try it free")
        );
        assert_eq!(
            run("the CTA should be 'Book a table'").2,
            some("Book a table")
        );
        assert_eq!(run("the button is blue").2, None);
    }
}
