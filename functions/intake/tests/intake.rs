//! The intake function on the emulators (spec §10): `events/sqs-intake.json` (one valid and
//! one invalid message) fed through the handler over DynamoDB Local and moto. The valid one
//! becomes a job in the same idempotency scope as the HTTP route; the invalid one goes to the
//! intake dead-letter queue with the error envelope in `adgen-error`, and `job.rejected` is
//! put on the bus.

use std::path::PathBuf;
use std::time::Duration;

use adgen::auth::{ApiKeyRecord, KeyState, hash_key};
use adgen::config::{IntakeConfig, SubmitConfig};
use adgen::ports::REJECT_ATTRIBUTE;
use adgen_intake::IntakeFunction;
use adgen_tests::{Backend, Kind, ManualClock, create_queue, request};
use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{Value, json};
use uuid::Uuid;

const ORG: &str = "6f1c2a57-8b1e-4c1e-9a5e-2f0f3c8b9d10";
const KEY: &str = "sk_live_intake_0123456789abcdefghijklmnopqrstuv";

fn intake_event() -> SqsEvent {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/sqs-intake.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("an SQS event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn valid_and_invalid_messages() {
    let b = Backend::new(Kind::Aws).await;
    let aws = b.aws.clone().expect("AWS backend");
    let bus = b.listen_to_bus().await;
    let dlq = create_queue(
        &aws.clients.sqs,
        &format!("{}-intake-dlq", aws.config.event_bus),
    )
    .await;
    let config = IntakeConfig {
        submit: SubmitConfig {
            aws: aws.config.clone(),
            idempotency_ttl_seconds: 86_400,
        },
        reject_queue_url: dlq.clone(),
    };
    let function = IntakeFunction::over(aws.clients.clone(), &config);

    let response = function.handle(intake_event()).await;
    assert!(response.batch_item_failures.is_empty(), "nothing to retry");
    // Delivered twice (SQS is at least once): still one job, nothing dead-lettered twice.
    let again = function.handle(intake_event()).await;
    assert!(again.batch_item_failures.is_empty());

    // The valid message's job: the HTTP route with the same key replays it.
    let org = Uuid::try_parse(ORG).unwrap();
    b.keys
        .put(&ApiKeyRecord {
            key_hash: hash_key(KEY),
            org_id: org,
            state: KeyState::Active,
            created_at: 0,
        })
        .await
        .expect("key");
    let app = b.app(ManualClock::at(1_764_100_000));
    let body = json!({
        "prompt": "Spring launch banner for a running shoe, bold and bright",
        "output": { "aspect_ratio": "1:1" },
        "client_reference_id": "run-42",
    });
    let replay = app
        .api
        .handle(request(
            "POST",
            "/api/v1/images/generations",
            Some(KEY),
            Some("pipeline-run-42"),
            &body.to_string(),
        ))
        .await;
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.headers()["x-idempotency-replayed"], "true");
    let envelope: Value = serde_json::from_slice(replay.body()).expect("json");
    let job_id = Uuid::try_parse(envelope["data"]["job_id"].as_str().unwrap()).unwrap();
    let job = b
        .jobs
        .get(job_id)
        .await
        .unwrap()
        .expect("the intake created the job");
    assert_eq!(job.org_id, org);
    assert_eq!(job.client_reference_id.as_deref(), Some("run-42"));
    assert!(job.enqueued, "on the generation queue");

    // The invalid message, dead-lettered with its error envelope (each delivery of it).
    let rejected = b.receive_raw(&dlq, 2, Duration::from_secs(10)).await;
    assert_eq!(rejected.len(), 2);
    let message = &rejected[0];
    assert!(
        message
            .body()
            .unwrap_or_default()
            .contains("pipeline-run-43")
    );
    let attribute = message
        .message_attributes()
        .and_then(|a| a.get(REJECT_ATTRIBUTE))
        .and_then(|v| v.string_value())
        .expect("the adgen-error attribute");
    let error: Value = serde_json::from_str(attribute).expect("an error envelope");
    assert_eq!(error["error"]["code"], "invalid_request_body");
    assert_eq!(error["error"]["param"], "request.prompt");
    assert!(
        error["error"]["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_pi_"))
    );

    // And job.rejected on the bus, the same event id both times.
    let events = b.receive_raw(&bus, 2, Duration::from_secs(10)).await;
    let rejections: Vec<Value> = events
        .iter()
        .filter_map(|m| serde_json::from_str::<Value>(m.body().unwrap_or_default()).ok())
        .filter(|e| e["detail-type"] == "job.rejected")
        .collect();
    assert_eq!(rejections.len(), 2, "{events:?}");
    assert_eq!(rejections[0]["detail"]["id"], rejections[1]["detail"]["id"]);
    let detail = &rejections[0]["detail"];
    assert_eq!(detail["data"]["org_id"], ORG);
    assert_eq!(detail["data"]["idempotency_key"], "pipeline-run-43");
    assert_eq!(detail["data"]["error"]["param"], "request.prompt");
}
