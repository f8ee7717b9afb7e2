use super::*;

fn site() -> Url {
    Url::parse("https://www.acme.test/").unwrap()
}

fn ranked(html: &str, css: &str, manifest: Option<&Manifest>) -> Vec<LogoCandidate> {
    let page = super::super::walk::read_page(html.as_bytes(), &site());
    let s = super::super::css::read_stylesheet(
        css.as_bytes(),
        &Url::parse("https://www.acme.test/c/site.css").unwrap(),
    );
    rank(&page, &[&s], manifest, &site(), "Acme")
}

fn urls(c: &[LogoCandidate]) -> Vec<String> {
    c.iter()
        .map(|c| match &c.kind {
            LogoKind::Url(u) => u.path().to_string(),
            LogoKind::InlineSvg(_) => "<svg>".into(),
        })
        .collect()
}

#[test]
fn registrable_domains() {
    assert_eq!(registrable("shop.acme.co.uk"), "acme.co.uk");
    assert_eq!(registrable("www.acme.com"), "acme.com");
    assert_eq!(registrable("cdn.acme.com"), "acme.com");
    assert_eq!(registrable("localhost"), "localhost");
    assert_eq!(registrable("127.0.0.1"), "127.0.0.1");
}

#[test]
fn header_logo_first_then_icons_then_og() {
    let c = ranked(
        r#"<head><meta property="og:image" content="/og.jpg"><link rel=icon href=/fav.png sizes=32x32>
        <link rel=apple-touch-icon href=/ati.png></head>
        <header><img src="/hero-bg.jpg"><a href="/"><img class="site-logo" src="/logo.svg" alt="Acme"></a></header>"#,
        "",
        None,
    );
    assert_eq!(
        urls(&c),
        [
            "/logo.svg",
            "/hero-bg.jpg",
            "/ati.png",
            "/fav.png",
            "/apple-touch-icon.png",
            "/favicon.ico",
            "/og.jpg"
        ]
    );
    assert_eq!(c[0].source, "html:header img.site-logo");
    assert!(c[0].score > c[1].score);
}

#[test]
fn other_hosts_dropped_unless_declared() {
    let c = ranked(
        r#"<script type="application/ld+json">{"@type":"Organization","logo":"https://cdn.other.test/l.png"}</script>
        <header><img class=logo src="https://evil.test/logo.png"><img class=logo src="https://static.acme.test/logo.png"></header>"#,
        "",
        None,
    );
    let u: Vec<_> = c
        .iter()
        .filter_map(|c| match &c.kind {
            LogoKind::Url(u) => Some(u.as_str()),
            _ => None,
        })
        .collect();
    assert!(!u.contains(&"https://evil.test/logo.png"));
    assert_eq!(u[0], "https://static.acme.test/logo.png");
    assert!(u.contains(&"https://cdn.other.test/l.png"));
}

#[test]
fn svg_scoring_paths_and_text() {
    let paths: String = (0..30).map(|_| "<path d='M0'/>").collect();
    let html = format!(
        "<header><a class=logo href=/><svg class=a>{paths}</svg></a><div class=logo><svg class=b><text>Acme</text></svg></div></header>"
    );
    let c = ranked(&html, "", None);
    let svgs: Vec<_> = c
        .iter()
        .filter(|c| matches!(c.kind, LogoKind::InlineSvg(_)))
        .collect();
    // The text-only SVG has no drawing elements: not a candidate at all.
    assert_eq!(svgs.len(), 1);
    assert_eq!(svgs[0].score, 90 - 20 + 40 + 8);
    let html = "<header><svg class=logo><text>Acme</text><rect/></svg></header>";
    let c = ranked(html, "", None);
    // logo class in header 100, SVG −20, one shape +2, mostly text −50.
    assert_eq!(c[0].score, 100 - 20 + 2 - 50);
}

#[test]
fn manifest_icons_by_size_and_css_background_logo() {
    let m = super::super::manifest::read_manifest(
        br#"{"icons":[{"src":"/i192.png","sizes":"192x192"},{"src":"/i512.png","sizes":"512x512"},{"src":"/mono.png","sizes":"512x512","purpose":"monochrome"}]}"#,
        &Url::parse("https://www.acme.test/m.json").unwrap(),
    );
    let c = ranked(
        "",
        ".site-header .logo a{background:url('../img/logo.png') no-repeat}",
        Some(&m),
    );
    let u = urls(&c);
    assert_eq!(
        &u[..4],
        ["/img/logo.png", "/i512.png", "/i192.png", "/mono.png"]
    );
    assert_eq!(c[0].source, "css:.site-header .logo a background");
}

#[test]
fn duplicates_keep_best_and_order_breaks_ties() {
    let c = ranked(
        r#"<link rel=icon href="/logo.png"><header><img class=logo src="/logo.png"><img class=logo src="/b.png"></header>"#,
        "",
        None,
    );
    assert_eq!(urls(&c)[..2], ["/logo.png", "/b.png"]);
    assert_eq!(
        c.iter()
            .filter(|x| matches!(&x.kind, LogoKind::Url(u) if u.path() == "/logo.png"))
            .count(),
        1
    );
}

#[test]
fn tiny_and_footer_images_demoted() {
    let c = ranked(
        r#"<header><img class=logo src=/tiny.png width=16 height=16></header><footer><img class=logo src=/foot.png></footer><img class=logo src=/main.png>"#,
        "",
        None,
    );
    assert_eq!(urls(&c)[..3], ["/main.png", "/tiny.png", "/foot.png"]);
}
