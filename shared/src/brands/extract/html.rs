//! A small, bounded HTML tokenizer.
//!
//! It follows the HTML tokenizer's shape closely enough for brand reading — start/end tags
//! with lowercase names, attributes quoted or not (first occurrence wins), comments, doctype,
//! CDATA and processing instructions skipped, raw-text elements (`script`, `style`, `title`,
//! `textarea`, …) returned whole — and never builds a tree. It is one forward pass over the
//! input: every loop advances `pos`, so time is linear in the input, and it stops after
//! [`super::MAX_TAGS`] tags. Unterminated constructs run to the end of the input, as in a browser.

/// One token. Text and attribute values are raw slices (entities not yet decoded).
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    Start(Tag<'a>),
    End(String),
    Text(&'a str),
    /// Contents of a raw-text element (the element's start tag was the previous token).
    Raw(&'a str),
}

#[derive(Debug, PartialEq)]
pub struct Tag<'a> {
    pub name: String,
    pub attrs: Vec<(String, &'a str)>,
    pub self_closing: bool,
    /// Byte offsets of `<` and just past `>` in the source.
    pub start: usize,
    pub end: usize,
}

impl<'a> Tag<'a> {
    /// The raw value of an attribute (first occurrence).
    pub fn raw(&self, name: &str) -> Option<&'a str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
    /// The entity-decoded, trimmed value of an attribute.
    pub fn attr(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|v| super::text::decode_entities(v).trim().to_string())
    }
}

const RAW_TEXT: &[&str] = &[
    "script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes",
];
const MAX_ATTRS: usize = 64;

pub struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    tags: usize,
    max_tags: usize,
    raw_until: Option<String>,
}

impl<'a> Tokenizer<'a> {
    pub fn new(src: &'a str, max_tags: usize) -> Self {
        Tokenizer {
            src,
            pos: 0,
            tags: 0,
            max_tags,
            raw_until: None,
        }
    }

    /// Byte offset the tokenizer has reached.
    pub fn pos(&self) -> usize {
        self.pos
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    /// Finds `</name` (ASCII case-insensitive, followed by a delimiter) from `from`.
    fn find_end_tag(&self, from: usize, name: &str) -> Option<usize> {
        let b = self.bytes();
        let n = name.as_bytes();
        let mut i = from;
        while let Some(off) = find2(&b[i..], b'<', b'/') {
            let at = i + off;
            let s = at + 2;
            if b.len() >= s + n.len()
                && b[s..s + n.len()].eq_ignore_ascii_case(n)
                && b.get(s + n.len())
                    .is_none_or(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
            {
                return Some(at);
            }
            i = at + 2;
        }
        None
    }

    fn skip_past(&mut self, needle: &str) {
        match self.src[self.pos..].find(needle) {
            Some(p) => self.pos += p + needle.len(),
            None => self.pos = self.src.len(),
        }
    }

    fn markup_declaration(&mut self) {
        let rest = &self.src[self.pos..];
        if rest.starts_with("<!--") {
            self.pos += 4;
            let r = &self.src[self.pos..];
            if r.starts_with('>') {
                self.pos += 1;
            } else if r.starts_with("->") {
                self.pos += 2;
            } else {
                self.skip_past("-->");
            }
        } else if rest.starts_with("<![CDATA[") {
            self.skip_past("]]>");
        } else {
            self.skip_past(">");
        }
    }

    fn tag(&mut self, end_tag: bool) -> Token<'a> {
        let b = self.bytes();
        let start = self.pos;
        let mut i = start + if end_tag { 2 } else { 1 };
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = self.src[name_start..i].to_ascii_lowercase();
        let mut attrs: Vec<(String, &'a str)> = Vec::new();
        let mut self_closing = false;
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                self_closing = b[i] == b'/';
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            if b[i] == b'>' {
                i += 1;
                break;
            }
            self_closing = false;
            let an = i;
            i += 1; // an attribute name may start with '='
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'/' | b'>' | b'=')
            {
                i += 1;
            }
            let aname = &self.src[an..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value = "";
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    let vs = i + 1;
                    let ve = b[vs..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(b.len(), |p| vs + p);
                    value = &self.src[vs..ve];
                    i = (ve + 1).min(b.len());
                } else {
                    let vs = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = &self.src[vs..i];
                }
            }
            if !end_tag && attrs.len() < MAX_ATTRS {
                let lname = aname.to_ascii_lowercase();
                if !attrs.iter().any(|(n, _)| *n == lname) {
                    attrs.push((lname, value));
                }
            }
        }
        self.pos = i;
        self.tags += 1;
        if end_tag {
            return Token::End(name);
        }
        if !self_closing && RAW_TEXT.contains(&name.as_str()) {
            self.raw_until = Some(name.clone());
        }
        Token::Start(Tag {
            name,
            attrs,
            self_closing,
            start,
            end: i,
        })
    }
}

/// Position of the two-byte sequence `a b` in `h`.
fn find2(h: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut i = 0;
    while i + 1 < h.len() {
        match h[i..].iter().position(|&c| c == a) {
            Some(p) => {
                let at = i + p;
                if h.get(at + 1) == Some(&b) {
                    return Some(at);
                }
                i = at + 1;
            }
            None => return None,
        }
    }
    None
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some(name) = self.raw_until.take() {
            let from = self.pos;
            return match self.find_end_tag(from, &name) {
                Some(at) => {
                    self.pos = at;
                    self.skip_past(">");
                    Some(Token::Raw(&self.src[from..at]))
                }
                None => {
                    self.pos = self.src.len();
                    Some(Token::Raw(&self.src[from..]))
                }
            };
        }
        let b = self.bytes();
        loop {
            if self.pos >= b.len() || self.tags >= self.max_tags {
                return None;
            }
            if b[self.pos] != b'<' {
                let from = self.pos;
                let end = b[from..]
                    .iter()
                    .position(|&c| c == b'<')
                    .map_or(b.len(), |p| from + p);
                self.pos = end;
                return Some(Token::Text(&self.src[from..end]));
            }
            match b.get(self.pos + 1) {
                Some(c) if c.is_ascii_alphabetic() => return Some(self.tag(false)),
                Some(b'/') => match b.get(self.pos + 2) {
                    Some(c) if c.is_ascii_alphabetic() => return Some(self.tag(true)),
                    Some(b'>') => self.pos += 3,
                    None => {
                        self.pos = b.len();
                        return Some(Token::Text("</"));
                    }
                    _ => self.skip_past(">"),
                },
                Some(b'!') => self.markup_declaration(),
                Some(b'?') => self.skip_past(">"),
                _ => {
                    self.pos += 1;
                    return Some(Token::Text("<"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token<'_>> {
        Tokenizer::new(s, 1000).collect()
    }

    #[test]
    fn tags_attrs_and_text() {
        let t = toks(r#"<A HREF="/x" class=btn data-x='1' disabled>Go</a>"#);
        match &t[0] {
            Token::Start(tag) => {
                assert_eq!(tag.name, "a");
                assert_eq!(tag.raw("href"), Some("/x"));
                assert_eq!(tag.raw("class"), Some("btn"));
                assert_eq!(tag.raw("data-x"), Some("1"));
                assert_eq!(tag.raw("disabled"), Some(""));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(t[1], Token::Text("Go"));
        assert_eq!(t[2], Token::End("a".into()));
    }

    #[test]
    fn comments_doctype_cdata_skipped() {
        let t = toks("<!DOCTYPE html><!-- <img src=x> --><![CDATA[<b>]]><?xml x?>hi<!-->x");
        assert_eq!(t, vec![Token::Text("hi"), Token::Text("x")]);
    }

    #[test]
    fn unterminated_comment_runs_to_end() {
        assert!(toks("a<!-- never closed <img src=logo.png>").len() == 1);
    }

    #[test]
    fn raw_text_elements() {
        let t = toks("<script>if (a<b) '</div>'</SCRIPT ><p>x");
        assert_eq!(t[1], Token::Raw("if (a<b) '</div>'"));
        assert!(matches!(&t[2], Token::Start(tag) if tag.name == "p"));
        let t = toks("<style>body{}");
        assert_eq!(t[1], Token::Raw("body{}"));
        let t = toks("<title>A &amp; B</title>");
        assert_eq!(t[1], Token::Raw("A &amp; B"));
    }

    #[test]
    fn self_closing_and_duplicates() {
        let t = toks(r#"<img src="a" src="b"/><br/ >"#);
        match &t[0] {
            Token::Start(tag) => {
                assert!(tag.self_closing);
                assert_eq!(tag.raw("src"), Some("a"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn stray_angle_brackets_and_unclosed_quotes() {
        let t = toks("a < b <3 </ > <img alt=\"oops>");
        assert!(t.contains(&Token::Text("<")));
        let t = toks("<img alt=\"oops");
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn tag_cap_stops() {
        let s = "<div>".repeat(100);
        assert_eq!(Tokenizer::new(&s, 10).count(), 10);
    }

    #[test]
    fn positions_cover_tag() {
        let s = "xx<svg a=1><path/></svg>";
        let t = toks(s);
        match &t[1] {
            Token::Start(tag) => assert_eq!(&s[tag.start..tag.end], "<svg a=1>"),
            other => panic!("{other:?}"),
        }
    }
}
