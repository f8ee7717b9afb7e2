//! Deterministic, browser-free brand extraction: the *reading and deciding* half.
//!
//! The fetcher (elsewhere) downloads a site's page, then the stylesheets and manifest the page
//! names, then logo candidates in the order given here. This module never does I/O: it turns
//! bytes into evidence and evidence into brand facts, each with the `source` it came from, so a
//! brand record can say *why* (`"primary_accent_hex": "css:.btn-primary background-color"`).
//!
//! # Stages
//! 1. [`read_page`] — one bounded pass over the HTML ([`html`] tokenizer, [`walk`] into a
//!    [`Page`]): meta tags, links, JSON-LD, headings, CTA buttons, logo candidates with their context,
//!    `<style>` blocks and `style=""` attributes (turned into rules whose selector carries the
//!    element's role, e.g. `header a.btn-primary`, so they are weighed like stylesheet rules).
//! 2. [`read_stylesheet`] / [`read_manifest`] — each fetched file on its own ([`css`],
//!    [`manifest`]).
//! 3. [`decide()`] — ranks the evidence ([`decide`](mod@decide), [`palette`], [`fonts`], [`logo`]).
//!
//! # Why this ranking
//! The weights follow what the best public extractors do (Brandfetch, Firecrawl, Dembrandt,
//! besticon) minus what needs a browser. Without rendering we cannot measure painted area, so
//! we lean on *declared intent*: the site's own tokens (`--brand-primary`), the colours it
//! declares to the platform (`theme-color`, manifest, Safari `mask-icon`), and the roles of the
//! selectors that use a colour (logo/brand 5, primary/CTA 4, hero/button 3, card/section 2,
//! nav/header/links 1; a role read from an ancestor counts at most 2). Status colours (error,
//! sale, …) are page furniture, not brand. Greys are structure, never the accent. When nothing
//! defends a colour the field stays absent: an honest gap is better than a guessed brand.
//!
//! # Robustness
//! Inputs are hostile. Every reader caps what it reads (see the `MAX_*` constants), accepts
//! invalid UTF-8 lossily, uses no unbounded recursion (CSS nesting and `var()` resolution have
//! fixed depth limits, JSON is walked with an explicit depth limit) and runs in time linear in
//! the capped input. Output is deterministic: only `Vec`s and `BTreeMap`s, stable sorts with
//! document-order tie-breaks.
//!
//! # Known limits
//! No rendering: painted area, computed styles, specificity and inheritance are approximated
//! by selector words; content injected by JavaScript is invisible; colours in images (logos,
//! hero photos) are not read here; `display-p3` is read as sRGB; the registrable domain uses
//! common two-level suffix shapes, not the public suffix list.

pub mod colour;
mod context;
pub mod css;
pub mod cssvalue;
pub mod decide;
pub mod fonts;
pub mod html;
pub mod jsonld;
pub mod logo;
pub mod manifest;
mod named_colours;
pub mod page;
pub mod palette;
pub mod selector;
pub mod text;
pub mod walk;

#[cfg(test)]
mod tests_hostile;
#[cfg(test)]
mod tests_sites;

use url::Url;

pub use css::{CustomProperty, Declaration, FontFace, Rule, Stylesheet};
pub use manifest::{Manifest, ManifestIcon};
pub use page::{Cta, GoogleFont, Heading, JsonLdEntity, LogoEvidence, LogoOrigin, Page};

/// HTML bytes read from the page.
pub const MAX_HTML_BYTES: usize = 2 << 20;
/// Start and end tags tokenized from the page.
pub const MAX_TAGS: usize = 20_000;
/// Bytes read from each stylesheet (and from all `<style>` blocks of a page together).
pub const MAX_CSS_BYTES: usize = 1 << 20;
/// Declarations kept from one stylesheet.
pub const MAX_DECLARATIONS: usize = 50_000;
/// Bytes of one JSON-LD block; blocks beyond [`MAX_JSONLD_BLOCKS`] are ignored.
pub const MAX_JSONLD_BYTES: usize = 256 << 10;
pub const MAX_JSONLD_BLOCKS: usize = 16;
/// Bytes of an inline `<svg>` kept as a logo candidate, and of a `data:` logo URL.
pub const MAX_SVG_BYTES: usize = 256 << 10;
pub const MAX_DATA_URL_BYTES: usize = 256 << 10;
/// Stylesheet URLs handed to the fetcher, and `@import`s followed in total.
pub const MAX_STYLESHEETS: usize = 8;
pub const MAX_IMPORTS: usize = 8;
/// Manifest bytes read.
pub const MAX_MANIFEST_BYTES: usize = 512 << 10;
/// `style=""` attributes turned into rules.
pub const MAX_STYLE_ATTRS: usize = 2_000;
/// Logo candidates returned.
pub const MAX_LOGO_CANDIDATES: usize = 24;

/// A fact and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact<T> {
    pub value: T,
    /// e.g. `meta:theme-color`, `manifest:theme_color`, `css:--color-primary`,
    /// `css:.btn-primary background-color`, `jsonld:Organization.name`, `og:site_name`,
    /// `title`, `domain`, `html:h1`.
    pub source: String,
}

impl<T> Fact<T> {
    pub fn new(value: T, source: impl Into<String>) -> Self {
        Fact {
            value,
            source: source.into(),
        }
    }
}

/// What a logo candidate is: something to download, or markup already in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoKind {
    Url(Url),
    /// The `<svg>…</svg>` markup as it appeared in the page (≤ [`MAX_SVG_BYTES`]).
    InlineSvg(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoCandidate {
    /// e.g. `html:header img.logo`, `html:header svg`, `jsonld:Organization.logo`,
    /// `link:apple-touch-icon 180x180`, `manifest:icons 512x512`, `conventional:/favicon.ico`.
    pub source: String,
    pub kind: LogoKind,
    pub score: i32,
}

/// Everything [`decide()`] concluded. Fields without evidence are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Always present: the domain is the last resort.
    pub name: Option<Fact<String>>,
    pub primary_background_hex: Option<Fact<String>>,
    pub primary_accent_hex: Option<Fact<String>>,
    /// 1..=8 `#RRGGBB`, accent first, near-duplicates merged.
    pub color_palette: Option<Fact<Vec<String>>>,
    pub font_family: Option<Fact<String>>,
    pub typography_rules: Option<Fact<String>>,
    pub core_slogan: Option<Fact<String>>,
    pub tone_of_voice: Option<Fact<String>>,
    pub call_to_action: Option<Fact<String>>,
    /// Best first; the caller downloads in order until one validates.
    pub logo_candidates: Vec<LogoCandidate>,
}

impl Extracted {
    /// `brand_dna` key → source, for the brand record's `sources` map.
    pub fn sources(&self) -> std::collections::BTreeMap<&'static str, String> {
        let mut m = std::collections::BTreeMap::new();
        let mut put = |k: &'static str, s: Option<&String>| {
            if let Some(s) = s {
                m.insert(k, s.clone());
            }
        };
        put("name", self.name.as_ref().map(|f| &f.source));
        put(
            "primary_background_hex",
            self.primary_background_hex.as_ref().map(|f| &f.source),
        );
        put(
            "primary_accent_hex",
            self.primary_accent_hex.as_ref().map(|f| &f.source),
        );
        put(
            "color_palette",
            self.color_palette.as_ref().map(|f| &f.source),
        );
        put("font_family", self.font_family.as_ref().map(|f| &f.source));
        put(
            "typography_rules",
            self.typography_rules.as_ref().map(|f| &f.source),
        );
        put("core_slogan", self.core_slogan.as_ref().map(|f| &f.source));
        put(
            "tone_of_voice",
            self.tone_of_voice.as_ref().map(|f| &f.source),
        );
        put(
            "call_to_action",
            self.call_to_action.as_ref().map(|f| &f.source),
        );
        m
    }
}

/// Stage 1: reads the page (first [`MAX_HTML_BYTES`], lossy UTF-8).
pub fn read_page(html: &[u8], page_url: &Url) -> Page {
    walk::read_page(html, page_url)
}

/// Stage 2: reads one stylesheet (fetched, or inline with the page's base URL).
pub fn read_stylesheet(css: &[u8], sheet_url: &Url) -> Stylesheet {
    css::read_stylesheet(css, sheet_url)
}

/// Stage 2: reads a `manifest.json` / `.webmanifest`.
pub fn read_manifest(json: &[u8], manifest_url: &Url) -> Manifest {
    manifest::read_manifest(json, manifest_url)
}

/// Stage 3: decides. `sheets` are the fetched stylesheets in the page's order (the page's own
/// inline CSS is read here, after them). `site_url` gives the domain fallback for the name.
pub fn decide(
    page: &Page,
    sheets: &[Stylesheet],
    manifest: Option<&Manifest>,
    site_url: &Url,
) -> Extracted {
    decide::decide(page, sheets, manifest, site_url)
}
