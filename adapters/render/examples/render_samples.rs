//! Renders sample ads to PNG files for a person to look at:
//! `cargo run -p adgen-render --release --example render_samples -- /tmp/adgen-samples`

use std::path::PathBuf;

use adgen::contract::output::{AspectRatio, ImageFormat, Resolution, pixel_size};
use adgen::pixels::Colours;
use adgen_render::{AdLayout, encode, image_view, palette_from_references, render_ad};
use adgen_testkit::images;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/adgen-samples".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let photos: Vec<_> = (0..6).map(|i| images::photo(1600, 1200, i)).collect();
    let views: Vec<_> = photos.iter().map(image_view).collect();
    let brand = Colours {
        background: [246, 241, 232],
        accent: [196, 70, 40],
        text: [32, 28, 26],
    };
    let long = "Everything you need for a calm, bright and well organised home office, \
                delivered free before the holidays with a ten-year guarantee on every piece";
    let unbreakable = "W".repeat(200);
    let cases: [(&str, AspectRatio, usize, Option<Colours>); 12] = [
        ("1x1-two-refs", AspectRatio::R1x1, 2, Some(brand)),
        ("9x16-no-refs", AspectRatio::R9x16, 0, None),
        ("16x9-three-refs", AspectRatio::R16x9, 3, None),
        ("8x1-banner", AspectRatio::R8x1, 1, Some(brand)),
        ("4x5-one-ref", AspectRatio::R4x5, 1, None),
        ("1x1-no-refs", AspectRatio::R1x1, 0, Some(brand)),
        ("21x9-six-refs", AspectRatio::R21x9, 6, Some(brand)),
        ("4x1-no-refs", AspectRatio::R4x1, 0, None),
        ("9x16-four-refs", AspectRatio::R9x16, 4, None),
        ("1x8-one-ref", AspectRatio::R1x8, 1, Some(brand)),
        ("16x9-long-copy", AspectRatio::R16x9, 2, Some(brand)),
        ("9x16-unbreakable-word", AspectRatio::R9x16, 1, None),
    ];
    for (name, ratio, count, colours) in cases {
        let (width, height) = pixel_size(ratio, Resolution::R1K);
        let references = &views[..count];
        let ad = render_ad(&AdLayout {
            width,
            height,
            headline: match name {
                "16x9-long-copy" => long,
                "9x16-unbreakable-word" => &unbreakable,
                _ => "Golden hour, every hour: autumn trips from €149",
            },
            body: Some("Pack light. We take care of trains, stays and the views."),
            call_to_action: Some("Book your trip"),
            colours: colours.unwrap_or_else(|| palette_from_references(references)),
            references,
            logo: None,
            font: adgen_render::FontFamily::Inter,
            language: "en",
        });
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, encode(&ad, ImageFormat::Png)?)?;
        println!("{}", path.display());
    }
    Ok(())
}
