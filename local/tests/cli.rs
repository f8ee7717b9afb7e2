//! The `adgen` client commands against a running `adgen serve`, as a user runs them: the real
//! binary, the key and endpoint in the environment, local files on disk; exit codes, stdout
//! and the one-line errors on stderr are the interface under test.

mod support;

use std::time::Duration;

use adgen_testkit::images as samples;
use serde_json::Value;
use support::{CliRun, Server, TempDir, path_arg, run_cli_for};
use uuid::Uuid;

/// A job through the template renderer takes about a second; the margin is for a loaded CI.
const CLI_JOB_TIMEOUT: Duration = Duration::from_secs(90);

fn adgen(server: &Server, args: &[&str]) -> CliRun {
    run_cli_for(
        args,
        &[
            ("ADGEN_ENDPOINT", &server.base_url),
            ("ADGEN_API_KEY", server.api_key()),
        ],
        CLI_JOB_TIMEOUT,
    )
}

fn ok(run: CliRun) -> CliRun {
    assert_eq!(run.code, Some(0), "{run:#?}");
    run
}

fn json(run: &CliRun) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {run:#?}"))
}

/// The error line a failed command ends with (after any progress lines), its exit code checked.
fn refused(run: &CliRun, code: i32, starts: &str) -> String {
    assert_eq!(run.code, Some(code), "{run:#?}");
    let line = run.stderr.trim_end().lines().last().unwrap_or_default();
    assert!(
        line.starts_with(starts),
        "{line:?} should start with {starts:?}"
    );
    line.to_owned()
}

#[test]
fn generate_with_a_local_reference_waits_and_writes_the_image() {
    let server = Server::start();
    let dir = TempDir::new("cli");
    let reference = dir.path().join("product.png");
    std::fs::write(&reference, samples::png(96, 64)).expect("writing the reference");
    let out = dir.path().join("ad.png");

    let run = ok(adgen(
        &server,
        &[
            "generate",
            "--prompt",
            "Spring sale on ceramic mugs, bright and friendly",
            "--ref",
            path_arg(&reference),
            "--aspect",
            "4:5",
            "--resolution",
            "512",
            "--metadata",
            "campaign=spring",
            "--client-reference-id",
            "cli-test",
            "--wait",
            "-o",
            path_arg(&out),
        ],
    ));
    let job_id = run.stdout.trim();
    Uuid::try_parse(job_id).unwrap_or_else(|_| panic!("stdout is the job id: {run:#?}"));
    assert!(run.stderr.contains("completed"), "{run:#?}");

    // The job the CLI made is the one the flags described, and the file is its image.
    let job = json(&ok(adgen(
        &server,
        &["jobs", "get", job_id, "--expand", "ad"],
    )));
    assert_eq!(job["status"], "completed");
    assert_eq!(job["client_reference_id"], "cli-test");
    assert_eq!(job["metadata"]["campaign"], "spring");
    assert_eq!(job["payload"]["input"]["reference_image_count"], 1);
    let applied = &job["payload"]["output_applied"];
    assert_eq!(applied["aspect_ratio"], "4:5");
    let image = image::open(&out).expect("the written file is an image");
    assert_eq!(
        (u64::from(image.width()), u64::from(image.height())),
        (
            applied["width"].as_u64().expect("width"),
            applied["height"].as_u64().expect("height")
        )
    );
    assert_eq!(
        std::fs::read(&out).expect("read").get(..8),
        Some(&b"\x89PNG\r\n\x1a\n"[..])
    );

    // The same idempotency key twice: the second run is the first one's replay, the same job.
    let key = format!("cli-{}", Uuid::new_v4());
    let args = [
        "generate",
        "--prompt",
        "Replay me",
        "--idempotency-key",
        &key,
    ];
    let first = ok(adgen(&server, &args));
    let second = ok(adgen(&server, &args));
    assert_eq!(first.stdout, second.stdout);
    assert!(second.stderr.contains("replayed"), "{second:#?}");
}

#[test]
fn a_reference_too_large_to_send_inline_goes_by_upload() {
    let server = Server::start();
    let dir = TempDir::new("cli-upload");
    // 9 MB: as a data URL it would be 12 MB, twice what a request may carry (413).
    let reference = dir.path().join("camera.jpg");
    std::fs::write(&reference, samples::jpeg_of_size(800, 600, 9_000_000)).expect("write");
    let run = ok(adgen(
        &server,
        &[
            "generate",
            "--prompt",
            "Our new espresso machine, in the kitchen",
            "--ref",
            path_arg(&reference),
            "--wait",
        ],
    ));
    let job_id = run.stdout.trim();
    let job = json(&ok(adgen(&server, &["jobs", "get", job_id])));
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["payload"]["input"]["reference_image_count"], 1);
}

#[test]
fn errors_are_one_line_with_their_own_exit_codes() {
    let server = Server::start_with(&["--allow-loopback-urls"]);

    // The contract's 400: code, message, the first param and the request id, on one line.
    let run = adgen(&server, &["generate", "--prompt", "  ", "--aspect", "7:3"]);
    let line = refused(&run, 3, "error: 400 invalid_request_body: ");
    assert_eq!(
        run.stderr.trim_end(),
        line,
        "an API error is all on one line"
    );
    assert!(line.contains("param: "), "{line}");
    assert!(line.contains("request_id: req_pi_"), "{line}");
    assert!(
        line.contains("output.aspect_ratio") && line.contains("prompt"),
        "{line}"
    );
    assert!(
        run.stdout.is_empty(),
        "no job id for a refused request: {run:#?}"
    );

    let run = run_cli_for(
        &["jobs", "get", &Uuid::new_v4().to_string()],
        &[
            ("ADGEN_ENDPOINT", &server.base_url),
            ("ADGEN_API_KEY", "sk_live_not_a_key"),
        ],
        CLI_JOB_TIMEOUT,
    );
    refused(&run, 3, "error: 401 invalid_api_key: ");

    let run = adgen(&server, &["jobs", "get", &Uuid::new_v4().to_string()]);
    refused(&run, 3, "error: 404 job_not_found: ");

    // Usage: no key at all, a local file that is not an image, a malformed --metadata.
    let run = run_cli_for(
        &["jobs", "get", "x"],
        &[("ADGEN_ENDPOINT", &server.base_url)],
        CLI_JOB_TIMEOUT,
    );
    refused(&run, 2, "error: ADGEN_API_KEY is not set");
    let dir = TempDir::new("cli-errors");
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not an image").expect("write");
    let run = adgen(
        &server,
        &["generate", "--prompt", "p", "--ref", path_arg(&text)],
    );
    refused(&run, 2, "error: --ref ");
    let run = adgen(
        &server,
        &["generate", "--prompt", "p", "--metadata", "nokey"],
    );
    refused(&run, 2, "error: --metadata takes KEY=VALUE");

    // Nothing listening: the server is unreachable (4), and the line says where it looked.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let endpoint = format!("http://{closed}");
    let run = run_cli_for(
        &["jobs", "get", &Uuid::new_v4().to_string()],
        &[
            ("ADGEN_ENDPOINT", &endpoint),
            ("ADGEN_API_KEY", server.api_key()),
        ],
        CLI_JOB_TIMEOUT,
    );
    refused(&run, 4, &format!("error: could not reach {endpoint}"));

    // A job that fails: its reference cannot be fetched (nothing listens there). Exit 5.
    let missing = format!("http://{closed}/missing.png");
    let run = adgen(
        &server,
        &["generate", "--prompt", "p", "--ref", &missing, "--wait"],
    );
    let line = refused(&run, 5, "error: job ");
    assert!(line.contains("failed: reference_input_invalid: "), "{line}");
    Uuid::try_parse(run.stdout.trim()).expect("the failed job's id was printed first");
}

#[test]
fn brands_and_webhooks_are_managed_from_the_command_line() {
    let server = Server::start_with(&["--allow-loopback-urls"]);
    let dir = TempDir::new("cli-brands");
    let dna = dir.path().join("dna.json");
    std::fs::write(
        &dna,
        r##"{"primary_accent_hex": "#F2A541", "core_slogan": "Warm cups"}"##,
    )
    .expect("write");
    let logo = dir.path().join("logo.svg");
    std::fs::write(
        &logo,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#F2A541"/></svg>"##,
    )
    .expect("write");

    let brand = json(&ok(adgen(
        &server,
        &[
            "brands",
            "create",
            "--name",
            "Bakery",
            "--dna",
            path_arg(&dna),
            "--logo",
            path_arg(&logo),
        ],
    )));
    let brand_id = brand["id"].as_str().expect("id").to_owned();
    assert_eq!(brand["brand_dna"]["core_slogan"], "Warm cups");
    assert!(
        brand["logo"].is_object() || brand["logo"].is_string(),
        "{brand}"
    );
    let read = json(&ok(adgen(&server, &["brands", "get", &brand_id])));
    assert_eq!(read["id"], brand_id.as_str());
    let list = json(&ok(adgen(&server, &["brands", "list", "--limit", "5"])));
    assert_eq!(list["total_count"], 1);
    // A generation with the brand, not waited for: stdout is the id alone.
    let run = ok(adgen(
        &server,
        &["generate", "--prompt", "Bread", "--brand", &brand_id],
    ));
    Uuid::try_parse(run.stdout.trim()).expect("job id");
    ok(adgen(&server, &["brands", "delete", &brand_id]));
    let run = adgen(&server, &["brands", "get", &brand_id]);
    refused(&run, 3, "error: 404 brand_not_found: ");

    let hook = json(&ok(adgen(
        &server,
        &[
            "webhooks",
            "create",
            "--url",
            "http://127.0.0.1:9/hooks",
            "--description",
            "cli",
        ],
    )));
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    assert!(
        hook["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_")),
        "the secret is shown once, on creation: {hook}"
    );
    let read = json(&ok(adgen(&server, &["webhooks", "get", &hook_id])));
    assert!(read.get("secret").is_none(), "never after creation: {read}");
    let disabled = json(&ok(adgen(&server, &["webhooks", "disable", &hook_id])));
    assert_eq!(disabled["is_active"], false);
    let enabled = json(&ok(adgen(&server, &["webhooks", "enable", &hook_id])));
    assert_eq!(enabled["is_active"], true);
    let rotated = json(&ok(adgen(
        &server,
        &["webhooks", "rotate-secret", &hook_id],
    )));
    assert!(rotated.to_string().contains("whsec_"), "{rotated}");
    let deliveries = json(&ok(adgen(&server, &["webhooks", "deliveries", &hook_id])));
    assert!(deliveries.is_object(), "{deliveries}");
    ok(adgen(&server, &["webhooks", "delete", &hook_id]));
    let run = adgen(&server, &["webhooks", "get", &hook_id]);
    assert_eq!(run.code, Some(3), "{run:#?}");
}
