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

/// A valid JPEG of `width`×`height` grown to exactly `total` bytes by comment (COM)
/// segments placed after its frame header: a large file as a camera's may be (big metadata),
/// whose dimensions are still near its start and whose pixels still decode.
pub fn jpeg_of_size(width: u32, height: u32, total: usize) -> Vec<u8> {
    let small = jpeg(width, height);
    // Walk the segments to the end of SOF0 (every segment before the scan has a length).
    let mut at = 2;
    let sof_end = loop {
        assert_eq!(small[at], 0xFF, "a JPEG segment");
        let marker = small[at + 1];
        let len = u16::from_be_bytes([small[at + 2], small[at + 3]]) as usize;
        at += 2 + len;
        if marker == 0xC0 {
            break at;
        }
    };
    assert!(
        total >= small.len() + 4,
        "{total} bytes cannot hold the image"
    );
    let mut out = small[..sof_end].to_vec();
    let mut missing = total - small.len();
    while missing > 0 {
        // A segment is at least 4 bytes (marker and length); keep room for the last one.
        let mut segment = missing.min(65_535 + 2);
        if missing - segment != 0 && missing - segment < 4 {
            segment -= 4;
        }
        let payload = segment - 4;
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&((payload + 2) as u16).to_be_bytes());
        out.extend(std::iter::repeat_n(b'c', payload));
        missing -= segment;
    }
    out.extend_from_slice(&small[sof_end..]);
    assert_eq!(out.len(), total);
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

/// Photo-like pixels made from a seed: sky gradient, sun, layered hills, film grain (no photo
/// files in the repository, and the same seed always gives the same pixels). For the
/// pipeline bench, the job-memory bench and the render examples.
///
/// A `width`×`height` landscape; `seed` picks the palette and the hills.
pub fn photo(width: u32, height: u32, seed: u32) -> image::RgbaImage {
    let palettes: [[[f32; 3]; 4]; 4] = [
        // sky top, sky horizon, near hills, far hills
        [
            [38.0, 84.0, 160.0],
            [250.0, 190.0, 140.0],
            [34.0, 70.0, 52.0],
            [92.0, 120.0, 110.0],
        ],
        [
            [20.0, 24.0, 60.0],
            [240.0, 120.0, 90.0],
            [40.0, 30.0, 50.0],
            [110.0, 70.0, 90.0],
        ],
        [
            [120.0, 180.0, 230.0],
            [235.0, 240.0, 245.0],
            [150.0, 110.0, 60.0],
            [190.0, 160.0, 120.0],
        ],
        [
            [60.0, 40.0, 90.0],
            [250.0, 210.0, 120.0],
            [30.0, 50.0, 70.0],
            [80.0, 100.0, 130.0],
        ],
    ];
    let [sky_top, horizon, near, far] = palettes[(seed % 4) as usize];
    let (w, h) = (width as f32, height as f32);
    let phase = seed as f32 * 1.7;
    let ridge = |x: f32, base: f32, amp: f32, freq: f32| {
        h * (base
            + amp * (x / w * freq + phase).sin()
            + amp * 0.4 * (x / w * freq * 2.7 + phase * 1.3).sin())
    };
    let far_line: Vec<f32> = (0..width)
        .map(|x| ridge(x as f32, 0.55, 0.05, 7.0))
        .collect();
    let near_line: Vec<f32> = (0..width)
        .map(|x| ridge(x as f32, 0.72, 0.06, 4.0))
        .collect();
    let sun = (
        w * (0.25 + 0.5 * ((seed % 7) as f32 / 7.0)),
        h * 0.38,
        h.min(w) * 0.09,
    );
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    image::RgbaImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let t = (fy / (h * 0.6)).min(1.0);
        let mut c = lerp(sky_top, horizon, t * t);
        let d = ((fx - sun.0).powi(2) + (fy - sun.1).powi(2)).sqrt();
        if d < sun.2 * 3.0 {
            let glow = (1.0 - d / (sun.2 * 3.0)).powi(2) * 0.6;
            c = lerp(c, [255.0, 240.0, 200.0], if d < sun.2 { 1.0 } else { glow });
        }
        if fy > far_line[x as usize] {
            c = lerp(far, horizon, 0.15);
        }
        if fy > near_line[x as usize] {
            let depth = ((fy - near_line[x as usize]) / h).min(1.0);
            c = lerp(near, [0.0, 0.0, 0.0], depth * 0.8);
        }
        // xorshift grain: the texture that makes JPEG and PNG work as they do on photos.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state % 17) as f32 - 8.0;
        image::Rgba([
            (c[0] + grain).clamp(0.0, 255.0) as u8,
            (c[1] + grain).clamp(0.0, 255.0) as u8,
            (c[2] + grain).clamp(0.0, 255.0) as u8,
            255,
        ])
    })
}

fn lerp(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// The image type of `bytes` by its magic number (PNG, JPEG, WebP), as the fakes check uploads.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}
