//! The offline template renderer behind the worker's `ImageGenerator` seam: the brief's copy
//! plan, its language, the colours, the references, the brand's logo and its font family
//! (mapped onto an embedded family) become one [`AdLayout`]; how each block of copy was
//! fitted goes back with the pixels, for the job's diagnostics.

use async_trait::async_trait;

use adgen::contract::output::OutputApplied;
use adgen::jobs::{TextBlock, TextFit};
use adgen::ports::{GenerateError, Generated, GenerationInput, ImageGenerator, ReferenceFit};
use adgen::service::generate::cpu_bound;

use crate::codec::{RgbaView, from_image, view};
use crate::template::{AdLayout, BlockFit, Role, reference_target, render};
use crate::text::FontFamily;

/// The offline default: lays the ad out with our own renderer, at exactly the output size.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateGenerator;

#[async_trait]
impl ImageGenerator for TemplateGenerator {
    fn name(&self) -> &'static str {
        "template"
    }

    fn reference_fit(&self, output: &OutputApplied, count: usize) -> ReferenceFit {
        // The largest collage cell of this layout: every reference is cropped into one.
        let (width, height) = reference_target(output.width, output.height, count);
        ReferenceFit::Cover { width, height }
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
            language: brief.language.bcp47(),
        };
        let rendered = cpu_bound(|| render(&layout));
        Ok(Generated::Pixels {
            pixels: from_image(rendered.image),
            text_fit: rendered.fits.iter().map(text_fit).collect(),
        })
    }
}

fn text_fit(fit: &BlockFit) -> TextFit {
    TextFit {
        block: match fit.role {
            Role::Headline => TextBlock::Headline,
            Role::Body => TextBlock::SupportingLine,
            Role::CallToAction => TextBlock::CallToAction,
        },
        font: fit.font.to_owned(),
        fallback_fonts: fit.fallback_fonts.iter().map(|f| (*f).to_owned()).collect(),
        // Rounded in f64, so the JSON shows 48.3 rather than f32's 48.29999923706055.
        px: (f64::from(fit.size) * 10.0).round() / 10.0,
        lines: u32::try_from(fit.lines).unwrap_or(u32::MAX),
        shortened: fit.shortened,
        split_word: fit.split_word,
        missing_glyphs: u32::try_from(fit.missing_glyphs).unwrap_or(u32::MAX),
        contrast: fit.contrast.map(|c| (f64::from(c) * 100.0).round() / 100.0),
    }
}
