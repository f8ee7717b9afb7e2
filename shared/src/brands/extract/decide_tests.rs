use super::super::walk::read_page;
use super::*;

fn site() -> Url {
    Url::parse("https://www.acme-bakery.test/").unwrap()
}

fn run(html: &str) -> Extracted {
    let p = read_page(html.as_bytes(), &site());
    decide(&p, &[], None, &site())
}

fn val(f: &Option<Fact<String>>) -> Option<(&str, &str)> {
    f.as_ref().map(|f| (f.value.as_str(), f.source.as_str()))
}

#[test]
fn domain_names() {
    let d = |s: &str| domain_name(&Url::parse(s).unwrap());
    assert_eq!(d("https://www.my-bakery.co.uk/x"), "My Bakery");
    assert_eq!(d("https://shop.acme.com"), "Acme");
    assert_eq!(d("http://127.0.0.1:8080/"), "127.0.0.1");
    assert_eq!(d("http://localhost/"), "Localhost");
}

#[test]
fn title_segments() {
    let others = vec!["acmebakery".to_string()];
    assert_eq!(
        title_name("Fresh bread daily | Acme Bakery", &others).as_deref(),
        Some("Acme Bakery")
    );
    assert_eq!(
        title_name("Acme Bakery — Fresh bread daily", &[]).as_deref(),
        Some("Acme Bakery")
    );
    assert_eq!(title_name("Home - Acme", &[]).as_deref(), Some("Acme"));
    assert_eq!(title_name("Acme", &[]).as_deref(), Some("Acme"));
    assert_eq!(
        title_name("The best sourdough bread in the whole city of London", &[]),
        None
    );
    assert_eq!(title_name("Home", &[]), None);
}

#[test]
fn name_priority() {
    let e = run(
        r#"<meta property="og:site_name" content="Acme OG"><meta name="application-name" content="Acme App"><title>T | X</title>"#,
    );
    assert_eq!(val(&e.name), Some(("Acme OG", "og:site_name")));
    let e = run(
        r#"<script type="application/ld+json">{"@type":"Bakery","name":"Acme LD"}</script><meta name="application-name" content="Acme App">"#,
    );
    assert_eq!(val(&e.name), Some(("Acme LD", "jsonld:Bakery.name")));
    let e = run(r#"<meta name="application-name" content="Acme App"><title>X</title>"#);
    assert_eq!(val(&e.name), Some(("Acme App", "meta:application-name")));
    let e = run(
        "<title>Welcome to our home on the web, friends and family of ours</title><h1>Acme H1</h1>",
    );
    assert_eq!(val(&e.name), Some(("Acme H1", "html:h1")));
    let e = run("");
    assert_eq!(val(&e.name), Some(("Acme Bakery", "domain")));
}

#[test]
fn slogan_priority() {
    let e = run(
        r#"<script type="application/ld+json">{"@type":"Organization","name":"Acme","slogan":"Baked with love"}</script><h1>Other</h1>"#,
    );
    assert_eq!(
        val(&e.core_slogan),
        Some(("Baked with love", "jsonld:Organization.slogan"))
    );
    let e = run(
        r#"<meta property="og:site_name" content="Acme"><header><h1 class=logo>Acme</h1></header><h1>Bread worth waking up for</h1>"#,
    );
    assert_eq!(
        val(&e.core_slogan),
        Some(("Bread worth waking up for", "html:h1"))
    );
    let e = run(
        r#"<title>Acme</title><h1>Acme</h1><meta name="description" content="Sourdough and pastries since 1921. Order online.">"#,
    );
    assert_eq!(
        val(&e.core_slogan),
        Some(("Sourdough and pastries since 1921.", "meta:description"))
    );
    let long = "word ".repeat(100);
    let e = run(&format!("<h1>{long}</h1>"));
    let s = e.core_slogan.unwrap().value;
    assert!(s.chars().count() <= 200 && s.ends_with("word"), "{s}");
}

#[test]
fn cta_choice() {
    let e = run(
        r#"<header><a class="btn" href=/login>Log in</a><a class="btn btn-primary" href=/order>Order online</a></header>
        <div class="hero"><h1>Bread</h1><a class="button-cta" href=/shop>Shop the bakery</a></div>"#,
    );
    assert_eq!(
        val(&e.call_to_action),
        Some(("Shop the bakery", "html:hero a.button-cta"))
    );
    let e = run(r#"<header><a class="btn" href=/login>Sign in</a></header>"#);
    assert!(e.call_to_action.is_none());
}

#[test]
fn tone_only_with_evidence() {
    let e = run("<h1>Hi</h1>");
    assert!(e.tone_of_voice.is_none());
    let e = run(r#"<h1>Fresh bread, baked for you every morning!</h1>
        <meta name="description" content="We're a family bakery. Order your loaf today!">"#);
    let t = e.tone_of_voice.unwrap();
    assert!(t.value.starts_with("Warm and friendly"), "{}", t.value);
    for part in [
        "(\"you\")",
        "\"we\" voice",
        "enthusiastic (2 exclamation marks)",
        "informal",
    ] {
        assert!(t.value.contains(part), "{part} in {}", t.value);
    }
    assert_eq!(t.source, "derived:html:h1+meta:description");
    assert!(t.value.chars().count() <= 500);
}

#[test]
fn sources_map() {
    let e = run(r#"<meta property="og:site_name" content="Acme">"#);
    let m = e.sources();
    assert_eq!(m.get("name").map(String::as_str), Some("og:site_name"));
    assert!(!m.contains_key("primary_accent_hex"));
}

#[test]
fn generic_title_segments_and_logo_alt_signal() {
    let e = run(r#"<title>Shop | Crumb &amp; Co</title>"#);
    assert_eq!(val(&e.name), Some(("Crumb & Co", "title")));
    let e = run(
        r#"<title>Sourdough | Crumb</title><header><img class=logo src=/l.png alt="Crumb Logo"></header>"#,
    );
    assert_eq!(val(&e.name), Some(("Crumb", "title")));
}
