//! Output controls (spec §3 `output`) and the pixel-size rule recorded in `output_applied`.

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted values, for error messages.
            pub fn allowed() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

wire_enum!(
    /// `output.aspect_ratio`.
    AspectRatio {
        Auto => "auto",
        R1x1 => "1:1",
        R1x4 => "1:4",
        R1x8 => "1:8",
        R2x3 => "2:3",
        R3x2 => "3:2",
        R3x4 => "3:4",
        R4x1 => "4:1",
        R4x3 => "4:3",
        R4x5 => "4:5",
        R5x4 => "5:4",
        R8x1 => "8:1",
        R9x16 => "9:16",
        R16x9 => "16:9",
        R21x9 => "21:9",
    }
);

wire_enum!(
    /// `output.resolution`.
    Resolution { R512 => "512", R1K => "1K", R2K => "2K", R4K => "4K" }
);

wire_enum!(
    /// `output.thinking_intensity`.
    ThinkingIntensity { Minimal => "minimal", High => "high" }
);

wire_enum!(
    /// `output.format`.
    ImageFormat { Png => "png", Jpeg => "jpeg", Webp => "webp" }
);

impl AspectRatio {
    /// `(width part, height part)`; `None` for `auto`.
    pub fn parts(self) -> Option<(u32, u32)> {
        let (w, h) = self.as_str().split_once(':')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    }

    /// Resolves `auto` from the prompt's words (spec §3): `story`/`vertical` → 9:16,
    /// `banner`/`landscape` → 16:9, `poster` → 3:4, otherwise 1:1. Whole words, any case;
    /// the first rule in that order that matches wins.
    pub fn resolve(self, prompt: &str) -> AspectRatio {
        if self != AspectRatio::Auto {
            return self;
        }
        let words: Vec<String> = prompt
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let has = |wanted: &[&str]| words.iter().any(|w| wanted.contains(&w.as_str()));
        if has(&["story", "vertical"]) {
            AspectRatio::R9x16
        } else if has(&["banner", "landscape"]) {
            AspectRatio::R16x9
        } else if has(&["poster"]) {
            AspectRatio::R3x4
        } else {
            AspectRatio::R1x1
        }
    }
}

impl Resolution {
    /// The `N` of "area about N × N".
    pub fn side(self) -> u32 {
        match self {
            Resolution::R512 => 512,
            Resolution::R1K => 1024,
            Resolution::R2K => 2048,
            Resolution::R4K => 4096,
        }
    }
}

/// `output.quality`'s range (spec §3).
pub const QUALITY_RANGE: std::ops::RangeInclusive<u8> = 1..=100;
/// `output.max_bytes`' range (spec §3).
pub const MAX_BYTES_RANGE: std::ops::RangeInclusive<u32> = 20_000..=20_000_000;
/// A byte budget never takes the quality below this (spec §3): under it photos fall apart
/// into blocks, and an ad that ugly is worse than a clear `output_budget_unmet`.
pub const BUDGET_FLOOR_QUALITY: u8 = 40;

impl ImageFormat {
    /// The quality a lossy format is encoded at when the request names none (spec §3); `None`
    /// for PNG, which has no quality. For WebP, 100 means lossless.
    pub fn default_quality(self) -> Option<u8> {
        match self {
            ImageFormat::Png => None,
            ImageFormat::Jpeg => Some(90),
            ImageFormat::Webp => Some(85),
        }
    }

    /// Whether `output.quality` and `output.max_bytes` apply (JPEG and WebP).
    pub fn has_quality(self) -> bool {
        self.default_quality().is_some()
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Webp => "webp",
        }
    }
}

/// `output` as the client sent it (after validation); absent fields take defaults when applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<AspectRatio>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_intensity: Option<ThinkingIntensity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<ImageFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u32>,
}

/// What the generation actually produces: `payload.output_applied`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputApplied {
    pub aspect_ratio: AspectRatio,
    pub resolution: Resolution,
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
    /// JPEG and WebP: the quality encoded at (the requested or default one, or what a byte
    /// budget lowered it to once the image is finished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
    /// The finished file's size, once it is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// How the finished image is encoded: the format, the quality to start from, and the byte
/// budget that may lower it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub format: ImageFormat,
    pub quality: Option<u8>,
    pub max_bytes: Option<u32>,
}

/// What came of encoding under a budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// The file, and the quality it was encoded at.
    Fits { bytes: Vec<u8>, quality: u8 },
    /// Not even the floor quality fits: the smallest file tried was this large.
    Unmet { smallest: usize },
}

/// The rule of `output.max_bytes` (spec §3): the starting quality when its file fits the
/// budget, else the highest quality between [`BUDGET_FLOOR_QUALITY`] and the start whose file
/// fits, found by bisection (a file's size grows with its quality, so about eight encodings at
/// most); [`Fit::Unmet`] when the floor does not fit either. Whatever the encoder does, the
/// file returned is one that was measured to fit.
pub fn fit_budget<E>(
    start: u8,
    max_bytes: u32,
    mut encode: impl FnMut(u8) -> Result<Vec<u8>, E>,
) -> Result<Fit, E> {
    let budget = max_bytes as usize;
    let first = encode(start)?;
    if first.len() <= budget {
        return Ok(Fit::Fits {
            bytes: first,
            quality: start,
        });
    }
    if start <= BUDGET_FLOOR_QUALITY {
        return Ok(Fit::Unmet {
            smallest: first.len(),
        });
    }
    let floor = encode(BUDGET_FLOOR_QUALITY)?;
    if floor.len() > budget {
        return Ok(Fit::Unmet {
            smallest: floor.len().min(first.len()),
        });
    }
    // `low` fits (its file kept), `high` does not.
    let (mut low, mut best, mut high) = (BUDGET_FLOOR_QUALITY, floor, start);
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        let file = encode(mid)?;
        if file.len() <= budget {
            low = mid;
            best = file;
        } else {
            high = mid;
        }
    }
    Ok(Fit::Fits {
        bytes: best,
        quality: low,
    })
}

impl OutputRequest {
    pub fn thinking_intensity(&self) -> ThinkingIntensity {
        self.thinking_intensity
            .unwrap_or(ThinkingIntensity::Minimal)
    }

    /// Applies defaults, resolves `auto` against the prompt and computes the pixel size.
    pub fn apply(&self, prompt: &str) -> OutputApplied {
        let aspect_ratio = self
            .aspect_ratio
            .unwrap_or(AspectRatio::Auto)
            .resolve(prompt);
        let resolution = self.resolution.unwrap_or(Resolution::R1K);
        let (width, height) = pixel_size(aspect_ratio, resolution);
        let format = self.format.unwrap_or(ImageFormat::Png);
        OutputApplied {
            aspect_ratio,
            resolution,
            width,
            height,
            format,
            quality: self.quality.or(format.default_quality()),
            bytes: None,
        }
    }

    /// How `applied` (this request's [`OutputRequest::apply`]) is encoded.
    pub fn encoding(&self, applied: &OutputApplied) -> Encoding {
        Encoding {
            format: applied.format,
            quality: applied.quality,
            max_bytes: self.max_bytes,
        }
    }
}

/// Pixel size for a concrete ratio: area about `N × N`, both sides whole multiples of 16.
///
/// The shorter side is the multiple of 16 nearest to `N·√(short/long)`; the longer side is the
/// multiple of 16 nearest to `short · long/short`, so the ratio error comes from one rounding
/// only (4:5 at 1K → 912 × 1136, as in the contract's example).
pub fn pixel_size(ratio: AspectRatio, resolution: Resolution) -> (u32, u32) {
    let (w, h) = ratio.parts().unwrap_or((1, 1));
    let (short_part, long_part) = (w.min(h) as f64, w.max(h) as f64);
    let n = resolution.side() as f64;
    let short = round_to_16(n * (short_part / long_part).sqrt());
    let long = round_to_16(short as f64 * long_part / short_part);
    if w <= h { (short, long) } else { (long, short) }
}

fn round_to_16(x: f64) -> u32 {
    ((x / 16.0).round() as u32).max(1) * 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_example_4_5_at_1k() {
        assert_eq!(pixel_size(AspectRatio::R4x5, Resolution::R1K), (912, 1136));
    }

    #[test]
    fn every_ratio_and_resolution_is_a_multiple_of_16_near_the_area_and_ratio() {
        for &ratio in AspectRatio::ALL.iter().filter(|r| **r != AspectRatio::Auto) {
            let (rw, rh) = ratio.parts().expect("concrete ratio");
            for &res in Resolution::ALL {
                let (w, h) = pixel_size(ratio, res);
                assert_eq!(w % 16, 0, "{ratio:?} {res:?}");
                assert_eq!(h % 16, 0, "{ratio:?} {res:?}");
                let area = (w * h) as f64;
                let target = (res.side() * res.side()) as f64;
                assert!(
                    (area / target - 1.0).abs() < 0.1,
                    "{ratio:?} {res:?} area {w}x{h}"
                );
                let ratio_err = (w as f64 / h as f64) / (rw as f64 / rh as f64) - 1.0;
                assert!(ratio_err.abs() < 0.1, "{ratio:?} {res:?} {w}x{h}");
            }
        }
    }

    #[test]
    fn known_sizes() {
        assert_eq!(pixel_size(AspectRatio::R1x1, Resolution::R1K), (1024, 1024));
        assert_eq!(pixel_size(AspectRatio::R1x1, Resolution::R4K), (4096, 4096));
        assert_eq!(pixel_size(AspectRatio::R16x9, Resolution::R1K), (1360, 768));
        assert_eq!(pixel_size(AspectRatio::R9x16, Resolution::R1K), (768, 1360));
        assert_eq!(pixel_size(AspectRatio::R8x1, Resolution::R512), (1408, 176));
        assert_eq!(pixel_size(AspectRatio::R5x4, Resolution::R1K), (1136, 912));
    }

    #[test]
    fn auto_resolves_from_whole_words_in_rule_order() {
        let r = |p: &str| AspectRatio::Auto.resolve(p);
        assert_eq!(r("An Instagram STORY for shoes"), AspectRatio::R9x16);
        assert_eq!(r("vertical layout"), AspectRatio::R9x16);
        assert_eq!(r("web banner, bold"), AspectRatio::R16x9);
        assert_eq!(r("landscape shot"), AspectRatio::R16x9);
        assert_eq!(r("concert poster"), AspectRatio::R3x4);
        assert_eq!(r("banner story"), AspectRatio::R9x16);
        assert_eq!(r("storyboard bannerman posters"), AspectRatio::R1x1);
        assert_eq!(r("a cup of coffee"), AspectRatio::R1x1);
        assert_eq!(AspectRatio::R4x3.resolve("story"), AspectRatio::R4x3);
    }

    #[test]
    fn apply_uses_defaults() {
        let applied = OutputRequest::default().apply("summer poster");
        assert_eq!(
            applied,
            OutputApplied {
                aspect_ratio: AspectRatio::R3x4,
                resolution: Resolution::R1K,
                width: 880,
                height: 1168,
                format: ImageFormat::Png,
                quality: None,
                bytes: None,
            }
        );
        let jpeg = OutputRequest {
            format: Some(ImageFormat::Jpeg),
            ..OutputRequest::default()
        };
        assert_eq!(jpeg.apply("p").quality, Some(90));
        let webp = OutputRequest {
            format: Some(ImageFormat::Webp),
            quality: Some(100),
            max_bytes: Some(150_000),
            ..OutputRequest::default()
        };
        let applied = webp.apply("p");
        assert_eq!(applied.quality, Some(100));
        assert_eq!(
            webp.encoding(&applied),
            Encoding {
                format: ImageFormat::Webp,
                quality: Some(100),
                max_bytes: Some(150_000)
            }
        );
    }

    /// A stand-in encoder: the file is `quality × 1000` bytes; records what it was asked.
    fn sized(tried: &mut Vec<u8>) -> impl FnMut(u8) -> Result<Vec<u8>, ()> + '_ {
        |q| {
            tried.push(q);
            Ok(vec![0; usize::from(q) * 1000])
        }
    }

    #[test]
    fn a_budget_keeps_the_start_quality_when_it_fits() {
        let mut tried = Vec::new();
        let fit = fit_budget(90, 95_000, sized(&mut tried)).expect("encodes");
        assert_eq!(
            fit,
            Fit::Fits {
                bytes: vec![0; 90_000],
                quality: 90
            }
        );
        assert_eq!(tried, [90]);
    }

    #[test]
    fn a_budget_finds_the_highest_quality_that_fits() {
        for budget in [40_000, 40_999, 41_000, 63_500, 89_000, 89_999] {
            let mut tried = Vec::new();
            let fit = fit_budget(90, budget, sized(&mut tried)).expect("encodes");
            let want = (budget / 1000) as u8;
            assert_eq!(
                fit,
                Fit::Fits {
                    bytes: vec![0; usize::from(want) * 1000],
                    quality: want
                },
                "budget {budget}"
            );
            assert!(tried.len() <= 8, "{tried:?}");
            assert!(tried.iter().all(|q| (40..=90).contains(q)), "{tried:?}");
        }
    }

    #[test]
    fn a_budget_below_the_floor_is_unmet() {
        let mut tried = Vec::new();
        let fit = fit_budget(90, 39_999, sized(&mut tried)).expect("encodes");
        assert_eq!(fit, Fit::Unmet { smallest: 40_000 });
        assert_eq!(tried, [90, 40]);
        // A start already at or under the floor is never lowered.
        let mut tried = Vec::new();
        let fit = fit_budget(30, 29_000, sized(&mut tried)).expect("encodes");
        assert_eq!(fit, Fit::Unmet { smallest: 30_000 });
        assert_eq!(tried, [30]);
    }

    #[test]
    fn a_budget_never_returns_an_unmeasured_file() {
        // Sizes that do not grow with quality: whatever comes back was measured to fit.
        let odd = |q: u8| Ok::<_, ()>(vec![0; if q.is_multiple_of(2) { 50_000 } else { 70_000 }]);
        match fit_budget(99, 60_000, odd).expect("encodes") {
            Fit::Fits { bytes, .. } => assert!(bytes.len() <= 60_000),
            Fit::Unmet { .. } => panic!("the floor fits"),
        }
    }

    #[test]
    fn encoder_errors_pass_through() {
        assert_eq!(
            fit_budget(90, 50_000, |_| Err::<Vec<u8>, _>("broken")),
            Err("broken")
        );
    }
}
