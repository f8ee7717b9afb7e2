//! Decoding references and logos under limits.
//!
//! The header is read first and judged before any pixel buffer exists: dimensions, pixel count
//! and the memory the decode and our conversions will need. A decompression bomb (a few KB of
//! PNG claiming a huge canvas) is therefore refused without allocating its pixels.
//!
//! Reduced-scale decoding: a JPEG at least twice the target on both sides is decoded at 1/2,
//! 1/4 or 1/8 straight from its DCT coefficients (libjpeg-turbo's scaling through `mozjpeg`,
//! as libvips' shrink-on-load does; `image` 0.25's decoder, `zune-jpeg`, has no scaling, and
//! `jpeg-decoder`'s scalar Huffman decoding took 1.1x libvips' time), so no full-size buffer
//! ever exists, then brought to the exact target with Lanczos3. Anything else (PNG, WebP, a
//! JPEG close to the target, a CMYK or YCCK JPEG) is decoded at full size in its own channels
//! (RGB for JPEG) and shrunk right away; RGBA only ever exists at the reduced size, and the
//! full-size buffer lives for one decode, never alongside the other references.

use std::io::Cursor;

use fast_image_resize::PixelType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, RgbaImage};

use super::RenderError;
use super::resize::{lanczos, resample};
use adgen::contract::reference::{ImageKind, MAX_PIXELS, MAX_SIDE};
use adgen::ports::ReferenceFit;

/// What a decode may cost. The defaults follow the contract's reference rules (12000 px a
/// side, 40 megapixels) and bound the memory of one decode at 512 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
    /// Bytes for the decoder's buffer plus our conversions of it, together.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_width: MAX_SIDE as u32,
            max_height: MAX_SIDE as u32,
            max_pixels: MAX_PIXELS,
            max_alloc: 512 * 1024 * 1024,
        }
    }
}

/// A decoded image, upright (EXIF orientation applied).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub image: RgbaImage,
    pub kind: ImageKind,
    /// The upright size of the source, before any reduction.
    pub source_width: u32,
    pub source_height: u32,
}

/// Decodes at full size.
pub fn decode(bytes: &[u8], limits: DecodeLimits) -> Result<Decoded, RenderError> {
    decode_inner(bytes, limits, None)
}

/// Decodes and shrinks to the smallest size that still covers `width`×`height` (the largest
/// box the image will be cropped into), keeping the aspect ratio; never enlarges.
pub fn decode_scaled(
    bytes: &[u8],
    limits: DecodeLimits,
    width: u32,
    height: u32,
) -> Result<Decoded, RenderError> {
    decode_fit(bytes, limits, ReferenceFit::Cover { width, height })
}

/// Decodes and shrinks to `fit` (see [`ReferenceFit`]), keeping the aspect ratio; never
/// enlarges.
pub fn decode_fit(
    bytes: &[u8],
    limits: DecodeLimits,
    fit: ReferenceFit,
) -> Result<Decoded, RenderError> {
    decode_inner(bytes, limits, Some(fit))
}

fn decode_inner(
    bytes: &[u8],
    limits: DecodeLimits,
    fit: Option<ReferenceFit>,
) -> Result<Decoded, RenderError> {
    let kind = ImageKind::sniff(bytes).ok_or(RenderError::Unsupported)?;
    let format = match kind {
        ImageKind::Png => image::ImageFormat::Png,
        ImageKind::Jpeg => image::ImageFormat::Jpeg,
        ImageKind::Webp => image::ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(image_limits(limits));
    let mut decoder = reader.into_decoder().map_err(map_error)?;

    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(RenderError::Invalid("the image has no pixels".into()));
    }
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_width || height > limits.max_height || pixels > limits.max_pixels {
        return Err(RenderError::LimitsExceeded);
    }
    // A damaged EXIF block should not cost the reference: it is then used as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let swaps_sides = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    // The target in the source's own (not yet rotated) frame.
    let target = match fit {
        Some(ReferenceFit::Cover {
            width: w,
            height: h,
        }) => {
            let (w, h) = (w.max(1), h.max(1));
            cover_size((width, height), if swaps_sides { (h, w) } else { (w, h) })
        }
        Some(ReferenceFit::Within { side }) => within_size((width, height), side.max(1)),
        None => (width, height),
    };

    // The decoder's buffer, a same-size conversion to 8-bit RGB(A) when the source is stored
    // otherwise, and the RGBA result: all three may be alive at once.
    let native = decoder.total_bytes();
    let conversion = if is_rgb8_or_rgba8(decoder.color_type()) {
        0
    } else {
        pixels * 4
    };
    let result = u64::from(target.0) * u64::from(target.1) * 4;
    if native.saturating_add(conversion).saturating_add(result) > limits.max_alloc {
        return Err(RenderError::LimitsExceeded);
    }

    let dct = match kind {
        ImageKind::Jpeg => dct_scaled_size((width, height), target),
        _ => None,
    };
    let decoded = match dct {
        Some(size) => {
            drop(decoder);
            match decode_jpeg_scaled(bytes, size, limits)? {
                Some(decoded) => decoded,
                None => full_decode(bytes, format, limits)?,
            }
        }
        None => DynamicImage::from_decoder(decoder).map_err(map_error)?,
    };
    let mut image = DynamicImage::ImageRgba8(shrink_to_rgba(decoded, target));
    image.apply_orientation(orientation);
    let (source_width, source_height) = if swaps_sides {
        (height, width)
    } else {
        (width, height)
    };
    Ok(Decoded {
        image: image.into_rgba8(),
        kind,
        source_width,
        source_height,
    })
}

/// The size a JPEG of `src` decodes to at the smallest DCT scale (1/8, 1/4, 1/2) that still
/// covers `target` on both sides; none when only full size does.
fn dct_scaled_size(src: (u32, u32), target: (u32, u32)) -> Option<(u32, u32)> {
    [8, 4, 2].into_iter().find_map(|d| {
        let size = (src.0.div_ceil(d), src.1.div_ceil(d));
        (size.0 >= target.0 && size.1 >= target.1).then_some(size)
    })
}

/// A JPEG decoded at the DCT scale that gives `size`, as 8-bit grey or RGB, by libjpeg-turbo
/// (through `mozjpeg`: SIMD Huffman decoding and IDCT, the decoder libvips' shrink-on-load
/// runs); none for what this path does not handle (CMYK, YCCK), which the caller decodes at
/// full size instead.
fn decode_jpeg_scaled(
    bytes: &[u8],
    size: (u32, u32),
    limits: DecodeLimits,
) -> Result<Option<DynamicImage>, RenderError> {
    // libjpeg reports errors by unwinding out of its error handler (the crate's design);
    // nothing outlives the closure, so a caught unwind leaves nothing half-built.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut decompress = mozjpeg::Decompress::new_mem(bytes)?;
        let width = decompress.width();
        let grey = match decompress.color_space() {
            mozjpeg::ColorSpace::JCS_GRAYSCALE => true,
            mozjpeg::ColorSpace::JCS_YCbCr | mozjpeg::ColorSpace::JCS_RGB => false,
            _ => return Ok(None),
        };
        // 1/8, 1/4 or 1/2: the numerator over 8 that gives `size`.
        let numerator = [1u8, 2, 4]
            .into_iter()
            .find(|n| width.div_ceil(8 / usize::from(*n)) == size.0 as usize)
            .unwrap_or(8);
        decompress.scale(numerator);
        let mut started = if grey {
            decompress.grayscale()?
        } else {
            decompress.rgb()?
        };
        let (w, h) = (started.width(), started.height());
        let channels = if grey { 1 } else { 3 };
        if (w * h * channels) as u64 > limits.max_alloc {
            return Err(std::io::Error::other(
                "the scaled image is over the memory limit",
            ));
        }
        let pixels: Vec<u8> = started.read_scanlines()?;
        started.finish()?;
        Ok(Some((w as u32, h as u32, grey, pixels)))
    }))
    .map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "the JPEG could not be decoded".to_owned());
        RenderError::Invalid(why)
    })?
    .map_err(|e| RenderError::Invalid(format!("jpeg: {e}")))?;
    let Some((w, h, grey, pixels)) = decoded else {
        return Ok(None);
    };
    let image = if grey {
        image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    };
    image
        .map(Some)
        .ok_or_else(|| RenderError::Invalid("the decoded JPEG is shorter than its size".into()))
}

/// A full-size decode through `image` (the fallback of the scaled JPEG path).
fn full_decode(
    bytes: &[u8],
    format: image::ImageFormat,
    limits: DecodeLimits,
) -> Result<DynamicImage, RenderError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(image_limits(limits));
    let decoder = reader.into_decoder().map_err(map_error)?;
    DynamicImage::from_decoder(decoder).map_err(map_error)
}

fn image_limits(limits: DecodeLimits) -> Limits {
    let mut image_limits = Limits::default();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    image_limits.max_alloc = Some(limits.max_alloc);
    image_limits
}

fn is_rgb8_or_rgba8(colour: image::ColorType) -> bool {
    matches!(colour, image::ColorType::Rgb8 | image::ColorType::Rgba8)
}

/// Smallest size with the source's aspect ratio that covers `target`, capped at the source.
fn cover_size(src: (u32, u32), target: (u32, u32)) -> (u32, u32) {
    let scale = (target.0 as f64 / src.0 as f64).max(target.1 as f64 / src.1 as f64);
    if scale >= 1.0 {
        return src;
    }
    let w = ((src.0 as f64 * scale).ceil() as u32).clamp(target.0.min(src.0), src.0);
    let h = ((src.1 as f64 * scale).ceil() as u32).clamp(target.1.min(src.1), src.1);
    (w, h)
}

/// Largest size with the source's aspect ratio whose longer side is at most `side`, capped at
/// the source (either frame: a rotation swaps the sides, not the longer one's length).
fn within_size(src: (u32, u32), side: u32) -> (u32, u32) {
    let long = src.0.max(src.1);
    if long <= side {
        return src;
    }
    let scale = side as f64 / long as f64;
    let w = ((src.0 as f64 * scale).round() as u32).clamp(1, side);
    let h = ((src.1 as f64 * scale).round() as u32).clamp(1, side);
    (w, h)
}

/// Shrinks in the fewest channels that keep the content (3 without alpha), then widens.
fn shrink_to_rgba(image: DynamicImage, (w, h): (u32, u32)) -> RgbaImage {
    let same_size = image.width() == w && image.height() == h;
    if image.color().has_alpha() {
        let rgba = image.into_rgba8();
        if same_size {
            return rgba;
        }
        let pixels = resample(
            rgba.as_raw(),
            rgba.dimensions(),
            PixelType::U8x4,
            (w, h),
            &lanczos(),
        );
        return RgbaImage::from_raw(w, h, pixels).expect("resampled buffer matches its size");
    }
    let rgb = image.into_rgb8();
    if same_size {
        return DynamicImage::ImageRgb8(rgb).into_rgba8();
    }
    let pixels = resample(
        rgb.as_raw(),
        rgb.dimensions(),
        PixelType::U8x3,
        (w, h),
        &lanczos(),
    );
    let rgb = image::RgbImage::from_raw(w, h, pixels).expect("resampled buffer matches its size");
    DynamicImage::ImageRgb8(rgb).into_rgba8()
}

fn map_error(error: ImageError) -> RenderError {
    match error {
        ImageError::Limits(_) => RenderError::LimitsExceeded,
        ImageError::Unsupported(_) => RenderError::Unsupported,
        other => RenderError::Invalid(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use image::{ImageEncoder, Rgba};

    use super::*;
    use crate::alloc_probe::largest_allocation;
    use crate::encode;
    use adgen::contract::output::ImageFormat;

    fn gradient(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| Rgba([(x * 4) as u8, (y * 4) as u8, 128, 255]))
    }

    #[test]
    fn decodes_png_jpeg_and_webp_from_the_image_encoders() {
        let original = gradient(64, 48);
        for (format, kind) in [
            (ImageFormat::Png, ImageKind::Png),
            (ImageFormat::Jpeg, ImageKind::Jpeg),
            (ImageFormat::Webp, ImageKind::Webp),
        ] {
            let bytes = encode(&original, format).expect("encodes");
            let decoded = decode(&bytes, DecodeLimits::default()).expect("decodes");
            assert_eq!(decoded.kind, kind);
            assert_eq!(decoded.image.dimensions(), (64, 48), "{format:?}");
            assert_eq!((decoded.source_width, decoded.source_height), (64, 48));
            let worst = decoded
                .image
                .as_raw()
                .iter()
                .zip(original.as_raw())
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(0);
            // PNG comes back exactly; JPEG q90 and lossy WebP q85 within a few levels.
            let tolerance = if format == ImageFormat::Png { 0 } else { 12 };
            assert!(worst <= tolerance, "{format:?} differs by {worst}");
        }
    }

    #[test]
    fn scaled_decode_covers_the_target_without_enlarging() {
        let bytes = encode(&gradient(400, 300), ImageFormat::Jpeg).expect("encodes");
        let decoded = decode_scaled(&bytes, DecodeLimits::default(), 100, 100).expect("decodes");
        assert_eq!(decoded.image.dimensions(), (134, 100));
        assert_eq!((decoded.source_width, decoded.source_height), (400, 300));
        let decoded = decode_scaled(&bytes, DecodeLimits::default(), 800, 50).expect("decodes");
        assert_eq!(decoded.image.dimensions(), (400, 300), "never enlarged");
        let png = encode(&gradient(60, 90), ImageFormat::Png).expect("encodes");
        let decoded = decode_scaled(&png, DecodeLimits::default(), 30, 30).expect("decodes");
        assert_eq!(decoded.image.dimensions(), (30, 45));
    }

    #[test]
    fn the_dct_scale_is_the_smallest_that_still_covers_both_sides() {
        assert_eq!(dct_scaled_size((4000, 3000), (500, 375)), Some((500, 375)));
        assert_eq!(dct_scaled_size((4000, 3000), (501, 375)), Some((1000, 750)));
        assert_eq!(
            dct_scaled_size((4001, 3000), (1900, 1500)),
            Some((2001, 1500))
        );
        assert_eq!(dct_scaled_size((4000, 3000), (2001, 10)), None);
    }

    /// A photo-like JPEG: smooth gradients with some texture.
    fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, y| {
            let t = ((x / 3 + y / 5) % 7) as u8;
            Rgba([
                (x * 255 / w) as u8 ^ t,
                (y * 255 / h) as u8,
                128 + t * 8,
                255,
            ])
        });
        encode(&img, ImageFormat::Jpeg).expect("encodes")
    }

    #[test]
    fn a_large_jpeg_decodes_from_its_coefficients_without_a_full_size_buffer() {
        let (w, h) = (2400, 1600);
        let bytes = photo_jpeg(w, h);
        let (scaled, largest) =
            largest_allocation(|| decode_scaled(&bytes, DecodeLimits::default(), 280, 180));
        let scaled = scaled.expect("decodes");
        assert_eq!(scaled.image.dimensions(), (280, 187));
        assert_eq!((scaled.source_width, scaled.source_height), (w, h));
        let full_rgb = (w * h * 3) as usize;
        assert!(
            largest < full_rgb / 8,
            "allocated {largest} bytes at once; the full-size RGB would be {full_rgb}"
        );
        // The same picture as a full decode shrunk with Lanczos3, to within JPEG's own error.
        let full = decode(&bytes, DecodeLimits::default()).expect("decodes");
        let reference = crate::resize::cover(&full.image, 280, 187);
        let diff: u64 = scaled
            .image
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = diff as f64 / scaled.image.as_raw().len() as f64;
        assert!(mean < 4.0, "mean difference {mean:.2} levels");
    }

    #[test]
    fn a_cmyk_jpeg_falls_back_to_the_full_decode() {
        let (w, h) = (800u16, 600u16);
        let cmyk: Vec<u8> = (0..u32::from(w) * u32::from(h))
            .flat_map(|i| [(i % 251) as u8, 40, 200, 10])
            .collect();
        let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_CMYK);
        compress.set_size(usize::from(w), usize::from(h));
        compress.set_quality(90.0);
        let mut started = compress.start_compress(Vec::new()).expect("starts");
        started.write_scanlines(&cmyk).expect("writes");
        let bytes = started.finish().expect("encodes");
        let decoded = decode_scaled(&bytes, DecodeLimits::default(), 100, 75).expect("decodes");
        assert_eq!(decoded.image.dimensions(), (100, 75));
    }

    #[test]
    fn a_fit_within_bounds_the_longer_side() {
        let bytes = encode(&gradient(400, 300), ImageFormat::Jpeg).expect("encodes");
        let fit = |side| {
            decode_fit(
                &bytes,
                DecodeLimits::default(),
                ReferenceFit::Within { side },
            )
        };
        assert_eq!(fit(100).expect("decodes").image.dimensions(), (100, 75));
        assert_eq!(
            fit(1000).expect("decodes").image.dimensions(),
            (400, 300),
            "never enlarged"
        );
        let tall = encode(&gradient(30, 90), ImageFormat::Png).expect("encodes");
        let decoded = decode_fit(
            &tall,
            DecodeLimits::default(),
            ReferenceFit::Within { side: 45 },
        );
        assert_eq!(decoded.expect("decodes").image.dimensions(), (15, 45));
    }

    #[test]
    fn exif_orientation_is_applied() {
        // EXIF (TIFF, little-endian): one IFD entry, Orientation (0x0112) = 6, "rotate 90° CW".
        let mut exif = b"II*\0\x08\0\0\0\x01\0".to_vec();
        exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        let img = gradient(40, 20);
        let mut bytes = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90);
        encoder.set_exif_metadata(exif).expect("JPEG takes EXIF");
        encoder
            .write_image(
                &DynamicImage::ImageRgba8(img).into_rgb8(),
                40,
                20,
                image::ExtendedColorType::Rgb8,
            )
            .expect("encodes");
        let decoded = decode(&bytes, DecodeLimits::default()).expect("decodes");
        assert_eq!(decoded.image.dimensions(), (20, 40));
        assert_eq!((decoded.source_width, decoded.source_height), (20, 40));
        let scaled = decode_scaled(&bytes, DecodeLimits::default(), 10, 10).expect("decodes");
        assert_eq!(scaled.image.dimensions(), (10, 20));
    }

    #[test]
    fn a_header_claiming_100000_square_is_refused_before_allocating() {
        let bomb = zero_png(100_000, 100_000, 0);
        assert!(bomb.len() < 100, "a tiny file");
        let started = Instant::now();
        let (result, largest) = largest_allocation(|| decode(&bomb, DecodeLimits::default()));
        assert_eq!(result.expect_err("refused"), RenderError::LimitsExceeded);
        assert!(largest < 1 << 20, "allocated {largest} bytes at once");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn an_11000_square_zero_png_is_refused_by_pixel_count_or_memory() {
        let rows = 11_000 * (11_000 + 1);
        let bomb = zero_png(11_000, 11_000, rows);
        assert!(
            bomb.len() < 1 << 20,
            "about {} KB of file",
            bomb.len() / 1024
        );
        let started = Instant::now();

        // Defaults: 121 megapixels is over the 40-megapixel rule.
        let (result, largest) = largest_allocation(|| decode(&bomb, DecodeLimits::default()));
        assert_eq!(result.expect_err("refused"), RenderError::LimitsExceeded);
        assert!(largest < 4 << 20, "allocated {largest} bytes at once");

        // With the pixel rule lifted, the memory budget refuses it: 121 MB of grey plus the
        // RGBA conversion is far over 64 MiB.
        let limits = DecodeLimits {
            max_pixels: u64::MAX,
            max_alloc: 64 << 20,
            ..DecodeLimits::default()
        };
        let (result, largest) = largest_allocation(|| decode_scaled(&bomb, limits, 512, 512));
        assert_eq!(result.expect_err("refused"), RenderError::LimitsExceeded);
        assert!(largest < 4 << 20, "allocated {largest} bytes at once");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn the_bomb_generator_makes_real_pngs() {
        let small = zero_png(50, 40, 40 * 51);
        let decoded = decode(&small, DecodeLimits::default()).expect("a valid PNG");
        assert_eq!(decoded.image.dimensions(), (50, 40));
        assert!(decoded.image.pixels().all(|p| p.0 == [0, 0, 0, 255]));
    }

    #[test]
    fn garbage_is_invalid_or_unsupported() {
        assert_eq!(
            decode(b"GIF89a....", DecodeLimits::default()).expect_err("not ours"),
            RenderError::Unsupported
        );
        let mut truncated = encode(&gradient(32, 32), ImageFormat::Png).expect("encodes");
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(
            decode(&truncated, DecodeLimits::default()),
            Err(RenderError::Invalid(_))
        ));
        let mut jpeg = encode(&gradient(32, 32), ImageFormat::Jpeg).expect("encodes");
        jpeg.truncate(20);
        assert!(matches!(
            decode(&jpeg, DecodeLimits::default()),
            Err(RenderError::Invalid(_))
        ));
        assert!(matches!(
            decode(b"RIFF\0\0\0\0WEBPVP8 garbage", DecodeLimits::default()),
            Err(RenderError::Invalid(_))
        ));
    }

    #[test]
    fn dimension_limits_are_configurable() {
        let bytes = encode(&gradient(64, 48), ImageFormat::Png).expect("encodes");
        let narrow = DecodeLimits {
            max_width: 63,
            ..DecodeLimits::default()
        };
        assert_eq!(
            decode(&bytes, narrow).expect_err("too wide"),
            RenderError::LimitsExceeded
        );
    }

    /// An 8-bit greyscale PNG of `width`×`height` whose IDAT inflates to `zeros` zero bytes
    /// (every row filter 0, every pixel black), written with deflate's fixed Huffman codes as
    /// one literal then back-references: ~13 bits per 258 bytes, a real decompression bomb.
    fn zero_png(width: u32, height: u32, zeros: u64) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        png_chunk(&mut out, b"IHDR", &ihdr);
        png_chunk(&mut out, b"IDAT", &zlib_zeros(zeros));
        png_chunk(&mut out, b"IEND", &[]);
        out
    }

    fn zlib_zeros(zeros: u64) -> Vec<u8> {
        let mut bits = BitWriter::default();
        bits.put(1, 1); // final block
        bits.put(1, 2); // fixed Huffman (BTYPE 01, least significant bit first)
        let mut left = zeros;
        if left > 0 {
            bits.code(0b0011_0000, 8); // literal 0
            left -= 1;
        }
        while left >= 258 {
            bits.code(0b1100_0101, 8); // length code 285: 258 bytes
            bits.code(0, 5); // distance code 0: 1 byte back
            left -= 258;
        }
        for _ in 0..left {
            bits.code(0b0011_0000, 8);
        }
        bits.code(0, 7); // end of block
        let mut out = vec![0x78, 0x01];
        out.extend(bits.finish());
        // Adler-32 of n zero bytes: a stays 1, b grows by 1 per byte.
        let b = (zeros % 65_521) as u32;
        out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
        out
    }

    #[derive(Default)]
    struct BitWriter {
        bytes: Vec<u8>,
        acc: u32,
        n: u32,
    }

    impl BitWriter {
        /// Plain fields: least significant bit first.
        fn put(&mut self, value: u32, len: u32) {
            self.acc |= value << self.n;
            self.n += len;
            while self.n >= 8 {
                self.bytes.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }

        /// Huffman codes: most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            for i in (0..len).rev() {
                self.put((code >> i) & 1, 1);
            }
        }

        fn finish(mut self) -> Vec<u8> {
            if self.n > 0 {
                self.bytes.push(self.acc as u8);
            }
            self.bytes
        }
    }

    fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = !0u32;
        for &byte in &out[start..] {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        out.extend_from_slice(&(!crc).to_be_bytes());
    }
}
