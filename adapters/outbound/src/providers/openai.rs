//! OpenAI GPT image models: `POST {base}/v1/images/generations` without references,
//! `POST {base}/v1/images/edits` with them.
//!
//! Choices:
//! - `size`: what the model's capability entry allows (`adgen::models`): any `WxH` within
//!   `gpt-image-2`'s rules, one of the standard sizes for the others; the size nearest the
//!   job's (ratio first, then area). The worker crops and scales the answer to the exact
//!   output, as it must for 1:4, 4:1, 1:8 and 8:1 anyway.
//! - Edits: a JSON body with the references as data URLs for models with fixed sizes (the
//!   JSON edit body's `size` lists only the standard ones); `multipart/form-data` with
//!   `image[]` files for models that take any size (the form's `size` is a free string).
//! - `quality`: `minimal` thinking → `medium`, `high` → `high`. `low` is draft quality, too
//!   rough for a delivered ad even on the default (minimal) path.

use async_trait::async_trait;
use base64::Engine;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::{Deserialize, Serialize};
use url::Url;

use super::types::{CallError, GeneratedImage, GenerationRequest, ProviderConfig, decode_image};
use super::{ProviderClient, Transport, secret_header};
use crate::http_client::ClientBuildError;
use adgen::contract::output::ThinkingIntensity;
use adgen::models::ModelCapabilities;
use adgen::models::{Ask, EditEncoding, Size};
use adgen::ports::GenerateError;

/// Error codes of a content refusal (`moderation_blocked` for GPT image models,
/// `content_policy_violation` from older image models behind the same API).
const REFUSAL_CODES: &[&str] = &["moderation_blocked", "content_policy_violation"];

pub struct OpenAiClient {
    transport: Transport,
    generations: Url,
    edits: Url,
}

impl OpenAiClient {
    pub fn new(config: ProviderConfig) -> Result<Self, ClientBuildError> {
        let generations = Transport::endpoint(&config, "/v1/images/generations")?;
        let edits = Transport::endpoint(&config, "/v1/images/edits")?;
        let mut auth = HeaderMap::new();
        auth.insert(
            AUTHORIZATION,
            secret_header(&format!("Bearer {}", config.api_key))?,
        );
        Ok(Self {
            transport: Transport::new("openai", config, auth)?,
            generations,
            edits,
        })
    }
}

#[async_trait]
impl ProviderClient for OpenAiClient {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn capabilities(&self) -> &ModelCapabilities {
        &self.transport.config().capabilities
    }

    async fn generate(&self, request: &GenerationRequest) -> Result<GeneratedImage, GenerateError> {
        let config = self.transport.config();
        let Ask::Size(size) =
            config
                .capabilities
                .ask(request.width, request.height, request.resolution)
        else {
            return Err(GenerateError::Rejected(format!(
                "the capability entry of {} is not an OpenAI one",
                config.model
            )));
        };
        let fields = Fields::of(&config.model, request, size);
        let (url, body, content_type) = if request.references.is_empty() {
            (
                &self.generations,
                json_body(&fields, request)?,
                JSON.to_owned(),
            )
        } else if config.capabilities.edit_encoding == EditEncoding::Multipart {
            let boundary = boundary();
            let form = multipart(&fields, request, &boundary);
            let content_type = format!("multipart/form-data; boundary={boundary}");
            (&self.edits, form, content_type)
        } else {
            (&self.edits, json_body(&fields, request)?, JSON.to_owned())
        };
        let answer = self
            .transport
            .post(url, body.into(), &content_type)
            .await
            .map_err(|error| match error {
                CallError::Refused { error, .. }
                    if error
                        .code
                        .as_deref()
                        .is_some_and(|code| REFUSAL_CODES.contains(&code)) =>
                {
                    GenerateError::Blocked(
                        "the image model's moderation refused the request".into(),
                    )
                }
                other => other.into(),
            })?;
        let response: ImagesResponse = serde_json::from_slice(&answer).map_err(|e| {
            GenerateError::Unavailable(format!("unreadable answer from {}: {e}", self.name()))
        })?;
        let data = response
            .data
            .into_iter()
            .find_map(|image| image.b64_json)
            .ok_or(GenerateError::Empty)?;
        decode_image(&data)
    }
}

const JSON: &str = "application/json";

/// The fields every request carries, whatever its encoding.
struct Fields<'a> {
    model: &'a str,
    prompt: &'a str,
    size: String,
    quality: &'static str,
    output_format: &'static str,
}

impl<'a> Fields<'a> {
    fn of(model: &'a str, request: &'a GenerationRequest, size: Size) -> Self {
        Self {
            model,
            prompt: &request.brief,
            size: size.to_string(),
            quality: match request.thinking_intensity {
                ThinkingIntensity::Minimal => "medium",
                ThinkingIntensity::High => "high",
            },
            output_format: request.format.as_str(),
        }
    }

    /// As form fields, in the JSON body's order.
    fn pairs(&self) -> [(&'static str, &str); 6] {
        [
            ("model", self.model),
            ("prompt", self.prompt),
            ("n", "1"),
            ("size", &self.size),
            ("quality", self.quality),
            ("output_format", self.output_format),
        ]
    }
}

#[derive(Serialize)]
struct ImageRequest<'a> {
    model: &'a str,
    prompt: &'a str,
    n: u32,
    size: &'a str,
    quality: &'static str,
    output_format: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<ImageReference>,
}

#[derive(Serialize)]
struct ImageReference {
    image_url: String,
}

/// `CreateImageRequest`, or `EditImageBodyJsonParam` with the references as data URLs.
fn json_body(fields: &Fields<'_>, request: &GenerationRequest) -> Result<Vec<u8>, GenerateError> {
    let body = ImageRequest {
        model: fields.model,
        prompt: fields.prompt,
        n: 1,
        size: &fields.size,
        quality: fields.quality,
        output_format: fields.output_format,
        images: request
            .references
            .iter()
            .map(|image| ImageReference {
                image_url: format!(
                    "data:{};base64,{}",
                    image.mime,
                    base64::engine::general_purpose::STANDARD.encode(&image.bytes)
                ),
            })
            .collect(),
    };
    serde_json::to_vec(&body)
        .map_err(|e| GenerateError::Rejected(format!("request not serialisable: {e}")))
}

/// A boundary no image is likely to hold: 32 random hex digits after a fixed prefix.
fn boundary() -> String {
    let mut random = [0u8; 16];
    // Without randomness the time still makes the boundary unlikely to occur in the data.
    if getrandom::fill(&mut random).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        random = nanos.to_le_bytes();
    }
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("adgen-{hex}")
}

/// `CreateImageEditRequest` as `multipart/form-data` (RFC 7578): the text fields, then one
/// `image[]` file part per reference.
fn multipart(fields: &Fields<'_>, request: &GenerationRequest, boundary: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        request
            .references
            .iter()
            .map(|r| r.bytes.len() + 200)
            .sum::<usize>()
            + 1024,
    );
    for (name, value) in fields.pairs() {
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (index, image) in request.references.iter().enumerate() {
        let extension = image.mime.rsplit('/').next().unwrap_or("bin");
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"reference-{index}.{extension}\"\r\nContent-Type: {}\r\n\r\n",
                image.mime
            )
            .as_bytes(),
        );
        out.extend_from_slice(&image.bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[derive(Deserialize)]
struct ImagesResponse {
    #[serde(default)]
    data: Vec<ImageData>,
}

#[derive(Deserialize)]
struct ImageData {
    b64_json: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use super::*;
    use crate::providers::types::tests::{request, test_config, test_config_for};
    use adgen::contract::output::ImageFormat;
    use adgen_testkit::b64;
    use adgen_testkit::images as samples;
    use adgen_testkit::providers::parse_multipart;
    use adgen_testkit::tls_server::{Reply, Request, TestServer};

    fn image_answer(png: &[u8]) -> Value {
        json!({"created": 1_700_000_000, "data": [{"b64_json": b64(png)}],
               "usage": {"total_tokens": 100}})
    }

    async fn run(
        config: impl FnOnce(&TestServer) -> ProviderConfig,
        request: &GenerationRequest,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> (TestServer, Result<GeneratedImage, GenerateError>) {
        let server = TestServer::plain(handler).await;
        let client = OpenAiClient::new(config(&server)).expect("client");
        let result = client.generate(request).await;
        (server, result)
    }

    #[tokio::test]
    async fn generations_without_references() {
        let png = samples::png(8, 10);
        let answer = image_answer(&png);
        let (server, result) =
            run(test_config, &request(0), move |_| Reply::json(200, &answer)).await;
        let image = result.expect("image");
        assert_eq!(
            (image.bytes.as_ref(), image.mime.as_str()),
            (&png[..], "image/png")
        );

        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].path, "/v1/images/generations");
        assert_eq!(requests[0].header("authorization"), Some("Bearer test-key"));
        assert_eq!(
            requests[0].json(),
            json!({"model": "test-model", "prompt": "A red running shoe on white", "n": 1,
                   "size": "912x1136", "quality": "medium", "output_format": "png"})
        );
    }

    #[tokio::test]
    async fn fixed_size_models_edit_through_json_with_data_urls() {
        let answer = image_answer(&samples::png(8, 10));
        let mut high = request(2);
        high.thinking_intensity = ThinkingIntensity::High;
        high.format = ImageFormat::Jpeg;
        let config = |server: &TestServer| test_config_for(server, "gpt-image-1.5");
        let (server, result) = run(config, &high, move |_| Reply::json(200, &answer)).await;
        assert!(result.is_ok(), "{result:?}");
        let sent = &server.requests()[0];
        assert_eq!(sent.path, "/v1/images/edits");
        assert_eq!(sent.header("content-type"), Some("application/json"));
        let body = sent.json();
        assert_eq!(body["quality"], "high");
        assert_eq!(body["output_format"], "jpeg");
        // 4:5 asked of a model with three sizes: the nearest ratio, 2:3.
        assert_eq!(body["size"], "1024x1536");
        assert_eq!(
            body["images"],
            json!([
                {"image_url": format!("data:image/png;base64,{}", b64(&samples::png(3, 2)))},
                {"image_url": format!("data:image/jpeg;base64,{}", b64(&samples::jpeg_header(8, 8)))},
            ])
        );
    }

    #[tokio::test]
    async fn free_size_models_edit_through_multipart_files() {
        let answer = image_answer(&samples::png(8, 10));
        let (server, result) =
            run(test_config, &request(2), move |_| Reply::json(200, &answer)).await;
        assert!(result.is_ok(), "{result:?}");
        let sent = &server.requests()[0];
        assert_eq!(sent.path, "/v1/images/edits");
        let content_type = sent.header("content-type").expect("content type");
        assert!(
            content_type.starts_with("multipart/form-data; boundary="),
            "{content_type}"
        );
        let parts = parse_multipart(content_type, &sent.body).expect("a valid form");
        let text = |name: &str| {
            parts
                .iter()
                .find(|p| p.name == name && p.filename.is_none())
                .map(|p| String::from_utf8_lossy(&p.data).into_owned())
        };
        assert_eq!(text("model").as_deref(), Some("test-model"));
        assert_eq!(
            text("size").as_deref(),
            Some("912x1136"),
            "any size goes as a string"
        );
        assert_eq!(text("n").as_deref(), Some("1"));
        assert_eq!(text("quality").as_deref(), Some("medium"));
        let files: Vec<(&str, Option<&str>, &[u8])> = parts
            .iter()
            .filter(|p| p.filename.is_some())
            .map(|p| {
                (
                    p.name.as_str(),
                    p.content_type.as_deref(),
                    p.data.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                ("image[]", Some("image/png"), &samples::png(3, 2)[..]),
                (
                    "image[]",
                    Some("image/jpeg"),
                    &samples::jpeg_header(8, 8)[..]
                ),
            ]
        );
    }

    #[tokio::test]
    async fn retry_after_is_capped_by_max_backoff() {
        let calls = AtomicUsize::new(0);
        let answer = image_answer(&samples::png(2, 2));
        let started = Instant::now();
        let (server, result) = run(test_config, &request(0), move |_| {
            match calls.fetch_add(1, Ordering::SeqCst) {
                // An hour's hint; the test config's max_backoff (50 ms) bounds the wait.
                0 => Reply::json(429, &json!({"error": {"message": "Rate limit reached"}}))
                    .header("retry-after", "3600")
                    .header("x-request-id", "req_123"),
                _ => Reply::json(200, &answer),
            }
        })
        .await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(server.requests().len(), 2);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn persistent_5xx_is_unavailable_after_max_attempts() {
        let (server, result) = run(test_config, &request(0), |_| {
            Reply::new(502, "<html>Bad gateway</html>")
        })
        .await;
        assert!(
            matches!(&result, Err(GenerateError::Unavailable(r)) if r.contains("after 3 attempts")),
            "{result:?}"
        );
        assert_eq!(server.requests().len(), 3);
    }

    #[tokio::test]
    async fn moderation_refusals_are_blocked_other_4xx_rejected() {
        for (status, code, blocked) in [
            (400, "moderation_blocked", true),
            (404, "model_not_found", false),
            (400, "invalid_value", false),
        ] {
            let error = json!({"error": {"message": "nope", "type": "invalid_request_error",
                                          "param": null, "code": code}});
            let (server, result) = run(test_config, &request(0), move |_| {
                Reply::json(status, &error)
            })
            .await;
            match (blocked, &result) {
                (true, Err(GenerateError::Blocked(_))) => {}
                (
                    false,
                    Err(GenerateError::RequestRefused {
                        status: s, code: c, ..
                    }),
                ) => {
                    assert_eq!((*s, c.as_deref()), (status, Some(code)));
                }
                _ => panic!("{code}: unexpected {result:?}"),
            }
            assert_eq!(server.requests().len(), 1, "{code} must not be retried");
        }
    }

    #[tokio::test]
    async fn an_exhausted_quota_or_a_bad_key_is_the_account_not_retried() {
        use adgen::ports::AccountIssue;
        for (status, code, issue) in [
            (429, Some("insufficient_quota"), AccountIssue::Quota),
            (401, Some("invalid_api_key"), AccountIssue::Authentication),
            (403, None, AccountIssue::Authentication),
        ] {
            let error = json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                                          "type": "insufficient_quota", "param": null, "code": code}});
            let (server, result) = run(test_config, &request(0), move |_| {
                Reply::json(status, &error)
            })
            .await;
            match &result {
                Err(GenerateError::AccountRefused { issue: got, .. }) => assert_eq!(*got, issue),
                other => panic!("{status} {code:?}: unexpected {other:?}"),
            }
            assert_eq!(server.requests().len(), 1, "{status} must not be retried");
        }
    }

    #[tokio::test]
    async fn answers_without_an_image_are_empty() {
        for answer in [
            json!({"data": []}),
            json!({"data": [{"url": null}]}),
            json!({}),
        ] {
            let reply = Reply::json(200, &answer);
            let (_server, result) = run(test_config, &request(0), move |_| reply.clone()).await;
            assert!(
                matches!(result, Err(GenerateError::Empty)),
                "{answer}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_slow_answer_is_unavailable_without_a_second_attempt() {
        let config = |server: &TestServer| ProviderConfig {
            request_timeout: Duration::from_millis(200),
            ..test_config(server)
        };
        let answer = image_answer(&samples::png(2, 2));
        let (server, result) = run(config, &request(0), move |_| {
            Reply::json(200, &answer).delay(Duration::from_secs(10))
        })
        .await;
        assert!(
            matches!(&result, Err(GenerateError::Unavailable(r)) if r.contains("no answer")),
            "{result:?}"
        );
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn truncated_base64_is_unavailable() {
        let encoded = b64(&samples::png(6, 6));
        let answer = json!({"data": [{"b64_json": &encoded[..encoded.len() - 2]}]});
        let (_server, result) =
            run(test_config, &request(0), move |_| Reply::json(200, &answer)).await;
        assert!(
            matches!(&result, Err(GenerateError::Unavailable(r)) if r.contains("base64")),
            "{result:?}"
        );
    }
}
