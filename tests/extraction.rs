//! Brand extraction end to end on every adapter set (spec §7, §8): fixture sites served on
//! loopback (`tests/fixtures/sites/`), reached the way `adgen serve --allow-loopback-urls`
//! reaches them, through the real site fetcher; the job runs in the real worker; the brand is
//! read back over the API. Hostile sites must end the job promptly with a precise failure or
//! a partial brand, never a hang or a panic.

use std::sync::Arc;

use adgen::jobs::{FailureCode, JobStatus};
use adgen::ports::JobMessage;
use adgen_render::TemplateGenerator;
use adgen_testkit::sites::{SITES, site_dir, static_site};
use adgen_testkit::tls_server::{Reply, Request, TestServer};
use adgen_tests::{Backend, Client, client, on_every_backend};
use serde_json::{Value, json};

on_every_backend!(
    every_fixture_site_gives_its_brand,
    extraction_is_deterministic_and_updates_the_same_brand,
    hostile_sites_end_promptly_with_precise_failures,
    extraction_requests_are_validated_and_scoped,
);

/// The hostile site: its static files plus the behaviours its README asks for.
fn hostile_site(request: &Request) -> Reply {
    match request.path.as_str() {
        // 20 MB of markup.
        "/huge" => Reply::new(200, "<div>".repeat(200_000))
            .header("content-type", "text/html")
            .repeat(20),
        "/redirect-loop" => Reply::new(302, "").header("location", "/redirect-loop"),
        // A stylesheet that starts and then never ends.
        "/never-ends.css" => Reply::new(200, "body { color: #ff0000; }\n".repeat(100))
            .header("content-type", "text/css")
            .without_length()
            .repeat(2)
            .stall(std::time::Duration::from_secs(600)),
        "/wrong-type.css" => {
            Reply::new(200, "a { color: #00ff00 }").header("content-type", "image/png")
        }
        "/logo.png" => {
            Reply::new(200, "<html>not a logo</html>").header("content-type", "text/html")
        }
        // A page that never answers.
        "/stall" => Reply::new(200, "").delay(std::time::Duration::from_secs(600)),
        _ => static_site("hostile")(request),
    }
}

/// Posts an extraction, runs the worker on its message and returns the finished job record
/// (with `expand=brand,diagnostics`).
async fn extract(b: &Backend, c: &Client, url: &str) -> Value {
    let accepted = c
        .post(
            "/api/v1/brands/extract",
            None,
            &json!({ "url": url }).to_string(),
        )
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.json);
    let job_id = accepted.job_id();
    assert_eq!(
        accepted.header("location"),
        Some(format!("/api/v1/jobs/{job_id}").as_str())
    );
    let messages = b.drain_messages().await;
    assert_eq!(messages.len(), 1);
    let worker = b.worker(c.clock.clone(), Arc::new(TemplateGenerator));
    worker
        .process(
            JobMessage {
                job_id,
                org_id: c.org,
            },
            1,
        )
        .await;
    let read = c
        .get(&format!("/api/v1/jobs/{job_id}?expand=brand,diagnostics"))
        .await;
    assert_eq!(read.status, 200, "{}", read.json);
    assert_eq!(read.json["data"]["type"], "brand_extraction");
    read.json["data"].clone()
}

fn expected(name: &str) -> Value {
    let path = site_dir(name).join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "{}".into());
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The values a fixture's `expected.json` accepts for `field`: its `value` and any
/// `also_acceptable`. None when the fixture states no expectation.
fn accepted_values(expected: &Value, field: &str) -> Option<Vec<Value>> {
    let entry = expected.get("expected")?.get(field)?;
    let mut values = vec![entry.get("value")?.clone()];
    if let Some(more) = entry.get("also_acceptable").and_then(Value::as_array) {
        values.extend(more.iter().cloned());
    }
    Some(values)
}

/// What the fixture says a field must never be.
fn forbidden(expected: &Value) -> Vec<(String, Value)> {
    expected["must_not"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((i["field"].as_str()?.to_owned(), i["value"].clone())))
                .collect()
        })
        .unwrap_or_default()
}

async fn every_fixture_site_gives_its_brand(b: Backend) {
    for site in SITES {
        let server = TestServer::plain(static_site(site)).await;
        let c = client(&b).await;
        let job = extract(&b, &c, &server.url("http", "/")).await;
        assert_eq!(job["status"], "completed", "{site}: {job}");
        let brand = &job["brand"];
        let dna = &brand["brand_dna"];
        let want = expected(site);
        eprintln!(
            "{site}: name {} dna {dna} sources {}",
            brand["name"], brand["sources"]
        );
        // The facts an ad depends on most must be right; the others are reported above.
        for field in ["name", "primary_accent_hex", "primary_background_hex"] {
            let found = if field == "name" {
                &brand["name"]
            } else {
                &dna[field]
            };
            if let Some(values) = accepted_values(&want, field) {
                assert!(
                    values.contains(found),
                    "{site}: {field} is {found}, expected one of {values:?}; sources {}",
                    brand["sources"]
                );
            }
        }
        for (field, value) in &forbidden(&want) {
            let found = if field == "name" {
                &brand["name"]
            } else {
                &dna[field.as_str()]
            };
            assert_ne!(found, value, "{site}: {field} took a decoy");
        }
        // Every field carries its evidence.
        let sources = brand["sources"].as_object().expect("sources");
        for key in dna.as_object().expect("dna").keys() {
            assert!(sources.contains_key(key), "{site}: {key} has no source");
        }
        assert!(sources.contains_key("name"), "{site}");
        assert_eq!(
            job["result_url"],
            format!("brands/{}", brand["id"].as_str().expect("brand id"))
        );
        // At most 20 fetches, each logged.
        let fetches = job["payload"]["diagnostics"]["fetches"]
            .as_array()
            .expect("fetch log");
        assert!(fetches.len() <= 20, "{site}: {fetches:?}");
        // The brand is readable through the brands API too, with its logo as a URL.
        let read = c
            .get(&format!(
                "/api/v1/brands/{}",
                brand["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(read.status, 200);
        if accepted_values(&want, "logo").is_some_and(|v| !v[0].is_null()) {
            assert!(
                read.json["data"]["logo"]["url"].is_string(),
                "{site}: a logo was expected; fetches {fetches:?}"
            );
        }
    }
}

async fn extraction_is_deterministic_and_updates_the_same_brand(b: Backend) {
    let server = TestServer::plain(static_site("bakery")).await;
    let c = client(&b).await;
    let url = server.url("http", "/");
    let first = extract(&b, &c, &url).await;
    c.clock.advance(60);
    let second = extract(&b, &c, &url).await;
    let (one, two) = (&first["brand"], &second["brand"]);
    assert_eq!(
        one["id"], two["id"],
        "one brand per organisation and domain"
    );
    assert_eq!(one["brand_dna"], two["brand_dna"]);
    assert_eq!(one["sources"], two["sources"]);
    assert_eq!(one["created_at"], two["created_at"]);
    assert!(two["updated_at"].as_i64() > one["updated_at"].as_i64());
    let list = c.get("/api/v1/brands").await;
    assert_eq!(list.json["data"]["total_count"], 1);
    // Another organisation extracting the same site gets its own brand.
    let other = client(&b).await;
    let theirs = extract(&b, &other, &url).await;
    assert_ne!(theirs["brand"]["id"], one["id"]);
    assert_eq!(theirs["brand"]["brand_dna"], one["brand_dna"]);
}

async fn hostile_sites_end_promptly_with_precise_failures(b: Backend) {
    let server = TestServer::plain(hostile_site).await;
    let c = client(&b).await;
    // The page itself: its stylesheets never end or lie about their type, its logo is HTML,
    // its manifest loops, its og:image points at the metadata service. A brand is still read
    // from what is usable.
    let job = extract(&b, &c, &server.url("http", "/")).await;
    assert_eq!(job["status"], "completed", "{job}");
    let fetches = job["payload"]["diagnostics"]["fetches"].to_string();
    assert!(fetches.contains("redirect"), "{fetches}");
    assert!(fetches.contains("served as image/png"), "{fetches}");
    assert!(!fetches.contains("169.254.169.254: 0"), "{fetches}");
    assert_eq!(
        job["brand"]["logo"],
        Value::Null,
        "the HTML 'logo' is refused"
    );

    for (path, code, says) in [
        ("/huge", FailureCode::SiteUnreachable, "larger than"),
        (
            "/redirect-loop",
            FailureCode::SiteUnreachable,
            "too many redirects",
        ),
        ("/missing", FailureCode::SiteUnreachable, "404"),
        ("/stall", FailureCode::SiteUnreachable, "timed out"),
        // HTML, but nothing in it says anything about a brand.
        ("/logo.png", FailureCode::SiteInvalid, "nothing a brand"),
    ] {
        let job = extract(&b, &c, &server.url("http", path)).await;
        assert_eq!(job["status"], "failed", "{path}: {job}");
        assert_eq!(
            job["payload"]["failure_code"],
            code.as_str(),
            "{path}: {job}"
        );
        let message = job["payload"]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{path}: {message}");
        assert_eq!(
            b.jobs
                .get(uuid::Uuid::try_parse(job["id"].as_str().expect("id")).expect("uuid"))
                .await
                .expect("get")
                .map(|j| j.status),
            Some(JobStatus::Failed)
        );
    }
}

async fn extraction_requests_are_validated_and_scoped(b: Backend) {
    let server = TestServer::plain(static_site("bakery")).await;
    let c = client(&b).await;
    for (body, code) in [
        (json!({}), "required"),
        (json!({"url": "ftp://example.com"}), "unsupported_scheme"),
        (json!({"url": "https://192.168.1.1/"}), "blocked_address"),
        (
            json!({"url": "https://example.com", "deep": true}),
            "unknown_field",
        ),
    ] {
        let refused = c
            .post("/api/v1/brands/extract", None, &body.to_string())
            .await;
        refused.assert_error(400, "invalid_request_error", "invalid_request_body");
        assert_eq!(refused.json["error"]["issues"][0]["code"], code, "{body}");
    }
    let job = extract(&b, &c, &server.url("http", "/")).await;
    let other = client(&b).await;
    other
        .get(&format!("/api/v1/jobs/{}", job["id"].as_str().expect("id")))
        .await
        .assert_error(404, "not_found_error", "job_not_found");
    other
        .get(&format!(
            "/api/v1/brands/{}",
            job["brand"]["id"].as_str().expect("id")
        ))
        .await
        .assert_error(404, "not_found_error", "brand_not_found");
}
