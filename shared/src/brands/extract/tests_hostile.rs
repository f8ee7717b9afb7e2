//! Hostile inputs: each must return promptly (well under the time limit even in a debug build)
//! without panicking.

use super::*;
use std::time::{Duration, Instant};

fn url() -> Url {
    Url::parse("https://hostile.example/").unwrap()
}

/// Runs the whole pipeline over a page and optional stylesheet/manifest bodies.
fn all(html: &[u8], css: &[u8], manifest: &[u8]) -> (Extracted, Duration) {
    let t = Instant::now();
    let page = read_page(html, &url());
    let sheet = read_stylesheet(css, &url());
    let m = read_manifest(manifest, &url());
    let e = decide(&page, &[sheet], Some(&m), &url());
    (e, t.elapsed())
}

fn prompt(d: Duration) {
    assert!(d < Duration::from_secs(10), "took {d:?}");
}

#[test]
fn five_megabytes_of_divs() {
    let html = "<div>".repeat(1_000_000);
    let (e, d) = all(html.as_bytes(), b"", b"");
    prompt(d);
    assert_eq!(e.name.unwrap().source, "domain");
}

#[test]
fn deeply_nested_unclosed_elements_with_text() {
    let html = "<header><a class=logo><span>x".repeat(50_000);
    let (_, d) = all(html.as_bytes(), b"", b"");
    prompt(d);
}

#[test]
fn invalid_utf8_everywhere() {
    let mut html =
        b"<title>Caf\xC3\xA9 \xFF\xFE Bar</title><h1>\xF0\x28\x8C\x28 hello world</h1>".to_vec();
    html.extend_from_slice(
        b"<img class=logo src=\"/\xFF.png\"><svg class=logo><path/>\xC0\xAF</svg>",
    );
    let css = b".btn-primary{background:#\xFFabc;color:\xE2\x82;font-family:\"\xFF\"}";
    let (e, d) = all(&html, css, b"{\"name\":\"\xFF\xFE\"}");
    prompt(d);
    assert!(e.name.unwrap().value.starts_with("Café"));
}

#[test]
fn unterminated_comment_string_and_style() {
    let (_, d) = all(
        b"<p>a<!-- never closed <img class=logo src=/x.png>",
        b"",
        b"",
    );
    prompt(d);
    let (_, d) = all(
        b"<style>body{background:#fff",
        b"a{content:\"never closed",
        b"",
    );
    prompt(d);
    let (_, d) = all(
        b"<script type=application/ld+json>{\"@type\":\"Organization\"",
        b"/* never closed",
        b"",
    );
    prompt(d);
    let (_, d) = all(b"<img alt=\"never closed", b"a{b:url(never closed", b"[");
    prompt(d);
}

#[test]
fn deeply_nested_brackets_in_css() {
    for open in ["{", "(", "[", "@media x{", "a{&{"] {
        let css = open.repeat(200_000);
        let t = Instant::now();
        let s = read_stylesheet(css.as_bytes(), &url());
        prompt(t.elapsed());
        assert!(s.rules.len() < 100);
    }
    let css = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
    let (_, d) = all(b"", css.as_bytes(), b"");
    prompt(d);
}

#[test]
fn a_mebibyte_of_css_garbage() {
    // Deterministic pseudo-random bytes biased towards CSS punctuation.
    let alphabet = b"{}();:,'\"/*\\@#!-_ abcXYZ019\n\t.url(var(--x)";
    let mut x: u32 = 0x1234_5678;
    let css: Vec<u8> = (0..(1 << 20))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            alphabet[(x as usize) % alphabet.len()]
        })
        .collect();
    let (_, d) = all(b"", &css, b"");
    prompt(d);
    let mut html = b"<style>".to_vec();
    html.extend_from_slice(&css);
    let (_, d) = all(&html, b"", b"");
    prompt(d);
}

#[test]
fn many_rules_and_var_chains() {
    let mut css = String::from(":root{");
    for i in 0..2000 {
        css.push_str(&format!("--c{i}: var(--c{});", i + 1));
    }
    css.push_str("--brand: var(--c0)}");
    for i in 0..60_000 {
        css.push_str(&format!(
            ".btn-primary-{i}{{background:var(--brand, #{:06x})}}",
            i * 97
        ));
    }
    let (e, d) = all(b"", css.as_bytes(), b"");
    prompt(d);
    if let Some(p) = e.color_palette {
        assert!(p.value.len() <= 8);
    }
}

#[test]
fn huge_attributes_svg_and_data_urls() {
    let big = "A".repeat(MAX_DATA_URL_BYTES + 10);
    let paths = "<path d='M0'/>".repeat(30_000);
    let html = format!(
        "<header><img class=logo src=\"data:image/png;base64,{big}\">\
         <img class=logo src=\"data:image/png;base64,iVBORw0KGgo=\"><svg class=logo>{paths}</svg></header>"
    );
    let (e, d) = all(html.as_bytes(), b"", b"");
    prompt(d);
    for c in &e.logo_candidates {
        match &c.kind {
            LogoKind::Url(u) => assert!(u.as_str().len() <= MAX_DATA_URL_BYTES),
            LogoKind::InlineSvg(s) => assert!(s.len() <= MAX_SVG_BYTES),
        }
    }
    assert!(
        e.logo_candidates
            .iter()
            .any(|c| matches!(&c.kind, LogoKind::Url(u) if u.scheme() == "data"))
    );
}

#[test]
fn many_jsonld_blocks_and_deep_json() {
    let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let mut html = String::new();
    for _ in 0..100 {
        html.push_str(&format!("<script type=application/ld+json>{deep}</script>"));
    }
    let arr = format!(
        "[{}]",
        vec!["{\"@type\":\"Organization\",\"name\":\"X\"}"; 5000].join(",")
    );
    html.push_str(&format!(
        "<script type=\"application/ld+json\">{arr}</script>"
    ));
    let (_, d) = all(html.as_bytes(), b"", deep.as_bytes());
    prompt(d);
}

#[test]
fn many_style_attributes_and_ctas() {
    let html = "<header><a class='btn btn-primary' style='background:#e63946'>Buy now</a></header>"
        .repeat(30_000);
    let (e, d) = all(html.as_bytes(), b"", b"");
    prompt(d);
    assert_eq!(e.call_to_action.unwrap().value, "Buy now");
}

#[test]
fn empty_inputs() {
    let (e, _) = all(b"", b"", b"");
    assert_eq!(e.name.as_ref().unwrap().value, "Hostile");
    assert!(e.primary_accent_hex.is_none() && e.color_palette.is_none());
    assert!(
        !e.logo_candidates.is_empty(),
        "conventional icons are always candidates"
    );
}

#[test]
fn many_distinct_colours_in_brand_rules() {
    let mut css = String::new();
    let mut x: u32 = 7;
    for i in 0..45_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        css.push_str(&format!(
            ".btn-primary-{i}{{background:#{:06x}}}",
            x & 0xFF_FFFF
        ));
        if css.len() > MAX_CSS_BYTES - 64 {
            break;
        }
    }
    let sheets: Vec<Stylesheet> = (0..MAX_STYLESHEETS)
        .map(|_| read_stylesheet(css.as_bytes(), &url()))
        .collect();
    let t = Instant::now();
    let page = read_page(b"<style>a{color:red}</style>", &url());
    let e = decide(&page, &sheets, None, &url());
    prompt(t.elapsed());
    assert!(e.primary_accent_hex.is_some());
    assert!(e.color_palette.unwrap().value.len() <= 8);
}

#[test]
fn thousands_of_icon_font_and_stylesheet_links() {
    let mut html = String::new();
    for i in 0..6_000 {
        html.push_str(&format!(
            "<link rel=icon href=/i{i}.png sizes={i}x{i}><link rel=stylesheet href=/s{i}.css>\
             <link rel=stylesheet href=\"https://fonts.googleapis.com/css?family=F{i}|G{i}\">"
        ));
    }
    let (e, d) = all(html.as_bytes(), b"", b"");
    prompt(d);
    assert!(e.logo_candidates.len() <= MAX_LOGO_CANDIDATES);
    let page = read_page(html.as_bytes(), &url());
    assert_eq!(page.stylesheets.len(), MAX_STYLESHEETS);
    assert!(page.google_fonts.len() <= 16);
}
