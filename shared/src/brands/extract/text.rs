//! Text helpers shared by every reader: entity decoding, whitespace collapsing, bounded
//! truncation at word boundaries and the small word/sentence utilities the decisions use.
//!
//! Everything here works on `&str` and allocates at most proportionally to its input.

/// Named entities we decode. HTML has ~2 200; these are the ones that occur in titles,
/// descriptions and button texts in practice. Unknown names are left as written.
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("middot", '·'),
    ("bull", '•'),
    ("euro", '€'),
    ("pound", '£'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("times", '×'),
    ("deg", '°'),
    ("para", '¶'),
    ("sect", '§'),
    ("iexcl", '¡'),
    ("iquest", '¿'),
    ("shy", '\u{ad}'),
    ("zwj", '\u{200d}'),
    ("zwnj", '\u{200c}'),
    ("thinsp", '\u{2009}'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("aacute", 'á'),
    ("agrave", 'à'),
    ("acirc", 'â'),
    ("auml", 'ä'),
    ("atilde", 'ã'),
    ("aring", 'å'),
    ("aelig", 'æ'),
    ("ccedil", 'ç'),
    ("eacute", 'é'),
    ("egrave", 'è'),
    ("ecirc", 'ê'),
    ("euml", 'ë'),
    ("iacute", 'í'),
    ("igrave", 'ì'),
    ("icirc", 'î'),
    ("iuml", 'ï'),
    ("ntilde", 'ñ'),
    ("oacute", 'ó'),
    ("ograve", 'ò'),
    ("ocirc", 'ô'),
    ("ouml", 'ö'),
    ("otilde", 'õ'),
    ("oslash", 'ø'),
    ("uacute", 'ú'),
    ("ugrave", 'ù'),
    ("ucirc", 'û'),
    ("uuml", 'ü'),
    ("yacute", 'ý'),
    ("szlig", 'ß'),
    ("Aacute", 'Á'),
    ("Agrave", 'À'),
    ("Auml", 'Ä'),
    ("Ccedil", 'Ç'),
    ("Eacute", 'É'),
    ("Egrave", 'È'),
    ("Ntilde", 'Ñ'),
    ("Ouml", 'Ö'),
    ("Uuml", 'Ü'),
];

/// Decodes character references (`&amp;`, `&#39;`, `&#x27;`, `&eacute;` …). Numeric references
/// to 0, surrogates or beyond U+10FFFF become U+FFFD; unknown names are kept verbatim.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        match decode_one(rest) {
            Some((ch, used)) => {
                out.push(ch);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes one reference at the start of `s` (which starts with `&`): the char and bytes used.
fn decode_one(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, start) = match b.get(2) {
            Some(b'x') | Some(b'X') => (true, 3),
            _ => (false, 2),
        };
        let mut i = start;
        let mut v: u32 = 0;
        while i < b.len() && i - start < 8 {
            let d = match (hex, b[i]) {
                (_, c @ b'0'..=b'9') => (c - b'0') as u32,
                (true, c @ b'a'..=b'f') => (c - b'a' + 10) as u32,
                (true, c @ b'A'..=b'F') => (c - b'A' + 10) as u32,
                _ => break,
            };
            v = v
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d);
            i += 1;
        }
        if i == start {
            return None;
        }
        if b.get(i) == Some(&b';') {
            i += 1;
        }
        let ch = match v {
            0 => '\u{fffd}',
            _ => char::from_u32(v).unwrap_or('\u{fffd}'),
        };
        return Some((ch, i));
    }
    let end = s[1..]
        .find(|c: char| !c.is_ascii_alphanumeric())
        .map(|p| p + 1)?;
    if b.get(end) != Some(&b';') || end > 12 {
        return None;
    }
    let name = &s[1..end];
    NAMED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| (*c, end + 1))
}

/// Collapses every run of whitespace (including NBSP and zero-width joiners left by entity
/// decoding) into one space and trims the ends. Control characters are dropped.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(1 << 20));
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{a0}' || c == '\u{200b}' || c == '\u{feff}' {
            pending_space = true;
        } else if c.is_control() || c == '\u{ad}' {
            continue;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Decode entities then collapse whitespace: the form of every human text we keep.
pub fn clean(s: &str) -> String {
    collapse_ws(&decode_entities(s))
}

/// Truncates to at most `max` characters, cutting at the last word boundary when one exists in
/// the second half; trailing punctuation that would dangle (`,;:-–—`) is removed.
pub fn truncate_words(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    // If the next char is whitespace we already ended on a boundary.
    let next_is_space = s.chars().nth(max).is_some_and(char::is_whitespace);
    let mut out = if next_is_space {
        cut
    } else {
        match cut.rfind(char::is_whitespace) {
            Some(p) if cut[..p].chars().count() >= max / 2 => cut[..p].to_string(),
            _ => cut,
        }
    };
    while let Some(c) = out.chars().last() {
        if c.is_whitespace() || ",;:-–—|/·".contains(c) {
            out.pop();
        } else {
            break;
        }
    }
    out
}

/// The first sentence of `s` (ending in `.`, `!` or `?` followed by a space or the end).
pub fn first_sentence(s: &str) -> &str {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if matches!(c, b'.' | b'!' | b'?') && i >= 10 {
            let next = b.get(i + 1);
            if next.is_none() || next == Some(&b' ') {
                return &s[..=i];
            }
        }
    }
    s
}

/// Lowercase alphanumeric key used to compare names across signals ("Acme Bakery" =
/// "acme-bakery" = "ACME  BAKERY").
pub fn key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Splits an attribute-ish string (`class`, `id`, `alt`, a path) into lowercase words on
/// non-alphanumeric boundaries and camelCase humps: `siteLogo_dark.svg` → site, logo, dark, svg.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars().take(2048) {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = !c.is_ascii_uppercase();
            cur.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_numeric();
            cur.extend(c.to_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Word count (whitespace separated).
pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Capitalises the first letter of every hyphen/underscore separated part: `my-bakery` →
/// `My Bakery`.
pub fn title_case_label(label: &str) -> String {
    label
        .split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lossy UTF-8 of at most `cap` bytes (a cut inside a code point becomes U+FFFD, harmlessly).
pub fn lossy_prefix(bytes: &[u8], cap: usize) -> String {
    let b = &bytes[..bytes.len().min(cap)];
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_basic_and_numeric() {
        assert_eq!(
            decode_entities("A &amp; B &lt;3 &quot;x&quot;"),
            "A & B <3 \"x\""
        );
        assert_eq!(
            decode_entities("it&#39;s &#x27;q&#x27; &#8212;"),
            "it's 'q' —"
        );
        assert_eq!(decode_entities("caf&eacute;&nbsp;x"), "café\u{a0}x");
        assert_eq!(
            decode_entities("&#0; &#xD800; &#99999999;"),
            "\u{fffd} \u{fffd} \u{fffd}"
        );
        assert_eq!(decode_entities("&unknown; & &amp"), "&unknown; & &amp");
        assert_eq!(decode_entities("&#"), "&#");
    }

    #[test]
    fn collapse_and_clean() {
        assert_eq!(collapse_ws("  a \n\t b\u{a0}\u{a0}c  "), "a b c");
        assert_eq!(clean("Fresh&nbsp;&amp;\n  warm"), "Fresh & warm");
    }

    #[test]
    fn truncation_at_word_boundary() {
        assert_eq!(truncate_words("hello world again", 11), "hello world");
        assert_eq!(truncate_words("hello world again", 13), "hello world");
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("abcdefghijkl", 5), "abcde");
        assert_eq!(truncate_words("one, two three", 5), "one");
        assert!(truncate_words(&"é".repeat(500), 200).chars().count() <= 200);
    }

    #[test]
    fn sentences_words_keys() {
        assert_eq!(
            first_sentence("Bread baked daily. Since 1920."),
            "Bread baked daily."
        );
        assert_eq!(first_sentence("No end"), "No end");
        assert_eq!(
            first_sentence("St. Louis bakes bread. Yes"),
            "St. Louis bakes bread."
        );
        assert_eq!(key("Acme  Bakery!"), "acmebakery");
        assert_eq!(words("siteLogo_dark.svg"), ["site", "logo", "dark", "svg"]);
        assert_eq!(words("icon-search"), ["icon", "search"]);
        assert_eq!(title_case_label("my-bakery"), "My Bakery");
    }

    #[test]
    fn lossy_prefix_handles_bom_and_invalid() {
        assert_eq!(lossy_prefix(b"\xEF\xBB\xBFabc", 10), "abc");
        assert_eq!(lossy_prefix(b"a\xFFb", 10), "a\u{fffd}b");
        assert_eq!(lossy_prefix(b"abcdef", 3), "abc");
    }
}
