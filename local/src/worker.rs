//! The generation worker and the sweep inside `adgen serve`, over the embedded queue: the same
//! `process_batch` the Lambda function runs.

use std::sync::Arc;
use std::time::Duration;

use adgen::adapters::embedded::EmbeddedQueue;
use adgen::service::generate::{Delivery, Worker, process_batch};
use adgen::service::sweep::Sweeper;

/// Jobs processed at once (the machine's cores are the limit: rendering is CPU-bound).
const BATCH: usize = 2;
const IDLE_POLL: Duration = Duration::from_millis(200);
const SWEEP_EVERY: Duration = Duration::from_secs(60);

pub async fn run(queue: Arc<EmbeddedQueue>, worker: Arc<Worker>) {
    let lease = Duration::from_secs(worker.settings.lease_seconds as u64);
    // Hidden a little longer than a lease, as SQS's visibility timeout exceeds the worker's.
    let visibility_ms = (lease.as_millis() as i64) * 6 / 5;
    loop {
        let batch = match queue.receive(BATCH, visibility_ms).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(error = %e, "queue receive failed");
                tokio::time::sleep(IDLE_POLL * 10).await;
                continue;
            }
        };
        if batch.is_empty() {
            tokio::time::sleep(IDLE_POLL).await;
            continue;
        }
        let deliveries = batch
            .iter()
            .map(|d| Delivery {
                id: d.receipt.clone(),
                body: serde_json::to_string(&d.message).unwrap_or_default(),
                receive_count: d.receive_count,
            })
            .collect();
        let retry = process_batch(&worker, deliveries, tokio::time::Instant::now() + lease).await;
        for delivery in &batch {
            let result = match retry.iter().find(|r| r.id == delivery.receipt) {
                Some(r) => {
                    queue
                        .redeliver_after(&r.id, r.delay.as_millis() as i64)
                        .await
                }
                None => queue.delete(&delivery.receipt).await.map(|_| ()),
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "queue update failed; the message returns after its visibility timeout");
            }
        }
    }
}

pub async fn sweep_periodically(sweeper: Sweeper) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = sweeper.sweep().await {
            tracing::warn!(error = %e, "sweep failed");
        }
    }
}
