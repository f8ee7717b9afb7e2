//! The creative brief compiler: a deterministic function from the request (prompt, brand,
//! output, reference summaries) to the text a provider receives and the copy the template
//! renderer sets. Kept in the job's diagnostics.
//!
//! The copy itself (headline, supporting line, call to action, language) is planned by
//! [`copy::plan`]; this module states it to a hosted model exactly as the template renderer
//! sets it, so both generators put the same words on the image.

pub mod copy;

use serde_json::{Map, Value};

pub use copy::{CopyPlan, CopySource, CopySources, GOLDEN_PROMPTS, Language, plan};

use crate::contract::brand_dna::is_hex_colour;
use crate::contract::output::OutputApplied;

/// The brand fields generation uses, read from a brand DNA document (spec §7).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrandIdentity {
    pub name: Option<String>,
    pub background: Option<[u8; 3]>,
    pub accent: Option<[u8; 3]>,
    pub palette: Vec<[u8; 3]>,
    pub typography_rules: Option<String>,
    pub font_family: Option<String>,
    pub slogan: Option<String>,
    pub tone_of_voice: Option<String>,
    pub style: Option<String>,
    pub call_to_action: Option<String>,
    /// The brand's logo travels with the request (the last attached image).
    pub has_logo: bool,
}

fn colour(value: Option<&Value>) -> Option<[u8; 3]> {
    let text = value?.as_str().filter(|t| is_hex_colour(t))?;
    let byte = |i: usize| u8::from_str_radix(&text[i..i + 2], 16).ok();
    Some([byte(1)?, byte(3)?, byte(5)?])
}

fn text(dna: &Map<String, Value>, key: &str) -> Option<String> {
    dna.get(key)?
        .as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl BrandIdentity {
    /// Reads a validated brand DNA document; unknown keys are ignored here.
    pub fn from_dna(name: Option<&str>, dna: &Map<String, Value>) -> Self {
        Self {
            name: name.map(str::to_owned),
            background: colour(dna.get("primary_background_hex")),
            accent: colour(dna.get("primary_accent_hex")),
            palette: dna
                .get("color_palette")
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(|v| colour(Some(v))).collect())
                .unwrap_or_default(),
            typography_rules: text(dna, "typography_rules"),
            font_family: text(dna, "font_family"),
            slogan: text(dna, "core_slogan"),
            tone_of_voice: text(dna, "tone_of_voice"),
            style: text(dna, "imagen_style_conditioning"),
            call_to_action: text(dna, "call_to_action"),
            has_logo: false,
        }
    }
}

/// A reference image as the brief mentions it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceSummary {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreativeBrief {
    /// The full instruction for a hosted image model.
    pub text: String,
    /// Copy for the template renderer (from the [`CopyPlan`]).
    pub headline: String,
    /// The supporting line.
    pub body: Option<String>,
    pub call_to_action: String,
    /// The brand's `font_family`, for the template renderer to honour when it embeds a match.
    pub font_family: Option<String>,
    /// The language of all text in the image, detected from the prompt.
    pub language: Language,
    /// Where each block of copy came from, for diagnostics.
    pub sources: CopySources,
}

/// Compiles the brief: the planned copy (see [`copy`]), the format, the brand and the
/// references, as one instruction for a hosted model and as copy for the template renderer.
pub fn compile(
    prompt: &str,
    brand: Option<&BrandIdentity>,
    output: &OutputApplied,
    references: &[ReferenceSummary],
) -> CreativeBrief {
    let CopyPlan {
        headline,
        supporting: body,
        call_to_action,
        language,
        sources,
    } = plan(prompt, brand);

    let mut lines = vec![
        format!("Create a finished, professional advertising image: {prompt}"),
        format!(
            "Format: aspect ratio {}, {}x{} pixels, delivered as {}.",
            output.aspect_ratio.as_str(),
            output.width,
            output.height,
            output.format.as_str()
        ),
        format!("Headline text, exactly: \"{headline}\"."),
    ];
    if let Some(body) = &body {
        lines.push(format!("Supporting line: \"{body}\"."));
    }
    lines.push(format!("Call to action, exactly: \"{call_to_action}\"."));
    lines.push(match language {
        Language::Other => "Language of all text in the image: the language of the prompt.".into(),
        _ => format!(
            "Language of all text in the image: {} ({}).",
            language.english_name(),
            language.bcp47()
        ),
    });
    if let Some(brand) = brand {
        lines.extend(brand_lines(brand));
    }
    if !references.is_empty() {
        let sizes: Vec<String> = references
            .iter()
            .enumerate()
            .map(|(i, r)| format!("#{} {}x{}", i + 1, r.width, r.height))
            .collect();
        lines.push(format!(
            "Use the {} attached reference image(s) ({}) as the product and visual reference; keep products recognisable.",
            references.len(),
            sizes.join(", ")
        ));
    }
    lines.push(
        "All text must be legible, spelled exactly as given, and fully inside the frame.".into(),
    );
    CreativeBrief {
        text: lines.join("\n"),
        headline,
        body,
        call_to_action,
        font_family: brand.and_then(|b| b.font_family.clone()),
        language,
        sources,
    }
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02X}{g:02X}{b:02X}")
}

fn brand_lines(brand: &BrandIdentity) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(name) = &brand.name {
        lines.push(format!("Brand: {name}."));
    }
    let mut colours: Vec<String> = brand
        .background
        .iter()
        .chain(&brand.accent)
        .chain(&brand.palette)
        .map(|c| hex(*c))
        .collect();
    colours.dedup();
    if !colours.is_empty() {
        lines.push(format!(
            "Brand colours (use them, background first): {}.",
            colours.join(", ")
        ));
    }
    for (label, value) in [
        ("Typography", &brand.typography_rules),
        ("Font family", &brand.font_family),
        ("Tone of voice", &brand.tone_of_voice),
        ("Visual style", &brand.style),
    ] {
        if let Some(value) = value {
            lines.push(format!("{label}: {value}."));
        }
    }
    if brand.has_logo {
        lines.push(
            "The last attached image is the brand's logo: place it unaltered and legible, with clear space around it, never over text.".into(),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::output::OutputRequest;
    use serde_json::json;

    fn applied(prompt: &str) -> OutputApplied {
        OutputRequest::default().apply(prompt)
    }

    #[test]
    fn headline_comes_from_quotes_then_the_prompts_message() {
        let p = "Instagram story for our bakery: \u{201C}Fresh every morning\u{201D}, warm tones";
        assert_eq!(
            compile(p, None, &applied(p), &[]).headline,
            "Fresh every morning"
        );
        // The format word splits the clause: "for a coffee shop" says who the ad is for.
        let p = "autumn sale banner for a coffee shop, warm tones";
        assert_eq!(compile(p, None, &applied(p), &[]).headline, "Autumn sale");
        let p = "banner";
        assert_eq!(compile(p, None, &applied(p), &[]).headline, "Banner");
    }

    #[test]
    fn call_to_action_from_prompt_label_then_brand_then_default() {
        let brand = BrandIdentity::from_dna(
            None,
            json!({"call_to_action": "Order now"})
                .as_object()
                .expect("object"),
        );
        let p = "Coffee ad. CTA: Visit us today. Warm.";
        assert_eq!(
            compile(p, Some(&brand), &applied(p), &[]).call_to_action,
            "Visit us today"
        );
        let p = "Coffee ad";
        assert_eq!(
            compile(p, Some(&brand), &applied(p), &[]).call_to_action,
            "Order now"
        );
        assert_eq!(
            compile(p, None, &applied(p), &[]).call_to_action,
            "Learn more"
        );
    }

    #[test]
    fn the_brief_states_the_planned_copy_and_its_language() {
        let p = "Werbebanner für unsere Bäckerei: Herbstangebot, alle Kuchen 20 % günstiger bis Sonntag";
        let brief = compile(p, None, &applied(p), &[]);
        assert_eq!(brief.language, Language::De);
        assert_eq!(brief.headline, "Alle Kuchen 20 % günstiger bis Sonntag");
        assert_eq!(brief.body.as_deref(), Some("Herbstangebot"));
        assert_eq!(brief.sources.headline, CopySource::Offer);
        for needle in [
            "Headline text, exactly: \"Alle Kuchen 20 % günstiger bis Sonntag\".",
            "Supporting line: \"Herbstangebot\".",
            "Call to action, exactly: \"Jetzt kaufen\".",
            "Language of all text in the image: German (de).",
        ] {
            assert!(
                brief.text.contains(needle),
                "missing {needle:?} in:\n{}",
                brief.text
            );
        }
        let p = "为我们的咖啡店设计一张秋季促销海报，全场八折";
        let brief = compile(p, None, &applied(p), &[]);
        assert!(
            brief
                .text
                .contains("Language of all text in the image: Chinese (Simplified) (zh-Hans).")
        );
        let p = "Reklama pro naši kavárnu: čerstvá káva každé ráno";
        let brief = compile(p, None, &applied(p), &[]);
        assert_eq!(brief.language, Language::Other);
        assert!(
            brief
                .text
                .contains("Language of all text in the image: the language of the prompt.")
        );
    }

    #[test]
    fn brand_and_references_reach_the_brief_deterministically() {
        let dna = json!({"primary_background_hex": "#102030", "primary_accent_hex": "#ff6600",
            "color_palette": ["#ffffff"], "tone_of_voice": "warm, witty", "core_slogan": "Wake up happy",
            "imagen_style_conditioning": "35mm film", "font_family": "Inter"});
        let brand = BrandIdentity::from_dna(Some("Acme Coffee"), dna.as_object().expect("object"));
        assert_eq!(brand.background, Some([0x10, 0x20, 0x30]));
        let p = "Autumn sale poster";
        let refs = [ReferenceSummary {
            width: 800,
            height: 600,
        }];
        let brief = compile(p, Some(&brand), &applied(p), &refs);
        assert_eq!(
            brief,
            compile(p, Some(&brand), &applied(p), &refs),
            "same input, same brief"
        );
        for needle in [
            "Autumn sale poster",
            "aspect ratio 3:4",
            "880x1168",
            "Brand: Acme Coffee.",
            "#102030, #FF6600, #FFFFFF",
            "Tone of voice: warm, witty.",
            "Visual style: 35mm film.",
            "Font family: Inter.",
            "Supporting line: \"Wake up happy\".",
            "1 attached reference image(s) (#1 800x600)",
        ] {
            assert!(
                brief.text.contains(needle),
                "missing {needle:?} in:\n{}",
                brief.text
            );
        }
        assert_eq!(brief.body.as_deref(), Some("Wake up happy"));
        assert_eq!(brief.font_family.as_deref(), Some("Inter"));
        assert!(!brief.text.contains("logo"), "no logo, no logo line");
        let with_logo = BrandIdentity {
            has_logo: true,
            ..brand
        };
        let brief = compile(p, Some(&with_logo), &applied(p), &refs);
        assert!(
            brief
                .text
                .contains("last attached image is the brand's logo")
        );
    }
}
