//! The `events/*.json` files (real API Gateway HTTP API v2 payloads) fed through the Lambda
//! conversion and the functions' handlers, on every adapter set.

use std::path::PathBuf;

use adgen::auth::{ApiKeyRecord, KeyState, hash_key};
use adgen::ports::CreateJob;
use adgen_tests::{Backend, ManualClock, on_every_backend};
use serde_json::Value;
use uuid::Uuid;

const EVENTS_KEY: &str = "sk_live_events_0123456789abcdefghijklmnopqrstuv";
const EVENTS_JOB: &str = "7b8c9f2f-8d7a-4a39-8d8d-1cd4d11f8a7a";

on_every_backend!(events_through_the_handlers);

fn event(name: &str) -> lambda_http::Request {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    lambda_http::request::from_str(&text)
        .unwrap_or_else(|e| panic!("{name} is not an API Gateway event: {e}"))
}

struct Out {
    status: u16,
    replayed: bool,
    body: String,
    json: Value,
}

async fn run(app: &adgen_tests::App, name: &str) -> Out {
    let request = adgen_lambda::to_domain(event(name));
    let response = if name.starts_with("jobs") {
        adgen::http::handle_jobs(&app.api.jobs, request).await
    } else if name.starts_with("brands") {
        adgen::http::handle_brands(&app.api.brands, request).await
    } else {
        adgen::http::handle_submit(&app.api.submit, request).await
    };
    let response = adgen_lambda::to_lambda(response);
    let replayed = response.headers().contains_key("x-idempotency-replayed");
    let status = response.status().as_u16();
    let body = match response.into_body() {
        lambda_http::Body::Text(text) => text,
        other => panic!("JSON answers travel as text, got {other:?}"),
    };
    let json = serde_json::from_str(&body).expect("JSON body");
    Out {
        status,
        replayed,
        body,
        json,
    }
}

async fn events_through_the_handlers(b: Backend) {
    let org = Uuid::new_v4();
    let record = ApiKeyRecord {
        key_hash: hash_key(EVENTS_KEY),
        org_id: org,
        state: KeyState::Active,
        created_at: 0,
    };
    b.keys.put(&record).await.expect("events key stored");
    let app = b.app(ManualClock::at(1_764_100_000));

    let valid = run(&app, "submit-valid.json").await;
    assert_eq!(valid.status, 202, "{}", valid.body);
    let replay = run(&app, "submit-replay.json").await;
    assert_eq!((replay.status, replay.replayed), (202, true));
    assert_eq!(replay.body, valid.body, "replayed byte for byte");
    let mismatch = run(&app, "submit-mismatch.json").await;
    assert_eq!(
        (mismatch.status, mismatch.json["error"]["code"].as_str()),
        (409, Some("idempotency_key_mismatch"))
    );
    let alias = run(&app, "submit-alias-valid.json").await;
    assert_eq!(alias.status, 202, "{}", alias.body);
    let invalid = run(&app, "submit-invalid.json").await;
    assert_eq!(
        (invalid.status, invalid.json["error"]["code"].as_str()),
        (400, Some("invalid_request_body"))
    );
    assert!(
        invalid.json["error"]["issues"]
            .as_array()
            .is_some_and(|i| i.len() >= 4),
        "{}",
        invalid.body
    );
    let anonymous = run(&app, "submit-unauthenticated.json").await;
    assert_eq!(
        (anonymous.status, anonymous.json["error"]["code"].as_str()),
        (401, Some("missing_authorization_header"))
    );

    let bad_id = run(&app, "jobs-get-invalid-id.json").await;
    assert_eq!(
        (bad_id.status, bad_id.json["error"]["code"].as_str()),
        (400, Some("invalid_job_id"))
    );
    let missing = run(&app, "jobs-get.json").await;
    assert_eq!(
        (missing.status, missing.json["error"]["code"].as_str()),
        (404, Some("job_not_found"))
    );

    // Give the events' job id to a real job of this organisation, then read it.
    let mut job = b
        .jobs
        .get(
            valid.json["data"]["job_id"]
                .as_str()
                .and_then(|s| Uuid::try_parse(s).ok())
                .expect("job id"),
        )
        .await
        .expect("get")
        .expect("job");
    job.id = Uuid::try_parse(EVENTS_JOB).expect("uuid");
    assert!(matches!(
        b.jobs.create(&job).await.expect("create"),
        CreateJob::Created
    ));
    let found = run(&app, "jobs-get.json").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.json["data"]["id"], EVENTS_JOB);
    assert_eq!(found.json["data"]["client_reference_id"], "camp-42");

    // The brands function's routes: a brand with an SVG logo, the listing, an extraction.
    let created = run(&app, "brands-create.json").await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json["data"]["logo"]["source_format"], "svg");
    assert_eq!(created.json["data"]["domain"], "acme.example");
    let listed = run(&app, "brands-list.json").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json["data"]["total_count"], 1);
    let extraction = run(&app, "brands-extract.json").await;
    assert_eq!(extraction.status, 202, "{}", extraction.body);
    assert_eq!(extraction.json["object"], "job");
}
