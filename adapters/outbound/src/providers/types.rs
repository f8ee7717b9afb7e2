//! The types both providers share: what to generate, the provider's configuration (its
//! `Debug` redacts the API key), the image that comes back, and the error and answer shapes.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;

use adgen::contract::output::{AspectRatio, ImageFormat, Resolution, ThinkingIntensity};
use adgen::contract::reference::ImageKind;
use adgen::models::ModelCapabilities;
use adgen::ports::{AccountIssue, GenerateError};

/// What to generate, already resolved by the worker.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    /// The compiled prompt (the client's prompt plus brand rules).
    pub brief: String,
    pub references: Vec<ProviderImage>,
    /// Concrete: the worker resolves `auto` before calling a provider.
    pub aspect_ratio: AspectRatio,
    pub resolution: Resolution,
    /// The exact output size; providers get the nearest size they accept and the worker crops.
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
    pub thinking_intensity: ThinkingIntensity,
}

/// A reference image as sent to a provider (already downscaled JPEG or PNG).
#[derive(Clone)]
pub struct ProviderImage {
    pub mime: &'static str,
    pub bytes: Bytes,
}

/// The size, not the bytes: a logged request must not dump megabytes of image.
impl fmt::Debug for ProviderImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderImage")
            .field("mime", &self.mime)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The provider's image; `mime` comes from the bytes' magic, not from the provider's label.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedImage {
    pub bytes: Bytes,
    pub mime: String,
}

impl fmt::Debug for GeneratedImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedImage")
            .field("mime", &self.mime)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Settings of one provider client.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Scheme and host, optionally a path prefix (`https://generativelanguage.googleapis.com`).
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    /// What the model accepts (its entry in the model table).
    pub capabilities: ModelCapabilities,
    /// For one HTTP attempt, answer included. Generation takes tens of seconds to minutes.
    pub request_timeout: Duration,
    /// Attempts in all (the first included) for 429, 5xx and refused connections.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles after each further one.
    pub initial_backoff: Duration,
    /// The longest wait between attempts, `Retry-After` included.
    pub max_backoff: Duration,
}

impl ProviderConfig {
    /// A configuration with the default timing: the configuration's default timeout per
    /// attempt, 4 attempts, backoff from 1 s doubling up to 30 s.
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        model: impl Into<String>,
        capabilities: ModelCapabilities,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            model: model.into(),
            capabilities,
            request_timeout: adgen::config::DEFAULT_PROVIDER_TIMEOUT,
            max_attempts: 4,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Leaves the API key out, so a logged configuration leaks no secret.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("capabilities", &self.capabilities)
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .finish()
    }
}

/// The error body of either provider, read leniently: Gemini sends
/// `{"error": {"code": 429, "message", "status", "details"}}`, OpenAI
/// `{"error": {"message", "type", "param", "code": "moderation_blocked"}}`, and either may
/// send nothing parseable on a 5xx.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ApiError {
    pub message: String,
    /// OpenAI's string `code`, or Gemini's `status`.
    pub code: Option<String>,
    /// Gemini's `RetryInfo.retryDelay` ("30s"), its equivalent of `Retry-After`.
    pub retry_delay: Option<Duration>,
    /// Gemini's `ErrorInfo.reason` (`API_KEY_INVALID`, …).
    pub reason: Option<String>,
    /// A Gemini `QuotaFailure` naming a per-day quota: nothing frees up within any retry.
    pub daily_quota: bool,
}

impl ApiError {
    /// What the answer says about the account, if it is the account that was refused: a
    /// key that is not valid or not allowed (401, 403, Gemini's `API_KEY_INVALID`), or a
    /// quota no retry can wait out (OpenAI's `insufficient_quota`, a Gemini per-day quota).
    pub(crate) fn account_issue(&self, status: u16) -> Option<AccountIssue> {
        if status == 401 || status == 403 || self.reason.as_deref() == Some("API_KEY_INVALID") {
            return Some(AccountIssue::Authentication);
        }
        let quota = self.code.as_deref() == Some("insufficient_quota") || self.daily_quota;
        (status == 429 && quota).then_some(AccountIssue::Quota)
    }
}

impl ApiError {
    pub(crate) fn parse(body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            message: Option<String>,
            status: Option<String>,
            code: Option<serde_json::Value>,
            #[serde(default)]
            details: Vec<serde_json::Value>,
        }
        let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
            return Self::default();
        };
        let code = match error.code {
            Some(serde_json::Value::String(code)) => Some(code),
            _ => error.status,
        };
        let retry_delay = error.details.iter().find_map(|detail| {
            let seconds = detail.get("retryDelay")?.as_str()?.strip_suffix('s')?;
            Duration::try_from_secs_f64(seconds.parse().ok()?).ok()
        });
        let reason = error
            .details
            .iter()
            .find_map(|detail| detail.get("reason")?.as_str().map(str::to_owned));
        let daily_quota = error.details.iter().any(|detail| {
            detail
                .get("violations")
                .and_then(serde_json::Value::as_array)
                .is_some_and(|violations| {
                    violations.iter().any(|v| {
                        v.get("quotaId")
                            .and_then(serde_json::Value::as_str)
                            .is_some_and(|id| id.contains("PerDay"))
                    })
                })
        });
        Self {
            message: error.message.unwrap_or_default(),
            code,
            retry_delay,
            reason,
            daily_quota,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// How a call through [`Transport::post_json`](super::Transport::post_json) ended without a
/// usable 2xx answer.
#[derive(Debug)]
pub(crate) enum CallError {
    /// A 4xx other than 429: final. The provider decides whether it is a refusal.
    Refused { status: u16, error: ApiError },
    /// The account was refused (see [`ApiError::account_issue`]): final.
    Account { issue: AccountIssue, detail: String },
    /// Attempts used up, or a failure where another attempt could bill a second generation.
    Unavailable(String),
}

impl From<CallError> for GenerateError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Refused { status, error } => GenerateError::RequestRefused {
                status,
                code: error.code,
                message: error.message,
            },
            CallError::Account { issue, detail } => GenerateError::AccountRefused { issue, detail },
            CallError::Unavailable(reason) => GenerateError::Unavailable(reason),
        }
    }
}

/// Decodes a provider's base64 image and checks it is one. Padding is required (both
/// providers pad), which also catches most truncations; an undecodable or non-image payload
/// is a broken answer, so `Unavailable` rather than `Empty` (the model did make an image).
pub(crate) fn decode_image(data: &str) -> Result<GeneratedImage, GenerateError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| GenerateError::Unavailable(format!("the image is not valid base64: {e}")))?;
    let kind = ImageKind::sniff(&bytes)
        .ok_or_else(|| GenerateError::Unavailable("the image is not a PNG, JPEG or WebP".into()))?;
    Ok(GeneratedImage {
        bytes: bytes.into(),
        mime: kind.content_type().to_owned(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use adgen_testkit::b64;
    use adgen_testkit::images as samples;
    use adgen_testkit::tls_server::TestServer;

    /// The shipped capabilities of `model`.
    pub(crate) fn capabilities(model: &str) -> ModelCapabilities {
        adgen::models::ModelTable::shipped()
            .get(model)
            .cloned()
            .unwrap_or_else(|| panic!("{model} is shipped"))
    }

    /// Tiny waits so retry tests stay fast; `model`'s capabilities, sent as `test-model`.
    pub(crate) fn test_config_for(server: &TestServer, model: &str) -> ProviderConfig {
        ProviderConfig {
            request_timeout: Duration::from_secs(5),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(50),
            ..ProviderConfig::new(
                server.url("http", ""),
                "test-key",
                "test-model",
                capabilities(model),
            )
        }
    }

    /// [`test_config_for`] an OpenAI model with the free size rule.
    pub(crate) fn test_config(server: &TestServer) -> ProviderConfig {
        test_config_for(server, "gpt-image-2")
    }

    /// A 4:5 request at 1K with up to two references.
    pub(crate) fn request(references: usize) -> GenerationRequest {
        let refs = [
            ProviderImage {
                mime: "image/png",
                bytes: samples::png(3, 2).into(),
            },
            ProviderImage {
                mime: "image/jpeg",
                bytes: samples::jpeg_header(8, 8).into(),
            },
        ];
        GenerationRequest {
            brief: "A red running shoe on white".into(),
            references: refs.into_iter().take(references).collect(),
            aspect_ratio: AspectRatio::R4x5,
            resolution: Resolution::R1K,
            width: 912,
            height: 1136,
            format: ImageFormat::Png,
            thinking_intensity: ThinkingIntensity::Minimal,
        }
    }

    #[test]
    fn error_bodies_of_both_providers_are_read_leniently() {
        let gemini = br#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}"#;
        assert_eq!(
            ApiError::parse(gemini),
            ApiError {
                message: "Quota exceeded".into(),
                code: Some("RESOURCE_EXHAUSTED".into()),
                retry_delay: Some(Duration::from_millis(1500)),
                reason: None,
                daily_quota: false,
            }
        );
        let openai = br#"{"error":{"message":"Rejected","type":"image_generation_user_error","param":null,"code":"moderation_blocked"}}"#;
        assert_eq!(
            ApiError::parse(openai).code.as_deref(),
            Some("moderation_blocked")
        );
        let bare = br#"{"error":{"message":"Too many requests"}}"#;
        assert_eq!(ApiError::parse(bare).message, "Too many requests");
        assert_eq!(ApiError::parse(b"<html>502</html>"), ApiError::default());
    }

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        let config = ProviderConfig::new(
            "https://api.example.com",
            "sk-secret",
            "m",
            capabilities("gpt-image-2"),
        );
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-secret"), "{shown}");
    }

    #[test]
    fn broken_image_payloads_are_unavailable_not_empty() {
        let png = samples::png(2, 2);
        let good = decode_image(&b64(&png)).expect("decodes");
        assert_eq!(
            (good.bytes.as_ref(), good.mime.as_str()),
            (&png[..], "image/png")
        );
        let encoded = b64(&png);
        for broken in [&encoded[..encoded.len() - 3], "", "not base64!"] {
            assert!(
                matches!(decode_image(broken), Err(GenerateError::Unavailable(_))),
                "{broken:?}"
            );
        }
        assert!(matches!(
            decode_image(&b64(b"GIF89a")),
            Err(GenerateError::Unavailable(_))
        ));
    }
}
