//! End to end: the real `adgen` binary runs `serve` on a free loopback port over a fresh data
//! folder, and this test speaks HTTP/1.1 to it over plain TCP. The client is written by hand on
//! purpose: request targets go out byte for byte (no client normalises `..` or percent-escapes
//! away), and every response is checked for exactly the bytes its head announces.
//!
//! Every wait is bounded (startup, socket reads and writes, job polling, the CLI), and the
//! server process is killed when the test ends, panics included.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use adgen::service::submit::SubmitSettings;
use adgen_testkit::images as samples;
use serde_json::{Value, json};
use uuid::Uuid;

/// Startup includes opening SQLite and, on a loaded machine, the process itself.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Any single socket read or write; every answer here is local and small.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The template generator renders a 512 px ad in well under a second; 30 s is a hang.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(100);
/// `adgen keys create` opens the store and writes one row.
const CLI_TIMEOUT: Duration = Duration::from_secs(20);

const GENERATIONS: &str = "/api/v1/images/generations";

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
    let output = run_cli(&[
        "keys",
        "create",
        "--org",
        &other_org.to_string(),
        "--data-dir",
        path_arg(&server.data_dir),
    ]);
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

// ---------------------------------------------------------------------------------------------
// The server process and its data folder.

/// Kills and reaps its process when dropped, so no server outlives the test.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh folder under cargo's per-target temp directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("creating the test's temp folder");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Server {
    // Fields drop in order: the process first, then its folder.
    _child: ChildGuard,
    root: TempDir,
    data_dir: PathBuf,
    addr: SocketAddr,
    base_url: String,
    api_key: String,
    org: Uuid,
}

impl Server {
    fn start() -> Self {
        let root = TempDir::new();
        let data_dir = root.0.join("data");
        // The server's log goes to a file beside its data, shown if the test fails.
        let log = File::create(root.0.join("server.log")).expect("creating the server log");
        let mut child = ChildGuard(
            Command::new(env!("CARGO_BIN_EXE_adgen"))
                .args(["serve", "--port", "0", "--data-dir", path_arg(&data_dir)])
                // The offline template generator, whatever the caller's environment says.
                .env_remove("ADGEN_GENERATOR")
                .env("RUST_LOG", "info")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(log)
                .spawn()
                .expect("spawning adgen serve"),
        );

        // Lines arrive on a channel so that waiting for them can time out; the thread keeps
        // draining stdout afterwards, so the server never blocks on a full pipe.
        let stdout = child.0.stdout.take().expect("stdout is piped");
        let (lines_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let (mut api_key, mut org, mut seen) = (None, None, Vec::new());
        let base_url = loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let line = match lines.recv_timeout(wait) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!(
                        "adgen serve did not report its address within {STARTUP_TIMEOUT:?}; stdout: {seen:#?}"
                    )
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "adgen serve exited ({:?}); stdout: {seen:#?}; log: {}",
                    child.0.wait(),
                    read_log(&root.0)
                ),
            };
            if let Some(rest) = line.strip_prefix("First start: created a demo organisation ") {
                let id = rest.split_whitespace().next().unwrap_or_default();
                org = Some(Uuid::try_parse(id).expect("the demo organisation is a UUID"));
            } else if let Some(key) = line.trim().strip_prefix("export ADGEN_API_KEY=") {
                api_key = Some(key.to_owned());
            } else if let Some(rest) = line.strip_prefix("adgen serving ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
            seen.push(line);
        };
        let addr: SocketAddr = base_url
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("serving line names no address: {base_url:?}"));
        assert_ne!(addr.port(), 0, "--port 0 must report the bound port");
        Self {
            _child: child,
            root,
            data_dir,
            addr,
            base_url,
            api_key: api_key.expect("a first start prints the API key before serving"),
            org: org.expect("a first start names its demo organisation"),
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.api_key)
    }

    /// Where submission stages the first inline reference of a job.
    fn staged_reference(&self, job_id: Uuid) -> PathBuf {
        self.data_dir
            .join("blobs/staging")
            .join(self.org.to_string())
            .join(job_id.to_string())
            .join("0")
    }

    /// One request on its own connection (`Connection: close`), the target sent as written.
    /// Checks that the response carries exactly the body its head announces, then nothing.
    fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Response {
        let mut stream = self.connect();
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).expect("sending the request");

        let (response, mut rest) = read_response(&mut stream, method == "HEAD");
        stream
            .read_to_end(&mut rest)
            .expect("reading to the end of the connection");
        assert!(
            rest.is_empty(),
            "{method} {target}: {} bytes after the announced body: {response}",
            rest.len()
        );
        self.check_alive();
        response
    }

    /// A submission announcing `body.len()` bytes of which `send` are written (by a second
    /// thread, so that an early answer is read while writing, and a write that the server
    /// refuses only ends that thread).
    fn send_large(&self, body: &[u8], send: usize) -> Response {
        let mut stream = self.connect();
        let head = format!(
            "POST {GENERATIONS} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            self.bearer(),
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("sending the head");
        let mut writer = stream.try_clone().expect("cloning the socket");
        let part = body[..send].to_vec();
        let writing = std::thread::spawn(move || {
            let _ = writer.write_all(&part);
        });
        let (response, _) = read_response(&mut stream, false);
        // Unblocks the writer if the server stopped reading; then nothing is left running.
        let _ = stream.shutdown(Shutdown::Both);
        writing.join().expect("the writer thread ends");
        self.check_alive();
        response
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT).expect("connecting");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream
    }

    /// No request may bring the server down.
    fn check_alive(&self) {
        let log = read_log(&self.root.0);
        assert!(!log.contains("panicked"), "the server panicked: {log}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- adgen serve log ---\n{}", read_log(&self.root.0));
        }
    }
}

fn read_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("server.log")).unwrap_or_default()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("the temp folder's path is UTF-8")
}

/// Runs the `adgen` CLI to completion (bounded) and returns its stdout.
fn run_cli(args: &[&str]) -> String {
    let mut child = ChildGuard(
        Command::new(env!("CARGO_BIN_EXE_adgen"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning adgen"),
    );
    let deadline = Instant::now() + CLI_TIMEOUT;
    // Its output is a line or two: far below a pipe's buffer, so waiting first cannot block it.
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("waiting for adgen") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "adgen {args:?} did not finish within {CLI_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let Some(mut out) = child.0.stdout.take() {
        out.read_to_string(&mut stdout).expect("reading stdout");
    }
    if let Some(mut err) = child.0.stderr.take() {
        err.read_to_string(&mut stderr).expect("reading stderr");
    }
    assert!(status.success(), "adgen {args:?}: {status}; {stderr}");
    stdout
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 response reader.

struct Response {
    status: u16,
    /// Names in lower case, in arrival order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        let mut values = self.headers.iter().filter(|(n, _)| n == name);
        let first = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "{name} sent twice: {self}");
        first
    }

    fn content_length(&self) -> Option<usize> {
        self.header("content-length").map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("content-length {v:?} is not a number"))
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {self}"))
    }
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} ", self.status, self.headers)?;
        match std::str::from_utf8(&self.body) {
            Ok(text) if text.len() <= 2000 => write!(f, "{text}"),
            _ => write!(f, "<{} bytes>", self.body.len()),
        }
    }
}

/// Reads one response: its head, then exactly the body the head announces (none for HEAD,
/// 204 and 304). Returns the response and any bytes already read past it.
fn read_response(stream: &mut TcpStream, head_request: bool) -> (Response, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let mut fill = |buf: &mut Vec<u8>| {
        let n = stream.read(&mut chunk).expect("reading the response");
        assert!(
            n > 0,
            "the connection closed mid-response after {:?}",
            String::from_utf8_lossy(buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(&mut buf);
    };
    let head = std::str::from_utf8(&buf[..head_end - 4]).expect("the response head is UTF-8");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header line {line:?}"));
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    assert_eq!(
        response.header("transfer-encoding"),
        None,
        "this client reads content-length bodies only"
    );
    let body_len = if head_request || matches!(status, 204 | 304) {
        0
    } else {
        response
            .content_length()
            .unwrap_or_else(|| panic!("no content-length: {response}"))
    };
    while buf.len() < head_end + body_len {
        fill(&mut buf);
    }
    let rest = buf.split_off(head_end + body_len);
    response.body = buf.split_off(head_end);
    (response, rest)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// The string at a JSON pointer; a panic names what was missing.
fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value}"))
}
