//! Uploads (spec §11): `POST /api/v1/uploads` asks for a place to PUT one image of up to
//! 15 MB, since a Lambda request carries at most 6 MB; the image is then named by
//! `upload://upl_<uuid>` in `reference_images` or as a brand's `logo`. This module holds the
//! request body, the id and reference forms and the 201's wire shape; the record and its
//! rules are `crate::uploads`.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::Issue;
use super::brand::object_body;
use super::generation::{BodyError, present, reject_unknown, whole_number};
use super::reference::MAX_IMAGE_BYTES;

pub const UPLOADS_PATH: &str = "/api/v1/uploads";
/// `adgen serve`'s own PUT target (on AWS the client PUTs to S3).
pub const RECEIVE_PREFIX: &str = "/uploads/";
pub const ID_PREFIX: &str = "upl_";
pub const REFERENCE_SCHEME: &str = "upload://";

const FIELDS: &[&str] = &["content_type", "size_bytes"];

/// An upload's id: `upl_` and a lower-case hyphenated UUID (the only spelling accepted, so
/// one upload has one name in keys, logs and references).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId(pub Uuid);

impl UploadId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix(ID_PREFIX)?;
        let uuid = Uuid::parse_str(hex).ok()?;
        (uuid.hyphenated().to_string() == hex).then_some(Self(uuid))
    }

    /// `upload://upl_<uuid>`, the form a request names it by.
    pub fn reference(self) -> String {
        format!("{REFERENCE_SCHEME}{self}")
    }

    /// `Some` when `text` uses the `upload://` scheme (any letter case): the id, or a refusal
    /// for a malformed one.
    pub fn from_reference(text: &str) -> Option<Result<Self, (&'static str, String)>> {
        let head = text.get(..REFERENCE_SCHEME.len())?;
        if !head.eq_ignore_ascii_case(REFERENCE_SCHEME) {
            return None;
        }
        let rest = &text[REFERENCE_SCHEME.len()..];
        Some(Self::parse(rest).ok_or((
            "invalid_upload_reference",
            "upload references look like upload://upl_<uuid>, as POST /api/v1/uploads returned it"
                .to_owned(),
        )))
    }
}

impl Default for UploadId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for UploadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{ID_PREFIX}{}", self.0.hyphenated())
    }
}

impl Serialize for UploadId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What an upload may hold. SVG is for logos only (references are raster images).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UploadType {
    Jpeg,
    Png,
    Webp,
    Svg,
}

impl UploadType {
    pub const ALL: [UploadType; 4] = [Self::Jpeg, Self::Png, Self::Webp, Self::Svg];

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Svg => "image/svg+xml",
        }
    }

    /// Exactly one of the four media types (lower case, no parameters): the PUT must send
    /// the same `Content-Type`, and a presigned S3 PUT is bound to it byte for byte.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.content_type() == text)
    }
}

/// A valid `POST /api/v1/uploads` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateUpload {
    pub content_type: UploadType,
    pub size_bytes: u64,
}

impl CreateUpload {
    pub fn parse(body: &[u8]) -> Result<Self, BodyError> {
        let fields = object_body(body)?;
        let mut issues = Vec::new();
        reject_unknown(&fields, FIELDS, "", &mut issues);
        let types = UploadType::ALL.map(UploadType::content_type).join(", ");
        let content_type = match present(&fields, "content_type") {
            None => {
                issues.push(Issue::new(
                    "content_type",
                    "required",
                    format!("content_type is required: one of {types}"),
                ));
                None
            }
            Some(Value::String(text)) => {
                let parsed = UploadType::parse(text);
                if parsed.is_none() {
                    issues.push(Issue::new(
                        "content_type",
                        "invalid_value",
                        format!("content_type must be one of {types}"),
                    ));
                }
                parsed
            }
            Some(_) => {
                issues.push(Issue::new(
                    "content_type",
                    "invalid_type",
                    format!("content_type must be a string: one of {types}"),
                ));
                None
            }
        };
        let range = format!("an integer from 1 to {MAX_IMAGE_BYTES} (15 MiB)");
        let size_bytes = match present(&fields, "size_bytes") {
            None => {
                issues.push(Issue::new(
                    "size_bytes",
                    "required",
                    format!("size_bytes is required: {range}"),
                ));
                None
            }
            Some(value @ Value::Number(n)) => match whole_number(value) {
                Some(size) if (1..=MAX_IMAGE_BYTES as u64).contains(&size) => Some(size),
                // A whole number out of range (negative ones included).
                _ if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                    issues.push(Issue::new(
                        "size_bytes",
                        "out_of_range",
                        format!("size_bytes must be {range}"),
                    ));
                    None
                }
                _ => {
                    issues.push(Issue::new(
                        "size_bytes",
                        "invalid_type",
                        format!("size_bytes must be {range}"),
                    ));
                    None
                }
            },
            Some(_) => {
                issues.push(Issue::new(
                    "size_bytes",
                    "invalid_type",
                    format!("size_bytes must be {range}"),
                ));
                None
            }
        };
        match (content_type, size_bytes) {
            (Some(content_type), Some(size_bytes)) if issues.is_empty() => Ok(Self {
                content_type,
                size_bytes,
            }),
            _ => Err(BodyError::Invalid(issues)),
        }
    }
}

/// The headers the PUT must carry (exactly these: a presigned S3 PUT is signed over them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PutHeaders {
    #[serde(rename = "Content-Type")]
    pub content_type: &'static str,
}

/// The 201's `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadCreated {
    pub id: UploadId,
    pub object: &'static str,
    pub upload_url: String,
    pub method: &'static str,
    pub headers: PutHeaders,
    pub content_type: &'static str,
    pub size_bytes: u64,
    /// Unix seconds after which `upload_url` no longer takes the bytes.
    pub expires_at: i64,
    pub reference: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(body: Value) -> Vec<(String, &'static str)> {
        match CreateUpload::parse(body.to_string().as_bytes()) {
            Err(BodyError::Invalid(issues)) => {
                issues.into_iter().map(|i| (i.param, i.code)).collect()
            }
            other => panic!("expected issues, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_body() {
        let body = json!({"content_type": "image/jpeg", "size_bytes": 12_000_000});
        assert_eq!(
            CreateUpload::parse(body.to_string().as_bytes()).ok(),
            Some(CreateUpload {
                content_type: UploadType::Jpeg,
                size_bytes: 12_000_000
            })
        );
        let max = json!({"content_type": "image/svg+xml", "size_bytes": MAX_IMAGE_BYTES});
        assert!(CreateUpload::parse(max.to_string().as_bytes()).is_ok());
        // A whole number written as a float is an integer (JSON Schema's reading).
        let float = br#"{"content_type": "image/png", "size_bytes": 15728640.0}"#;
        assert_eq!(
            CreateUpload::parse(float).map(|u| u.size_bytes).ok(),
            Some(MAX_IMAGE_BYTES as u64)
        );
    }

    #[test]
    fn every_problem_is_listed() {
        assert_eq!(
            params(json!({})),
            [
                ("content_type".to_owned(), "required"),
                ("size_bytes".to_owned(), "required")
            ]
        );
        assert_eq!(
            params(json!({"content_type": "image/gif", "size_bytes": 0, "name": "x"})),
            [
                ("name".to_owned(), "unknown_field"),
                ("content_type".to_owned(), "invalid_value"),
                ("size_bytes".to_owned(), "out_of_range")
            ]
        );
        for size in [json!(-1), json!(MAX_IMAGE_BYTES + 1), json!(-2.0)] {
            assert_eq!(
                params(json!({"content_type": "image/png", "size_bytes": size})),
                [("size_bytes".to_owned(), "out_of_range")]
            );
        }
        for size in [json!(1.5), json!("10"), json!(true)] {
            assert_eq!(
                params(json!({"content_type": "image/png", "size_bytes": size})),
                [("size_bytes".to_owned(), "invalid_type")]
            );
        }
        // Exact media types only: the PUT is bound to the very string.
        for text in ["IMAGE/PNG", "image/png; charset=x", " image/png"] {
            assert_eq!(
                params(json!({"content_type": text, "size_bytes": 5})),
                [("content_type".to_owned(), "invalid_value")]
            );
        }
        assert_eq!(
            params(json!({"content_type": 7, "size_bytes": 5})),
            [("content_type".to_owned(), "invalid_type")]
        );
    }

    #[test]
    fn ids_have_one_spelling() {
        let id = UploadId::new();
        assert_eq!(UploadId::parse(&id.to_string()), Some(id));
        assert_eq!(
            UploadId::from_reference(&id.reference()).map(|r| r.ok()),
            Some(Some(id))
        );
        let upper = format!("upl_{}", id.0.hyphenated().to_string().to_uppercase());
        assert_eq!(UploadId::parse(&upper), None);
        assert_eq!(UploadId::parse(&format!("upl_{}", id.0.simple())), None);
        assert_eq!(UploadId::parse(&id.0.to_string()), None);
        assert!(UploadId::from_reference("https://example.com/a.png").is_none());
        assert!(matches!(
            UploadId::from_reference("UPLOAD://upl_nope"),
            Some(Err(("invalid_upload_reference", _)))
        ));
    }
}
