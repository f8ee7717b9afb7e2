//! Stage 2: a stylesheet, reduced to what brand decisions use.
//!
//! A small CSS reader in the shape of the CSS Syntax spec: comments, strings (a newline ends a
//! bad string), escapes, unquoted `url(…)` (which may contain `;` and quotes), parenthesised
//! blocks and error recovery at `;`/`}`. It keeps only declarations about colour and type
//! (`color`, `background*`, `border*`, `fill`, `stroke`, `accent-color`, `font*`,
//! `text-transform`, `letter-spacing`) and every custom property, plus `@font-face` families
//! and `@import`s.
//!
//! Conditional group rules (`@media`, `@supports`, `@layer`, `@container`, …) are entered, except
//! `@media print` and `@media (prefers-color-scheme: dark)`: the brand is read in its default,
//! light, on-screen form. CSS nesting is understood (`&`, or a nested selector prefixed by its
//! parent). Nesting deeper than [`MAX_NEST`] is skipped by brace counting, iteratively, so
//! `{{{{…` of any depth costs one linear scan.

use super::page::GoogleFont;
use super::text::lossy_prefix;
use super::{MAX_CSS_BYTES, MAX_DECLARATIONS, MAX_IMPORTS};
use url::Url;

/// Nesting depth of blocks we descend into (group rules and nested style rules together).
pub const MAX_NEST: usize = 6;
const MAX_SELECTOR: usize = 1024;
const MAX_VALUE: usize = 4096;
const MAX_FONT_FACES: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct Stylesheet {
    pub url: Url,
    /// Style rules with at least one kept declaration, in source order.
    pub rules: Vec<Rule>,
    /// Every custom property with the selector that declares it, in source order.
    pub custom_properties: Vec<CustomProperty>,
    pub font_faces: Vec<FontFace>,
    /// `@import`s to fetch (resolved, deduped, at most [`MAX_IMPORTS`]; font services excluded).
    pub imports: Vec<Url>,
    /// Families of Google-Fonts-style `@import`s.
    pub google_fonts: Vec<GoogleFont>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Selector list, comments removed and whitespace collapsed (≤ 1 KiB).
    pub selector: String,
    pub declarations: Vec<Declaration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Lowercased, except custom properties which are case-sensitive.
    pub property: String,
    pub value: String,
    pub important: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomProperty {
    pub selector: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontFace {
    pub family: String,
    pub weight: Option<String>,
}

const KEPT: &[&str] = &[
    "color",
    "background",
    "background-color",
    "background-image",
    "border",
    "border-color",
    "border-top",
    "border-bottom",
    "border-left",
    "border-right",
    "border-top-color",
    "border-bottom-color",
    "border-left-color",
    "border-right-color",
    "outline-color",
    "fill",
    "stroke",
    "accent-color",
    "font",
    "font-family",
    "font-weight",
    "text-transform",
    "letter-spacing",
];

/// Reads a stylesheet (first [`MAX_CSS_BYTES`], lossy UTF-8).
pub fn read_stylesheet(css: &[u8], sheet_url: &Url) -> Stylesheet {
    let src = lossy_prefix(css, MAX_CSS_BYTES);
    let mut p = Parser {
        s: &src,
        pos: 0,
        decls: 0,
        seen_rule: false,
        out: Stylesheet {
            url: sheet_url.clone(),
            rules: Vec::new(),
            custom_properties: Vec::new(),
            font_faces: Vec::new(),
            imports: Vec::new(),
            google_fonts: Vec::new(),
        },
    };
    p.rule_list(0);
    p.out
}

/// The raw URLs of the `@import`s at the start of a `<style>` block (the page resolves them
/// against its base URL). Stops at the first thing that is not `@charset`/`@import`/`@layer x;`.
pub fn leading_imports(css: &str) -> Vec<String> {
    let mut p = Parser {
        s: css,
        pos: 0,
        decls: 0,
        seen_rule: false,
        out: Stylesheet {
            url: Url::parse("about:blank").expect("static url"),
            rules: Vec::new(),
            custom_properties: Vec::new(),
            font_faces: Vec::new(),
            imports: Vec::new(),
            google_fonts: Vec::new(),
        },
    };
    let mut out = Vec::new();
    while out.len() < MAX_IMPORTS {
        p.skip_ws();
        if p.b().get(p.pos) != Some(&b'@') {
            break;
        }
        p.pos += 1;
        let name = p.ident().to_ascii_lowercase();
        let (prelude, stop) = p.read_until(b"{;}");
        if stop != Some(b';') {
            break;
        }
        p.pos += 1;
        match name.as_str() {
            "import" => out.extend(import_url(&prelude)),
            "charset" | "layer" | "namespace" => {}
            _ => break,
        }
    }
    out
}

/// The URL of an `@import` prelude: `url("x")`, `url(x)`, `"x"` or `'x'`.
fn import_url(prelude: &str) -> Option<String> {
    let p = prelude.trim();
    let inner = if p.len() >= 4 && p.as_bytes()[..4].eq_ignore_ascii_case(b"url(") {
        let end = p.find(')')?;
        &p[4..end]
    } else {
        p
    };
    let inner = inner.trim();
    let q = inner.chars().next()?;
    let s = if q == '"' || q == '\'' {
        let rest = &inner[1..];
        &rest[..rest.find(q)?]
    } else {
        inner.split_ascii_whitespace().next()?
    };
    (!s.is_empty()).then(|| s.to_string())
}

/// Removes comments and collapses whitespace (strings are kept as written).
pub fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = match rest[i + 2..].find("*/") {
            Some(j) => &rest[i + 2 + j + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    super::text::collapse_ws(&out)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    decls: usize,
    seen_rule: bool,
    out: Stylesheet,
}

impl<'a> Parser<'a> {
    fn b(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len() || self.decls >= MAX_DECLARATIONS
    }

    fn skip_ws(&mut self) {
        loop {
            let b = self.b();
            while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            let rest = &self.b()[self.pos..];
            if rest.starts_with(b"/*") {
                self.skip_comment();
            } else if rest.starts_with(b"<!--") {
                self.pos += 4;
            } else if rest.starts_with(b"-->") {
                self.pos += 3;
            } else {
                return;
            }
        }
    }

    /// At `/*`: skips to just past `*/` (or the end).
    fn skip_comment(&mut self) {
        let b = self.b();
        let mut i = self.pos + 2;
        while i + 1 < b.len() {
            if b[i] == b'*' && b[i + 1] == b'/' {
                self.pos = i + 2;
                return;
            }
            i += 1;
        }
        self.pos = b.len();
    }

    fn ident(&mut self) -> &str {
        let b = self.b();
        let start = self.pos;
        while self.pos < b.len() && (b[self.pos].is_ascii_alphanumeric() || b[self.pos] == b'-') {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// Skips a string starting at `pos` (a quote); a newline or the end terminates it.
    fn skip_string(&mut self) {
        let b = self.b();
        let q = b[self.pos];
        self.pos += 1;
        while self.pos < b.len() {
            match b[self.pos] {
                c if c == q => {
                    self.pos += 1;
                    return;
                }
                b'\\' => self.pos += 2,
                b'\n' => return,
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(b.len());
    }

    /// Reads up to (not including) the first byte of `stops` outside strings, comments and
    /// parentheses (`}` stops even inside parentheses, so one stray `(` cannot swallow the
    /// sheet). Returns the tidied text and the stop byte (None at the end).
    fn read_until(&mut self, stops: &[u8]) -> (String, Option<u8>) {
        let start = self.pos;
        let mut depth = 0usize;
        let b = self.b();
        while self.pos < b.len() {
            let c = b[self.pos];
            if c == b'}' && stops.contains(&c) || depth == 0 && stops.contains(&c) {
                return (tidy(&self.s[start..self.pos]), Some(c));
            }
            match c {
                b'"' | b'\'' => self.skip_string(),
                b'/' if b.get(self.pos + 1) == Some(&b'*') => self.skip_comment(),
                b'\\' => self.pos += 2,
                b'(' | b'[' => {
                    let url =
                        self.pos >= 3 && b[self.pos - 3..self.pos].eq_ignore_ascii_case(b"url");
                    self.pos += 1;
                    if url && !matches!(b.get(self.pos), Some(b'"' | b'\'')) {
                        // Unquoted url(…): literal up to ')'.
                        let end = b[self.pos..].iter().position(|&x| x == b')');
                        self.pos = end.map_or(b.len(), |e| self.pos + e + 1);
                    } else {
                        depth += 1;
                    }
                }
                b')' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        self.pos = b.len();
        (tidy(&self.s[start..]), None)
    }

    /// At `{`: skips the block to its matching `}` by counting braces (iterative).
    fn skip_block(&mut self) {
        let b = self.b();
        let mut depth = 0usize;
        while self.pos < b.len() {
            match b[self.pos] {
                b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' => {
                    self.pos += 1;
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                b'"' | b'\'' => self.skip_string(),
                b'/' if b.get(self.pos + 1) == Some(&b'*') => self.skip_comment(),
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
        self.pos = b.len();
    }

    /// A list of rules, until the end or (when `depth > 0`) the closing `}`.
    fn rule_list(&mut self, depth: usize) {
        loop {
            self.skip_ws();
            if self.at_end() {
                return;
            }
            match self.b()[self.pos] {
                b'}' => {
                    self.pos += 1;
                    if depth > 0 {
                        return;
                    }
                }
                b'@' => self.at_rule(depth, None),
                _ => self.qualified_rule(depth),
            }
        }
    }

    fn at_rule(&mut self, depth: usize, parent: Option<&str>) {
        self.pos += 1;
        let name = self.ident().to_ascii_lowercase();
        let (prelude, stop) = self.read_until(b"{;}");
        match stop {
            Some(b';') => {
                self.pos += 1;
                if name == "import" && !self.seen_rule && parent.is_none() {
                    self.import(&prelude);
                }
            }
            Some(b'{') => {
                let p = prelude.to_ascii_lowercase();
                let skipped_media = name == "media"
                    && (p.contains("print") && !p.contains("screen")
                        || p.contains("prefers-color-scheme") && p.contains("dark"));
                let group = matches!(
                    name.as_str(),
                    "media"
                        | "supports"
                        | "layer"
                        | "container"
                        | "document"
                        | "-moz-document"
                        | "scope"
                        | "starting-style"
                );
                if name == "font-face" {
                    self.pos += 1;
                    let decls = self.declarations(depth + 1, "@font-face");
                    self.font_face(decls);
                } else if group && !skipped_media && depth < MAX_NEST {
                    self.pos += 1;
                    match parent {
                        Some(sel) => {
                            let decls = self.declarations(depth + 1, sel);
                            self.push_rule(sel.to_string(), decls);
                        }
                        None => self.rule_list(depth + 1),
                    }
                } else {
                    self.skip_block();
                }
            }
            _ => {} // `}` or end: leave it to the caller.
        }
    }

    fn import(&mut self, prelude: &str) {
        let Some(raw) = import_url(prelude) else {
            return;
        };
        let Some(u) = super::context::resolve(&self.out.url, &raw) else {
            return;
        };
        if super::fonts::is_font_service(&u) {
            self.out.google_fonts.extend(super::fonts::google_fonts(&u));
        } else if u.scheme() != "data"
            && !self.out.imports.contains(&u)
            && self.out.imports.len() < MAX_IMPORTS
        {
            self.out.imports.push(u);
        }
    }

    fn qualified_rule(&mut self, depth: usize) {
        let (selector, stop) = self.read_until(b"{;}");
        match stop {
            Some(b'{') => {
                self.pos += 1;
                self.seen_rule = true;
                let selector = cap(selector, MAX_SELECTOR);
                let decls = self.declarations(depth + 1, &selector);
                self.push_rule(selector, decls);
            }
            Some(b';') => self.pos += 1, // garbage up to `;`: drop it
            _ => {}                      // `}` (handled by the caller) or end
        }
    }

    fn push_rule(&mut self, selector: String, decls: Vec<Declaration>) {
        if decls.is_empty() {
            return;
        }
        for d in decls.iter().filter(|d| d.property.starts_with("--")) {
            self.out.custom_properties.push(CustomProperty {
                selector: selector.clone(),
                name: d.property.clone(),
                value: d.value.clone(),
            });
        }
        self.out.rules.push(Rule {
            selector,
            declarations: decls,
        });
    }

    /// A declaration block after its `{`, up to and including the closing `}`. Nested style
    /// rules (CSS nesting) are pushed as their own rules.
    fn declarations(&mut self, depth: usize, selector: &str) -> Vec<Declaration> {
        let mut decls = Vec::new();
        loop {
            self.skip_ws();
            if self.at_end() {
                return decls;
            }
            match self.b()[self.pos] {
                b'}' => {
                    self.pos += 1;
                    return decls;
                }
                b';' => {
                    self.pos += 1;
                    continue;
                }
                b'@' => {
                    self.at_rule(depth, Some(selector));
                    continue;
                }
                _ => {}
            }
            let (item, stop) = self.read_until(b"{;}");
            match stop {
                Some(b'{') if depth < MAX_NEST => {
                    self.pos += 1;
                    let nested = nest(selector, &item);
                    let inner = self.declarations(depth + 1, &nested);
                    self.push_rule(nested, inner);
                }
                Some(b'{') => self.skip_block(),
                Some(b';') => {
                    self.pos += 1;
                    self.declaration(&item, &mut decls);
                }
                _ => self.declaration(&item, &mut decls),
            }
        }
    }

    fn declaration(&mut self, item: &str, decls: &mut Vec<Declaration>) {
        let Some((name, value)) = item.split_once(':') else {
            return;
        };
        let name = name.trim();
        let custom = name.starts_with("--");
        let property = if custom {
            name.to_string()
        } else {
            name.to_ascii_lowercase()
        };
        if !(custom || KEPT.contains(&property.as_str())) || value.len() > MAX_VALUE {
            return;
        }
        let mut value = value.trim();
        let mut important = false;
        if let Some(i) = value.rfind('!')
            && value[i + 1..].trim().eq_ignore_ascii_case("important")
        {
            important = true;
            value = value[..i].trim_end();
        }
        self.decls += 1;
        decls.push(Declaration {
            property,
            value: value.to_string(),
            important,
        });
    }

    fn font_face(&mut self, decls: Vec<Declaration>) {
        let get = |p: &str| {
            decls
                .iter()
                .find(|d| d.property == p)
                .map(|d| d.value.clone())
        };
        let Some(family) = get("font-family").map(|f| super::cssvalue::unquote(&f)) else {
            return;
        };
        if !family.is_empty() && self.out.font_faces.len() < MAX_FONT_FACES {
            self.out.font_faces.push(FontFace {
                family,
                weight: get("font-weight"),
            });
        }
    }
}

fn cap(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut i = max;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        s.truncate(i);
    }
    s
}

/// The selector of a nested rule: `&` replaced by the parent, else the parent as ancestor.
fn nest(parent: &str, child: &str) -> String {
    let parent = if parent.contains(',') {
        format!(":is({parent})")
    } else {
        parent.to_string()
    };
    let parts: Vec<String> = super::cssvalue::split_top(child, b',')
        .into_iter()
        .take(16)
        .map(|c| {
            if c.contains('&') {
                c.replace('&', &parent)
            } else {
                format!("{parent} {c}")
            }
        })
        .collect();
    cap(parts.join(", "), MAX_SELECTOR)
}

#[cfg(test)]
#[path = "css_tests.rs"]
mod tests;
