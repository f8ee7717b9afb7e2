use super::*;
use url::Url;

fn sheet(css: &str) -> Stylesheet {
    super::super::css::read_stylesheet(
        css.as_bytes(),
        &Url::parse("https://a.test/site.css").unwrap(),
    )
}

fn page() -> Page {
    Page::empty(&Url::parse("https://a.test/").unwrap())
}

fn run(p: &Page, css: &str) -> Colours {
    let s = sheet(css);
    let vars = Vars::build(&[&s]);
    decide(p, &[&s], &vars, None)
}

fn v(f: &Option<Fact<String>>) -> Option<(&str, &str)> {
    f.as_ref().map(|f| (f.value.as_str(), f.source.as_str()))
}

#[test]
fn roles_of_selectors() {
    assert_eq!(role(".site-logo"), Some(5));
    assert_eq!(role(".btn-primary:hover"), Some(4));
    assert_eq!(role(".hero .title"), Some(2)); // ancestor role capped at 2
    assert_eq!(role(".hero"), Some(3));
    assert_eq!(role("nav a"), Some(1));
    assert_eq!(role(".alert-danger .btn"), None);
    assert_eq!(role(".badge-sale"), None);
    assert_eq!(role("p"), Some(0));
    assert_eq!(
        compounds("ul > li:nth-child(2n+1) a"),
        ["ul", "li:nth-child(2n+1)", "a"]
    );
}

#[test]
fn token_names() {
    assert_eq!(token_role("--color-primary"), Some((6, false)));
    assert_eq!(token_role("--brand-100"), Some((3, false)));
    assert_eq!(token_role("--brand-600"), Some((6, false)));
    assert_eq!(token_role("--primary-foreground"), None);
    assert_eq!(token_role("--tw-ring-color"), None);
    assert_eq!(token_role("--color-danger"), None);
    assert_eq!(token_role("--font-primary"), None);
    assert_eq!(token_role("--background"), Some((8, true)));
    assert_eq!(token_role("--bs-body-bg"), Some((8, true)));
    assert_eq!(token_role("--spacing"), None);
}

#[test]
fn button_colour_is_the_accent_and_body_the_ground() {
    let c = run(
        &page(),
        "body{background:#FFF8E7;color:#3a2e2a} .btn-primary{background-color:#C0392B;color:#fff}",
    );
    assert_eq!(
        v(&c.accent),
        Some(("#C0392B", "css:.btn-primary background-color"))
    );
    assert_eq!(v(&c.background), Some(("#FFF8E7", "css:body background")));
    assert_eq!(c.palette.unwrap().value, ["#C0392B", "#FFF8E7", "#3A2E2A"]);
}

#[test]
fn theme_color_is_strong_evidence() {
    let mut p = page();
    p.theme_color = Some("#2A9D8F".into());
    let c = run(&p, "a{color:#E76F51}");
    assert_eq!(v(&c.accent), Some(("#2A9D8F", "meta:theme-color")));
}

#[test]
fn token_beats_rule_of_equal_weight() {
    // --accent (5 pts at root = 20) vs .btn background (3 × 4 = 12) + .btn border (3 × 2 = 6) = 18.
    let c = run(
        &page(),
        ":root{--accent:#6A4C93} .btn{background:#1982C4;border-color:#1982C4}",
    );
    assert_eq!(v(&c.accent), Some(("#6A4C93", "css:--accent")));
    // Equal weights: primary token (6 × 4 = 24) vs .cta background (4 × 4 = 16) + .cta color ... tie by token.
    let c = run(
        &page(),
        ":root{--primary:#FF595E} .cta{background:#8AC926;border-color:#8AC926}",
    );
    assert_eq!(v(&c.accent), Some(("#FF595E", "css:--primary")));
}

#[test]
fn neutrals_never_accent_and_no_guessing() {
    let mut p = page();
    p.theme_color = Some("#ffffff".into());
    let c = run(
        &p,
        "body{background:#fff;color:#222} .btn-primary{background:#111827} .card{border-color:#e5e7eb}",
    );
    assert!(c.accent.is_none());
    assert_eq!(v(&c.background), Some(("#FFFFFF", "css:body background")));
    assert_eq!(c.palette.unwrap().value, ["#FFFFFF", "#222222"]);
    let c = run(&page(), ".x{color:#e63946}");
    assert!(c.accent.is_none() && c.background.is_none() && c.palette.is_none());
}

#[test]
fn status_colours_excluded() {
    let c = run(
        &page(),
        ".btn-danger{background:#dc3545} .alert .btn-primary{background:#ff0000} .btn{background:#3A86FF}",
    );
    assert_eq!(v(&c.accent), Some(("#3A86FF", "css:.btn background")));
}

#[test]
fn var_resolution_and_channel_tokens() {
    let c = run(
        &page(),
        ":root{--brand: 37 99 235} .btn-primary{background: rgb(var(--brand))}",
    );
    assert_eq!(c.accent.unwrap().value, "#2563EB");
    let c = run(
        &page(),
        ":root{--primary: 346.8 77.2% 49.8%; --background: 0 0% 100%}",
    );
    assert_eq!(c.accent.unwrap().value, "#E11D48");
    assert_eq!(v(&c.background), Some(("#FFFFFF", "css:--background")));
}

#[test]
fn near_duplicates_merge() {
    let c = run(
        &page(),
        ".btn-primary{background:#E63946} .cta{background:#E53A47} .logo{fill:#1D3557}",
    );
    let pal = c.palette.unwrap().value;
    assert_eq!(pal, ["#E63946", "#1D3557"]);
}

#[test]
fn dark_scopes_and_framework_sheets_ignored() {
    let c = run(
        &page(),
        ":root{--background:#fff} .dark{--background:#000} [data-theme=dark] body{background:#000}",
    );
    assert_eq!(c.background.unwrap().value, "#FFFFFF");
    let fw = super::super::css::read_stylesheet(
        b".btn-primary{background:#0d6efd} :root{--bs-primary:#0d6efd}",
        &Url::parse("https://cdn.test/bootstrap.min.css").unwrap(),
    );
    let vars = Vars::build(&[&fw]);
    assert!(decide(&page(), &[&fw], &vars, None).accent.is_none());
}

#[test]
fn manifest_colours_vote() {
    let m = super::super::manifest::read_manifest(
        br##"{"theme_color":"#3D5A80","background_color":"#F4F1DE"}"##,
        &Url::parse("https://a.test/m.json").unwrap(),
    );
    let s = sheet("");
    let c = decide(&page(), &[&s], &Vars::default(), Some(&m));
    assert_eq!(v(&c.accent), Some(("#3D5A80", "manifest:theme_color")));
    assert_eq!(
        v(&c.background),
        Some(("#F4F1DE", "manifest:background_color"))
    );
}

#[test]
fn most_declared_background() {
    let c = run(
        &page(),
        ".a{background:#fafafa}.b{background:#fafafa}.c{background-color:#FAFAFA}.d{background:#fff}",
    );
    assert_eq!(
        v(&c.background),
        Some(("#FAFAFA", "css:most declared background (3 rules)"))
    );
}

#[test]
fn accent_prefers_colour_distinct_from_background() {
    let c = run(
        &page(),
        "body{background:#E63946} .btn-primary{background:#E63946} .logo{color:#F1FAEE} .hero{background:#457B9D}",
    );
    assert_eq!(c.background.unwrap().value, "#E63946");
    assert_eq!(c.accent.unwrap().value, "#457B9D");
}

#[test]
fn bootstrap_tints_and_contrast_tokens_are_not_brand() {
    let c = run(
        &page(),
        ":root{--bs-primary-bg-subtle:#cfe2ff;--bs-body-bg:#fff;--primary-contrast:#ffffff;--brand:#7B2CBF}",
    );
    assert_eq!(v(&c.background), Some(("#FFFFFF", "css:--bs-body-bg")));
    assert_eq!(v(&c.accent), Some(("#7B2CBF", "css:--brand")));
}
