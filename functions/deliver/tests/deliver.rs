//! `events/sqs-deliver.json` through the deliver function's handler, on every adapter set: a
//! record naming a delivery makes its attempt; one naming an unknown delivery is dropped
//! without a batch failure (retrying it would never help).

use std::path::PathBuf;

use adgen::ports::CreateDelivery;
use adgen::webhooks::delivery::{Delivery, DeliveryMessage, DeliveryStatus};
use adgen::webhooks::event::EventRef;
use adgen::webhooks::{Endpoint, Secret};
use adgen_deliver::DeliverFunction;
use adgen_testkit::{Reply, Request, TestServer};
use adgen_tests::{Backend, local_webhook_sender, on_every_backend};
use aws_lambda_events::event::sqs::SqsEvent;
use uuid::Uuid;

on_every_backend!(records_through_the_handler);

fn deliver_event() -> SqsEvent {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/sqs-deliver.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("an SQS event")
}

async fn records_through_the_handler(b: Backend) {
    let receiver = TestServer::plain(|_: &Request| Reply::new(204, "")).await;
    let function = DeliverFunction::over(&b.adapters, local_webhook_sender());

    // As recorded: its delivery does not exist here.
    let unknown = function.handle(deliver_event()).await;
    assert!(unknown.batch_item_failures.is_empty());
    assert!(receiver.requests().is_empty());

    let org = Uuid::new_v4();
    let endpoint = Endpoint::new(
        Uuid::new_v4(),
        org,
        receiver.url("http", "/hook"),
        None,
        Secret::generate().expect("secret"),
        0,
    );
    b.webhooks.create(&endpoint).await.expect("endpoint");
    let delivery = Delivery::new(org, endpoint.id, EventRef::test(0), 0);
    assert!(matches!(
        b.deliveries.create(&delivery).await.expect("delivery"),
        CreateDelivery::Created
    ));
    let mut event = deliver_event();
    let message = DeliveryMessage {
        org_id: org,
        delivery_id: delivery.id,
        attempt: 1,
        not_before: 0,
    };
    event.records[0].body = Some(serde_json::to_string(&message).expect("json"));
    let response = function.handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(receiver.requests().len(), 1);
    let stored = b
        .deliveries
        .get(org, delivery.id)
        .await
        .unwrap()
        .expect("delivery");
    assert_eq!(stored.status, DeliveryStatus::Delivered);
    assert_eq!(stored.attempts[0].status_code, Some(204));
}
