//! End to end: `adgen serve --allow-loopback-urls` delivers signed webhook events to a receiver
//! on loopback (spec §5, §8). The receiver answers 500 to the first attempt and 200 to the
//! retry; every delivery is verified with the reference Standard Webhooks library, not with
//! our own signing code.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adgen_testkit::standard_webhooks::verify;
use adgen_testkit::{Reply, Request, TestServer};
use serde_json::{Value, json};
use support::{GENERATIONS, Response, Server};

/// A retry is due 5 s (plus up to 10 %) after the first attempt.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// A receiver on loopback: answers `statuses` in turn (the last repeats), recording each
/// request and when it came.
struct Receiver {
    _runtime: tokio::runtime::Runtime,
    server: TestServer,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Receiver {
    fn start(statuses: &'static [u16]) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime for the receiver");
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let seen = arrivals.clone();
        let calls = AtomicUsize::new(0);
        let server = runtime.block_on(TestServer::plain(move |_: &Request| {
            seen.lock().expect("arrivals").push(Instant::now());
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Reply::new(statuses[n.min(statuses.len() - 1)], "thanks")
        }));
        Self {
            _runtime: runtime,
            server,
            arrivals,
        }
    }

    fn url(&self) -> String {
        self.server.url("http", "/hooks/adgen")
    }

    fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// Waits (bounded) until `count` requests have arrived.
    fn wait_for(&self, count: usize) -> Vec<Request> {
        let deadline = Instant::now() + DELIVERY_TIMEOUT;
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} deliveries arrived",
                requests.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn send(server: &Server, method: &str, path: &str, body: &Value) -> Response {
    let body = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(body).expect("serializes")
    };
    server.send(
        method,
        path,
        &[
            ("Authorization", server.bearer()),
            ("Content-Type", "application/json".to_owned()),
        ],
        &body,
    )
}

/// Registers `url`; the endpoint id and its secret (shown only now).
fn register(server: &Server, url: &str) -> (String, String) {
    let response = send(
        server,
        "POST",
        "/api/v1/webhooks",
        &json!({ "endpoint_url": url }),
    );
    assert_eq!(response.status, 201, "{response}");
    let data = &response.json()["data"];
    (
        data["id"].as_str().expect("id").to_owned(),
        data["secret"].as_str().expect("secret").to_owned(),
    )
}

fn wait_until_terminal(server: &Server, job_id: &str) -> Value {
    let path = format!("/api/v1/jobs/{job_id}?wait_for_completion=true&timeout_seconds=30");
    let response = send(server, "GET", &path, &Value::Null);
    assert_eq!(response.status, 200, "{response}");
    let data = response.json()["data"].clone();
    assert!(
        matches!(data["status"].as_str(), Some("completed" | "failed")),
        "{data}"
    );
    data
}

#[test]
fn events_are_signed_retried_and_logged() {
    let receiver = Receiver::start(&[500, 200]);
    let idle = Receiver::start(&[200]);
    let server = Server::start_with(&["--allow-loopback-urls"]);
    let (webhook, secret) = register(&server, &receiver.url());
    let (idle_id, _) = register(&server, &idle.url());
    let off = send(
        &server,
        "PATCH",
        &format!("/api/v1/webhooks/{idle_id}"),
        &json!({ "is_active": false }),
    );
    assert_eq!(off.status, 200, "{off}");

    let accepted = send(
        &server,
        "POST",
        GENERATIONS,
        &json!({
            "prompt": "Winter sale banner for an outdoor shop, crisp and cold",
            "client_reference_id": "camp-42",
            "metadata": { "campaign": "q4", "team": "growth" },
        }),
    );
    assert_eq!(accepted.status, 202, "{accepted}");
    let job_id = accepted.json()["data"]["job_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(wait_until_terminal(&server, &job_id)["status"], "completed");

    let requests = receiver.wait_for(2);
    let (first, retry) = (&requests[0], &requests[1]);
    let event_id = first.header("webhook-id").expect("webhook-id");
    assert_eq!(
        retry.header("webhook-id"),
        Some(event_id),
        "the retry carries the same id"
    );
    let arrivals = receiver.arrivals.lock().expect("arrivals").clone();
    let gap = arrivals[1] - arrivals[0];
    assert!(
        gap >= Duration::from_secs(5) && gap < Duration::from_secs(8),
        "retried after {gap:?}, not 5 s"
    );
    for request in [first, retry] {
        let event = verify(&secret, &request.headers, &request.body)
            .unwrap_or_else(|e| panic!("the reference library refused the signature: {e}"));
        assert_eq!(event["id"], event_id);
        assert_eq!(event["type"], "job.completed");
        let job = &event["data"]["job"];
        assert_eq!(job["id"], job_id.as_str());
        assert_eq!(job["client_reference_id"], "camp-42");
        assert_eq!(
            job["metadata"],
            json!({ "campaign": "q4", "team": "growth" })
        );
        let image = job["ad"]["image_url"].as_str().expect("the ad is expanded");
        assert!(image.starts_with(&server.base_url), "{image}");
    }
    assert!(
        verify(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            &first.headers,
            &first.body
        )
        .is_err()
    );

    let log = send(
        &server,
        "GET",
        &format!("/api/v1/webhooks/{webhook}/deliveries"),
        &Value::Null,
    );
    assert_eq!(log.status, 200, "{log}");
    let delivery = log.json()["data"]["data"][0].clone();
    assert_eq!(delivery["event_id"], event_id);
    assert_eq!(delivery["status"], "delivered");
    let codes: Vec<Value> = delivery["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(200)]);
    let expanded = send(
        &server,
        "GET",
        &format!("/api/v1/jobs/{job_id}?expand=deliveries"),
        &Value::Null,
    );
    assert_eq!(
        expanded.json()["data"]["deliveries"][0]["id"],
        delivery["id"]
    );

    // A failed job sends job.failed (the reference is on a closed loopback port).
    let doomed = send(
        &server,
        "POST",
        GENERATIONS,
        &json!({ "prompt": "A sale", "reference_images": ["http://127.0.0.1:9/missing.png"] }),
    );
    assert_eq!(doomed.status, 202, "{doomed}");
    let doomed_id = doomed.json()["data"]["job_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(wait_until_terminal(&server, &doomed_id)["status"], "failed");
    let requests = receiver.wait_for(3);
    let failed = verify(&secret, &requests[2].headers, &requests[2].body).expect("verifies");
    assert_eq!(failed["type"], "job.failed");
    assert_eq!(failed["data"]["job"]["id"], doomed_id.as_str());
    assert_eq!(
        failed["data"]["job"]["payload"]["failure_code"],
        "reference_input_invalid"
    );

    assert!(
        idle.requests().is_empty(),
        "an inactive endpoint receives nothing"
    );
}

#[test]
fn both_secrets_sign_during_a_rotation() {
    let receiver = Receiver::start(&[200]);
    let server = Server::start_with(&["--allow-loopback-urls"]);
    let (webhook, old) = register(&server, &receiver.url());
    let rotated = send(
        &server,
        "POST",
        &format!("/api/v1/webhooks/{webhook}/rotate-secret"),
        &Value::Null,
    );
    assert_eq!(rotated.status, 200, "{rotated}");
    let new = rotated.json()["data"]["secret"]
        .as_str()
        .expect("the new secret")
        .to_owned();
    assert_ne!(new, old);

    let tested = send(
        &server,
        "POST",
        &format!("/api/v1/webhooks/{webhook}/test"),
        &Value::Null,
    );
    assert_eq!(tested.status, 200, "{tested}");
    assert_eq!(tested.json()["data"]["attempts"][0]["status_code"], 200);
    let ping = &receiver.wait_for(1)[0];
    let signatures = ping.header("webhook-signature").expect("signed");
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    for secret in [&old, &new] {
        let event = verify(secret, &ping.headers, &ping.body)
            .unwrap_or_else(|e| panic!("{secret} does not verify: {e}"));
        assert_eq!(event["type"], "webhook.test");
    }
}

#[test]
fn webhook_urls_must_be_public_https_without_the_switch() {
    let server = Server::start();
    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
    ] {
        let response = send(
            &server,
            "POST",
            "/api/v1/webhooks",
            &json!({ "endpoint_url": url }),
        );
        assert_eq!(response.status, 400, "{url}: {response}");
        assert_eq!(response.json()["error"]["param"], "endpoint_url");
    }
}
