//! Infrastructure faults, injected through decorators of the ports (`Faults`) or over the
//! wire: each scenario asserts the invariant it threatens. (Queue outages at submission are
//! tests/idempotency.rs and tests/sweep.rs; a webhook receiver down for days is
//! tests/webhooks.rs; a crashed worker's lease is tests/worker.rs.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use adgen::jobs::{JobStatus, Phase};
use adgen::ports::{
    Adapters, Clock, CreateDelivery, DeliveriesOf, DeliveryStore, JobMessage, PortError,
};
use adgen::service::auth::AuthSettings;
use adgen::service::deliver::Deliverer;
use adgen::service::generate::Disposition;
use adgen::webhooks::delivery::{Delivery, DeliveryMessage, DeliveryPage, DeliveryStatus};
use adgen_testkit::{Reply, TestServer};
use adgen_tests::{
    Backend, Faults, FaultyBlobs, Kind, ManualClock, NOW, answer, client, local_webhook_sender,
    on_every_backend, request,
};
use async_trait::async_trait;
use serde_json::json;
use uuid::Uuid;

on_every_backend!(
    a_write_between_read_and_claim_does_not_lose_the_attempt,
    a_failing_job_store_answers_503_and_the_retry_creates_one_job,
    a_failing_image_put_is_retried_and_no_job_completes_without_its_image,
);

const GENERATIONS: &str = "/api/v1/images/generations";

async fn a_failing_job_store_answers_503_and_the_retry_creates_one_job(b: Backend) {
    let c = client(&b).await;
    // With a key, the job is written by the key's claim: the idempotency store's write.
    let (app, job_faults, key_faults) = b.app_with_store_faults(c.clock.clone());
    let post = |key: Option<&'static str>| {
        let (app, c) = (&app, &c);
        async move {
            let body = json!({"prompt": "Store outage"}).to_string();
            answer(
                app.api
                    .handle(request("POST", GENERATIONS, Some(&c.key), key, &body))
                    .await,
            )
        }
    };
    for (key, faults) in [(None, &job_faults), (Some("store-1"), &key_faults)] {
        faults.fail_next(1);
        let failed = post(key).await;
        failed.assert_error(503, "api_error", "service_unavailable");
        assert_eq!(failed.header("retry-after"), Some("1"));
        assert!(
            !failed.json.to_string().contains("injected"),
            "no cause reaches the client"
        );
        assert_eq!(faults.injected.load(Ordering::SeqCst), 1);
        assert!(b.drain_messages().await.is_empty(), "nothing enqueued");
        let left = b
            .jobs
            .list_stale(c.clock.now() + 1, 100)
            .await
            .expect("list");
        assert!(
            left.iter().all(|j| j.org_id != c.org),
            "nothing written ({key:?})"
        );
    }
    // The client retries with the same key and body: one job, one message.
    let ok = post(Some("store-1")).await;
    assert_eq!(ok.status, 202, "{}", ok.json);
    let again = post(Some("store-1")).await;
    assert_eq!(again.header("x-idempotency-replayed"), Some("true"));
    assert_eq!(again.job_id(), ok.job_id());
    let queued = b.drain_messages().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].job_id, ok.job_id());
}

async fn a_failing_image_put_is_retried_and_no_job_completes_without_its_image(b: Backend) {
    let c = client(&b).await;
    let job = c
        .app
        .submit(&c.key, &json!({"prompt": "Blob outage"}))
        .await;
    b.drain_messages().await;
    let faults = Faults::new();
    let adapters = Adapters {
        blobs: Arc::new(FaultyBlobs {
            inner: b.blobs.clone(),
            prefix: "ads/",
            faults: faults.clone(),
        }),
        ..b.adapters.clone()
    };
    let worker = b.worker_on(&adapters, c.clock.clone());
    let message = JobMessage {
        job_id: job,
        org_id: c.org,
    };
    faults.fail_next(2);
    for receive in 1..=2 {
        assert_eq!(worker.process(message, receive).await, Disposition::Retry);
        let stored = b.jobs.get(job).await.expect("read").expect("job");
        assert_eq!(
            stored.status,
            JobStatus::Processing,
            "not completed without its image"
        );
        assert_eq!(stored.result_url, None);
        let key = stored
            .result_key()
            .expect("the output is recorded before storing");
        assert!(b.blobs.get(&key).await.expect("read").is_none());
    }
    assert_eq!(worker.process(message, 3).await, Disposition::Acknowledge);
    let done = b.jobs.get(job).await.expect("read").expect("job");
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.payload.phase, Phase::Completed);
    assert!(done.result_url.is_some());
    let key = done.result_key().expect("result key");
    let image = b
        .blobs
        .get(&key)
        .await
        .expect("read")
        .expect("the image is stored");
    image::load_from_memory(&image.bytes).expect("a valid image");
    assert_eq!(faults.calls.load(Ordering::SeqCst), 3);
    // A late redelivery does no work and changes nothing.
    assert_eq!(worker.process(message, 4).await, Disposition::Acknowledge);
    assert_eq!(
        b.jobs.get(job).await.expect("read").expect("job").status,
        JobStatus::Completed
    );
    assert_eq!(faults.calls.load(Ordering::SeqCst), 3);
}

/// A scripted DynamoDB that answers `throttled` requests with the throttling error, then an
/// empty `GetItem` answer; how many requests it saw.
async fn scripted_dynamodb(throttled: usize) -> (TestServer, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let server = TestServer::plain(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        if n < throttled {
            Reply::new(
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}"#,
            )
            .header("content-type", "application/x-amz-json-1.0")
        } else {
            Reply::new(200, "{}").header("content-type", "application/x-amz-json-1.0")
        }
    })
    .await;
    (server, seen)
}

async fn throttled_store(url: &str) -> adgen_aws::DynamoStore {
    let conf = adgen_aws::sdk_config(adgen_aws::DEFAULT_REGION).await;
    adgen_aws::DynamoStore::new(
        adgen_aws::dynamodb_client(&conf, Some(url)),
        "adgen-throttled".into(),
    )
}

/// Throttling is retried by the SDK (standard mode, 3 attempts, backoff with jitter), over
/// the DynamoDB wire protocol; a throttle that outlasts them is a clean 503 with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_dynamodb_is_retried_then_answers_503() {
    use adgen::ports::ApiKeyStore;
    let (server, seen) = scripted_dynamodb(2).await;
    let store = throttled_store(&server.url("http", "/")).await;
    assert_eq!(
        ApiKeyStore::get(&store, "absent")
            .await
            .expect("retried through"),
        None
    );
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "two throttles, then the answer"
    );

    let (server, seen) = scripted_dynamodb(usize::MAX).await;
    let store = Arc::new(throttled_store(&server.url("http", "/")).await);
    let b = Backend::new(Kind::Embedded).await;
    let adapters = Adapters {
        keys: store,
        ..b.adapters.clone()
    };
    let app = Backend::app_on(&adapters, ManualClock::at(NOW), AuthSettings::default());
    let refused = answer(
        app.api
            .handle(request(
                "GET",
                "/api/v1/brands",
                Some("sk_live_throttled"),
                None,
                "",
            ))
            .await,
    );
    refused.assert_error(503, "api_error", "service_unavailable");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let text = refused.json.to_string();
    assert!(
        !text.contains("Throughput") && !text.contains("adgen-throttled"),
        "{text}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 3, "the SDK's three attempts");
}

/// Another process holding SQLite's write lock: a request waits for it (the busy timeout),
/// then goes through; nothing is lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_database_is_waited_for() {
    let b = Backend::new(Kind::Embedded).await;
    let c = client(&b).await;
    let path = b.sqlite_path().expect("embedded");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut conn = rusqlite::Connection::open(path).expect("second connection");
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("write lock");
        locked_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_millis(1_500));
        tx.commit().expect("release");
    });
    locked_rx.recv().expect("locked");
    let ok = c
        .post(
            GENERATIONS,
            Some("locked-1"),
            r#"{"prompt":"Wait for the lock"}"#,
        )
        .await;
    assert_eq!(ok.status, 202, "{}", ok.json);
    holder.join().expect("holder");
    let queued = b.drain_messages().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].job_id, ok.job_id());
}

/// A delivery store where another writer changes the delivery right after the first read
/// (as the dispatcher marking it enqueued just after sending its message does).
struct RacingDeliveries {
    inner: Arc<dyn DeliveryStore>,
    raced: AtomicBool,
}

#[async_trait]
impl DeliveryStore for RacingDeliveries {
    async fn create(&self, delivery: &Delivery) -> Result<CreateDelivery, PortError> {
        self.inner.create(delivery).await
    }
    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<Delivery>, PortError> {
        let read = self.inner.get(org_id, id).await?;
        if let Some(d) = &read
            && !self.raced.swap(true, Ordering::SeqCst)
        {
            let bumped = Delivery {
                version: d.version + 1,
                ..d.clone()
            };
            assert!(self.inner.update(&bumped).await?, "the racing write lands");
        }
        Ok(read)
    }
    async fn update(&self, delivery: &Delivery) -> Result<bool, PortError> {
        self.inner.update(delivery).await
    }
    async fn list(
        &self,
        org_id: Uuid,
        of: DeliveriesOf,
        limit: usize,
        offset: usize,
    ) -> Result<DeliveryPage, PortError> {
        self.inner.list(org_id, of, limit, offset).await
    }
}

/// Found by the soak on AWS: a versioned write landing between the deliverer's read and its
/// claim made it take its message for a duplicate and drop it, so the event was never sent.
async fn a_write_between_read_and_claim_does_not_lose_the_attempt(b: Backend) {
    let c = client(&b).await;
    let receiver = TestServer::plain(|_| Reply::new(200, "ok")).await;
    let created = c
        .post(
            "/api/v1/webhooks",
            None,
            &json!({"endpoint_url": receiver.url("http", "/hook")}).to_string(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let job = c.app.submit(&c.key, &json!({"prompt": "Race"})).await;
    b.work_on(c.clock.clone(), job, c.org).await;
    let received = b
        .delivery_consumer
        .receive(10, Duration::from_secs(60))
        .await
        .expect("receive");
    assert_eq!(received.len(), 1, "the job's one delivery message");
    let message: DeliveryMessage = serde_json::from_str(&received[0].body).expect("message");
    let adapters = Adapters {
        deliveries: Arc::new(RacingDeliveries {
            inner: b.deliveries.clone(),
            raced: AtomicBool::new(false),
        }),
        ..b.adapters.clone()
    };
    let deliverer = Deliverer::new(&adapters, local_webhook_sender(), c.clock.clone());
    deliverer.handle(message).await.expect("handled");
    assert_eq!(receiver.requests().len(), 1, "the attempt was made");
    let stored = b
        .deliveries
        .get(c.org, message.delivery_id)
        .await
        .expect("read")
        .expect("delivery");
    assert_eq!(stored.status, DeliveryStatus::Delivered);
    assert_eq!(stored.attempts.len(), 1);
}
