//! End to end: the real `adgen` binary runs `serve` on a free loopback port over a fresh data
//! folder, and this test speaks HTTP/1.1 to it over plain TCP through the hand-written client
//! in `support/mod.rs`: request targets go out byte for byte, and every response is checked
//! for exactly the bytes its head announces.
//!
//! Every wait is bounded (startup, socket reads and writes, job polling, the CLI), and the
//! server process is killed when the test ends, panics included.

mod support;

use std::time::{Duration, Instant};

use adgen::service::submit::SubmitSettings;
use adgen_testkit::images as samples;
use serde_json::{Value, json};
use support::{GENERATIONS, Response, Server, path_arg, run_cli};
use uuid::Uuid;

/// The template generator renders a 512 px ad in well under a second; 30 s is a hang.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(100);

#[test]
fn serve_end_to_end() {
    let server = Server::start();

    let job_id = submit_and_replay(&server);
    let (image_path, output) = wait_until_completed(&server, job_id);
    serve_the_image(&server, &image_path, output);
    refuse_everything_else_under_files(&server, job_id);
    hide_jobs_from_other_organisations(&server, job_id);
    refuse_invalid_requests(&server);
}

/// Step 2: a submission is accepted once; the same request again is its replay.
fn submit_and_replay(server: &Server) -> Uuid {
    let reference = samples::png(64, 48);
    let body = serde_json::to_vec(&json!({
        // "banner" resolves `auto` to 16:9: a non-square size catches swapped width/height.
        "prompt": "Autumn sale banner for a coffee shop, warm tones",
        "reference_images": [adgen_testkit::b64(&reference)],
        "brand_identity_json": {
            "primary_background_hex": "#1F2A44",
            "primary_accent_hex": "#F2A541",
            "color_palette": ["#1F2A44", "#F2A541", "#FFFFFF"],
            "core_slogan": "Warm cups, cool prices",
            "call_to_action": "Order now"
        },
        "output": {"resolution": "512", "format": "png"},
        "client_reference_id": "e2e-serve",
        "metadata": {"suite": "serve"}
    }))
    .expect("the request body serializes");
    let idempotency_key = format!("e2e-serve-{}", Uuid::new_v4());
    let headers = [
        ("Authorization", server.bearer()),
        ("Content-Type", "application/json".to_owned()),
        ("Idempotency-Key", idempotency_key),
    ];

    let first = server.send("POST", GENERATIONS, &headers, &body);
    assert_eq!(first.status, 202, "submission: {first}");
    assert_eq!(first.header("x-idempotency-replayed"), None, "{first}");
    let envelope = first.json();
    assert_eq!(text(&envelope, "/object"), "job");
    assert_eq!(text(&envelope, "/status"), "queued");
    let job_id = Uuid::try_parse(text(&envelope, "/data/job_id")).expect("data.job_id is a UUID");
    assert_eq!(
        first.header("location"),
        Some(format!("/api/v1/jobs/{job_id}").as_str()),
        "{first}"
    );
    assert_eq!(first.header("x-request-id"), Some(text(&envelope, "/id")));

    // Staged inputs really are on disk (the /files probes below must refuse a real file).
    let staged = server.staged_reference(job_id);
    assert_eq!(
        std::fs::read(&staged).expect("the inline reference is staged"),
        reference,
        "{}",
        staged.display()
    );

    let replay = server.send("POST", GENERATIONS, &headers, &body);
    assert_eq!(replay.status, 202, "replay: {replay}");
    assert_eq!(replay.header("x-idempotency-replayed"), Some("true"));
    assert_eq!(
        replay.body, first.body,
        "a replay is the original body, byte for byte"
    );
    assert_eq!(replay.header("location"), first.header("location"));
    assert_eq!(replay.header("x-request-id"), first.header("x-request-id"));
    job_id
}

/// What `payload.output_applied` promised: the served image must be exactly this.
#[derive(Debug, Clone, Copy)]
struct Output {
    width: u32,
    height: u32,
}

/// Step 3: the in-process worker completes the job; the record says what it made and where.
fn wait_until_completed(server: &Server, job_id: Uuid) -> (String, Output) {
    let path = format!("/api/v1/jobs/{job_id}");
    let deadline = Instant::now() + JOB_TIMEOUT;
    let job = loop {
        let response = server.send("GET", &path, &[("Authorization", server.bearer())], b"");
        assert_eq!(response.status, 200, "{response}");
        let envelope = response.json();
        match text(&envelope, "/data/status") {
            "completed" => break envelope,
            "queued" | "processing" => {}
            other => panic!("job ended {other}: {response}"),
        }
        assert!(
            Instant::now() < deadline,
            "job not completed within {JOB_TIMEOUT:?}: {response}"
        );
        std::thread::sleep(POLL_EVERY);
    };
    let data = &job["data"];
    assert_eq!(text(data, "/id"), job_id.to_string());
    assert_eq!(text(data, "/type"), "ad_generation");
    assert_eq!(text(data, "/client_reference_id"), "e2e-serve");
    assert_eq!(text(data, "/metadata/suite"), "serve");
    assert_eq!(text(data, "/payload/phase"), "completed");
    assert_eq!(text(data, "/payload/provider"), "template");
    assert_eq!(data["payload"]["input"]["reference_image_count"], 1);
    assert_eq!(data["payload"]["input"]["has_brand_identity_json"], true);
    assert_eq!(text(data, "/result_url"), format!("ads/{job_id}"));

    let applied = &data["payload"]["output_applied"];
    assert_eq!(text(applied, "/format"), "png", "{applied}");
    assert_eq!(text(applied, "/resolution"), "512", "{applied}");
    assert_eq!(text(applied, "/aspect_ratio"), "16:9", "{applied}");
    let side = |name: &str| -> u32 {
        applied[name]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or_else(|| panic!("output_applied.{name} is not a size: {applied}"))
    };
    let output = Output {
        width: side("width"),
        height: side("height"),
    };
    assert!(
        output.width > output.height && output.height > 0,
        "16:9 is landscape: {applied}"
    );

    let image_url = text(data, "/payload/image_url");
    let files_prefix = format!("{}/files/ads/", server.base_url);
    assert!(
        image_url.starts_with(&files_prefix) && image_url.ends_with(".png"),
        "image_url {image_url:?} is not a .png under {files_prefix}"
    );
    let path = image_url
        .strip_prefix(&server.base_url)
        .expect("checked above")
        .to_owned();
    (path, output)
}

/// Step 4: the result image, with the caching headers a presigned URL would not need.
fn serve_the_image(server: &Server, path: &str, output: Output) {
    let image = server.send("GET", path, &[], b"");
    assert_eq!(image.status, 200, "{image}");
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert_eq!(image.header("x-content-type-options"), Some("nosniff"));
    assert!(image.header("cache-control").is_some(), "{image}");
    // (`send` already checked that exactly content-length body bytes arrived.)
    assert_eq!(image.content_length(), Some(image.body.len()));
    let etag = image.header("etag").expect("an etag").to_owned();
    assert!(etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'));
    let decoded = image::load_from_memory_with_format(&image.body, image::ImageFormat::Png)
        .expect("the served image is a PNG");
    assert_eq!(
        (decoded.width(), decoded.height()),
        (output.width, output.height),
        "the image has exactly the size of output_applied"
    );

    let fresh = server.send("GET", path, &[("If-None-Match", etag.clone())], b"");
    assert_eq!(fresh.status, 304, "{fresh}");
    assert!(fresh.body.is_empty(), "{fresh}");
    assert_eq!(fresh.header("etag"), Some(etag.as_str()));

    let head = server.send("HEAD", path, &[], b"");
    assert_eq!(head.status, 200, "{head}");
    assert!(head.body.is_empty(), "{head}");
    assert_eq!(head.header("content-type"), Some("image/png"));
    assert_eq!(head.content_length(), Some(image.body.len()));
    assert_eq!(head.header("etag"), Some(etag.as_str()));
}

/// Step 5: only finished ads are public; nothing else in the data folder leaks through /files.
fn refuse_everything_else_under_files(server: &Server, job_id: Uuid) {
    let org = server.org;
    let staged = server.staged_reference(job_id);
    assert!(staged.is_file(), "{} must exist", staged.display());
    let probes = [
        "/files/ads/../adgen.sqlite3".to_owned(),
        "/files/../adgen.sqlite3".to_owned(),
        "/files/ads/../../adgen.sqlite3".to_owned(),
        "/files/ads/%2e%2e/%2e%2e/adgen.sqlite3".to_owned(),
        "/files/ads%2F..%2Fadgen.sqlite3".to_owned(),
        "/files//etc/passwd".to_owned(),
        "/files/%2Fetc%2Fpasswd".to_owned(),
        format!("/files/ads/{org}/../../staging/{org}/{job_id}/0"),
        format!("/files/staging/{org}/{job_id}/0"),
        format!("/files/ads/{org}/{}.png", Uuid::new_v4()),
        // The blob store's sidecar file beside a real image is not an image.
        format!("/files/ads/{org}/{job_id}.png.content-type"),
    ];
    for target in &probes {
        let response = server.send("GET", target, &[], b"");
        assert_eq!(response.status, 404, "GET {target}: {response}");
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "GET {target}: {response}"
        );
        let envelope = response.json();
        assert_eq!(
            text(&envelope, "/error/code"),
            "image_not_found",
            "{target}"
        );
        assert_eq!(
            response.header("x-request-id"),
            Some(text(&envelope, "/error/request_id")),
            "{target}"
        );
        for leak in [&b"SQLite format 3"[..], b"\x89PNG", b"root:"] {
            assert!(
                !contains(&response.body, leak),
                "GET {target} leaked file contents: {response}"
            );
        }
    }

    let post = server.send(
        "POST",
        &format!("/files/ads/{org}/{job_id}.png"),
        &[("Content-Type", "application/json".to_owned())],
        b"{}",
    );
    assert_eq!(post.status, 405, "{post}");
    assert_eq!(text(&post.json(), "/error/code"), "method_not_allowed");
    assert!(post.header("allow") == Some("GET, HEAD"), "{post}");
}

/// Step 6: another organisation's key, minted by the CLI while the server runs, cannot tell a
/// job of someone else's from one that does not exist.
fn hide_jobs_from_other_organisations(server: &Server, job_id: Uuid) {
    let other_org = Uuid::new_v4();
    let output = run_cli(
        &[
            "keys",
            "create",
            "--org",
            &other_org.to_string(),
            "--data-dir",
            path_arg(&server.data_dir),
        ],
        &[],
    );
    let other_key = output.trim().to_owned();
    assert!(
        other_key.starts_with("sk_live_") && !other_key.contains(char::is_whitespace),
        "keys create printed {output:?}"
    );
    let other = format!("Bearer {other_key}");

    let theirs = server.send(
        "GET",
        &format!("/api/v1/jobs/{job_id}"),
        &[("Authorization", other.clone())],
        b"",
    );
    let missing_for_them = server.send(
        "GET",
        &format!("/api/v1/jobs/{}", Uuid::new_v4()),
        &[("Authorization", other)],
        b"",
    );
    let missing_for_owner = server.send(
        "GET",
        &format!("/api/v1/jobs/{}", Uuid::new_v4()),
        &[("Authorization", server.bearer())],
        b"",
    );
    let canonical = |response: &Response| {
        assert_eq!(response.status, 404, "{response}");
        let mut envelope = response.json();
        assert_eq!(
            text(&envelope, "/error/code"),
            "job_not_found",
            "{response}"
        );
        let request_id = envelope["error"]
            .as_object_mut()
            .and_then(|error| error.remove("request_id"))
            .expect("error.request_id");
        assert_eq!(response.header("x-request-id"), request_id.as_str());
        // Every header but the per-request ones, values included (content-length too).
        let mut headers: Vec<(String, String)> = response
            .headers
            .iter()
            .filter(|(name, _)| name != "x-request-id" && name != "date")
            .cloned()
            .collect();
        headers.sort_unstable();
        (envelope, headers)
    };
    let expected = canonical(&missing_for_owner);
    assert_eq!(canonical(&theirs), expected);
    assert_eq!(canonical(&missing_for_them), expected);
}

/// Step 7: refusals over the wire, each with its envelope.
fn refuse_invalid_requests(server: &Server) {
    let body = br#"{"prompt":"A poster for a bakery"}"#;

    let anonymous = server.send(
        "POST",
        GENERATIONS,
        &[("Content-Type", "application/json".to_owned())],
        body,
    );
    assert_eq!(anonymous.status, 401, "{anonymous}");
    let envelope = anonymous.json();
    assert_eq!(
        text(&envelope, "/error/code"),
        "missing_authorization_header"
    );
    assert_eq!(
        anonymous.header("x-request-id"),
        Some(text(&envelope, "/error/request_id")),
        "{anonymous}"
    );

    let plain = server.send(
        "POST",
        GENERATIONS,
        &[
            ("Authorization", server.bearer()),
            ("Content-Type", "text/plain".to_owned()),
        ],
        body,
    );
    assert_eq!(plain.status, 415, "{plain}");
    assert_eq!(text(&plain.json(), "/error/code"), "unsupported_media_type");

    let limit = SubmitSettings::default().max_body_bytes;
    let mut huge = Vec::with_capacity(7 << 20);
    huge.extend_from_slice(br#"{"prompt":""#);
    huge.resize((7 << 20) - 2, b'a');
    huge.extend_from_slice(br#""}"#);
    assert!(huge.len() > limit);

    // The whole 7 MiB, written while the answer is read (the server may answer, and close,
    // before it has taken it all).
    let too_large = server.send_large(&huge, huge.len());
    assert_eq!(too_large.status, 413, "{too_large}");
    assert_eq!(text(&too_large.json(), "/error/code"), "request_too_large");

    // The same head, but only limit + 1 bytes of the body, and the connection left open: the
    // server reads no further than that, so it answers now instead of waiting for the rest
    // (its body timeout is 30 s, far past this client's read timeout).
    let truncated = server.send_large(&huge, limit + 1);
    assert_eq!(truncated.status, 413, "{truncated}");
    assert_eq!(text(&truncated.json(), "/error/code"), "request_too_large");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The string at a JSON pointer; a panic names what was missing.
fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value}"))
}

/// CORS is off unless origins are listed; the per-key rate limit is off unless set. Both as
/// flags of `adgen serve`, over the wire.
#[test]
fn cors_and_rate_limits_are_opt_in_flags() {
    let preflight = |server: &Server, origin: &str| {
        server.send(
            "OPTIONS",
            "/api/v1/images/generations",
            &[
                ("Origin", origin.to_owned()),
                ("Access-Control-Request-Method", "POST".to_owned()),
                (
                    "Access-Control-Request-Headers",
                    "authorization, content-type, idempotency-key".to_owned(),
                ),
            ],
            b"",
        )
    };
    let list = |server: &Server, origin: &str| {
        server.send(
            "GET",
            "/api/v1/brands",
            &[
                ("Authorization", server.bearer()),
                ("Origin", origin.to_owned()),
            ],
            b"",
        )
    };

    let plain = Server::start();
    let refused = preflight(&plain, "https://app.example.com");
    assert_eq!(refused.status, 405, "{refused}");
    assert_eq!(refused.header("access-control-allow-origin"), None);
    let read = list(&plain, "https://app.example.com");
    assert_eq!(read.status, 200);
    assert_eq!(read.header("access-control-allow-origin"), None);
    assert_eq!(
        read.header("x-ratelimit-limit"),
        None,
        "no limit by default"
    );
    drop(plain);

    let server = Server::start_with(&[
        "--cors-allow-origin",
        "https://app.example.com",
        "--rate-limit-per-minute",
        "3",
    ]);
    let allowed = preflight(&server, "https://app.example.com");
    assert_eq!(allowed.status, 204, "{allowed}");
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(
        allowed
            .header("access-control-allow-headers")
            .is_some_and(|h| h.contains("authorization") && h.contains("idempotency-key"))
    );
    let other = preflight(&server, "https://evil.example");
    assert_eq!(other.status, 405);
    assert_eq!(other.header("access-control-allow-origin"), None);

    // Preflights are not authenticated requests: they count for no key.
    let first = list(&server, "https://app.example.com");
    assert_eq!(first.status, 200, "{first}");
    assert_eq!(
        first.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(
        first
            .header("access-control-expose-headers")
            .is_some_and(|h| h.contains("x-ratelimit-remaining") && h.contains("x-request-id"))
    );
    assert_eq!(first.header("x-ratelimit-limit"), Some("3"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("2"));
    assert_eq!(
        list(&server, "https://evil.example").header("access-control-allow-origin"),
        None
    );
    assert_eq!(list(&server, "https://app.example.com").status, 200);
    let limited = list(&server, "https://app.example.com");
    assert_eq!(limited.status, 429, "{limited}");
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    let retry: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = serde_json::from_slice(&limited.body).expect("json");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    // A refused answer is still readable by the allowed origin.
    assert_eq!(
        limited.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(server.log_contains("per-key rate limit"));
}

/// A server killed mid-job (SIGKILL, as a crash) and started again on its data folder
/// finishes the job once, and at once: the new process holds the folder's lock, so it takes
/// back the message and the lease its predecessor held instead of waiting out a five-minute
/// lease. A second server on the same folder is refused.
#[test]
fn a_killed_server_finishes_its_job_after_a_restart() {
    use adgen_testkit::{Reply, TestServer};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // A reference image server that holds the first fetch (the worker is then mid-job) and
    // answers every later one with a PNG at once.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let png = samples::png(64, 48);
    let images = runtime.block_on(TestServer::plain(move |_| {
        let reply = Reply::new(200, png.clone()).header("content-type", "image/png");
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            reply.delay(Duration::from_secs(120))
        } else {
            reply
        }
    }));
    let flags = ["--allow-loopback-urls"];
    let mut server = Server::start_with(&flags);
    let body = json!({
        "prompt": "Survive a crash",
        "reference_images": [images.url("http", "/ref.png")],
        "output": {"resolution": "512"},
    });
    let accepted = server.send(
        "POST",
        GENERATIONS,
        &[
            ("Authorization", server.bearer()),
            ("Content-Type", "application/json".into()),
        ],
        body.to_string().as_bytes(),
    );
    assert_eq!(accepted.status, 202, "{accepted}");
    let job: Value = serde_json::from_slice(&accepted.body).expect("json");
    let job_id = text(&job, "/data/job_id").to_owned();

    // Wait until the worker is inside the job (fetching the held reference).
    let deadline = Instant::now() + JOB_TIMEOUT;
    while fetches.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the worker never fetched the reference"
        );
        std::thread::sleep(POLL_EVERY);
    }
    let read = |server: &Server| {
        let r = server.send(
            "GET",
            &format!("/api/v1/jobs/{job_id}"),
            &[("Authorization", server.bearer())],
            b"",
        );
        serde_json::from_slice::<Value>(&r.body).expect("json")
    };
    assert_eq!(read(&server)["status"], "processing");

    // A second server on the same folder is refused while the first lives.
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_adgen"))
        .args([
            "serve",
            "--port",
            "0",
            "--data-dir",
            path_arg(&server.data_dir),
        ])
        .output()
        .expect("running a second server");
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another adgen serve is using"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    server.kill_and_restart(&flags);
    let deadline = Instant::now() + JOB_TIMEOUT;
    let done = loop {
        let job = read(&server);
        if job["status"] != "processing" && job["status"] != "queued" {
            break job;
        }
        assert!(
            Instant::now() < deadline,
            "not finished {JOB_TIMEOUT:?} after the restart: {job}"
        );
        std::thread::sleep(POLL_EVERY);
    };
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "fetched once per run, no more"
    );
    assert!(server.log_contains("the previous run stopped mid-work"));
    drop(runtime);
}
