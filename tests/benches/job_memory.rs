//! Peak memory of one generation job, end to end through the worker (embedded adapters, the
//! template generator): photo-like JPEG references staged as a submission stages them, one ad
//! at 4K (1:1, the largest 4K canvas). Two cases: six 12 MP references (4000×3000, about 2 MB
//! each), and the worst the contract allows, six at 40 MP (7300×5475).
//!
//! `cargo bench -p adgen-tests --bench job_memory` prints, per case, the peak resident memory
//! (VmHWM) of a fresh process that reads the references from files and runs the job, and that
//! process's resident memory before the job (the binary, the runtime and the encoded
//! references, which a server holds anyway). Each case runs in its own process (this binary,
//! re-executed), so one case's freed memory never counts in the next. This sizes the generate
//! function's memory in template.yaml.
//!
//! `cargo test --all-targets` also runs this binary, unoptimised and without `--bench`: it then
//! runs one small case, a smoke test that keeps the bench working.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use adgen::contract::generation::GenerationRequest;
use adgen::contract::output::ImageFormat;
use adgen::jobs::{AdInput, GenerationWork, Job, JobInput, JobStatus, ReferenceSource, Work};
use adgen::ports::{Clock, JobMessage, SystemClock};
use adgen::service::generate::Disposition;
use adgen_render::TemplateGenerator;
use adgen_testkit::images;
use adgen_tests::{Backend, Kind, TempFolder};
use bytes::Bytes;
use uuid::Uuid;

/// Set in a child process: the folder of the case it runs.
const CHILD: &str = "ADGEN_JOB_MEMORY_CASE";

struct Case {
    label: &'static str,
    width: u32,
    height: u32,
    resolution: &'static str,
}

fn main() {
    if let Some(folder) = std::env::var_os(CHILD) {
        run_child(Path::new(&folder));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test` does not.
    let measuring = std::env::args().any(|a| a == "--bench");
    let cases: Vec<Case> = if measuring {
        vec![
            Case {
                label: "6 × 4000×3000 JPEG → 4K",
                width: 4000,
                height: 3000,
                resolution: "4K",
            },
            Case {
                label: "6 × 7300×5475 JPEG (40 MP, the contract's worst) → 4K",
                width: 7300,
                height: 5475,
                resolution: "4K",
            },
        ]
    } else {
        vec![Case {
            label: "6 × 400×300 JPEG → 1K (smoke)",
            width: 400,
            height: 300,
            resolution: "1K",
        }]
    };
    println!(
        "| case | references (MiB) | RSS before the job | peak RSS during the job | job time |"
    );
    println!("|---|---|---|---|---|");
    for case in cases {
        let folder = TempFolder::new();
        let mut total = 0;
        for seed in 0..6 {
            let jpeg = adgen_render::encode(
                &images::photo(case.width, case.height, seed),
                ImageFormat::Jpeg,
            )
            .expect("encodes");
            total += jpeg.len();
            std::fs::write(folder.0.join(format!("ref{seed}.jpg")), jpeg).expect("written");
        }
        std::fs::write(folder.0.join("resolution"), case.resolution).expect("written");
        let output = std::process::Command::new(std::env::current_exe().expect("own path"))
            .env(CHILD, &folder.0)
            .output()
            .expect("child runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "child failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        println!(
            "| {} | {:.1} | {} |",
            case.label,
            total as f64 / (1 << 20) as f64,
            text.trim()
        );
    }
}

/// Runs the case in `folder` and prints its row's last three cells.
fn run_child(folder: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut refs: Vec<PathBuf> = std::fs::read_dir(folder)
            .expect("folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
            .collect();
        refs.sort();
        let resolution = std::fs::read_to_string(folder.join("resolution")).expect("resolution");
        let b = Backend::new(Kind::Embedded).await;
        let (org, job_id) = (Uuid::new_v4(), Uuid::new_v4());
        let mut references = Vec::new();
        for (n, path) in refs.iter().enumerate() {
            let key = format!("staging/{org}/{job_id}/{n}");
            let bytes = Bytes::from(std::fs::read(path).expect("reference"));
            b.blobs.put(&key, bytes, "image/jpeg").await.expect("staged");
            references.push(ReferenceSource::Staged { key });
        }
        let body = format!(
            r#"{{"prompt":"Autumn getaways by train","output":{{"resolution":"{resolution}","aspect_ratio":"1:1","format":"jpeg"}}}}"#
        );
        let request = GenerationRequest::parse(body.as_bytes()).expect("valid body");
        let clock = Arc::new(SystemClock);
        let input = JobInput::Generation(AdInput {
            prompt: request.prompt.clone(),
            reference_image_count: references.len(),
            has_brand_id: false,
            has_brand_identity_json: false,
            output: request.output.clone(),
        });
        let work = Work::Generation(GenerationWork {
            prompt: request.prompt.clone(),
            references,
            brand_id: None,
            brand_identity: None,
            output: request.output.clone(),
        });
        let job = Job {
            enqueued: true,
            ..Job::queued(job_id, org, input, work, clock.now())
        };
        b.jobs.create(&job).await.expect("job written");
        let worker = b.worker(clock, Arc::new(TemplateGenerator));
        let before = rss_kib("VmRSS");
        reset_peak();
        let started = Instant::now();
        let disposition = worker
            .process(
                JobMessage {
                    job_id,
                    org_id: org,
                },
                1,
            )
            .await;
        let elapsed = started.elapsed();
        let peak = rss_kib("VmHWM");
        assert_eq!(disposition, Disposition::Acknowledge);
        let done = b.jobs.get(job_id).await.expect("read").expect("job");
        assert_eq!(done.status, JobStatus::Completed, "{:?}", done.payload.message);
        println!(
            "{:.0} MiB | {:.0} MiB | {:.2} s",
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            elapsed.as_secs_f64()
        );
    });
}

/// A `/proc/self/status` figure in KiB (0 where there is no procfs).
fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts VmHWM afresh from the current RSS (Linux: `5` to `clear_refs`).
fn reset_peak() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("peak RSS not reset ({e}): the figure includes the setup");
    }
}
