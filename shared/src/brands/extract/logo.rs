//! Logo candidates, ranked.
//!
//! Order of trust (Firecrawl's and besticon's findings, without a renderer):
//! 1. an image the page itself marks as the logo (class/id/alt/src says logo, or it sits in a
//!    `.logo`/`.navbar-brand` link) inside the header — 100/90;
//! 2. the same outside the header — 80/70; a header image inside the home link — 75; any other
//!    header image — 45;
//! 3. inline SVG in the same places, 20 below the raster of the same place (raster first on a
//!    tie, as Firecrawl breaks ties) plus 2 per drawing element up to 40, and −50 when it is
//!    mostly `<text>` (a wordmark typed in a font we may not have);
//! 4. a CSS `background-image` on a logo-classed selector — 60 (+10 in the header);
//! 5. the JSON-LD `Organization.logo` — 70: declared, but often a square social image;
//! 6. icons by declared size (+1 per 24 px up to +20): apple-touch-icon 30, manifest icon 28
//!    (−20 monochrome), `link rel=icon` 25, mask-icon 15 (monochrome SVG); the conventional
//!    `/apple-touch-icon.png` 12 and `/favicon.ico` 8 (they may not exist);
//! 7. `og:image` 2 — last: usually a photo or a share card.
//!
//! Modifiers: home link +8, inside the footer −25, declared smaller than 24 px −30, alt/label
//! naming the brand +5. Images on other sites (other registrable domain) are dropped unless
//! declared by JSON-LD, the manifest, `<link>` or `og:image`. Duplicates keep their best score.
//! Ties break by document order.

use super::css::Stylesheet;
use super::manifest::Manifest;
use super::page::{LogoEvidence, LogoOrigin, Page};
use super::text::{key, words};
use super::{LogoCandidate, LogoKind, MAX_LOGO_CANDIDATES, MAX_SVG_BYTES};
use url::Url;

/// The registrable part of a host (`shop.acme.co.uk` → `acme.co.uk`), by the common two-level
/// public suffix shapes (no public suffix list: a known weakness for exotic suffixes).
pub fn registrable(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n < 2 {
        return host;
    }
    let second_level = [
        "co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "gv", "gob",
    ];
    let take = if n >= 3 && labels[n - 1].len() == 2 && second_level.contains(&labels[n - 2]) {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

fn same_site(u: &Url, site: &str) -> bool {
    u.scheme() == "data" || u.host_str().is_some_and(|h| registrable(h) == site)
}

fn size_bonus(size: Option<u32>) -> i32 {
    size.map_or(0, |s| (s / 24).min(20) as i32)
}

fn place_base(ev: &LogoEvidence) -> Option<i32> {
    Some(match (ev.logo_hint, ev.ancestor_hint, ev.in_header) {
        (true, _, true) => 100,
        (false, true, true) => 90,
        (true, _, false) => 80,
        (false, true, false) => 70,
        (false, false, true) if ev.home_link => 75,
        (false, false, true) => 45,
        (false, false, false) => return None,
    })
}

fn score(ev: &LogoEvidence, brand_key: &str) -> Option<(i32, String)> {
    let place = || {
        let mut s = String::from("html:");
        if ev.in_header {
            s.push_str("header ");
        }
        s.push_str(if ev.origin == LogoOrigin::InlineSvg {
            "svg"
        } else {
            "img"
        });
        if !ev.label.is_empty() {
            s.push('.');
            s.push_str(&ev.label.chars().take(40).collect::<String>());
        }
        s
    };
    let sz = |prefix: &str| match ev.size {
        Some(n) => format!("{prefix} {n}x{n}"),
        None => prefix.to_string(),
    };
    let (mut s, source) = match ev.origin {
        LogoOrigin::Img => (place_base(ev)?, place()),
        LogoOrigin::InlineSvg => {
            let mut s = place_base(ev)? - 20 + (ev.svg_shapes as i32 * 2).min(40);
            if ev.svg_texts > 0 && ev.svg_texts >= ev.svg_shapes {
                s -= 50;
            }
            (s, place())
        }
        LogoOrigin::CssBackground => (60 + if ev.in_header { 10 } else { 0 }, ev.label.clone()),
        LogoOrigin::JsonLd => (70, format!("jsonld:{}", ev.label)),
        LogoOrigin::AppleTouchIcon => (30 + size_bonus(ev.size), sz("link:apple-touch-icon")),
        LogoOrigin::ManifestIcon => {
            let mono = ev.label.contains("monochrome");
            (
                28 + size_bonus(ev.size) - if mono { 20 } else { 0 },
                sz("manifest:icons"),
            )
        }
        LogoOrigin::Icon => (25 + size_bonus(ev.size), sz("link:icon")),
        LogoOrigin::MaskIcon => (15, "link:mask-icon".into()),
        LogoOrigin::Conventional => {
            let path = match &ev.kind {
                LogoKind::Url(u) => u.path().to_string(),
                LogoKind::InlineSvg(_) => String::new(),
            };
            (
                if path.ends_with(".png") { 12 } else { 8 },
                format!("conventional:{path}"),
            )
        }
        LogoOrigin::OgImage => (2, "og:image".into()),
    };
    if matches!(
        ev.origin,
        LogoOrigin::Img | LogoOrigin::InlineSvg | LogoOrigin::CssBackground
    ) {
        if ev.home_link {
            s += 8;
        }
        if ev.in_footer {
            s -= 25;
        }
        if ev.size.is_some_and(|n| n < 24) {
            s -= 30;
        }
        if brand_key.len() >= 3
            && (key(&ev.alt).contains(brand_key) || key(&ev.label).contains(brand_key))
        {
            s += 5;
        }
    }
    Some((s, source))
}

/// CSS `background-image` on logo-classed selectors.
fn css_logos(sheets: &[&Stylesheet], order: &mut u32) -> Vec<LogoEvidence> {
    let mut out = Vec::new();
    for sheet in sheets {
        for rule in &sheet.rules {
            let has_image = rule.declarations.iter().any(|d| {
                d.property.starts_with("background")
                    && d.value.to_ascii_lowercase().contains("url(")
            });
            if !has_image || !rule.selector.to_ascii_lowercase().contains("logo") {
                continue;
            }
            let ws = words(&rule.selector);
            if !ws.iter().any(|w| w.contains("logo") && w != "logos")
                || ws
                    .iter()
                    .any(|w| super::context::SKIP_SELF.contains(&w.as_str()))
            {
                continue;
            }
            for d in &rule.declarations {
                if !matches!(d.property.as_str(), "background" | "background-image") {
                    continue;
                }
                let Some(raw) = css_url(&d.value) else {
                    continue;
                };
                let Some(u) = super::context::resolve(&sheet.url, &raw) else {
                    continue;
                };
                *order += 1;
                let in_header = ws
                    .iter()
                    .any(|w| matches!(w.as_str(), "header" | "nav" | "navbar" | "masthead"));
                let sel: String = rule.selector.chars().take(60).collect();
                out.push(LogoEvidence {
                    kind: LogoKind::Url(u),
                    origin: LogoOrigin::CssBackground,
                    in_header,
                    in_footer: ws.iter().any(|w| w == "footer"),
                    logo_hint: true,
                    ancestor_hint: false,
                    home_link: false,
                    size: None,
                    svg_shapes: 0,
                    svg_texts: 0,
                    label: format!("css:{sel} {}", d.property),
                    alt: String::new(),
                    order: *order,
                });
                if out.len() >= 16 {
                    return out;
                }
            }
        }
    }
    out
}

/// The first `url(…)` of a value.
fn css_url(v: &str) -> Option<String> {
    let i = v.to_ascii_lowercase().find("url(")?;
    let rest = &v[i + 4..];
    let end = rest.find(')')?;
    let inner = rest[..end].trim().trim_matches(['"', '\'']);
    (!inner.is_empty()).then(|| inner.to_string())
}

/// Ranks the page's, the stylesheets' and the manifest's logo candidates.
pub fn rank(
    page: &Page,
    sheets: &[&Stylesheet],
    manifest: Option<&Manifest>,
    site: &Url,
    brand: &str,
) -> Vec<LogoCandidate> {
    let site_dom = registrable(site.host_str().unwrap_or(""));
    let brand_key = key(brand);
    let mut evs: Vec<LogoEvidence> = page.logos.clone();
    let mut order = 1_000_000;
    evs.extend(css_logos(sheets, &mut order));
    if let Some(m) = manifest {
        for (i, icon) in m.icons.iter().enumerate() {
            evs.push(LogoEvidence {
                kind: LogoKind::Url(icon.src.clone()),
                origin: LogoOrigin::ManifestIcon,
                in_header: false,
                in_footer: false,
                logo_hint: false,
                ancestor_hint: false,
                home_link: false,
                size: icon.largest(),
                svg_shapes: 0,
                svg_texts: 0,
                label: icon.purpose.join(" "),
                alt: String::new(),
                order: 2_000_000 + i as u32,
            });
        }
    }
    let mut out: Vec<(LogoCandidate, u32)> = Vec::new();
    for ev in &evs {
        let strict = matches!(
            ev.origin,
            LogoOrigin::Img | LogoOrigin::InlineSvg | LogoOrigin::CssBackground
        );
        match &ev.kind {
            LogoKind::Url(u) => {
                if strict && !same_site(u, &site_dom) {
                    continue;
                }
                if u.scheme() == "data" && u.as_str().len() > super::MAX_DATA_URL_BYTES {
                    continue;
                }
            }
            LogoKind::InlineSvg(s) if s.is_empty() || s.len() > MAX_SVG_BYTES => continue,
            LogoKind::InlineSvg(_) => {}
        }
        let Some((score, source)) = score(ev, &brand_key) else {
            continue;
        };
        match out.iter_mut().find(|(c, _)| c.kind == ev.kind) {
            Some((c, o)) => {
                if score > c.score {
                    c.score = score;
                    c.source = source;
                    *o = ev.order;
                }
            }
            None => out.push((
                LogoCandidate {
                    source,
                    kind: ev.kind.clone(),
                    score,
                },
                ev.order,
            )),
        }
    }
    out.sort_by(|(a, ao), (b, bo)| b.score.cmp(&a.score).then(ao.cmp(bo)));
    out.into_iter()
        .take(MAX_LOGO_CANDIDATES)
        .map(|(c, _)| c)
        .collect()
}

#[cfg(test)]
#[path = "logo_tests.rs"]
mod tests;
