//! What each hosted image model accepts, and what to ask it for.
//!
//! Providers differ per model, not only per API: OpenAI's `gpt-image-2` takes any `WxH` within
//! its rules where the `gpt-image-1` family takes three fixed sizes, and Gemini's image models
//! list different aspect ratios and size classes. A request a model does not accept fails
//! every job, so the worker asks each model only for what its entry here allows, and the
//! worker's post-processing (cover crop and scale) brings the answer to the exact
//! `output_applied` size.
//!
//! The shipped table ([`ModelTable::shipped`]) is written from the providers' documentation
//! (sources beside each entry); `ADGEN_PROVIDER_MODELS` adds or replaces entries without a
//! rebuild (a JSON object of model id → [`ModelCapabilities`], see the README), read once at
//! cold start. A model the table does not know fails the start, naming the accepted ids.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::contract::output::{AspectRatio, Resolution};

/// The API a model is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Gemini,
    Openai,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Gemini => "gemini",
            Provider::Openai => "openai",
        }
    }
}

/// A width × height in pixels, written `WxH` in configuration (as OpenAI's `size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    fn ratio(self) -> f64 {
        f64::from(self.width) / f64::from(self.height)
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl Serialize for Size {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let parsed = text.split_once('x').and_then(|(w, h)| {
            let (w, h) = (w.parse::<u32>().ok()?, h.parse::<u32>().ok()?);
            (w > 0 && h > 0).then_some(Size::new(w, h))
        });
        parsed.ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not WIDTHxHEIGHT")))
    }
}

/// How a model's output size is chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum SizeRule {
    /// Gemini: `imageConfig.aspectRatio` from `aspect_ratios`, `imageConfig.imageSize` from
    /// `sizes`.
    Classes {
        aspect_ratios: Vec<AspectRatio>,
        sizes: Vec<Resolution>,
    },
    /// One of these exact sizes (OpenAI `size`).
    Fixed { sizes: Vec<Size> },
    /// Any `WxH` with both sides multiples of `multiple_of`, a long:short ratio of at most
    /// `max_ratio`, sides at most `max_edge` and a pixel count in `min_pixels..=max_pixels`.
    Free {
        multiple_of: u32,
        max_ratio: f64,
        max_edge: u32,
        min_pixels: u64,
        max_pixels: u64,
    },
}

/// How references travel to OpenAI's `/v1/images/edits`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditEncoding {
    /// A JSON body, references as data URLs (its `size` takes only the standard sizes).
    #[default]
    Json,
    /// `multipart/form-data` with `image[]` files (its `size` is any string).
    Multipart,
}

/// What one model accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCapabilities {
    pub provider: Provider,
    pub sizes: SizeRule,
    /// Reference images in one request (the brand's logo counts as one).
    pub max_references: usize,
    /// The references' bytes in one request, before any base64.
    pub max_reference_bytes: u64,
    #[serde(default)]
    pub edit_encoding: EditEncoding,
}

/// What to ask a model for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Gemini's `imageConfig`.
    Classes {
        aspect_ratio: AspectRatio,
        image_size: Resolution,
    },
    /// OpenAI's `size`.
    Size(Size),
}

impl ModelCapabilities {
    /// What to ask for an output of `width`×`height` at `resolution`: the model's nearest
    /// aspect ratio and size (ratio first, then area); the worker crops and scales the answer
    /// to the exact size.
    pub fn ask(&self, width: u32, height: u32, resolution: Resolution) -> Ask {
        let target = Size::new(width.max(1), height.max(1));
        match &self.sizes {
            SizeRule::Classes {
                aspect_ratios,
                sizes,
            } => Ask::Classes {
                aspect_ratio: nearest_ratio(aspect_ratios, target.ratio())
                    .unwrap_or(AspectRatio::R1x1),
                image_size: nearest_class(sizes, resolution).unwrap_or(resolution),
            },
            // Ratio first (a wrong shape costs a crop), then area.
            SizeRule::Fixed { sizes } => Ask::Size(
                sizes
                    .iter()
                    .copied()
                    .min_by(|a, b| {
                        let ratio = |s: &Size| (s.ratio() / target.ratio()).ln().abs();
                        let area = |s: &Size| {
                            (f64::from(s.width) * f64::from(s.height)
                                / (f64::from(target.width) * f64::from(target.height)))
                            .ln()
                            .abs()
                        };
                        ratio(a)
                            .total_cmp(&ratio(b))
                            .then(area(a).total_cmp(&area(b)))
                    })
                    .unwrap_or(Size::new(1024, 1024)),
            ),
            SizeRule::Free {
                multiple_of,
                max_ratio,
                max_edge,
                min_pixels,
                max_pixels,
            } => Ask::Size(free_size(
                target,
                FreeRule {
                    multiple_of: *multiple_of,
                    max_ratio: *max_ratio,
                    max_edge: *max_edge,
                    min_pixels: *min_pixels as f64,
                    max_pixels: *max_pixels as f64,
                },
            )),
        }
    }

    /// Whether the model accepts `size` (Fixed and Free rules; Classes take no size).
    pub fn accepts_size(&self, size: Size) -> bool {
        match &self.sizes {
            SizeRule::Classes { .. } => false,
            SizeRule::Fixed { sizes } => sizes.contains(&size),
            SizeRule::Free {
                multiple_of,
                max_ratio,
                max_edge,
                min_pixels,
                max_pixels,
            } => FreeRule {
                multiple_of: *multiple_of,
                max_ratio: *max_ratio,
                max_edge: *max_edge,
                min_pixels: *min_pixels as f64,
                max_pixels: *max_pixels as f64,
            }
            .allows(size),
        }
    }

    /// The entry's own consistency: what a configured override must satisfy.
    fn check(&self) -> Result<(), String> {
        match &self.sizes {
            SizeRule::Classes {
                aspect_ratios,
                sizes,
            } => {
                if aspect_ratios.is_empty() || sizes.is_empty() {
                    return Err("a \"classes\" rule needs aspect_ratios and sizes".into());
                }
                if aspect_ratios.contains(&AspectRatio::Auto) {
                    return Err("aspect_ratios lists concrete ratios, not \"auto\"".into());
                }
            }
            SizeRule::Fixed { sizes } if sizes.is_empty() => {
                return Err("a \"fixed\" rule needs at least one size".into());
            }
            SizeRule::Fixed { .. } => {}
            SizeRule::Free {
                multiple_of,
                max_ratio,
                max_edge,
                min_pixels,
                max_pixels,
            } => {
                let square = u64::from(*max_edge / multiple_of.max(&1) * multiple_of);
                if *multiple_of == 0
                    || !max_ratio.is_finite()
                    || *max_ratio < 1.0
                    || min_pixels > max_pixels
                    || square * square < *min_pixels
                {
                    return Err("a \"free\" rule needs multiple_of ≥ 1, max_ratio ≥ 1 and a pixel range a square within max_edge reaches".into());
                }
            }
        }
        if (self.provider == Provider::Gemini) != matches!(self.sizes, SizeRule::Classes { .. }) {
            return Err(
                "Gemini models take a \"classes\" rule, OpenAI models \"fixed\" or \"free\"".into(),
            );
        }
        if self.max_references == 0 || self.max_reference_bytes == 0 {
            return Err("max_references and max_reference_bytes must be positive".into());
        }
        Ok(())
    }
}

/// The ratio of `ratios` nearest `target` (on a log scale, so 2:1 and 1:2 are equally far
/// from 1:1).
fn nearest_ratio(ratios: &[AspectRatio], target: f64) -> Option<AspectRatio> {
    let distance = |r: &AspectRatio| {
        r.parts()
            .map(|(w, h)| (f64::from(w) / f64::from(h) / target).ln().abs())
            .unwrap_or(f64::INFINITY)
    };
    ratios
        .iter()
        .copied()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
}

/// `wanted` when the model has it, else its nearest class (the larger on a tie, so the
/// worker scales down rather than up).
fn nearest_class(classes: &[Resolution], wanted: Resolution) -> Option<Resolution> {
    let distance = |r: &Resolution| (f64::from(r.side()) / f64::from(wanted.side())).ln().abs();
    classes.iter().copied().min_by(|a, b| {
        distance(a)
            .total_cmp(&distance(b))
            .then(b.side().cmp(&a.side()))
    })
}

/// Ratio error weighs double the area error: a wrong shape costs a crop, a wrong area only a
/// scale.
fn size_error(size: Size, target: Size) -> f64 {
    let area = |s: Size| f64::from(s.width) * f64::from(s.height);
    2.0 * (size.ratio() / target.ratio()).ln().abs() + (area(size) / area(target)).ln().abs()
}

#[derive(Debug, Clone, Copy)]
struct FreeRule {
    multiple_of: u32,
    max_ratio: f64,
    max_edge: u32,
    min_pixels: f64,
    max_pixels: f64,
}

impl FreeRule {
    fn allows(self, size: Size) -> bool {
        let (w, h) = (size.width, size.height);
        let pixels = f64::from(w) * f64::from(h);
        w % self.multiple_of == 0
            && h % self.multiple_of == 0
            && w.max(h) <= self.max_edge
            && f64::from(w.max(h)) <= self.max_ratio * f64::from(w.min(h))
            && (self.min_pixels..=self.max_pixels).contains(&pixels)
    }
}

/// The valid size nearest `target` under `rule`: the ratio clamped to the rule's range, the
/// area to its pixel range, the long side to its edge; then the best allowed size among the
/// nearby multiples.
fn free_size(target: Size, rule: FreeRule) -> Size {
    let ratio = target.ratio().clamp(1.0 / rule.max_ratio, rule.max_ratio);
    let area = (f64::from(target.width) * f64::from(target.height))
        .clamp(rule.min_pixels, rule.max_pixels);
    let (w, h) = ((area * ratio).sqrt(), (area / ratio).sqrt());
    let shrink = (f64::from(rule.max_edge) / w.max(h)).min(1.0);
    let ideal = Size::new(
        (w * shrink).round().max(1.0) as u32,
        (h * shrink).round().max(1.0) as u32,
    );
    let step = f64::from(rule.multiple_of);
    let (cw, ch) = (
        (f64::from(ideal.width) / step).round() as i64,
        (f64::from(ideal.height) / step).round() as i64,
    );
    (cw - 2..=cw + 2)
        .flat_map(|a| (ch - 2..=ch + 2).map(move |b| (a, b)))
        .filter(|&(a, b)| a >= 1 && b >= 1)
        .map(|(a, b)| Size::new(a as u32 * rule.multiple_of, b as u32 * rule.multiple_of))
        .filter(|&size| rule.allows(size))
        .min_by(|x, y| size_error(*x, ideal).total_cmp(&size_error(*y, ideal)))
        // A rule whose neighbourhood holds no valid size (an odd override): its largest
        // allowed square, which `check` guarantees exists.
        .unwrap_or_else(|| {
            let side = (rule.max_pixels.sqrt() as u32).min(rule.max_edge) / rule.multiple_of
                * rule.multiple_of;
            Size::new(side, side)
        })
}

/// Every model the worker may be configured with, by id.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTable(BTreeMap<String, ModelCapabilities>);

/// Gemini image models: aspect ratios and `imageSize` classes from Google's model pages and
/// the `google-genai` `ImageConfig` type; up to 14 reference images; a request under 20 MB
/// inline, so the references' bytes are kept to 14 MB (base64 grows them by a third).
fn gemini(aspect_ratios: &[AspectRatio], sizes: &[Resolution]) -> ModelCapabilities {
    ModelCapabilities {
        provider: Provider::Gemini,
        sizes: SizeRule::Classes {
            aspect_ratios: aspect_ratios.to_vec(),
            sizes: sizes.to_vec(),
        },
        max_references: 14,
        max_reference_bytes: 14_000_000,
        edit_encoding: EditEncoding::Json,
    }
}

/// OpenAI GPT image models: up to 16 images of under 50 MB each on `/v1/images/edits`
/// (`openai/openai-openapi`, `CreateImageEditRequest.image`); the whole request is kept to
/// 50 MB.
fn openai(sizes: SizeRule, edit_encoding: EditEncoding) -> ModelCapabilities {
    ModelCapabilities {
        provider: Provider::Openai,
        sizes,
        max_references: 16,
        max_reference_bytes: 50_000_000,
        edit_encoding,
    }
}

impl ModelTable {
    /// The models adgen ships with (their entries' sources are in the functions above and
    /// the comments below).
    pub fn shipped() -> Self {
        use AspectRatio::*;
        use Resolution::*;
        // Gemini 3 Pro Image: ten ratios, 1K/2K/4K.
        let ten = [
            R1x1, R2x3, R3x2, R3x4, R4x3, R4x5, R5x4, R9x16, R16x9, R21x9,
        ];
        // Gemini 3.1 Flash Image adds the extreme ratios and the 512 class.
        let fourteen = [
            R1x1, R1x4, R1x8, R2x3, R3x2, R3x4, R4x1, R4x3, R4x5, R5x4, R8x1, R9x16, R16x9, R21x9,
        ];
        // `CreateImageRequest.size`: gpt-image-2 takes any WIDTHxHEIGHT with both sides
        // divisible by 16, a ratio within 1:3..3:1, at most 3840x2160 (8 294 400 pixels; the
        // API's floor is 655 360); the multipart edit form takes it as any string, the JSON
        // edit body (`EditImageBodyJsonParam.size`) lists only the standard sizes.
        let free = || SizeRule::Free {
            multiple_of: 16,
            max_ratio: 3.0,
            max_edge: 3840,
            min_pixels: 655_360,
            max_pixels: 8_294_400,
        };
        // The GPT image models' standard sizes. The 2.5 models are newer than the published
        // specification read here: they get the sizes every GPT image model takes until an
        // override says more.
        let standard = || SizeRule::Fixed {
            sizes: vec![
                Size::new(1024, 1024),
                Size::new(1536, 1024),
                Size::new(1024, 1536),
            ],
        };
        let mut models = BTreeMap::new();
        models.insert(
            "gemini-3-pro-image-preview".to_owned(),
            gemini(&ten, &[R1K, R2K, R4K]),
        );
        models.insert(
            "gemini-3.1-flash-image-preview".to_owned(),
            gemini(&fourteen, &[R512, R1K, R2K, R4K]),
        );
        for id in ["gpt-image-2", "gpt-image-2-2026-04-21"] {
            models.insert(id.to_owned(), openai(free(), EditEncoding::Multipart));
        }
        for id in [
            "gpt-image-2.5-flare",
            "gpt-image-2.5-flare-2026-09-08",
            "gpt-image-2.5-sunburst",
            "gpt-image-2.5-sunburst-2026-09-08",
            "gpt-image-1.5",
            "gpt-image-1",
            "gpt-image-1-mini",
            "chatgpt-image-latest",
        ] {
            models.insert(id.to_owned(), openai(standard(), EditEncoding::Json));
        }
        Self(models)
    }

    /// The shipped table with `overrides` (a JSON object of model id → capabilities) laid
    /// over it, entry by entry.
    pub fn with_overrides(overrides: &str) -> Result<Self, String> {
        let extra: BTreeMap<String, ModelCapabilities> = serde_json::from_str(overrides)
            .map_err(|e| format!("not a JSON object of model id → capabilities: {e}"))?;
        let mut table = Self::shipped();
        for (id, capabilities) in extra {
            if id.trim().is_empty() {
                return Err("a model id is empty".into());
            }
            capabilities.check().map_err(|e| format!("{id}: {e}"))?;
            table.0.insert(id, capabilities);
        }
        Ok(table)
    }

    pub fn get(&self, model: &str) -> Option<&ModelCapabilities> {
        self.0.get(model)
    }

    /// The ids of `provider`'s models, for error messages.
    pub fn ids(&self, provider: Provider) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(_, c)| c.provider == provider)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &ModelCapabilities)> {
        self.0.iter().map(|(id, c)| (id.as_str(), c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::output::pixel_size;

    fn every_output() -> impl Iterator<Item = (AspectRatio, Resolution, (u32, u32))> {
        AspectRatio::ALL
            .iter()
            .copied()
            .filter(|r| *r != AspectRatio::Auto)
            .flat_map(|r| {
                Resolution::ALL
                    .iter()
                    .map(move |&res| (r, res, pixel_size(r, res)))
            })
    }

    #[test]
    fn every_shipped_entry_is_consistent() {
        for (id, capabilities) in ModelTable::shipped().iter() {
            capabilities.check().unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }

    #[test]
    fn every_ask_is_one_the_model_accepts() {
        for (id, model) in ModelTable::shipped().iter() {
            for (ratio, resolution, (w, h)) in every_output() {
                match (model.ask(w, h, resolution), &model.sizes) {
                    (
                        Ask::Classes {
                            aspect_ratio,
                            image_size,
                        },
                        SizeRule::Classes {
                            aspect_ratios,
                            sizes,
                        },
                    ) => {
                        assert!(aspect_ratios.contains(&aspect_ratio), "{id} {ratio:?}");
                        assert!(sizes.contains(&image_size), "{id} {resolution:?}");
                        if aspect_ratios.contains(&ratio) {
                            assert_eq!(aspect_ratio, ratio, "{id}: its own ratio when listed");
                        }
                        if sizes.contains(&resolution) {
                            assert_eq!(image_size, resolution, "{id}");
                        }
                    }
                    (Ask::Size(size), _) => {
                        assert!(
                            model.accepts_size(size),
                            "{id} {ratio:?} {resolution:?}: {size}"
                        )
                    }
                    (ask, _) => panic!("{id}: {ask:?} for its rule"),
                }
            }
        }
    }

    #[test]
    fn the_nearest_ratio_and_class_stand_in_for_missing_ones() {
        let table = ModelTable::shipped();
        let pro = table.get("gemini-3-pro-image-preview").expect("shipped");
        let (w, h) = pixel_size(AspectRatio::R1x4, Resolution::R512);
        assert_eq!(
            pro.ask(w, h, Resolution::R512),
            Ask::Classes {
                aspect_ratio: AspectRatio::R9x16,
                image_size: Resolution::R1K
            }
        );
        let (w, h) = pixel_size(AspectRatio::R8x1, Resolution::R4K);
        assert_eq!(
            pro.ask(w, h, Resolution::R4K),
            Ask::Classes {
                aspect_ratio: AspectRatio::R21x9,
                image_size: Resolution::R4K
            }
        );
        let mini = table.get("gpt-image-1-mini").expect("shipped");
        let (w, h) = pixel_size(AspectRatio::R9x16, Resolution::R4K);
        assert_eq!(
            mini.ask(w, h, Resolution::R4K),
            Ask::Size(Size::new(1024, 1536))
        );
        let (w, h) = pixel_size(AspectRatio::R1x1, Resolution::R512);
        assert_eq!(
            mini.ask(w, h, Resolution::R512),
            Ask::Size(Size::new(1024, 1024))
        );
    }

    #[test]
    fn gpt_image_2_gets_its_ratio_within_three_to_one() {
        let table = ModelTable::shipped();
        let free = table.get("gpt-image-2").expect("shipped");
        // 4:5 at 1K is itself valid.
        assert_eq!(
            free.ask(912, 1136, Resolution::R1K),
            Ask::Size(Size::new(912, 1136))
        );
        let (w, h) = pixel_size(AspectRatio::R8x1, Resolution::R1K);
        let Ask::Size(size) = free.ask(w, h, Resolution::R1K) else {
            panic!("a size");
        };
        assert!((size.ratio() - 3.0).abs() < 0.05, "{size}");
    }

    #[test]
    fn the_free_rule_keeps_valid_sizes_and_clamps_the_rest() {
        let table = ModelTable::shipped();
        let free = table.get("gpt-image-2").expect("shipped");
        let ask = |w, h| match free.ask(w, h, Resolution::R1K) {
            Ask::Size(size) => (size.width, size.height),
            other => panic!("{other:?}"),
        };
        // Within the rules the job's own size is kept.
        assert_eq!(ask(1024, 1024), (1024, 1024));
        assert_eq!(ask(1360, 768), (1360, 768));
        // Too small: scaled up to the minimum area.
        assert_eq!(ask(512, 512), (816, 816));
        // Too large: the largest allowed area, then the 3840 px edge.
        assert_eq!(ask(4096, 4096), (2880, 2880));
        assert_eq!(ask(5456, 3072), (3840, 2160));
        // Beyond 3:1: clamped to 3:1 at about the same area.
        assert_eq!(ask(2896, 368), (1776, 592));
    }

    #[test]
    fn overrides_add_and_replace_entries_and_are_checked() {
        let table = ModelTable::with_overrides(
            r#"{"my-model": {"provider": "openai", "sizes": {"rule": "fixed", "sizes": ["1024x1024"]},
                "max_references": 4, "max_reference_bytes": 1000000},
               "gpt-image-2.5-flare": {"provider": "openai", "edit_encoding": "multipart",
                "sizes": {"rule": "free", "multiple_of": 16, "max_ratio": 3.0, "max_edge": 3840,
                          "min_pixels": 655360, "max_pixels": 8294400},
                "max_references": 16, "max_reference_bytes": 50000000}}"#,
        )
        .expect("valid");
        assert_eq!(
            table.get("my-model").map(|m| m.edit_encoding),
            Some(EditEncoding::Json)
        );
        assert_eq!(
            table.get("gpt-image-2.5-flare").map(|m| m.edit_encoding),
            Some(EditEncoding::Multipart)
        );
        assert!(table.get("gpt-image-2").is_some(), "the rest stays");
        for (bad, why) in [
            ("[]", "JSON object"),
            (
                r#"{"m": {"provider": "gemini", "sizes": {"rule": "fixed", "sizes": ["1x1"]}, "max_references": 1, "max_reference_bytes": 1}}"#,
                "classes",
            ),
            (
                r#"{"m": {"provider": "openai", "sizes": {"rule": "fixed", "sizes": ["1024"]}, "max_references": 1, "max_reference_bytes": 1}}"#,
                "WIDTHxHEIGHT",
            ),
            (
                r#"{"m": {"provider": "gemini", "sizes": {"rule": "classes", "aspect_ratios": ["auto"], "sizes": ["1K"]}, "max_references": 1, "max_reference_bytes": 1}}"#,
                "auto",
            ),
            (
                r#"{"m": {"provider": "openai", "sizes": {"rule": "fixed", "sizes": ["8x8"]}, "max_references": 0, "max_reference_bytes": 1}}"#,
                "positive",
            ),
            (
                r#"{"m": {"provider": "openai", "colour": 1}}"#,
                "unknown field",
            ),
        ] {
            let err = ModelTable::with_overrides(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
