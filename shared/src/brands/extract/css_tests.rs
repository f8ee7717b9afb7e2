use super::*;

fn read(css: &str) -> Stylesheet {
    read_stylesheet(
        css.as_bytes(),
        &Url::parse("https://acme.test/css/site.css").unwrap(),
    )
}

fn decl<'a>(s: &'a Stylesheet, sel: &str, prop: &str) -> Option<&'a str> {
    s.rules
        .iter()
        .filter(|r| r.selector == sel)
        .flat_map(|r| &r.declarations)
        .find(|d| d.property == prop)
        .map(|d| d.value.as_str())
}

#[test]
fn rules_keep_only_colour_and_type_declarations() {
    let s = read(
        "/* c */ .btn-primary { color: #fff; padding: 4px; background-color: #C0392B !important }\n h1{margin:0}",
    );
    assert_eq!(s.rules.len(), 1);
    assert_eq!(s.rules[0].selector, ".btn-primary");
    assert_eq!(decl(&s, ".btn-primary", "color"), Some("#fff"));
    let bg = &s.rules[0].declarations[1];
    assert_eq!((bg.value.as_str(), bg.important), ("#C0392B", true));
}

#[test]
fn custom_properties_keep_case_and_selector() {
    let s = read(":root{--Brand-Primary: #e63946; --space: 4px}");
    let names: Vec<_> = s
        .custom_properties
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["--Brand-Primary", "--space"]);
    assert_eq!(s.custom_properties[0].selector, ":root");
}

#[test]
fn media_supports_layer_entered_but_print_and_dark_skipped() {
    let s = read(
        "@media (min-width: 600px){ .a{color:red} }
         @supports (display:grid){ @layer base { .b{color:blue} } }
         @media print{ .c{color:green} }
         @media (prefers-color-scheme: dark){ :root{--bg:#000} }
         @keyframes spin{ from{color:red} to{color:blue} }
         .d{color:#123}",
    );
    let sels: Vec<_> = s.rules.iter().map(|r| r.selector.as_str()).collect();
    assert_eq!(sels, [".a", ".b", ".d"]);
    assert!(s.custom_properties.is_empty());
}

#[test]
fn nesting_is_flattened() {
    let s = read(".card{ color:#111; &:hover{color:#222} .title{font-family:Lora} }");
    let sels: Vec<_> = s.rules.iter().map(|r| r.selector.as_str()).collect();
    assert_eq!(sels, [".card:hover", ".card .title", ".card"]);
}

#[test]
fn font_face_and_imports() {
    let s = read(
        "@charset \"utf-8\"; @import url(\"base.css\"); @import 'https://fonts.googleapis.com/css2?family=Lora:wght@400;700';
         @import url(theme.css) screen;
         @font-face { font-family: \"Brand Sans\"; src: url(a.woff2); font-weight: 700 }
         a{color:red}
         @import url(late.css);",
    );
    let imports: Vec<_> = s.imports.iter().map(Url::as_str).collect();
    assert_eq!(
        imports,
        [
            "https://acme.test/css/base.css",
            "https://acme.test/css/theme.css"
        ]
    );
    assert_eq!(s.google_fonts[0].family, "Lora");
    assert_eq!(
        s.font_faces[0],
        FontFace {
            family: "Brand Sans".into(),
            weight: Some("700".into())
        }
    );
}

#[test]
fn imports_are_capped() {
    let css: String = (0..20).map(|i| format!("@import url(s{i}.css);")).collect();
    assert_eq!(read(&css).imports.len(), MAX_IMPORTS);
}

#[test]
fn unquoted_urls_with_semicolons_and_quotes_survive() {
    let s = read(
        ".logo{background:url(data:image/svg+xml;utf8,<svg xmlns='x'>) no-repeat;color:#0070f3}",
    );
    assert_eq!(decl(&s, ".logo", "color"), Some("#0070f3"));
    assert!(
        decl(&s, ".logo", "background")
            .unwrap()
            .starts_with("url(data:image/svg+xml;utf8")
    );
}

#[test]
fn strings_and_comments_hide_braces() {
    let s = read(".a[title=\"}{\"]{color:red} /* } */ .b{content:'}';color:blue}");
    let sels: Vec<_> = s.rules.iter().map(|r| r.selector.as_str()).collect();
    assert_eq!(sels, [".a[title=\"}{\"]", ".b"]);
}

#[test]
fn error_recovery() {
    // A bad declaration, a stray `}`, garbage up to `;`, an unterminated block.
    let s = read(".a{color:red; :: ; ;color} } garbage; .b{color:blue} .c{color:green");
    let sels: Vec<_> = s.rules.iter().map(|r| r.selector.as_str()).collect();
    assert_eq!(sels, [".a", ".b", ".c"]);
    // A newline ends a bad string.
    let s = read(".a{font-family:\"Oops\n;color:red}.b{color:blue}");
    assert!(s.rules.iter().any(|r| r.selector == ".b"));
}

#[test]
fn leading_imports_of_style_blocks() {
    let v = leading_imports(
        "@charset 'x'; @import \"a.css\"; @import url(b.css); body{} @import 'c.css';",
    );
    assert_eq!(v, ["a.css", "b.css"]);
    assert!(leading_imports("body{}").is_empty());
}

#[test]
fn declarations_are_capped() {
    let css = ".a{color:red}".repeat(MAX_DECLARATIONS + 100);
    let s = read(&css);
    assert_eq!(s.rules.len(), MAX_DECLARATIONS);
}
