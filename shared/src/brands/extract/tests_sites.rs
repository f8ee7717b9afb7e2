//! Whole-page tests: realistic small sites through all three stages, as the fetcher would
//! drive them (page → stylesheets and manifest it names → decide).

use super::*;

/// Runs the pipeline; `files` maps absolute URLs to bodies (what the fetcher would return).
fn extract(site: &str, html: &str, files: &[(&str, &str)]) -> (Page, Extracted) {
    let site = Url::parse(site).unwrap();
    let page = read_page(html.as_bytes(), &site);
    let get = |u: &Url| {
        files
            .iter()
            .find(|(k, _)| *k == u.as_str())
            .map(|(_, v)| *v)
    };
    let mut sheets = Vec::new();
    let mut queue: Vec<Url> = page.stylesheets.clone();
    let mut fetched = 0;
    while let Some(u) = queue.first().cloned() {
        queue.remove(0);
        fetched += 1;
        assert!(fetched <= MAX_STYLESHEETS + MAX_IMPORTS);
        if let Some(body) = get(&u) {
            let s = read_stylesheet(body.as_bytes(), &u);
            queue.extend(s.imports.iter().cloned());
            sheets.push(s);
        }
    }
    let manifest = page
        .manifest
        .as_ref()
        .and_then(|u| get(u).map(|b| read_manifest(b.as_bytes(), u)));
    let e = decide(&page, &sheets, manifest.as_ref(), &site);
    // Every result obeys the brand_dna limits.
    let hex = |s: &str| {
        s.len() == 7
            && s.starts_with('#')
            && s[1..]
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    };
    for f in [&e.primary_accent_hex, &e.primary_background_hex]
        .into_iter()
        .flatten()
    {
        assert!(hex(&f.value), "{}", f.value);
    }
    if let Some(p) = &e.color_palette {
        assert!((1..=8).contains(&p.value.len()) && p.value.iter().all(|c| hex(c)));
    }
    let within = |f: &Option<Fact<String>>, n: usize| {
        f.as_ref().is_none_or(|f| f.value.chars().count() <= n)
    };
    assert!(within(&e.typography_rules, 500) && within(&e.font_family, 100));
    assert!(within(&e.core_slogan, 200) && within(&e.tone_of_voice, 500));
    assert!(within(&e.call_to_action, 60));
    (page, e)
}

fn v(f: &Option<Fact<String>>) -> (&str, &str) {
    let f = f.as_ref().expect("fact present");
    (f.value.as_str(), f.source.as_str())
}

fn logo_urls(e: &Extracted) -> Vec<String> {
    e.logo_candidates
        .iter()
        .map(|c| match &c.kind {
            LogoKind::Url(u) => u.to_string(),
            LogoKind::InlineSvg(_) => "inline-svg".into(),
        })
        .collect()
}

const BAKERY_HTML: &str = r##"<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Rosie's Bakery | Sourdough &amp; Pastries in Leeds</title>
<meta name="description" content="Family-run bakery baking fresh sourdough, croissants and cakes every morning since 1987. Order online for collection.">
<meta name="theme-color" content="#b5452f">
<link rel="preconnect" href="https://fonts.gstatic.com">
<link href="https://fonts.googleapis.com/css2?family=Playfair+Display:wght@700&family=Lato:wght@400;700&display=swap" rel="stylesheet">
<link rel="stylesheet" href="/assets/css/style.css?v=3">
<link rel="icon" href="/favicon-32.png" sizes="32x32">
<link rel="apple-touch-icon" href="/apple-touch-icon-180.png">
<meta property="og:image" content="https://rosiesbakery.example/img/share.jpg">
</head><body>
<div class="cookie-banner"><p>We use cookies.</p><button class="btn btn-primary">Accept all</button></div>
<header class="site-header">
  <a href="/" class="site-header__brand"><img src="/img/rosies-logo.png" alt="Rosie's Bakery logo" width="180" height="60"></a>
  <nav><ul><li><a href="/menu">Our bread</a></li><li><a href="/about">About</a></li></ul>
  <a href="/basket" class="basket"><img src="/img/icons/basket.svg" alt="Basket"></a></nav>
</header>
<main>
<section class="hero">
  <h1>Real bread, baked by hand every morning</h1>
  <p>Slow-fermented sourdough from our ovens to your table.</p>
  <a class="btn btn-primary" href="/order">Order for collection</a>
  <a class="btn btn-outline" href="/menu">See the menu</a>
</section>
<section class="stockists"><h2>Find us in</h2><div class="logos"><img src="/img/stockist-logo-1.png" class="logo"></div></section>
</main>
<footer><img src="/img/rosies-logo-white.png" class="footer-logo" alt="Rosie's"></footer>
</body></html>"##;

const BAKERY_CSS: &str = r#"
:root { --cream: #fdf6ec; }
html { box-sizing: border-box }
body { margin: 0; background: var(--cream); color: #3b2a20; font-family: 'Lato', sans-serif; }
h1, h2, h3 { font-family: "Playfair Display", Georgia, serif; font-weight: 700 }
.site-header { background: #fff; border-bottom: 1px solid #eadfcc }
.site-header nav a { color: #3b2a20 }
.btn { border-radius: 4px; padding: .5rem 1rem }
.btn-primary { background-color: #B5452F; color: #fff }
.btn-primary:hover { background-color: #9c3a27 }
.btn-outline { border: 2px solid #b5452f; color: #b5452f }
.hero { background: #f3e3cc }
.alert-error { background: #ff0000 }
.badge-sale { background: #00c853 }
.footer { background: #2d2019 }
"#;

#[test]
fn bakery_with_header_logo_theme_color_and_btn_primary() {
    let (page, e) = extract(
        "https://rosiesbakery.example/",
        BAKERY_HTML,
        &[(
            "https://rosiesbakery.example/assets/css/style.css?v=3",
            BAKERY_CSS,
        )],
    );
    assert_eq!(
        page.stylesheets.len(),
        1,
        "Google Fonts is read from its URL, not fetched"
    );
    assert_eq!(v(&e.name), ("Rosie's Bakery", "title"));
    assert_eq!(v(&e.primary_accent_hex).0, "#B5452F");
    assert_eq!(v(&e.primary_accent_hex).1, "meta:theme-color");
    assert_eq!(
        v(&e.primary_background_hex),
        ("#FDF6EC", "css:body background")
    );
    let pal = &e.color_palette.as_ref().unwrap().value;
    assert_eq!(pal[0], "#B5452F");
    assert!(pal.contains(&"#FDF6EC".to_string()) && !pal.contains(&"#FF0000".to_string()));
    assert!(!pal.contains(&"#00C853".to_string()));
    assert_eq!(v(&e.font_family).0, "Playfair Display");
    assert_eq!(
        v(&e.typography_rules).0,
        "Headings: Playfair Display (700); body: Lato"
    );
    assert_eq!(
        v(&e.core_slogan),
        ("Real bread, baked by hand every morning", "html:h1")
    );
    assert_eq!(
        v(&e.call_to_action),
        ("Order for collection", "html:hero a.btn.btn-primary")
    );
    let t = v(&e.tone_of_voice).0;
    assert!(
        t.contains("Warm and friendly") || t.contains("warm and friendly"),
        "{t}"
    );
    let logos = logo_urls(&e);
    assert_eq!(logos[0], "https://rosiesbakery.example/img/rosies-logo.png");
    assert_eq!(e.logo_candidates[0].source, "html:header img");
    assert!(
        !logos
            .iter()
            .any(|l| l.contains("basket") || l.contains("stockist"))
    );
    assert_eq!(
        logos.last().unwrap(),
        "https://rosiesbakery.example/img/share.jpg"
    );
    let footer = logos
        .iter()
        .position(|l| l.ends_with("rosies-logo-white.png"))
        .unwrap();
    let touch = logos
        .iter()
        .position(|l| l.ends_with("apple-touch-icon-180.png"))
        .unwrap();
    assert!(footer > 0 && touch > 0);
}

const TOKENS_HTML: &str = r#"<!doctype html><html><head>
<title>Lumen — Analytics for product teams</title>
<meta property="og:description" content="Lumen helps product teams understand their users. Start free today.">
<link rel="stylesheet" href="https://lumen.example/_next/static/css/app.css">
</head><body><div id="__next">
<nav class="navbar"><a class="navbar-brand" href="/">Lumen</a><a href="/login" class="button">Log in</a>
<a href="/signup" class="button button--primary">Start free</a></nav>
<main><h1>Know your users, not just your numbers</h1>
<p>Product analytics with privacy built in.</p><a class="button button--primary" href="/signup">Start your free trial</a></main>
</div></body></html>"#;

const TOKENS_CSS: &str = r#"
@import url("./tokens.css");
.navbar { background: var(--color-surface); border-bottom: 1px solid var(--color-border) }
.button--primary { background: var(--color-primary); color: var(--color-on-primary) }
.button { font-family: var(--font-sans) }
h1 { font: 600 3rem/1.1 var(--font-display) }
body { font-family: var(--font-sans); background: var(--color-background); color: var(--color-text) }
"#;

const TOKENS_TOKENS: &str = r#"
:root {
  --color-primary: oklch(0.55 0.22 264);
  --color-primary-100: #eef2ff;
  --color-on-primary: #ffffff;
  --color-accent: #f59e0b;
  --color-background: #ffffff;
  --color-surface: #f8fafc;
  --color-border: #e2e8f0;
  --color-text: #0f172a;
  --color-danger: #dc2626;
  --font-sans: "Inter var", Inter, system-ui, sans-serif;
  --font-display: "Cal Sans", "Inter var", sans-serif;
}
[data-theme="dark"] { --color-background: #020617; --color-text: #f8fafc }
"#;

#[test]
fn colours_only_in_root_custom_properties() {
    let (_, e) = extract(
        "https://lumen.example/",
        TOKENS_HTML,
        &[
            ("https://lumen.example/_next/static/css/app.css", TOKENS_CSS),
            (
                "https://lumen.example/_next/static/css/tokens.css",
                TOKENS_TOKENS,
            ),
        ],
    );
    assert_eq!(v(&e.name), ("Lumen", "title"));
    let (accent, src) = v(&e.primary_accent_hex);
    assert_eq!(src, "css:--color-primary");
    let a = colour::parse(accent).unwrap();
    assert!(a.b > 200 && a.r < 110 && a.g < 120, "{accent}");
    assert_eq!(v(&e.primary_background_hex).0, "#FFFFFF");
    let pal = &e.color_palette.as_ref().unwrap().value;
    assert_eq!(pal[0], accent);
    assert!(pal.contains(&"#F59E0B".to_string()), "{pal:?}");
    assert!(!pal.contains(&"#DC2626".to_string()) && !pal.contains(&"#020617".to_string()));
    assert_eq!(v(&e.font_family), ("Cal Sans", "css:h1 font"));
    assert_eq!(
        v(&e.typography_rules).0,
        "Headings: Cal Sans (600); body: Inter var"
    );
    assert_eq!(
        v(&e.core_slogan),
        ("Know your users, not just your numbers", "html:h1")
    );
    assert_eq!(v(&e.call_to_action).0, "Start your free trial");
    assert!(
        v(&e.tone_of_voice).0.contains("technical and professional")
            || v(&e.tone_of_voice).0.contains("Technical")
    );
}

const MANIFEST_HTML: &str = r#"<html><head><title>Pocket Garden</title>
<link rel="manifest" href="/app/manifest.webmanifest"></head>
<body><div id="root"></div><script src="/app.js"></script></body></html>"#;

const MANIFEST_JSON: &str = r##"{
  "name": "Pocket Garden",
  "short_name": "Garden",
  "theme_color": "#2E7D32",
  "background_color": "#F1F8E9",
  "icons": [
    {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
    {"src": "icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    {"src": "icons/mono.png", "sizes": "512x512", "purpose": "monochrome"}
  ]
}"##;

#[test]
fn only_a_manifest_and_icons() {
    let (_, e) = extract(
        "https://pocketgarden.example/",
        MANIFEST_HTML,
        &[(
            "https://pocketgarden.example/app/manifest.webmanifest",
            MANIFEST_JSON,
        )],
    );
    assert_eq!(v(&e.name), ("Pocket Garden", "title"));
    assert_eq!(
        v(&e.primary_accent_hex),
        ("#2E7D32", "manifest:theme_color")
    );
    assert_eq!(
        v(&e.primary_background_hex),
        ("#F1F8E9", "manifest:background_color")
    );
    assert_eq!(
        e.color_palette.as_ref().unwrap().value,
        ["#2E7D32", "#F1F8E9"]
    );
    assert!(e.font_family.is_none() && e.typography_rules.is_none());
    assert!(e.core_slogan.is_none() && e.tone_of_voice.is_none() && e.call_to_action.is_none());
    let logos = logo_urls(&e);
    assert_eq!(
        &logos[..3],
        [
            "https://pocketgarden.example/app/icons/icon-512.png",
            "https://pocketgarden.example/app/icons/maskable-512.png",
            "https://pocketgarden.example/app/icons/icon-192.png",
        ]
    );
    assert!(logos.contains(&"https://pocketgarden.example/favicon.ico".to_string()));
    assert_eq!(e.logo_candidates[0].source, "manifest:icons 512x512");
}

#[test]
fn manifest_name_when_title_is_generic() {
    let html = MANIFEST_HTML.replace("<title>Pocket Garden</title>", "<title>Home</title>");
    let (_, e) = extract(
        "https://pocketgarden.example/",
        &html,
        &[(
            "https://pocketgarden.example/app/manifest.webmanifest",
            MANIFEST_JSON,
        )],
    );
    assert_eq!(v(&e.name), ("Pocket Garden", "manifest:name"));
}

const SVG_HTML: &str = r##"<html><head><title>Northwind Cycles - Hand-built bicycles</title>
<meta property="og:site_name" content="Northwind Cycles">
<style>
  :root { --nw-brand: #0B6E4F; }
  body { background-color: #FAFAF7; font-family: "Work Sans", Arial, sans-serif }
  .nw-logo path { fill: var(--nw-brand) }
  .hero h1 { font-family: "Fraunces", serif; text-transform: uppercase }
  .cta-button { background: var(--nw-brand); color: #fff }
</style></head>
<body>
<header role="banner">
  <a href="/" class="nw-logo" aria-label="Northwind Cycles home">
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 32" aria-hidden="true">
      <title>Northwind Cycles</title>
      <g fill="#0B6E4F"><path d="M0 0h10v32H0z"/><path d="M12 0h10v32H12z"/><circle cx="40" cy="16" r="10"/>
      <path d="M60 0l10 32H50z"/></g>
    </svg>
  </a>
  <button class="menu-toggle"><svg class="icon icon-menu"><path d="M0 0h24v2H0z"/></svg></button>
  <a class="social" href="https://instagram.com/x"><svg><path d="M1 1"/></svg></a>
</header>
<section class="hero"><h1>Built for the long road</h1>
<a href="/configure" class="cta-button">Build your bike</a></section>
</body></html>"##;

#[test]
fn inline_svg_logo_in_header() {
    let (_, e) = extract("https://northwind.example/", SVG_HTML, &[]);
    assert_eq!(v(&e.name), ("Northwind Cycles", "og:site_name"));
    assert_eq!(v(&e.primary_accent_hex).0, "#0B6E4F");
    assert_eq!(v(&e.primary_accent_hex).1, "css:--nw-brand");
    assert_eq!(v(&e.primary_background_hex).0, "#FAFAF7");
    assert_eq!(v(&e.font_family), ("Fraunces", "css:.hero h1 font-family"));
    assert_eq!(
        v(&e.typography_rules).0,
        "Headings: Fraunces (uppercase); body: Work Sans"
    );
    assert_eq!(v(&e.core_slogan).0, "Built for the long road");
    assert_eq!(
        v(&e.call_to_action),
        ("Build your bike", "html:hero a.cta-button")
    );
    let first = &e.logo_candidates[0];
    assert_eq!(first.source, "html:header svg");
    match &first.kind {
        LogoKind::InlineSvg(svg) => {
            assert!(svg.starts_with("<svg xmlns") && svg.ends_with("</svg>"));
            assert_eq!(svg.matches("<path").count(), 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.logo_candidates
            .iter()
            .filter(|c| matches!(c.kind, LogoKind::InlineSvg(_)))
            .count(),
        1
    );
}

#[test]
fn same_input_same_output() {
    let run = || {
        extract(
            "https://rosiesbakery.example/",
            BAKERY_HTML,
            &[(
                "https://rosiesbakery.example/assets/css/style.css?v=3",
                BAKERY_CSS,
            )],
        )
        .1
    };
    assert_eq!(run(), run());
}
