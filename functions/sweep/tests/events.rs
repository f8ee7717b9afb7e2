//! The recorded schedule event (`events/schedule-sweep.json`) fed through the sweep function's
//! handler, on every adapter set: a job whose message was lost is sent again.

use adgen::service::sweep::{SweepSettings, Sweeper};
use adgen_sweep::SweepFunction;
use adgen_tests::{Backend, ManualClock, on_every_backend, recorded_event};

on_every_backend!(the_schedule_event_sweeps);

async fn the_schedule_event_sweeps(b: Backend) {
    let clock = ManualClock::at(1_764_100_000);
    let app = b.app(clock.clone());
    let (key, _) = b.new_key().await;
    app.submit(
        &key,
        &serde_json::json!({"prompt": "Sale", "output": {"resolution": "512"}}),
    )
    .await;
    // The job's message is lost; the job stays queued.
    b.drain_messages().await;
    let function = SweepFunction::with(Sweeper::new(
        &b.adapters,
        clock.clone(),
        SweepSettings::default(),
    ));

    // Long after: the sweep finds the queued job and sends it again.
    clock.advance(3600);
    let report = function
        .handle(recorded_event("schedule-sweep.json"))
        .await
        .expect("sweep handled");
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(report["resent"], 1, "{report}");
    assert!(
        function
            .handle(serde_json::json!({"Records": []}))
            .await
            .is_err(),
        "only the schedule's events are accepted"
    );
}
