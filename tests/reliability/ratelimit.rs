//! Per-key rate limits (spec §9): the counters' contract (exact under contention), and the
//! HTTP behaviour: exactly `limit` of a burst pass, the rest get 429 with `Retry-After` and
//! create nothing, every authenticated answer carries `X-RateLimit-*`, the window slides.

use std::collections::BTreeSet;
use std::sync::Arc;

use adgen::auth::hash_key;
use adgen::ratelimit::Slice;
use adgen::service::auth::AuthSettings;
use adgen_tests::{Answer, App, Backend, ManualClock, NOW, answer, on_every_backend, request};
use serde_json::json;
use tokio::task::JoinSet;
use uuid::Uuid;

on_every_backend!(
    counters_take_exactly_up_to_the_bound_under_contention,
    a_burst_of_fifty_against_a_limit_of_twenty_admits_exactly_twenty,
    every_authenticated_answer_carries_the_quota,
    the_window_slides_and_each_key_has_its_own,
);

const GENERATIONS: &str = "/api/v1/images/generations";

fn limited(limit: u32) -> AuthSettings {
    AuthSettings {
        rate_limit_per_minute: Some(limit),
        ..AuthSettings::default()
    }
}

fn header_u64(a: &Answer, name: &str) -> u64 {
    a.header(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing or not a number: {:?}", a.headers))
}

async fn counters_take_exactly_up_to_the_bound_under_contention(b: Backend) {
    let key = hash_key(&format!("sk_live_{}", Uuid::new_v4()));
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = b.rate_limits.clone();
        let key = key.clone();
        tasks.spawn(async move {
            store
                .increment_below(&key, NOW, 20, NOW + 120)
                .await
                .expect("increment")
        });
    }
    let taken: Vec<u32> = tasks.join_all().await.into_iter().flatten().collect();
    assert_eq!(taken.len(), 20, "exactly the bound is taken: {taken:?}");
    assert_eq!(
        taken.iter().copied().collect::<BTreeSet<_>>(),
        (1..=20).collect(),
        "each increment saw its own count"
    );
    // Other seconds and other keys are separate counters; reads are ordered by second.
    assert_eq!(
        b.rate_limits
            .increment_below(&key, NOW - 5, 3, NOW + 115)
            .await
            .expect("older"),
        Some(1)
    );
    assert_eq!(
        b.rate_limits
            .increment_below("another", NOW, 1, NOW + 120)
            .await
            .expect("other key"),
        Some(1)
    );
    let slices = b
        .rate_limits
        .counts(&key, NOW - 59, NOW)
        .await
        .expect("counts");
    assert_eq!(
        slices,
        [
            Slice {
                second: NOW - 5,
                count: 1
            },
            Slice {
                second: NOW,
                count: 20
            }
        ]
    );
    assert_eq!(
        b.rate_limits
            .counts(&key, NOW - 59, NOW - 6)
            .await
            .expect("none"),
        []
    );
    // A refused increment wrote nothing.
    assert_eq!(
        b.rate_limits
            .increment_below(&key, NOW, 20, NOW + 120)
            .await
            .expect("refused"),
        None
    );
    assert_eq!(
        b.rate_limits.counts(&key, NOW, NOW).await.expect("counts")[0].count,
        20
    );
}

/// `n` submissions at once, each with its own body and key; the answers in sending order.
async fn send_all(app: &Arc<App>, key: &str, n: usize) -> Vec<Answer> {
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let app = app.clone();
        let key = key.to_owned();
        tasks.spawn(async move {
            let body = json!({"prompt": format!("Burst ad {i}")}).to_string();
            let idem = format!("burst-{i}");
            let sent = app
                .api
                .handle(request("POST", GENERATIONS, Some(&key), Some(&idem), &body))
                .await;
            (i, answer(sent))
        });
    }
    let mut answers = tasks.join_all().await;
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, a)| a).collect()
}

async fn a_burst_of_fifty_against_a_limit_of_twenty_admits_exactly_twenty(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = Arc::new(b.app_with_auth(clock.clone(), limited(20)));
    let (key, _) = b.new_key().await;
    let answers = send_all(&app, &key, 50).await;
    let (accepted, refused): (Vec<&Answer>, Vec<&Answer>) =
        answers.iter().partition(|a| a.status == 202);
    assert_eq!(accepted.len(), 20, "exactly the limit passes");
    assert_eq!(refused.len(), 30);
    for a in &refused {
        a.assert_error(429, "rate_limit_error", "rate_limit_exceeded");
        // Every request of the window is in this second: free again a minute on.
        assert_eq!(header_u64(a, "retry-after"), 60);
        assert_eq!(header_u64(a, "x-ratelimit-limit"), 20);
        assert_eq!(header_u64(a, "x-ratelimit-remaining"), 0);
        assert_eq!(header_u64(a, "x-ratelimit-reset"), (NOW + 60) as u64);
    }
    let remaining: BTreeSet<u64> = accepted
        .iter()
        .map(|a| header_u64(a, "x-ratelimit-remaining"))
        .collect();
    assert_eq!(
        remaining,
        (0..20).collect(),
        "each admitted request saw its own count"
    );
    // Nothing was created by a refused request: 20 jobs, 20 messages.
    let jobs: BTreeSet<Uuid> = accepted.iter().map(|a| a.job_id()).collect();
    assert_eq!(jobs.len(), 20);
    let queued: BTreeSet<Uuid> = b
        .drain_messages()
        .await
        .into_iter()
        .map(|m| m.job_id)
        .collect();
    assert_eq!(queued, jobs);
    // A refused key holds no idempotency record: once the window passes, the same key and
    // body create a new job instead of replaying anything.
    let refused_index = answers.iter().position(|a| a.status == 429).expect("one");
    clock.advance(60);
    let body = json!({"prompt": format!("Burst ad {refused_index}")}).to_string();
    let idem = format!("burst-{refused_index}");
    let again = answer(
        app.api
            .handle(request("POST", GENERATIONS, Some(&key), Some(&idem), &body))
            .await,
    );
    assert_eq!(again.status, 202, "{}", again.json);
    assert_eq!(again.header("x-idempotency-replayed"), None);
    assert!(!jobs.contains(&again.job_id()));
}

async fn every_authenticated_answer_carries_the_quota(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app_with_auth(clock.clone(), limited(5));
    let (key, _) = b.new_key().await;
    let send = |method: &str, path: &str, idem: Option<&str>, body: &str| {
        app.api
            .handle(request(method, path, Some(&key), idem, body))
    };
    let created = answer(send("POST", GENERATIONS, Some("quota-1"), r#"{"prompt":"Hi"}"#).await);
    assert_eq!(created.status, 202);
    assert_eq!(header_u64(&created, "x-ratelimit-remaining"), 4);
    // A replay counts as a request (spec §9) and says so in its own headers.
    let replay = answer(send("POST", GENERATIONS, Some("quota-1"), r#"{"prompt":"Hi"}"#).await);
    assert_eq!(replay.header("x-idempotency-replayed"), Some("true"));
    assert_eq!(header_u64(&replay, "x-ratelimit-remaining"), 3);
    // Refusals after authentication count and carry the headers too.
    let invalid = answer(send("POST", GENERATIONS, None, r#"{"prompt":""}"#).await);
    invalid.assert_error(400, "invalid_request_error", "invalid_request_body");
    assert_eq!(header_u64(&invalid, "x-ratelimit-remaining"), 2);
    let missing = answer(send("GET", &format!("/api/v1/jobs/{}", Uuid::new_v4()), None, "").await);
    missing.assert_error(404, "not_found_error", "job_not_found");
    assert_eq!(header_u64(&missing, "x-ratelimit-remaining"), 1);
    let brands = answer(send("GET", "/api/v1/brands", None, "").await);
    assert_eq!(brands.status, 200);
    assert_eq!(header_u64(&brands, "x-ratelimit-remaining"), 0);
    assert_eq!(header_u64(&brands, "x-ratelimit-limit"), 5);
    assert_eq!(header_u64(&brands, "x-ratelimit-reset"), (NOW + 60) as u64);
    // Every route is limited, webhooks included.
    answer(send("GET", "/api/v1/webhooks", None, "").await).assert_error(
        429,
        "rate_limit_error",
        "rate_limit_exceeded",
    );
    // An unauthenticated answer carries no quota (it belongs to no key).
    let anonymous = answer(
        app.api
            .handle(request("GET", "/api/v1/brands", None, None, ""))
            .await,
    );
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("x-ratelimit-limit"), None);
    // Without a configured limit there are no headers at all.
    let unlimited = b.app(clock);
    let free = answer(
        unlimited
            .api
            .handle(request("GET", "/api/v1/brands", Some(&key), None, ""))
            .await,
    );
    assert_eq!(free.status, 200);
    assert_eq!(free.header("x-ratelimit-limit"), None);
}

async fn the_window_slides_and_each_key_has_its_own(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app_with_auth(clock.clone(), limited(3));
    let (key, _) = b.new_key().await;
    let (other, _) = b.new_key().await;
    let get = |key: &str| {
        app.api
            .handle(request("GET", "/api/v1/brands", Some(key), None, ""))
    };
    assert_eq!(answer(get(&key).await).status, 200); // at NOW
    clock.advance(30);
    assert_eq!(answer(get(&key).await).status, 200); // at NOW + 30
    let third = answer(get(&key).await);
    assert_eq!(third.status, 200);
    // The oldest request, at NOW, leaves the window at NOW + 60.
    assert_eq!(header_u64(&third, "x-ratelimit-reset"), (NOW + 60) as u64);
    let refused = answer(get(&key).await);
    refused.assert_error(429, "rate_limit_error", "rate_limit_exceeded");
    assert_eq!(header_u64(&refused, "retry-after"), 30);
    // Another key (even of another organisation) is unaffected.
    assert_eq!(answer(get(&other).await).status, 200);
    // 59 s after the first request it still counts; at 60 s it has left.
    clock.advance(29);
    assert_eq!(answer(get(&key).await).status, 429);
    clock.advance(1);
    let admitted = answer(get(&key).await);
    assert_eq!(admitted.status, 200);
    assert_eq!(header_u64(&admitted, "x-ratelimit-remaining"), 0);
    assert_eq!(
        header_u64(&admitted, "x-ratelimit-reset"),
        (NOW + 90) as u64
    );
}
