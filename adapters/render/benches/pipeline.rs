//! The image pipeline on realistic sizes: six 4000×3000 JPEG references (q90, photo-like),
//! decoded, composed into a 1:1 ad at 1K and 4K, encoded as PNG, JPEG and WebP.
//! `cargo bench -p adgen --bench pipeline` prints a table: the median of a few runs per step
//! and the process's peak resident memory.
//!
//! `cargo test --all-targets` also runs this binary, unoptimised and without `--bench`: it then
//! takes small sizes and one run per step, a smoke test that keeps the bench working.

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use adgen::contract::output::ImageFormat;
use adgen::pixels::Colours;
use adgen_render::{
    AdLayout, DecodeLimits, RgbaImage, decode, decode_scaled, encode, image_view, reference_target,
    render_ad,
};

use support::synthetic;

const REFERENCES: usize = 6;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test` does not.
    let measuring = std::env::args().any(|a| a == "--bench");
    let (photo, sides, runs) = if measuring {
        ((4000, 3000), [1024u32, 4096], [5, 3])
    } else {
        ((400, 300), [128u32, 256], [1, 1])
    };
    let jpegs: Vec<Vec<u8>> = (0..REFERENCES as u32)
        .map(|i| encode(&synthetic::photo(photo.0, photo.1, i), ImageFormat::Jpeg))
        .collect::<Result<_, _>>()?;
    let limits = DecodeLimits::default();
    let mb = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    let total: usize = jpegs.iter().map(Vec::len).sum();
    println!(
        "references: {REFERENCES} × {}×{} JPEG q90, {:.1} MiB in all",
        photo.0,
        photo.1,
        mb(total)
    );
    let full = median(runs[1], || {
        for bytes in &jpegs {
            black_box(decode(bytes, limits)?);
        }
        Ok(())
    })?;
    println!("decode 6 at full size, for comparison: {}", ms(full));
    println!();

    let mut rows: Vec<(String, [String; 2])> = Vec::new();
    let mut refs_by_size = Vec::new();
    for (col, side) in sides.into_iter().enumerate() {
        let target = reference_target(side, side, REFERENCES);
        let decode_time = median(runs[col], || {
            for bytes in &jpegs {
                black_box(decode_scaled(bytes, limits, target.0, target.1)?);
            }
            Ok(())
        })?;
        let refs: Vec<RgbaImage> = jpegs
            .iter()
            .map(|b| decode_scaled(b, limits, target.0, target.1).map(|d| d.image))
            .collect::<Result<_, _>>()?;
        push(
            &mut rows,
            "decode 6, reduced to cover their cells",
            col,
            format!("{} (to {}×{})", ms(decode_time), target.0, target.1),
        );
        refs_by_size.push((side, refs));
    }
    for (col, (side, refs)) in refs_by_size.iter().enumerate() {
        let refs: Vec<_> = refs.iter().map(image_view).collect();
        let layout = AdLayout {
            width: *side,
            height: *side,
            headline: "Golden hour, every hour: autumn trips from €149",
            body: Some("Pack light. We take care of trains, stays and the views."),
            call_to_action: Some("Book your trip"),
            colours: Colours {
                background: [246, 241, 232],
                accent: [196, 70, 40],
                text: [32, 28, 26],
            },
            references: &refs,
            logo: None,
            font: adgen_render::FontFamily::Inter,
            language: "en",
        };
        let compose = median(runs[col], || {
            black_box(render_ad(&layout));
            Ok(())
        })?;
        push(
            &mut rows,
            "compose (render_ad, 6 references)",
            col,
            ms(compose),
        );
        // The same ad with copy that needs shaping, fallback and bidi.
        for (label, language, headline, cta) in [
            (
                "compose, Japanese copy",
                "ja",
                "東京の新しいラーメン店のオープン記念、半額セール",
                "詳しく見る",
            ),
            (
                "compose, Arabic copy",
                "ar",
                "تخفيضات الصيف حتى ٥٠٪ على كل المنتجات",
                "اعرف المزيد",
            ),
        ] {
            let layout = AdLayout {
                headline,
                body: None,
                call_to_action: Some(cta),
                language,
                ..layout.clone()
            };
            let time = median(runs[col], || {
                black_box(render_ad(&layout));
                Ok(())
            })?;
            push(&mut rows, label, col, ms(time));
        }
        let ad = render_ad(&layout);
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Webp] {
            let mut size = 0;
            let time = median(runs[col], || {
                size = encode(&ad, format)?.len();
                Ok(())
            })?;
            let label = format!("encode {}", format.as_str());
            push(
                &mut rows,
                &label,
                col,
                format!("{} ({:.2} MiB)", ms(time), mb(size)),
            );
        }
    }
    println!("| step | {0}×{0} | {1}×{1} |", sides[0], sides[1]);
    println!("|---|---|---|");
    for (label, [one_k, four_k]) in rows {
        println!("| {label} | {one_k} | {four_k} |");
    }
    println!();
    println!(
        "peak RSS (VmHWM): {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

fn push(rows: &mut Vec<(String, [String; 2])>, label: &str, col: usize, value: String) {
    match rows.iter_mut().find(|(l, _)| l == label) {
        Some((_, cells)) => cells[col] = value,
        None => {
            let mut cells = [String::new(), String::new()];
            cells[col] = value;
            rows.push((label.to_owned(), cells));
        }
    }
}

type Step = Result<(), adgen_render::RenderError>;

fn median(
    runs: usize,
    mut step: impl FnMut() -> Step,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        step()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// The high-water mark of resident memory, from Linux's `/proc/self/status`.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.0} MiB", kb / 1024.0))
}
