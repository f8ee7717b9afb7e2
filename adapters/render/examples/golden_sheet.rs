//! Renders the golden prompts (one per language, twelve languages) at 1K in three aspect
//! ratios, writes each ad, and composes a contact sheet of twelve of them:
//! `cargo run -p adgen-render --release --example golden_sheet -- /tmp/adgen-golden docs/typography-golden.png`

use std::path::PathBuf;

use adgen::brief::copy::{GOLDEN_PROMPTS, plan};
use adgen::contract::output::{AspectRatio, ImageFormat, Resolution, pixel_size};
use adgen::pixels::Colours;
use adgen_render::{AdLayout, FontFamily, RgbaImage, contain, encode, image_view, render_ad};
use adgen_testkit::images;

const CELL: u32 = 420;
const GAP: u32 = 16;
const COLUMNS: u32 = 4;
const SHEET: [&str; 12] = [
    "en", "de", "ru", "el", "ja", "zh-Hans", "zh-Hant", "ko", "ar", "he", "hi", "th",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/adgen-golden".into()));
    let sheet_path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "docs/typography-golden.png".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let photos: Vec<_> = (0..3).map(|i| images::photo(1200, 900, i)).collect();
    let views: Vec<_> = photos.iter().map(image_view).collect();
    let palettes = [
        Colours {
            background: [18, 24, 38],
            accent: [255, 106, 0],
            text: [255, 255, 255],
        },
        Colours {
            background: [246, 240, 228],
            accent: [0, 110, 90],
            text: [40, 40, 40],
        },
        Colours {
            background: [92, 20, 48],
            accent: [250, 200, 60],
            text: [255, 244, 230],
        },
    ];
    let ratios = [AspectRatio::R1x1, AspectRatio::R9x16, AspectRatio::R16x9];
    let mut seen = Vec::new();
    let mut thumbs = Vec::new();
    for (i, prompt) in GOLDEN_PROMPTS.iter().enumerate() {
        let copy = plan(prompt, None);
        let language = copy.language.bcp47();
        for (r, ratio) in ratios.into_iter().enumerate() {
            let (width, height) = pixel_size(ratio, Resolution::R1K);
            let count = (i + r) % 3;
            let ad = render_ad(&AdLayout {
                width,
                height,
                headline: &copy.headline,
                body: copy.supporting.as_deref(),
                call_to_action: Some(&copy.call_to_action),
                colours: palettes[(i + r) % palettes.len()],
                references: &views[..count],
                logo: None,
                font: FontFamily::Inter,
                language,
            });
            let name = format!("{i:02}-{language}-{}.png", ratio.as_str().replace(':', "x"));
            std::fs::write(dir.join(&name), encode(&ad, ImageFormat::Png)?)?;
            // The sheet: the first prompt of each of twelve languages, one per script where
            // possible, ratios taken in turn.
            if SHEET.contains(&language) && !seen.contains(&language) && r == seen.len() % 3 {
                seen.push(language);
                thumbs.push(contain(&ad, CELL, CELL));
            }
        }
    }
    let rows = (thumbs.len() as u32).div_ceil(COLUMNS);
    let mut sheet = RgbaImage::from_pixel(
        COLUMNS * (CELL + GAP) + GAP,
        rows * (CELL + GAP) + GAP,
        image::Rgba([236, 236, 236, 255]),
    );
    for (n, thumb) in thumbs.iter().enumerate() {
        let (col, row) = (n as u32 % COLUMNS, n as u32 / COLUMNS);
        let x = GAP + col * (CELL + GAP) + (CELL - thumb.width()) / 2;
        let y = GAP + row * (CELL + GAP) + (CELL - thumb.height()) / 2;
        image::imageops::overlay(&mut sheet, thumb, i64::from(x), i64::from(y));
    }
    std::fs::write(&sheet_path, encode(&sheet, ImageFormat::Png)?)?;
    println!(
        "{} ads in {}, sheet {}",
        GOLDEN_PROMPTS.len() * 3,
        dir.display(),
        sheet_path.display()
    );
    Ok(())
}
