//! OpenAI GPT image models: `POST {base}/v1/images/generations` without references,
//! `POST {base}/v1/images/edits` (JSON, references as data URLs) with them.
//!
//! Choices:
//! - `size`: GPT image models take any `WxH` with both sides multiples of 16, a long:short
//!   ratio of at most 3, at most 3840 px a side and 655,360..=8,294,400 pixels. We ask for
//!   the valid size nearest the job's size (ratio first, then area); the worker crops and
//!   scales to the exact output, as it must for 1:4, 4:1, 1:8 and 8:1 anyway.
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

    async fn generate(&self, request: &GenerationRequest) -> Result<GeneratedImage, GenerateError> {
        let body = request_body(&self.transport.config().model, request);
        let body = serde_json::to_vec(&body)
            .map_err(|e| GenerateError::Rejected(format!("request not serialisable: {e}")))?;
        let url = if request.references.is_empty() {
            &self.generations
        } else {
            &self.edits
        };
        let answer =
            self.transport
                .post_json(url, body.into())
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

#[derive(Serialize)]
struct ImageRequest<'a> {
    model: &'a str,
    prompt: &'a str,
    n: u32,
    size: String,
    quality: &'static str,
    output_format: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<ImageReference>,
}

#[derive(Serialize)]
struct ImageReference {
    image_url: String,
}

fn request_body<'a>(model: &'a str, request: &'a GenerationRequest) -> ImageRequest<'a> {
    let (width, height) = api_size(request.width, request.height);
    ImageRequest {
        model,
        prompt: &request.brief,
        n: 1,
        size: format!("{width}x{height}"),
        quality: match request.thinking_intensity {
            ThinkingIntensity::Minimal => "medium",
            ThinkingIntensity::High => "high",
        },
        output_format: request.format.as_str(),
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
    }
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

const MIN_PIXELS: f64 = 655_360.0;
const MAX_PIXELS: f64 = 8_294_400.0;
const MAX_EDGE: u32 = 3840;
const MAX_RATIO: f64 = 3.0;

/// The valid API size nearest `width`×`height`: the ratio clamped to 1:3..3:1, the area
/// clamped to the allowed pixel range, the long side to 3840; then the best of the nearby
/// multiple-of-16 sizes that satisfy every rule (ratio error weighs double the area error).
fn api_size(width: u32, height: u32) -> (u32, u32) {
    let ratio =
        (f64::from(width.max(1)) / f64::from(height.max(1))).clamp(1.0 / MAX_RATIO, MAX_RATIO);
    let area = (f64::from(width) * f64::from(height)).clamp(MIN_PIXELS, MAX_PIXELS);
    let (w, h) = ((area * ratio).sqrt(), (area / ratio).sqrt());
    let shrink = (f64::from(MAX_EDGE) / w.max(h)).min(1.0);
    let (w, h) = (w * shrink, h * shrink);
    let (w16, h16) = ((w / 16.0).round() as i64, (h / 16.0).round() as i64);
    let score = |(w, h): (u32, u32)| {
        let (w, h) = (f64::from(w), f64::from(h));
        2.0 * ((w / h).ln() - ratio.ln()).abs() + (w * h / (area * shrink * shrink)).ln().abs()
    };
    (w16 - 2..=w16 + 2)
        .flat_map(|a| (h16 - 2..=h16 + 2).map(move |b| (a, b)))
        .filter(|&(a, b)| a >= 1 && b >= 1)
        .map(|(a, b)| (a as u32 * 16, b as u32 * 16))
        .filter(|&size| allowed(size))
        .min_by(|x, y| score(*x).total_cmp(&score(*y)))
        // Unreachable for any input (the ideal size is valid and ±2 steps hold a valid one);
        // the API's default size keeps the request well-formed all the same.
        .unwrap_or((1024, 1024))
}

fn allowed((w, h): (u32, u32)) -> bool {
    let pixels = f64::from(w) * f64::from(h);
    w % 16 == 0
        && h % 16 == 0
        && w.max(h) <= MAX_EDGE
        && f64::from(w.max(h)) <= MAX_RATIO * f64::from(w.min(h))
        && (MIN_PIXELS..=MAX_PIXELS).contains(&pixels)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use super::*;
    use crate::providers::types::tests::{request, test_config};
    use adgen::contract::output::{AspectRatio, ImageFormat, Resolution, pixel_size};
    use adgen_testkit::b64;
    use adgen_testkit::images as samples;
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

    #[test]
    fn sizes_follow_the_api_rules_for_every_ratio_and_resolution() {
        for &ratio in AspectRatio::ALL.iter().filter(|r| **r != AspectRatio::Auto) {
            for &resolution in Resolution::ALL {
                let (w, h) = pixel_size(ratio, resolution);
                let (aw, ah) = api_size(w, h);
                assert!(allowed((aw, ah)), "{ratio:?} {resolution:?}: {aw}x{ah}");
                let wanted = (f64::from(w) / f64::from(h)).clamp(1.0 / 3.0, 3.0);
                let got = f64::from(aw) / f64::from(ah);
                assert!(
                    (got / wanted - 1.0).abs() < 0.05,
                    "{ratio:?} {resolution:?}: {aw}x{ah}"
                );
            }
        }
        // Within the rules the job's own size is kept.
        assert_eq!(api_size(1024, 1024), (1024, 1024));
        assert_eq!(api_size(912, 1136), (912, 1136));
        assert_eq!(api_size(1360, 768), (1360, 768));
        // Too small: scaled up to the minimum area.
        assert_eq!(api_size(512, 512), (816, 816));
        // Too large: the largest allowed area, then the 3840 px edge.
        assert_eq!(api_size(4096, 4096), (2880, 2880));
        assert_eq!(api_size(5456, 3072), (3840, 2160));
        // Beyond 3:1: clamped to 3:1 at about the same area.
        assert_eq!(api_size(2896, 368), (1776, 592));
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
    async fn edits_carry_the_references_as_data_urls() {
        let answer = image_answer(&samples::png(8, 10));
        let mut high = request(2);
        high.thinking_intensity = ThinkingIntensity::High;
        high.format = ImageFormat::Jpeg;
        let (server, result) = run(test_config, &high, move |_| Reply::json(200, &answer)).await;
        assert!(result.is_ok(), "{result:?}");
        let sent = &server.requests()[0];
        assert_eq!(sent.path, "/v1/images/edits");
        let body = sent.json();
        assert_eq!(body["quality"], "high");
        assert_eq!(body["output_format"], "jpeg");
        assert_eq!(
            body["images"],
            json!([
                {"image_url": format!("data:image/png;base64,{}", b64(&samples::png(3, 2)))},
                {"image_url": format!("data:image/jpeg;base64,{}", b64(&samples::jpeg_header(8, 8)))},
            ])
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
                (false, Err(GenerateError::Rejected(reason))) => {
                    assert!(reason.contains(code), "{reason}");
                }
                _ => panic!("{code}: unexpected {result:?}"),
            }
            assert_eq!(server.requests().len(), 1, "{code} must not be retried");
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
