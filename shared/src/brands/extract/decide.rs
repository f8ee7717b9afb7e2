//! Stage 3: from evidence to facts. Colours, type and logos have their own modules
//! ([`super::palette`], [`super::fonts`], [`super::logo`]); the name, slogan, call to action and
//! tone of voice are decided here.
//!
//! * **Name** — the site's own claim first: `og:site_name` > JSON-LD Organization/Brand (and
//!   subtypes) `name` > `application-name` / `apple-mobile-web-app-title` > JSON-LD `WebSite`
//!   `name` > the `<title>` segment that looks like the brand (see [`title_name`]) > manifest
//!   `name`/`short_name` > the first short `h1` > the domain label, capitalised (always there).
//! * **Slogan** — JSON-LD `slogan` > the first hero `h1` (then hero `h2`) that is not just the
//!   name > the first sentence of `og:description` / `meta description` / JSON-LD description.
//!   ≤ 200 characters, cut at a word boundary.
//! * **Call to action** — the text of the most emphasised button-like link in the hero, then the
//!   header (class says cta/primary > btn/button; hero > header; earlier first), 1–6 words,
//!   ≤ 60 characters, never account/cart/search/cookie/language UI.
//! * **Tone** — only described when there are at least 8 words of the site's own copy (headings,
//!   descriptions, slogan, CTAs); each phrase names a marker that was counted.

use super::css::{Stylesheet, read_stylesheet};
use super::cssvalue::Vars;
use super::manifest::Manifest;
use super::page::Page;
use super::text::{first_sentence, key, title_case_label, truncate_words, word_count, words};
use super::{Extracted, Fact};
use url::Url;

const SEPARATORS: &[&str] = &[
    " | ", " - ", " — ", " – ", " · ", " :: ", " • ", " » ", " ~ ",
];
const GENERIC_SEGMENTS: &[&str] = &[
    "home",
    "homepage",
    "home page",
    "welcome",
    "index",
    "official site",
    "official website",
    "start",
    "startseite",
    "accueil",
    "inicio",
    "untitled",
    "shop",
    "store",
    "online shop",
    "blog",
    "news",
    "about",
    "about us",
    "contact",
    "products",
    "services",
];
const NOT_A_CTA: &[&str] = &[
    "log in",
    "login",
    "sign in",
    "signin",
    "log out",
    "logout",
    "my account",
    "account",
    "cart",
    "basket",
    "bag",
    "search",
    "menu",
    "close",
    "skip to content",
    "skip to main content",
    "accept",
    "accept all",
    "reject",
    "reject all",
    "decline",
    "toggle navigation",
    "english",
    "back",
    "next",
    "previous",
    "more",
    "read more",
];

pub fn decide(
    page: &Page,
    sheets: &[Stylesheet],
    manifest: Option<&Manifest>,
    site_url: &Url,
) -> Extracted {
    let inline: Vec<Stylesheet> = page
        .inline_css
        .iter()
        .map(|css| read_stylesheet(css.as_bytes(), &page.base_url))
        .collect();
    let all: Vec<&Stylesheet> = sheets.iter().chain(inline.iter()).collect();
    let vars = Vars::build(&all);
    let colours = super::palette::decide(page, &all, &vars, manifest);
    let (font_family, typography_rules) = super::fonts::decide(page, &all, &vars);
    let name = name(page, manifest, site_url);
    let core_slogan = slogan(page, &name.value);
    let call_to_action = cta(page);
    let tone_of_voice = tone(page, core_slogan.as_ref(), call_to_action.as_ref());
    let logo_candidates = super::logo::rank(page, &all, manifest, site_url, &name.value);
    Extracted {
        name: Some(name),
        primary_background_hex: colours.background,
        primary_accent_hex: colours.accent,
        color_palette: colours.palette,
        font_family,
        typography_rules,
        core_slogan,
        tone_of_voice,
        call_to_action,
        logo_candidates,
    }
}

fn usable_name(s: &str) -> Option<String> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.chars().any(char::is_alphanumeric)
        && !GENERIC_SEGMENTS.contains(&s.to_lowercase().as_str());
    ok.then(|| truncate_words(s, 100))
}

/// The domain's registrable label, capitalised: `www.my-bakery.co.uk` → `My Bakery`.
pub fn domain_name(site: &Url) -> String {
    let host = site.host_str().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    let reg = super::logo::registrable(host);
    let label = if reg.parse::<std::net::IpAddr>().is_ok() {
        &reg
    } else {
        reg.split('.').next().unwrap_or(&reg)
    };
    let n = title_case_label(label);
    if n.is_empty() { "Unknown".into() } else { n }
}

/// The brand part of a title. Segments between separators are candidates; generic ones
/// ("Home", "Welcome") are dropped. A segment that matches another signal (the domain label,
/// the manifest name, the JSON-LD WebSite name, a logo's alt text) wins; otherwise the one with
/// fewest words (taglines are longer than names), the first on a tie. A title without
/// separators is a name only when it is short (≤ 6 words).
pub fn title_name(title: &str, others: &[String]) -> Option<String> {
    let mut segs: Vec<&str> = vec![title];
    for sep in SEPARATORS {
        segs = segs.iter().flat_map(|s| s.split(sep)).collect();
    }
    let segs: Vec<&str> = segs
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !GENERIC_SEGMENTS.contains(&s.to_lowercase().as_str()))
        .take(8)
        .collect();
    let matches = |s: &str| {
        let k = key(s);
        k.len() >= 2
            && others
                .iter()
                .any(|o| o.len() >= 3 && (k.contains(o.as_str()) || o.contains(&k)))
    };
    let pick = match segs.len() {
        0 => return None,
        1 => (word_count(segs[0]) <= 6).then_some(segs[0])?,
        _ => segs
            .iter()
            .enumerate()
            .min_by_key(|(i, s)| (!matches(s), word_count(s), *i))
            .map(|(_, s)| *s)?,
    };
    usable_name(pick)
}

fn name(page: &Page, manifest: Option<&Manifest>, site: &Url) -> Fact<String> {
    let org = page
        .jsonld
        .iter()
        .find(|e| e.kind != "WebSite" && e.name.is_some());
    let web = page
        .jsonld
        .iter()
        .find(|e| e.kind == "WebSite" && e.name.is_some());
    let mut others: Vec<String> = vec![key(&domain_name(site))];
    others.extend(manifest.and_then(|m| m.name.as_deref()).map(key));
    others.extend(manifest.and_then(|m| m.short_name.as_deref()).map(key));
    others.extend(web.and_then(|w| w.name.as_deref()).map(key));
    others.extend(
        page.logos
            .iter()
            .filter(|l| !l.alt.is_empty())
            .map(|l| key(&l.alt).replace("logo", "")),
    );
    others.retain(|o| o.len() >= 3);
    let first_h1 = page
        .headings
        .iter()
        .find(|h| h.level == 1)
        .map(|h| h.text.as_str());
    let candidates: [(Option<String>, String); 7] = [
        (page.og_site_name.clone(), "og:site_name".into()),
        (
            org.and_then(|e| e.name.clone()),
            format!("jsonld:{}.name", org.map_or("", |e| &e.kind)),
        ),
        (
            page.application_name.clone(),
            "meta:application-name".into(),
        ),
        (
            web.and_then(|e| e.name.clone()),
            "jsonld:WebSite.name".into(),
        ),
        (
            page.title.as_deref().and_then(|t| title_name(t, &others)),
            "title".into(),
        ),
        (
            manifest.and_then(|m| {
                m.name
                    .clone()
                    .filter(|n| word_count(n) <= 6)
                    .or(m.short_name.clone())
            }),
            "manifest:name".into(),
        ),
        (
            first_h1
                .filter(|h| h.chars().count() <= 60 && word_count(h) <= 6)
                .map(str::to_string),
            "html:h1".into(),
        ),
    ];
    for (v, src) in candidates {
        if let Some(n) = v.as_deref().and_then(usable_name) {
            return Fact::new(n, src);
        }
    }
    Fact::new(domain_name(site), "domain")
}

fn slogan(page: &Page, name: &str) -> Option<Fact<String>> {
    let fit = |s: &str| Some(truncate_words(s, 200)).filter(|s| !s.is_empty());
    if let Some(e) = page.jsonld.iter().find(|e| e.slogan.is_some())
        && let Some(s) = e.slogan.as_deref().and_then(fit)
    {
        return Some(Fact::new(s, format!("jsonld:{}.slogan", e.kind)));
    }
    let nk = key(name);
    let not_name = |t: &str| {
        let k = key(t);
        !k.is_empty() && k != nk && !(nk.contains(&k)) && word_count(t) >= 2
    };
    for level in [1u8, 2] {
        let h = page
            .headings
            .iter()
            .filter(|h| h.level == level && (level == 1 || h.in_hero))
            .find(|h| {
                not_name(&h.text) && !(h.in_header && level == 1 && word_count(&h.text) <= 3)
            });
        if let Some(h) = h.and_then(|h| fit(&h.text).map(|t| (t, h.level))) {
            return Some(Fact::new(h.0, format!("html:h{}", h.1)));
        }
    }
    let org_desc = page.jsonld.iter().find(|e| e.description.is_some());
    let descs = [
        (page.og_description.as_deref(), "og:description".to_string()),
        (
            page.meta_description.as_deref(),
            "meta:description".to_string(),
        ),
        (
            org_desc.and_then(|e| e.description.as_deref()),
            format!("jsonld:{}.description", org_desc.map_or("", |e| &e.kind)),
        ),
    ];
    descs.into_iter().find_map(|(d, src)| {
        let s = first_sentence(d?.trim());
        not_name(s)
            .then(|| fit(s))
            .flatten()
            .map(|s| Fact::new(s, src))
    })
}

fn cta(page: &Page) -> Option<Fact<String>> {
    page.ctas
        .iter()
        .filter(|c| {
            let t = c.text.to_lowercase();
            let t = t.trim_matches(|ch: char| !ch.is_alphanumeric());
            (1..=6).contains(&word_count(&c.text))
                && c.text.chars().count() <= 60
                && c.text.chars().any(char::is_alphabetic)
                && !NOT_A_CTA.contains(&t)
        })
        .max_by_key(|c| {
            let s = c.emphasis as i32 * 3
                + if c.in_hero { 4 } else { 0 }
                + if c.in_header { 1 } else { 0 };
            (s, std::cmp::Reverse(c.order))
        })
        .map(|c| {
            let place = if c.in_hero { "hero" } else { "header" };
            Fact::new(
                truncate_words(&c.text, 60),
                format!("html:{place} {}", c.element),
            )
        })
}

const IMPERATIVE: &[&str] = &[
    "get",
    "start",
    "try",
    "shop",
    "order",
    "discover",
    "join",
    "book",
    "explore",
    "find",
    "create",
    "build",
    "learn",
    "see",
    "buy",
    "sign",
    "download",
    "meet",
    "taste",
    "visit",
    "call",
    "make",
    "grow",
    "save",
    "request",
    "contact",
    "browse",
    "subscribe",
    "reserve",
];
const LEXICONS: &[(&str, &[&str])] = &[
    (
        "premium and craft-focused",
        &[
            "luxury",
            "premium",
            "exclusive",
            "finest",
            "elegant",
            "bespoke",
            "crafted",
            "handcrafted",
            "artisan",
            "artisanal",
            "heritage",
            "timeless",
            "refined",
        ],
    ),
    (
        "warm and friendly",
        &[
            "fresh",
            "homemade",
            "family",
            "local",
            "love",
            "loved",
            "delicious",
            "cozy",
            "cosy",
            "neighbourhood",
            "neighborhood",
            "friendly",
            "community",
            "baked",
            "warm",
            "happy",
            "welcome",
        ],
    ),
    (
        "technical and professional",
        &[
            "platform",
            "api",
            "data",
            "cloud",
            "software",
            "enterprise",
            "scalable",
            "secure",
            "security",
            "automation",
            "developers",
            "integration",
            "analytics",
            "infrastructure",
            "ai",
            "workflow",
            "teams",
        ],
    ),
    (
        "playful",
        &[
            "fun", "awesome", "amazing", "super", "yay", "wow", "epic", "cool", "magic", "joy",
        ],
    ),
    (
        "values-led (sustainability)",
        &[
            "sustainable",
            "organic",
            "natural",
            "eco",
            "planet",
            "ethical",
            "recycled",
            "climate",
        ],
    ),
];

fn tone(
    page: &Page,
    slogan: Option<&Fact<String>>,
    cta: Option<&Fact<String>>,
) -> Option<Fact<String>> {
    let mut texts: Vec<(&str, &str)> = Vec::new();
    for h in page.headings.iter().take(3) {
        texts.push((&h.text, if h.level == 1 { "html:h1" } else { "html:h2" }));
    }
    if let Some(s) = slogan.filter(|s| s.source.starts_with("jsonld")) {
        texts.push((&s.value, "jsonld:slogan"));
    }
    if let Some(d) = page
        .og_description
        .as_deref()
        .or(page.meta_description.as_deref())
    {
        texts.push((d, "meta:description"));
    }
    if let Some(c) = cta {
        texts.push((&c.value, "html:cta"));
    }
    let all: String = texts
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(" . ");
    let ws = words(&all);
    if ws.len() < 8 {
        return None;
    }
    let count = |set: &[&str]| ws.iter().filter(|w| set.contains(&w.as_str())).count();
    let mut traits: Vec<String> = Vec::new();
    for (label, lex) in LEXICONS {
        if count(lex) >= 1 {
            traits.push((*label).to_string());
        }
    }
    let you = count(&["you", "your", "yours", "yourself"]);
    let we = count(&["we", "our", "us", "ours"]);
    if you > 0 {
        traits.push("speaks directly to the reader (\"you\")".into());
    }
    if we > 0 {
        traits.push("personal \"we\" voice".into());
    }
    let starts: Vec<String> = texts
        .iter()
        .flat_map(|(t, _)| t.split(['.', '!', '?']))
        .filter_map(|s| words(s).into_iter().next())
        .collect();
    if starts.iter().any(|w| IMPERATIVE.contains(&w.as_str())) {
        traits.push("action-oriented (imperatives)".into());
    }
    let bangs = all.matches('!').count();
    if bangs > 0 {
        traits.push(format!(
            "enthusiastic ({bangs} exclamation mark{})",
            if bangs == 1 { "" } else { "s" }
        ));
    }
    if all.contains('?') {
        traits.push("conversational (asks questions)".into());
    }
    let contractions = [
        "'re", "n't", "'ll", "'ve", "'m", "’re", "n’t", "’ll", "’ve", "’m",
    ];
    let avg_len = ws.iter().map(|w| w.chars().count()).sum::<usize>() as f32 / ws.len() as f32;
    if contractions.iter().any(|c| all.contains(c)) {
        traits.push("informal (contractions)".into());
    } else if avg_len >= 6.0 && you == 0 {
        traits.push("formal (long words, no contractions)".into());
    }
    let sentences = all
        .split(['.', '!', '?'])
        .filter(|s| word_count(s) > 0)
        .count()
        .max(1);
    let per = ws.len() as f32 / sentences as f32;
    if per <= 8.0 {
        traits.push("short, punchy sentences".into());
    } else if per >= 20.0 {
        traits.push("long, explanatory sentences".into());
    }
    if traits.is_empty() {
        traits.push("plain and descriptive".into());
    }
    let mut s = traits.join("; ");
    if let Some(f) = s.get(..1) {
        s = f.to_uppercase() + &s[1..];
    }
    s.push('.');
    let mut srcs: Vec<&str> = texts.iter().map(|(_, s)| *s).collect();
    srcs.dedup();
    Some(Fact::new(
        truncate_words(&s, 500),
        format!("derived:{}", srcs.join("+")),
    ))
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
