//! Encoding the finished image. Every encoder here is single-threaded and has no time or
//! random input, so the same pixels always give the same bytes.
//!
//! - PNG: deflate level 2 with adaptive filters, RGB when every pixel is opaque (as rendered
//!   ads always are). Measured on a 4096² photo collage: level 2 is 258 ms / 6.0 MiB, the
//!   fastest setting 105 ms / 7.8 MiB, the default 1.5 s / 5.4 MiB.
//! - JPEG: libjpeg-turbo's baseline encoder (through `mozjpeg` with its fastest profile: SIMD
//!   colour conversion, DCT and Huffman coding; `jpeg-encoder`, pure Rust, took 3x as long at
//!   4K) at the requested quality (default 90), chroma at full resolution from quality 90 up
//!   (coloured type keeps its edges) and halved both ways below (4:2:0, a third smaller), as
//!   libvips chooses; transparent pixels are flattened onto white first (JPEG has no alpha).
//! - WebP: lossy (VP8) below quality 100 through libwebp (the `webp` crate), where photo ads
//!   come out a fraction of their PNG size; lossless (VP8L, `image`'s own encoder) at 100.
//!   libwebp keeps the alpha channel in both.
//!
//! A byte budget (`output.max_bytes`) re-encodes at lower qualities by the domain's rule
//! ([`fit_budget`]); the pixels are prepared once (alpha dropped or flattened) for all tries.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use std::ops::Deref;

use image::{ExtendedColorType, ImageBuffer, ImageEncoder, Rgba};

use super::RenderError;
use super::resize::contain;
use adgen::contract::output::{Encoding, Fit, ImageFormat, fit_budget};

/// JPEG quality for provider copies: visually clean for photos and type, and about a third of
/// q100's size.
const PROVIDER_JPEG_QUALITY: u8 = 90;

/// An encoded image and the quality it was encoded at (JPEG and WebP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedImage {
    pub bytes: Vec<u8>,
    pub quality: Option<u8>,
}

/// Encodes `img` as `format` at the format's default quality.
pub fn encode<C: Deref<Target = [u8]>>(
    img: &ImageBuffer<Rgba<u8>, C>,
    format: ImageFormat,
) -> Result<Vec<u8>, RenderError> {
    encode_as(
        img,
        Encoding {
            format,
            quality: format.default_quality(),
            max_bytes: None,
        },
    )
    .map(|e| e.bytes)
}

/// Encodes `img` as `encoding` says: its format at its quality (the format's default when
/// none), lowered as far as the floor quality to fit its byte budget. Over budget even there:
/// [`RenderError::BudgetUnmet`].
pub fn encode_as<C: Deref<Target = [u8]>>(
    img: &ImageBuffer<Rgba<u8>, C>,
    encoding: Encoding,
) -> Result<EncodedImage, RenderError> {
    let (w, h) = img.dimensions();
    let format = encoding.format;
    let Some(start) = encoding.quality.or(format.default_quality()) else {
        return Ok(EncodedImage {
            bytes: encode_png(img)?,
            quality: None,
        });
    };
    let samples = Samples::of(img, format);
    let at = |quality: u8| samples.encode(format, quality, w, h);
    let Some(max_bytes) = encoding.max_bytes else {
        return Ok(EncodedImage {
            bytes: at(start)?,
            quality: Some(start),
        });
    };
    match fit_budget(start, max_bytes, at)? {
        Fit::Fits { bytes, quality } => Ok(EncodedImage {
            bytes,
            quality: Some(quality),
        }),
        Fit::Unmet { smallest } => Err(RenderError::BudgetUnmet {
            max_bytes,
            smallest,
        }),
    }
}

/// The pixels as a lossy encoder takes them, prepared once for every quality tried.
enum Samples<'a> {
    Rgb(Vec<u8>),
    Rgba(&'a [u8]),
}

impl<'a> Samples<'a> {
    fn of<C: Deref<Target = [u8]>>(img: &'a ImageBuffer<Rgba<u8>, C>, format: ImageFormat) -> Self {
        let raw: &'a [u8] = img.as_raw();
        match format {
            // libjpeg-turbo reads RGBX itself (alpha skipped in its SIMD colour conversion):
            // an opaque image needs no copy.
            ImageFormat::Jpeg if is_opaque(raw) => Samples::Rgba(raw),
            ImageFormat::Jpeg => Samples::Rgb(flatten_on_white(raw)),
            _ if is_opaque(raw) => Samples::Rgb(strip_alpha(raw)),
            _ => Samples::Rgba(raw),
        }
    }

    fn encode(
        &self,
        format: ImageFormat,
        quality: u8,
        w: u32,
        h: u32,
    ) -> Result<Vec<u8>, RenderError> {
        let (data, colour) = match self {
            Samples::Rgb(rgb) => (rgb.as_slice(), ExtendedColorType::Rgb8),
            Samples::Rgba(rgba) => (*rgba, ExtendedColorType::Rgba8),
        };
        let encode_error = |e: image::ImageError| RenderError::Encode(e.to_string());
        let mut out = Vec::new();
        match format {
            ImageFormat::Jpeg => out = jpeg(data, colour, w, h, quality)?,
            ImageFormat::Webp if quality >= 100 => WebPEncoder::new_lossless(&mut out)
                .write_image(data, w, h, colour)
                .map_err(encode_error)?,
            ImageFormat::Webp => out = lossy_webp(data, colour, w, h, quality)?,
            ImageFormat::Png => out = encode_png_raw(data, colour, w, h)?,
        }
        Ok(out)
    }
}

/// Quality from which JPEG chroma is kept at full resolution.
const FULL_CHROMA_FROM_QUALITY: u8 = 90;

/// libjpeg's limit on a side (`JPEG_MAX_DIMENSION`).
const JPEG_MAX_SIDE: u32 = 65_500;

/// Baseline JPEG of RGB or opaque RGBA `data` through libjpeg-turbo's code (mozjpeg with its
/// fastest profile: no trellis quantisation, no progressive scans, standard Huffman tables),
/// the encoder libvips' `jpegsave` runs too.
fn jpeg(
    data: &[u8],
    colour: ExtendedColorType,
    w: u32,
    h: u32,
    quality: u8,
) -> Result<Vec<u8>, RenderError> {
    if w > JPEG_MAX_SIDE || h > JPEG_MAX_SIDE {
        return Err(RenderError::Encode(format!(
            "jpeg: {w}x{h} is over {JPEG_MAX_SIDE} a side"
        )));
    }
    // libjpeg reports errors by unwinding out of its error handler (the crate's design);
    // nothing here is left half-updated when it does, the buffer is simply dropped.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut compress = mozjpeg::Compress::new(match colour {
            ExtendedColorType::Rgb8 => mozjpeg::ColorSpace::JCS_RGB,
            // Opaque by the caller's check: the fourth byte is padding to libjpeg.
            _ => mozjpeg::ColorSpace::JCS_EXT_RGBX,
        });
        compress.set_fastest_defaults();
        compress.set_size(w as usize, h as usize);
        compress.set_quality(f32::from(quality));
        let chroma = if quality >= FULL_CHROMA_FROM_QUALITY {
            (1, 1)
        } else {
            (2, 2)
        };
        compress.set_chroma_sampling_pixel_sizes(chroma, chroma);
        let mut started = compress.start_compress(Vec::new())?;
        started.write_scanlines(data)?;
        started.finish()
    }))
    .map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "libjpeg failed".to_owned());
        RenderError::Encode(format!("jpeg: {why}"))
    })?
    .map_err(|e| RenderError::Encode(format!("jpeg: {e}")))
}

/// libwebp's lossy encoder at `quality` (its default method 4 and single-threaded).
fn lossy_webp(
    data: &[u8],
    colour: ExtendedColorType,
    w: u32,
    h: u32,
    quality: u8,
) -> Result<Vec<u8>, RenderError> {
    let encoder = match colour {
        ExtendedColorType::Rgb8 => webp::Encoder::from_rgb(data, w, h),
        _ => webp::Encoder::from_rgba(data, w, h),
    };
    encoder
        .encode_simple(false, f32::from(quality))
        .map(|memory| memory.to_vec())
        .map_err(|e| RenderError::Encode(format!("webp: {e:?}")))
}

fn encode_png<C: Deref<Target = [u8]>>(
    img: &ImageBuffer<Rgba<u8>, C>,
) -> Result<Vec<u8>, RenderError> {
    let (w, h) = img.dimensions();
    let raw = img.as_raw();
    if is_opaque(raw) {
        // A quarter fewer bytes to filter and compress, and a smaller file.
        encode_png_raw(&strip_alpha(raw), ExtendedColorType::Rgb8, w, h)
    } else {
        encode_png_raw(raw, ExtendedColorType::Rgba8, w, h)
    }
}

fn encode_png_raw(
    data: &[u8],
    colour: ExtendedColorType,
    w: u32,
    h: u32,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Level(2), FilterType::Adaptive)
        .write_image(data, w, h, colour)
        .map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}

/// A copy for an image provider's request: long side at most `max_side` (never enlarged),
/// JPEG quality 90, which keeps six references well inside the providers' request limits.
pub fn downscale_for_provider<C: Deref<Target = [u8]>>(
    img: &ImageBuffer<Rgba<u8>, C>,
    max_side: u32,
) -> Result<Vec<u8>, RenderError> {
    let provider_copy = Encoding {
        format: ImageFormat::Jpeg,
        quality: Some(PROVIDER_JPEG_QUALITY),
        max_bytes: None,
    };
    let (w, h) = img.dimensions();
    let copy = if w.max(h) <= max_side {
        encode_as(img, provider_copy)
    } else {
        encode_as(&contain(img, max_side, max_side), provider_copy)
    };
    copy.map(|e| e.bytes)
}

fn is_opaque(raw: &[u8]) -> bool {
    raw.chunks_exact(4).all(|p| p[3] == u8::MAX)
}

fn strip_alpha(raw: &[u8]) -> Vec<u8> {
    raw.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

fn flatten_on_white(raw: &[u8]) -> Vec<u8> {
    raw.chunks_exact(4)
        .flat_map(|p| {
            let a = u32::from(p[3]);
            let over = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            [over(p[0]), over(p[1]), over(p[2])]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use image::RgbaImage;

    use super::*;
    use crate::{DecodeLimits, decode};

    fn sample(w: u32, h: u32, alpha: u8) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| Rgba([(x * 3) as u8, (y * 5) as u8, 90, alpha]))
    }

    #[test]
    fn every_format_round_trips_with_the_exact_size() {
        for format in ImageFormat::ALL.iter().copied() {
            for (w, h) in [(1, 1), (97, 33), (16, 240)] {
                let bytes = encode(&sample(w, h, 255), format).expect("encodes");
                let back = decode(&bytes, DecodeLimits::default()).expect("decodes");
                assert_eq!(back.image.dimensions(), (w, h), "{format:?}");
            }
        }
    }

    #[test]
    fn encoding_is_deterministic() {
        let img = sample(120, 80, 255);
        for format in ImageFormat::ALL.iter().copied() {
            let first = encode(&img, format).expect("encodes");
            assert_eq!(first, encode(&img, format).expect("encodes"), "{format:?}");
        }
    }

    #[test]
    fn opaque_png_is_rgb_and_alpha_survives_where_the_format_has_it() {
        let opaque = encode(&sample(8, 8, 255), ImageFormat::Png).expect("encodes");
        // IHDR colour type byte: 2 = RGB, 6 = RGBA.
        assert_eq!(opaque[25], 2);
        let translucent = sample(8, 8, 100);
        let png = encode(&translucent, ImageFormat::Png).expect("encodes");
        assert_eq!(png[25], 6);
        let back = decode(&png, DecodeLimits::default()).expect("decodes");
        assert_eq!(back.image, translucent);
        let lossless = encode_as(&translucent, webp_at(100, None)).expect("encodes");
        let back = decode(&lossless.bytes, DecodeLimits::default()).expect("decodes");
        assert_eq!(back.image, translucent, "webp at 100 is lossless");
        let lossy = encode_as(&translucent, webp_at(85, None)).expect("encodes");
        let back = decode(&lossy.bytes, DecodeLimits::default()).expect("decodes");
        assert!(
            back.image.pixels().all(|p| p[3].abs_diff(100) <= 2),
            "lossy webp keeps the alpha channel"
        );
    }

    fn webp_at(quality: u8, max_bytes: Option<u32>) -> Encoding {
        Encoding {
            format: ImageFormat::Webp,
            quality: Some(quality),
            max_bytes,
        }
    }

    fn jpeg_at(quality: u8, max_bytes: Option<u32>) -> Encoding {
        Encoding {
            format: ImageFormat::Jpeg,
            quality: Some(quality),
            max_bytes,
        }
    }

    /// Noise-like detail, which is what makes photos expensive to compress.
    fn busy(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            let v = x
                .wrapping_mul(2_654_435_761)
                .wrapping_add(y.wrapping_mul(40_503))
                >> 13;
            Rgba([v as u8, (v >> 8) as u8, (x ^ y) as u8, 255])
        })
    }

    #[test]
    fn quality_sets_the_size_of_lossy_files() {
        let img = busy(256, 256);
        for at in [jpeg_at as fn(u8, Option<u32>) -> Encoding, webp_at] {
            let high = encode_as(&img, at(95, None)).expect("encodes");
            let low = encode_as(&img, at(40, None)).expect("encodes");
            assert_eq!((high.quality, low.quality), (Some(95), Some(40)));
            assert!(
                low.bytes.len() * 4 < high.bytes.len() * 3,
                "{:?}: {} bytes at 40, {} at 95",
                at(0, None).format,
                low.bytes.len(),
                high.bytes.len()
            );
        }
        let lossless = encode_as(&img, webp_at(100, None)).expect("encodes");
        let lossy = encode_as(&img, webp_at(85, None)).expect("encodes");
        assert!(lossy.bytes.len() < lossless.bytes.len());
        assert_eq!(&lossy.bytes[12..16], b"VP8 ", "lossy WebP is VP8");
        assert_eq!(&lossless.bytes[12..16], b"VP8L", "WebP at 100 is VP8L");
    }

    #[test]
    fn a_byte_budget_lowers_the_quality_until_the_file_fits() {
        let img = busy(512, 512);
        for at in [jpeg_at as fn(u8, Option<u32>) -> Encoding, webp_at] {
            let full = encode_as(&img, at(90, None)).expect("encodes");
            let floor = encode_as(&img, at(40, None)).expect("encodes");
            let budget = ((full.bytes.len() + floor.bytes.len()) / 2) as u32;
            let fitted = encode_as(&img, at(90, Some(budget))).expect("fits");
            let quality = fitted.quality.expect("a quality");
            assert!((41..90).contains(&quality), "{quality}");
            assert!(fitted.bytes.len() <= budget as usize);
            assert_eq!(
                fitted.bytes,
                encode_as(&img, at(quality, None)).expect("encodes").bytes,
                "the file is the one encoded at the quality recorded"
            );
            let roomy = encode_as(&img, at(90, Some(20_000_000))).expect("fits");
            assert_eq!(roomy, full, "a budget that fits changes nothing");
            let tight = floor.bytes.len() as u32 - 1;
            assert_eq!(
                encode_as(&img, at(90, Some(tight))),
                Err(RenderError::BudgetUnmet {
                    max_bytes: tight,
                    smallest: floor.bytes.len()
                })
            );
        }
    }

    #[test]
    fn jpeg_flattens_transparency_onto_white() {
        let clear = RgbaImage::from_pixel(16, 16, Rgba([0, 0, 0, 0]));
        let bytes = encode(&clear, ImageFormat::Jpeg).expect("encodes");
        let back = decode(&bytes, DecodeLimits::default()).expect("decodes");
        assert!(
            back.image
                .pixels()
                .all(|p| p[0] > 250 && p[1] > 250 && p[2] > 250)
        );
    }

    #[test]
    fn provider_copies_are_jpeg_within_the_long_side() {
        let bytes = downscale_for_provider(&sample(300, 120, 255), 100).expect("encodes");
        let back = decode(&bytes, DecodeLimits::default()).expect("decodes");
        assert_eq!(back.kind, adgen::contract::reference::ImageKind::Jpeg);
        assert_eq!(back.image.dimensions(), (100, 40));
        let small = downscale_for_provider(&sample(30, 20, 255), 100).expect("encodes");
        let back = decode(&small, DecodeLimits::default()).expect("decodes");
        assert_eq!(back.image.dimensions(), (30, 20), "never enlarged");
    }

    #[test]
    fn jpeg_refuses_sides_over_its_limit() {
        let wide = RgbaImage::new(70_000, 1);
        assert!(matches!(
            encode(&wide, ImageFormat::Jpeg),
            Err(RenderError::Encode(_))
        ));
    }
}
