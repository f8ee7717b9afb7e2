//! The recorded SQS events (`events/sqs-generate.json`) fed through the generate function's
//! handler, on every adapter set.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use adgen_generate::GenerateFunction;
use adgen_render::TemplateGenerator;
use adgen_tests::{Backend, ManualClock, on_every_backend, recorded_event};
use serde_json::Value;
use uuid::Uuid;

on_every_backend!(generate_events_through_the_handler);

async fn generate_events_through_the_handler(b: Backend) {
    let clock = ManualClock::at(1_764_100_000);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let job_id = app
        .submit(
            &key,
            &serde_json::json!({"prompt": "Sale", "output": {"resolution": "512"}}),
        )
        .await
        .to_string();
    b.drain_messages().await;

    let worker = b.worker(clock.clone(), Arc::new(TemplateGenerator));
    let function = GenerateFunction::with(worker, None);

    // The recorded batch, its first record pointed at the job just submitted; the second
    // record is not ours and is dropped, not retried forever.
    let mut batch = recorded_event("sqs-generate.json");
    batch["Records"][0]["body"] =
        Value::String(serde_json::json!({"job_id": job_id, "org_id": org}).to_string());
    let deadline = SystemTime::now() + Duration::from_secs(60);
    let answer = function
        .handle(batch.clone(), deadline)
        .await
        .expect("batch handled");
    assert_eq!(answer, serde_json::json!({"batchItemFailures": []}));
    let job = b
        .jobs
        .get(Uuid::try_parse(&job_id).expect("uuid"))
        .await
        .expect("get")
        .expect("job");
    assert_eq!(job.status, adgen::jobs::JobStatus::Completed);

    // A deadline already inside the reporting margin: nothing is started late; it all comes back.
    batch["Records"][0]["body"] =
        Value::String(serde_json::json!({"job_id": Uuid::new_v4(), "org_id": org}).to_string());
    let late = function
        .handle(batch, SystemTime::now())
        .await
        .expect("batch handled");
    assert_eq!(
        late,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830a7d"}]})
    );

    assert!(
        function
            .handle(recorded_event("schedule-sweep.json"), deadline)
            .await
            .is_err(),
        "the sweep is the sweep function's"
    );
    assert!(
        function
            .handle(serde_json::json!({"hello": "world"}), deadline)
            .await
            .is_err(),
        "unknown events are errors"
    );
}
