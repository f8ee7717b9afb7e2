//! Webhook endpoint requests (spec §5): `POST /api/v1/webhooks` and
//! `PATCH /api/v1/webhooks/{id}`, checked to the field with every issue reported.

use serde_json::{Map, Value};

use super::Issue;
use super::brand::object_body;
use super::generation::{BodyError, bounded_text, present, reject_unknown};
use super::reference::check_url;
use crate::webhooks::{MAX_DESCRIPTION_CHARS, Secret};

pub const WEBHOOKS_PATH: &str = "/api/v1/webhooks";
pub const WEBHOOKS_PREFIX: &str = "/api/v1/webhooks/";

const CREATE_FIELDS: &[&str] = &["endpoint_url", "secret", "description"];
const UPDATE_FIELDS: &[&str] = &["is_active"];

/// `POST /api/v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateWebhook {
    pub endpoint_url: String,
    /// The client's own secret; one is generated when absent.
    pub secret: Option<Secret>,
    pub description: Option<String>,
}

impl CreateWebhook {
    /// `allow_loopback`: `adgen serve --allow-loopback-urls` (spec §8).
    pub fn parse(body: &[u8], allow_loopback: bool) -> Result<Self, BodyError> {
        let fields = object_body(body)?;
        let mut issues = Vec::new();
        reject_unknown(&fields, CREATE_FIELDS, "", &mut issues);
        let endpoint_url = match present(&fields, "endpoint_url") {
            None => {
                issues.push(Issue::new(
                    "endpoint_url",
                    "required",
                    "endpoint_url is required: the https:// URL that receives the events",
                ));
                None
            }
            Some(Value::String(text)) => match check_url(text.trim(), allow_loopback) {
                Ok(url) => Some(url),
                Err((code, message)) => {
                    issues.push(Issue::new(
                        "endpoint_url",
                        code,
                        format!("endpoint_url: {message}"),
                    ));
                    None
                }
            },
            Some(_) => {
                issues.push(Issue::new(
                    "endpoint_url",
                    "invalid_type",
                    "endpoint_url must be a string: the https:// URL that receives the events",
                ));
                None
            }
        };
        let secret = present(&fields, "secret").and_then(|value| match value.as_str() {
            Some(text) => Secret::parse(text)
                .map_err(|why| issues.push(Issue::new("secret", "invalid_secret", why)))
                .ok(),
            None => {
                issues.push(Issue::new(
                    "secret",
                    "invalid_type",
                    "secret must be a string: whsec_ and the base64 of 24 to 64 bytes",
                ));
                None
            }
        });
        let description = present(&fields, "description")
            .and_then(|v| bounded_text(v, "description", MAX_DESCRIPTION_CHARS, &mut issues));
        match endpoint_url {
            Some(endpoint_url) if issues.is_empty() => Ok(Self {
                endpoint_url,
                secret,
                description,
            }),
            _ => Err(BodyError::Invalid(issues)),
        }
    }
}

/// `PATCH /api/v1/webhooks/{id}`: `{ "is_active": bool }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateWebhook {
    pub is_active: bool,
}

impl UpdateWebhook {
    pub fn parse(body: &[u8]) -> Result<Self, BodyError> {
        let fields: Map<String, Value> = object_body(body)?;
        let mut issues = Vec::new();
        reject_unknown(&fields, UPDATE_FIELDS, "", &mut issues);
        let active = match present(&fields, "is_active") {
            Some(Value::Bool(active)) => Some(*active),
            None => {
                issues.push(Issue::new(
                    "is_active",
                    "required",
                    "is_active is required: true or false",
                ));
                None
            }
            Some(_) => {
                issues.push(Issue::new(
                    "is_active",
                    "invalid_type",
                    "is_active must be true or false",
                ));
                None
            }
        };
        match active {
            Some(is_active) if issues.is_empty() => Ok(Self { is_active }),
            _ => Err(BodyError::Invalid(issues)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(result: Result<impl std::fmt::Debug, BodyError>) -> Vec<(String, &'static str)> {
        match result {
            Err(BodyError::Invalid(issues)) => {
                issues.into_iter().map(|i| (i.param, i.code)).collect()
            }
            other => panic!("expected issues, got {other:?}"),
        }
    }

    #[test]
    fn create_takes_https_and_an_optional_secret() {
        let ok = CreateWebhook::parse(
            br#"{"endpoint_url":" https://hooks.example.com/a ","description":"ci"}"#,
            false,
        )
        .unwrap();
        assert_eq!(ok.endpoint_url, "https://hooks.example.com/a");
        assert_eq!(ok.secret, None);
        assert_eq!(ok.description.as_deref(), Some("ci"));
        let own = CreateWebhook::parse(
            br#"{"endpoint_url":"https://a.example/","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
            false,
        )
        .unwrap();
        assert!(own.secret.is_some());
    }

    #[test]
    fn create_reports_every_problem() {
        let found = issues(CreateWebhook::parse(
            br#"{"endpoint_url":"http://a.example/","secret":"nope","description":"","extra":1}"#,
            false,
        ));
        let params: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(params, ["extra", "endpoint_url", "secret", "description"]);
        assert_eq!(found[1].1, "unsupported_scheme");
        assert_eq!(
            issues(CreateWebhook::parse(
                br#"{"endpoint_url":"https://10.0.0.1/"}"#,
                false
            ))[0]
                .1,
            "blocked_address"
        );
        assert_eq!(
            issues(CreateWebhook::parse(b"{}", false))[0],
            ("endpoint_url".to_owned(), "required")
        );
    }

    #[test]
    fn loopback_only_in_local_development() {
        let body = br#"{"endpoint_url":"http://127.0.0.1:9000/hook"}"#;
        assert!(CreateWebhook::parse(body, false).is_err());
        assert!(CreateWebhook::parse(body, true).is_ok());
    }

    #[test]
    fn update_takes_only_is_active() {
        assert!(UpdateWebhook::parse(br#"{"is_active":false}"#).is_ok_and(|u| !u.is_active));
        assert_eq!(
            issues(UpdateWebhook::parse(br#"{"is_active":"no"}"#))[0].1,
            "invalid_type"
        );
        assert_eq!(issues(UpdateWebhook::parse(b"{}"))[0].1, "required");
    }
}
