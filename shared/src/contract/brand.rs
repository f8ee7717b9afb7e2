//! The brand routes' requests (spec §7): `POST /api/v1/brands` (a brand from a Brand DNA
//! document and an optional logo), `GET /api/v1/brands?limit=&offset=`, and
//! `POST /api/v1/brands/extract`. Walked by hand, like the generation body, so every problem is
//! listed with its exact path (`brand_dna.primary_accent_hex`, `logo`).
//!
//! A stored brand's `brand_dna` takes only the keys of spec §7 (an unknown key is refused, so
//! a typo never silently drops a colour); the inline `brand_identity_json` of a generation
//! stays lenient about extra scalars, as spec §3 allows.

use serde_json::{Map, Value};

use super::Issue;
use super::brand_dna::{DnaRules, parse_dna};
use super::generation::{BodyError, bounded_text, json_error_text, present, reject_unknown};
use super::reference::{
    DataUrl, MAX_IMAGE_BYTES, check_raster, check_url, decode_base64, not_base64, split_data_url,
};
use super::upload::UploadId;

pub const BRANDS_PATH: &str = "/api/v1/brands";
pub const BRANDS_PREFIX: &str = "/api/v1/brands/";
pub const BRANDS_EXTRACT_PATH: &str = "/api/v1/brands/extract";
/// The idempotency key space of brand extraction (apart from the generations endpoint's).
pub const EXTRACT_ENDPOINT: &str = "brands.extract";

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DOMAIN_CHARS: usize = 253;
/// The largest SVG logo accepted: logos are a few kilobytes; anything far larger is a
/// drawing, an embedded bitmap or an attack on the rasteriser.
pub const MAX_SVG_BYTES: usize = 512 * 1024;
pub const DEFAULT_LIST_LIMIT: usize = 20;
pub const MAX_LIST_LIMIT: usize = 100;
/// Deep offsets cost a scan on every store; past this, narrow the listing instead.
pub const MAX_LIST_OFFSET: usize = 10_000;

const FIELDS: &[&str] = &["name", "domain", "brand_dna", "logo"];
const EXTRACT_FIELDS: &[&str] = &["url"];

/// A logo as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoInput {
    /// An https URL, fetched by the worker when it draws the logo.
    Url(String),
    /// PNG, JPEG or WebP bytes (header checked) or SVG markup (size checked); the codec
    /// decides the rest.
    Inline(Vec<u8>),
    /// `upload://upl_<uuid>` (spec §11), read when the brand is created.
    Upload(UploadId),
}

/// A valid `POST /api/v1/brands` body.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandRequest {
    pub name: String,
    pub domain: Option<String>,
    pub brand_dna: Map<String, Value>,
    pub logo: Option<LogoInput>,
}

impl BrandRequest {
    pub fn parse(body: &[u8]) -> Result<Self, BodyError> {
        let fields = object_body(body)?;
        let mut issues = Vec::new();
        reject_unknown(&fields, FIELDS, "", &mut issues);
        let name = match present(&fields, "name") {
            None => {
                issues.push(Issue::new(
                    "name",
                    "required",
                    format!("name is required: 1 to {MAX_NAME_CHARS} characters"),
                ));
                None
            }
            Some(v) => bounded_text(v, "name", MAX_NAME_CHARS, &mut issues),
        };
        let domain = present(&fields, "domain").and_then(|v| domain(v, &mut issues));
        let brand_dna = present(&fields, "brand_dna")
            .and_then(|v| parse_dna(v, "brand_dna", DnaRules::Stored, &mut issues))
            .unwrap_or_default();
        let logo = present(&fields, "logo").and_then(|v| logo(v, &mut issues));
        match name {
            Some(name) if issues.is_empty() => Ok(BrandRequest {
                name,
                domain,
                brand_dna,
                logo,
            }),
            _ => Err(BodyError::Invalid(issues)),
        }
    }
}

/// A valid `POST /api/v1/brands/extract` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRequest {
    pub url: String,
    /// The host, lower-cased without a leading `www.`: the brand's `domain`, and what makes
    /// a re-extraction update the same brand.
    pub domain: String,
}

impl ExtractRequest {
    /// `allow_loopback` is `adgen serve --allow-loopback-urls` (spec §8).
    pub fn parse(body: &[u8], allow_loopback: bool) -> Result<Self, BodyError> {
        let fields = object_body(body)?;
        let mut issues = Vec::new();
        reject_unknown(&fields, EXTRACT_FIELDS, "", &mut issues);
        let url = match fields.get("url") {
            None | Some(Value::Null) => {
                issues.push(Issue::new(
                    "url",
                    "required",
                    "url is required: the https:// address of the brand's website",
                ));
                None
            }
            Some(Value::String(text)) => match check_url(text.trim(), allow_loopback) {
                Ok(url) => Some(url),
                Err((code, message)) => {
                    issues.push(Issue::new("url", code, format!("url: {message}")));
                    None
                }
            },
            Some(_) => {
                issues.push(Issue::new(
                    "url",
                    "invalid_type",
                    "url must be a string: the https:// address of the brand's website",
                ));
                None
            }
        };
        match url {
            Some(url) if issues.is_empty() => {
                let domain = site_domain(&url).unwrap_or_default();
                Ok(ExtractRequest { url, domain })
            }
            _ => Err(BodyError::Invalid(issues)),
        }
    }
}

/// The brand domain a site URL stands for: its host, lower-cased, without `www.`.
pub fn site_domain(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_owned())
}

/// `GET /api/v1/brands` query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: usize,
    pub offset: usize,
}

impl ListQuery {
    pub fn parse(query: Option<&str>) -> Result<Self, Vec<Issue>> {
        let mut limit = DEFAULT_LIST_LIMIT;
        let mut offset = 0;
        let mut issues = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "limit" => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_LIST_LIMIT).contains(&n) => limit = n,
                    _ => issues.push(Issue::new(
                        "limit",
                        "out_of_range",
                        format!("limit must be an integer from 1 to {MAX_LIST_LIMIT}"),
                    )),
                },
                "offset" => match value.parse::<usize>() {
                    Ok(n) if n <= MAX_LIST_OFFSET => offset = n,
                    _ => issues.push(Issue::new(
                        "offset",
                        "out_of_range",
                        format!("offset must be an integer from 0 to {MAX_LIST_OFFSET}"),
                    )),
                },
                other => issues.push(Issue::unknown_query_param(other, &["limit", "offset"])),
            }
        }
        if issues.is_empty() {
            Ok(ListQuery { limit, offset })
        } else {
            Err(issues)
        }
    }
}

pub(super) fn object_body(body: &[u8]) -> Result<Map<String, Value>, BodyError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| BodyError::Json(json_error_text(&e)))?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err(BodyError::Invalid(vec![Issue::new(
            "body",
            "invalid_type",
            "the body must be a JSON object",
        )])),
    }
}

/// A host name such as `example.com` (lower-cased, no scheme, path or port).
fn domain(value: &Value, issues: &mut Vec<Issue>) -> Option<String> {
    let text = bounded_text(value, "domain", MAX_DOMAIN_CHARS, issues)?;
    let lower = text.trim_end_matches('.').to_ascii_lowercase();
    let valid = lower.contains('.')
        && lower.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid {
        Some(lower.strip_prefix("www.").unwrap_or(&lower).to_owned())
    } else {
        issues.push(Issue::new(
            "domain",
            "invalid_domain",
            "domain must be a host name such as example.com (no scheme, path or port)",
        ));
        None
    }
}

/// Whether `bytes` are SVG markup: optional BOM and whitespace, then an XML declaration,
/// comments or a doctype, then `<svg`. The codec parses it properly later.
pub fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').to_ascii_lowercase();
    text.trim_start().starts_with("<?xml") && text.contains("<svg")
        || text.trim_start().starts_with("<svg")
        || text.trim_start().starts_with("<!--") && text.contains("<svg")
        || text.trim_start().starts_with("<!doctype svg")
}

fn logo(value: &Value, issues: &mut Vec<Issue>) -> Option<LogoInput> {
    const PARAM: &str = "logo";
    let Some(text) = value.as_str().map(str::trim) else {
        issues.push(Issue::new(
            PARAM,
            "invalid_type",
            "logo must be a string: an https URL, a data URL or base64 of a PNG, JPEG, WebP or SVG",
        ));
        return None;
    };
    match parse_logo(text) {
        Ok(logo) => Some(logo),
        Err((code, message)) => {
            issues.push(Issue::new(PARAM, code, format!("logo {message}")));
            None
        }
    }
}

/// A logo in any of the forms of a reference image (spec §3), plus SVG: as a data URL
/// (`data:image/svg+xml;base64,…`), as base64, or as the markup itself.
pub fn parse_logo(text: &str) -> Result<LogoInput, (&'static str, String)> {
    if text.is_empty() {
        return Err(("empty", "must not be empty".into()));
    }
    if looks_like_svg(text.as_bytes()) {
        return svg(text.as_bytes().to_vec());
    }
    if text
        .get(..5)
        .is_some_and(|h| h.eq_ignore_ascii_case("data:"))
    {
        let DataUrl {
            mime,
            base64,
            payload,
        } = split_data_url(&text[5..])?;
        if !base64 {
            return Err(not_base64());
        }
        return match mime.as_str() {
            "image/svg+xml" => svg(decode_base64(payload, MAX_SVG_BYTES)?),
            "image/png" | "image/jpeg" | "image/webp" => raster(payload),
            _ => Err((
                "unsupported_format",
                format!(
                    "data URLs must declare image/png, image/jpeg, image/webp or image/svg+xml, not {mime:?}"
                ),
            )),
        };
    }
    if let Some(upload) = UploadId::from_reference(text) {
        return upload.map(LogoInput::Upload);
    }
    if text.contains("://") {
        return check_url(text, false).map(LogoInput::Url);
    }
    raster(text)
}

fn raster(encoded: &str) -> Result<LogoInput, (&'static str, String)> {
    let bytes = decode_base64(encoded, MAX_IMAGE_BYTES)?;
    if looks_like_svg(&bytes) {
        return svg(bytes);
    }
    check_raster(bytes).map(|image| LogoInput::Inline(image.bytes.to_vec()))
}

fn svg(bytes: Vec<u8>) -> Result<LogoInput, (&'static str, String)> {
    if bytes.len() > MAX_SVG_BYTES {
        return Err((
            "too_large",
            format!("SVG logos must be at most {MAX_SVG_BYTES} bytes"),
        ));
    }
    if !looks_like_svg(&bytes) {
        return Err(("unsupported_format", "is not an SVG document".into()));
    }
    Ok(LogoInput::Inline(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use serde_json::json;

    fn params(body: Value) -> Vec<(String, &'static str)> {
        match BrandRequest::parse(body.to_string().as_bytes()) {
            Err(BodyError::Invalid(issues)) => {
                issues.into_iter().map(|i| (i.param, i.code)).collect()
            }
            other => panic!("expected issues, got {other:?}"),
        }
    }

    fn png() -> Vec<u8> {
        // A 1×1 PNG header is all the submission check reads.
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend_from_slice(&[
            0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
        ]);
        bytes
    }

    #[test]
    fn a_full_brand_is_accepted_and_nulls_are_dropped() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(png());
        let brand = BrandRequest::parse(
            json!({
                "name": "  Acme  ", "domain": "WWW.Acme.Example.",
                "brand_dna": {"primary_accent_hex": "#FF6600", "call_to_action": "Buy", "font_family": null},
                "logo": format!("data:image/png;base64,{b64}")
            })
            .to_string()
            .as_bytes(),
        )
        .expect("valid");
        assert_eq!(brand.name, "Acme");
        assert_eq!(brand.domain.as_deref(), Some("acme.example"));
        assert_eq!(brand.brand_dna.len(), 2);
        assert_eq!(brand.logo, Some(LogoInput::Inline(png())));
    }

    #[test]
    fn every_rule_names_its_param() {
        assert_eq!(
            params(json!({
                "nme": "x", "domain": "https://acme.example/",
                "brand_dna": {"primary_accent_hex": "orange", "mascot": "owl", "color_palette": []},
                "logo": "data:image/gif;base64,R0lGOD"
            })),
            [
                ("nme".to_owned(), "unknown_field"),
                ("name".to_owned(), "required"),
                ("domain".to_owned(), "invalid_domain"),
                ("brand_dna.mascot".to_owned(), "unknown_field"),
                ("brand_dna.color_palette".to_owned(), "too_short"),
                ("brand_dna.primary_accent_hex".to_owned(), "invalid_colour"),
                ("logo".to_owned(), "unsupported_format"),
            ]
        );
        assert_eq!(
            params(json!({"name": "", "brand_dna": [1], "logo": 7})),
            [
                ("name".to_owned(), "too_short"),
                ("brand_dna".to_owned(), "invalid_type"),
                ("logo".to_owned(), "invalid_type"),
            ]
        );
        assert_eq!(
            params(json!({"name": "x".repeat(201)})),
            [("name".to_owned(), "too_long")]
        );
    }

    #[test]
    fn logos_in_every_form() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(svg);
        let declared = format!("<?xml version=\"1.0\"?>\n{svg}");
        for (form, markup) in [
            (svg.to_owned(), svg),
            (declared.clone(), declared.as_str()),
            (format!("data:image/svg+xml;base64,{b64}"), svg),
            (b64.clone(), svg),
        ] {
            assert_eq!(
                parse_logo(&form),
                Ok(LogoInput::Inline(markup.as_bytes().to_vec())),
                "{form}"
            );
        }
        assert_eq!(
            parse_logo("https://cdn.example.com/logo.svg"),
            Ok(LogoInput::Url("https://cdn.example.com/logo.svg".into()))
        );
        assert_eq!(
            parse_logo("http://cdn.example.com/logo.svg").map_err(|e| e.0),
            Err("unsupported_scheme")
        );
        let huge = format!("<svg>{}</svg>", " ".repeat(MAX_SVG_BYTES));
        assert_eq!(parse_logo(&huge).map_err(|e| e.0), Err("too_large"));
        assert_eq!(
            parse_logo("data:image/svg+xml,<svg/>").map_err(|e| e.0),
            Err("invalid_data_url")
        );
    }

    #[test]
    fn extract_requests() {
        let ok = ExtractRequest::parse(br#"{"url": " https://WWW.Acme.test/about "}"#, false)
            .expect("valid");
        assert_eq!(ok.url, "https://www.acme.test/about");
        assert_eq!(ok.domain, "acme.test");
        for (body, code) in [
            (r#"{}"#, "required"),
            (r#"{"url": 5}"#, "invalid_type"),
            (r#"{"url": "http://acme.test"}"#, "unsupported_scheme"),
            (r#"{"url": "https://10.0.0.1/"}"#, "blocked_address"),
            (r#"{"url": "http://127.0.0.1:9/"}"#, "unsupported_scheme"),
        ] {
            match ExtractRequest::parse(body.as_bytes(), false) {
                Err(BodyError::Invalid(issues)) => assert_eq!(issues[0].code, code, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        // Local development lets exactly the loopback names through (spec §8).
        assert!(ExtractRequest::parse(br#"{"url": "http://127.0.0.1:9/"}"#, true).is_ok());
        assert!(ExtractRequest::parse(br#"{"url": "http://localhost:9/"}"#, true).is_ok());
        assert!(ExtractRequest::parse(br#"{"url": "http://[::1]:9/"}"#, true).is_ok());
        assert!(ExtractRequest::parse(br#"{"url": "http://10.0.0.1/"}"#, true).is_err());
        assert!(ExtractRequest::parse(br#"{"url": "https://127.0.0.2/"}"#, true).is_err());
        assert!(matches!(
            ExtractRequest::parse(br#"{"url": "https://a.test", "depth": 2}"#, false),
            Err(BodyError::Invalid(i)) if i[0].param == "depth"
        ));
    }

    #[test]
    fn list_query_bounds() {
        assert_eq!(
            ListQuery::parse(None),
            Ok(ListQuery {
                limit: 20,
                offset: 0
            })
        );
        assert_eq!(
            ListQuery::parse(Some("limit=100&offset=5")),
            Ok(ListQuery {
                limit: 100,
                offset: 5
            })
        );
        for bad in [
            "limit=0",
            "limit=101",
            "limit=x",
            "offset=-1",
            "offset=10001",
            "page=2",
        ] {
            assert!(ListQuery::parse(Some(bad)).is_err(), "{bad}");
        }
        // Found by fuzzing: a nameless parameter was refused with an empty `param`.
        let issues = ListQuery::parse(Some("=5")).expect_err("nameless");
        assert_eq!(issues[0].param, "query");
    }
}
