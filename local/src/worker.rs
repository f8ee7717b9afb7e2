//! The generation worker and the sweep inside `adgen serve`, over the embedded queue: the same
//! batch processing the Lambda function runs, fed by the queue-consumer port.

use std::sync::Arc;
use std::time::Duration;

use adgen::ports::QueueConsumer;
use adgen::service::generate::{Worker, consume_once};
use adgen::service::sweep::Sweeper;

/// Jobs processed at once (the machine's cores are the limit: rendering is CPU-bound).
const BATCH: usize = 2;
const IDLE_POLL: Duration = Duration::from_millis(200);
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

pub async fn sweep_periodically(sweeper: Sweeper) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = sweeper.sweep().await {
            tracing::warn!(error = %e, "sweep failed");
        }
    }
}
