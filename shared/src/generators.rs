//! The implementations of the worker's seams: the offline template renderer and hosted
//! providers behind `ImageGenerator`, the SSRF-safe fetcher behind `ReferenceFetcher`, and
//! their construction from configuration (once per cold start).

use async_trait::async_trait;

use crate::ports::{GenerateError, Generated, GenerationInput, ImageGenerator};
use crate::render::{self, AdLayout};
use crate::service::generate::cpu_bound;

/// The offline default: lays the ad out with our own renderer, at exactly the output size.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateGenerator;

#[async_trait]
impl ImageGenerator for TemplateGenerator {
    fn name(&self) -> &'static str {
        "template"
    }

    async fn generate(&self, input: &GenerationInput<'_>) -> Result<Generated, GenerateError> {
        let brief = input.brief;
        let layout = AdLayout {
            width: input.output.width,
            height: input.output.height,
            headline: &brief.headline,
            body: brief.body.as_deref(),
            call_to_action: Some(&brief.call_to_action),
            colours: input.colours,
            references: input.references,
            logo: None,
        };
        Ok(Generated::Pixels(cpu_bound(|| render::render_ad(&layout))))
    }
}

#[cfg(feature = "http-clients")]
pub use hosted::{BuildError, HostedGenerator, from_config, reference_fetcher};

#[cfg(feature = "http-clients")]
mod hosted {
    use std::sync::Arc;

    use async_trait::async_trait;
    use bytes::Bytes;

    use super::TemplateGenerator;
    use crate::config::{GeneratorConfig, ProviderSettings};
    use crate::fetch::{FetchPolicy, Fetcher};
    use crate::http_client::ClientBuildError;
    use crate::ports::{
        GenerateError, Generated, GenerationInput, ImageGenerator, ReferenceFetcher,
    };
    use crate::providers::gemini::GeminiClient;
    use crate::providers::openai::OpenAiClient;
    use crate::providers::{GenerationRequest, ProviderClient, ProviderConfig, ProviderImage};
    use crate::render;
    use crate::service::generate::cpu_bound;

    /// References are shrunk to this long side before upload: enough detail for a model, and
    /// six of them stay well inside the providers' request limits.
    const MAX_REFERENCE_SIDE: u32 = 2048;

    #[derive(Debug, thiserror::Error)]
    #[error(transparent)]
    pub struct BuildError(#[from] ClientBuildError);

    /// A hosted image model behind the worker's seam: references downscaled and uploaded with
    /// the compiled brief; the answer is post-processed by the worker.
    pub struct HostedGenerator {
        client: Box<dyn ProviderClient>,
    }

    impl HostedGenerator {
        pub fn new(client: Box<dyn ProviderClient>) -> Self {
            Self { client }
        }
    }

    #[async_trait]
    impl ImageGenerator for HostedGenerator {
        fn name(&self) -> &'static str {
            self.client.name()
        }

        async fn generate(&self, input: &GenerationInput<'_>) -> Result<Generated, GenerateError> {
            let references = cpu_bound(|| {
                input
                    .references
                    .iter()
                    .map(|image| render::downscale_for_provider(image, MAX_REFERENCE_SIDE))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| GenerateError::Rejected(format!("reference not encodable: {e}")))?;
            let output = input.output;
            let request = GenerationRequest {
                brief: input.brief.text.clone(),
                references: references
                    .into_iter()
                    .map(|jpeg| ProviderImage {
                        mime: "image/jpeg",
                        bytes: Bytes::from(jpeg),
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
            ..ProviderConfig::new(&settings.base_url, &settings.api_key, &settings.model)
        }
    }

    /// The configured generator, built once.
    pub fn from_config(config: &GeneratorConfig) -> Result<Arc<dyn ImageGenerator>, BuildError> {
        Ok(match config {
            GeneratorConfig::Template => Arc::new(TemplateGenerator),
            GeneratorConfig::Gemini(settings) => Arc::new(HostedGenerator::new(Box::new(
                GeminiClient::new(provider_config(settings))?,
            ))),
            GeneratorConfig::OpenAi(settings) => Arc::new(HostedGenerator::new(Box::new(
                OpenAiClient::new(provider_config(settings))?,
            ))),
        })
    }

    /// The production fetcher (spec §6 limits, public addresses only), built once.
    pub fn reference_fetcher() -> Result<Arc<dyn ReferenceFetcher>, BuildError> {
        Ok(Arc::new(Fetcher::new(FetchPolicy::default())?))
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
}

#[cfg(all(test, feature = "http-clients"))]
mod tests {
    use base64::Engine;
    use serde_json::json;

    use super::*;
    use crate::api::reference::samples;
    use crate::brief::CreativeBrief;
    use crate::jobs::output::{
        AspectRatio, ImageFormat, OutputRequest, Resolution, ThinkingIntensity,
    };
    use crate::providers::ProviderConfig;
    use crate::providers::gemini::GeminiClient;
    use crate::render::{Colours, RgbaImage};
    use crate::test_http::{Reply, TestServer};

    #[tokio::test]
    async fn hosted_generation_uploads_downscaled_references_and_returns_the_providers_image() {
        let answer_png = samples::png(300, 200);
        let answer = json!({"candidates": [{"content": {"parts": [{"inlineData": {
            "mimeType": "image/png",
            "data": base64::engine::general_purpose::STANDARD.encode(&answer_png)}}]},
            "finishReason": "STOP"}]});
        let server = TestServer::plain(move |_| Reply::json(200, &answer)).await;
        let config = ProviderConfig::new(server.url("http", ""), "key", "configured-model");
        let generator = HostedGenerator::new(Box::new(GeminiClient::new(config).expect("client")));

        let references = [RgbaImage::new(3000, 1000), RgbaImage::new(640, 480)];
        let brief = CreativeBrief {
            text: "Create a finished ad".into(),
            headline: "Sale".into(),
            body: None,
            call_to_action: "Shop".into(),
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
