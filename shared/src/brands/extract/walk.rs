//! Stage 1: one pass over the page's tokens, keeping an open-element stack of *context flags*
//! (inside header/nav/banner, footer, hero, a logo-ish or home link, a logo wall, a cookie
//! banner …) instead of a DOM. See [`super::page`] for what is and is not read.

use super::context::*;
use super::html::{Tag, Token, Tokenizer};
use super::page::{Cta, Heading, LogoEvidence, LogoOrigin, Page};
use super::text::{clean, lossy_prefix, words};
use super::{LogoKind, MAX_HTML_BYTES, MAX_JSONLD_BLOCKS, MAX_JSONLD_BYTES, MAX_TAGS};
use super::{MAX_CSS_BYTES, MAX_STYLE_ATTRS, MAX_STYLESHEETS, MAX_SVG_BYTES};
use url::Url;

struct Frame {
    name: String,
    flags: u16,
}

struct Capture {
    depth: usize,
    text: String,
    kind: CaptureKind,
}

enum CaptureKind {
    Heading(u8, u16),
    Cta(u8, u16, String),
}

struct Svg {
    start: usize,
    depth: usize,
    flags: u16,
    own_hint: bool,
    label: String,
    alt: String,
    shapes: u32,
    texts: u32,
    order: u32,
}

/// Raw (unresolved) things gathered during the pass.
#[derive(Default)]
struct Raw {
    base: Option<String>,
    sheets: Vec<String>,
    manifest: Option<String>,
    og_image: Option<String>,
    icons: Vec<(LogoOrigin, String, Option<u32>, u32)>,
    imgs: Vec<(String, LogoEvidence)>,
    jsonld: Vec<String>,
}

/// Reads the page. See the module docs for what is and is not read.
pub fn read_page(html: &[u8], page_url: &Url) -> Page {
    let src = lossy_prefix(html, MAX_HTML_BYTES);
    let mut w = Walker {
        page: Page::empty(page_url),
        raw: Raw::default(),
        stack: Vec::new(),
        captures: Vec::new(),
        svg: None,
        order: 0,
        style_attrs: String::new(),
        style_attr_count: 0,
        css_bytes: 0,
        tags_since_h1: None,
        page_url,
    };
    let mut tok = Tokenizer::new(&src, MAX_TAGS);
    let mut raw_for: Option<String> = None;
    while let Some(t) = tok.next() {
        match t {
            Token::Start(tag) => {
                w.order += 1;
                if let Some(n) = w.tags_since_h1.as_mut() {
                    *n += 1;
                }
                raw_for = w.start(&tag);
            }
            Token::End(name) => {
                raw_for = None;
                w.end(&name, &src, tok.pos())
            }
            Token::Text(t) => {
                raw_for = None;
                w.text(t)
            }
            Token::Raw(t) => {
                if let Some(kind) = raw_for.take() {
                    w.raw_text(&kind, t);
                }
            }
        }
    }
    w.finish(page_url)
}

struct Walker<'u> {
    page: Page,
    raw: Raw,
    stack: Vec<Frame>,
    captures: Vec<Capture>,
    svg: Option<Svg>,
    order: u32,
    style_attrs: String,
    style_attr_count: usize,
    css_bytes: usize,
    tags_since_h1: Option<u32>,
    page_url: &'u Url,
}

impl Walker<'_> {
    fn ctx(&self) -> u16 {
        self.stack.last().map_or(0, |f| f.flags)
    }

    fn start(&mut self, tag: &Tag) -> Option<String> {
        if self.ctx() & SVG != 0 && BREAKOUT.contains(&tag.name.as_str()) {
            // An HTML element inside `<svg>` ends the foreign content, as in the HTML parser:
            // the unclosed SVG is dropped (its markup is incomplete) and the page goes on.
            self.svg = None;
            let outer = self
                .stack
                .iter()
                .position(|f| f.flags & SVG != 0)
                .unwrap_or(0);
            self.pop_to(outer, "", 0);
        }
        let ctx = self.ctx();
        let own = own_flags(tag);
        let mut flags = ctx | own;
        if tag.name == "a"
            && tag
                .raw("href")
                .is_some_and(|h| is_home_href(h, self.page_url))
        {
            flags |= HOME;
        }
        let void =
            VOID.contains(&tag.name.as_str()) || ((ctx | own) & SVG != 0 && tag.self_closing);
        if flags & TEMPLATE == 0 {
            self.element(tag, ctx, own, flags);
        }
        let pushed = !void && self.stack.len() < MAX_STACK;
        if pushed {
            self.stack.push(Frame {
                name: tag.name.clone(),
                flags,
            });
        }
        if pushed && tag.name == "svg" && ctx & SVG == 0 && flags & TEMPLATE == 0 {
            let label = tag
                .attr("aria-label")
                .or_else(|| tag.attr("class"))
                .unwrap_or_default();
            let own_words = words(&format!("{label} {}", tag.attr("id").unwrap_or_default()));
            self.svg = Some(Svg {
                start: tag.start,
                depth: self.stack.len(),
                flags,
                own_hint: own & LOGO != 0 || own_words.iter().any(|w| w.contains("logo")),
                label: words(&tag.attr("class").unwrap_or_default()).join("-"),
                alt: clean(&tag.attr("aria-label").unwrap_or_default()),
                shapes: 0,
                texts: 0,
                order: self.order,
            });
        }
        // Raw-text elements whose content we want.
        match tag.name.as_str() {
            "script"
                if tag
                    .attr("type")
                    .is_some_and(|t| t.to_ascii_lowercase().trim() == "application/ld+json")
                    && flags & TEMPLATE == 0 =>
            {
                Some("jsonld".into())
            }
            "style" if flags & TEMPLATE == 0 => {
                let media = tag.attr("media").unwrap_or_default().to_ascii_lowercase();
                (!media.contains("print")).then(|| "style".into())
            }
            "title" if ctx & SVG == 0 && flags & TEMPLATE == 0 => Some("title".into()),
            _ => None,
        }
    }

    /// Handles one element's own meaning (not its children).
    fn element(&mut self, tag: &Tag, ctx: u16, own: u16, flags: u16) {
        if let Some(svg) = self.svg.as_mut() {
            match tag.name.as_str() {
                "path" | "circle" | "rect" | "polygon" | "ellipse" | "line" | "polyline" => {
                    svg.shapes += 1
                }
                "text" | "tspan" => svg.texts += 1,
                _ => {}
            }
            return;
        }
        if let Some(style) = tag.raw("style") {
            self.style_attr(tag, flags, style);
        }
        match tag.name.as_str() {
            "base" if self.raw.base.is_none() => self.raw.base = tag.attr("href"),
            "meta" => self.meta(tag),
            "link" => self.link(tag),
            "img" => self.img(tag, ctx, own, flags),
            "body" => {
                if let Some(c) = tag.attr("bgcolor") {
                    let c: String = c
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '#')
                        .take(32)
                        .collect();
                    self.style_attrs
                        .push_str(&format!("body{{background-color:{c}}}\n"));
                }
            }
            "h1" | "h2" => {
                let level = if tag.name == "h1" { 1 } else { 2 };
                let wanted = if level == 1 {
                    self.page.headings.iter().filter(|h| h.level == 1).count() < 4
                } else {
                    flags & HERO != 0
                        && self.page.headings.iter().filter(|h| h.level == 2).count() < 2
                };
                if level == 1
                    && self.tags_since_h1.is_none()
                    && flags & (HEADER | FOOTER | NOSCRIPT) == 0
                {
                    self.tags_since_h1 = Some(0);
                }
                if wanted && flags & (FOOTER | SKIP | NOSCRIPT) == 0 && self.captures.len() < 4 {
                    self.captures.push(Capture {
                        depth: self.stack.len() + 1,
                        text: String::new(),
                        kind: CaptureKind::Heading(level, flags),
                    });
                }
            }
            "a" | "button" => {
                let class = tag.attr("class").unwrap_or_default();
                let ws = words(&class);
                let emphasis = if has_any(&ws, &["cta", "primary"]) {
                    2
                } else if has_any(&ws, &["btn", "button"])
                    || tag
                        .attr("role")
                        .is_some_and(|r| r.eq_ignore_ascii_case("button"))
                {
                    1
                } else {
                    0
                };
                let near_h1 = self.tags_since_h1.is_some_and(|n| n <= 80);
                let hero = flags & HERO != 0 || (near_h1 && flags & HEADER == 0);
                if emphasis > 0
                    && flags & (FOOTER | SKIP | NOSCRIPT) == 0
                    && (hero || flags & HEADER != 0)
                    && self.page.ctas.len() < 32
                    && self.captures.len() < 4
                {
                    let f = if hero { flags | HERO } else { flags };
                    let mut element = tag.name.clone();
                    for c in class.split_ascii_whitespace().take(3) {
                        element.push('.');
                        element.push_str(&ident(c));
                    }
                    self.captures.push(Capture {
                        depth: self.stack.len() + 1,
                        text: String::new(),
                        kind: CaptureKind::Cta(emphasis, f, element),
                    });
                }
            }
            _ => {}
        }
    }

    fn style_attr(&mut self, tag: &Tag, flags: u16, style: &str) {
        if self.style_attr_count >= MAX_STYLE_ATTRS || style.len() > 4096 {
            return;
        }
        self.style_attr_count += 1;
        let mut sel = String::new();
        for (bit, word) in [(HEADER, "header "), (HERO, ".hero "), (FOOTER, "footer ")] {
            if flags & bit != 0 {
                sel.push_str(word);
            }
        }
        sel.push_str(&tag.name);
        let class = tag.attr("class").unwrap_or_default();
        for c in class.split_ascii_whitespace().take(8) {
            let c = ident(c);
            if !c.is_empty() {
                sel.push('.');
                sel.push_str(&c);
            }
        }
        if let Some(id) = tag.attr("id").map(|i| ident(&i)).filter(|i| !i.is_empty()) {
            sel.push('#');
            sel.push_str(&id);
        }
        let body: String = super::text::decode_entities(style)
            .chars()
            .filter(|c| !matches!(c, '{' | '}' | '<'))
            .collect();
        if self.style_attrs.len() + sel.len() + body.len() < MAX_CSS_BYTES {
            self.style_attrs.push_str(&format!("{sel}{{{body}}}\n"));
        }
    }

    fn img(&mut self, tag: &Tag, ctx: u16, own: u16, flags: u16) {
        if flags & (WALL | SKIP) != 0 {
            return;
        }
        let lazy = ["data-src", "data-lazy-src", "data-original", "data-lazy"]
            .iter()
            .find_map(|a| tag.attr(a).filter(|v| !v.is_empty()));
        let src = match tag.attr("src").filter(|s| !s.is_empty()) {
            Some(s) if s.starts_with("data:") && s.len() < 300 && lazy.is_some() => lazy,
            Some(s) => Some(s),
            None => lazy.or_else(|| {
                let set = tag.attr("srcset").or_else(|| tag.attr("data-srcset"))?;
                set.split(',')
                    .next()?
                    .split_whitespace()
                    .next()
                    .map(str::to_string)
            }),
        };
        let Some(src) = src else { return };
        let alt = tag.attr("alt").unwrap_or_default();
        let own_text = format!(
            "{} {} {} {}",
            tag.attr("class").unwrap_or_default(),
            tag.attr("id").unwrap_or_default(),
            alt,
            if src.starts_with("data:") { "" } else { &src }
        );
        let ws = words(&own_text);
        if has_any(&ws, SKIP_SELF) {
            return;
        }
        let logo_hint = own & LOGO != 0 || ws.iter().any(|w| w.contains("logo"));
        if !(logo_hint || ctx & (HEADER | LOGO) != 0) {
            return;
        }
        let size = px(tag.attr("width")).max(px(tag.attr("height")));
        let ev = LogoEvidence {
            kind: LogoKind::InlineSvg(String::new()),
            origin: LogoOrigin::Img,
            in_header: flags & HEADER != 0,
            in_footer: flags & FOOTER != 0,
            logo_hint,
            ancestor_hint: ctx & LOGO != 0,
            home_link: flags & HOME != 0,
            size,
            svg_shapes: 0,
            svg_texts: 0,
            label: words(&tag.attr("class").unwrap_or_default()).join("-"),
            alt: clean(&alt),
            order: self.order,
        };
        if self.raw.imgs.len() < 64 {
            self.raw.imgs.push((src, ev));
        }
    }

    fn end(&mut self, name: &str, src: &str, pos: usize) {
        if name == "body" || name == "html" {
            // Everything still open ends here; keep nothing dangling into trailing junk.
            self.pop_to(0, src, pos);
            return;
        }
        if let Some(i) = self.stack.iter().rposition(|f| f.name == name) {
            self.pop_to(i, src, pos);
        }
    }

    fn pop_to(&mut self, len: usize, src: &str, pos: usize) {
        self.stack.truncate(len);
        while let Some(c) = self.captures.last() {
            if c.depth <= self.stack.len() {
                break;
            }
            let c = self.captures.pop().expect("checked");
            self.finish_capture(c);
        }
        if self
            .svg
            .as_ref()
            .is_some_and(|s| s.depth > self.stack.len())
        {
            let svg = self.svg.take().expect("checked");
            self.finish_svg(svg, src, pos);
        }
    }

    fn finish_capture(&mut self, c: Capture) {
        let text = clean(&c.text);
        if text.is_empty() {
            return;
        }
        match c.kind {
            CaptureKind::Heading(level, f) => self.page.headings.push(Heading {
                level,
                text,
                in_header: f & HEADER != 0,
                in_hero: f & HERO != 0,
            }),
            CaptureKind::Cta(emphasis, f, element) => self.page.ctas.push(Cta {
                text,
                element,
                emphasis,
                in_header: f & HEADER != 0,
                in_hero: f & HERO != 0,
                order: self.order,
            }),
        }
    }

    fn finish_svg(&mut self, svg: Svg, src: &str, pos: usize) {
        let f = svg.flags;
        let candidate = (svg.own_hint || f & (HEADER | LOGO) != 0) && f & (WALL | SKIP) == 0;
        let label_words = words(&svg.label);
        if !candidate || has_any(&label_words, SKIP_SELF) || svg.shapes == 0 {
            return;
        }
        let end = pos.min(src.len());
        if end <= svg.start || end - svg.start > MAX_SVG_BYTES || !src.is_char_boundary(svg.start) {
            return;
        }
        if self.raw.imgs.len() < 64 {
            let ev = LogoEvidence {
                kind: LogoKind::InlineSvg(src[svg.start..end].to_string()),
                origin: LogoOrigin::InlineSvg,
                in_header: f & HEADER != 0,
                in_footer: f & FOOTER != 0,
                logo_hint: svg.own_hint,
                ancestor_hint: f & LOGO != 0 && !svg.own_hint,
                home_link: f & HOME != 0,
                size: None,
                svg_shapes: svg.shapes,
                svg_texts: svg.texts,
                label: svg.label,
                alt: svg.alt,
                order: svg.order,
            };
            self.raw.imgs.push((String::new(), ev));
        }
    }

    fn text(&mut self, t: &str) {
        if self.ctx() & (SVG | TEMPLATE) != 0 {
            return;
        }
        for c in &mut self.captures {
            if c.text.len() < 2000 {
                c.text.push_str(t);
                c.text.push(' ');
            }
        }
    }

    fn raw_text(&mut self, kind: &str, t: &str) {
        match kind {
            "title" if self.page.title.is_none() => {
                let t = clean(t);
                if !t.is_empty() {
                    self.page.title = Some(t.chars().take(500).collect());
                }
            }
            "jsonld"
                if t.len() <= MAX_JSONLD_BYTES && self.raw.jsonld.len() < MAX_JSONLD_BLOCKS =>
            {
                self.raw.jsonld.push(t.to_string())
            }
            "style" if self.css_bytes + t.len() <= MAX_CSS_BYTES => {
                self.css_bytes += t.len();
                for imp in super::css::leading_imports(t) {
                    if self.raw.sheets.len() < MAX_RAW_LINKS {
                        self.raw.sheets.push(imp);
                    }
                }
                self.page.inline_css.push(t.to_string());
            }
            _ => {}
        }
    }
}
#[path = "walk_head.rs"]
mod head;

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
