//! Webhooks on every adapter set (spec §5): the endpoint and delivery stores' contract, the
//! outbox a finished job enters, the endpoint routes, and delivery itself against local
//! receivers — signed, retried on schedule, disabled on 410 or five days of failures, never to
//! a blocked address, never delaying a job's completion.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use adgen::jobs::{ExtractionInput, ExtractionWork, Job, JobInput, JobStatus, Phase, Work};
use adgen::ports::{Claim, CreateDelivery, DeliveriesOf};
use adgen::webhooks::delivery::{Delivery, DeliveryMessage};
use adgen::webhooks::event::{EventRef, EventType};
use adgen::webhooks::{DisabledReason, Endpoint, FAILING_DISABLE_SECONDS, Secret, sign};
use adgen_outbound::fetch::{FetchPolicy, Fetcher};
use adgen_outbound::webhook::{WebhookClient, webhook_sender};
use adgen_testkit::{Reply, Request, TestServer};
use adgen_tests::{App, Backend, ManualClock, local_webhook_sender, on_every_backend, request};
use serde_json::{Value, json};
use uuid::Uuid;

const NOW: i64 = 1_764_100_000;
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

on_every_backend!(
    endpoints_are_scoped_versioned_and_listed,
    deliveries_are_created_once_and_listed_by_endpoint_and_job,
    a_terminal_job_waits_in_the_outbox_until_dispatched,
    delivery_messages_are_held_back_by_their_delay,
    webhook_routes_manage_endpoints,
    a_finished_job_is_delivered_signed_and_retried_on_schedule,
    a_failed_job_sends_job_failed,
    gone_disables_the_endpoint_at_once,
    inactive_endpoints_receive_nothing,
    a_dead_endpoint_does_not_delay_completion,
    a_slow_endpoint_times_out_and_is_retried,
    blocked_addresses_are_never_contacted,
    resend_keeps_the_event_id_and_test_sends_now,
    five_days_of_failures_disable_the_endpoint,
);

fn endpoint(org: Uuid, url: &str, at: i64) -> Endpoint {
    Endpoint::new(
        Uuid::new_v4(),
        org,
        url.into(),
        None,
        Secret::parse(SECRET).expect("secret"),
        at,
    )
}

async fn endpoints_are_scoped_versioned_and_listed(b: Backend) {
    let (org, other) = (Uuid::new_v4(), Uuid::new_v4());
    let first = endpoint(org, "https://a.example/h", 100);
    let second = endpoint(org, "https://b.example/h", 200);
    let foreign = endpoint(other, "https://c.example/h", 300);
    for e in [&first, &second, &foreign] {
        b.webhooks.create(e).await.expect("create");
    }
    assert_eq!(
        b.webhooks.get(org, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(b.webhooks.get(other, first.id).await.unwrap(), None);

    let page = b.webhooks.list(org, 10, 0).await.unwrap();
    let ids: Vec<Uuid> = page.endpoints.iter().map(|e| e.id).collect();
    assert_eq!((ids, page.total_count), (vec![second.id, first.id], 2));
    let page = b.webhooks.list(org, 1, 1).await.unwrap();
    assert_eq!(page.endpoints, vec![first.clone()]);
    assert_eq!(page.total_count, 2);

    let off = first.with_active(false, 150);
    assert!(b.webhooks.update(&off).await.unwrap());
    assert!(!b.webhooks.update(&off).await.unwrap(), "version 1 is gone");
    assert!(
        !b.webhooks
            .update(&first.with_active(true, 160))
            .await
            .unwrap(),
        "a change made from a stale read is refused"
    );
    let hijack = Endpoint {
        org_id: other,
        ..off.with_active(true, 170)
    };
    assert!(
        !b.webhooks.update(&hijack).await.unwrap(),
        "another organisation's"
    );
    assert_eq!(b.webhooks.get(org, first.id).await.unwrap(), Some(off));

    assert!(!b.webhooks.delete(other, first.id).await.unwrap());
    assert!(b.webhooks.delete(org, first.id).await.unwrap());
    assert!(!b.webhooks.delete(org, first.id).await.unwrap());
    assert_eq!(b.webhooks.get(org, first.id).await.unwrap(), None);
}

async fn deliveries_are_created_once_and_listed_by_endpoint_and_job(b: Backend) {
    let (org, other) = (Uuid::new_v4(), Uuid::new_v4());
    let (one, two, job) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let event = EventRef {
        id: "evt_contract".into(),
        event_type: EventType::JobCompleted,
        job_id: Some(job),
        created_at: 50,
    };
    let first = Delivery::new(org, one, event.clone(), 100);
    let second = Delivery::new(org, two, event, 200);
    assert_ne!(first.id, second.id);
    assert!(matches!(
        b.deliveries.create(&first).await.unwrap(),
        CreateDelivery::Created
    ));
    let again = Delivery {
        enqueued: true,
        ..first.clone()
    };
    match b.deliveries.create(&again).await.unwrap() {
        CreateDelivery::Exists(stored) => assert_eq!(*stored, first),
        CreateDelivery::Created => panic!("created twice"),
    }
    b.deliveries.create(&second).await.unwrap();

    let claimed = first.claim(1, 110).expect("due");
    assert!(b.deliveries.update(&claimed).await.unwrap());
    assert!(
        !b.deliveries.update(&claimed).await.unwrap(),
        "one claim per version"
    );
    assert_eq!(
        b.deliveries.get(org, first.id).await.unwrap(),
        Some(claimed.clone())
    );
    assert_eq!(b.deliveries.get(other, first.id).await.unwrap(), None);

    let test = Delivery::new(org, one, EventRef::test(300), 300);
    b.deliveries.create(&test).await.unwrap();
    let of_one = b
        .deliveries
        .list(org, DeliveriesOf::Endpoint(one), 10, 0)
        .await
        .unwrap();
    let ids: Vec<Uuid> = of_one.deliveries.iter().map(|d| d.id).collect();
    assert_eq!((ids, of_one.total_count), (vec![test.id, first.id], 2));
    let of_job = b
        .deliveries
        .list(org, DeliveriesOf::Job(job), 1, 0)
        .await
        .unwrap();
    assert_eq!(of_job.total_count, 2);
    assert_eq!(of_job.deliveries, vec![second.clone()]);
    let foreign = b
        .deliveries
        .list(other, DeliveriesOf::Job(job), 10, 0)
        .await
        .unwrap();
    assert!(foreign.deliveries.is_empty() && foreign.total_count == 0);
}

fn extraction_job(org: Uuid, now: i64) -> Job {
    Job::queued(
        Uuid::new_v4(),
        org,
        JobInput::Extraction(ExtractionInput {
            url: "https://example.com".into(),
        }),
        Work::Extraction(ExtractionWork {
            url: "https://example.com".into(),
            domain: "example.com".into(),
        }),
        now,
    )
}

async fn a_terminal_job_waits_in_the_outbox_until_dispatched(b: Backend) {
    let job = extraction_job(Uuid::new_v4(), 100);
    let waiting = extraction_job(Uuid::new_v4(), 100);
    b.jobs.create(&job).await.unwrap();
    b.jobs.create(&waiting).await.unwrap();
    assert!(b.jobs.list_undispatched(1000, 10).await.unwrap().is_empty());

    let Claim::Claimed(claimed) = b.jobs.claim(job.id, "w", 110, 500).await.unwrap() else {
        panic!("claim");
    };
    let done = Job {
        status: JobStatus::Completed,
        updated_at: 120,
        lease: None,
        ..*claimed
    };
    assert!(b.jobs.save_leased(&done, "w").await.unwrap());
    let listed: Vec<Uuid> = b
        .jobs
        .list_undispatched(120, 10)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(
        listed,
        vec![job.id],
        "in the outbox from the write that ended it"
    );
    assert!(b.jobs.list_undispatched(119, 10).await.unwrap().is_empty());
    assert!(
        !b.jobs
            .list_stale(1000, 10)
            .await
            .unwrap()
            .iter()
            .any(|j| j.id == job.id)
    );

    b.jobs.mark_dispatched(job.id).await.unwrap();
    assert!(b.jobs.list_undispatched(1000, 10).await.unwrap().is_empty());
    let stored = b.jobs.get(job.id).await.unwrap().expect("job");
    assert!(stored.events_dispatched);
    assert_eq!(stored.status, JobStatus::Completed);

    // A job still running has no events yet: marking it changes nothing.
    b.jobs.mark_dispatched(waiting.id).await.unwrap();
    let stored = b.jobs.get(waiting.id).await.unwrap().expect("job");
    assert!(!stored.events_dispatched && stored.status == JobStatus::Queued);
    assert!(
        b.jobs
            .list_stale(1000, 10)
            .await
            .unwrap()
            .iter()
            .any(|j| j.id == waiting.id)
    );
}

async fn delivery_messages_are_held_back_by_their_delay(b: Backend) {
    let message = |attempt| DeliveryMessage {
        org_id: Uuid::new_v4(),
        delivery_id: Uuid::new_v4(),
        attempt,
        not_before: 0,
    };
    let (now, later) = (message(1), message(2));
    b.delivery_queue.send(&now, Duration::ZERO).await.unwrap();
    b.delivery_queue
        .send(&later, Duration::from_secs(2))
        .await
        .unwrap();
    let read = |batch: Vec<adgen::ports::Received>| -> Vec<DeliveryMessage> {
        batch
            .iter()
            .map(|m| serde_json::from_str(&m.body).expect("a delivery message"))
            .collect()
    };
    let first = b
        .delivery_consumer
        .receive(10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(read(first), vec![now]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let second = b
        .delivery_consumer
        .receive(10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(read(second), vec![later]);
}

/// Answers each request with the next status of `statuses` (the last one repeats).
fn scripted(statuses: &'static [u16]) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    let calls = AtomicUsize::new(0);
    move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let status = statuses[n.min(statuses.len() - 1)];
        Reply::new(status, "ok")
    }
}

async fn call(app: &App, method: &str, path: &str, key: &str, body: &str) -> (u16, Value) {
    let response = app
        .api
        .handle(request(method, path, Some(key), None, body))
        .await;
    let status = response.status().as_u16();
    let value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (status, value)
}

/// Registers `url` for the key's organisation with the known test secret; the endpoint id.
async fn register(app: &App, key: &str, url: &str) -> String {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/webhooks",
        key,
        &json!({ "endpoint_url": url, "secret": SECRET }).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().expect("id").to_owned()
}

/// Submits a job and has the worker finish it (which dispatches its events); its id.
async fn finished_job(
    b: &Backend,
    app: &App,
    clock: &Arc<ManualClock>,
    key: &str,
    org: Uuid,
) -> Uuid {
    let body = json!({
        "prompt": "Autumn sale for a coffee shop",
        "client_reference_id": "camp-42",
        "metadata": { "campaign": "q4" },
    });
    let job = app.submit(key, &body).await;
    b.work_on(clock.clone(), job, org).await;
    job
}

async fn webhook_routes_manage_endpoints(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, _) = b.new_key().await;
    let (other_key, _) = b.new_key().await;

    let (status, created) = call(
        &app,
        "POST",
        "/api/v1/webhooks",
        &key,
        r#"{"endpoint_url":"https://hooks.example.com/adgen","description":"ci"}"#,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let data = &created["data"];
    assert_eq!(created["object"], "webhook");
    assert_eq!(data["is_active"], true);
    assert_eq!(data["description"], "ci");
    let secret = data["secret"].as_str().expect("secret returned once");
    assert!(Secret::parse(secret).is_ok(), "{secret}");
    let id = data["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/webhooks/{id}");

    let (status, read) = call(&app, "GET", &path, &key, "").await;
    assert_eq!(status, 200);
    assert!(read["data"].get("secret").is_none(), "never shown again");
    let (status, missing) = call(&app, "GET", &path, &other_key, "").await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (404, Some("webhook_not_found"))
    );
    let (status, bad) = call(&app, "GET", "/api/v1/webhooks/nope", &key, "").await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("invalid_webhook_id"))
    );

    for (body, param) in [
        (
            r#"{"endpoint_url":"http://hooks.example.com/"}"#,
            "endpoint_url",
        ),
        (r#"{"endpoint_url":"https://192.168.1.1/"}"#, "endpoint_url"),
        (
            r#"{"endpoint_url":"https://a.example/","secret":"whsec_short"}"#,
            "secret",
        ),
        (
            r#"{"endpoint_url":"https://a.example/","is_active":true}"#,
            "is_active",
        ),
    ] {
        let (status, refused) = call(&app, "POST", "/api/v1/webhooks", &key, body).await;
        assert_eq!(status, 400, "{body}: {refused}");
        assert_eq!(refused["error"]["param"], param, "{body}");
    }

    let (status, off) = call(&app, "PATCH", &path, &key, r#"{"is_active":false}"#).await;
    assert_eq!((status, &off["data"]["is_active"]), (200, &json!(false)));
    let (status, _) = call(&app, "PATCH", &path, &key, r#"{"is_active":"no"}"#).await;
    assert_eq!(status, 400);

    let (status, list) = call(&app, "GET", "/api/v1/webhooks?limit=5", &key, "").await;
    assert_eq!(status, 200);
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"]["total_count"], 1);
    assert!(list["data"]["data"][0].get("secret").is_none());

    let (status, rotated) = call(&app, "POST", &format!("{path}/rotate-secret"), &key, "").await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["data"]["secret"]
        .as_str()
        .expect("the new secret, once");
    assert_ne!(new_secret, secret);
    assert_eq!(
        rotated["data"]["previous_secret_expires_at"],
        NOW + 24 * 3600
    );

    let response = app
        .api
        .handle(request("PUT", &path, Some(&key), None, "{}"))
        .await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, PATCH, DELETE");

    let (status, deleted) = call(&app, "DELETE", &path, &key, "").await;
    assert_eq!((status, &deleted["data"]["deleted"]), (200, &json!(true)));
    let (status, _) = call(&app, "GET", &path, &key, "").await;
    assert_eq!(status, 404);
}

/// The one delivery of the organisation's only endpoint, through the API.
async fn deliveries_of(app: &App, key: &str, webhook: &str) -> Value {
    let (status, list) = call(
        app,
        "GET",
        &format!("/api/v1/webhooks/{webhook}/deliveries"),
        key,
        "",
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list["data"].clone()
}

async fn a_finished_job_is_delivered_signed_and_retried_on_schedule(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let receiver = TestServer::plain(scripted(&[500, 200])).await;
    let webhook = register(&app, &key, &receiver.url("http", "/hook")).await;
    let job = finished_job(&b, &app, &clock, &key, org).await;
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());

    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let first = &receiver.requests()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/hook")
    );
    let event_id = first.header("webhook-id").expect("webhook-id").to_owned();
    assert!(event_id.starts_with("evt_"));
    assert_eq!(
        first.header("webhook-timestamp"),
        Some(NOW.to_string().as_str())
    );
    assert_eq!(first.header("content-type"), Some("application/json"));
    let secret = Secret::parse(SECRET).unwrap();
    assert_eq!(
        first.header("webhook-signature"),
        Some(sign::signature(&secret, &event_id, NOW, &first.body).as_str())
    );
    let event = first.json();
    assert_eq!(event["id"], event_id.as_str());
    assert_eq!(event["object"], "event");
    assert_eq!(event["type"], "job.completed");
    let record = &event["data"]["job"];
    assert_eq!(record["id"], job.to_string());
    assert_eq!(record["status"], "completed");
    assert_eq!(record["client_reference_id"], "camp-42");
    assert_eq!(record["metadata"]["campaign"], "q4");
    assert!(record["ad"]["image_url"].as_str().is_some(), "{record}");
    assert!(record.get("work").is_none() && record.get("lease").is_none());

    let log = deliveries_of(&app, &key, &webhook).await;
    let delivery = &log["data"][0];
    assert_eq!(delivery["event_id"], event_id.as_str());
    assert_eq!(delivery["job_id"], job.to_string());
    assert_eq!(delivery["status"], "pending");
    let attempt = &delivery["attempts"][0];
    assert_eq!(attempt["status_code"], 500);
    let next = attempt["next_attempt_at"]
        .as_i64()
        .expect("a retry is scheduled");
    assert!(
        (NOW + 5..=NOW + 5).contains(&next),
        "{next}: 5 s plus up to 10 %"
    );

    // Not before it is due: the retry waits in the queue.
    assert_eq!(b.deliver_due(&deliverer).await, 0);
    assert_eq!(receiver.requests().len(), 1);
    tokio::time::sleep(Duration::from_millis(5600)).await;
    clock.advance(6);
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("webhook-id"),
        Some(event_id.as_str()),
        "same id on every retry"
    );
    assert_eq!(requests[1].json()["id"], event_id.as_str());

    let log = deliveries_of(&app, &key, &webhook).await;
    assert_eq!(log["total_count"], 1);
    let delivery = &log["data"][0];
    assert_eq!(delivery["status"], "delivered");
    assert_eq!(delivery["attempts"].as_array().map(Vec::len), Some(2));
    assert_eq!(delivery["attempts"][1]["status_code"], 200);
    assert_eq!(delivery["attempts"][1]["next_attempt_at"], Value::Null);

    let (status, read) = call(
        &app,
        "GET",
        &format!("/api/v1/jobs/{job}?expand=deliveries"),
        &key,
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["data"]["deliveries"][0]["event_id"], event_id.as_str());
    assert_eq!(read["data"]["deliveries"][0]["status"], "delivered");
}

async fn a_failed_job_sends_job_failed(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let receiver = TestServer::plain(scripted(&[204])).await;
    register(&app, &key, &receiver.url("http", "/hook")).await;
    // The worker reaches no URL in these tests: the reference cannot be fetched.
    let job = app
        .submit(
            &key,
            &json!({ "prompt": "A sale", "reference_images": ["https://cdn.example.com/a.png"] }),
        )
        .await;
    b.work_on(clock.clone(), job, org).await;
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let event = receiver.requests()[0].json();
    assert_eq!(event["type"], "job.failed");
    assert_eq!(event["data"]["job"]["status"], "failed");
    assert_eq!(
        event["data"]["job"]["payload"]["failure_code"],
        "reference_input_invalid"
    );
}

async fn gone_disables_the_endpoint_at_once(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let receiver = TestServer::plain(scripted(&[410])).await;
    let webhook = register(&app, &key, &receiver.url("http", "/hook")).await;
    finished_job(&b, &app, &clock, &key, org).await;
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());
    assert_eq!(b.deliver_due(&deliverer).await, 1);

    let (_, read) = call(
        &app,
        "GET",
        &format!("/api/v1/webhooks/{webhook}"),
        &key,
        "",
    )
    .await;
    assert_eq!(read["data"]["is_active"], false);
    assert_eq!(read["data"]["disabled_reason"], "gone");
    let log = deliveries_of(&app, &key, &webhook).await;
    assert_eq!(log["data"][0]["status"], "failed");
    assert_eq!(
        log["data"][0]["attempts"][0]["next_attempt_at"],
        Value::Null
    );
    tokio::time::sleep(Duration::from_millis(5600)).await;
    clock.advance(3600);
    assert_eq!(b.deliver_due(&deliverer).await, 0, "no retry after a 410");

    // The next job's event is not sent to the disabled endpoint at all.
    finished_job(&b, &app, &clock, &key, org).await;
    assert_eq!(b.deliver_due(&deliverer).await, 0);
    assert_eq!(receiver.requests().len(), 1);
}

async fn inactive_endpoints_receive_nothing(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let on = TestServer::plain(scripted(&[200])).await;
    let off = TestServer::plain(scripted(&[200])).await;
    let later = TestServer::plain(scripted(&[200])).await;
    register(&app, &key, &on.url("http", "/hook")).await;
    let off_id = register(&app, &key, &off.url("http", "/hook")).await;
    let later_id = register(&app, &key, &later.url("http", "/hook")).await;
    let patch = |id: &str| format!("/api/v1/webhooks/{id}");
    call(
        &app,
        "PATCH",
        &patch(&off_id),
        &key,
        r#"{"is_active":false}"#,
    )
    .await;

    finished_job(&b, &app, &clock, &key, org).await;
    // Turned off after the event was handed on, before its attempt: still not sent.
    call(
        &app,
        "PATCH",
        &patch(&later_id),
        &key,
        r#"{"is_active":false}"#,
    )
    .await;
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());
    assert_eq!(b.deliver_due(&deliverer).await, 2);
    assert_eq!(on.requests().len(), 1);
    assert!(off.requests().is_empty() && later.requests().is_empty());
    let log = deliveries_of(&app, &key, &off_id).await;
    assert_eq!(
        log["total_count"], 0,
        "no delivery for an inactive endpoint"
    );
    let log = deliveries_of(&app, &key, &later_id).await;
    assert_eq!(log["data"][0]["status"], "failed");
    assert!(
        log["data"][0]["attempts"][0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("disabled")
    );
}

async fn a_dead_endpoint_does_not_delay_completion(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let stalled =
        TestServer::plain(|_: &Request| Reply::new(200, "late").delay(Duration::from_secs(60)))
            .await;
    register(&app, &key, &stalled.url("http", "/hook")).await;
    let job = finished_job(&b, &app, &clock, &key, org).await;
    // The worker finished the job and handed its event on without calling the endpoint.
    let stored = b.jobs.get(job).await.unwrap().expect("job");
    assert_eq!(stored.status, JobStatus::Completed);
    assert_eq!(stored.payload.phase, Phase::Completed);
    assert!(stored.events_dispatched);
    assert!(stalled.requests().is_empty());
    let queued = b
        .delivery_consumer
        .receive(10, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "its delivery waits for the deliverer");
}

async fn a_slow_endpoint_times_out_and_is_retried(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let slow =
        TestServer::plain(|_: &Request| Reply::new(200, "late").delay(Duration::from_secs(10)))
            .await;
    let webhook = register(&app, &key, &slow.url("http", "/hook")).await;
    finished_job(&b, &app, &clock, &key, org).await;
    // The production client with a 1 s limit instead of 15 s, to keep the test short.
    let fetcher = Fetcher::local_dev(FetchPolicy::default()).expect("fetcher");
    let sender = Arc::new(WebhookClient::new(
        Arc::new(fetcher),
        Duration::from_secs(1),
    ));
    let deliverer = b.deliverer(clock.clone(), sender);
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let log = deliveries_of(&app, &key, &webhook).await;
    let attempt = &log["data"][0]["attempts"][0];
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(
        attempt["error"]
            .as_str()
            .unwrap_or("")
            .contains("timed out"),
        "{attempt}"
    );
    assert!(attempt["next_attempt_at"].as_i64().is_some());
    assert_eq!(log["data"][0]["status"], "pending");
}

async fn blocked_addresses_are_never_contacted(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let receiver = TestServer::plain(scripted(&[200])).await;
    let port = receiver.addr.port();
    // Written straight to the store (the API refuses them), as if a name had moved.
    for url in [
        format!("https://localhost:{port}/hook"),
        format!("http://127.0.0.1:{port}/hook"),
        format!("https://127.0.0.1:{port}/hook"),
    ] {
        b.webhooks.create(&endpoint(org, &url, NOW)).await.unwrap();
    }
    finished_job(&b, &app, &clock, &key, org).await;
    // The production sender: public addresses only, checked on the resolved address.
    let deliverer = b.deliverer(clock.clone(), webhook_sender(false).expect("sender"));
    assert_eq!(b.deliver_due(&deliverer).await, 3);
    assert!(
        receiver.requests().is_empty(),
        "nothing reached the loopback receiver"
    );
    let page = b.webhooks.list(org, 10, 0).await.unwrap();
    for e in page.endpoints {
        let log = b
            .deliveries
            .list(org, DeliveriesOf::Endpoint(e.id), 10, 0)
            .await
            .unwrap();
        let error = log.deliveries[0].attempts[0]
            .error
            .clone()
            .unwrap_or_default();
        assert!(
            error.contains("non-public") || error.contains("https"),
            "{}: {error}",
            e.endpoint_url
        );
    }
}

async fn resend_keeps_the_event_id_and_test_sends_now(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let (other_key, _) = b.new_key().await;
    let receiver = TestServer::plain(scripted(&[500, 200])).await;
    let webhook = register(&app, &key, &receiver.url("http", "/hook")).await;
    finished_job(&b, &app, &clock, &key, org).await;
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let log = deliveries_of(&app, &key, &webhook).await;
    let delivery_id = log["data"][0]["id"].as_str().unwrap().to_owned();
    let resend = format!("/api/v1/webhooks/{webhook}/deliveries/{delivery_id}/resend");

    let (status, _) = call(&app, "POST", &resend, &other_key, "").await;
    assert_eq!(status, 404, "another organisation's");
    clock.advance(2);
    let (status, resent) = call(&app, "POST", &resend, &key, "").await;
    assert_eq!(status, 200, "{resent}");
    assert_eq!(resent["object"], "delivery");
    assert_eq!(resent["data"]["status"], "delivered");
    let attempts = resent["data"]["attempts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["trigger"], "resend");
    assert_eq!(attempts[1]["status_code"], 200);
    let requests = receiver.requests();
    assert_eq!(
        requests[0].header("webhook-id"),
        requests[1].header("webhook-id")
    );
    assert_eq!(
        requests[1].header("webhook-timestamp"),
        Some((NOW + 2).to_string().as_str())
    );

    // The scheduled retry finds the delivery done and sends nothing.
    tokio::time::sleep(Duration::from_millis(5600)).await;
    clock.advance(10);
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    assert_eq!(receiver.requests().len(), 2);

    let (status, tested) = call(
        &app,
        "POST",
        &format!("/api/v1/webhooks/{webhook}/test"),
        &key,
        "",
    )
    .await;
    assert_eq!(status, 200, "{tested}");
    assert_eq!(tested["data"]["event_type"], "webhook.test");
    assert_eq!(tested["data"]["status"], "delivered");
    assert_eq!(tested["data"]["attempts"][0]["trigger"], "test");
    let ping = receiver.requests()[2].json();
    assert_eq!(ping["type"], "webhook.test");
    assert_eq!(ping["data"]["webhook_id"], webhook.as_str());
    let log = deliveries_of(&app, &key, &webhook).await;
    assert_eq!(log["total_count"], 2, "the test is in the log too");
}

async fn five_days_of_failures_disable_the_endpoint(b: Backend) {
    let clock = ManualClock::at(NOW);
    let app = b.app(clock.clone());
    let (key, org) = b.new_key().await;
    let receiver = TestServer::plain(scripted(&[503])).await;
    let webhook = register(&app, &key, &receiver.url("http", "/hook")).await;
    let id = Uuid::try_parse(&webhook).unwrap();
    let deliverer = b.deliverer(clock.clone(), local_webhook_sender());

    finished_job(&b, &app, &clock, &key, org).await;
    assert_eq!(b.deliver_due(&deliverer).await, 1);
    let failing = b.webhooks.get(org, id).await.unwrap().expect("endpoint");
    assert!(failing.is_active);
    assert_eq!(failing.failing_since, Some(NOW));

    // Five days on, every delivery still failing: the next failure disables it.
    clock.advance(FAILING_DISABLE_SECONDS);
    finished_job(&b, &app, &clock, &key, org).await;
    b.deliver_due(&deliverer).await;
    let off = b.webhooks.get(org, id).await.unwrap().expect("endpoint");
    assert!(!off.is_active);
    assert_eq!(off.disabled_reason, Some(DisabledReason::Failing));

    // Turned on again by its owner, it starts afresh.
    let (_, on) = call(
        &app,
        "PATCH",
        &format!("/api/v1/webhooks/{webhook}"),
        &key,
        r#"{"is_active":true}"#,
    )
    .await;
    assert_eq!(on["data"]["is_active"], true);
    assert_eq!(on["data"]["failing_since"], Value::Null);
}
