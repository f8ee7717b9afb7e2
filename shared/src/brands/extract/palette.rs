//! Colour decision: background, accent, palette.
//!
//! Evidence is collected as weighted votes (points × 4, integers, so sums are exact and
//! deterministic):
//! * **declared to the platform** — `meta theme-color` 8, manifest `theme_color` 7, Safari
//!   `mask-icon color` 6, `msapplication-TileColor` 5 (accent); manifest `background_color` 7
//!   (background);
//! * **design tokens** — custom properties whose name says brand/primary 6, accent/CTA 5,
//!   theme 4, main/highlight 3, secondary 2 (accent), background/bg/surface/canvas 8
//!   (background); halved when declared outside the root or as a non-base shade (`--brand-100`);
//!   names about text/foreground/borders/shadows, Tailwind internals (`--tw-*`) and Bootstrap's
//!   stock values are not brand claims;
//! * **rules** — the selector's role (logo/brand 5, primary/CTA 4, hero/button 3,
//!   card/section 2, nav/header/links/secondary 1; a role read from an ancestor counts at most
//!   2) × the property (background 4, colour/fill 3, border 2), minus status rules (error, sale,
//!   badge, …). Body/html backgrounds vote 15/14 for the ground, main containers 5, and the most
//!   declared neutral background 6. Rules of framework stylesheets (bootstrap, tailwind, …,
//!   by file name) do not vote: they describe the framework, not the brand.
//!
//! Votes for near-identical colours (ΔE76 < 10) are merged. Neutrals never vote for the accent.
//! The accent needs at least 2 points; the background 5. A tie prefers a token, then the more
//! colourful, then the earlier evidence.

use super::Fact;
use super::colour::{self, MERGE_DELTA_E, Rgb};
use super::css::Stylesheet;
use super::cssvalue::{Vars, is_dark_scoped, is_root_scoped, resolve, split_top};
use super::manifest::Manifest;
use super::page::Page;
use super::selector::{STATUS, compounds, role};
use super::text::words;
use std::collections::{BTreeMap, BTreeSet};

const NOT_A_FILL: &[&str] = &[
    "text",
    "foreground",
    "fg",
    "on",
    "shadow",
    "muted",
    "placeholder",
    "disabled",
    "ring",
    "overlay",
    "gray",
    "grey",
    "neutral",
    "black",
    "white",
    "opacity",
    "font",
    "size",
    "radius",
    "spacing",
    "width",
    "height",
    "duration",
    "border",
    "outline",
    "gradient",
    "z",
    "subtle",
    "emphasis",
    "contrast",
    "inverse",
];
const BOOTSTRAP_STOCK: &[&str] = &[
    "#0D6EFD", "#007BFF", "#6C757D", "#198754", "#28A745", "#0DCAF0", "#17A2B8", "#FFC107",
    "#DC3545", "#F8F9FA", "#212529", "#FFFFFF", "#000000",
];
const FRAMEWORK_FILES: &[&str] = &[
    "bootstrap",
    "tailwind",
    "foundation",
    "bulma",
    "materialize",
    "normalize",
    "reset",
    "uikit",
    "semantic",
    "pure-min",
    "animate",
];
pub const ACCENT_MIN: i32 = 8;
pub const BACKGROUND_MIN: i32 = 20;
const RULE_VOTES_CAP: i32 = 64;
/// Declarations weighed across all stylesheets of a site.
pub const MAX_DECIDE_DECLARATIONS: usize = 100_000;

/// All votes for one exact colour.
#[derive(Debug, Clone)]
struct Tally {
    token_sum: i32,
    rule_sum: i32,
    /// The strongest single vote, which names the source.
    best: i32,
    best_token: bool,
    source: String,
    order: u32,
}

/// Distinct colours kept for clustering (by strongest vote), bounding the O(n²) merge.
const MAX_DISTINCT: usize = 256;

#[derive(Debug, Clone)]
pub struct Cluster {
    pub rgb: Rgb,
    pub score: i32,
    pub source: String,
    token: bool,
    token_sum: i32,
    rule_sum: i32,
    order: u32,
}

#[derive(Debug, Default)]
pub struct Colours {
    pub accent: Option<Fact<String>>,
    pub background: Option<Fact<String>>,
    pub palette: Option<Fact<Vec<String>>>,
}

fn property_factor(p: &str) -> i32 {
    match p {
        "background" | "background-color" | "background-image" | "accent-color" => 4,
        "color" | "fill" | "stroke" => 3,
        _ if p.starts_with("border") || p == "outline-color" => 2,
        _ => 0,
    }
}

/// Role of a custom property name: `(accent points, is_background)`.
fn token_role(name: &str) -> Option<(i32, bool)> {
    if name.starts_with("--tw-") {
        return None;
    }
    let ws = words(name);
    if ws
        .iter()
        .any(|w| STATUS.contains(&w.as_str()) || NOT_A_FILL.contains(&w.as_str()))
    {
        return None;
    }
    if ws
        .iter()
        .any(|w| matches!(w.as_str(), "background" | "bg" | "surface" | "canvas"))
    {
        return Some((8, true));
    }
    let pts = ws
        .iter()
        .map(|w| match w.as_str() {
            "brand" | "primary" => 6,
            "accent" | "cta" => 5,
            "theme" => 4,
            "main" | "highlight" => 3,
            "secondary" => 2,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    if pts == 0 {
        return None;
    }
    // A numbered shade other than the base ones is a tint, not the brand colour itself.
    let shade = ws.iter().any(|w| {
        w.parse::<u32>()
            .is_ok_and(|n| !matches!(n, 500 | 600 | 700))
    });
    Some((if shade { (pts / 2).max(1) } else { pts }, false))
}

fn is_framework(sheet: &Stylesheet) -> bool {
    let file = sheet
        .url
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    FRAMEWORK_FILES.iter().any(|f| file.contains(f))
}

fn cluster(tallies: BTreeMap<Rgb, Tally>) -> Vec<Cluster> {
    let mut seeds: Vec<(Rgb, Tally)> = tallies.into_iter().collect();
    seeds.sort_by(|(_, a), (_, b)| {
        b.best
            .cmp(&a.best)
            .then(b.best_token.cmp(&a.best_token))
            .then(a.order.cmp(&b.order))
    });
    seeds.truncate(MAX_DISTINCT);
    let mut out: Vec<Cluster> = Vec::new();
    for (rgb, t) in seeds {
        let token = t.token_sum > 0;
        match out.iter_mut().find(|c| c.rgb.delta_e(rgb) < MERGE_DELTA_E) {
            Some(c) => {
                c.token_sum += t.token_sum;
                c.rule_sum += t.rule_sum;
                c.token |= token;
                c.order = c.order.min(t.order);
            }
            None => out.push(Cluster {
                rgb,
                score: 0,
                source: t.source,
                token,
                token_sum: t.token_sum,
                rule_sum: t.rule_sum,
                order: t.order,
            }),
        }
    }
    for c in &mut out {
        c.score = c.token_sum + c.rule_sum.min(RULE_VOTES_CAP);
    }
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.token.cmp(&a.token))
            .then(
                ((b.rgb.damped_chroma() * 100.0) as i32)
                    .cmp(&((a.rgb.damped_chroma() * 100.0) as i32)),
            )
            .then(a.order.cmp(&b.order))
    });
    out
}

struct Collector {
    accent: BTreeMap<Rgb, Tally>,
    ground: BTreeMap<Rgb, Tally>,
    text: Option<Rgb>,
    order: u32,
}

impl Collector {
    /// One vote; `source` is only built when it becomes the colour's strongest vote.
    fn vote(
        &mut self,
        ground: bool,
        rgb: Rgb,
        weight: i32,
        source: impl FnOnce() -> String,
        token: bool,
    ) {
        self.order += 1;
        if weight <= 0 || (!ground && rgb.is_neutral()) {
            return;
        }
        let map = if ground {
            &mut self.ground
        } else {
            &mut self.accent
        };
        let t = map.entry(rgb).or_insert_with(|| Tally {
            token_sum: 0,
            rule_sum: 0,
            best: 0,
            best_token: false,
            source: String::new(),
            order: self.order,
        });
        if token {
            t.token_sum += weight;
        } else {
            t.rule_sum += weight;
        }
        if weight > t.best || (weight == t.best && token && !t.best_token) {
            t.best = weight;
            t.best_token = token;
            t.source = source();
        }
    }
}

/// Decides the colours. `sheets` includes the page's inline CSS.
pub fn decide(
    page: &Page,
    sheets: &[&Stylesheet],
    vars: &Vars,
    manifest: Option<&Manifest>,
) -> Colours {
    let mut c = Collector {
        accent: BTreeMap::new(),
        ground: BTreeMap::new(),
        text: None,
        order: 0,
    };
    let platform = [
        (page.theme_color.as_deref(), 32, "meta:theme-color", false),
        (
            manifest.and_then(|m| m.theme_color.as_deref()),
            28,
            "manifest:theme_color",
            false,
        ),
        (
            page.mask_icon_color.as_deref(),
            24,
            "link:mask-icon color",
            false,
        ),
        (
            page.tile_color.as_deref(),
            20,
            "meta:msapplication-TileColor",
            false,
        ),
        (
            manifest.and_then(|m| m.background_color.as_deref()),
            28,
            "manifest:background_color",
            true,
        ),
    ];
    for (value, w, src, ground) in platform {
        if let Some(rgb) = value.and_then(|v| colour::parse(v.trim())) {
            c.vote(ground, rgb, w, || src.into(), true);
        }
    }
    tokens(&mut c, sheets, vars);
    rules(&mut c, sheets, vars);
    finish(c)
}

fn tokens(c: &mut Collector, sheets: &[&Stylesheet], vars: &Vars) {
    let mut seen = BTreeSet::new();
    for cp in sheets.iter().flat_map(|s| &s.custom_properties) {
        if is_dark_scoped(&cp.selector) || !seen.insert(cp.name.as_str()) {
            continue;
        }
        let Some((pts, ground)) = token_role(&cp.name) else {
            continue;
        };
        let root = vars.is_root(&cp.name);
        let value = if root {
            vars.get(&cp.name).unwrap_or(&cp.value)
        } else {
            &cp.value
        };
        let Some(v) = resolve(value, &[], vars) else {
            continue;
        };
        let Some(rgb) = colour::parse(&v).or_else(|| colour::parse_channels(&v)) else {
            continue;
        };
        if !ground && cp.name.starts_with("--bs-") && BOOTSTRAP_STOCK.contains(&rgb.hex().as_str())
        {
            continue;
        }
        let w = if root { pts * 4 } else { pts * 2 };
        c.vote(ground, rgb, w, || format!("css:{}", cp.name), true);
    }
}

fn rules(c: &mut Collector, sheets: &[&Stylesheet], vars: &Vars) {
    // Background declarations per colour: (count, first seen), for "most declared".
    let mut painted: BTreeMap<Rgb, (i32, u32)> = BTreeMap::new();
    let mut budget = MAX_DECIDE_DECLARATIONS;
    for sheet in sheets {
        let framework = is_framework(sheet);
        for rule in &sheet.rules {
            if budget == 0 {
                break;
            }
            budget = budget.saturating_sub(rule.declarations.len());
            let colourful = rule
                .declarations
                .iter()
                .any(|d| property_factor(&d.property) > 0);
            if !colourful || rule.selector.starts_with('@') || is_dark_scoped(&rule.selector) {
                continue;
            }
            let parts = split_top(&rule.selector, b',');
            let mut best: Option<(i32, &str)> = None;
            for p in parts.iter().take(32) {
                if let Some(r) = role(p)
                    && best.is_none_or(|(b, _)| r > b)
                {
                    best = Some((r, p));
                }
            }
            let Some((weight, part)) = best else { continue };
            let root_kind = ground_kind(&parts);
            for d in &rule.declarations {
                let factor = property_factor(&d.property);
                if factor == 0 {
                    continue;
                }
                let Some(v) = resolve(&d.value, &rule.declarations, vars) else {
                    continue;
                };
                let Some(rgb) = colour::find(&v) else {
                    continue;
                };
                let src = |what: &str| {
                    format!(
                        "css:{} {}",
                        what.chars().take(80).collect::<String>(),
                        d.property
                    )
                };
                if factor == 4 && d.property != "accent-color" {
                    let order = c.order;
                    painted.entry(rgb).or_insert((0, order)).0 += 1;
                    if let Some((w, what)) = root_kind {
                        c.vote(true, rgb, w, || src(what), false);
                    }
                }
                if d.property == "color" && matches!(root_kind, Some((w, _)) if w >= 56) {
                    c.text = Some(rgb);
                }
                if !framework {
                    c.vote(false, rgb, weight * factor, || src(part), false);
                }
            }
        }
    }
    let most = painted
        .into_iter()
        .filter(|(rgb, _)| rgb.is_neutral())
        .max_by(|(_, (an, ao)), (_, (bn, bo))| an.cmp(bn).then(bo.cmp(ao)));
    if let Some((rgb, (n, _))) = most.filter(|(_, (n, _))| *n >= 3) {
        let source = move || format!("css:most declared background ({n} rules)");
        c.vote(true, rgb, 24, source, false);
    }
}

/// Ground weight of a selector list: body 15, html/:root 14, main containers 5 (× 4).
fn ground_kind(parts: &[&str]) -> Option<(i32, &'static str)> {
    let mut best: Option<(i32, &'static str)> = None;
    for p in parts {
        let l = p.to_ascii_lowercase();
        let k = if is_root_scoped(&l) && l.starts_with("body") {
            Some((60, "body"))
        } else if is_root_scoped(&l) && (l.starts_with("html") || l.starts_with(":root")) {
            Some((56, "html"))
        } else if compounds(&l).len() == 1
            && words(&l).iter().any(|w| {
                matches!(
                    w.as_str(),
                    "main" | "app" | "root" | "wrapper" | "site" | "page"
                )
            })
        {
            Some((20, "main container"))
        } else {
            None
        };
        if let Some(k) = k
            && best.is_none_or(|b| k.0 > b.0)
        {
            best = Some(k);
        }
    }
    best
}

fn finish(c: Collector) -> Colours {
    let grounds = cluster(c.ground);
    let background = grounds
        .first()
        .filter(|g| g.score >= BACKGROUND_MIN)
        .cloned();
    let accents: Vec<Cluster> = cluster(c.accent)
        .into_iter()
        .filter(|a| a.score >= ACCENT_MIN)
        .collect();
    let near_bg = |a: &Cluster| {
        background
            .as_ref()
            .is_some_and(|b| b.rgb.delta_e(a.rgb) < MERGE_DELTA_E)
    };
    let accent = accents
        .iter()
        .find(|a| !near_bg(a))
        .or(accents.first())
        .cloned();

    let mut palette: Vec<(Rgb, String)> = Vec::new();
    let push = |rgb: Rgb, src: String, palette: &mut Vec<(Rgb, String)>| {
        if palette.len() < 8 && !palette.iter().any(|(p, _)| p.delta_e(rgb) < MERGE_DELTA_E) {
            palette.push((rgb, src));
        }
    };
    if let Some(a) = &accent {
        push(a.rgb, a.source.clone(), &mut palette);
    }
    // Other brand colours; one that is a near-duplicate of the ground yields to the ground.
    for a in accents.iter().filter(|a| !near_bg(a)) {
        if palette.len() >= 6 {
            break;
        }
        push(a.rgb, a.source.clone(), &mut palette);
    }
    if let Some(b) = &background {
        push(b.rgb, b.source.clone(), &mut palette);
    }
    if let Some(t) = c.text
        && !palette.is_empty()
    {
        push(t, "css:body color".into(), &mut palette);
    }
    let palette = (!palette.is_empty()).then(|| {
        let src: Vec<&str> = palette.iter().map(|(_, s)| s.as_str()).collect();
        Fact::new(
            palette.iter().map(|(r, _)| r.hex()).collect(),
            super::text::truncate_words(&src.join("; "), 300),
        )
    });
    Colours {
        accent: accent.map(|a| Fact::new(a.rgb.hex(), a.source)),
        background: background.map(|b| Fact::new(b.rgb.hex(), b.source)),
        palette,
    }
}

#[cfg(test)]
#[path = "palette_tests.rs"]
mod tests;
