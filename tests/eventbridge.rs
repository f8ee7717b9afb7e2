//! AWS only (spec §10): every job turning `completed` or `failed` is also put on the
//! EventBridge bus, from the same outbox as its webhooks — checked on moto with a rule that
//! routes the bus's `adgen` events to an SQS queue.

use std::time::Duration;

use adgen::service::sweep::{SweepSettings, Sweeper};
use adgen_tests::{Backend, Kind, ManualClock};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn terminal_jobs_arrive_on_the_bus() {
    let b = Backend::new(Kind::Aws).await;
    let listener = b.listen_to_bus().await;
    let clock = ManualClock::at(1_764_100_000);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;

    let done = app
        .submit(
            &key,
            &json!({ "prompt": "Autumn sale", "client_reference_id": "camp-7", "metadata": {"k": "v"} }),
        )
        .await;
    b.work_on(clock.clone(), done, org).await;
    let failed = app
        .submit(
            &key,
            &json!({ "prompt": "A sale", "reference_images": ["https://cdn.example.com/a.png"] }),
        )
        .await;
    b.work_on(clock.clone(), failed, org).await;

    let messages = b.receive_raw(&listener, 2, Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 2, "both events arrived");
    let mut seen = Vec::new();
    for message in messages {
        let envelope: Value =
            serde_json::from_str(message.body().unwrap_or_default()).expect("EventBridge JSON");
        assert_eq!(envelope["source"], "adgen");
        let detail = &envelope["detail"];
        assert_eq!(envelope["detail-type"], detail["type"]);
        assert!(
            detail["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("evt_"))
        );
        assert_eq!(detail["object"], "event");
        seen.push((
            detail["type"].as_str().unwrap_or_default().to_owned(),
            detail["data"]["job"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            detail["data"]["job"].clone(),
        ));
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(seen[0].0, "job.completed");
    assert_eq!(seen[0].1, done.to_string());
    assert_eq!(seen[0].2["client_reference_id"], "camp-7");
    assert_eq!(seen[0].2["metadata"]["k"], "v");
    assert!(seen[0].2["ad"]["image_url"].as_str().is_some());
    assert_eq!(seen[1].0, "job.failed");
    assert_eq!(seen[1].1, failed.to_string());

    // Dispatched once: the outbox is empty, and a later sweep puts nothing more.
    assert!(
        b.jobs
            .list_undispatched(i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    clock.advance(120);
    Sweeper::new(&b.adapters, clock.clone(), SweepSettings::default())
        .sweep()
        .await
        .expect("sweep");
    let later = b.receive_raw(&listener, 1, Duration::from_secs(3)).await;
    assert!(later.is_empty(), "{later:?}");
}
