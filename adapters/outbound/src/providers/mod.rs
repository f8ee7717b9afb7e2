//! Image-generation provider clients: Gemini (`generateContent`) and OpenAI Images.
//!
//! Both speak JSON over HTTPS and share [`Transport`]: one client built once, the retry loop
//! (429 and 5xx, exponential backoff with jitter, `Retry-After` honoured up to a cap) and the
//! error-body parsing. Model ids always come from configuration: providers retire models
//! within months, so the code names none.

pub mod gemini;
pub mod openai;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use url::Url;

use crate::http_client::{self, ClientBuildError, ReadError};
use adgen::contract::output::{AspectRatio, ImageFormat, Resolution, ThinkingIntensity};
use adgen::contract::reference::ImageKind;
use adgen::ports::GenerateError;

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

#[async_trait]
pub trait ProviderClient: Send + Sync {
    /// The provider's name, as recorded in `payload.provider`.
    fn name(&self) -> &'static str;
    async fn generate(&self, request: &GenerationRequest) -> Result<GeneratedImage, GenerateError>;
}

/// Settings of one provider client.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Scheme and host, optionally a path prefix (`https://generativelanguage.googleapis.com`).
    pub base_url: String,
    pub api_key: String,
    pub model: String,
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
    ) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            model: model.into(),
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
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .finish()
    }
}

/// A provider answer larger than this is refused (a 4K PNG in base64 is about 50 MB).
const MAX_RESPONSE_BYTES: usize = 128 * 1024 * 1024;

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
}

impl ApiError {
    fn parse(body: &[u8]) -> Self {
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
        Self {
            message: error.message.unwrap_or_default(),
            code,
            retry_delay,
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

/// How a call through [`Transport::post_json`] ended without a usable 2xx answer.
#[derive(Debug)]
pub(crate) enum CallError {
    /// A 4xx other than 429: final. The provider decides whether it is a refusal.
    Refused { status: u16, error: ApiError },
    /// Attempts used up, or a failure where another attempt could bill a second generation.
    Unavailable(String),
}

impl From<CallError> for GenerateError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Refused { status, error } => {
                GenerateError::Rejected(format!("HTTP {status}: {error}"))
            }
            CallError::Unavailable(reason) => GenerateError::Unavailable(reason),
        }
    }
}

/// One attempt's failure, as the retry loop sees it.
enum AttemptError {
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    Final(CallError),
}

/// The HTTP side both providers share.
pub(crate) struct Transport {
    provider: &'static str,
    http: reqwest::Client,
    config: ProviderConfig,
}

impl Transport {
    /// `auth` holds the provider's credential header(s), sent on every request.
    pub(crate) fn new(
        provider: &'static str,
        config: ProviderConfig,
        auth: HeaderMap,
    ) -> Result<Self, ClientBuildError> {
        let http = http_client::build(
            http_client::builder(None)?
                .default_headers(auth)
                .connect_timeout(Duration::from_secs(10))
                .timeout(config.request_timeout),
        )?;
        Ok(Self {
            provider,
            http,
            config,
        })
    }

    pub(crate) fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// `{base_url}{path}`, the base's own path kept as a prefix.
    pub(crate) fn endpoint(config: &ProviderConfig, path: &str) -> Result<Url, ClientBuildError> {
        let url = format!("{}{path}", config.base_url.trim_end_matches('/'));
        Url::parse(&url).map_err(|e| ClientBuildError(format!("provider URL {url:?}: {e}")))
    }

    /// POSTs a JSON body and returns the body of the 2xx answer, retrying 429 and 5xx
    /// answers and refused connections up to `max_attempts`.
    pub(crate) async fn post_json(&self, url: &Url, body: Bytes) -> Result<Bytes, CallError> {
        let mut attempt = 1;
        loop {
            match self.attempt(url, body.clone()).await {
                Ok(answer) => return Ok(answer),
                Err(AttemptError::Final(error)) => return Err(error),
                Err(AttemptError::Retryable {
                    reason,
                    retry_after,
                }) => {
                    if attempt >= self.config.max_attempts {
                        return Err(CallError::Unavailable(format!(
                            "{reason} (gave up after {attempt} attempts)"
                        )));
                    }
                    let wait = backoff(&self.config, attempt, retry_after);
                    tracing::warn!(
                        provider = self.provider,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "{reason}; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, url: &Url, body: Bytes) -> Result<Bytes, AttemptError> {
        let response = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();
        let request_id = header_text(response.headers(), "x-request-id");
        let retry_after = retry_after(response.headers());
        let answer = http_client::read_capped(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => AttemptError::Final(CallError::Unavailable(format!(
                    "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
                ))),
                ReadError::Transport(e) => self.transport_error(&e),
            })?;
        tracing::info!(
            provider = self.provider,
            status,
            request_id = request_id.as_deref(),
            bytes = answer.len(),
            "provider answered"
        );
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        let error = ApiError::parse(&answer);
        if status == 429 || status >= 500 {
            return Err(AttemptError::Retryable {
                reason: format!("HTTP {status}: {error}"),
                retry_after: retry_after.or(error.retry_delay),
            });
        }
        Err(AttemptError::Final(CallError::Refused { status, error }))
    }

    /// Only a connection that never opened is retried: once the request went out, the
    /// provider may be generating (and billing) already, so a second attempt could pay twice.
    fn transport_error(&self, error: &reqwest::Error) -> AttemptError {
        if error.is_connect() {
            AttemptError::Retryable {
                reason: format!("could not connect: {error}"),
                retry_after: None,
            }
        } else if error.is_timeout() {
            AttemptError::Final(CallError::Unavailable(format!(
                "no answer within {:?}",
                self.config.request_timeout
            )))
        } else {
            AttemptError::Final(CallError::Unavailable(format!(
                "the request failed: {error}"
            )))
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` in seconds; the HTTP-date form is rare from APIs and falls back to backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The wait after failed attempt number `attempt` (1-based): the server's hint if it gave
/// one, otherwise `initial_backoff · 2^(attempt-1)` with "equal jitter" (half fixed, half
/// random) so workers that failed together do not retry together; both capped.
fn backoff(config: &ProviderConfig, attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(hint) = retry_after {
        return hint.min(config.max_backoff);
    }
    let doubled = config
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(config.max_backoff);
    let half = doubled / 2;
    // A failed random source costs only the jitter.
    let random = getrandom::u32().unwrap_or(0);
    half + half.mul_f64(f64::from(random) / f64::from(u32::MAX))
}

/// Sensitive header values are kept out of reqwest's debug output.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, ClientBuildError> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| ClientBuildError("the API key is not a valid header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
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
    use adgen_testkit::images as samples;
    use adgen_testkit::tls_server::TestServer;

    /// Tiny waits so retry tests stay fast.
    pub(crate) fn test_config(server: &TestServer) -> ProviderConfig {
        ProviderConfig {
            request_timeout: Duration::from_secs(5),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(50),
            ..ProviderConfig::new(server.url("http", ""), "test-key", "test-model")
        }
    }

    /// A 4:5 request at 1K with two references.
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

    pub(crate) fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_hints_up_to_the_cap() {
        let config = ProviderConfig {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..ProviderConfig::new("http://x", "k", "m")
        };
        for (attempt, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            let full = Duration::from_millis(full);
            let wait = backoff(&config, attempt, None);
            assert!(
                wait >= full / 2 && wait <= full,
                "attempt {attempt}: {wait:?}"
            );
        }
        let hint = Some(Duration::from_millis(300));
        assert_eq!(backoff(&config, 1, hint), Duration::from_millis(300));
        let long_hint = Some(Duration::from_secs(3600));
        assert_eq!(backoff(&config, 1, long_hint), Duration::from_secs(1));
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
        let config = ProviderConfig::new("https://api.example.com", "sk-secret", "m");
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

    #[tokio::test]
    async fn refused_connections_are_retried_then_unavailable() {
        let closed_port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let config = ProviderConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            ..ProviderConfig::new(format!("http://127.0.0.1:{closed_port}"), "k", "m")
        };
        let url = Transport::endpoint(&config, "/x").expect("url");
        let transport = Transport::new("test", config, HeaderMap::new()).expect("transport");
        match transport.post_json(&url, Bytes::from_static(b"{}")).await {
            Err(CallError::Unavailable(reason)) => {
                assert!(reason.contains("after 3 attempts"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
