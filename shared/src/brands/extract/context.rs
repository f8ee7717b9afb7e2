//! Context of an element during the page walk: the flags it passes down to its children and
//! the small word lists that decide them, plus URL and size helpers.

use super::html::Tag;
use super::text::words;
use url::Url;

// Context flags, cumulative down the stack.
pub(super) const HEADER: u16 = 1;
pub(super) const FOOTER: u16 = 2;
pub(super) const HERO: u16 = 4;
pub(super) const LOGO: u16 = 8;
pub(super) const WALL: u16 = 16;
pub(super) const HOME: u16 = 32;
pub(super) const SKIP: u16 = 64;
pub(super) const TEMPLATE: u16 = 128;
pub(super) const SVG: u16 = 256;
/// Inside `<noscript>`: its images are read (lazy-loaded logos live there), its copy is not
/// (it is the site talking about JavaScript, not about itself).
pub(super) const NOSCRIPT: u16 = 512;

pub(super) const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];
/// Words on an element itself that disqualify it as a logo (UI icons, flags, social links).
pub(super) const SKIP_SELF: &[&str] = &[
    "search",
    "menu",
    "hamburger",
    "burger",
    "cart",
    "basket",
    "bag",
    "flag",
    "close",
    "arrow",
    "chevron",
    "caret",
    "social",
    "share",
    "facebook",
    "twitter",
    "instagram",
    "linkedin",
    "youtube",
    "tiktok",
    "pinterest",
    "whatsapp",
    "avatar",
    "user",
    "account",
    "payment",
    "visa",
    "mastercard",
    "paypal",
    "spinner",
    "loader",
    "loading",
    "play",
    "toggle",
];
/// Words on an ancestor that make everything inside it not-brand (logos, CTAs).
pub(super) const SKIP_CONTAINER: &[&str] = &[
    "social", "share", "cookie", "cookies", "consent", "gdpr", "onetrust", "payment", "payments",
    "language", "search", "cart", "modal", "popup",
];
pub(super) const WALL_WORDS: &[&str] = &[
    "logos",
    "partner",
    "partners",
    "client",
    "clients",
    "customer",
    "customers",
    "sponsor",
    "sponsors",
    "press",
    "trusted",
    "featured",
    "testimonials",
    "brands",
    "marquee",
];
pub(super) const MAX_STACK: usize = 512;
/// HTML start tags that break out of `<svg>` foreign content (HTML §13.2.6.5).
pub(super) const BREAKOUT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
];
/// Stylesheet links and icon links remembered before resolution (only the first few are used).
pub(super) const MAX_RAW_LINKS: usize = 32;

pub(super) fn has_any(ws: &[String], set: &[&str]) -> bool {
    ws.iter().any(|w| set.contains(&w.as_str()))
}

/// Own flags of an element from its name, role, class and id.
pub(super) fn own_flags(tag: &Tag) -> u16 {
    let mut f = 0;
    let role = tag.attr("role").unwrap_or_default().to_ascii_lowercase();
    match tag.name.as_str() {
        "header" | "nav" => f |= HEADER,
        "footer" => f |= FOOTER,
        "template" => f |= TEMPLATE,
        "noscript" => f |= NOSCRIPT,
        "svg" => f |= SVG,
        _ => {}
    }
    match role.as_str() {
        "banner" | "navigation" => f |= HEADER,
        "contentinfo" => f |= FOOTER,
        "dialog" | "alertdialog" => f |= SKIP,
        _ => {}
    }
    let class = tag.attr("class").unwrap_or_default();
    let id = tag.attr("id").unwrap_or_default();
    for token in class
        .split_ascii_whitespace()
        .chain(std::iter::once(id.as_str()))
    {
        let ws = words(token);
        match ws.first().map(String::as_str) {
            Some("header" | "masthead" | "navbar" | "topbar" | "nav") => f |= HEADER,
            Some("site" | "main" | "global" | "top")
                if ws.get(1).is_some_and(|w| w == "header" || w == "nav") =>
            {
                f |= HEADER
            }
            Some("footer") => f |= FOOTER,
            _ => {}
        }
        if ws.iter().any(|w| {
            w.contains("logo") && w != "logos"
                || matches!(w.as_str(), "brand" | "branding" | "brandmark" | "wordmark")
        }) {
            f |= LOGO;
        }
        if has_any(&ws, &["hero", "jumbotron", "splash", "banner", "showcase"]) {
            f |= HERO;
        }
        if has_any(&ws, WALL_WORDS) {
            f |= WALL;
        }
        if has_any(&ws, SKIP_CONTAINER) {
            f |= SKIP;
        }
    }
    f
}

/// Whether `href` points at the site's home page.
pub(super) fn is_home_href(href: &str, page_url: &Url) -> bool {
    let Ok(u) = page_url.join(href.trim()) else {
        return false;
    };
    if u.host_str() != page_url.host_str() {
        return false;
    }
    let p = u
        .path()
        .trim_end_matches("index.html")
        .trim_end_matches('/');
    p.is_empty()
        || (p.len() <= 6
            && p.get(1..)
                .is_some_and(|l| l.chars().all(|c| c.is_ascii_alphabetic() || c == '-')))
}

/// Largest side of a `sizes` attribute (`16x16 32x32`, `any` → 512).
pub(super) fn largest_size(sizes: &str) -> Option<u32> {
    sizes
        .split_ascii_whitespace()
        .filter_map(|s| {
            if s.eq_ignore_ascii_case("any") {
                return Some(512);
            }
            let (w, h) = s.split_once(['x', 'X'])?;
            Some(w.parse::<u32>().ok()?.max(h.parse::<u32>().ok()?))
        })
        .max()
}

pub(super) fn px(v: Option<String>) -> Option<u32> {
    let v = v?;
    let d: String = v.trim().chars().take_while(char::is_ascii_digit).collect();
    d.parse().ok()
}

/// Keeps `[A-Za-z0-9_-]` of a class/id so it can be spliced into a synthetic selector.
pub(super) fn ident(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(64)
        .collect()
}

/// Resolves a raw URL from the page: http(s) only, or `data:` up to [`super::MAX_DATA_URL_BYTES`].
pub(super) fn resolve(base: &Url, raw: &str) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > super::MAX_DATA_URL_BYTES {
        return None;
    }
    let u = base.join(raw).ok()?;
    match u.scheme() {
        "http" | "https" if raw.len() <= 8192 => Some(u),
        "data" => Some(u),
        _ => None,
    }
}
