//! The domain's `ImageCodec` port over this crate's pipeline, and the conversions between the
//! domain's `Pixels` and `image`'s buffers. Both hold the same tightly packed RGBA8 bytes, so a
//! conversion moves or borrows the buffer; nothing is copied.

use adgen::contract::output::Encoding;
use adgen::pixels::{Colours, Pixels};
use adgen::ports::{Finished, ImageCodec, ImageError, PreparedLogo, ReferenceFit};
use bytes::Bytes;
use image::{ImageBuffer, Rgba, RgbaImage};

use crate::decode::{DecodeLimits, decode, decode_fit};
use crate::encode::{downscale_for_provider, encode_as};
use crate::palette::palette_from_references;
use crate::resize::cover;

/// Borrowed RGBA8 pixels (a reference as the template reads it).
pub type RgbaView<'a> = ImageBuffer<Rgba<u8>, &'a [u8]>;

/// The domain's pixels as an `image` buffer (the buffer moves).
pub fn to_image(pixels: Pixels) -> RgbaImage {
    let (width, height) = (pixels.width(), pixels.height());
    // `Pixels` guarantees width × height × 4 bytes, which is all `from_raw` checks.
    RgbaImage::from_raw(width, height, pixels.into_rgba())
        .unwrap_or_else(|| RgbaImage::new(width, height))
}

/// An `image` buffer as the domain's pixels (the buffer moves).
pub fn from_image(image: RgbaImage) -> Pixels {
    let (width, height) = image.dimensions();
    // An `RgbaImage` always holds width × height × 4 bytes, which is all `Pixels::new` checks.
    Pixels::new(width, height, image.into_raw()).unwrap_or_else(|| {
        Pixels::new(0, 0, Vec::new()).unwrap_or_else(|| unreachable!("an empty buffer is valid"))
    })
}

/// The domain's pixels, borrowed as an `image` buffer.
pub fn view(pixels: &Pixels) -> RgbaView<'_> {
    borrowed(pixels.width(), pixels.height(), pixels.as_rgba())
}

/// An `image` buffer, borrowed as a view (what the template takes).
pub fn image_view(image: &RgbaImage) -> RgbaView<'_> {
    let (width, height) = image.dimensions();
    borrowed(width, height, image.as_raw())
}

/// Both callers pass a buffer of exactly width × height × 4 bytes, which is all `from_raw`
/// checks; an empty view stands in for the impossible mismatch rather than a panic.
fn borrowed(width: u32, height: u32, rgba: &[u8]) -> RgbaView<'_> {
    ImageBuffer::from_raw(width, height, rgba)
        .or_else(|| ImageBuffer::from_raw(0, 0, &rgba[..0]))
        .unwrap_or_else(|| unreachable!("an empty buffer fits an empty view"))
}

/// The image pipeline behind the worker, with its decoding limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Codec {
    pub limits: DecodeLimits,
}

impl Codec {
    pub fn new(limits: DecodeLimits) -> Self {
        Self { limits }
    }
}

impl ImageCodec for Codec {
    fn decode_reference(&self, bytes: &[u8], fit: ReferenceFit) -> Result<Pixels, ImageError> {
        decode_fit(bytes, self.limits, fit).map(|d| from_image(d.image))
    }

    fn decode(&self, bytes: &[u8]) -> Result<Pixels, ImageError> {
        decode(bytes, self.limits).map(|d| from_image(d.image))
    }

    fn palette(&self, references: &[Pixels]) -> Colours {
        let views: Vec<RgbaView<'_>> = references.iter().map(view).collect();
        palette_from_references(&views)
    }

    fn finish(
        &self,
        pixels: Pixels,
        width: u32,
        height: u32,
        encoding: Encoding,
    ) -> Result<Finished, ImageError> {
        let image = to_image(pixels);
        let exact = if image.dimensions() == (width, height) {
            image
        } else {
            cover(&image, width, height)
        };
        encode_as(&exact, encoding).map(|e| Finished {
            bytes: Bytes::from(e.bytes),
            quality: e.quality,
        })
    }

    fn encode_for_upload(&self, pixels: &Pixels, max_side: u32) -> Result<Bytes, ImageError> {
        downscale_for_provider(&view(pixels), max_side).map(Bytes::from)
    }

    fn prepare_logo(&self, bytes: &[u8]) -> Result<PreparedLogo, ImageError> {
        crate::logo::prepare(bytes, self.limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_the_pixels() {
        let img = RgbaImage::from_fn(3, 2, |x, y| Rgba([x as u8, y as u8, 7, 255]));
        let pixels = from_image(img.clone());
        assert_eq!((pixels.width(), pixels.height()), (3, 2));
        assert_eq!(view(&pixels).as_raw().to_vec(), img.as_raw().clone());
        assert_eq!(to_image(pixels), img);
    }

    fn png_encoding() -> Encoding {
        Encoding {
            format: adgen::contract::output::ImageFormat::Png,
            quality: None,
            max_bytes: None,
        }
    }

    #[test]
    fn finish_brings_any_size_to_the_exact_size() {
        let codec = Codec::default();
        let pixels = from_image(RgbaImage::from_pixel(40, 10, Rgba([9, 9, 9, 255])));
        let png = codec
            .finish(pixels, 16, 16, png_encoding())
            .expect("encodes");
        assert_eq!(png.quality, None);
        let back = codec.decode(&png.bytes).expect("decodes");
        assert_eq!((back.width(), back.height()), (16, 16));
    }
}
