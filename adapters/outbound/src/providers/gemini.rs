//! Gemini image models through `POST {base}/v1beta/models/{model}:generateContent`.
//!
//! The request asks for an image only, at the aspect ratio and size class the model's
//! capability entry allows nearest the job's (`imageConfig`; `adgen::models`: Gemini 3 Pro
//! Image has neither the extreme ratios nor the 512 class), with the brief as the first part
//! and each reference as an `inline_data` part. `thinking_intensity` is not sent: whether and how a Gemini image model accepts a
//! thinking setting differs per model, and an unaccepted field fails the whole request.

use async_trait::async_trait;
use base64::Engine;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use url::Url;

use super::types::{GeneratedImage, GenerationRequest, ProviderConfig, decode_image};
use super::{ProviderClient, Transport, secret_header};
use crate::http_client::ClientBuildError;
use adgen::contract::output::{AspectRatio, Resolution};
use adgen::models::Ask;
use adgen::models::ModelCapabilities;
use adgen::ports::GenerateError;

/// `finishReason`s that mean the model refused on content grounds (safety, prohibited
/// content, blocklists, personal data, recitation of protected material).
const REFUSALS: &[&str] = &[
    "SAFETY",
    "IMAGE_SAFETY",
    "PROHIBITED_CONTENT",
    "IMAGE_PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "RECITATION",
    "IMAGE_RECITATION",
];

pub struct GeminiClient {
    transport: Transport,
    endpoint: Url,
}

impl GeminiClient {
    pub fn new(config: ProviderConfig) -> Result<Self, ClientBuildError> {
        let endpoint = Transport::endpoint(
            &config,
            &format!("/v1beta/models/{}:generateContent", config.model),
        )?;
        let mut auth = HeaderMap::new();
        auth.insert("x-goog-api-key", secret_header(&config.api_key)?);
        Ok(Self {
            transport: Transport::new("gemini", config, auth)?,
            endpoint,
        })
    }
}

#[async_trait]
impl ProviderClient for GeminiClient {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn capabilities(&self) -> &ModelCapabilities {
        &self.transport.config().capabilities
    }

    async fn generate(&self, request: &GenerationRequest) -> Result<GeneratedImage, GenerateError> {
        let config = self.transport.config();
        let Ask::Classes {
            aspect_ratio,
            image_size,
        } = config
            .capabilities
            .ask(request.width, request.height, request.resolution)
        else {
            return Err(GenerateError::Rejected(format!(
                "the capability entry of {} is not a Gemini one",
                config.model
            )));
        };
        let body = serde_json::to_vec(&request_body(request, aspect_ratio, image_size))
            .map_err(|e| GenerateError::Rejected(format!("request not serialisable: {e}")))?;
        let answer = self
            .transport
            .post_json(&self.endpoint, body.into())
            .await?;
        let response: GenerateContentResponse = serde_json::from_slice(&answer).map_err(|e| {
            GenerateError::Unavailable(format!("unreadable answer from {}: {e}", self.name()))
        })?;
        image_from(response)
    }
}

#[derive(Serialize)]
struct GenerateContentRequest<'a> {
    contents: [Content<'a>; 1],
    #[serde(rename = "generationConfig")]
    generation_config: GenerationConfig<'a>,
}

#[derive(Serialize)]
struct Content<'a> {
    role: &'static str,
    parts: Vec<RequestPart<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RequestPart<'a> {
    Text { text: &'a str },
    Image { inline_data: InlineData<'a> },
}

#[derive(Serialize)]
struct InlineData<'a> {
    mime_type: &'a str,
    data: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    response_modalities: [&'static str; 1],
    image_config: ImageConfig<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageConfig<'a> {
    aspect_ratio: &'a str,
    image_size: &'a str,
}

fn request_body(
    request: &GenerationRequest,
    aspect_ratio: AspectRatio,
    image_size: Resolution,
) -> GenerateContentRequest<'_> {
    let mut parts = vec![RequestPart::Text {
        text: &request.brief,
    }];
    parts.extend(request.references.iter().map(|image| RequestPart::Image {
        inline_data: InlineData {
            mime_type: image.mime,
            data: base64::engine::general_purpose::STANDARD.encode(&image.bytes),
        },
    }));
    GenerateContentRequest {
        contents: [Content {
            role: "user",
            parts,
        }],
        generation_config: GenerationConfig {
            response_modalities: ["IMAGE"],
            image_config: ImageConfig {
                aspect_ratio: aspect_ratio.as_str(),
                image_size: image_size.as_str(),
            },
        },
    }
}

// Responses use camelCase; the aliases accept snake_case too (proxies and older SDKs).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateContentResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(alias = "prompt_feedback")]
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(alias = "block_reason")]
    block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<CandidateContent>,
    #[serde(alias = "finish_reason")]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Vec<ResponsePart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponsePart {
    #[serde(alias = "inline_data")]
    inline_data: Option<Blob>,
    /// Interim "thought" images of thinking models are drafts, not the answer.
    #[serde(default)]
    thought: bool,
}

#[derive(Deserialize)]
struct Blob {
    data: String,
}

/// A refusal wins over an image (a flagged result is not delivered); then the first
/// non-thought image part; otherwise the answer had no image.
fn image_from(response: GenerateContentResponse) -> Result<GeneratedImage, GenerateError> {
    if let Some(reason) = response.prompt_feedback.and_then(|f| f.block_reason) {
        return Err(GenerateError::Blocked(format!(
            "the prompt was blocked by the model's safety filters ({reason})"
        )));
    }
    if let Some(reason) = response
        .candidates
        .iter()
        .filter_map(|c| c.finish_reason.as_deref())
        .find(|reason| REFUSALS.contains(reason))
    {
        return Err(GenerateError::Blocked(format!(
            "the model's safety filters stopped the image ({reason})"
        )));
    }
    let data = response
        .candidates
        .into_iter()
        .filter_map(|c| c.content)
        .flat_map(|c| c.parts)
        .filter(|part| !part.thought)
        .find_map(|part| part.inline_data)
        .ok_or(GenerateError::Empty)?;
    decode_image(&data.data)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use super::*;
    use crate::providers::types::tests::{request, test_config_for};

    fn test_config(server: &TestServer) -> ProviderConfig {
        test_config_for(server, "gemini-3-pro-image-preview")
    }
    use adgen_testkit::b64;
    use adgen_testkit::images as samples;
    use adgen_testkit::tls_server::{Reply, TestServer};

    fn image_answer(png: &[u8]) -> Value {
        json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Here is your image."},
            {"inlineData": {"mimeType": "image/png", "data": b64(png)}}
        ]}, "finishReason": "STOP"}]})
    }

    async fn run(
        config: impl FnOnce(&TestServer) -> ProviderConfig,
        handler: impl Fn(&adgen_testkit::tls_server::Request) -> Reply + Send + Sync + 'static,
    ) -> (TestServer, Result<GeneratedImage, GenerateError>) {
        let server = TestServer::plain(handler).await;
        let client = GeminiClient::new(config(&server)).expect("client");
        let result = client.generate(&request(2)).await;
        (server, result)
    }

    #[tokio::test]
    async fn sends_the_documented_request_and_reads_the_image() {
        let png = samples::png(9, 7);
        let answer = image_answer(&png);
        let (server, result) = run(test_config, move |_| Reply::json(200, &answer)).await;
        let image = result.expect("image");
        assert_eq!(image.bytes, png);
        assert_eq!(image.mime, "image/png");

        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let sent = &requests[0];
        assert_eq!(sent.method, "POST");
        assert_eq!(sent.path, "/v1beta/models/test-model:generateContent");
        assert_eq!(sent.header("x-goog-api-key"), Some("test-key"));
        let body = sent.json();
        let parts = body["contents"][0]["parts"]
            .as_array()
            .expect("parts array");
        assert_eq!(parts.len(), 3, "one text part and two inline_data parts");
        assert_eq!(parts[0]["text"], "A red running shoe on white");
        assert_eq!(parts[1]["inline_data"]["mime_type"], "image/png");
        assert_eq!(parts[1]["inline_data"]["data"], b64(&samples::png(3, 2)));
        assert_eq!(parts[2]["inline_data"]["mime_type"], "image/jpeg");
        assert_eq!(
            body["generationConfig"],
            json!({"responseModalities": ["IMAGE"],
                   "imageConfig": {"aspectRatio": "4:5", "imageSize": "1K"}})
        );
    }

    #[tokio::test]
    async fn snake_case_answers_and_thought_images_are_handled() {
        let (draft, last) = (samples::png(2, 2), samples::png(5, 5));
        let answer = json!({"candidates": [{"content": {"parts": [
            {"inline_data": {"mime_type": "image/png", "data": b64(&draft)}, "thought": true},
            {"inline_data": {"mime_type": "image/png", "data": b64(&last)}}
        ]}, "finish_reason": "STOP"}]});
        let (_server, result) = run(test_config, move |_| Reply::json(200, &answer)).await;
        assert_eq!(result.expect("image").bytes, last);
    }

    #[tokio::test]
    async fn retries_429_and_5xx_honouring_retry_after_and_retry_info() {
        let calls = AtomicUsize::new(0);
        let png = samples::png(4, 4);
        let started = Instant::now();
        let config = |server: &TestServer| ProviderConfig {
            max_backoff: Duration::from_secs(5),
            ..test_config(server)
        };
        let (server, result) = run(config, move |_| {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Reply::json(
                    429,
                    &json!({"error": {"code": 429, "message": "Resource exhausted",
                                  "status": "RESOURCE_EXHAUSTED"}}),
                )
                .header("retry-after", "1"),
                1 => Reply::json(
                    503,
                    &json!({"error": {"code": 503, "message": "The model is overloaded",
                    "status": "UNAVAILABLE", "details": [{
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": "0.3s"}]}}),
                ),
                _ => Reply::json(200, &image_answer(&png)),
            }
        })
        .await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(server.requests().len(), 3);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(1300), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
    }

    #[tokio::test]
    async fn persistent_5xx_is_unavailable_after_max_attempts() {
        let (server, result) = run(test_config, |_| Reply::new(500, "internal error")).await;
        assert!(
            matches!(&result, Err(GenerateError::Unavailable(r)) if r.contains("HTTP 500")),
            "{result:?}"
        );
        assert_eq!(server.requests().len(), 3);
    }

    #[tokio::test]
    async fn safety_refusals_are_blocked() {
        for answer in [
            json!({"candidates": [{"finishReason": "IMAGE_SAFETY"}]}),
            json!({"candidates": [{"content": {"parts": [{"text": "I can't"}]},
                                   "finishReason": "PROHIBITED_CONTENT"}]}),
            json!({"promptFeedback": {"blockReason": "SAFETY"}}),
            json!({"prompt_feedback": {"block_reason": "OTHER"}, "candidates": []}),
        ] {
            let reply = Reply::json(200, &answer);
            let (_server, result) = run(test_config, move |_| reply.clone()).await;
            assert!(
                matches!(&result, Err(GenerateError::Blocked(_))),
                "{answer}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn answers_without_an_image_are_empty() {
        for answer in [
            json!({"candidates": [{"content": {"parts": [{"text": "Sure! Imagine a shoe."}]},
                                   "finishReason": "STOP"}]}),
            json!({"candidates": []}),
            json!({}),
        ] {
            let reply = Reply::json(200, &answer);
            let (_server, result) = run(test_config, move |_| reply.clone()).await;
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
        let png = samples::png(2, 2);
        let (server, result) = run(config, move |_| {
            Reply::json(200, &image_answer(&png)).delay(Duration::from_secs(10))
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
        let answer = json!({"candidates": [{"content": {"parts": [
            {"inlineData": {"mimeType": "image/png", "data": &encoded[..encoded.len() - 5]}}
        ]}}]});
        let (_server, result) = run(test_config, move |_| Reply::json(200, &answer)).await;
        assert!(
            matches!(&result, Err(GenerateError::Unavailable(r)) if r.contains("base64")),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn other_4xx_are_rejected_at_once() {
        let (server, result) = run(test_config, |_| {
            Reply::json(
                404,
                &json!({"error": {"code": 404, "status": "NOT_FOUND",
                    "message": "models/test-model is not found for API version v1beta"}}),
            )
        })
        .await;
        match result {
            Err(GenerateError::RequestRefused { status, code, .. }) => {
                assert_eq!((status, code.as_deref()), (404, Some("NOT_FOUND")));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn a_daily_quota_or_an_invalid_key_is_the_account_not_retried() {
        use adgen::ports::AccountIssue;
        let daily = json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "You exceeded your current quota.",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
                    "quotaId": "GenerateRequestsPerDayPerProjectPerModel"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3600s"}]}});
        let bad_key = json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
            "message": "API key not valid. Please pass a valid API key.",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}});
        for (status, body, issue) in [
            (429, daily, AccountIssue::Quota),
            (400, bad_key, AccountIssue::Authentication),
        ] {
            let (server, result) = run(test_config, move |_| Reply::json(status, &body)).await;
            match &result {
                Err(GenerateError::AccountRefused { issue: got, .. }) => assert_eq!(*got, issue),
                other => panic!("{status}: unexpected {other:?}"),
            }
            assert_eq!(server.requests().len(), 1, "{status} must not be retried");
        }
        // A per-minute RESOURCE_EXHAUSTED is transient: retried.
        let minute = json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow down",
            "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]}]}});
        let (server, result) = run(test_config, move |_| Reply::json(429, &minute)).await;
        assert!(
            matches!(result, Err(GenerateError::Unavailable(_))),
            "{result:?}"
        );
        assert_eq!(server.requests().len(), 3, "retried up to max_attempts");
    }
}
