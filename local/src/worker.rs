//! The generation worker, the webhook deliverer and the sweep inside `adgen serve`, over the
//! embedded queues: the same batch processing the Lambda functions run, fed by the
//! queue-consumer port.

use std::sync::Arc;
use std::time::Duration;

use adgen::ports::QueueConsumer;
use adgen::service::deliver::{Deliverer, consume_deliveries_once};
use adgen::service::generate::{Worker, consume_once};
use adgen::service::sweep::Sweeper;

/// Jobs processed at once (the machine's cores are the limit: rendering is CPU-bound).
const BATCH: usize = 2;
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Deliveries attempted at once: each mostly waits on its endpoint.
const DELIVERY_BATCH: usize = 10;
/// How often an idle deliverer looks for due messages (the first retry is due after 5 s).
const DELIVERY_POLL: Duration = Duration::from_millis(100);
const SWEEP_EVERY: Duration = Duration::from_secs(60);

pub async fn run(consumer: Arc<dyn QueueConsumer>, worker: Arc<Worker>) {
    loop {
        match consume_once(consumer.as_ref(), &worker, BATCH).await {
            Ok(0) => tokio::time::sleep(IDLE_POLL).await,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "queue receive failed");
                tokio::time::sleep(IDLE_POLL * 10).await;
            }
        }
    }
}

pub async fn deliver(consumer: Arc<dyn QueueConsumer>, deliverer: Deliverer) {
    loop {
        match consume_deliveries_once(consumer.as_ref(), &deliverer, DELIVERY_BATCH).await {
            Ok(0) => tokio::time::sleep(DELIVERY_POLL).await,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "delivery queue receive failed");
                tokio::time::sleep(DELIVERY_POLL * 10).await;
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
