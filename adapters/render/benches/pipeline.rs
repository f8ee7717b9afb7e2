//! The image pipeline on realistic sizes: six 4000×3000 JPEG references (q90, photo-like),
//! decoded, composed into a 1:1 ad at 1K and 4K, encoded as PNG, JPEG (q90), lossy WebP (q85),
//! lossless WebP, and JPEG and WebP within a 150 000-byte budget.
//! `cargo bench -p adgen-render --bench pipeline` prints a table: the median of a few runs per
//! step and the process's peak resident memory.
//!
//! With `ADGEN_BENCH_DIR` set, it also writes what a libvips run of the same steps needs
//! (`scripts/bench.sh` runs one): the reference JPEGs, each ad as PNG, and `pipeline.json` with
//! the decoded sizes and every figure measured here.
//!
//! `cargo test --all-targets` also runs this binary, unoptimised and without `--bench`: it then
//! takes small sizes and one run per step, a smoke test that keeps the bench working.

use std::hint::black_box;
use std::time::{Duration, Instant};

use adgen::contract::output::{Encoding, ImageFormat};
use adgen::pixels::Colours;
use adgen_render::{
    AdLayout, DecodeLimits, RenderError, RgbaImage, decode, decode_scaled, encode, encode_as,
    image_view, reference_target, render_ad,
};

use adgen_testkit::images;

const REFERENCES: usize = 6;
/// The byte budget of the budget rows: a common ad-network cap.
const BUDGET: u32 = 150_000;

/// A row label, its `pipeline.json` name, and the encoding: format, quality, byte budget.
type Measured = (
    &'static str,
    &'static str,
    ImageFormat,
    Option<u8>,
    Option<u32>,
);

/// The encodings measured.
const ENCODINGS: [Measured; 6] = [
    (
        "encode png (deflate level 2)",
        "png",
        ImageFormat::Png,
        None,
        None,
    ),
    (
        "encode jpeg q90",
        "jpeg_q90",
        ImageFormat::Jpeg,
        Some(90),
        None,
    ),
    (
        "encode webp q85 (lossy)",
        "webp_q85",
        ImageFormat::Webp,
        Some(85),
        None,
    ),
    (
        "encode webp lossless (q100)",
        "webp_lossless",
        ImageFormat::Webp,
        Some(100),
        None,
    ),
    (
        "encode jpeg within 150 000 bytes",
        "jpeg_budget",
        ImageFormat::Jpeg,
        Some(90),
        Some(BUDGET),
    ),
    (
        "encode webp within 150 000 bytes",
        "webp_budget",
        ImageFormat::Webp,
        Some(85),
        Some(BUDGET),
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test` does not.
    let measuring = std::env::args().any(|a| a == "--bench");
    let (photo, sides, runs) = if measuring {
        ((4000, 3000), [1024u32, 4096], [5, 3])
    } else {
        ((400, 300), [128u32, 256], [1, 1])
    };
    let jpegs: Vec<Vec<u8>> = (0..REFERENCES as u32)
        .map(|i| encode(&images::photo(photo.0, photo.1, i), ImageFormat::Jpeg))
        .collect::<Result<_, _>>()?;
    let limits = DecodeLimits::default();
    let dump = std::env::var_os("ADGEN_BENCH_DIR").map(std::path::PathBuf::from);
    let mut json = Json::default();
    if let Some(dir) = &dump {
        std::fs::create_dir_all(dir)?;
        for (i, bytes) in jpegs.iter().enumerate() {
            std::fs::write(dir.join(format!("ref{i}.jpg")), bytes)?;
        }
        json.field("references", REFERENCES.to_string());
        json.field("runs", format!("[{}, {}]", runs[0], runs[1]));
    }
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
    json.field("decode_full_ms", millis(full));
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
        let (w, h) = refs[0].dimensions();
        json.field(&format!("decode_{side}_ms"), millis(decode_time));
        json.field(&format!("decode_{side}_size"), format!("[{w}, {h}]"));
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
        if let Some(dir) = &dump {
            std::fs::write(
                dir.join(format!("ad-{side}.png")),
                encode(&ad, ImageFormat::Png)?,
            )?;
        }
        for (label, name, format, quality, max_bytes) in ENCODINGS {
            let encoding = Encoding {
                format,
                quality,
                max_bytes,
            };
            let mut outcome = Ok((0, None));
            let time = median(runs[col], || {
                outcome = match encode_as(&ad, encoding) {
                    Ok(e) => Ok((e.bytes.len(), e.quality)),
                    Err(RenderError::BudgetUnmet { smallest, .. }) => Err(smallest),
                    Err(e) => return Err(e),
                };
                Ok(())
            })?;
            let cell = match outcome {
                Ok((size, Some(q))) if max_bytes.is_some() => {
                    format!("{} ({size} bytes at q{q})", ms(time))
                }
                Ok((size, _)) => format!("{} ({:.2} MiB)", ms(time), mb(size)),
                Err(smallest) => format!("{}: does not fit ({smallest} bytes at q40)", ms(time)),
            };
            push(&mut rows, label, col, cell);
            json.field(&format!("{name}_{side}_ms"), millis(time));
            match outcome {
                Ok((size, quality)) => {
                    json.field(&format!("{name}_{side}_bytes"), size.to_string());
                    if let Some(q) = quality.filter(|_| max_bytes.is_some()) {
                        json.field(&format!("{name}_{side}_quality"), q.to_string());
                    }
                }
                Err(smallest) => json.field(&format!("{name}_{side}_unmet"), smallest.to_string()),
            }
        }
    }
    println!("| step | {0}×{0} | {1}×{1} |", sides[0], sides[1]);
    println!("|---|---|---|");
    for (label, [one_k, four_k]) in rows {
        println!("| {label} | {one_k} | {four_k} |");
    }
    println!();
    let peak = peak_rss();
    println!(
        "peak RSS (VmHWM): {}",
        peak.map_or_else(|| "unknown".into(), |kb| format!("{:.0} MiB", kb / 1024.0))
    );
    if let Some(dir) = &dump {
        json.field("sides", format!("[{}, {}]", sides[0], sides[1]));
        json.field(
            "peak_rss_mib",
            format!("{:.1}", peak.unwrap_or(0.0) / 1024.0),
        );
        std::fs::write(dir.join("pipeline.json"), json.finish())?;
    }
    Ok(())
}

/// A flat JSON object written by hand (the bench has no serde of its own).
#[derive(Default)]
struct Json(Vec<String>);

impl Json {
    fn field(&mut self, name: &str, raw_value: String) {
        self.0.push(format!("  \"{name}\": {raw_value}"));
    }

    fn finish(&self) -> String {
        format!("{{\n{}\n}}\n", self.0.join(",\n"))
    }
}

fn millis(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
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

/// The high-water mark of resident memory in KiB, from Linux's `/proc/self/status`.
fn peak_rss() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
