//! Renders branded sample ads (a logo, brand colours, the three embedded font families) to PNG
//! files for a person to look at:
//! `cargo run -p adgen-render --release --example brand_samples -- /tmp/adgen-brand-samples`
//!
//! One logo is a raster PNG drawn here, the other an SVG; both go through the codec's
//! `prepare_logo`, as a brand's logo does, and are decoded back from the prepared PNG.

use std::path::PathBuf;

use adgen::contract::output::{AspectRatio, ImageFormat, Resolution, pixel_size};
use adgen::pixels::Colours;
use adgen::ports::ImageCodec;
use adgen_render::{AdLayout, Codec, FontFamily, RgbaImage, decode, encode, image_view, render_ad};
use adgen_testkit::images;
use image::Rgba;

/// A geometric SVG logo: a hexagon mark and a wordmark in paths (no live text).
const SVG_LOGO: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 100">
  <g fill="#1b2340">
    <path d="M50 6 L88 28 L88 72 L50 94 L12 72 L12 28 Z M50 24 L72 37 L72 63 L50 76 L28 63 L28 37 Z" fill-rule="evenodd"/>
    <circle cx="50" cy="50" r="9" fill="#14a39a"/>
    <path d="M112 78 V22 H124 L150 60 V22 H162 V78 H150 L124 40 V78 Z"/>
    <path d="M200 20 A30 30 0 1 1 199.9 20 Z M200 32 A18 18 0 1 0 200.1 32 Z" fill-rule="evenodd"/>
    <path d="M236 22 H249 L262 62 L275 22 H288 L268 78 H256 Z"/>
    <path d="M310 22 H322 L344 78 H331 L326 64 H306 L301 78 H288 Z M310 53 H322 L316 36 Z" fill-rule="evenodd"/>
  </g>
</svg>"##;

/// A raster logo: an orange ring with a bar through it and "ACME" in blocky pixel letters,
/// on transparency.
fn raster_logo() -> RgbaImage {
    const GLYPHS: [[&str; 7]; 4] = [
        [
            "01110", "10001", "10001", "11111", "10001", "10001", "10001",
        ],
        [
            "01111", "10000", "10000", "10000", "10000", "10000", "01111",
        ],
        [
            "10001", "11011", "10101", "10101", "10001", "10001", "10001",
        ],
        [
            "11111", "10000", "10000", "11110", "10000", "10000", "11111",
        ],
    ];
    let (w, h) = (560u32, 160u32);
    let mut img = RgbaImage::new(w, h);
    let orange = Rgba([232, 96, 28, 255]);
    let ink = Rgba([40, 40, 46, 255]);
    for y in 0..h {
        for x in 0..160 {
            let d = ((x as f32 - 80.0).powi(2) + (y as f32 - 80.0).powi(2)).sqrt();
            let bar = (x as i32 - y as i32).abs() < 12 && d < 64.0;
            if (52.0..70.0).contains(&d) || bar {
                img.put_pixel(x, y, orange);
            }
        }
    }
    let cell = 14;
    for (i, glyph) in GLYPHS.iter().enumerate() {
        let left = 190 + i as u32 * 6 * cell;
        for (row, bits) in glyph.iter().enumerate() {
            for (col, bit) in bits.bytes().enumerate() {
                if bit == b'1' {
                    for dy in 0..cell {
                        for dx in 0..cell {
                            let (x, y) =
                                (left + col as u32 * cell + dx, 31 + row as u32 * cell + dy);
                            if x < w && y < h {
                                img.put_pixel(x, y, ink);
                            }
                        }
                    }
                }
            }
        }
    }
    img
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/adgen-brand-samples".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let codec = Codec::default();
    let raster_png = encode(&raster_logo(), ImageFormat::Png)?;
    let logos = [
        ("png-logo", codec.prepare_logo(&raster_png)?),
        ("svg-logo", codec.prepare_logo(SVG_LOGO.as_bytes())?),
    ];
    let logos: Vec<(&str, RgbaImage)> = logos
        .into_iter()
        .map(|(name, prepared)| decode(&prepared.png, Default::default()).map(|d| (name, d.image)))
        .collect::<Result<_, _>>()?;
    let photos: Vec<_> = (0..3).map(|i| images::photo(1600, 1200, i)).collect();
    let views: Vec<_> = photos.iter().map(image_view).collect();
    let brands = [
        (
            "sand",
            Colours {
                background: [246, 241, 232],
                accent: [196, 70, 40],
                text: [32, 28, 26],
            },
        ),
        (
            "night",
            Colours {
                background: [18, 24, 48],
                accent: [255, 176, 0],
                text: [255, 255, 255],
            },
        ),
    ];
    let families = [
        ("inter", "Inter, system-ui, sans-serif"),
        ("serif", "Playfair Display, Georgia, serif"),
        ("display", "'Oswald', sans-serif"),
    ];
    let ratios = [
        ("1x1", AspectRatio::R1x1, 2),
        ("9x16", AspectRatio::R9x16, 0),
        ("16x9", AspectRatio::R16x9, 3),
        ("4x5", AspectRatio::R4x5, 1),
        ("8x1", AspectRatio::R8x1, 1),
        // The other shapes, for a spot check of the logo's place.
        ("1x8", AspectRatio::R1x8, 1),
        ("1x4", AspectRatio::R1x4, 0),
        ("4x1", AspectRatio::R4x1, 0),
        ("21x9", AspectRatio::R21x9, 2),
        ("2x3", AspectRatio::R2x3, 0),
        ("3x2", AspectRatio::R3x2, 0),
    ];
    for (ratio_name, ratio, count) in ratios {
        let (width, height) = pixel_size(ratio, Resolution::R1K);
        for (b, (brand_name, colours)) in brands.iter().enumerate() {
            for (f, (family_name, css)) in families.iter().enumerate() {
                let (logo_name, logo) = &logos[(b + f) % 2];
                let ad = render_ad(&AdLayout {
                    width,
                    height,
                    headline: "Golden hour, every hour: autumn trips from €149",
                    body: Some("Pack light. We take care of trains, stays and the views."),
                    call_to_action: Some("Book your trip"),
                    colours: *colours,
                    references: &views[..count],
                    logo: Some(image_view(logo)),
                    font: FontFamily::from_css(css),
                    language: "en",
                });
                let path = dir.join(format!(
                    "{ratio_name}-{brand_name}-{family_name}-{logo_name}.png"
                ));
                std::fs::write(&path, encode(&ad, ImageFormat::Png)?)?;
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}
