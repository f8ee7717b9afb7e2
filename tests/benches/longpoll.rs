//! The long-poll of `GET /api/v1/jobs/{id}?wait_for_completion=true` on both adapter sets:
//! how often a poll reads the job while it waits, and how late it answers once the job turns
//! terminal (embedded: woken by the store's write notification; AWS: paced re-reads).
//! `cargo bench -p adgen-tests --bench longpoll` prints the tables. The AWS half runs against
//! the emulators named by `ADGEN_*_ENDPOINT` (see scripts/emulators.sh) and is skipped, with a
//! note, when they are not set.
//!
//! Reads are counted by a decorator over the backend's job store, used by the services the
//! requests go through; the worker that finishes a job writes through the plain store.
//!
//! `cargo test --all-targets` also runs this binary, unoptimised and without `--bench`: it then
//! makes one short measurement per adapter set, a smoke test that keeps the bench working.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use adgen::http::Deadline;
use adgen::ports::{Clock, JobMessage, SystemClock};
use adgen::service::generate::Worker;
use adgen::service::jobs::PollingWatcher;
use adgen_render::TemplateGenerator;
use adgen_tests::{App, Backend, Kind, ObservedJobs, request};
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

const EMULATOR_VARS: [&str; 3] = [
    "ADGEN_DYNAMODB_ENDPOINT",
    "ADGEN_SQS_ENDPOINT",
    "ADGEN_S3_ENDPOINT",
];

/// When a poll of a queued job counts as backed off (the AWS pacing reaches its 1 s step after
/// about 2.1 s: 100, 150, 225, 338, 506, 759 ms, then 1 s).
const BACKED_OFF_AFTER: Duration = Duration::from_secs(3);

/// What one run measures.
struct Plan {
    /// Length of each poll of a job that stays queued, and how many.
    queued_poll: Duration,
    queued_runs: usize,
    /// Jobs finished while polled: one row each, with when each run's job finishes (from the
    /// start of its poll).
    finishes: Vec<Finishes>,
}

/// A row of (b): a label and the finish times of its runs.
struct Finishes {
    label: String,
    after: Vec<Duration>,
}

impl Finishes {
    /// `runs` jobs, each finished `after` its poll starts.
    fn fixed(after: Duration, runs: usize) -> Self {
        Self {
            label: secs(after),
            after: vec![after; runs],
        }
    }

    /// `runs` jobs finished `step` apart from `from` on: spread over the polling interval, they
    /// show the whole range of delays, where a fixed time meets the same point of the schedule.
    fn spread(from: Duration, step: Duration, runs: u32) -> Self {
        Self {
            label: format!(
                "{} to {}, {} ms apart",
                secs(from),
                secs(from + step * (runs - 1)),
                step.as_millis()
            ),
            after: (0..runs).map(|i| from + step * i).collect(),
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test` does not.
    let measuring = std::env::args().any(|a| a == "--bench");
    let plan = if measuring {
        Plan {
            queued_poll: Duration::from_secs(15),
            queued_runs: 3,
            finishes: [200, 1000, 3000, 8000]
                .map(|ms| Finishes::fixed(Duration::from_millis(ms), 5))
                .into_iter()
                .chain([Finishes::spread(
                    Duration::from_secs(3),
                    Duration::from_millis(100),
                    10,
                )])
                .collect(),
        }
    } else {
        Plan {
            queued_poll: Duration::from_millis(300),
            queued_runs: 1,
            finishes: vec![Finishes::fixed(Duration::from_millis(200), 1)],
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(plan, measuring));
}

async fn run(plan: Plan, measuring: bool) {
    let missing: Vec<&str> = EMULATOR_VARS
        .into_iter()
        .filter(|v| std::env::var(v).map_or(true, |s| s.is_empty()))
        .collect();
    let mut kinds = vec![Kind::Embedded];
    if missing.is_empty() {
        kinds.push(Kind::Aws);
    } else {
        println!(
            "AWS adapter skipped: {} not set. Start the emulators (scripts/emulators.sh start) \
             and export what it prints to measure it too.\n",
            missing.join(", ")
        );
    }
    let pacing = PollingWatcher::default();
    println!(
        "AWS long-poll pacing: re-read after {} ms, ×1.5 per quiet read, at most {} ms; \
         embedded: woken by the store's write notification.\n",
        pacing.initial.as_millis(),
        pacing.max.as_millis()
    );

    let mut queued_rows = Vec::new();
    let mut finish_rows = Vec::new();
    for kind in kinds {
        let bench = Arc::new(Bench::new(kind).await);
        let polls = {
            let mut polls = Vec::new();
            for _ in 0..plan.queued_runs {
                polls.push(bench.queued_poll(plan.queued_poll).await);
            }
            polls
        };
        queued_rows.push(queued_row(kind, &polls, measuring));
        for case in &plan.finishes {
            let mut finishes = Vec::new();
            for &after in &case.after {
                finishes.push(bench.finishing_poll(after).await);
            }
            finish_rows.push(finish_row(kind, &case.label, &finishes));
        }
        eprintln!("{}: done", name(kind));
    }

    println!(
        "(a) A job that stays queued: job reads per poll of {} ({} run(s); reads/s once backed \
         off counts the reads from {} s on)\n",
        secs(plan.queued_poll),
        plan.queued_runs,
        BACKED_OFF_AFTER.as_secs()
    );
    print_table(
        &[
            "adapter",
            "reads per poll (median, max)",
            "reads/s over the poll",
            "reads/s once backed off (median, max)",
        ],
        &queued_rows,
    );
    println!();
    println!(
        "(b) Delay from the job turning terminal (the worker's `process` returned) to the \
         long-poll's response; negative: the poll, woken by the terminal write, answered before \
         `process` got back to its caller\n"
    );
    print_table(
        &[
            "adapter",
            "job finishes after (runs)",
            "delay median",
            "delay max",
            "reads per poll (median)",
        ],
        &finish_rows,
    );
}

/// One adapter set with a counting job store under the API, a key, and a worker.
struct Bench {
    backend: Backend,
    app: App,
    reads: Arc<ReadLog>,
    worker: Worker,
    key: String,
}

/// Reads of one poll of a queued job, as offsets from its start, and the poll's length.
struct QueuedPoll {
    reads: Vec<Duration>,
    length: Duration,
}

/// One poll of a job finished by the worker meanwhile.
struct FinishingPoll {
    /// Response instant minus completion instant, in milliseconds (negative: answered before
    /// the worker's `process` returned to its caller).
    delay_ms: f64,
    reads: usize,
}

impl Bench {
    async fn new(kind: Kind) -> Bench {
        let backend = Backend::new(kind).await;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let reads = Arc::new(ReadLog::default());
        let log = reads.clone();
        let observed = ObservedJobs {
            inner: backend.jobs.clone(),
            before_read: move |job_id| log.note(job_id),
        };
        let app = backend.app_with_jobs(clock.clone(), Arc::new(observed));
        let worker = backend.worker(clock, Arc::new(TemplateGenerator));
        let (key, _) = backend.new_key().await;
        Bench {
            backend,
            app,
            reads,
            worker,
            key,
        }
    }

    async fn submit(&self) -> Uuid {
        let body = json!({"prompt": "Autumn sale banner", "output": {"resolution": "512"}});
        self.app.submit(&self.key, &body).await
    }

    /// The long-poll, ended by `timeout_seconds` or by a platform deadline: the job's status.
    async fn poll(&self, job_id: Uuid, timeout_seconds: u64, deadline: Option<Instant>) -> String {
        let mut req = request(
            "GET",
            &format!(
                "/api/v1/jobs/{job_id}?wait_for_completion=true&timeout_seconds={timeout_seconds}"
            ),
            Some(&self.key),
            None,
            "",
        );
        if let Some(deadline) = deadline {
            req.extensions_mut().insert(Deadline(deadline));
        }
        let response = self.app.api.handle(req).await;
        assert_eq!(response.status().as_u16(), 200, "job read");
        let body: Value = serde_json::from_slice(response.body()).expect("json");
        body["data"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Polls a job nobody works on for `length`, noting its reads.
    async fn queued_poll(&self, length: Duration) -> QueuedPoll {
        let job_id = self.submit().await;
        let start = Instant::now();
        let timeout_seconds = length.as_secs_f64().ceil() as u64;
        let status = self
            .poll(job_id, timeout_seconds, Some(start + length))
            .await;
        let length = start.elapsed();
        assert_eq!(status, "queued", "nobody works on the job");
        QueuedPoll {
            reads: self.reads.since(job_id, start),
            length,
        }
    }

    /// Polls a job the worker finishes `after` the poll starts; measures how late the poll
    /// answers.
    async fn finishing_poll(self: &Arc<Self>, after: Duration) -> FinishingPoll {
        let job_id = self.submit().await;
        let org_id = self
            .backend
            .jobs
            .get(job_id)
            .await
            .expect("get")
            .expect("job")
            .org_id;
        let start = Instant::now();
        let finisher = {
            let bench = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(start + after).await;
                bench.worker.process(JobMessage { job_id, org_id }, 1).await;
                Instant::now()
            })
        };
        let status = self.poll(job_id, 30, None).await;
        let answered = Instant::now();
        let completed = finisher.await.expect("worker task");
        assert_eq!(status, "completed", "the worker finished the job");
        let delay_ms = if answered >= completed {
            (answered - completed).as_secs_f64() * 1e3
        } else {
            -(completed - answered).as_secs_f64() * 1e3
        };
        FinishingPoll {
            delay_ms,
            reads: self.reads.since(job_id, start).len(),
        }
    }
}

/// When each job was read (through an `ObservedJobs` in front of the backend's store).
#[derive(Default)]
struct ReadLog {
    reads: Mutex<HashMap<Uuid, Vec<Instant>>>,
}

impl ReadLog {
    fn note(&self, job_id: Uuid) {
        self.reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(job_id)
            .or_default()
            .push(Instant::now());
    }

    /// The reads of `job_id` from `start` on, as offsets from it.
    fn since(&self, job_id: Uuid, start: Instant) -> Vec<Duration> {
        let reads = self.reads.lock().unwrap_or_else(PoisonError::into_inner);
        reads
            .get(&job_id)
            .into_iter()
            .flatten()
            .filter(|&&t| t >= start)
            .map(|&t| t - start)
            .collect()
    }
}

fn queued_row(kind: Kind, polls: &[QueuedPoll], measuring: bool) -> Vec<String> {
    let counts: Vec<f64> = polls.iter().map(|p| p.reads.len() as f64).collect();
    let overall: Vec<f64> = polls
        .iter()
        .map(|p| p.reads.len() as f64 / p.length.as_secs_f64())
        .collect();
    let backed_off: Vec<f64> = polls
        .iter()
        .filter(|p| p.length > BACKED_OFF_AFTER)
        .map(|p| {
            let late = p.reads.iter().filter(|&&t| t >= BACKED_OFF_AFTER).count();
            late as f64 / (p.length - BACKED_OFF_AFTER).as_secs_f64()
        })
        .collect();
    vec![
        name(kind).to_owned(),
        format!("{:.0}, {:.0}", median(&counts), max(&counts)),
        format!("{:.2}", median(&overall)),
        if measuring && !backed_off.is_empty() {
            format!("{:.2}, {:.2}", median(&backed_off), max(&backed_off))
        } else {
            "-".to_owned()
        },
    ]
}

fn finish_row(kind: Kind, label: &str, finishes: &[FinishingPoll]) -> Vec<String> {
    let delays: Vec<f64> = finishes.iter().map(|f| f.delay_ms).collect();
    let reads: Vec<f64> = finishes.iter().map(|f| f.reads as f64).collect();
    vec![
        name(kind).to_owned(),
        format!("{label} ({})", finishes.len()),
        millis(median(&delays)),
        millis(max(&delays)),
        format!("{:.0}", median(&reads)),
    ]
}

fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::Embedded => "embedded (SQLite, notification)",
        Kind::Aws => "AWS (DynamoDB Local, polling)",
    }
}

/// Two decimals below 10 ms (where the embedded delays sit), whole milliseconds above.
fn millis(ms: f64) -> String {
    if ms.abs() < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NAN, f64::max)
}

/// A Markdown table, columns padded to line up.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:<w$}"))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    line(widths.iter().map(|&w| "-".repeat(w)).collect());
    for row in rows {
        line(row.clone());
    }
}
