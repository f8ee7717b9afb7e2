//! Decoding references and logos under limits.
//!
//! The header is read first and judged before any pixel buffer exists: dimensions, pixel count
//! and the memory the decode and our conversions will need. A decompression bomb (a few KB of
//! PNG claiming a huge canvas) is therefore refused without allocating its pixels.
//!
//! Reduced-scale decoding: neither `image` 0.25 nor `zune-jpeg` 0.5 offers JPEG DCT scaling
//! (decoding at 1/2, 1/4, 1/8 straight from the coefficients), so [`decode_scaled`] decodes at
//! full size in the source's own channels (RGB for JPEG), shrinks with Lanczos3 right away and
//! widens to RGBA only at the reduced size. The full-size buffer lives for one decode, never
//! alongside the other references.

use std::io::Cursor;

use fast_image_resize::PixelType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, RgbaImage};

use super::RenderError;
use super::resize::{lanczos, resample};
use adgen::contract::reference::{ImageKind, MAX_PIXELS, MAX_SIDE};

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
    decode_inner(bytes, limits, Some((width.max(1), height.max(1))))
}

fn decode_inner(
    bytes: &[u8],
    limits: DecodeLimits,
    cover: Option<(u32, u32)>,
) -> Result<Decoded, RenderError> {
    let kind = ImageKind::sniff(bytes).ok_or(RenderError::Unsupported)?;
    let format = match kind {
        ImageKind::Png => image::ImageFormat::Png,
        ImageKind::Jpeg => image::ImageFormat::Jpeg,
        ImageKind::Webp => image::ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = Limits::default();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    image_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(image_limits);
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
    let target = match cover {
        Some((w, h)) if swaps_sides => cover_size((width, height), (h, w)),
        Some(box_size) => cover_size((width, height), box_size),
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

    let decoded = DynamicImage::from_decoder(decoder).map_err(map_error)?;
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
