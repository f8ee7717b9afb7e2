//! The port contract suite: every adapter set must behave exactly alike. Each test runs on the
//! embedded adapters and on the AWS adapters over DynamoDB Local and moto.

use std::collections::BTreeMap;
use std::sync::Arc;

use adgen::auth::{ApiKeyRecord, KeyState};
use adgen::brands::{Brand, BrandLogo, LogoFormat};
use adgen::contract::output::OutputRequest;
use adgen::contract::upload::{UploadId, UploadType};
use adgen::idempotency::{IdempotencyRecord, IdempotencyScope, IdempotencyState, StoredResponse};
use adgen::jobs::{
    AdInput, FailureCode, GenerationWork, Job, JobInput, JobLease, JobPayload, JobStatus, Phase,
    ReferenceSource, Work,
};
use adgen::ports::{Claim, CreateJob, JobMessage};
use adgen::uploads::{Upload, UploadState};
use adgen_tests::{Backend, on_every_backend};
use bytes::Bytes;
use uuid::Uuid;

on_every_backend!(
    api_keys_round_trip,
    jobs_are_created_once_and_read_back,
    idempotency_insert_respects_live_holders_and_expiry,
    idempotency_ownership_guards_every_change,
    idempotency_insert_is_atomic_under_contention,
    brands_are_scoped_to_their_organisation,
    brands_list_newest_first_with_totals_and_delete_per_organisation,
    blobs_round_trip_and_overwrite,
    blobs_are_deleted_idempotently,
    blobs_are_sized_read_by_prefix_and_copied,
    uploads_round_trip_and_are_used_once,
    uploads_go_to_one_of_racing_consumers,
    queue_carries_ids_only,
    retried_messages_come_back_after_their_backoff,
    claims_are_exclusive_until_the_lease_expires,
    only_the_lease_holder_saves_and_finished_jobs_stay_finished,
    abandoned_jobs_are_failed_only_when_nobody_holds_them,
    stale_jobs_are_listed_oldest_first,
);

fn sample_job(org_id: Uuid) -> Job {
    let input = JobInput::Generation(AdInput {
        prompt: "Autumn sale".into(),
        reference_image_count: 2,
        has_brand_id: false,
        has_brand_identity_json: true,
        output: OutputRequest::default(),
    });
    let work = Work::Generation(GenerationWork {
        prompt: "Autumn sale".into(),
        references: vec![
            ReferenceSource::Url {
                url: "https://cdn.example.com/a.png".into(),
            },
            ReferenceSource::Staged {
                key: "staging/o/j/1".into(),
            },
        ],
        brand_id: None,
        brand_identity: serde_json::json!({"core_slogan": "Hi"})
            .as_object()
            .cloned(),
        output: OutputRequest::default(),
    });
    Job {
        client_reference_id: Some("camp-42".into()),
        metadata: Some(BTreeMap::from([("campaign".to_string(), "q4".to_string())])),
        ..Job::queued(Uuid::new_v4(), org_id, input, work, 1_764_100_000)
    }
}

fn record(scope: &IdempotencyScope, token: &str, now: i64) -> IdempotencyRecord {
    IdempotencyRecord {
        scope: scope.clone(),
        fingerprint: "fp-1".into(),
        token: token.into(),
        job_id: Uuid::new_v4(),
        state: IdempotencyState::InProgress,
        created_at: now,
        lock_until: now + 30,
        expires_at: now + 86_400,
    }
}

fn response() -> StoredResponse {
    StoredResponse {
        status: 202,
        request_id: "req_pi_x".into(),
        location: "/api/v1/jobs/x".into(),
        body: b"{\"id\":\"req_pi_x\"}\n\x00\xff".to_vec(),
    }
}

async fn api_keys_round_trip(b: Backend) {
    let record = ApiKeyRecord {
        key_hash: "ab".repeat(32),
        org_id: Uuid::new_v4(),
        state: KeyState::Active,
        created_at: 7,
    };
    assert_eq!(b.keys.get(&record.key_hash).await.expect("get"), None);
    b.keys.put(&record).await.expect("put");
    assert_eq!(
        b.keys.get(&record.key_hash).await.expect("get"),
        Some(record.clone())
    );
    let disabled = ApiKeyRecord {
        state: KeyState::Disabled,
        ..record.clone()
    };
    b.keys.put(&disabled).await.expect("put");
    assert_eq!(
        b.keys.get(&record.key_hash).await.expect("get"),
        Some(disabled)
    );
}

async fn jobs_are_created_once_and_read_back(b: Backend) {
    let job = sample_job(Uuid::new_v4());
    assert_eq!(b.jobs.get(job.id).await.expect("get"), None);
    assert!(matches!(
        b.jobs.create(&job).await.expect("create"),
        CreateJob::Created
    ));
    assert_eq!(b.jobs.get(job.id).await.expect("get"), Some(job.clone()));
    let second = Job {
        client_reference_id: Some("other".into()),
        ..job.clone()
    };
    match b.jobs.create(&second).await.expect("create again") {
        CreateJob::Exists(existing) => assert_eq!(*existing, job),
        CreateJob::Created => panic!("a job id must be created once"),
    }
    b.jobs
        .mark_enqueued(job.id, 1_764_100_005)
        .await
        .expect("mark");
    let stored = b.jobs.get(job.id).await.expect("get").expect("exists");
    assert!(stored.enqueued);
    assert_eq!(stored.updated_at, 1_764_100_005);
    match b.jobs.create(&job).await.expect("create again") {
        CreateJob::Exists(existing) => {
            assert!(existing.enqueued, "the conflict returns the stored job")
        }
        CreateJob::Created => panic!("a job id must be created once"),
    }
}

async fn idempotency_insert_respects_live_holders_and_expiry(b: Backend) {
    let scope = IdempotencyScope::new(Uuid::new_v4(), "images.generations", "key-1");
    let first = record(&scope, "t1", 1000);
    assert_eq!(
        b.idempotency.insert(&first, 1000).await.expect("insert"),
        None
    );
    let second = record(&scope, "t2", 1001);
    assert_eq!(
        b.idempotency.insert(&second, 1001).await.expect("insert"),
        Some(first.clone())
    );
    // Judged by the record's own timestamp: once expires_at has passed the slot is free.
    let later = record(&scope, "t3", first.expires_at);
    assert_eq!(
        b.idempotency
            .insert(&later, first.expires_at)
            .await
            .expect("insert"),
        None
    );
    let other_scope = IdempotencyScope::new(scope.org_id, "images.generations", "key-2");
    assert_eq!(
        b.idempotency
            .insert(&record(&other_scope, "t4", 1000), 1000)
            .await
            .expect("insert"),
        None
    );
}

async fn idempotency_ownership_guards_every_change(b: Backend) {
    let scope = IdempotencyScope::new(Uuid::new_v4(), "images.generations", "key-1");
    let first = record(&scope, "t1", 1000);
    b.idempotency.insert(&first, 1000).await.expect("insert");
    let holder = |b: &Backend| {
        let probe = record(&scope, "probe", 1000);
        let store = b.idempotency.clone();
        async move {
            store
                .insert(&probe, 1000)
                .await
                .expect("insert")
                .expect("held")
        }
    };

    assert!(
        !b.idempotency
            .take_over(&scope, "wrong", "t2", 2000)
            .await
            .expect("take over")
    );
    assert!(
        b.idempotency
            .take_over(&scope, "t1", "t2", 2000)
            .await
            .expect("take over")
    );
    let now = holder(&b).await;
    assert_eq!(
        (now.token.as_str(), now.lock_until, now.job_id),
        ("t2", 2000, first.job_id)
    );

    b.idempotency
        .release(&scope, "t1")
        .await
        .expect("stale release is a no-op");
    assert_eq!(holder(&b).await.lock_until, 2000);
    b.idempotency.release(&scope, "t2").await.expect("release");
    let released = holder(&b).await;
    assert_eq!(
        (released.lock_until, released.state),
        (0, IdempotencyState::InProgress)
    );

    assert!(
        !b.idempotency
            .complete(&scope, "t1", &response(), 90_000)
            .await
            .expect("complete")
    );
    assert!(
        b.idempotency
            .complete(&scope, "t2", &response(), 90_000)
            .await
            .expect("complete")
    );
    let done = holder(&b).await;
    assert_eq!(done.state, IdempotencyState::Completed(response()));
    assert_eq!(done.expires_at, 90_000);
    assert!(
        !b.idempotency
            .complete(&scope, "t2", &response(), 90_000)
            .await
            .expect("complete twice")
    );
    assert!(
        !b.idempotency
            .take_over(&scope, "t2", "t3", 3000)
            .await
            .expect("completed is final")
    );
    b.idempotency
        .remove(&scope, "t2")
        .await
        .expect("remove of a completed record is a no-op");
    assert_eq!(
        holder(&b).await.state,
        IdempotencyState::Completed(response())
    );

    let other = IdempotencyScope::new(scope.org_id, "images.generations", "key-2");
    b.idempotency
        .insert(&record(&other, "u1", 1000), 1000)
        .await
        .expect("insert");
    b.idempotency
        .remove(&other, "wrong")
        .await
        .expect("remove with a stale token");
    assert!(
        b.idempotency
            .insert(&record(&other, "u2", 1000), 1000)
            .await
            .expect("insert")
            .is_some()
    );
    b.idempotency.remove(&other, "u1").await.expect("remove");
    assert_eq!(
        b.idempotency
            .insert(&record(&other, "u3", 1000), 1000)
            .await
            .expect("insert"),
        None
    );
}

async fn idempotency_insert_is_atomic_under_contention(b: Backend) {
    let scope = IdempotencyScope::new(Uuid::new_v4(), "images.generations", "race");
    let store = b.idempotency.clone();
    let attempts = (0..30).map(|i| {
        let store = store.clone();
        let rec = record(&scope, &format!("t{i}"), 1000);
        tokio::spawn(async move { store.insert(&rec, 1000).await.expect("insert").is_none() })
    });
    let mut winners = 0;
    for attempt in attempts {
        winners += usize::from(attempt.await.expect("task"));
    }
    assert_eq!(winners, 1);
}

fn sample_brand(org_id: Uuid, name: &str, created_at: i64) -> Brand {
    Brand {
        id: Uuid::new_v4(),
        org_id,
        name: name.into(),
        domain: Some("acme.example".into()),
        brand_dna: serde_json::json!({"primary_accent_hex": "#ff6600"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        logo: Some(BrandLogo::Stored {
            key: Brand::logo_key(org_id, Uuid::nil()),
            width: 64,
            height: 32,
            source_format: LogoFormat::Svg,
        }),
        sources: BTreeMap::from([("name".to_owned(), "og:site_name".to_owned())]),
        created_at,
        updated_at: created_at,
    }
}

async fn brands_are_scoped_to_their_organisation(b: Backend) {
    let brand = sample_brand(Uuid::new_v4(), "Acme", 5);
    b.brands.put(&brand).await.expect("put");
    assert_eq!(
        b.brands.get(brand.org_id, brand.id).await.expect("get"),
        Some(brand.clone())
    );
    assert_eq!(
        b.brands.get(Uuid::new_v4(), brand.id).await.expect("get"),
        None
    );
    assert_eq!(
        b.brands
            .get(brand.org_id, Uuid::new_v4())
            .await
            .expect("get"),
        None
    );
    // A put replaces the whole record.
    let renamed = Brand {
        name: "Acme Two".into(),
        logo: None,
        ..brand.clone()
    };
    b.brands.put(&renamed).await.expect("put");
    assert_eq!(
        b.brands.get(brand.org_id, brand.id).await.expect("get"),
        Some(renamed)
    );
}

async fn brands_list_newest_first_with_totals_and_delete_per_organisation(b: Backend) {
    let org = Uuid::new_v4();
    let other = Uuid::new_v4();
    let mut made = Vec::new();
    for (i, at) in [30, 10, 20, 20, 40].into_iter().enumerate() {
        let brand = sample_brand(org, &format!("b{i}"), at);
        b.brands.put(&brand).await.expect("put");
        made.push(brand);
    }
    b.brands
        .put(&sample_brand(other, "theirs", 50))
        .await
        .expect("put");
    // Newest first; equal times by id, descending.
    let mut expected = made.clone();
    expected.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.id)));
    let names = |brands: &[Brand]| brands.iter().map(|b| b.name.clone()).collect::<Vec<_>>();

    let all = b.brands.list(org, 100, 0).await.expect("list");
    assert_eq!(all.total_count, 5);
    assert_eq!(names(&all.brands), names(&expected));
    let page = b.brands.list(org, 2, 2).await.expect("list");
    assert_eq!(page.total_count, 5);
    assert_eq!(names(&page.brands), names(&expected[2..4]));
    let past = b.brands.list(org, 2, 10).await.expect("list");
    assert_eq!((past.total_count, past.brands.len()), (5, 0));
    let none = b.brands.list(Uuid::new_v4(), 20, 0).await.expect("list");
    assert_eq!((none.total_count, none.brands.len()), (0, 0));

    // Another organisation cannot delete it; the owner can, once.
    let victim = &made[0];
    assert!(!b.brands.delete(other, victim.id).await.expect("delete"));
    assert!(b.brands.get(org, victim.id).await.expect("get").is_some());
    assert!(b.brands.delete(org, victim.id).await.expect("delete"));
    assert!(!b.brands.delete(org, victim.id).await.expect("delete"));
    assert_eq!(b.brands.get(org, victim.id).await.expect("get"), None);
    assert_eq!(
        b.brands.list(org, 100, 0).await.expect("list").total_count,
        4
    );
}

async fn blobs_are_deleted_idempotently(b: Backend) {
    let key = format!("brands/{}/{}/logo.png", Uuid::new_v4(), Uuid::new_v4());
    b.blobs
        .put(&key, Bytes::from_static(b"png"), "image/png")
        .await
        .expect("put");
    b.blobs.delete(&key).await.expect("delete");
    assert_eq!(b.blobs.get(&key).await.expect("get"), None);
    b.blobs
        .delete(&key)
        .await
        .expect("a missing object is no error");
}

async fn blobs_round_trip_and_overwrite(b: Backend) {
    let key = format!("staging/{}/{}/0", Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(b.blobs.get(&key).await.expect("get"), None);
    b.blobs
        .put(&key, Bytes::from_static(b"\x89PNG first"), "image/png")
        .await
        .expect("put");
    b.blobs
        .put(
            &key,
            Bytes::from_static(b"\xff\xd8\xff second"),
            "image/jpeg",
        )
        .await
        .expect("overwrite");
    let blob = b.blobs.get(&key).await.expect("get").expect("exists");
    assert_eq!(blob.bytes, Bytes::from_static(b"\xff\xd8\xff second"));
    assert_eq!(blob.content_type, "image/jpeg");
}

async fn queue_carries_ids_only(b: Backend) {
    let messages: Vec<JobMessage> = (0..3)
        .map(|_| JobMessage {
            job_id: Uuid::new_v4(),
            org_id: Uuid::new_v4(),
        })
        .collect();
    let queue = Arc::clone(&b.queue);
    for m in &messages {
        queue.send(m).await.expect("send");
    }
    let mut received = b.drain_messages().await;
    let mut sent = messages.clone();
    received.sort_by_key(|m| m.job_id);
    sent.sort_by_key(|m| m.job_id);
    assert_eq!(received, sent);
    assert!(b.drain_messages().await.is_empty());
}

async fn created(b: &Backend) -> Job {
    let job = sample_job(Uuid::new_v4());
    assert!(matches!(
        b.jobs.create(&job).await.expect("create"),
        CreateJob::Created
    ));
    job
}

fn claimed(claim: Claim) -> Job {
    match claim {
        Claim::Claimed(job) => *job,
        other => panic!("expected a claim, got {other:?}"),
    }
}

async fn claims_are_exclusive_until_the_lease_expires(b: Backend) {
    let job = created(&b).await;
    let first = claimed(
        b.jobs
            .claim(job.id, "worker-a", 100, 130)
            .await
            .expect("claim"),
    );
    assert_eq!(first.status, JobStatus::Processing);
    assert_eq!(
        first.lease,
        Some(JobLease {
            owner: "worker-a".into(),
            until: 130
        })
    );
    assert_eq!((first.claims, first.updated_at), (1, 100));
    assert_eq!(
        first.payload, job.payload,
        "the claim returns the whole job"
    );
    assert!(matches!(
        b.jobs
            .claim(job.id, "worker-b", 129, 160)
            .await
            .expect("claim"),
        Claim::HeldByOther
    ));
    let takeover = claimed(
        b.jobs
            .claim(job.id, "worker-b", 130, 160)
            .await
            .expect("claim"),
    );
    assert_eq!(
        takeover.lease,
        Some(JobLease {
            owner: "worker-b".into(),
            until: 160
        })
    );
    assert_eq!(takeover.claims, 2);
    assert_eq!(b.jobs.get(job.id).await.expect("get"), Some(takeover));
    assert!(matches!(
        b.jobs
            .claim(Uuid::new_v4(), "worker-a", 100, 130)
            .await
            .expect("claim"),
        Claim::Missing
    ));

    let racers = (0..20).map(|i| {
        let jobs = b.jobs.clone();
        let id = job.id;
        tokio::spawn(async move {
            matches!(
                jobs.claim(id, &format!("r{i}"), 500, 530)
                    .await
                    .expect("claim"),
                Claim::Claimed(_)
            )
        })
    });
    let mut winners = 0;
    for racer in racers {
        winners += usize::from(racer.await.expect("task"));
    }
    assert_eq!(winners, 1, "exactly one worker takes an expired lease over");
}

async fn only_the_lease_holder_saves_and_finished_jobs_stay_finished(b: Backend) {
    let job = created(&b).await;
    let mut mine = claimed(
        b.jobs
            .claim(job.id, "worker-a", 100, 130)
            .await
            .expect("claim"),
    );
    mine.payload.phase = Phase::Generating;
    mine.updated_at = 105;
    assert!(
        !b.jobs.save_leased(&mine, "worker-b").await.expect("save"),
        "not the lease holder"
    );
    assert!(b.jobs.save_leased(&mine, "worker-a").await.expect("save"));
    assert_eq!(b.jobs.get(job.id).await.expect("get"), Some(mine.clone()));

    let mut done = mine.clone();
    done.status = JobStatus::Completed;
    done.payload.phase = Phase::Completed;
    done.result_url = Some(format!("ads/{}", job.id));
    done.lease = None;
    assert!(
        b.jobs
            .save_leased(&done, "worker-a")
            .await
            .expect("complete")
    );
    assert_eq!(b.jobs.get(job.id).await.expect("get"), Some(done.clone()));
    assert!(matches!(
        b.jobs
            .claim(job.id, "worker-c", 10_000, 10_030)
            .await
            .expect("claim"),
        Claim::Finished
    ));
    assert!(
        !b.jobs.save_leased(&mine, "worker-a").await.expect("save"),
        "a finished job never goes back"
    );
    let abandoned = Job {
        status: JobStatus::Failed,
        ..done.clone()
    };
    assert!(
        !b.jobs
            .save_abandoned(&abandoned, 10_000)
            .await
            .expect("save")
    );
    assert_eq!(b.jobs.get(job.id).await.expect("get"), Some(done));
}

async fn abandoned_jobs_are_failed_only_when_nobody_holds_them(b: Backend) {
    let failed = |job: &Job| Job {
        status: JobStatus::Failed,
        lease: None,
        payload: JobPayload {
            phase: Phase::Failed,
            failure_code: Some(FailureCode::InternalStepFailed),
            ..job.payload.clone()
        },
        ..job.clone()
    };
    let queued = created(&b).await;
    assert!(
        b.jobs
            .save_abandoned(&failed(&queued), 100)
            .await
            .expect("save")
    );
    assert_eq!(
        b.jobs.get(queued.id).await.expect("get").map(|j| j.status),
        Some(JobStatus::Failed)
    );

    let running = created(&b).await;
    let held = claimed(
        b.jobs
            .claim(running.id, "worker-a", 100, 130)
            .await
            .expect("claim"),
    );
    assert!(
        !b.jobs
            .save_abandoned(&failed(&held), 129)
            .await
            .expect("save"),
        "the lease is alive"
    );
    assert!(
        b.jobs
            .save_abandoned(&failed(&held), 130)
            .await
            .expect("save"),
        "the lease expired"
    );
    assert!(
        !b.jobs.save_leased(&held, "worker-a").await.expect("save"),
        "the old holder lost the job"
    );
    assert!(
        !b.jobs
            .save_abandoned(
                &failed(&Job {
                    id: Uuid::new_v4(),
                    ..held
                }),
                500
            )
            .await
            .expect("save"),
        "missing job"
    );
}

async fn stale_jobs_are_listed_oldest_first(b: Backend) {
    let mut ids = Vec::new();
    for updated_at in [300, 100, 200, 400] {
        let job = Job {
            updated_at,
            created_at: updated_at,
            ..sample_job(Uuid::new_v4())
        };
        b.jobs.create(&job).await.expect("create");
        ids.push((updated_at, job.id));
    }
    let finished = claimed(b.jobs.claim(ids[0].1, "w", 250, 280).await.expect("claim"));
    assert!(
        b.jobs
            .save_leased(
                &Job {
                    status: JobStatus::Completed,
                    lease: None,
                    ..finished
                },
                "w"
            )
            .await
            .expect("save")
    );
    let processing = claimed(b.jobs.claim(ids[2].1, "w", 200, 230).await.expect("claim"));

    let stale: Vec<(i64, Uuid)> = b
        .jobs
        .list_stale(300, 10)
        .await
        .expect("list")
        .iter()
        .map(|j| (j.updated_at, j.id))
        .collect();
    assert_eq!(
        stale,
        [(100, ids[1].1), (200, processing.id)],
        "non-terminal, updated at or before 300, oldest first"
    );
    assert_eq!(b.jobs.list_stale(300, 1).await.expect("list").len(), 1);
    assert!(b.jobs.list_stale(99, 10).await.expect("list").is_empty());
    assert_eq!(b.jobs.list_stale(1_000, 10).await.expect("list").len(), 3);
}

async fn retried_messages_come_back_after_their_backoff(b: Backend) {
    let soon = JobMessage {
        job_id: Uuid::new_v4(),
        org_id: Uuid::new_v4(),
    };
    b.queue.send(&soon).await.expect("send");
    assert_eq!(
        b.receive_then_redeliver_after(std::time::Duration::ZERO)
            .await,
        soon
    );
    assert_eq!(b.drain_messages().await, [soon], "visible again at once");

    let later = JobMessage {
        job_id: Uuid::new_v4(),
        org_id: Uuid::new_v4(),
    };
    b.queue.send(&later).await.expect("send");
    assert_eq!(
        b.receive_then_redeliver_after(std::time::Duration::from_secs(30))
            .await,
        later
    );
    assert!(
        b.drain_messages().await.is_empty(),
        "still hidden during its backoff"
    );
}

on_every_backend!(the_consumer_hides_counts_and_deletes_deliveries);

/// The queue-consumer port on both queues: a received message is hidden for its visibility,
/// comes back with its delivery counted, and is gone once deleted.
async fn the_consumer_hides_counts_and_deletes_deliveries(b: Backend) {
    use std::time::Duration;
    let message = JobMessage {
        job_id: Uuid::new_v4(),
        org_id: Uuid::new_v4(),
    };
    b.queue.send(&message).await.expect("send");
    let first = b
        .consumer
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].receive_count, 1);
    let body: JobMessage = serde_json::from_str(&first[0].body).expect("the body as sent");
    assert_eq!(body, message);
    assert!(
        b.consumer
            .receive(10, Duration::from_secs(60))
            .await
            .expect("receive")
            .is_empty(),
        "hidden while its visibility lasts"
    );
    b.consumer
        .redeliver_after(&first[0].receipt, Duration::ZERO)
        .await
        .expect("redeliver");
    let second = b
        .consumer
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].receive_count, 2, "the second delivery is counted");
    b.consumer.delete(&second[0].receipt).await.expect("delete");
    b.consumer
        .redeliver_after(&second[0].receipt, Duration::ZERO)
        .await
        .ok();
    assert!(
        b.consumer
            .receive(10, Duration::from_secs(1))
            .await
            .expect("receive")
            .is_empty(),
        "a deleted message never comes back"
    );
}

async fn blobs_are_sized_read_by_prefix_and_copied(b: Backend) {
    let bytes: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    b.blobs
        .put("uploads/o/a", Bytes::from(bytes.clone()), "image/jpeg")
        .await
        .expect("put");
    assert_eq!(
        b.blobs.size("uploads/o/a").await.expect("size"),
        Some(200_000)
    );
    assert_eq!(b.blobs.size("uploads/o/missing").await.expect("size"), None);
    let head = b
        .blobs
        .read_prefix("uploads/o/a", 1000)
        .await
        .expect("prefix");
    assert_eq!(head.as_deref(), Some(&bytes[..1000]));
    let all = b
        .blobs
        .read_prefix("uploads/o/a", 1 << 20)
        .await
        .expect("prefix");
    assert_eq!(
        all.as_deref(),
        Some(&bytes[..]),
        "a short object is read whole"
    );
    assert_eq!(
        b.blobs
            .read_prefix("uploads/o/missing", 10)
            .await
            .expect("prefix"),
        None
    );

    assert!(
        b.blobs
            .copy("uploads/o/a", "staging/o/j/0")
            .await
            .expect("copy")
    );
    let copied = b
        .blobs
        .get("staging/o/j/0")
        .await
        .expect("get")
        .expect("copied");
    assert_eq!(copied.bytes, bytes);
    assert_eq!(copied.content_type, "image/jpeg");
    assert!(
        !b.blobs
            .copy("uploads/o/missing", "staging/o/j/1")
            .await
            .expect("copy")
    );
    assert_eq!(b.blobs.size("staging/o/j/1").await.expect("size"), None);
}

async fn uploads_round_trip_and_are_used_once(b: Backend) {
    let org = Uuid::new_v4();
    let upload = Upload::new(
        UploadId::new(),
        org,
        UploadType::Webp,
        12_345,
        1_800_000_000,
    );
    assert_eq!(b.uploads.get(upload.id).await.expect("get"), None);
    b.uploads.create(&upload).await.expect("create");
    assert_eq!(
        b.uploads.get(upload.id).await.expect("get"),
        Some(upload.clone())
    );
    assert!(
        b.uploads.create(&upload).await.is_err(),
        "an id is written once"
    );

    let (job, other) = (Uuid::new_v4(), Uuid::new_v4());
    assert!(b.uploads.consume(upload.id, job).await.expect("consume"));
    assert!(
        b.uploads.consume(upload.id, job).await.expect("consume"),
        "the same consumer again (a retried submission)"
    );
    assert!(!b.uploads.consume(upload.id, other).await.expect("consume"));
    assert_eq!(
        upload_state(&b, upload.id).await,
        Some(UploadState::Used { by: job })
    );

    b.uploads.release(upload.id, other).await.expect("release");
    assert_eq!(
        upload_state(&b, upload.id).await,
        Some(UploadState::Used { by: job }),
        "only the holder gives it back"
    );
    b.uploads.release(upload.id, job).await.expect("release");
    assert_eq!(
        upload_state(&b, upload.id).await,
        Some(UploadState::Pending)
    );
    assert!(b.uploads.consume(upload.id, other).await.expect("consume"));
    assert!(
        !b.uploads
            .consume(UploadId::new(), job)
            .await
            .expect("consume"),
        "missing"
    );
    b.uploads
        .release(UploadId::new(), job)
        .await
        .expect("releasing a missing upload");
}

async fn uploads_go_to_one_of_racing_consumers(b: Backend) {
    let upload = Upload::new(
        UploadId::new(),
        Uuid::new_v4(),
        UploadType::Png,
        10,
        1_800_000_000,
    );
    b.uploads.create(&upload).await.expect("create");
    let consumers: Vec<Uuid> = (0..20).map(|_| Uuid::new_v4()).collect();
    let tries = consumers.iter().map(|by| {
        let uploads = b.uploads.clone();
        let (id, by) = (upload.id, *by);
        tokio::spawn(async move { uploads.consume(id, by).await.expect("consume") })
    });
    let mut winners = Vec::new();
    for (n, joined) in futures_join(tries).await.into_iter().enumerate() {
        if joined {
            winners.push(consumers[n]);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one consumer wins");
    assert_eq!(
        upload_state(&b, upload.id).await,
        Some(UploadState::Used { by: winners[0] })
    );
}

async fn upload_state(b: &Backend, id: UploadId) -> Option<UploadState> {
    b.uploads.get(id).await.expect("get").map(|u| u.state)
}

async fn futures_join(handles: impl Iterator<Item = tokio::task::JoinHandle<bool>>) -> Vec<bool> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.expect("task"));
    }
    out
}
