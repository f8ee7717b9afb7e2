//! The sweep on every adapter set: nothing stays non-terminal forever, nothing is resent twice
//! in one window, and a live worker is never disturbed.

use std::sync::Arc;

use adgen::jobs::{FailureCode, Job, JobStatus};
use adgen::ports::{Claim, Clock, JobMessage};
use adgen::service::sweep::{SweepReport, SweepSettings, Sweeper};
use adgen_tests::{Backend, ManualClock, on_every_backend, request};
use uuid::Uuid;

const NOW: i64 = 1_764_100_000;

on_every_backend!(
    unsent_and_stuck_jobs_are_resent_once_per_window,
    dead_workers_jobs_go_back_to_the_queue_then_fail,
    old_jobs_fail_and_live_leases_are_left_alone,
    an_unreadable_job_does_not_stop_the_sweep,
);

fn sweeper(b: &Backend, clock: Arc<ManualClock>) -> Sweeper {
    Sweeper::new(&b.adapters, clock, SweepSettings::default())
}

/// Submits a job through the API. `enqueue` false leaves it as a writer that enqueues after
/// writing (brand extraction) leaves it when it dies before `SendMessage`: written, never
/// enqueued, no message.
async fn submit(b: &Backend, clock: &Arc<ManualClock>, enqueue: bool) -> (Uuid, Uuid) {
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let response = app
        .api
        .handle(request(
            "POST",
            "/api/v1/images/generations",
            Some(&key),
            Some("k"),
            r#"{"prompt":"p"}"#,
        ))
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let jobs = b.jobs.list_stale(clock.now() + 1, 100).await.expect("list");
    let job = jobs.iter().find(|j| j.org_id == org).expect("job written");
    if !enqueue {
        let messages = b.drain_messages().await;
        assert!(messages.iter().any(|m| m.job_id == job.id));
        assert!(b.jobs.withdraw(job.id).await.expect("withdraw"));
        let unsent = Job {
            enqueued: false,
            ..job.clone()
        };
        b.jobs.create(&unsent).await.expect("rewrite");
    }
    (job.id, org)
}

async fn unsent_and_stuck_jobs_are_resent_once_per_window(b: Backend) {
    let clock = ManualClock::at(NOW);
    let (unsent, org) = submit(&b, &clock, false).await;
    let (sent, _) = submit(&b, &clock, true).await;
    b.drain_messages().await;
    let sweep = sweeper(&b, clock.clone());

    assert_eq!(
        sweep.sweep().await.expect("sweep").resent,
        0,
        "the submission may still be running"
    );
    clock.advance(60);
    let report = sweep.sweep().await.expect("sweep");
    assert_eq!(report.resent, 1);
    assert_eq!(
        b.drain_messages().await,
        [JobMessage {
            job_id: unsent,
            org_id: org
        }]
    );
    assert!(
        b.jobs
            .get(unsent)
            .await
            .expect("get")
            .expect("job")
            .enqueued
    );
    clock.advance(60);
    assert_eq!(
        sweep.sweep().await.expect("sweep").resent,
        0,
        "resent jobs wait a whole window"
    );

    clock.advance(30 * 60);
    let report = sweep.sweep().await.expect("sweep");
    assert_eq!(
        report.resent, 2,
        "both jobs waited 30 minutes unclaimed: their messages were lost"
    );
    let mut ids: Vec<Uuid> = b.drain_messages().await.iter().map(|m| m.job_id).collect();
    ids.sort();
    let mut expected = vec![unsent, sent];
    expected.sort();
    assert_eq!(ids, expected);
}

async fn dead_workers_jobs_go_back_to_the_queue_then_fail(b: Backend) {
    let clock = ManualClock::at(NOW);
    let (job_id, _) = submit(&b, &clock, true).await;
    b.drain_messages().await;
    let sweep = sweeper(&b, clock.clone());
    for attempt in 1..=3u32 {
        let now = clock.now();
        assert!(matches!(
            b.jobs
                .claim(job_id, "doomed", now, now + 300)
                .await
                .expect("claim"),
            Claim::Claimed(_)
        ));
        clock.advance(299);
        assert_eq!(
            sweep.sweep().await.expect("sweep"),
            SweepReport {
                inspected: 1,
                ..SweepReport::default()
            },
            "lease alive"
        );
        clock.advance(1);
        let report = sweep.sweep().await.expect("sweep");
        if attempt < 3 {
            assert_eq!(
                report.resent, 1,
                "attempt {attempt}: the dead worker's job is handed back"
            );
            assert_eq!(b.drain_messages().await.len(), 1);
        } else {
            assert_eq!(report.failed, 1, "three claims without finishing: failed");
        }
    }
    let job = b.jobs.get(job_id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.payload.failure_code,
        Some(FailureCode::InternalStepFailed)
    );
    assert!(
        job.error_log
            .as_deref()
            .is_some_and(|l| l.starts_with("internal_step_failed: "))
    );
    assert!(b.drain_messages().await.is_empty());
}

async fn old_jobs_fail_and_live_leases_are_left_alone(b: Backend) {
    let clock = ManualClock::at(NOW);
    let (queued, _) = submit(&b, &clock, true).await;
    let (running, _) = submit(&b, &clock, true).await;
    let now = clock.now();
    assert!(matches!(
        b.jobs
            .claim(running, "alive", now, now + 48 * 3600)
            .await
            .expect("claim"),
        Claim::Claimed(_)
    ));
    clock.advance(24 * 3600);
    let report = sweeper(&b, clock.clone()).sweep().await.expect("sweep");
    assert_eq!(report.failed, 1);
    assert_eq!(
        b.jobs.get(queued).await.expect("get").expect("job").status,
        JobStatus::Failed
    );
    assert_eq!(
        b.jobs.get(running).await.expect("get").expect("job").status,
        JobStatus::Processing
    );
}

async fn an_unreadable_job_does_not_stop_the_sweep(b: Backend) {
    let clock = ManualClock::at(NOW);
    let corrupt = b.insert_unreadable_job(NOW - 3600).await;
    assert!(
        b.jobs.get(corrupt).await.is_err(),
        "the planted job is unreadable"
    );
    let (unsent, org) = submit(&b, &clock, false).await;
    clock.advance(60);
    let report = sweeper(&b, clock.clone())
        .sweep()
        .await
        .expect("the sweep goes on");
    assert_eq!(
        (report.inspected, report.resent),
        (1, 1),
        "the readable job was handled"
    );
    assert_eq!(
        b.drain_messages().await,
        [JobMessage {
            job_id: unsent,
            org_id: org
        }]
    );
}
