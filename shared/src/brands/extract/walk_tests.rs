use super::*;

fn url() -> Url {
    Url::parse("https://www.acme.test/").unwrap()
}

fn page(html: &str) -> Page {
    read_page(html.as_bytes(), &url())
}

#[test]
fn meta_and_links() {
    let p = page(
        r##"<html><head><title>Acme &amp; Co | Fresh bread</title>
        <meta property="og:site_name" content="Acme">
        <meta name="theme-color" content="#111" media="(prefers-color-scheme: dark)">
        <meta name="theme-color" content="#C0392B">
        <meta name="msapplication-TileColor" content="#c0392b">
        <meta name=description content="Bread &amp; pastries, baked daily.">
        <link rel="stylesheet" href="/a.css"><link rel=stylesheet href="/a.css">
        <link rel="alternate stylesheet" href="/alt.css"><link rel=stylesheet media=print href=/p.css>
        <link rel="manifest" href="/site.webmanifest">
        <link rel="mask-icon" href="/pin.svg" color="#c0392b">
        <link rel="apple-touch-icon" sizes="152x152" href="/ati.png">
        <link rel="icon" type="image/png" sizes="16x16 32x32" href="/fav.png">
        <link href="https://fonts.googleapis.com/css2?family=Lora:wght@700&family=Inter" rel="stylesheet">
        </head></html>"##,
    );
    assert_eq!(p.title.as_deref(), Some("Acme & Co | Fresh bread"));
    assert_eq!(p.og_site_name.as_deref(), Some("Acme"));
    assert_eq!(p.theme_color.as_deref(), Some("#C0392B"));
    assert_eq!(p.tile_color.as_deref(), Some("#c0392b"));
    assert_eq!(p.mask_icon_color.as_deref(), Some("#c0392b"));
    assert_eq!(
        p.meta_description.as_deref(),
        Some("Bread & pastries, baked daily.")
    );
    let sheets: Vec<_> = p.stylesheets.iter().map(Url::as_str).collect();
    assert_eq!(sheets, ["https://www.acme.test/a.css"]);
    assert_eq!(
        p.manifest.as_ref().unwrap().as_str(),
        "https://www.acme.test/site.webmanifest"
    );
    let fams: Vec<_> = p.google_fonts.iter().map(|g| g.family.as_str()).collect();
    assert_eq!(fams, ["Lora", "Inter"]);
    let icons: Vec<_> = p.logos.iter().map(|l| (l.origin, l.size)).collect();
    assert!(icons.contains(&(LogoOrigin::AppleTouchIcon, Some(152))));
    assert!(icons.contains(&(LogoOrigin::Icon, Some(32))));
    assert!(icons.contains(&(LogoOrigin::MaskIcon, None)));
    assert!(icons.contains(&(LogoOrigin::Conventional, None)));
}

#[test]
fn base_href_applies_even_when_late() {
    let p = page(r#"<link rel=stylesheet href="s.css"><base href="https://cdn.acme.test/v2/">"#);
    assert_eq!(p.base_url.as_str(), "https://cdn.acme.test/v2/");
    assert_eq!(p.stylesheets[0].as_str(), "https://cdn.acme.test/v2/s.css");
    let p = page(r#"<base href="javascript:alert(1)"><link rel=stylesheet href="s.css">"#);
    assert_eq!(p.stylesheets[0].as_str(), "https://www.acme.test/s.css");
}

#[test]
fn stylesheets_capped_and_style_imports_in_order() {
    let mut h: String = (0..12)
        .map(|i| format!("<link rel=stylesheet href=/s{i}.css>"))
        .collect();
    h.insert_str(0, "<style>@import url(/first.css); body{color:red}</style>");
    let p = page(&h);
    assert_eq!(p.stylesheets.len(), MAX_STYLESHEETS);
    assert_eq!(p.stylesheets[0].path(), "/first.css");
    assert_eq!(p.inline_css[0], "@import url(/first.css); body{color:red}");
}

#[test]
fn header_logo_img_and_skipped_icons() {
    let p = page(
        r#"<header class="site-header"><a href="/" class="brand"><img src="/img/acme.png" alt="Acme"></a>
        <img src="/icons/search.svg" class="icon"><button class="hamburger"><img src="/menu.png"></button>
        <img src="https://other.test/logo.png"></header>
        <section class="partner-logos"><img class="logo" src="/nike.png"></section>
        <div class="cookie-banner"><img class=logo src=/cookie-logo.png></div>"#,
    );
    let imgs: Vec<_> = p
        .logos
        .iter()
        .filter(|l| l.origin == LogoOrigin::Img)
        .map(|l| match &l.kind {
            LogoKind::Url(u) => u.as_str().to_string(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(
        imgs,
        [
            "https://www.acme.test/img/acme.png",
            "https://other.test/logo.png"
        ]
    );
    let first = &p
        .logos
        .iter()
        .find(|l| l.origin == LogoOrigin::Img)
        .unwrap();
    assert!(first.in_header && first.ancestor_hint && first.home_link && !first.logo_hint);
    assert_eq!(first.alt, "Acme");
}

#[test]
fn lazy_images_and_noscript() {
    let p = page(
        r#"<img class="logo" src="data:image/gif;base64,R0lGOD" data-src="/real-logo.png">
        <noscript><img class="logo" src="/ns-logo.png"></noscript>
        <template><img class="logo" src="/tpl-logo.png"></template>
        <img class="logo" srcset="/l-1x.png 1x, /l-2x.png 2x">"#,
    );
    let urls: Vec<_> = p
        .logos
        .iter()
        .filter_map(|l| match (&l.kind, l.origin) {
            (LogoKind::Url(u), LogoOrigin::Img) => Some(u.path().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(urls, ["/real-logo.png", "/ns-logo.png", "/l-1x.png"]);
}

#[test]
fn noscript_copy_is_not_the_sites_copy() {
    let p = page(
        r#"<noscript><h1>Tidepool needs JavaScript</h1><a class="btn btn-primary" href="/">Enable it</a></noscript>
        <main><h1>Swim with the tide</h1></main>"#,
    );
    let headings: Vec<&str> = p.headings.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(headings, ["Swim with the tide"]);
    assert!(p.ctas.is_empty());
}

#[test]
fn inline_svg_captured_with_counts() {
    let p = page(
        r#"<header><a href="/"><svg viewBox="0 0 10 10" aria-label="Acme logo"><title>Acme</title><g><path d="M0"/><path d="M1"/></g><circle r="1"/></svg></a>
        <svg class="icon-search"><path d="x"/></svg></header>
        <main><svg><path d="y"/></svg></main>"#,
    );
    let svgs: Vec<_> = p
        .logos
        .iter()
        .filter(|l| l.origin == LogoOrigin::InlineSvg)
        .collect();
    assert_eq!(svgs.len(), 1);
    let s = svgs[0];
    assert_eq!((s.svg_shapes, s.svg_texts), (3, 0));
    assert!(s.logo_hint && s.in_header && s.home_link);
    match &s.kind {
        LogoKind::InlineSvg(m) => {
            assert!(
                m.starts_with("<svg viewBox") && m.ends_with("</svg>"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn headings_ctas_and_hero() {
    let p = page(
        r#"<header><nav><a class="btn btn-primary" href="/order">Order&nbsp;now</a><a class=btn href=/login>Log in</a></nav></header>
        <section class="hero"><h1>Fresh bread, <em>every</em> morning</h1>
        <a class="button cta" href="/shop">Visit the shop <svg><text>→</text></svg></a></section>
        <div class="cookie-consent"><button class="btn-primary">Accept all</button></div>
        <footer><a class="btn" href="/x">Careers</a></footer>"#,
    );
    assert_eq!(p.headings[0].text, "Fresh bread, every morning");
    assert!(p.headings[0].in_hero);
    let ctas: Vec<_> = p
        .ctas
        .iter()
        .map(|c| (c.text.as_str(), c.emphasis, c.in_hero, c.in_header))
        .collect();
    assert_eq!(
        ctas,
        [
            ("Order now", 2, false, true),
            ("Log in", 1, false, true),
            ("Visit the shop", 2, true, false)
        ]
    );
    assert_eq!(p.ctas[2].element, "a.button.cta");
}

#[test]
fn style_attributes_become_contextual_rules() {
    let p = page(
        r##"<body bgcolor="#fff8e7"><header><a class="btn btn-primary" id=go style="background:#C0392B;color:white">Go</a></header>
        <div style="color:red}body{color:blue">x</div>"##,
    );
    let css = p.inline_css.last().unwrap();
    assert!(css.contains("body{background-color:#fff8e7}"), "{css}");
    assert!(
        css.contains("header a.btn.btn-primary#go{background:#C0392B;color:white}"),
        "{css}"
    );
    assert!(css.contains("div{color:redbodycolor:blue}"), "{css}");
}

#[test]
fn jsonld_read_and_logo_added() {
    let p = page(
        r#"<script type="application/ld+json">{"@type":"Organization","name":"Acme","logo":"/l.png","slogan":"Good bread"}</script>
        <script>var x = "<img class=logo src=/js.png>";</script>"#,
    );
    assert_eq!(p.jsonld[0].name.as_deref(), Some("Acme"));
    assert!(p.logos.iter().any(|l| l.origin == LogoOrigin::JsonLd));
    assert!(
        !p.logos
            .iter()
            .any(|l| matches!(&l.kind, LogoKind::Url(u) if u.path() == "/js.png"))
    );
}

#[test]
fn svg_title_is_not_the_page_title() {
    let p = page("<body><svg><title>Icon</title><path/></svg><title>Real</title>");
    assert_eq!(p.title.as_deref(), Some("Real"));
}

#[test]
fn unclosed_svg_does_not_swallow_the_page() {
    let p = page(
        r#"<header><svg class="logo"><path d="M0"/><div class="x"><img class="logo" src="/after.png"></div>
        <meta property="og:site_name" content="After"></header><h1>Still read here</h1>"#,
    );
    assert!(
        p.logos
            .iter()
            .any(|l| matches!(&l.kind, LogoKind::Url(u) if u.path() == "/after.png"))
    );
    assert!(!p.logos.iter().any(|l| l.origin == LogoOrigin::InlineSvg));
    assert_eq!(p.og_site_name.as_deref(), Some("After"));
    assert_eq!(p.headings[0].text, "Still read here");
}
