//! Image-generation provider clients: Gemini (`generateContent`) and OpenAI Images.
//!
//! Both speak JSON over HTTPS and share [`Transport`]: one client built once, the retry loop
//! (429 and 5xx, exponential backoff with jitter, `Retry-After` honoured up to a cap) and the
//! error-body parsing. Model ids always come from configuration: providers retire models
//! within months, so the code names none.
//!
//! - `types`: the request, configuration, image and error types both providers share;
//! - `transport`: the shared HTTP send (retry loop, backoff, capped body reading);
//! - `live` (tests only): opt-in smoke tests against the real APIs.

pub mod gemini;
#[cfg(test)]
mod live;
pub mod openai;
mod transport;
mod types;

use async_trait::async_trait;

use adgen::models::ModelCapabilities;
use adgen::ports::GenerateError;

pub(crate) use transport::{Transport, secret_header};
pub use types::{GeneratedImage, GenerationRequest, ProviderConfig, ProviderImage};

#[async_trait]
pub trait ProviderClient: Send + Sync {
    /// The provider's name, as recorded in `payload.provider`.
    fn name(&self) -> &'static str;
    /// What the configured model accepts.
    fn capabilities(&self) -> &ModelCapabilities;
    async fn generate(&self, request: &GenerationRequest) -> Result<GeneratedImage, GenerateError>;
}
