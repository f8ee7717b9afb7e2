//! The soak tool: concurrent clients against the whole system on one adapter set (embedded,
//! as `adgen serve` wires it, and AWS on the emulators), mixing fresh submissions, replays,
//! conflicting replays, invalid and oversized bodies, polls and long-polls, while the worker
//! loop, the webhook deliverer and two webhook receivers run beside them, and the job store
//! behind the API fails every Nth write. When the clients stop it checks the promises:
//!
//! - one job per accepted Idempotency-Key (every replay names it, no two keys share one);
//! - every accepted job terminal, every completed job's image stored, decodable and of the
//!   applied size;
//! - every job's event delivered to each endpoint, signed, under one event id per endpoint
//!   (a receiver that failed sees the retry with the same id);
//! - no 5xx except as many 503s as faults were injected, and never a 500.
//!
//! It prints throughput and p50/p99 per kind of request. `cargo bench -p adgen-tests --bench
//! soak` runs `ADGEN_SOAK_CLIENTS` (16) clients, each pausing `ADGEN_SOAK_PAUSE_MS` (100)
//! between requests, for `ADGEN_SOAK_SECONDS` (600) on each adapter set in
//! `ADGEN_SOAK_BACKENDS` (`embedded,aws`; AWS needs the emulators' variables). `cargo
//! test --all-targets` (CI) runs it briefly, unoptimised, as a check that fails on any broken
//! promise.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use adgen::jobs::JobStatus;
use adgen::ports::{Clock, SystemClock};
use adgen::service::deliver::consume_deliveries_once;
use adgen::service::generate::consume_once;
use adgen::webhooks::{Secret, sign};
use adgen_render::TemplateGenerator;
use adgen_testkit::{Reply, TestServer};
use adgen_tests::{App, Backend, Faults, FaultyJobs, Kind, answer, local_webhook_sender, request};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

const GENERATIONS: &str = "/api/v1/images/generations";
const EMULATOR_VARS: [&str; 3] = [
    "ADGEN_DYNAMODB_ENDPOINT",
    "ADGEN_SQS_ENDPOINT",
    "ADGEN_S3_ENDPOINT",
];

/// What one run does.
#[derive(Debug, Clone, Copy)]
struct Plan {
    clients: usize,
    /// Requests per client at most; the run also ends at `duration`.
    ops_per_client: usize,
    duration: Duration,
    /// Every Nth write of the API's job store fails (an outage the clients retry through).
    store_fail_every: usize,
    /// Every Nth request to the first receiver answers 500 (the deliverer retries it).
    receiver_fail_every: usize,
    /// How long the checks wait for jobs to finish and events to arrive.
    settle: Duration,
    /// Each client's pause between requests (a client's think time), so that a long run is
    /// sustained load the worker keeps up with rather than an ever-growing backlog.
    pause: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Op {
    Fresh,
    Replay,
    Conflict,
    Invalid,
    Oversized,
    Poll,
    LongPoll,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Fresh => "POST submit (new key)",
            Op::Replay => "POST submit (replay)",
            Op::Conflict => "POST submit (conflicting replay)",
            Op::Invalid => "POST submit (invalid body)",
            Op::Oversized => "POST submit (oversized body)",
            Op::Poll => "GET job",
            Op::LongPoll => "GET job (long-poll 2 s)",
        }
    }
}

/// The request mix, in weights out of 100.
const MIX: [(Op, u32); 7] = [
    (Op::Fresh, 30),
    (Op::Replay, 15),
    (Op::Conflict, 8),
    (Op::Invalid, 10),
    (Op::Oversized, 2),
    (Op::Poll, 25),
    (Op::LongPoll, 10),
];

/// xorshift64*: a deterministic stream per client, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn op(&mut self) -> Op {
        let mut roll = (self.next() % 100) as u32;
        for (op, weight) in MIX {
            if roll < weight {
                return op;
            }
            roll -= weight;
        }
        Op::Poll
    }
}

/// The accepted submissions: (Idempotency-Key, job, body), and their jobs.
#[derive(Default)]
struct Accepted {
    list: Vec<(String, Uuid, String)>,
    jobs: HashSet<Uuid>,
}

/// What the clients saw, shared.
#[derive(Default)]
struct Record {
    /// Accepted Idempotency-Key → (job, body).
    accepted: Mutex<Accepted>,
    samples: Mutex<BTreeMap<Op, Vec<(Duration, u16)>>>,
    server_errors: AtomicUsize,
    /// Every broken promise counted; the first 50 described.
    broken: AtomicUsize,
    violations: Mutex<Vec<String>>,
}

impl Record {
    fn sample(&self, op: Op, took: Duration, status: u16) {
        if status >= 500 {
            self.server_errors.fetch_add(1, Ordering::SeqCst);
            if status != 503 {
                self.violate(format!("{}: answered {status}", op.label()));
            }
        }
        lock(&self.samples)
            .entry(op)
            .or_default()
            .push((took, status));
    }

    fn violate(&self, what: String) {
        self.broken.fetch_add(1, Ordering::SeqCst);
        let mut violations = lock(&self.violations);
        if violations.len() < 50 {
            violations.push(what);
        }
    }

    fn pick(&self, rng: &mut Rng) -> Option<(String, Uuid, String)> {
        let accepted = lock(&self.accepted);
        if accepted.list.is_empty() {
            return None;
        }
        accepted.list.get(rng.below(accepted.list.len())).cloned()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let plan = if measuring {
        Plan {
            clients: number("ADGEN_SOAK_CLIENTS", 16) as usize,
            ops_per_client: usize::MAX,
            duration: Duration::from_secs(number("ADGEN_SOAK_SECONDS", 600)),
            store_fail_every: 50,
            receiver_fail_every: 10,
            settle: Duration::from_secs(300),
            pause: Duration::from_millis(number("ADGEN_SOAK_PAUSE_MS", 100)),
        }
    } else {
        Plan {
            clients: 4,
            ops_per_client: 40,
            duration: Duration::from_secs(60),
            store_fail_every: 15,
            receiver_fail_every: 4,
            settle: Duration::from_secs(90),
            pause: Duration::ZERO,
        }
    };
    let wanted = std::env::var("ADGEN_SOAK_BACKENDS").unwrap_or_else(|_| "embedded,aws".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut failed = false;
    println!(
        "soak: {} clients ({} ms pause), {} per client, up to {} s; job-store writes fail 1 in {}, receiver A refuses the first attempt of 1 event in {}\n",
        plan.clients,
        plan.pause.as_millis(),
        if plan.ops_per_client == usize::MAX {
            "unbounded".to_owned()
        } else {
            plan.ops_per_client.to_string()
        },
        plan.duration.as_secs(),
        plan.store_fail_every,
        plan.receiver_fail_every
    );
    for kind in [Kind::Embedded, Kind::Aws] {
        let name = match kind {
            Kind::Embedded => "embedded",
            Kind::Aws => "aws",
        };
        if !wanted.split(',').any(|w| w.trim() == name) {
            continue;
        }
        if kind == Kind::Aws {
            let missing: Vec<&str> = EMULATOR_VARS
                .into_iter()
                .filter(|v| std::env::var(v).map_or(true, |s| s.is_empty()))
                .collect();
            if !missing.is_empty() {
                println!(
                    "aws skipped: {} not set (scripts/emulators.sh start prints them)\n",
                    missing.join(", ")
                );
                continue;
            }
        }
        let violations = runtime.block_on(soak(kind, name, plan));
        if !violations.is_empty() {
            failed = true;
            println!("{name}: BROKEN PROMISES (the first 50, then how many more):");
            for v in &violations {
                println!("  - {v}");
            }
        }
    }
    assert!(!failed, "the soak found broken promises (listed above)");
}

/// One run on one adapter set; the broken promises found.
async fn soak(kind: Kind, name: &str, plan: Plan) -> Vec<String> {
    let b = Arc::new(Backend::new(kind).await);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let faults = Faults::new();
    let app = Arc::new(b.app_with_jobs(
        clock.clone(),
        Arc::new(FaultyJobs {
            inner: b.jobs.clone(),
            faults: faults.clone(),
        }),
    ));
    let (key, org) = b.new_key().await;

    // Two receivers: A answers the first attempt of every Nth event with 500 (the deliverer
    // must retry it, under the same event id); B always answers 200.
    let calls = Arc::new(AtomicUsize::new(0));
    let refused: Arc<Mutex<HashSet<String>>> = Arc::default();
    let every = plan.receiver_fail_every;
    let (counter, refusals) = (calls.clone(), refused.clone());
    let flaky = TestServer::plain(move |req| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let id = req.header("webhook-id").unwrap_or("").to_owned();
        let mut refusals = lock(&refusals);
        let first_of_nth = every > 0 && n.is_multiple_of(every) && !refusals.contains(&id);
        if first_of_nth {
            refusals.insert(id);
        }
        Reply::new(if first_of_nth { 500 } else { 200 }, "ok")
    })
    .await;
    let steady = TestServer::plain(|_| Reply::new(200, "ok")).await;
    let mut secrets = Vec::new();
    for receiver in [&flaky, &steady] {
        let created = answer(
            app.api
                .handle(request(
                    "POST",
                    "/api/v1/webhooks",
                    Some(&key),
                    None,
                    &json!({"endpoint_url": receiver.url("http", "/hook")}).to_string(),
                ))
                .await,
        );
        assert_eq!(created.status, 201, "{}", created.json);
        let secret = created.json["data"]["secret"].as_str().expect("secret");
        secrets.push(Secret::parse(secret).expect("a whsec_ secret"));
    }

    // The worker loop and the deliverer, as `adgen serve` runs them.
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = Vec::new();
    {
        let (b, stop) = (b.clone(), stop.clone());
        let worker = b.worker(clock.clone(), Arc::new(TemplateGenerator));
        loops.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                match consume_once(b.consumer.as_ref(), &worker, 2).await {
                    Ok(0) | Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    Ok(_) => {}
                }
            }
        }));
    }
    {
        let (b, stop) = (b.clone(), stop.clone());
        let deliverer = b.deliverer(clock.clone(), local_webhook_sender());
        loops.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                match consume_deliveries_once(b.delivery_consumer.as_ref(), &deliverer, 10).await {
                    Ok(0) | Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    Ok(_) => {}
                }
            }
        }));
    }

    faults.fail_every(plan.store_fail_every);
    let record = Arc::new(Record::default());
    let run_started_at = SystemClock.now();
    let oversized = Bytes::from(vec![b' '; adgen::config::LAMBDA_MAX_BODY_BYTES + 1]);
    let started = Instant::now();
    let deadline = started + plan.duration;
    let mut clients = Vec::new();
    for client in 0..plan.clients {
        let (app, record, key, oversized) =
            (app.clone(), record.clone(), key.clone(), oversized.clone());
        clients.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((client as u64 + 1) * 0x1000_0001));
            for n in 0..plan.ops_per_client {
                if Instant::now() >= deadline {
                    break;
                }
                run_op(&app, &record, &key, &oversized, &mut rng, client, n).await;
                if !plan.pause.is_zero() {
                    tokio::time::sleep(plan.pause).await;
                }
            }
        }));
    }
    for client in clients {
        client.await.expect("client task");
    }
    let elapsed = started.elapsed();
    faults.fail_every(0);

    check(
        &b,
        &app,
        &key,
        org,
        &record,
        Receivers {
            servers: [&flaky, &steady],
            secrets: &secrets,
            refused: &refused,
            run_started_at,
        },
        plan.settle,
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for task in loops {
        let _ = task.await;
    }
    let injected = faults.injected.load(Ordering::SeqCst);
    let server_errors = record.server_errors.load(Ordering::SeqCst);
    if server_errors > injected {
        record.violate(format!(
            "{server_errors} answers were 5xx, but only {injected} faults were injected"
        ));
    }
    report(
        name,
        &record,
        elapsed,
        injected,
        calls.load(Ordering::SeqCst),
        lock(&refused).len(),
    );
    let broken = record.broken.load(Ordering::SeqCst);
    let mut listed = std::mem::take(&mut *lock(&record.violations));
    if broken > listed.len() {
        listed.push(format!("… {} more", broken - listed.len()));
    }
    listed
}

async fn send(
    app: &App,
    record: &Record,
    op: Op,
    req: adgen::http::HttpRequest,
) -> adgen_tests::Answer {
    let start = Instant::now();
    let a = answer(app.api.handle(req).await);
    record.sample(op, start.elapsed(), a.status);
    a
}

async fn run_op(
    app: &App,
    record: &Record,
    key: &str,
    oversized: &Bytes,
    rng: &mut Rng,
    client: usize,
    n: usize,
) {
    let op = rng.op();
    let picked = record.pick(rng);
    match (op, picked) {
        (Op::Replay, Some((idem, job, body))) => {
            let a = send(
                app,
                record,
                op,
                request("POST", GENERATIONS, Some(key), Some(&idem), &body),
            )
            .await;
            match a.status {
                202 if a.header("x-idempotency-replayed") == Some("true") && a.job_id() == job => {}
                // The original may still be finishing its own retry.
                409 if a.code() == "idempotency_key_in_use" => {}
                503 => {}
                other => record.violate(format!("replay of {idem}: {other} {}", a.json)),
            }
        }
        (Op::Conflict, Some((idem, _, _))) => {
            let body = json!({"prompt": format!("A different ad under {idem}")}).to_string();
            let a = send(
                app,
                record,
                op,
                request("POST", GENERATIONS, Some(key), Some(&idem), &body),
            )
            .await;
            if !(a.status == 409
                && ["idempotency_key_mismatch", "idempotency_key_in_use"].contains(&a.code()))
            {
                record.violate(format!(
                    "conflicting replay of {idem}: {} {}",
                    a.status, a.json
                ));
            }
        }
        (Op::Invalid, _) => {
            let body = r#"{"prompt":"\u200b","output":{"aspect_ratio":"7:3"},"colour":"red"}"#;
            let a = send(
                app,
                record,
                op,
                request("POST", GENERATIONS, Some(key), None, body),
            )
            .await;
            if a.status != 400 || a.json["error"]["param"].is_null() {
                record.violate(format!("invalid body: {} {}", a.status, a.json));
            }
        }
        (Op::Oversized, _) => {
            let mut req = request("POST", GENERATIONS, Some(key), None, "");
            *req.body_mut() = oversized.clone();
            let a = send(app, record, op, req).await;
            if a.status != 413 {
                record.violate(format!("oversized body: {} {}", a.status, a.json));
            }
        }
        (Op::Poll | Op::LongPoll, Some((_, job, _))) => {
            let path = if op == Op::Poll {
                format!("/api/v1/jobs/{job}")
            } else {
                format!("/api/v1/jobs/{job}?wait_for_completion=true&timeout_seconds=2")
            };
            let a = send(app, record, op, request("GET", &path, Some(key), None, "")).await;
            if a.status != 200 && a.status != 503 {
                record.violate(format!("read of {job}: {} {}", a.status, a.json));
            }
        }
        // A fresh submission (also whatever needs an accepted job before there is one).
        _ => fresh(app, record, key, rng, client, n).await,
    }
}

/// A new key and body, retried through 503s with the same key and body, as the contract
/// tells a client to.
async fn fresh(app: &App, record: &Record, key: &str, rng: &mut Rng, client: usize, n: usize) {
    let idem = format!("soak-{client}-{n}");
    let ratio = ["1:1", "16:9", "9:16", "4:5"][rng.below(4)];
    let body = json!({
        "prompt": format!("Soak ad {client}-{n}: autumn sale for a coffee shop, warm tones"),
        "output": {"aspect_ratio": ratio, "resolution": "512"},
    })
    .to_string();
    for attempt in 0..6 {
        let a = send(
            app,
            record,
            Op::Fresh,
            request("POST", GENERATIONS, Some(key), Some(&idem), &body),
        )
        .await;
        match a.status {
            202 => {
                let job = a.job_id();
                let mut accepted = lock(&record.accepted);
                if !accepted.jobs.insert(job) {
                    drop(accepted);
                    record.violate(format!(
                        "{idem} was given job {job}, which another key holds"
                    ));
                    return;
                }
                accepted.list.push((idem, job, body));
                return;
            }
            503 if attempt < 5 => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            409 if attempt < 5 && a.code() == "idempotency_key_in_use" => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => {
                record.violate(format!("submission {idem}: {other} {}", a.json));
                return;
            }
        }
    }
}

/// The two webhook receivers, their endpoints' secrets, and the event ids whose first
/// attempt receiver A refused.
struct Receivers<'a> {
    servers: [&'a TestServer; 2],
    secrets: &'a [Secret],
    refused: &'a Mutex<HashSet<String>>,
    /// When the run started, and the latest a delivery may be stamped (unix seconds).
    /// No signature may be stamped before the run started (or after the check reads it).
    run_started_at: i64,
}

/// The promises, once the clients have stopped.
async fn check(
    b: &Backend,
    app: &App,
    key: &str,
    org: Uuid,
    record: &Record,
    receivers: Receivers<'_>,
    settle: Duration,
) {
    let Receivers {
        servers,
        secrets,
        refused,
        run_started_at,
    } = receivers;
    let accepted: Vec<(String, Uuid)> = lock(&record.accepted)
        .list
        .iter()
        .map(|(k, j, _)| (k.clone(), *j))
        .collect();
    let deadline = Instant::now() + settle;
    let mut terminal = HashMap::new();
    for (idem, job) in &accepted {
        loop {
            let a = answer(
                app.api
                    .handle(request(
                        "GET",
                        &format!("/api/v1/jobs/{job}?wait_for_completion=true&timeout_seconds=10"),
                        Some(key),
                        None,
                        "",
                    ))
                    .await,
            );
            let status = a.json["status"].as_str().unwrap_or("").to_owned();
            if status == "completed" || status == "failed" {
                terminal.insert(*job, status);
                break;
            }
            if Instant::now() >= deadline {
                record.violate(format!("{idem}: job {job} still {status} after the run"));
                break;
            }
        }
    }
    for (job, status) in &terminal {
        if status != "completed" {
            record.violate(format!(
                "job {job} failed (the template renderer never should)"
            ));
            continue;
        }
        let stored = b.jobs.get(*job).await.ok().flatten();
        let Some(stored) = stored.filter(|j| j.status == JobStatus::Completed) else {
            record.violate(format!("job {job} answered completed but is not stored so"));
            continue;
        };
        let (Some(result_key), Some(applied)) =
            (stored.result_key(), stored.payload.output_applied)
        else {
            record.violate(format!("completed job {job} has no result"));
            continue;
        };
        match b.blobs.get(&result_key).await {
            Ok(Some(blob)) => match image::load_from_memory(&blob.bytes) {
                Ok(img) if (img.width(), img.height()) == (applied.width, applied.height) => {}
                Ok(img) => record.violate(format!(
                    "job {job}: image {}x{}, applied {}x{}",
                    img.width(),
                    img.height(),
                    applied.width,
                    applied.height
                )),
                Err(e) => record.violate(format!("job {job}: stored image does not decode: {e}")),
            },
            _ => record.violate(format!("completed job {job} has no stored image")),
        }
    }

    // Every terminal job's event, at each endpoint, under one id, verified. The deliveries
    // get a settle time of their own (the checks above may have used the first one up), and
    // each pass judges everything received so far: only the last pass's findings count.
    let deadline = Instant::now() + settle;
    for (r, receiver) in servers.iter().enumerate() {
        let mut ids: HashMap<Uuid, HashSet<String>> = HashMap::new();
        let mut attempts: HashMap<String, usize> = HashMap::new();
        let mut findings: Vec<String> = Vec::new();
        loop {
            ids.clear();
            attempts.clear();
            findings.clear();
            let read_at = SystemClock.now();
            for req in receiver.requests() {
                let event: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let Some(job) = event["data"]["job"]["id"]
                    .as_str()
                    .and_then(|s| Uuid::try_parse(s).ok())
                else {
                    findings.push(format!("receiver {r}: an event without a job: {event}"));
                    continue;
                };
                let id = req.header("webhook-id").unwrap_or("").to_owned();
                // The signature, judged as at its own timestamp (the receiver's clock at arrival
                // is not recorded); the timestamp itself must fall within the run.
                let timestamp = req.header("webhook-timestamp").unwrap_or("");
                let sent_at: i64 = timestamp.parse().unwrap_or(0);
                if !(run_started_at..=read_at + 1).contains(&sent_at) {
                    findings.push(format!(
                        "receiver {r}: event {id} stamped {timestamp}, outside the run"
                    ));
                }
                let verified = sign::verify(
                    &secrets[r],
                    &id,
                    timestamp,
                    req.header("webhook-signature").unwrap_or(""),
                    &req.body,
                    sent_at,
                );
                if verified.is_err() {
                    findings.push(format!(
                        "receiver {r}: event {id} does not verify: {verified:?}"
                    ));
                }
                *attempts.entry(id.clone()).or_default() += 1;
                ids.entry(job).or_default().insert(id);
            }
            // Delivered: an attempt answered 200 (a refused first attempt needs its retry).
            // (Receiver A's refusals only: the event id is the same at every endpoint.)
            let refused = if r == 0 {
                lock(refused).clone()
            } else {
                HashSet::new()
            };
            let delivered = |job: &Uuid| {
                ids.get(job).is_some_and(|set| {
                    set.iter().any(|id| {
                        let n = attempts.get(id).copied().unwrap_or(0);
                        n >= if refused.contains(id) { 2 } else { 1 }
                    })
                })
            };
            let missing: Vec<Uuid> = terminal.keys().filter(|j| !delivered(j)).copied().collect();
            if missing.is_empty() || Instant::now() >= deadline {
                for finding in findings.drain(..) {
                    record.violate(finding);
                }
                for job in missing {
                    record.violate(format!(
                        "receiver {r}: the events of job {job} never arrived ({})",
                        event_state(b, org, job).await
                    ));
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for (job, event_ids) in &ids {
            if !terminal.contains_key(job) {
                record.violate(format!(
                    "receiver {r}: an event for job {job}, never accepted"
                ));
            }
            if event_ids.len() != 1 {
                record.violate(format!(
                    "receiver {r}: job {job} arrived as {} events",
                    event_ids.len()
                ));
            }
        }
    }
}

/// Where a job's events stand, for a broken promise's report.
async fn event_state(b: &Backend, org: Uuid, job: Uuid) -> String {
    let dispatched = match b.jobs.get(job).await {
        Ok(Some(j)) => format!("events_dispatched {}", j.events_dispatched),
        other => format!("job read: {other:?}"),
    };
    let deliveries = match b
        .deliveries
        .list(org, adgen::ports::DeliveriesOf::Job(job), 10, 0)
        .await
    {
        Ok(page) => page
            .deliveries
            .iter()
            .map(|d| {
                format!(
                    "{:?} enqueued {} attempts {}",
                    d.status,
                    d.enqueued,
                    d.attempts.len()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("deliveries read: {e}"),
    };
    format!("{dispatched}; deliveries: [{deliveries}]")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn report(
    name: &str,
    record: &Record,
    elapsed: Duration,
    injected: usize,
    receiver_a_calls: usize,
    refused: usize,
) {
    let samples = lock(&record.samples);
    let total: usize = samples.values().map(Vec::len).sum();
    let accepted = lock(&record.accepted).list.len();
    println!(
        "{name}: {total} requests in {:.1} s = {:.0} req/s; {accepted} jobs accepted; {injected} store faults injected; receiver A called {receiver_a_calls} times ({refused} first attempts refused, each retried)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64().max(0.001)
    );
    println!("| request | count | p50 ms | p99 ms | max ms | statuses |");
    println!("|---|---:|---:|---:|---:|---|");
    for (op, list) in samples.iter() {
        let mut times: Vec<Duration> = list.iter().map(|(d, _)| *d).collect();
        times.sort();
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        for (_, s) in list {
            *statuses.entry(*s).or_default() += 1;
        }
        let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            op.label(),
            list.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            statuses.join(" ")
        );
    }
    println!();
}
