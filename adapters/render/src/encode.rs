//! Encoding the finished image. Every encoder here is single-threaded and has no time or
//! random input, so the same pixels always give the same bytes.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use std::ops::Deref;

use image::{ExtendedColorType, ImageBuffer, ImageEncoder, Rgba};

use super::RenderError;
use super::resize::contain;
use adgen::contract::output::ImageFormat;

/// JPEG quality for outputs and provider copies: visually clean for photos and type, and
/// about a third of q100's size.
const JPEG_QUALITY: u8 = 90;

/// Encodes `img` as `format`.
///
/// - PNG: deflate level 2 with adaptive filters, RGB when every pixel is opaque (as rendered
///   ads always are). Measured on a 4096² photo collage: level 2 is 258 ms / 6.0 MiB, the
///   fastest setting 105 ms / 7.8 MiB, the default 1.5 s / 5.4 MiB.
/// - JPEG: quality 90; transparent pixels are flattened onto white first (JPEG has no alpha).
/// - WebP: lossless (VP8L), the only WebP encoder in `image`; lossy WebP would need libwebp
///   through the `webp` crate, deliberately not a dependency.
pub fn encode<C: Deref<Target = [u8]>>(
    img: &ImageBuffer<Rgba<u8>, C>,
    format: ImageFormat,
) -> Result<Vec<u8>, RenderError> {
    let (w, h) = img.dimensions();
    let mut out = Vec::new();
    let written = match format {
        ImageFormat::Png => {
            let encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Level(2),
                FilterType::Adaptive,
            );
            write_opaque_as_rgb(encoder, img)
        }
        ImageFormat::Jpeg => JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
            &flatten_on_white(img),
            w,
            h,
            ExtendedColorType::Rgb8,
        ),
        ImageFormat::Webp => write_opaque_as_rgb(WebPEncoder::new_lossless(&mut out), img),
    };
    written.map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}

/// A copy for an image provider's request: long side at most `max_side` (never enlarged),
/// JPEG quality 90, which keeps six references well inside the providers' request limits.
pub fn downscale_for_provider<C: Deref<Target = [u8]>>(
    img: &ImageBuffer<Rgba<u8>, C>,
    max_side: u32,
) -> Result<Vec<u8>, RenderError> {
    let (w, h) = img.dimensions();
    if w.max(h) <= max_side {
        return encode(img, ImageFormat::Jpeg);
    }
    encode(&contain(img, max_side, max_side), ImageFormat::Jpeg)
}

fn write_opaque_as_rgb<C: Deref<Target = [u8]>>(
    encoder: impl ImageEncoder,
    img: &ImageBuffer<Rgba<u8>, C>,
) -> image::ImageResult<()> {
    let (w, h) = img.dimensions();
    let raw = img.as_raw();
    if raw.chunks_exact(4).all(|p| p[3] == u8::MAX) {
        // A quarter fewer bytes to filter and compress, and a smaller file.
        encoder.write_image(&strip_alpha(raw), w, h, ExtendedColorType::Rgb8)
    } else {
        encoder.write_image(raw, w, h, ExtendedColorType::Rgba8)
    }
}

fn strip_alpha(raw: &[u8]) -> Vec<u8> {
    raw.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

fn flatten_on_white<C: Deref<Target = [u8]>>(img: &ImageBuffer<Rgba<u8>, C>) -> Vec<u8> {
    img.as_raw()
        .chunks_exact(4)
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
        let webp = encode(&translucent, ImageFormat::Webp).expect("encodes");
        let back = decode(&webp, DecodeLimits::default()).expect("decodes");
        assert_eq!(back.image, translucent);
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
