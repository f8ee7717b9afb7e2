//! Brand extraction end to end on every adapter set (spec §7, §8): fixture sites served on
//! loopback (`tests/fixtures/sites/`), reached the way `adgen serve --allow-loopback-urls`
//! reaches them, through the real site fetcher; the job runs in the real worker; the brand is
//! read back over the API. Hostile sites must end the job promptly with a precise failure or
//! a partial brand, never a hang or a panic.

use std::sync::Arc;

use adgen::jobs::{FailureCode, JobStatus};
use adgen::ports::{Claim, Clock};
use adgen::service::generate::Disposition;
use adgen::service::sweep::{SweepSettings, Sweeper};
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
    two_brands_shape_the_same_prompt_two_ways,
    extraction_jobs_have_the_generation_guarantees,
    extraction_requests_honour_idempotency_keys,
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
    b.work_on(c.clock.clone(), job_id, c.org).await;
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
    eprintln!("hostile: brand {} fetches {fetches}", job["brand"]);
    assert!(fetches.contains("redirect"), "{fetches}");
    assert!(fetches.contains("served as image/png"), "{fetches}");
    // Private and link-local addresses stay refused even with loopback allowed (spec §8).
    let log = job["payload"]["diagnostics"]["fetches"]
        .as_array()
        .expect("fetch log");
    for private in ["169.254.169.254", "10.0.0.5"] {
        let line = log
            .iter()
            .filter_map(Value::as_str)
            .find(|l| l.contains(private))
            .unwrap_or_else(|| panic!("{private} not even tried: {fetches}"));
        assert!(!line.ends_with("bytes"), "{line}");
    }
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

/// Submits a generation with `brand_id`, runs the worker and returns the stored image.
async fn render_with(b: &Backend, c: &Client, brand_id: &str) -> image::RgbaImage {
    let job_id = c
        .app
        .submit(
            &c.key,
            &json!({"prompt": "\"Fresh from the oven\" weekend offer", "brand_id": brand_id,
                    "output": {"resolution": "512", "aspect_ratio": "4:5"}}),
        )
        .await;
    b.work_on(c.clock.clone(), job_id, c.org).await;
    let job = b.jobs.get(job_id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.payload);
    let key = job.result_key().expect("result key");
    let blob = b.blobs.get(&key).await.expect("get").expect("stored ad");
    // `ADGEN_SAVE_ADS=<folder>` keeps each rendered ad to look at.
    if let Ok(folder) = std::env::var("ADGEN_SAVE_ADS") {
        let name = format!("{folder}/{}.png", brand_id);
        std::fs::write(&name, &blob.bytes).expect("saving the ad");
    }
    image::load_from_memory(&blob.bytes)
        .expect("png")
        .to_rgba8()
}

/// The most common colour, counted on a 4-bit-per-channel grid.
fn dominant(image: &image::RgbaImage) -> [u8; 3] {
    let mut counts = std::collections::BTreeMap::<[u8; 3], usize>::new();
    for p in image.pixels() {
        *counts.entry([p[0] >> 4, p[1] >> 4, p[2] >> 4]).or_default() += 1;
    }
    let (cell, _) = counts
        .into_iter()
        .max_by_key(|(cell, n)| (*n, *cell))
        .expect("pixels");
    cell.map(|c| c * 16 + 8)
}

fn hex(text: &str) -> [u8; 3] {
    let byte = |i: usize| u8::from_str_radix(&text[i..i + 2], 16).expect("hex");
    [byte(1), byte(3), byte(5)]
}

fn distance(a: [u8; 3], b: [u8; 3]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (i32::from(*x) - i32::from(y)).unsigned_abs())
        .sum()
}

fn count_near(image: &image::RgbaImage, colour: [u8; 3], tolerance: u32) -> usize {
    image
        .pixels()
        .filter(|p| distance([p[0], p[1], p[2]], colour) <= tolerance)
        .count()
}

async fn two_brands_shape_the_same_prompt_two_ways(b: Backend) {
    let c = client(&b).await;
    let mut brands = Vec::new();
    // Two hosts, two brands: a brand is one per organisation and domain (the port is no part
    // of it), so the second site is reached as `localhost`.
    for (site, host) in [("bakery", "127.0.0.1"), ("fashion", "localhost")] {
        let server = TestServer::plain(static_site(site)).await;
        let url = server.url("http", "/").replace("127.0.0.1", host);
        let job = extract(&b, &c, &url).await;
        assert_eq!(job["status"], "completed", "{job}");
        brands.push(job["brand"].clone());
    }
    let mut ads = Vec::new();
    for brand in &brands {
        ads.push(render_with(&b, &c, brand["id"].as_str().expect("id")).await);
    }
    let background = |brand: &Value| {
        hex(brand["brand_dna"]["primary_background_hex"]
            .as_str()
            .expect("background"))
    };
    for (i, (brand, ad)) in brands.iter().zip(&ads).enumerate() {
        // The ground is a soft gradient of the brand's background: its dominant colour is
        // near that background, and nearer to it than to the other brand's.
        let found = dominant(ad);
        let (own, other) = (background(brand), background(&brands[1 - i]));
        assert!(
            distance(found, own) <= 72 && distance(found, own) < distance(found, other),
            "{}: the ad's dominant colour {found:?} does not follow the brand's background {own:?}",
            brand["name"]
        );
        let accent = hex(brand["brand_dna"]["primary_accent_hex"]
            .as_str()
            .expect("accent"));
        assert!(
            count_near(ad, accent, 24) > 500,
            "{}: the brand's accent {accent:?} is not in the ad",
            brand["name"]
        );
    }
    assert_ne!(dominant(&ads[0]), dominant(&ads[1]));

    // A logo in a colour neither the brand nor the template uses: its pixels are in the ad.
    let magenta = image::RgbaImage::from_fn(240, 80, |x, y| {
        let inside = (20..220).contains(&x) && (10..70).contains(&y);
        image::Rgba(if inside {
            [255, 0, 255, 255]
        } else {
            [0, 0, 0, 0]
        })
    });
    let mut png = Vec::new();
    magenta
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let created = c
        .post(
            "/api/v1/brands",
            None,
            &json!({"name": "Magenta Co", "logo": adgen_tests::b64(&png),
                    "brand_dna": {"primary_background_hex": "#F4F1EA", "primary_accent_hex": "#1D3557"}})
            .to_string(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let ad = render_with(&b, &c, created.json["data"]["id"].as_str().expect("id")).await;
    assert!(
        count_near(&ad, [255, 0, 255], 60) > 200,
        "the logo's pixels are missing from the ad"
    );
    let without = c
        .post(
            "/api/v1/brands",
            None,
            &json!({"name": "No Logo Co",
                    "brand_dna": {"primary_background_hex": "#F4F1EA", "primary_accent_hex": "#1D3557"}})
            .to_string(),
        )
        .await;
    let plain = render_with(&b, &c, without.json["data"]["id"].as_str().expect("id")).await;
    assert_eq!(count_near(&plain, [255, 0, 255], 60), 0);
}

/// An extraction is a job like a generation: a duplicate delivery does no work, a job whose
/// message was lost is resent by the sweep, and a crashed worker's job is taken over.
async fn extraction_jobs_have_the_generation_guarantees(b: Backend) {
    let server = TestServer::plain(static_site("bakery")).await;
    let c = client(&b).await;
    // The queue refuses the message: the job is written, answered 202, and left for the sweep.
    c.app.queue.fail_next(1);
    let accepted = c
        .post(
            "/api/v1/brands/extract",
            None,
            &json!({ "url": server.url("http", "/") }).to_string(),
        )
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.json);
    let job_id = accepted.job_id();
    assert!(b.drain_messages().await.is_empty());
    let stored = b.jobs.get(job_id).await.expect("get").expect("job");
    assert!(!stored.enqueued);
    c.clock.advance(3600);
    let sweeper = Sweeper::new(&b, c.clock.clone(), SweepSettings::default());
    sweeper.sweep().await.expect("sweep");
    let resent = b.drain_messages().await;
    assert_eq!(resent.len(), 1, "the sweep resends the extraction");
    let message = resent[0];

    // A worker claims it and dies; a duplicate delivery meanwhile does nothing.
    let now = c.clock.now();
    assert!(matches!(
        b.jobs
            .claim(job_id, "dead-worker", now, now + 300)
            .await
            .expect("claim"),
        Claim::Claimed(_)
    ));
    let worker = b.worker(c.clock.clone(), Arc::new(TemplateGenerator));
    assert_eq!(worker.process(message, 2).await, Disposition::Acknowledge);
    let held = b.jobs.get(job_id).await.expect("get").expect("job");
    assert_eq!(held.status, JobStatus::Processing);
    assert_eq!(held.payload.brand_id, None, "no work under another's lease");

    // Once the lease has expired, the redelivery takes the job over and finishes it, once.
    c.clock.advance(301);
    assert_eq!(worker.process(message, 3).await, Disposition::Acknowledge);
    let done = b.jobs.get(job_id).await.expect("get").expect("job");
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.claims, 2);
    assert_eq!(worker.process(message, 4).await, Disposition::Acknowledge);
    let again = b.jobs.get(job_id).await.expect("get").expect("job");
    assert_eq!(
        again.updated_at, done.updated_at,
        "a finished job is never reprocessed"
    );
    assert_eq!(c.get("/api/v1/brands").await.json["data"]["total_count"], 1);
}

async fn extraction_requests_honour_idempotency_keys(b: Backend) {
    let c = client(&b).await;
    const EXTRACT: &str = "/api/v1/brands/extract";
    let body = json!({ "url": "https://www.acme.test/" }).to_string();
    let first = c.post(EXTRACT, Some("extract-1"), &body).await;
    assert_eq!(first.status, 202, "{}", first.json);
    assert_eq!(first.header("x-idempotency-replayed"), None);
    // The same request again, spelled differently: the first answer, byte for byte.
    let again = c
        .post(
            EXTRACT,
            Some("extract-1"),
            r#"{ "url" : "https://www.acme.test/" }"#,
        )
        .await;
    assert_eq!(again.status, 202);
    assert_eq!(again.header("x-idempotency-replayed"), Some("true"));
    assert_eq!(again.raw, first.raw);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(b.drain_messages().await.len(), 1, "one job, one message");

    c.post(
        EXTRACT,
        Some("extract-1"),
        &json!({ "url": "https://other.test/" }).to_string(),
    )
    .await
    .assert_error(409, "idempotency_error", "idempotency_key_mismatch");
    c.post(EXTRACT, Some(&"k".repeat(256)), &body)
        .await
        .assert_error(400, "invalid_request_error", "invalid_idempotency_key");
    // Its own key space: the same key on the generations endpoint is another request.
    let generation = c
        .post(
            "/api/v1/images/generations",
            Some("extract-1"),
            &json!({ "prompt": "x" }).to_string(),
        )
        .await;
    assert_eq!(generation.status, 202, "{}", generation.json);
    assert_ne!(generation.job_id(), first.job_id());
    // A refused request stores nothing: the key is free for a valid one.
    c.post(EXTRACT, Some("extract-2"), r#"{"url": "ftp://x"}"#)
        .await
        .assert_error(400, "invalid_request_error", "invalid_request_body");
    assert_eq!(c.post(EXTRACT, Some("extract-2"), &body).await.status, 202);
}
