//! The HTTP contract of submission and job reads (spec §1–§4), end to end through the domain's
//! HTTP layer, on every adapter set.

use std::sync::Arc;

use adgen::auth::{KeyState, hash_key};
use adgen::brands::Brand;
use adgen::contract::generation::GenerationRequest;
use adgen::http::HttpResponse;
use adgen::idempotency::{self, IdempotencyRecord, IdempotencyScope, IdempotencyState};
use adgen::jobs::ReferenceSource;
use adgen::ports::Clock;
use adgen_tests::{App, Backend, ManualClock, on_every_backend, request};
use serde_json::{Value, json};
use uuid::Uuid;

const NOW: i64 = 1_764_100_000;
const GENERATIONS: &str = "/api/v1/images/generations";
const ADS_GENERATE: &str = "/api/v1/ads/generate";

on_every_backend!(
    authentication_codes,
    accepted_job_is_recorded_staged_and_enqueued,
    both_paths_share_one_idempotency_key_space,
    replay_is_byte_for_byte_and_ignores_key_order,
    different_body_under_a_key_is_a_mismatch,
    key_in_use_while_the_first_request_runs,
    failed_attempts_store_nothing,
    queue_fault_then_retry_enqueues_the_job_exactly_once,
    crashed_attempt_lock_expires_and_the_retry_finishes_its_job,
    keys_expire_by_their_own_timestamp,
    idempotency_keys_are_scoped_per_organisation,
    fifty_concurrent_copies_make_one_job,
    request_level_errors,
    jobs_are_read_within_the_organisation_only,
    brand_id_wins_over_inline_identity,
    completed_jobs_carry_an_image_url_minted_per_read,
);

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    raw: bytes::Bytes,
    json: Value,
}

fn answer(response: HttpResponse) -> Answer {
    let (parts, raw) = response.into_parts();
    let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        raw,
        json,
    }
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("<none>")
    }

    fn job_id(&self) -> Uuid {
        self.json["data"]["job_id"]
            .as_str()
            .and_then(|s| Uuid::try_parse(s).ok())
            .expect("a job id")
    }

    /// Every error has the full envelope, and its request id is the header's.
    fn assert_error(&self, status: u16, error_type: &str, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.json);
        let error = &self.json["error"];
        assert_eq!(error["type"], error_type);
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        let id = error["request_id"].as_str().expect("request_id");
        assert_eq!(Some(id), self.header("x-request-id"));
        assert_request_id(id);
    }
}

fn assert_request_id(id: &str) {
    let uuid = id
        .strip_prefix("req_pi_")
        .and_then(|u| Uuid::try_parse(u).ok())
        .expect("req_pi_<uuid>");
    assert_eq!(uuid.get_version_num(), 4);
}

struct Client {
    app: App,
    key: String,
    org: Uuid,
    clock: Arc<ManualClock>,
}

async fn client(b: &Backend) -> Client {
    let clock = ManualClock::at(NOW);
    let (key, org) = b.new_key().await;
    Client {
        app: b.app(clock.clone()),
        key,
        org,
        clock,
    }
}

impl Client {
    async fn post(&self, path: &str, idem: Option<&str>, body: &str) -> Answer {
        answer(
            self.app
                .api
                .handle(request("POST", path, Some(&self.key), idem, body))
                .await,
        )
    }

    async fn get(&self, path: &str) -> Answer {
        answer(
            self.app
                .api
                .handle(request("GET", path, Some(&self.key), None, ""))
                .await,
        )
    }
}

fn png_b64() -> String {
    adgen_tests::b64(&adgen_testkit::images::png(8, 6))
}

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
        stored.work.references,
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

async fn both_paths_share_one_idempotency_key_space(b: Backend) {
    let c = client(&b).await;
    let body = r#"{"prompt":"one endpoint"}"#;
    let first = c.post(GENERATIONS, Some("shared-1"), body).await;
    let second = c.post(ADS_GENERATE, Some("shared-1"), body).await;
    assert_eq!((first.status, second.status), (202, 202));
    assert_eq!(second.raw, first.raw);
    assert_eq!(second.header("x-idempotency-replayed"), Some("true"));
    let mismatch = c
        .post(ADS_GENERATE, Some("shared-1"), r#"{"prompt":"other"}"#)
        .await;
    mismatch.assert_error(409, "idempotency_error", "idempotency_key_mismatch");
    let alias_only = c.post(ADS_GENERATE, Some("alias-1"), body).await;
    assert_eq!(alias_only.status, 202);
    assert_ne!(alias_only.job_id(), first.job_id());
    assert_eq!(b.drain_messages().await.len(), 2);
}

async fn replay_is_byte_for_byte_and_ignores_key_order(b: Backend) {
    let c = client(&b).await;
    let first = c
        .post(GENERATIONS, Some("evt-0001"), r#"{"prompt":"Coffee","output":{"format":"png","resolution":"1K"},"metadata":{"a":"1","b":"2"}}"#)
        .await;
    assert_eq!(first.status, 202);
    c.clock.advance(5);
    let replay = c
        .post(
            GENERATIONS,
            Some("evt-0001"),
            "{ \"metadata\": {\"b\":\"2\", \"a\":\"1\"},\n  \"output\" : {\"resolution\":\"1K\",\"format\":\"png\"}, \"prompt\":\"  Coffee \" }",
        )
        .await;
    assert_eq!(replay.status, 202);
    assert_eq!(replay.raw, first.raw, "the original body, byte for byte");
    assert_eq!(replay.header("x-idempotency-replayed"), Some("true"));
    assert_eq!(replay.header("x-request-id"), first.header("x-request-id"));
    assert_eq!(replay.header("location"), first.header("location"));
    assert_eq!(
        b.drain_messages().await.len(),
        1,
        "a replay enqueues nothing"
    );
}

async fn different_body_under_a_key_is_a_mismatch(b: Backend) {
    let c = client(&b).await;
    assert_eq!(
        c.post(GENERATIONS, Some("k-1"), r#"{"prompt":"A"}"#)
            .await
            .status,
        202
    );
    let a = c.post(GENERATIONS, Some("k-1"), r#"{"prompt":"B"}"#).await;
    a.assert_error(409, "idempotency_error", "idempotency_key_mismatch");
    assert_eq!(a.json["error"]["param"], "Idempotency-Key");
    let a = c
        .post(
            GENERATIONS,
            Some("k-1"),
            r#"{"prompt":"A","output":{"format":"png"}}"#,
        )
        .await;
    a.assert_error(409, "idempotency_error", "idempotency_key_mismatch");
}

fn fingerprint_of(body: &str) -> String {
    let request = GenerationRequest::parse(body.as_bytes()).expect("valid body");
    idempotency::fingerprint(&request.canonical())
}

async fn key_in_use_while_the_first_request_runs(b: Backend) {
    let c = client(&b).await;
    let body = r#"{"prompt":"slow one"}"#;
    // The first request holds the key's lock (as it does while it runs).
    let scope = IdempotencyScope::new(c.org, "images.generations", "busy-1");
    let held = IdempotencyRecord {
        scope: scope.clone(),
        fingerprint: fingerprint_of(body),
        token: "first".into(),
        job_id: Uuid::new_v4(),
        state: IdempotencyState::InProgress,
        created_at: NOW,
        lock_until: NOW + 30,
        expires_at: NOW + 86_400,
    };
    assert!(
        b.idempotency
            .insert(&held, NOW)
            .await
            .expect("insert")
            .is_none()
    );
    let a = c.post(GENERATIONS, Some("busy-1"), body).await;
    a.assert_error(409, "idempotency_error", "idempotency_key_in_use");
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(a.json["error"]["param"], "Idempotency-Key");
    let other = c
        .post(GENERATIONS, Some("busy-1"), r#"{"prompt":"another"}"#)
        .await;
    other.assert_error(409, "idempotency_error", "idempotency_key_mismatch");
    assert!(b.drain_messages().await.is_empty());
}

async fn failed_attempts_store_nothing(b: Backend) {
    let c = client(&b).await;
    c.post(GENERATIONS, Some("f-1"), r#"{"prompt":""}"#)
        .await
        .assert_error(400, "invalid_request_error", "invalid_request_body");
    c.post(GENERATIONS, Some("f-1"), "{not json")
        .await
        .assert_error(400, "invalid_request_error", "invalid_json_body");
    let unknown_brand = json!({"prompt": "x", "brand_id": Uuid::new_v4()}).to_string();
    let a = c.post(GENERATIONS, Some("f-1"), &unknown_brand).await;
    a.assert_error(400, "invalid_request_error", "brand_not_found");
    assert_eq!(a.json["error"]["param"], "brand_id");
    let ok = c
        .post(GENERATIONS, Some("f-1"), r#"{"prompt":"finally valid"}"#)
        .await;
    assert_eq!(
        ok.status, 202,
        "a key whose attempts failed is still free: {}",
        ok.json
    );
}

async fn queue_fault_then_retry_enqueues_the_job_exactly_once(b: Backend) {
    let c = client(&b).await;
    let body = r#"{"prompt":"survive an SQS outage"}"#;
    c.app.queue.fail_next(1);
    let failed = c.post(GENERATIONS, Some("q-1"), body).await;
    failed.assert_error(503, "api_error", "service_unavailable");
    assert_eq!(failed.header("retry-after"), Some("1"));
    assert!(
        !failed.raw.windows(8).any(|w| w == b"injected"),
        "no internal text reaches the client"
    );
    assert!(b.drain_messages().await.is_empty());

    // The job record was written before the send failed; the key remembers it.
    let scope = IdempotencyScope::new(c.org, "images.generations", "q-1");
    let probe = IdempotencyRecord {
        scope,
        fingerprint: "probe".into(),
        token: "probe".into(),
        job_id: Uuid::new_v4(),
        state: IdempotencyState::InProgress,
        created_at: NOW,
        lock_until: NOW,
        expires_at: NOW + 1,
    };
    let kept = b
        .idempotency
        .insert(&probe, NOW)
        .await
        .expect("insert")
        .expect("record kept for the retry");
    assert_eq!(
        kept.lock_until, 0,
        "the failed attempt released its lock at once"
    );
    let orphan = b
        .jobs
        .get(kept.job_id)
        .await
        .expect("get")
        .expect("job written");
    assert!(!orphan.enqueued);

    c.clock.advance(1);
    let retry = c.post(GENERATIONS, Some("q-1"), body).await;
    assert_eq!(retry.status, 202, "{}", retry.json);
    assert_eq!(
        retry.job_id(),
        kept.job_id,
        "the retry finishes the same job"
    );
    assert!(
        b.jobs
            .get(kept.job_id)
            .await
            .expect("get")
            .expect("job")
            .enqueued
    );
    let again = c.post(GENERATIONS, Some("q-1"), body).await;
    assert_eq!(again.raw, retry.raw);
    assert_eq!(
        b.drain_messages().await,
        [adgen::ports::JobMessage {
            job_id: kept.job_id,
            org_id: c.org
        }]
    );
}

async fn crashed_attempt_lock_expires_and_the_retry_finishes_its_job(b: Backend) {
    let c = client(&b).await;
    let body = r#"{"prompt":"the first attempt died"}"#;
    let crashed_job = Uuid::new_v4();
    let scope = IdempotencyScope::new(c.org, "images.generations", "crash-1");
    let stale = IdempotencyRecord {
        scope,
        fingerprint: fingerprint_of(body),
        token: "dead".into(),
        job_id: crashed_job,
        state: IdempotencyState::InProgress,
        created_at: NOW - 60,
        lock_until: NOW - 30,
        expires_at: NOW + 86_400,
    };
    assert!(
        b.idempotency
            .insert(&stale, NOW - 60)
            .await
            .expect("insert")
            .is_none()
    );
    let a = c.post(GENERATIONS, Some("crash-1"), body).await;
    assert_eq!(a.status, 202, "{}", a.json);
    assert_eq!(a.job_id(), crashed_job);
    assert_eq!(b.drain_messages().await.len(), 1);
    let other = c
        .post(
            GENERATIONS,
            Some("crash-1"),
            r#"{"prompt":"something else"}"#,
        )
        .await;
    other.assert_error(409, "idempotency_error", "idempotency_key_mismatch");
}

async fn keys_expire_by_their_own_timestamp(b: Backend) {
    let c = client(&b).await;
    let first = c
        .post(GENERATIONS, Some("exp-1"), r#"{"prompt":"day one"}"#)
        .await;
    assert_eq!(first.status, 202);
    c.clock.advance(24 * 3600 - 1);
    let still = c
        .post(GENERATIONS, Some("exp-1"), r#"{"prompt":"day two"}"#)
        .await;
    still.assert_error(409, "idempotency_error", "idempotency_key_mismatch");
    c.clock.advance(1);
    let reused = c
        .post(GENERATIONS, Some("exp-1"), r#"{"prompt":"day two"}"#)
        .await;
    assert_eq!(reused.status, 202, "{}", reused.json);
    assert_ne!(reused.job_id(), first.job_id());
}

async fn idempotency_keys_are_scoped_per_organisation(b: Backend) {
    let (c1, c2) = (client(&b).await, client(&b).await);
    let a1 = c1
        .post(GENERATIONS, Some("same"), r#"{"prompt":"org one"}"#)
        .await;
    let a2 = c2
        .post(GENERATIONS, Some("same"), r#"{"prompt":"org two"}"#)
        .await;
    assert_eq!((a1.status, a2.status), (202, 202));
    assert_ne!(a1.job_id(), a2.job_id());
}

async fn fifty_concurrent_copies_make_one_job(b: Backend) {
    let c = Arc::new(client(&b).await);
    let body = json!({"prompt": "race", "reference_images": [png_b64()]}).to_string();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (c, body) = (c.clone(), body.clone());
            tokio::spawn(async move { c.post(GENERATIONS, Some("race-1"), &body).await })
        })
        .collect();
    let mut accepted = Vec::new();
    let mut in_use = 0;
    for task in tasks {
        let a = task.await.expect("task");
        match a.status {
            202 => accepted.push(a),
            409 => {
                a.assert_error(409, "idempotency_error", "idempotency_key_in_use");
                in_use += 1;
            }
            other => panic!("unexpected {other}: {}", a.json),
        }
    }
    assert!(!accepted.is_empty());
    let first = &accepted[0];
    assert!(
        accepted.iter().all(|a| a.raw == first.raw),
        "every 202 is the same response"
    );
    let replays = accepted
        .iter()
        .filter(|a| a.header("x-idempotency-replayed") == Some("true"))
        .count();
    assert_eq!(
        replays,
        accepted.len() - 1,
        "one original, the rest replays"
    );
    assert_eq!(accepted.len() + in_use, 50);
    let messages = b.drain_messages().await;
    assert_eq!(
        messages,
        [adgen::ports::JobMessage {
            job_id: first.job_id(),
            org_id: c.org
        }]
    );
    println!(
        "race on {:?}: {} accepted ({} replays), {} in use",
        b.kind,
        accepted.len(),
        replays,
        in_use
    );
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
        created_at: c.clock.now(),
        updated_at: c.clock.now(),
    };
    b.brands.put(&brand).await.expect("brand stored");
    let body = json!({"prompt": "x", "brand_id": brand.id, "brand_identity_json": {"core_slogan": "ignored"}});
    let a = c.post(GENERATIONS, None, &body.to_string()).await;
    assert_eq!(a.status, 202, "{}", a.json);
    let job = b.jobs.get(a.job_id()).await.expect("get").expect("job");
    assert_eq!(job.work.brand_id, Some(brand.id));
    assert_eq!(job.work.brand_identity, None);
    assert!(job.payload.input.has_brand_id && job.payload.input.has_brand_identity_json);
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
    done.payload.output_applied = Some(done.work.output.apply(&done.work.prompt));
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
