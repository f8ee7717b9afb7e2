//! Small real images, encoded by the `image` crate.

use image::{ImageEncoder, Rgb, RgbImage};

/// A valid greyscale PNG of `width`×`height`, every pixel mid-grey.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels = vec![0x80u8; width as usize * height as usize];
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, width, height, image::ExtendedColorType::L8)
        .expect("a PNG encodes");
    out
}

/// A valid JPEG of `width`×`height` with a colour gradient (a "photo" with some structure).
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            128,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("a JPEG encodes");
    out
}

/// A valid PNG of `width`×`height` full of pseudo-random colour detail: what makes a photo
/// expensive to compress, so lossy files of it stay large even at low qualities.
pub fn noise_png(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        let v =
            (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        Rgb([(v >> 24) as u8, (v >> 16) as u8, (v >> 8) as u8])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("a PNG encodes");
    out
}

/// Only the header of a JPEG claiming `width`×`height` (SOI + SOF0): enough for checks that
/// read dimensions from the header, and no more — it has no image data.
pub fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out
}
