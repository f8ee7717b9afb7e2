//! Opt-in smoke tests against the real provider APIs, one per provider: each runs only when
//! its key and model variables are set, and otherwise passes without a request (never in CI,
//! which has neither keys nor the internet). Run by hand, with a real key and a model id:
//!
//! ```sh
//! ADGEN_LIVE_OPENAI_API_KEY=sk-... ADGEN_LIVE_OPENAI_MODEL=gpt-image-2 \
//!   cargo test -p adgen-outbound --lib live -- --nocapture
//! ADGEN_LIVE_GEMINI_API_KEY=... ADGEN_LIVE_GEMINI_MODEL=gemini-3.1-flash-image-preview \
//!   cargo test -p adgen-outbound --lib live -- --nocapture
//! ```
//!
//! Each sends one 1:1 1K request with one reference image (the edit path) through the same
//! client and capability entry the worker uses, and checks that an image came back.

use std::time::Duration;

use adgen::contract::output::{
    AspectRatio, ImageFormat, Resolution, ThinkingIntensity, pixel_size,
};
use adgen::models::ModelTable;

use super::gemini::GeminiClient;
use super::openai::OpenAiClient;
use super::{GenerationRequest, ProviderClient, ProviderConfig, ProviderImage};

/// The client for `provider`, or `None` (the test is skipped) when its variables are unset.
fn live_client(provider: &str) -> Option<Box<dyn ProviderClient>> {
    let var = |name: &str| std::env::var(format!("ADGEN_LIVE_{provider}_{name}")).ok();
    let (Some(key), Some(model)) = (var("API_KEY"), var("MODEL")) else {
        eprintln!(
            "skipped: set ADGEN_LIVE_{provider}_API_KEY and ADGEN_LIVE_{provider}_MODEL to run"
        );
        return None;
    };
    let table = match std::env::var("ADGEN_PROVIDER_MODELS") {
        Ok(json) => ModelTable::with_overrides(&json).expect("ADGEN_PROVIDER_MODELS"),
        Err(_) => ModelTable::shipped(),
    };
    let capabilities = table
        .get(&model)
        .cloned()
        .unwrap_or_else(|| panic!("{model} is not in the capability table"));
    let base = var("BASE_URL").unwrap_or_else(|| {
        match provider {
            "OPENAI" => "https://api.openai.com",
            _ => "https://generativelanguage.googleapis.com",
        }
        .to_owned()
    });
    let config = ProviderConfig {
        request_timeout: Duration::from_secs(300),
        ..ProviderConfig::new(base, key, model, capabilities)
    };
    Some(match provider {
        "OPENAI" => Box::new(OpenAiClient::new(config).expect("client")),
        _ => Box::new(GeminiClient::new(config).expect("client")),
    })
}

async fn smoke(provider: &str) {
    let Some(client) = live_client(provider) else {
        return;
    };
    let (width, height) = pixel_size(AspectRatio::R1x1, Resolution::R1K);
    let request = GenerationRequest {
        brief: "A clean studio product photo of a ceramic coffee mug on a pale blue background"
            .into(),
        references: vec![ProviderImage {
            mime: "image/png",
            bytes: adgen_testkit::images::png(256, 256).into(),
        }],
        aspect_ratio: AspectRatio::R1x1,
        resolution: Resolution::R1K,
        width,
        height,
        format: ImageFormat::Png,
        thinking_intensity: ThinkingIntensity::Minimal,
    };
    let started = std::time::Instant::now();
    let image = client
        .generate(&request)
        .await
        .expect("the provider made an image");
    let size = imagesize::blob_size(&image.bytes).expect("an image");
    eprintln!(
        "{provider}: {} {}x{} ({} bytes) in {:.1} s",
        image.mime,
        size.width,
        size.height,
        image.bytes.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn live_openai() {
    smoke("OPENAI").await;
}

#[tokio::test]
async fn live_gemini() {
    smoke("GEMINI").await;
}
