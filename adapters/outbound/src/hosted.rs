//! The hosted generators behind the worker's `ImageGenerator` seam (Gemini, OpenAI): the
//! references are downscaled (through the image port) and uploaded with the compiled brief;
//! the answer goes back to the worker for post-processing. Also the construction of the
//! worker's outbound parts from configuration, once per cold start.

use std::sync::Arc;

use adgen::config::{GeneratorConfig, ProviderSettings};
use adgen::contract::output::OutputApplied;
use adgen::ports::{
    GenerateError, Generated, GenerationInput, ImageCodec, ImageGenerator, ReferenceFetcher,
    ReferenceFit,
};
use adgen::service::generate::{WorkerParts, cpu_bound};
use async_trait::async_trait;
use bytes::Bytes;

use crate::fetch::{FetchPolicy, Fetcher};
use crate::http_client::ClientBuildError;
use crate::providers::gemini::GeminiClient;
use crate::providers::openai::OpenAiClient;
use crate::providers::{GenerationRequest, ProviderClient, ProviderConfig, ProviderImage};
use crate::site::Site;

/// References are shrunk to this long side before upload: enough detail for a model, and
/// six of them stay well inside the providers' request limits.
const MAX_REFERENCE_SIDE: u32 = 2048;
/// The smallest long side the references are shrunk to when the model's byte allowance
/// (`max_reference_bytes`) is tight.
const MIN_REFERENCE_SIDE: u32 = 512;

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BuildError(#[from] ClientBuildError);

/// A hosted image model behind the worker's seam: references downscaled and uploaded with
/// the compiled brief; the answer is post-processed by the worker.
pub struct HostedGenerator {
    client: Box<dyn ProviderClient>,
    codec: Arc<dyn ImageCodec>,
}

impl HostedGenerator {
    /// `codec` encodes the downscaled copies of the references for upload.
    pub fn new(client: Box<dyn ProviderClient>, codec: Arc<dyn ImageCodec>) -> Self {
        Self { client, codec }
    }
}

#[async_trait]
impl ImageGenerator for HostedGenerator {
    fn name(&self) -> &'static str {
        self.client.name()
    }

    fn reference_fit(&self, _output: &OutputApplied, _count: usize) -> ReferenceFit {
        // Decoded straight to the upload's size: `encode_for_upload` then only encodes.
        ReferenceFit::Within {
            side: MAX_REFERENCE_SIDE,
        }
    }

    async fn generate(&self, input: &GenerationInput<'_>) -> Result<Generated, GenerateError> {
        // The brand's logo travels as the last image; the brief says so.
        let images: Vec<_> = input.references.iter().chain(input.logo).collect();
        let capabilities = self.client.capabilities();
        if images.len() > capabilities.max_references {
            return Err(GenerateError::Rejected(format!(
                "{} reference images (the logo included) for a model that takes {}",
                images.len(),
                capabilities.max_references
            )));
        }
        // Within the model's byte allowance: each smaller step halves the bytes, about.
        let mut side = MAX_REFERENCE_SIDE;
        let references = loop {
            let encoded = cpu_bound(|| {
                images
                    .iter()
                    .map(|image| self.codec.encode_for_upload(image, side))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| GenerateError::Rejected(format!("reference not encodable: {e}")))?;
            let total: u64 = encoded.iter().map(|b| b.len() as u64).sum();
            if total <= capabilities.max_reference_bytes {
                break encoded;
            }
            if side <= MIN_REFERENCE_SIDE {
                return Err(GenerateError::Rejected(format!(
                    "the references take {total} bytes at {side} px, over the model's {}",
                    capabilities.max_reference_bytes
                )));
            }
            side = (side * 3 / 4).max(MIN_REFERENCE_SIDE);
        };
        let output = input.output;
        let request = GenerationRequest {
            brief: input.brief.text.clone(),
            references: references
                .into_iter()
                .map(|jpeg| ProviderImage {
                    mime: "image/jpeg",
                    bytes: jpeg,
                })
                .collect(),
            aspect_ratio: output.aspect_ratio,
            resolution: output.resolution,
            width: output.width,
            height: output.height,
            format: output.format,
            thinking_intensity: input.thinking_intensity,
        };
        let image = self.client.generate(&request).await?;
        Ok(Generated::Encoded(image.bytes))
    }
}

fn provider_config(settings: &ProviderSettings) -> ProviderConfig {
    ProviderConfig {
        request_timeout: settings.request_timeout,
        ..ProviderConfig::new(
            &settings.base_url,
            &settings.api_key,
            &settings.model,
            settings.capabilities.clone(),
        )
    }
}

/// The worker's outbound and image parts for `config`, built once per cold start: the
/// SSRF-safe fetcher (references) and the brand site fetcher over the same client, the
/// hosted generator the configuration selects (or `template`, the offline renderer, when it
/// selects none), and `codec`, the image pipeline. `allow_loopback_urls` is
/// `adgen serve --allow-loopback-urls` (spec §8); the Lambda functions pass false.
pub fn worker_parts(
    config: &GeneratorConfig,
    codec: Arc<dyn ImageCodec>,
    template: Arc<dyn ImageGenerator>,
    allow_loopback_urls: bool,
) -> Result<WorkerParts, BuildError> {
    let client: Option<Box<dyn ProviderClient>> = match config {
        GeneratorConfig::Template => None,
        GeneratorConfig::Gemini(settings) => {
            Some(Box::new(GeminiClient::new(provider_config(settings))?))
        }
        GeneratorConfig::OpenAi(settings) => {
            Some(Box::new(OpenAiClient::new(provider_config(settings))?))
        }
    };
    let generator: Arc<dyn ImageGenerator> = match client {
        Some(client) => Arc::new(HostedGenerator::new(client, codec.clone())),
        None => template,
    };
    let fetcher = Arc::new(if allow_loopback_urls {
        Fetcher::local_dev(FetchPolicy::default())?
    } else {
        Fetcher::new(FetchPolicy::default())?
    });
    Ok(WorkerParts {
        site: Arc::new(Site::new(fetcher.clone())),
        fetcher,
        generator,
        codec,
    })
}

#[async_trait]
impl ReferenceFetcher for Fetcher {
    async fn fetch(&self, url: &str) -> Result<Bytes, String> {
        Fetcher::fetch(self, url)
            .await
            .map(|fetched| fetched.bytes)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use adgen::brief::CreativeBrief;
    use adgen::contract::output::{
        AspectRatio, ImageFormat, OutputRequest, Resolution, ThinkingIntensity,
    };
    use adgen::pixels::{Colours, Pixels};
    use adgen_testkit::images as samples;
    use adgen_testkit::{Reply, TestServer};
    use base64::Engine;
    use serde_json::json;

    use super::*;
    use crate::providers::ProviderConfig;
    use crate::providers::gemini::GeminiClient;

    #[tokio::test]
    async fn hosted_generation_uploads_downscaled_references_and_returns_the_providers_image() {
        let answer_png = samples::png(300, 200);
        let answer = json!({"candidates": [{"content": {"parts": [{"inlineData": {
            "mimeType": "image/png",
            "data": adgen_testkit::b64(&answer_png)}}]},
            "finishReason": "STOP"}]});
        let server = TestServer::plain(move |_| Reply::json(200, &answer)).await;
        let config = ProviderConfig::new(
            server.url("http", ""),
            "key",
            "configured-model",
            adgen::models::ModelTable::shipped()
                .get("gemini-3-pro-image-preview")
                .cloned()
                .expect("shipped"),
        );
        let generator = HostedGenerator::new(
            Box::new(GeminiClient::new(config).expect("client")),
            Arc::new(adgen_render::Codec::default()),
        );

        let blank =
            |w: u32, h: u32| Pixels::new(w, h, vec![0; (w * h * 4) as usize]).expect("size");
        let references = [blank(3000, 1000), blank(640, 480)];
        let brief = CreativeBrief {
            text: "Create a finished ad".into(),
            headline: "Sale".into(),
            body: None,
            call_to_action: "Shop".into(),
            font_family: None,
            language: adgen::brief::Language::En,
            sources: adgen::brief::CopySources::default(),
        };
        let output = OutputRequest {
            aspect_ratio: Some(AspectRatio::R4x5),
            resolution: Some(Resolution::R1K),
            format: Some(ImageFormat::Jpeg),
            ..OutputRequest::default()
        }
        .apply("x");
        let input = GenerationInput {
            brief: &brief,
            references: &references,
            logo: None,
            colours: Colours::default(),
            output,
            thinking_intensity: ThinkingIntensity::Minimal,
        };
        let Generated::Encoded(bytes) = generator.generate(&input).await.expect("generated") else {
            panic!("a hosted provider answers with an encoded image");
        };
        assert_eq!(
            bytes, answer_png,
            "post-processing to the exact size is the worker's job"
        );
        assert_eq!(generator.name(), "gemini");

        let sent = server.requests();
        let body = sent[0].json();
        assert_eq!(
            sent[0].path,
            "/v1beta/models/configured-model:generateContent"
        );
        assert_eq!(
            body["generationConfig"]["imageConfig"],
            json!({"aspectRatio": "4:5", "imageSize": "1K"})
        );
        let parts = body["contents"][0]["parts"].as_array().expect("parts");
        assert_eq!(parts[0]["text"], "Create a finished ad");
        let uploaded: Vec<(u32, u32)> = parts[1..]
            .iter()
            .map(|p| {
                assert_eq!(p["inline_data"]["mime_type"], "image/jpeg");
                let data = p["inline_data"]["data"].as_str().expect("data");
                let jpeg = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .expect("base64");
                let size = imagesize::blob_size(&jpeg).expect("jpeg header");
                (size.width as u32, size.height as u32)
            })
            .collect();
        assert_eq!(
            uploaded,
            [(2048, 683), (640, 480)],
            "long side at most 2048, small ones untouched"
        );
    }
}
