//! The page as read by stage 1 ([`super::walk`]): plain data, no parsing here.
//!
//! Choices worth knowing about how it is read:
//! * `<script>` content is ignored except `type=application/ld+json`; `<template>` content is
//!   ignored (inert); `<noscript>` content *is* read (we are a scripting-disabled reader, and
//!   lazy-loading sites put the real `<img src>` of the logo there).
//! * URLs are kept raw during the pass and resolved at the end against `<base href>` (the first
//!   one with an http(s) value), so a late `<base>` still applies, as in a browser.
//! * `style=""` attributes become rules with a synthetic selector naming the element's context
//!   (`header a.btn.btn-primary{…}`), so the colour decision weighs them like stylesheet rules.

use super::LogoKind;
use url::Url;

/// Everything read from the HTML. Texts are entity-decoded and whitespace-collapsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The page URL, or its `<base href>` (http(s) only) when it has one.
    pub base_url: Url,
    pub stylesheets: Vec<Url>,
    pub manifest: Option<Url>,
    pub inline_css: Vec<String>,
    pub title: Option<String>,
    pub og_site_name: Option<String>,
    pub og_title: Option<String>,
    /// `application-name`, else `apple-mobile-web-app-title`.
    pub application_name: Option<String>,
    pub meta_description: Option<String>,
    pub og_description: Option<String>,
    pub og_image: Option<Url>,
    pub theme_color: Option<String>,
    pub mask_icon_color: Option<String>,
    pub tile_color: Option<String>,
    pub jsonld: Vec<JsonLdEntity>,
    /// The first few `h1`s, and `h2`s inside a hero.
    pub headings: Vec<Heading>,
    pub google_fonts: Vec<GoogleFont>,
    pub logos: Vec<LogoEvidence>,
    pub ctas: Vec<Cta>,
}

impl Page {
    /// A page with nothing read from it.
    pub fn empty(page_url: &Url) -> Page {
        Page {
            base_url: page_url.clone(),
            stylesheets: Vec::new(),
            manifest: None,
            inline_css: Vec::new(),
            title: None,
            og_site_name: None,
            og_title: None,
            application_name: None,
            meta_description: None,
            og_description: None,
            og_image: None,
            theme_color: None,
            mask_icon_color: None,
            tile_color: None,
            jsonld: Vec::new(),
            headings: Vec::new(),
            google_fonts: Vec::new(),
            logos: Vec::new(),
            ctas: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLdEntity {
    /// The matched `@type`, e.g. `Organization`, `Bakery`, `WebSite`.
    pub kind: String,
    pub name: Option<String>,
    pub logo: Option<Url>,
    pub slogan: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub in_header: bool,
    pub in_hero: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleFont {
    pub family: String,
    pub weights: Vec<u16>,
}

/// Where a logo candidate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogoOrigin {
    Img,
    InlineSvg,
    CssBackground,
    JsonLd,
    AppleTouchIcon,
    Icon,
    MaskIcon,
    ManifestIcon,
    Conventional,
    OgImage,
}

/// A logo candidate with the evidence [`super::logo`] scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoEvidence {
    pub kind: LogoKind,
    pub origin: LogoOrigin,
    /// Inside `header`, `nav`, `[role=banner]` or a header-classed container.
    pub in_header: bool,
    pub in_footer: bool,
    /// Its own class/id/alt/src/aria-label says "logo" (or class/id says brand).
    pub logo_hint: bool,
    /// An ancestor's class/id says logo/brand.
    pub ancestor_hint: bool,
    /// Inside a link to the home page.
    pub home_link: bool,
    /// Declared size in px (attributes, `sizes=`); the larger side.
    pub size: Option<u32>,
    /// Inline SVG: drawing elements and `<text>` elements.
    pub svg_shapes: u32,
    pub svg_texts: u32,
    /// Class words (`site-logo`), or for icons their purpose / JSON-LD type.
    pub label: String,
    /// `alt` (images) or `aria-label` (SVG), cleaned.
    pub alt: String,
    /// Document order; ties break towards earlier.
    pub order: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cta {
    pub text: String,
    /// `a.btn.btn-primary`-style description of the element (for the source).
    pub element: String,
    /// 2 = class says cta/primary, 1 = btn/button (or role=button).
    pub emphasis: u8,
    pub in_header: bool,
    pub in_hero: bool,
    pub order: u32,
}
