//! Idempotency of submission (spec §3), end to end through the domain's HTTP layer, on every
//! adapter set: replays byte for byte, mismatched bodies, keys in use, concurrent copies,
//! scoping per organisation, expiry, and recovery from a failed queue send (which leaves
//! nothing behind) or a crashed attempt. The rest of submission's HTTP contract is tests/submission.rs.

use std::sync::Arc;

use adgen::contract::generation::GenerationRequest;
use adgen::idempotency::{self, IdempotencyRecord, IdempotencyScope, IdempotencyState};
use adgen_tests::{Backend, NOW, client, on_every_backend, png_b64};
use serde_json::json;
use uuid::Uuid;

const GENERATIONS: &str = "/api/v1/images/generations";
const ADS_GENERATE: &str = "/api/v1/ads/generate";

on_every_backend!(
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
);

fn fingerprint_of(body: &str) -> String {
    let request = GenerationRequest::parse(body.as_bytes()).expect("valid body");
    idempotency::fingerprint(&request.canonical())
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
    let body =
        json!({"prompt": "survive an SQS outage", "reference_images": [png_b64()]}).to_string();
    let org_jobs = || async {
        let listed = b.jobs.list_stale(NOW + 3600, 100).await.expect("list");
        listed.into_iter().filter(|j| j.org_id == c.org).count()
    };
    for key in [Some("q-1"), None] {
        c.app.queue.fail_next(1);
        let failed = c.post(GENERATIONS, key, &body).await;
        failed.assert_error(503, "api_error", "service_unavailable");
        assert_eq!(failed.header("retry-after"), Some("1"));
        assert!(
            !failed.raw.windows(8).any(|w| w == b"injected"),
            "no internal text reaches the client"
        );
        assert!(b.drain_messages().await.is_empty());
        // The failed send took its job back: nothing runs behind the client's 503.
        assert_eq!(org_jobs().await, 0, "no job left ({key:?})");
    }
    // ... and freed the key: a probe claims it at once.
    let scope = IdempotencyScope::new(c.org, "images.generations", "q-1");
    let probe = IdempotencyRecord {
        scope: scope.clone(),
        fingerprint: "probe".into(),
        token: "probe".into(),
        job_id: Uuid::new_v4(),
        state: IdempotencyState::InProgress,
        created_at: NOW,
        lock_until: NOW,
        expires_at: NOW + 1,
    };
    assert!(
        b.idempotency
            .insert(&probe, NOW)
            .await
            .expect("insert")
            .is_none(),
        "the key is free again"
    );
    b.idempotency.remove(&scope, "probe").await.expect("remove");

    c.clock.advance(1);
    let retry = c.post(GENERATIONS, Some("q-1"), &body).await;
    assert_eq!(retry.status, 202, "{}", retry.json);
    let job = b.jobs.get(retry.job_id()).await.expect("get").expect("job");
    assert!(job.enqueued);
    let again = c.post(GENERATIONS, Some("q-1"), &body).await;
    assert_eq!(again.raw, retry.raw);
    assert_eq!(
        b.drain_messages().await,
        [adgen::ports::JobMessage {
            job_id: retry.job_id(),
            org_id: c.org
        }]
    );
    assert_eq!(org_jobs().await, 1);
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
