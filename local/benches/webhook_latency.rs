//! How soon a finished job's webhook reaches its endpoint in `adgen serve`: 20 jobs one after
//! another; for each, the time from the moment a long-poll sees the job completed to the
//! moment the loopback receiver gets the first attempt. Both instants are taken in this
//! process, so no clocks are compared. Prints median, p90, min and max.
//!
//! `cargo bench -p adgen-local --bench webhook_latency` (release build of `adgen`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adgen_testkit::{Reply, Request, TestServer};
use serde_json::{Value, json};
use support::{GENERATIONS, Server};

const JOBS: usize = 20;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let seen = arrivals.clone();
    let receiver = runtime.block_on(TestServer::plain(move |_: &Request| {
        seen.lock().expect("arrivals").push(Instant::now());
        Reply::new(204, "")
    }));
    let server = Server::start_with(&["--allow-loopback-urls"]);
    let headers = [
        ("Authorization", server.bearer()),
        ("Content-Type", "application/json".to_owned()),
    ];
    let body = json!({ "endpoint_url": receiver.url("http", "/hook") }).to_string();
    let created = server.send("POST", "/api/v1/webhooks", &headers, body.as_bytes());
    assert_eq!(created.status, 201, "{created}");

    let mut millis = Vec::with_capacity(JOBS);
    for n in 0..JOBS {
        let body = json!({ "prompt": format!("Weekend offer number {n}"), "output": {"resolution": "1K"} });
        let accepted = server.send("POST", GENERATIONS, &headers, body.to_string().as_bytes());
        assert_eq!(accepted.status, 202, "{accepted}");
        let job = accepted.json()["data"]["job_id"]
            .as_str()
            .expect("job id")
            .to_owned();
        let path = format!("/api/v1/jobs/{job}?wait_for_completion=true&timeout_seconds=30");
        let read = server.send("GET", &path, &headers, b"");
        let done = Instant::now();
        let data: Value = read.json()["data"].clone();
        assert_eq!(data["status"], "completed", "{data}");
        let deadline = done + Duration::from_secs(10);
        let arrived = loop {
            if let Some(at) = arrivals.lock().expect("arrivals").get(n) {
                break *at;
            }
            assert!(
                Instant::now() < deadline,
                "job {n}: no delivery within 10 s"
            );
            std::thread::sleep(Duration::from_millis(1));
        };
        // An attempt may even beat the long-poll's answer: counted as 0.
        millis.push(arrived.saturating_duration_since(done).as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let at = |q: f64| millis[((millis.len() - 1) as f64 * q).round() as usize];
    println!(
        "completion -> first webhook attempt, {JOBS} jobs: median {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.9),
        millis[0],
        millis[millis.len() - 1]
    );
}
