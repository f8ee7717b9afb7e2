//! End to end: `adgen serve --allow-loopback-urls` extracts a brand from a fixture site served
//! on loopback, serves its logo, and draws an ad with it; without the switch the same URL is
//! refused (spec §7, §8).

mod support;

use std::time::{Duration, Instant};

use adgen_testkit::TestServer;
use adgen_testkit::sites::static_site;
use serde_json::{Value, json};
use support::{GENERATIONS, Response, Server};

const JOB_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves a fixture site on loopback (on its own runtime, kept alive by the returned guard).
fn serve_site(name: &'static str) -> (tokio::runtime::Runtime, TestServer, String) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the fixture server");
    let server = runtime.block_on(TestServer::plain(static_site(name)));
    let url = server.url("http", "/");
    (runtime, server, url)
}

fn json_headers(server: &Server) -> [(&'static str, String); 2] {
    [
        ("Authorization", server.bearer()),
        ("Content-Type", "application/json".to_owned()),
    ]
}

fn wait_for_job(server: &Server, job_id: &str, expand: &str) -> Value {
    let deadline = Instant::now() + JOB_TIMEOUT;
    loop {
        let response = server.send(
            "GET",
            &format!("/api/v1/jobs/{job_id}?expand={expand}"),
            &[("Authorization", server.bearer())],
            b"",
        );
        assert_eq!(response.status, 200, "{response}");
        let data = response.json()["data"].clone();
        match data["status"].as_str() {
            Some("completed") => return data,
            Some("queued" | "processing") => {}
            _ => panic!("job ended: {response}"),
        }
        assert!(Instant::now() < deadline, "job not finished: {response}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn post(server: &Server, path: &str, body: &Value) -> Response {
    let body = serde_json::to_vec(body).expect("serializes");
    server.send("POST", path, &json_headers(server), &body)
}

#[test]
fn extract_a_brand_and_draw_an_ad_with_it() {
    let (_runtime, _site, site) = serve_site("bakery");
    let server = Server::start_with(&["--allow-loopback-urls"]);
    assert!(
        server.log_contains("--allow-loopback-urls"),
        "the switch is logged at start"
    );

    let accepted = post(&server, "/api/v1/brands/extract", &json!({ "url": site }));
    assert_eq!(accepted.status, 202, "{accepted}");
    let job_id = accepted.json()["data"]["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();
    let job = wait_for_job(&server, &job_id, "brand");
    assert_eq!(job["type"], "brand_extraction");
    let brand = &job["brand"];
    assert_eq!(brand["name"], "Rosemary & Rye Bakery", "{brand}");
    assert_eq!(
        brand["brand_dna"]["primary_accent_hex"], "#B5542C",
        "{brand}"
    );

    // The logo is served by the local server, without credentials.
    let logo_url = brand["logo"]["url"]
        .as_str()
        .expect("a logo URL")
        .to_owned();
    let logo_path = logo_url
        .strip_prefix(&server.base_url)
        .expect("served here")
        .to_owned();
    let logo = server.send("GET", &logo_path, &[], b"");
    assert_eq!(logo.status, 200, "{logo}");
    assert_eq!(logo.header("content-type"), Some("image/png"));

    // An ad with the brand: completed, its image served.
    let submitted = post(
        &server,
        GENERATIONS,
        &json!({"prompt": "Fresh sourdough every morning", "brand_id": brand["id"],
                "output": {"resolution": "512", "aspect_ratio": "4:5"}}),
    );
    assert_eq!(submitted.status, 202, "{submitted}");
    let ad_job = submitted.json()["data"]["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();
    let ad = wait_for_job(&server, &ad_job, "ad,brand");
    assert_eq!(ad["brand"]["id"], brand["id"]);
    let image_url = ad["ad"]["image_url"].as_str().expect("image url");
    let image = server.send(
        "GET",
        image_url
            .strip_prefix(&server.base_url)
            .expect("served here"),
        &[],
        b"",
    );
    assert_eq!(image.status, 200);
}

#[test]
fn loopback_urls_are_refused_without_the_switch() {
    let server = Server::start();
    let refused = post(
        &server,
        "/api/v1/brands/extract",
        &json!({ "url": "http://127.0.0.1:9/" }),
    );
    assert_eq!(refused.status, 400, "{refused}");
    assert_eq!(refused.json()["error"]["param"], "url");
    let refused = post(
        &server,
        GENERATIONS,
        &json!({ "prompt": "x", "reference_images": ["http://127.0.0.1:9/a.png"] }),
    );
    assert_eq!(refused.status, 400, "{refused}");
    assert_eq!(refused.json()["error"]["param"], "reference_images[0]");
}
