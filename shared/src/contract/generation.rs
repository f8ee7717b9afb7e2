//! `POST /api/v1/images/generations` (alias `/api/v1/ads/generate`): body validation (spec §3).
//!
//! The body is walked by hand rather than deserialized so that every problem is reported
//! (`issues`), each with its exact path (`output.aspect_ratio`, `reference_images[2]`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Issue;
use super::brand_dna::{DnaRules, parse_dna};
use super::output::{
    AspectRatio, ImageFormat, MAX_BYTES_RANGE, OutputRequest, QUALITY_RANGE, Resolution,
    ThinkingIntensity,
};
use super::reference::{ReferenceImage, parse_reference};
use crate::digest::sha256_hex;

pub const MAX_PROMPT_CHARS: usize = 5000;
pub const MAX_REFERENCES: usize = 6;
pub const MAX_CLIENT_REFERENCE_CHARS: usize = 200;
pub const MAX_METADATA_KEYS: usize = 16;
pub const MAX_METADATA_KEY_CHARS: usize = 40;
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

const FIELDS: &[&str] = &[
    "prompt",
    "reference_images",
    "brand_id",
    "brand_identity_json",
    "output",
    "client_reference_id",
    "metadata",
];
const OUTPUT_FIELDS: &[&str] = &[
    "aspect_ratio",
    "resolution",
    "thinking_intensity",
    "format",
    "quality",
    "max_bytes",
];

/// A request that passed every check of spec §3.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationRequest {
    pub prompt: String,
    pub reference_images: Vec<ReferenceImage>,
    pub brand_id: Option<Uuid>,
    pub brand_identity_json: Option<Map<String, Value>>,
    pub output: OutputRequest,
    pub client_reference_id: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("invalid request body")]
    Invalid(Vec<Issue>),
}

impl GenerationRequest {
    pub fn parse(body: &[u8]) -> Result<Self, BodyError> {
        Self::parse_with(body, false)
    }

    /// `allow_loopback` lets reference URLs on the local host names through
    /// (`adgen serve --allow-loopback-urls`, spec §8).
    pub fn parse_with(body: &[u8], allow_loopback: bool) -> Result<Self, BodyError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| BodyError::Json(json_error_text(&e)))?;
        let Value::Object(fields) = value else {
            return Err(BodyError::Invalid(vec![Issue::new(
                "body",
                "invalid_type",
                "the body must be a JSON object",
            )]));
        };
        let mut issues = Vec::new();
        reject_unknown(&fields, FIELDS, "", &mut issues);

        let prompt = match present(&fields, "prompt") {
            None => {
                issues.push(Issue::new(
                    "prompt",
                    "required",
                    "prompt is required: 1 to 5000 characters describing the ad",
                ));
                None
            }
            Some(v) => bounded_text(v, "prompt", MAX_PROMPT_CHARS, &mut issues),
        };
        let reference_images = present(&fields, "reference_images")
            .map(|v| references(v, allow_loopback, &mut issues))
            .unwrap_or_default();
        let brand_id = present(&fields, "brand_id").and_then(|v| {
            match v.as_str().map(|s| Uuid::try_parse(s.trim())) {
                Some(Ok(id)) => Some(id),
                _ => {
                    issues.push(Issue::new(
                        "brand_id",
                        "invalid_uuid",
                        "brand_id must be a brand's UUID",
                    ));
                    None
                }
            }
        });
        let brand_identity_json =
            present(&fields, "brand_identity_json").and_then(|v| brand_identity(v, &mut issues));
        let output = present(&fields, "output")
            .map(|v| output(v, &mut issues))
            .unwrap_or_default();
        let client_reference_id = present(&fields, "client_reference_id").and_then(|v| {
            bounded_text(
                v,
                "client_reference_id",
                MAX_CLIENT_REFERENCE_CHARS,
                &mut issues,
            )
        });
        let metadata = present(&fields, "metadata").and_then(|v| metadata(v, &mut issues));

        match prompt {
            Some(prompt) if issues.is_empty() => Ok(GenerationRequest {
                prompt,
                reference_images,
                brand_id,
                brand_identity_json,
                output,
                client_reference_id,
                metadata,
            }),
            _ => Err(BodyError::Invalid(issues)),
        }
    }

    /// The canonical form hashed for idempotency: inline images count by their decoded bytes,
    /// so the same image sent as a data URL or as raw base64 is the same request.
    pub fn canonical(&self) -> impl Serialize + '_ {
        #[derive(Serialize)]
        struct Canonical<'a> {
            prompt: &'a str,
            reference_images: Vec<String>,
            brand_id: Option<Uuid>,
            brand_identity_json: &'a Option<Map<String, Value>>,
            output: &'a OutputRequest,
            client_reference_id: &'a Option<String>,
            metadata: &'a Option<BTreeMap<String, String>>,
        }
        Canonical {
            prompt: &self.prompt,
            reference_images: self
                .reference_images
                .iter()
                .map(|r| match r {
                    ReferenceImage::Url(url) => format!("url:{url}"),
                    ReferenceImage::Inline(img) => {
                        format!("sha256:{}", sha256_hex(&img.bytes))
                    }
                    ReferenceImage::Upload(id) => id.reference(),
                })
                .collect(),
            brand_id: self.brand_id,
            brand_identity_json: &self.brand_identity_json,
            output: &self.output,
            client_reference_id: &self.client_reference_id,
            metadata: &self.metadata,
        }
    }
}

/// serde_json's message without our types' names, with the position.
pub(super) fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let cause = text.split(" at line").next().unwrap_or(&text);
    format!("{cause} at line {} column {}", e.line(), e.column())
}

/// A field counts as absent when missing or JSON `null`.
pub(super) fn present<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|v| !v.is_null())
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

pub(super) fn reject_unknown(
    fields: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
    issues: &mut Vec<Issue>,
) {
    for name in fields.keys().filter(|k| !allowed.contains(&k.as_str())) {
        // A nameless field (`{"": 1}`) is named by the object it is in (found by fuzzing).
        let (param, what) = match (name.is_empty(), prefix.is_empty()) {
            (false, _) => (join(prefix, name), format!("unknown field `{name}`")),
            (true, true) => ("body".to_owned(), "a field with an empty name".to_owned()),
            (true, false) => (prefix.to_owned(), "a field with an empty name".to_owned()),
        };
        issues.push(Issue::new(
            param,
            "unknown_field",
            format!("{what}; allowed fields: {}", allowed.join(", ")),
        ));
    }
}

/// A trimmed string of 1..=max characters.
pub(super) fn bounded_text(
    value: &Value,
    param: &str,
    max: usize,
    issues: &mut Vec<Issue>,
) -> Option<String> {
    let Some(text) = value.as_str() else {
        issues.push(Issue::new(
            param,
            "invalid_type",
            format!("{param} must be a string of 1 to {max} characters"),
        ));
        return None;
    };
    let trimmed = super::text::trim(text);
    let count = trimmed.chars().count();
    if count == 0 || count > max {
        issues.push(Issue::new(
            param,
            if count == 0 { "too_short" } else { "too_long" },
            format!("{param} must be 1 to {max} characters after trimming (got {count})"),
        ));
        return None;
    }
    Some(trimmed.to_owned())
}

fn references(value: &Value, allow_loopback: bool, issues: &mut Vec<Issue>) -> Vec<ReferenceImage> {
    let Some(items) = value.as_array() else {
        issues.push(Issue::new(
            "reference_images",
            "invalid_type",
            "reference_images must be an array of up to 6 strings (https URL, data URL or base64)",
        ));
        return Vec::new();
    };
    if items.len() > MAX_REFERENCES {
        issues.push(Issue::new(
            "reference_images",
            "too_many",
            format!(
                "reference_images holds at most {MAX_REFERENCES} images, not {}",
                items.len()
            ),
        ));
        return Vec::new();
    }
    let mut images = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let param = format!("reference_images[{i}]");
        let Some(text) = item.as_str() else {
            issues.push(Issue::new(
                param,
                "invalid_type",
                "each reference image must be a string: an https URL, a data URL or base64",
            ));
            continue;
        };
        match parse_reference(text, allow_loopback) {
            Ok(image) => images.push(image),
            Err((code, message)) => issues.push(Issue::new(
                param.clone(),
                code,
                format!("{param} {message}"),
            )),
        }
    }
    images
}

fn brand_identity(value: &Value, issues: &mut Vec<Issue>) -> Option<Map<String, Value>> {
    parse_dna(value, "brand_identity_json", DnaRules::Inline, issues)
}

fn output(value: &Value, issues: &mut Vec<Issue>) -> OutputRequest {
    let Some(fields) = value.as_object() else {
        issues.push(Issue::new(
            "output",
            "invalid_type",
            "output must be a JSON object",
        ));
        return OutputRequest::default();
    };
    reject_unknown(fields, OUTPUT_FIELDS, "output", issues);
    let request = OutputRequest {
        aspect_ratio: choice(
            fields,
            "aspect_ratio",
            AspectRatio::parse,
            AspectRatio::allowed,
            issues,
        ),
        resolution: choice(
            fields,
            "resolution",
            Resolution::parse,
            Resolution::allowed,
            issues,
        ),
        thinking_intensity: choice(
            fields,
            "thinking_intensity",
            ThinkingIntensity::parse,
            ThinkingIntensity::allowed,
            issues,
        ),
        format: choice(
            fields,
            "format",
            ImageFormat::parse,
            ImageFormat::allowed,
            issues,
        ),
        quality: None,
        max_bytes: None,
    };
    // Only the lossy formats have a quality to set or lower (PNG is the default format). A
    // format that is itself invalid has its own issue already.
    let format = request.format.unwrap_or(ImageFormat::Png);
    let format_invalid = present(fields, "format").is_some() && request.format.is_none();
    let lossy_only = |name: &str, given: bool, issues: &mut Vec<Issue>| {
        if given && !format_invalid && !format.has_quality() {
            issues.push(Issue::new(
                format!("output.{name}"),
                "invalid_value",
                format!(
                    "output.{name} applies to the jpeg and webp formats only (format is {})",
                    format.as_str()
                ),
            ));
        }
    };
    let quality = integer(fields, "quality", QUALITY_RANGE, issues);
    lossy_only("quality", quality.is_some(), issues);
    let max_bytes = integer(fields, "max_bytes", MAX_BYTES_RANGE, issues);
    lossy_only("max_bytes", max_bytes.is_some(), issues);
    OutputRequest {
        quality,
        max_bytes,
        ..request
    }
}

/// A non-negative integer as JSON Schema counts one: `85`, and also `85.0` (a number with no
/// fractional part is an integer there, and clients' serialisers write either).
pub(super) fn whole_number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        let f = value.as_f64()?;
        // Exactly representable: beyond 2^53 a float no longer names one integer.
        (f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&f)).then_some(f as u64)
    })
}

/// An integer field of `output` within `range`.
fn integer<T>(
    fields: &Map<String, Value>,
    name: &str,
    range: std::ops::RangeInclusive<T>,
    issues: &mut Vec<Issue>,
) -> Option<T>
where
    T: TryFrom<u64> + PartialOrd + std::fmt::Display + Copy,
{
    let value = present(fields, name)?;
    let parsed = whole_number(value)
        .and_then(|n| T::try_from(n).ok())
        .filter(|n| range.contains(n));
    if parsed.is_none() {
        issues.push(Issue::new(
            format!("output.{name}"),
            if value.is_number() {
                "invalid_value"
            } else {
                "invalid_type"
            },
            format!(
                "output.{name} must be an integer from {} to {}",
                range.start(),
                range.end()
            ),
        ));
    }
    parsed
}

fn choice<T>(
    fields: &Map<String, Value>,
    name: &str,
    parse: fn(&str) -> Option<T>,
    allowed: fn() -> String,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    let value = present(fields, name)?;
    let parsed = value.as_str().and_then(parse);
    if parsed.is_none() {
        issues.push(Issue::new(
            format!("output.{name}"),
            "invalid_value",
            format!("output.{name} must be one of: {}", allowed()),
        ));
    }
    parsed
}

fn metadata(value: &Value, issues: &mut Vec<Issue>) -> Option<BTreeMap<String, String>> {
    let Some(fields) = value.as_object() else {
        issues.push(Issue::new(
            "metadata",
            "invalid_type",
            "metadata must be an object of string keys to string values",
        ));
        return None;
    };
    let before = issues.len();
    if fields.len() > MAX_METADATA_KEYS {
        issues.push(Issue::new(
            "metadata",
            "too_many",
            format!(
                "metadata holds at most {MAX_METADATA_KEYS} keys, not {}",
                fields.len()
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (key, value) in fields {
        let param = format!("metadata.{key}");
        let key_chars = key.chars().count();
        if key_chars == 0 || key_chars > MAX_METADATA_KEY_CHARS {
            issues.push(Issue::new(
                param.clone(),
                "invalid_key",
                format!("metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters"),
            ));
        }
        match value.as_str() {
            Some(text) if text.chars().count() <= MAX_METADATA_VALUE_CHARS => {
                out.insert(key.clone(), text.to_owned());
            }
            Some(_) => issues.push(Issue::new(
                param,
                "too_long",
                format!("metadata values must be at most {MAX_METADATA_VALUE_CHARS} characters"),
            )),
            None => issues.push(Issue::new(
                param,
                "invalid_type",
                "metadata values must be strings",
            )),
        }
    }
    (issues.len() == before).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use adgen_testkit::images as samples;
    use serde_json::json;

    fn parse(v: Value) -> Result<GenerationRequest, BodyError> {
        GenerationRequest::parse(&serde_json::to_vec(&v).expect("serializable"))
    }

    fn issues(v: Value) -> Vec<(String, &'static str)> {
        match parse(v) {
            Err(BodyError::Invalid(issues)) => {
                issues.into_iter().map(|i| (i.param, i.code)).collect()
            }
            other => panic!("expected issues, got {other:?}"),
        }
    }

    fn one(v: Value) -> (String, &'static str) {
        let found = issues(v);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].clone()
    }

    fn png_b64() -> String {
        adgen_testkit::b64(&samples::png(4, 4))
    }

    #[test]
    fn minimal_request_is_trimmed_and_defaults_are_left_unset() {
        let req = parse(json!({"prompt": "  Coffee ad  "})).expect("valid");
        assert_eq!(req.prompt, "Coffee ad");
        assert_eq!(req.output, OutputRequest::default());
        assert!(
            req.reference_images.is_empty() && req.brand_id.is_none() && req.metadata.is_none()
        );
    }

    #[test]
    fn full_request_is_accepted() {
        let brand = Uuid::new_v4();
        let req = parse(json!({
            "prompt": "Story ad", "reference_images": [png_b64(), "https://cdn.example.com/a.jpg"],
            "brand_id": brand.to_string(), "brand_identity_json": {"core_slogan": "Hi"},
            "output": {"aspect_ratio": "4:5", "resolution": "2K", "thinking_intensity": "high", "format": "webp"},
            "client_reference_id": " camp-42 ", "metadata": {"campaign": "q4"}
        }))
        .expect("valid");
        assert_eq!(req.reference_images.len(), 2);
        assert_eq!(req.brand_id, Some(brand));
        assert_eq!(req.output.aspect_ratio, Some(AspectRatio::R4x5));
        assert_eq!(req.output.format, Some(ImageFormat::Webp));
        assert_eq!(req.client_reference_id.as_deref(), Some("camp-42"));
    }

    #[test]
    fn prompt_rules() {
        assert_eq!(one(json!({})), ("prompt".into(), "required"));
        assert_eq!(one(json!({"prompt": null})), ("prompt".into(), "required"));
        assert_eq!(
            one(json!({"prompt": " \n\t "})),
            ("prompt".into(), "too_short")
        );
        // Nothing visible once invisible characters are trimmed: empty, not a blank ad.
        for invisible in [
            "\u{200b}\u{200b}",
            "\u{feff}",
            "\u{2066}\u{200d}\u{2069}",
            "\u{0}",
        ] {
            assert_eq!(
                one(json!({ "prompt": invisible })),
                ("prompt".into(), "too_short"),
                "{invisible:?}"
            );
        }
        let req = parse(json!({"prompt": "\u{200b} Coffee ad \u{200e}"})).expect("valid");
        assert_eq!(req.prompt, "Coffee ad");
        assert_eq!(one(json!({"prompt": 5})), ("prompt".into(), "invalid_type"));
        assert_eq!(
            one(json!({"prompt": "é".repeat(5001)})),
            ("prompt".into(), "too_long")
        );
        assert!(parse(json!({"prompt": format!("  {}  ", "é".repeat(5000))})).is_ok());
    }

    #[test]
    fn unknown_fields_are_named_at_every_level() {
        assert_eq!(
            one(json!({"prompt": "p", "": 1})),
            ("body".into(), "unknown_field")
        );
        assert_eq!(
            one(json!({"prompt": "p", "output": {"": 1}})),
            ("output".into(), "unknown_field")
        );
        assert_eq!(
            one(json!({"prompt": "p", "colour": "red"})),
            ("colour".into(), "unknown_field")
        );
        assert_eq!(
            one(json!({"prompt": "p", "output": {"size": "big"}})),
            ("output.size".into(), "unknown_field")
        );
    }

    #[test]
    fn quality_and_max_bytes_for_the_lossy_formats() {
        let req = parse(json!({"prompt": "p", "output": {"format": "jpeg", "quality": 70, "max_bytes": 150000}}))
            .expect("valid");
        assert_eq!(req.output.quality, Some(70));
        assert_eq!(req.output.max_bytes, Some(150_000));
        for (output, path, code) in [
            (json!({"quality": 80}), "output.quality", "invalid_value"),
            (
                json!({"format": "png", "max_bytes": 150000}),
                "output.max_bytes",
                "invalid_value",
            ),
            (
                json!({"format": "jpeg", "quality": 0}),
                "output.quality",
                "invalid_value",
            ),
            (
                json!({"format": "jpeg", "quality": 101}),
                "output.quality",
                "invalid_value",
            ),
            (
                json!({"format": "webp", "quality": 85.5}),
                "output.quality",
                "invalid_value",
            ),
            (
                json!({"format": "webp", "quality": 85.25}),
                "output.quality",
                "invalid_value",
            ),
            (
                json!({"format": "webp", "quality": "85"}),
                "output.quality",
                "invalid_type",
            ),
            (
                json!({"format": "jpeg", "max_bytes": 19999}),
                "output.max_bytes",
                "invalid_value",
            ),
            (
                json!({"format": "jpeg", "max_bytes": 20000001}),
                "output.max_bytes",
                "invalid_value",
            ),
            (
                json!({"format": "jpeg", "max_bytes": -5}),
                "output.max_bytes",
                "invalid_value",
            ),
            (
                json!({"format": "gif", "quality": 80}),
                "output.format",
                "invalid_value",
            ),
        ] {
            assert_eq!(
                one(json!({"prompt": "p", "output": output})),
                (path.to_owned(), code),
                "{output}"
            );
        }
        for (format, quality, max_bytes) in [("jpeg", 1, 20000), ("webp", 100, 20000000)] {
            assert!(parse(json!({"prompt": "p", "output": {"format": format, "quality": quality, "max_bytes": max_bytes}})).is_ok());
        }
        // Null is absent, as everywhere in the body.
        assert!(parse(json!({"prompt": "p", "output": {"quality": null}})).is_ok());
    }

    #[test]
    fn output_values_are_checked_with_their_path() {
        for field in ["aspect_ratio", "resolution", "thinking_intensity", "format"] {
            let found = one(json!({"prompt": "p", "output": {field: "nope"}}));
            assert_eq!(found, (format!("output.{field}"), "invalid_value"));
        }
        assert_eq!(
            one(json!({"prompt": "p", "output": []})),
            ("output".into(), "invalid_type")
        );
        for ratio in AspectRatio::ALL {
            assert!(
                parse(json!({"prompt": "p", "output": {"aspect_ratio": ratio.as_str()}})).is_ok()
            );
        }
        for res in ["512", "1K", "2K", "4K"] {
            assert!(parse(json!({"prompt": "p", "output": {"resolution": res}})).is_ok());
        }
        assert_eq!(
            one(json!({"prompt": "p", "output": {"resolution": "1k"}})),
            ("output.resolution".into(), "invalid_value")
        );
    }

    #[test]
    fn reference_image_rules_use_indexed_params() {
        let seven = vec![png_b64(); 7];
        assert_eq!(
            one(json!({"prompt": "p", "reference_images": seven})),
            ("reference_images".into(), "too_many")
        );
        assert!(parse(json!({"prompt": "p", "reference_images": vec![png_b64(); 6]})).is_ok());
        assert_eq!(
            issues(
                json!({"prompt": "p", "reference_images": [png_b64(), 3, "http://x.com/a.png"]})
            ),
            [
                ("reference_images[1]".to_string(), "invalid_type"),
                ("reference_images[2]".to_string(), "unsupported_scheme")
            ]
        );
        assert_eq!(
            one(json!({"prompt": "p", "reference_images": "https://x.com/a.png"})),
            ("reference_images".into(), "invalid_type")
        );
    }

    #[test]
    fn brand_rules() {
        assert_eq!(
            one(json!({"prompt": "p", "brand_id": "nope"})),
            ("brand_id".into(), "invalid_uuid")
        );
        assert_eq!(
            one(json!({"prompt": "p", "brand_identity_json": "x"})),
            ("brand_identity_json".into(), "invalid_type")
        );
        let big = "x".repeat(super::super::brand_dna::MAX_IDENTITY_BYTES);
        assert_eq!(
            one(json!({"prompt": "p", "brand_identity_json": {"notes": big}})),
            ("brand_identity_json".into(), "too_large")
        );
        assert_eq!(
            one(json!({"prompt": "p", "brand_identity_json": {"primary_accent_hex": "#GGGGGG"}})),
            (
                "brand_identity_json.primary_accent_hex".into(),
                "invalid_colour"
            )
        );
    }

    #[test]
    fn client_reference_and_metadata_rules() {
        assert_eq!(
            one(json!({"prompt": "p", "client_reference_id": "x".repeat(201)})),
            ("client_reference_id".into(), "too_long")
        );
        assert_eq!(
            one(json!({"prompt": "p", "client_reference_id": "  "})),
            ("client_reference_id".into(), "too_short")
        );
        let seventeen: Map<String, Value> =
            (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert_eq!(
            one(json!({"prompt": "p", "metadata": seventeen})),
            ("metadata".into(), "too_many")
        );
        let sixteen: Map<String, Value> = (0..16).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(parse(json!({"prompt": "p", "metadata": sixteen})).is_ok());
        assert_eq!(
            one(json!({"prompt": "p", "metadata": {"campaign": 4}})),
            ("metadata.campaign".into(), "invalid_type")
        );
        assert_eq!(
            one(json!({"prompt": "p", "metadata": {"k".repeat(41): "v"}})),
            (format!("metadata.{}", "k".repeat(41)), "invalid_key")
        );
        assert_eq!(
            one(json!({"prompt": "p", "metadata": {"": "v"}})),
            ("metadata.".into(), "invalid_key")
        );
        assert_eq!(
            one(json!({"prompt": "p", "metadata": {"note": "v".repeat(501)}})),
            ("metadata.note".into(), "too_long")
        );
    }

    #[test]
    fn every_problem_is_listed_unknown_fields_first_then_in_field_order() {
        let found = issues(json!({
            "prompt": "  ", "output": {"aspect_ratio": "7:3", "resolution": "8K"},
            "metadata": {"x": 1}, "colour": "red"
        }));
        let params: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            params,
            [
                "colour",
                "prompt",
                "output.aspect_ratio",
                "output.resolution",
                "metadata.x"
            ]
        );
    }

    #[test]
    fn json_errors_are_told_apart_from_shape_errors() {
        assert!(matches!(
            GenerationRequest::parse(b"{\"prompt\": "),
            Err(BodyError::Json(_))
        ));
        assert!(matches!(
            GenerationRequest::parse(b""),
            Err(BodyError::Json(_))
        ));
        assert_eq!(one(json!(["prompt"])), ("body".into(), "invalid_type"));
    }

    #[test]
    fn canonical_form_ignores_key_order_whitespace_and_image_encoding() {
        // The idempotency fingerprint is the SHA-256 of exactly these bytes.
        let fp = |body: &str| {
            let req = GenerationRequest::parse(body.as_bytes()).expect("valid");
            serde_json::to_vec(&req.canonical()).expect("canonical form serializes")
        };
        let png = png_b64();
        let a = fp(&format!(
            r#"{{"prompt":"Hi","output":{{"format":"png","resolution":"1K"}},"reference_images":["{png}"]}}"#
        ));
        let b = fp(&format!(
            "{{ \"reference_images\" : [ \"data:image/png;base64,{png}\" ],\n \"output\": {{\"resolution\":\"1K\", \"format\":\"png\"}}, \"prompt\": \"  Hi \" }}"
        ));
        assert_eq!(a, b);
        let c = fp(r#"{"prompt":"Hi","output":{"format":"png","resolution":"1K"}}"#);
        assert_ne!(a, c);
    }
}
