//! Security, on every adapter set: another organisation's ids answer exactly as missing ones
//! on every route (spec §2), and no API key, webhook secret, signature, image bytes or
//! presigned signature reaches a log line, whatever the request did (a 2xx, a 4xx, a 5xx).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use adgen::http::{BrandRoute, Route, WebhookRoute, route};
use adgen_testkit::{Reply, TestServer};
use adgen_tests::{
    App, Backend, Kind, ManualClock, NOW, answer, local_webhook_sender, on_every_backend, png_b64,
    request,
};
use http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

on_every_backend!(
    another_organisations_ids_answer_404_on_every_route,
    no_secret_reaches_a_log_line,
);

/// Every route by name; the match is exhaustive, so a new route cannot miss the walk below.
fn route_name(route: &Route) -> &'static str {
    match route {
        Route::Submit => "submit",
        Route::CreateUpload => "uploads.create",
        Route::ReceiveUpload(_) => "uploads.receive",
        Route::GetJob(_) => "jobs.get",
        Route::Brand(b) => match b {
            BrandRoute::Create => "brands.create",
            BrandRoute::List => "brands.list",
            BrandRoute::Extract => "brands.extract",
            BrandRoute::Get(_) => "brands.get",
            BrandRoute::Delete(_) => "brands.delete",
        },
        Route::Webhook(w) => match w {
            WebhookRoute::Create => "webhooks.create",
            WebhookRoute::List => "webhooks.list",
            WebhookRoute::Get(_) => "webhooks.get",
            WebhookRoute::Update(_) => "webhooks.update",
            WebhookRoute::Delete(_) => "webhooks.delete",
            WebhookRoute::RotateSecret(_) => "webhooks.rotate_secret",
            WebhookRoute::Test(_) => "webhooks.test",
            WebhookRoute::Deliveries(_) => "webhooks.deliveries",
            WebhookRoute::Resend { .. } => "webhooks.resend",
        },
    }
}

const ROUTE_COUNT: usize = 18;

/// One request of the walk: method, path, Idempotency-Key, body, expected status and code.
type Step<'a> = (&'a str, String, Option<&'a str>, String, u16, &'a str);

async fn call(
    app: &App,
    key: &str,
    method: &str,
    path: &str,
    idem: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let a = answer(
        app.api
            .handle(request(method, path, Some(key), idem, body))
            .await,
    );
    (a.status, a.json)
}

/// A's records, as A reads them: the walk must leave them exactly so.
async fn snapshot(app: &App, key: &str, job: Uuid, brand: &str, webhook: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        format!("/api/v1/brands/{brand}"),
        format!("/api/v1/webhooks/{webhook}"),
        format!("/api/v1/webhooks/{webhook}/deliveries"),
        "/api/v1/brands".to_owned(),
        "/api/v1/webhooks".to_owned(),
    ] {
        let (status, body) = call(app, key, "GET", &path, None, "").await;
        assert_eq!(status, 200, "{path}: {body}");
        seen.push(body["data"].clone());
    }
    let (status, body) = call(app, key, "GET", &format!("/api/v1/jobs/{job}"), None, "").await;
    assert_eq!(status, 200, "{body}");
    seen.push(json!([body["data"]["id"], body["status"]]));
    seen
}

async fn another_organisations_ids_answer_404_on_every_route(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (a_key, a_org) = b.new_key().await;
    let (b_key, _) = b.new_key().await;
    let receiver = TestServer::plain(|_| Reply::new(200, "ok")).await;

    // A's records: a brand, a webhook endpoint, a finished job and its delivery.
    let (status, brand) = call(
        &app,
        &a_key,
        "POST",
        "/api/v1/brands",
        None,
        &json!({"name": "Acme", "brand_dna": {"core_slogan": "Built to last"}}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{brand}");
    let brand = brand["data"]["id"].as_str().expect("brand id").to_owned();
    let (status, webhook) = call(
        &app,
        &a_key,
        "POST",
        "/api/v1/webhooks",
        None,
        &json!({"endpoint_url": receiver.url("http", "/hook")}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{webhook}");
    let webhook = webhook["data"]["id"]
        .as_str()
        .expect("webhook id")
        .to_owned();
    let submission = json!({"prompt": "Autumn sale", "brand_id": brand}).to_string();
    let (status, accepted) = call(
        &app,
        &a_key,
        "POST",
        "/api/v1/images/generations",
        Some("shared-key"),
        &submission,
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let job = Uuid::try_parse(accepted["data"]["job_id"].as_str().expect("job")).expect("uuid");
    b.work_on(clock.clone(), job, a_org).await;
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let (_, log) = call(
        &app,
        &a_key,
        "GET",
        &format!("/api/v1/webhooks/{webhook}/deliveries"),
        None,
        "",
    )
    .await;
    let delivery = log["data"]["data"][0]["id"]
        .as_str()
        .expect("delivery id")
        .to_owned();
    let (status, upload) = call(
        &app,
        &a_key,
        "POST",
        "/api/v1/uploads",
        None,
        &json!({"content_type": "image/png", "size_bytes": 100}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{upload}");
    let upload_id = upload["data"]["id"].as_str().expect("upload id").to_owned();
    let upload_ref = upload["data"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let before = snapshot(&app, &a_key, job, &brand, &webhook).await;

    // B walks every route with A's ids.
    let patch = json!({"is_active": false}).to_string();
    let walk: Vec<Step> = vec![
        (
            "GET",
            format!("/api/v1/jobs/{job}"),
            None,
            String::new(),
            404,
            "job_not_found",
        ),
        (
            "GET",
            format!(
                "/api/v1/jobs/{job}?expand=ad,brand,diagnostics,deliveries&wait_for_completion=true&timeout_seconds=1"
            ),
            None,
            String::new(),
            404,
            "job_not_found",
        ),
        (
            "GET",
            format!("/api/v1/brands/{brand}"),
            None,
            String::new(),
            404,
            "brand_not_found",
        ),
        (
            "DELETE",
            format!("/api/v1/brands/{brand}"),
            None,
            String::new(),
            404,
            "brand_not_found",
        ),
        (
            "GET",
            format!("/api/v1/webhooks/{webhook}"),
            None,
            String::new(),
            404,
            "webhook_not_found",
        ),
        (
            "PATCH",
            format!("/api/v1/webhooks/{webhook}"),
            None,
            patch.clone(),
            404,
            "webhook_not_found",
        ),
        (
            "DELETE",
            format!("/api/v1/webhooks/{webhook}"),
            None,
            String::new(),
            404,
            "webhook_not_found",
        ),
        (
            "POST",
            format!("/api/v1/webhooks/{webhook}/rotate-secret"),
            None,
            String::new(),
            404,
            "webhook_not_found",
        ),
        (
            "POST",
            format!("/api/v1/webhooks/{webhook}/test"),
            None,
            String::new(),
            404,
            "webhook_not_found",
        ),
        (
            "GET",
            format!("/api/v1/webhooks/{webhook}/deliveries"),
            None,
            String::new(),
            404,
            "webhook_not_found",
        ),
        (
            "POST",
            format!("/api/v1/webhooks/{webhook}/deliveries/{delivery}/resend"),
            None,
            String::new(),
            404,
            "webhook_not_found",
        ),
        // A's brand cannot be used by B, and A's idempotency key is not B's.
        (
            "POST",
            "/api/v1/images/generations".to_owned(),
            Some("shared-key"),
            submission.clone(),
            400,
            "brand_not_found",
        ),
        // A's upload is unknown to B's submissions; its PUT URL is a capability (as a
        // presigned URL is), and still holds whoever has it to the declaration.
        (
            "POST",
            "/api/v1/images/generations".to_owned(),
            None,
            json!({"prompt": "Autumn sale", "reference_images": [upload_ref]}).to_string(),
            400,
            "upload_not_found",
        ),
        (
            "PUT",
            format!("/uploads/{upload_id}"),
            None,
            "{}".to_owned(),
            400,
            "upload_type_mismatch",
        ),
        (
            "POST",
            "/api/v1/uploads".to_owned(),
            None,
            json!({"content_type": "image/jpeg", "size_bytes": 10}).to_string(),
            201,
            "",
        ),
        // Listings and creation see B's own (empty) organisation only.
        (
            "GET",
            "/api/v1/brands".to_owned(),
            None,
            String::new(),
            200,
            "",
        ),
        (
            "GET",
            "/api/v1/webhooks".to_owned(),
            None,
            String::new(),
            200,
            "",
        ),
        (
            "POST",
            "/api/v1/brands".to_owned(),
            None,
            json!({"name": "Other"}).to_string(),
            201,
            "",
        ),
        (
            "POST",
            "/api/v1/webhooks".to_owned(),
            None,
            json!({"endpoint_url": receiver.url("http", "/b")}).to_string(),
            201,
            "",
        ),
        (
            "POST",
            "/api/v1/brands/extract".to_owned(),
            Some("shared-key"),
            json!({"url": receiver.url("http", "/")}).to_string(),
            202,
            "",
        ),
    ];
    let mut walked = std::collections::BTreeSet::new();
    for (method, path, idem, body, status, code) in &walk {
        let method_ = Method::from_bytes(method.as_bytes()).expect("method");
        let bare = path.split('?').next().unwrap_or(path);
        walked.insert(route_name(&route(&method_, bare).expect("a route")));
        let (got, answer) = call(&app, &b_key, method, path, *idem, body).await;
        assert_eq!(got, *status, "{method} {path}: {answer}");
        if !code.is_empty() {
            assert_eq!(answer["error"]["code"], *code, "{method} {path}");
        }
        // Nothing in any answer names A's records.
        let text = answer.to_string();
        for id in [
            job.to_string(),
            brand.clone(),
            webhook.clone(),
            delivery.clone(),
            upload_id.clone(),
        ] {
            assert!(!text.contains(&id), "{method} {path} leaked {id}: {text}");
        }
        if *method == "GET" && (path.ends_with("/brands") || path.ends_with("/webhooks")) {
            assert_eq!(answer["data"]["total_count"], 0, "{path}: {answer}");
        }
    }
    assert_eq!(walked.len(), ROUTE_COUNT, "every route walked: {walked:?}");
    // And A's records are exactly as they were: nothing rotated, patched or deleted.
    assert_eq!(snapshot(&app, &a_key, job, &brand, &webhook).await, before);
    assert_eq!(
        receiver.requests().len(),
        1,
        "B's test event went nowhere of A's"
    );
}

/// Every log line the test binary writes (our crates at every level, dependencies at the
/// production level), captured once for the whole binary.
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let filter = "info,adgen=trace,adgen_aws=trace,adgen_embedded=trace,adgen_outbound=trace,adgen_render=trace";
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .try_init()
            .expect("the capturing subscriber is the binary's first");
        logs
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn no_secret_reaches_a_log_line(b: Backend) {
    let logs = captured();
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let receiver = TestServer::plain(|_| Reply::new(200, "ok")).await;
    let mut secrets: Vec<String> = vec![key.clone()];

    // A webhook endpoint with a generated secret, then rotated (both secrets sign for 24 h).
    let (status, created) = call(
        &app,
        &key,
        "POST",
        "/api/v1/webhooks",
        None,
        &json!({"endpoint_url": receiver.url("http", "/hook")}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let webhook = created["data"]["id"].as_str().expect("id").to_owned();
    secrets.push(
        created["data"]["secret"]
            .as_str()
            .expect("secret")
            .to_owned(),
    );
    let (status, rotated) = call(
        &app,
        &key,
        "POST",
        &format!("/api/v1/webhooks/{webhook}/rotate-secret"),
        None,
        "",
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    secrets.push(
        rotated["data"]["secret"]
            .as_str()
            .expect("secret")
            .to_owned(),
    );
    // Never returned after creation or rotation.
    let (_, read) = call(
        &app,
        &key,
        "GET",
        &format!("/api/v1/webhooks/{webhook}"),
        None,
        "",
    )
    .await;
    assert!(read["data"].get("secret").is_none(), "{read}");
    for secret in &secrets[1..] {
        assert!(!read.to_string().contains(secret.as_str()));
    }

    // A job with inline images (raw base64 and a data URL), generated and delivered.
    let raw = png_b64();
    let data_url = format!(
        "data:image/png;base64,{}",
        adgen_tests::b64(&adgen_testkit::images::png(9, 7))
    );
    let (status, accepted) = call(
        &app,
        &key,
        "POST",
        "/api/v1/images/generations",
        Some("log-test"),
        &json!({"prompt": "Spring sale", "reference_images": [raw, data_url]}).to_string(),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let job = Uuid::try_parse(accepted["data"]["job_id"].as_str().expect("job")).expect("uuid");
    b.work_on(clock.clone(), job, org).await;
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let delivered = receiver.requests();
    let signatures = delivered[0]
        .header("webhook-signature")
        .expect("signed")
        .to_owned();
    for signature in signatures.split(' ') {
        secrets.push(signature.trim_start_matches("v1,").to_owned());
    }
    let (status, read) = call(
        &app,
        &key,
        "GET",
        &format!("/api/v1/jobs/{job}?expand=ad"),
        None,
        "",
    )
    .await;
    assert_eq!(status, 200, "{read}");
    let image_url = read["data"]["ad"]["image_url"]
        .as_str()
        .expect("image url")
        .to_owned();
    if b.kind == Kind::Aws {
        let signature = url::Url::parse(&image_url)
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-Signature")
            .map(|(_, v)| v.into_owned())
            .expect("a presigned URL");
        secrets.push(signature);
    }

    // Refusals and failures log too: a wrong key, a bad body, an outage (a 503).
    let wrong = format!("sk_live_{}", Uuid::new_v4().simple());
    let (status, _) = call(&app, &wrong, "GET", "/api/v1/brands", None, "").await;
    assert_eq!(status, 401);
    secrets.push(wrong);
    let (status, _) = call(
        &app,
        &key,
        "POST",
        "/api/v1/images/generations",
        None,
        r#"{"prompt":""}"#,
    )
    .await;
    assert_eq!(status, 400);
    app.queue.fail_next(1);
    let (status, _) = call(
        &app,
        &key,
        "POST",
        "/api/v1/images/generations",
        None,
        r#"{"prompt":"outage"}"#,
    )
    .await;
    assert_eq!(status, 503);

    let text = String::from_utf8_lossy(&logs.lock().expect("logs").clone()).into_owned();
    // The capture works: this test's requests are there.
    assert!(
        text.contains("job accepted") && text.contains("request failed"),
        "{text}"
    );
    let mut forbidden: Vec<String> = secrets.clone();
    // The secrets' key material without the prefix, and any stretch of the images' base64.
    forbidden.extend(
        secrets
            .iter()
            .filter_map(|s| s.strip_prefix("whsec_").map(str::to_owned)),
    );
    forbidden.push(raw[raw.len() / 2 - 16..raw.len() / 2 + 16].to_owned());
    for needle in &forbidden {
        assert!(
            !text.contains(needle.as_str()),
            "a log line holds a secret or image bytes ({}…): {}",
            &needle[..needle.len().min(12)],
            text.lines()
                .find(|l| l.contains(needle.as_str()))
                .unwrap_or("")
        );
    }
}
