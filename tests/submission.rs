//! The HTTP contract of submission and job reads (spec §1–§4), end to end through the domain's
//! HTTP layer, on every adapter set: authentication, request validation, the accepted job as
//! recorded, staged and enqueued, and job reads. Idempotency (replays, mismatches, keys in
//! use, races, scoping, expiry, recovery) is tests/idempotency.rs.

use adgen::auth::{KeyState, hash_key};
use adgen::brands::Brand;
use adgen::jobs::ReferenceSource;
use std::sync::atomic::Ordering;

use adgen::ports::Clock;
use adgen_tests::{
    Answer, Backend, ManualClock, NOW, answer, assert_request_id, client, on_every_backend,
    png_b64, request,
};
use serde_json::{Value, json};
use uuid::Uuid;

const GENERATIONS: &str = "/api/v1/images/generations";

on_every_backend!(
    authentication_codes,
    accepted_job_is_recorded_staged_and_enqueued,
    a_submission_takes_two_round_trips_without_a_key_and_three_with_one,
    request_level_errors,
    jobs_are_read_within_the_organisation_only,
    brand_id_wins_over_inline_identity,
    completed_jobs_carry_an_image_url_minted_per_read,
);

async fn authentication_codes(b: Backend) {
    let c = client(&b).await;
    let body = r#"{"prompt":"hi"}"#;
    let send = |auth: Option<&str>| {
        let mut req = request("POST", GENERATIONS, None, None, body);
        if let Some(value) = auth {
            req.headers_mut()
                .insert("authorization", value.parse().expect("header"));
        }
        c.app.api.handle(req)
    };
    answer(send(None).await).assert_error(
        401,
        "authentication_error",
        "missing_authorization_header",
    );
    answer(send(Some(&format!("Basic {}", c.key))).await).assert_error(
        401,
        "authentication_error",
        "invalid_authorization_scheme",
    );
    answer(send(Some("Bearer sk_live_unknown")).await).assert_error(
        401,
        "authentication_error",
        "invalid_api_key",
    );
    answer(send(Some("Bearer not-even-prefixed")).await).assert_error(
        401,
        "authentication_error",
        "invalid_api_key",
    );
    let jobs = answer(
        c.app
            .api
            .handle(request(
                "GET",
                &format!("/api/v1/jobs/{}", Uuid::new_v4()),
                None,
                None,
                "",
            ))
            .await,
    );
    jobs.assert_error(401, "authentication_error", "missing_authorization_header");

    // Key state is read through a fresh service (the warm cache would keep the old state for
    // up to its lifetime, by design).
    for (state, status, error_type, code) in [
        (
            KeyState::Disabled,
            403,
            "permission_error",
            "api_key_disabled",
        ),
        (
            KeyState::Revoked,
            401,
            "authentication_error",
            "invalid_api_key",
        ),
    ] {
        let (key, _) = b.new_key().await;
        let mut record = b
            .keys
            .get(&hash_key(&key))
            .await
            .expect("get")
            .expect("stored");
        record.state = state;
        b.keys.put(&record).await.expect("put");
        let app = b.app(ManualClock::at(NOW));
        let a = answer(
            app.api
                .handle(request("POST", GENERATIONS, Some(&key), None, body))
                .await,
        );
        a.assert_error(status, error_type, code);
    }
}

/// The submit path's latency is its sequential store and queue calls (issue 13's measure): the
/// job write and the send without a key; with one, the key's claim (which writes the job), the
/// send and the stored response; a replay is the claim alone.
async fn a_submission_takes_two_round_trips_without_a_key_and_three_with_one(b: Backend) {
    let c = client(&b).await;
    let (app, jobs, keys) = b.app_with_store_faults(c.clock.clone());
    let trips = || {
        jobs.calls.load(Ordering::SeqCst)
            + keys.calls.load(Ordering::SeqCst)
            + app.queue.sends_attempted.load(Ordering::SeqCst)
    };
    let body = r#"{"prompt":"count the trips"}"#;
    for (key, expected, replayed) in [
        (None, 2, None),
        (Some("trips-1"), 3, None),
        (Some("trips-1"), 1, Some("true")),
    ] {
        let before = trips();
        let a = answer(
            app.api
                .handle(request("POST", GENERATIONS, Some(&c.key), key, body))
                .await,
        );
        assert_eq!(a.status, 202, "{}", a.json);
        assert_eq!(a.header("x-idempotency-replayed"), replayed);
        assert_eq!(trips() - before, expected, "round trips with key {key:?}");
    }
    assert_eq!(b.drain_messages().await.len(), 2);
}

async fn accepted_job_is_recorded_staged_and_enqueued(b: Backend) {
    let c = client(&b).await;
    let body = json!({
        "prompt": "  Autumn sale banner for a coffee shop  ",
        "reference_images": [format!("data:image/png;base64,{}", png_b64()), "https://cdn.example.com/cup.jpg"],
        "brand_identity_json": {"primary_accent_hex": "#C0FFEE", "mascot": "owl"},
        "output": {"aspect_ratio": "auto", "format": "png"},
        "client_reference_id": "camp-42",
        "metadata": {"campaign": "q4"}
    });
    let a = c.post(GENERATIONS, None, &body.to_string()).await;
    assert_eq!(a.status, 202, "{}", a.json);
    let job_id = a.job_id();
    assert_eq!(job_id.get_version_num(), 4);
    assert_eq!(
        a.header("location"),
        Some(format!("/api/v1/jobs/{job_id}").as_str())
    );
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.json["object"], "job");
    assert_eq!(a.json["status"], "queued");
    assert_eq!(a.json["created_at"], NOW);
    assert_eq!(a.json["data"], json!({"job_id": job_id}));
    assert_request_id(a.json["id"].as_str().expect("id"));
    assert_eq!(a.json["id"].as_str(), a.header("x-request-id"));
    assert_eq!(a.header("x-idempotency-replayed"), None);

    let stored = b.jobs.get(job_id).await.expect("get").expect("job stored");
    assert_eq!(stored.org_id, c.org);
    assert!(stored.enqueued);
    let staged = format!("staging/{}/{job_id}/0", c.org);
    assert_eq!(
        stored.generation().expect("generation work").references,
        [
            ReferenceSource::Staged {
                key: staged.clone()
            },
            ReferenceSource::Url {
                url: "https://cdn.example.com/cup.jpg".into()
            }
        ]
    );
    let blob = b
        .blobs
        .get(&staged)
        .await
        .expect("get")
        .expect("inline image staged");
    assert_eq!(blob.content_type, "image/png");
    assert_eq!(
        blob.bytes.as_ref(),
        adgen_testkit::images::png(8, 6).as_slice()
    );

    assert_eq!(
        b.drain_messages().await,
        [adgen::ports::JobMessage {
            job_id,
            org_id: c.org
        }]
    );

    let read = c.get(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(read.status, 200, "{}", read.json);
    assert_eq!(read.json["object"], "job");
    assert_eq!(read.json["status"], "queued");
    let data = &read.json["data"];
    assert_eq!(data["id"], job_id.to_string());
    assert_eq!(data["object"], "job");
    assert_eq!(data["type"], "ad_generation");
    assert_eq!(data["status"], "queued");
    assert_eq!(data["client_reference_id"], "camp-42");
    assert_eq!(data["metadata"], json!({"campaign": "q4"}));
    assert_eq!(data["result_url"], Value::Null);
    assert_eq!(data["error_log"], Value::Null);
    assert_eq!(data["created_at"], NOW);
    assert_eq!(
        data["payload"],
        json!({"phase": "queued", "input": {
            "prompt": "Autumn sale banner for a coffee shop", "reference_image_count": 2,
            "has_brand_id": false, "has_brand_identity_json": true,
            "output": {"aspect_ratio": "auto", "format": "png"}}})
    );
    for internal in ["org_id", "work", "enqueued"] {
        assert!(
            data.get(internal).is_none(),
            "{internal} must not reach clients"
        );
    }
}

async fn request_level_errors(b: Backend) {
    let c = client(&b).await;
    let a = c
        .post(GENERATIONS, Some(&"k".repeat(256)), r#"{"prompt":"x"}"#)
        .await;
    a.assert_error(400, "invalid_request_error", "invalid_idempotency_key");
    assert_eq!(a.json["error"]["param"], "Idempotency-Key");
    let big = format!(r#"{{"prompt":"{}"}}"#, "x".repeat(6 * 1024 * 1024));
    c.post(GENERATIONS, None, &big).await.assert_error(
        413,
        "invalid_request_error",
        "request_too_large",
    );
    let mut plain = request("POST", GENERATIONS, Some(&c.key), None, r#"{"prompt":"x"}"#);
    plain
        .headers_mut()
        .insert("content-type", "text/plain".parse().expect("header"));
    answer(c.app.api.handle(plain).await).assert_error(
        415,
        "invalid_request_error",
        "unsupported_media_type",
    );
    let mut charset = request("POST", GENERATIONS, Some(&c.key), None, r#"{"prompt":"x"}"#);
    charset.headers_mut().insert(
        "content-type",
        "application/json; charset=utf-8".parse().expect("header"),
    );
    assert_eq!(answer(c.app.api.handle(charset).await).status, 202);

    let invalid = c
        .post(GENERATIONS, None, r#"{"prompt":"   ","output":{"aspect_ratio":"7:3","resolution":"8K"},"metadata":{"x":1},"colour":"red"}"#)
        .await;
    invalid.assert_error(400, "invalid_request_error", "invalid_request_body");
    let params: Vec<&str> = invalid.json["error"]["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["param"].as_str())
        .collect();
    assert_eq!(
        params,
        [
            "colour",
            "prompt",
            "output.aspect_ratio",
            "output.resolution",
            "metadata.x"
        ]
    );
    assert_eq!(invalid.json["error"]["param"], "colour");

    let refs = json!({"prompt": "x", "reference_images": [png_b64(), "https://127.0.0.1/a.png"]})
        .to_string();
    let a = c.post(GENERATIONS, None, &refs).await;
    a.assert_error(400, "invalid_request_error", "invalid_request_body");
    assert_eq!(a.json["error"]["param"], "reference_images[1]");
    assert_eq!(a.json["error"]["issues"][0]["code"], "blocked_address");

    c.get("/api/v1/nothing")
        .await
        .assert_error(404, "not_found_error", "route_not_found");
    let wrong = c.get(GENERATIONS).await;
    wrong.assert_error(405, "invalid_request_error", "method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("POST"));
    assert!(
        b.drain_messages().await.len() == 1,
        "only the charset request made a job"
    );
}

async fn jobs_are_read_within_the_organisation_only(b: Backend) {
    let (owner, stranger) = (client(&b).await, client(&b).await);
    let job_id = owner
        .post(GENERATIONS, None, r#"{"prompt":"mine"}"#)
        .await
        .job_id();
    assert_eq!(
        owner.get(&format!("/api/v1/jobs/{job_id}")).await.status,
        200
    );
    let upper = owner
        .get(&format!(
            "/api/v1/jobs/{}",
            job_id.to_string().to_uppercase()
        ))
        .await;
    assert_eq!(upper.status, 200);
    let foreign = stranger.get(&format!("/api/v1/jobs/{job_id}")).await;
    let missing = stranger
        .get(&format!("/api/v1/jobs/{}", Uuid::new_v4()))
        .await;
    foreign.assert_error(404, "not_found_error", "job_not_found");
    missing.assert_error(404, "not_found_error", "job_not_found");
    let strip = |a: &Answer| {
        let mut v = a.json.clone();
        v["error"]["request_id"] = Value::Null;
        v
    };
    assert_eq!(
        strip(&foreign),
        strip(&missing),
        "another organisation's job answers exactly as a missing one"
    );
    owner.get("/api/v1/jobs/not-a-uuid").await.assert_error(
        400,
        "invalid_request_error",
        "invalid_job_id",
    );
}

async fn brand_id_wins_over_inline_identity(b: Backend) {
    let c = client(&b).await;
    let brand = Brand {
        id: Uuid::new_v4(),
        org_id: c.org,
        name: "Acme".into(),
        domain: None,
        brand_dna: serde_json::Map::new(),
        logo: None,
        sources: Default::default(),
        created_at: c.clock.now(),
        updated_at: c.clock.now(),
    };
    b.brands.put(&brand).await.expect("brand stored");
    let body = json!({"prompt": "x", "brand_id": brand.id, "brand_identity_json": {"core_slogan": "ignored"}});
    let a = c.post(GENERATIONS, None, &body.to_string()).await;
    assert_eq!(a.status, 202, "{}", a.json);
    let job = b.jobs.get(a.job_id()).await.expect("get").expect("job");
    let work = job.generation().expect("generation work");
    assert_eq!(work.brand_id, Some(brand.id));
    assert_eq!(work.brand_identity, None);
    let adgen::jobs::JobInput::Generation(input) = &job.payload.input else {
        panic!("a generation's input");
    };
    assert!(input.has_brand_id && input.has_brand_identity_json);
    // Another organisation's brand is unknown here.
    let other = client(&b).await;
    let a = other
        .post(
            GENERATIONS,
            None,
            &json!({"prompt": "x", "brand_id": brand.id}).to_string(),
        )
        .await;
    a.assert_error(400, "invalid_request_error", "brand_not_found");
}

async fn completed_jobs_carry_an_image_url_minted_per_read(b: Backend) {
    let c = client(&b).await;
    let job_id = c
        .post(
            GENERATIONS,
            None,
            r#"{"prompt":"poster","output":{"format":"webp"}}"#,
        )
        .await
        .job_id();
    let path = format!("/api/v1/jobs/{job_id}");
    assert!(
        c.get(&path).await.json["data"]["payload"]
            .get("image_url")
            .is_none(),
        "no image yet"
    );

    let adgen::ports::Claim::Claimed(job) = b
        .jobs
        .claim(job_id, "w", NOW, NOW + 60)
        .await
        .expect("claim")
    else {
        panic!("claimable");
    };
    let mut done = *job;
    done.status = adgen::jobs::JobStatus::Completed;
    done.payload.phase = adgen::jobs::Phase::Completed;
    let work = done.generation().expect("generation work");
    done.payload.output_applied = Some(work.output.apply(&work.prompt));
    done.result_url = Some(format!("ads/{job_id}"));
    done.lease = None;
    assert!(b.jobs.save_leased(&done, "w").await.expect("save"));

    let read = c.get(&path).await;
    assert_eq!(read.json["status"], "completed");
    let url = read.json["data"]["payload"]["image_url"]
        .as_str()
        .expect("image_url")
        .to_owned();
    let key = format!("ads/{}/{job_id}.webp", c.org);
    match b.kind {
        adgen_tests::Kind::Embedded => assert_eq!(
            url,
            format!("{}/files/{key}", adgen_tests::EMBEDDED_FILES_BASE)
        ),
        adgen_tests::Kind::Aws => {
            assert!(
                url.contains(&key) && url.contains("X-Amz-Signature="),
                "a presigned GET: {url}"
            );
            assert!(url.contains("X-Amz-Expires=300"), "{url}");
        }
    }
    let stored = b.jobs.get(job_id).await.expect("get").expect("job");
    assert_eq!(stored.payload.image_url, None, "URLs are never stored");
}
