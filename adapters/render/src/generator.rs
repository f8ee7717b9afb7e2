//! The offline template renderer behind the worker's `ImageGenerator` seam: the brief's copy,
//! the colours, the references, the brand's logo and its font family (mapped onto an embedded
//! family) become one [`AdLayout`].

use async_trait::async_trait;

use adgen::ports::{GenerateError, Generated, GenerationInput, ImageGenerator};
use adgen::service::generate::cpu_bound;

use crate::codec::{RgbaView, from_image, view};
use crate::template::{AdLayout, render_ad};
use crate::text::FontFamily;

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
        let references: Vec<RgbaView<'_>> = input.references.iter().map(view).collect();
        let layout = AdLayout {
            width: input.output.width,
            height: input.output.height,
            headline: &brief.headline,
            body: brief.body.as_deref(),
            call_to_action: Some(&brief.call_to_action),
            colours: input.colours,
            references: &references,
            logo: input.logo.map(view),
            font: FontFamily::for_brand(brief.font_family.as_deref()),
        };
        Ok(Generated::Pixels(from_image(cpu_bound(|| {
            render_ad(&layout)
        }))))
    }
}
