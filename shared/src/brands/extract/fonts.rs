//! Type: which family the headings and the body are set in.
//!
//! Headings are read from rules whose subject is `h1`–`h3` or a heading-ish class (`.heading`,
//! `.title`, `.headline`, `.display…`); the body from `body`, `html`, `:root`, `p`. A rule whose
//! selector has ancestors (`.footer h2`) ranks lower than the bare element; among equals the
//! later rule wins, as in the cascade. The family is the first *real* one of the stack: generic
//! families, CSS-wide keywords and emoji fonts are skipped, a stack that starts with the system
//! font (`system-ui`, `-apple-system`, …) is the system font (no brand family), and icon fonts
//! are never a family. When no rule names a family, the fonts the page loads (Google Fonts /
//! Bunny Fonts links and `@import`s, then `@font-face`) stand in.

use super::css::{Declaration, Stylesheet};
use super::cssvalue::{Vars, resolve, split_top, unquote};
use super::page::{GoogleFont, Page};
use super::text::words;
use super::{Fact, text::truncate_words};
use url::Url;

const GENERIC: &[&str] = &[
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "fantasy",
    "system-ui",
    "ui-serif",
    "ui-sans-serif",
    "ui-monospace",
    "ui-rounded",
    "math",
    "emoji",
    "fangsong",
    "-apple-system",
    "blinkmacsystemfont",
    "inherit",
    "initial",
    "unset",
    "revert",
    "revert-layer",
    "apple color emoji",
    "segoe ui emoji",
    "segoe ui symbol",
    "noto color emoji",
    "android emoji",
];
const SYSTEM_STACK_START: &[&str] = &[
    "system-ui",
    "-apple-system",
    "blinkmacsystemfont",
    "ui-sans-serif",
];
const ICON_FONT: &[&str] = &[
    "icon",
    "awesome",
    "material symbols",
    "glyph",
    "fontello",
    "icomoon",
    "dashicons",
    "eicons",
    "ionicons",
    "feather",
    "bootstrap-icons",
    "remixicon",
    "typicons",
];

/// Whether a URL is a Google-Fonts-style CSS API (Google, Bunny).
pub fn is_font_service(u: &Url) -> bool {
    matches!(
        u.host_str(),
        Some("fonts.googleapis.com" | "fonts.bunny.net")
    ) && u.path().starts_with("/css")
}

/// Families and weights of a Google Fonts URL: css v1 (`family=Playfair+Display:400,700|Inter`)
/// and css2 (`family=Inter:ital,wght@0,400;1,700`, repeated `family=`).
pub fn google_fonts(u: &Url) -> Vec<GoogleFont> {
    let mut out: Vec<GoogleFont> = Vec::new();
    for (k, v) in u.query_pairs().take(32) {
        if k != "family" {
            continue;
        }
        for spec in v.split('|').take(16) {
            let (name, rest) = spec.split_once(':').unwrap_or((spec, ""));
            let name = super::text::collapse_ws(name);
            if name.is_empty()
                || name.len() > 100
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
            {
                continue;
            }
            let mut weights = Vec::new();
            if let Some((axes, tuples)) = rest.split_once('@') {
                let idx = axes.split(',').position(|a| a == "wght");
                for t in tuples.split(';').take(32) {
                    if let Some(w) = idx.and_then(|i| t.split(',').nth(i)) {
                        weights.extend(w.split("..").filter_map(|x| x.parse::<u16>().ok()));
                    }
                }
            } else {
                for w in rest.split(',').take(32) {
                    let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
                    match digits.parse::<u16>() {
                        Ok(n) => weights.push(n),
                        Err(_) if w.starts_with("regular") || w == "italic" || w == "i" => {
                            weights.push(400)
                        }
                        Err(_) if w.starts_with("bold") => weights.push(700),
                        Err(_) => {}
                    }
                }
            }
            weights.retain(|w| (1..=1000).contains(w));
            weights.sort_unstable();
            weights.dedup();
            if !out.iter().any(|g| g.family == name) && out.len() < 16 {
                out.push(GoogleFont {
                    family: name,
                    weights,
                });
            }
        }
    }
    out
}

/// What a family stack says.
#[derive(Debug, PartialEq, Eq)]
pub enum Family {
    Named(String),
    System,
    None,
}

pub fn is_icon_font(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    ICON_FONT.iter().any(|i| l.contains(i))
}

/// The first real family of a `font-family` value.
pub fn first_family(value: &str) -> Family {
    let parts = split_top(value, b',');
    for (i, p) in parts.iter().take(16).enumerate() {
        let name = unquote(p);
        let l = name.to_ascii_lowercase();
        if i == 0 && SYSTEM_STACK_START.contains(&l.as_str()) {
            return Family::System;
        }
        if name.is_empty() || GENERIC.contains(&l.as_str()) || l.contains("var(") {
            continue;
        }
        if is_icon_font(&name) {
            return Family::None;
        }
        return Family::Named(truncate_words(&name, 100));
    }
    Family::None
}

/// A `font` shorthand split into what precedes the size (style, variant, weight) and the
/// family list after the size[/line-height].
fn shorthand(value: &str) -> Option<(&str, &str)> {
    let mut idx = 0;
    for tok in value.split_ascii_whitespace() {
        let start = value[idx..].find(tok).map(|p| p + idx)?;
        idx = start + tok.len();
        let t = tok.to_ascii_lowercase();
        let is_size = t.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && (t.contains("px")
                || t.contains("em")
                || t.contains('%')
                || t.contains("pt")
                || t.contains("vw")
                || t.contains("ch"))
            || t.ends_with("large")
            || t.ends_with("small")
            || t == "medium";
        if is_size {
            let rest = value[idx..].trim_start();
            let rest = match rest.strip_prefix('/') {
                Some(r) => r
                    .trim_start()
                    .split_once(char::is_whitespace)
                    .map_or("", |x| x.1),
                None => rest,
            };
            let rest = rest.trim();
            return (!rest.is_empty()).then_some((&value[..start], rest));
        }
    }
    None
}

fn weight_of(v: &str) -> Option<String> {
    let v = v.trim().to_ascii_lowercase();
    match v.as_str() {
        "bold" => Some("700".into()),
        "normal" => Some("400".into()),
        _ if v.len() == 3 && v.parse::<u16>().is_ok_and(|n| (100..=900).contains(&n)) => Some(v),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Pick {
    rank: i32,
    family: Option<(Family, String)>,
    weight: Option<(i32, String)>,
    upper: Option<(i32, bool)>,
}

/// Heading (`true`) / body (`false`) rank of one selector part; 0 when it is neither.
fn rank(part: &str, heading: bool) -> i32 {
    let compounds = super::selector::compounds(part);
    let Some(subject) = compounds.last() else {
        return 0;
    };
    let tag: String = subject
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '*')
        .collect::<String>()
        .to_ascii_lowercase();
    let ws = words(subject);
    let base = if heading {
        match tag.as_str() {
            "h1" => 30,
            "h2" => 20,
            "h3" => 15,
            _ if ws.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "heading" | "headline" | "title" | "display" | "h1"
                )
            }) =>
            {
                12
            }
            _ => 0,
        }
    } else {
        match tag.as_str() {
            "body" => 30,
            "html" => 25,
            ":root" => 20,
            "p" => 10,
            _ => 0,
        }
    };
    if base > 0 && compounds.len() > 1 {
        base - 6
    } else {
        base
    }
}

fn pick(sheets: &[&Stylesheet], vars: &Vars, heading: bool) -> Pick {
    let mut best = Pick::default();
    for sheet in sheets {
        for rule in &sheet.rules {
            let typographic = rule.declarations.iter().any(|d| {
                matches!(
                    d.property.as_str(),
                    "font" | "font-family" | "font-weight" | "text-transform"
                )
            });
            if !typographic {
                continue;
            }
            let r = split_top(&rule.selector, b',')
                .into_iter()
                .take(32)
                .map(|p| rank(p, heading))
                .max()
                .unwrap_or(0);
            if r == 0 {
                continue;
            }
            apply(&mut best, r, &rule.declarations, vars, &rule.selector);
        }
    }
    best
}

fn apply(best: &mut Pick, r: i32, decls: &[Declaration], vars: &Vars, selector: &str) {
    let set_weight = |best: &mut Pick, w: Option<String>| match w {
        Some(w) if best.weight.as_ref().is_none_or(|(wr, _)| r >= *wr) => {
            best.weight = Some((r, w))
        }
        _ => {}
    };
    for d in decls {
        let Some(v) = resolve(&d.value, decls, vars) else {
            continue;
        };
        match d.property.as_str() {
            "font-family" | "font" => {
                let shorthand = d.property == "font";
                let fam_text = if shorthand {
                    // The weight of a shorthand comes before its size.
                    let split = self::shorthand(&v);
                    if let Some((before, _)) = split {
                        set_weight(best, before.split_ascii_whitespace().find_map(weight_of));
                    }
                    split.map(|(_, family)| family)
                } else {
                    Some(v.as_str())
                };
                let fam = fam_text.map(first_family).unwrap_or(Family::None);
                if fam != Family::None && r >= best.rank {
                    best.rank = r;
                    let sel: String = selector.chars().take(60).collect();
                    best.family = Some((fam, format!("css:{sel} {}", d.property)));
                }
            }
            "font-weight" => set_weight(best, weight_of(&v)),
            "text-transform" if best.upper.as_ref().is_none_or(|(ur, _)| r >= *ur) => {
                best.upper = Some((r, v.trim().eq_ignore_ascii_case("uppercase")));
            }
            _ => {}
        }
    }
}

fn describe(p: &Pick, family: &str) -> String {
    let mut extras = Vec::new();
    if let Some((_, w)) = &p.weight {
        extras.push(w.clone());
    }
    if let Some((_, true)) = p.upper {
        extras.push("uppercase".into());
    }
    if extras.is_empty() {
        family.to_string()
    } else {
        format!("{family} ({})", extras.join(", "))
    }
}

/// `(font_family, typography_rules)`.
pub fn decide(
    page: &Page,
    sheets: &[&Stylesheet],
    vars: &Vars,
) -> (Option<Fact<String>>, Option<Fact<String>>) {
    let head = pick(sheets, vars, true);
    let body = pick(sheets, vars, false);
    let mut loaded: Vec<&GoogleFont> = page.google_fonts.iter().collect();
    for s in sheets {
        for g in &s.google_fonts {
            if !loaded.iter().any(|l| l.family == g.family) {
                loaded.push(g);
            }
        }
    }
    let name_of = |p: &Pick| match &p.family {
        Some((Family::Named(n), _)) => Some(n.clone()),
        _ => None,
    };
    let mut rules = Vec::new();
    let mut sources = Vec::new();
    for (label, p) in [("Headings", &head), ("body", &body)] {
        match &p.family {
            Some((Family::Named(n), src)) => {
                rules.push(format!("{label}: {}", describe(p, n)));
                sources.push(src.clone());
            }
            Some((Family::System, src)) => {
                rules.push(format!("{label}: {}", describe(p, "the system UI font")));
                sources.push(src.clone());
            }
            _ => {}
        }
    }
    let family = match (name_of(&head), name_of(&body)) {
        (Some(h), _) => Some(Fact::new(
            h,
            head.family.as_ref().map_or("", |f| &f.1).to_string(),
        )),
        (None, Some(b)) => Some(Fact::new(
            b,
            body.family.as_ref().map_or("", |f| &f.1).to_string(),
        )),
        _ => loaded
            .iter()
            .find(|g| !is_icon_font(&g.family))
            .map(|g| Fact::new(g.family.clone(), "link:fonts.googleapis.com"))
            .or_else(|| {
                sheets
                    .iter()
                    .flat_map(|s| &s.font_faces)
                    .find(|f| !is_icon_font(&f.family))
                    .map(|f| Fact::new(truncate_words(&f.family, 100), "css:@font-face"))
            }),
    };
    if rules.is_empty() {
        let fams: Vec<String> = loaded
            .iter()
            .filter(|g| !is_icon_font(&g.family))
            .take(4)
            .map(|g| {
                let w: Vec<String> = g.weights.iter().map(u16::to_string).collect();
                if w.is_empty() {
                    g.family.clone()
                } else {
                    format!("{} ({})", g.family, w.join(", "))
                }
            })
            .collect();
        if !fams.is_empty() {
            rules.push(format!("Fonts loaded: {}", fams.join("; ")));
            sources.push("link:fonts.googleapis.com".into());
        }
    }
    let typography = (!rules.is_empty())
        .then(|| Fact::new(truncate_words(&rules.join("; "), 500), sources.join(" + ")));
    (family, typography)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn google_fonts_v1_and_css2() {
        let g = google_fonts(&u(
            "https://fonts.googleapis.com/css?family=Playfair+Display:400,700italic|Inter&display=swap",
        ));
        assert_eq!(g[0].family, "Playfair Display");
        assert_eq!(g[0].weights, [400, 700]);
        assert_eq!(g[1].family, "Inter");
        let g = google_fonts(&u(
            "https://fonts.googleapis.com/css2?family=Playfair+Display:wght@700&family=Inter:ital,wght@0,400;1,600&family=Roboto:wght@100..900",
        ));
        let names: Vec<_> = g.iter().map(|g| g.family.as_str()).collect();
        assert_eq!(names, ["Playfair Display", "Inter", "Roboto"]);
        assert_eq!(g[0].weights, [700]);
        assert_eq!(g[1].weights, [400, 600]);
        assert_eq!(g[2].weights, [100, 900]);
        assert!(is_font_service(&u(
            "https://fonts.bunny.net/css?family=inter"
        )));
        assert!(!is_font_service(&u(
            "https://fonts.gstatic.com/s/inter.woff2"
        )));
    }

    #[test]
    fn first_family_rules() {
        assert_eq!(
            first_family("\"Playfair Display\", Georgia, serif"),
            Family::Named("Playfair Display".into())
        );
        assert_eq!(
            first_family("inherit, 'Inter', sans-serif"),
            Family::Named("Inter".into())
        );
        assert_eq!(
            first_family("-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto"),
            Family::System
        );
        assert_eq!(first_family("sans-serif"), Family::None);
        assert_eq!(first_family("'Font Awesome 6 Free'"), Family::None);
        assert_eq!(first_family("Material Symbols Outlined"), Family::None);
    }

    #[test]
    fn shorthand_parts() {
        assert_eq!(
            shorthand("italic 700 2rem/1.2 \"Playfair Display\", serif"),
            Some(("italic 700 ", "\"Playfair Display\", serif"))
        );
        assert_eq!(shorthand("16px Inter"), Some(("", "Inter")));
        assert_eq!(shorthand("bold 1em / 1.5 Arial"), Some(("bold ", "Arial")));
        assert_eq!(shorthand("inherit"), None);
    }

    fn sheet(css: &str) -> Stylesheet {
        super::super::css::read_stylesheet(css.as_bytes(), &u("https://a.test/s.css"))
    }

    #[test]
    fn headings_and_body_with_vars() {
        let s = sheet(
            ":root{--font-display:'Playfair Display',serif;--font-body:Inter,sans-serif}
             body{font-family:var(--font-body);font-weight:400}
             .footer h1{font-family:Comic Sans MS}
             h1,h2{font-family:var(--font-display);font-weight:700;text-transform:uppercase}",
        );
        let vars = Vars::build(&[&s]);
        let page = Page::empty(&u("https://a.test/"));
        let (f, t) = decide(&page, &[&s], &vars);
        assert_eq!(f.unwrap().value, "Playfair Display");
        let t = t.unwrap();
        assert_eq!(
            t.value,
            "Headings: Playfair Display (700, uppercase); body: Inter (400)"
        );
        assert!(t.source.contains("css:h1,h2 font-family"), "{}", t.source);
    }

    #[test]
    fn falls_back_to_loaded_fonts() {
        let mut page = Page::empty(&u("https://a.test/"));
        page.google_fonts = google_fonts(&u(
            "https://fonts.googleapis.com/css2?family=Lora:wght@400;700",
        ));
        let s = sheet("body{font-family:system-ui,sans-serif}");
        let (f, t) = decide(&page, &[&s], &Vars::build(&[&s]));
        assert_eq!(f.unwrap().value, "Lora");
        assert_eq!(t.unwrap().value, "body: the system UI font");
        let empty = sheet(
            "@font-face{font-family:'Brand Grotesk';font-weight:700} @font-face{font-family:FontAwesome}",
        );
        let page = Page::empty(&u("https://a.test/"));
        let (f, t) = decide(&page, &[&empty], &Vars::default());
        assert_eq!(
            f.unwrap(),
            Fact::new("Brand Grotesk".to_string(), "css:@font-face")
        );
        assert!(t.is_none());
    }
}
