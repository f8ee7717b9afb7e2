//! The generate function: SQS batches through the worker (partial batch failures), and the
//! scheduled sweep.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use adgen::adapters::aws::{AwsClients, DynamoStore, Endpoints, S3Blobs, SqsQueue};
use adgen::config::GenerateConfig;
use adgen::ports::SystemClock;
use adgen::render::DecodeLimits;
use adgen::service::generate::{Delivery, Worker, WorkerSettings, process_batch};
use adgen::service::sweep::{SweepSettings, Sweeper};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::{Value, json};

use crate::REGION_FALLBACK;

/// Time kept back from the invocation deadline to send the batch response: work still running
/// then is reported as failed (its message returns), never lost with a timeout.
const REPORT_MARGIN: Duration = Duration::from_secs(3);

pub struct GenerateFunction {
    worker: Worker,
    sweeper: Sweeper,
    /// Sets each retried message's backoff; without it a retry waits the queue's whole
    /// visibility timeout.
    retries: Option<Arc<SqsQueue>>,
}

impl GenerateFunction {
    /// Builds every client once per cold start.
    pub async fn new(config: &GenerateConfig) -> Result<Self, adgen::generators::BuildError> {
        let clients = AwsClients::load(REGION_FALLBACK, &Endpoints::from(config)).await;
        let store = Arc::new(DynamoStore::new(
            clients.dynamodb,
            config.common.table.clone(),
        ));
        store.warm_up().await;
        let clock = Arc::new(SystemClock);
        let queue = Arc::new(SqsQueue::new(clients.sqs, config.queue_url.clone()));
        let mut function = Self::with(
            Worker {
                jobs: store.clone(),
                blobs: Arc::new(S3Blobs::new(clients.s3, config.bucket.clone())),
                brands: store.clone(),
                fetcher: adgen::generators::reference_fetcher()?,
                generator: adgen::generators::from_config(&config.generator)?,
                clock: clock.clone(),
                settings: WorkerSettings {
                    lease_seconds: config.lease_seconds,
                    max_receives: config.max_receives,
                    decode_limits: DecodeLimits::default(),
                },
            },
            Sweeper {
                jobs: store,
                queue: queue.clone(),
                clock,
                settings: SweepSettings::default(),
            },
        );
        function.retries = Some(queue);
        Ok(function)
    }

    /// A function over given parts, with no retry backoff (tests).
    pub fn with(worker: Worker, sweeper: Sweeper) -> Self {
        Self {
            worker,
            sweeper,
            retries: None,
        }
    }

    /// One invocation: an SQS batch (`Records`) or an EventBridge scheduled event.
    pub async fn handle(
        &self,
        payload: Value,
        deadline: SystemTime,
    ) -> Result<Value, lambda_runtime::Error> {
        if payload.get("Records").is_some() {
            let event: SqsEvent = serde_json::from_value(payload)?;
            let response = self.batch(event, deadline).await;
            return Ok(serde_json::to_value(response)?);
        }
        if payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
            let report = self.sweeper.sweep().await?;
            return Ok(
                json!({ "inspected": report.inspected, "resent": report.resent, "failed": report.failed }),
            );
        }
        Err("unsupported event: expected an SQS batch or a scheduled event".into())
    }

    async fn batch(&self, event: SqsEvent, deadline: SystemTime) -> SqsBatchResponse {
        let receipts: Vec<(String, String)> = event
            .records
            .iter()
            .filter_map(|r| Some((r.message_id.clone()?, r.receipt_handle.clone()?)))
            .collect();
        let deliveries: Vec<Delivery> = event
            .records
            .into_iter()
            .filter_map(|record| {
                // Lambda always sends an id; one without can't be reported, so it is acknowledged.
                let id = record.message_id.filter(|id| !id.is_empty())?;
                let receive_count = record
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                Some(Delivery {
                    id,
                    body: record.body.unwrap_or_default(),
                    receive_count,
                })
            })
            .collect();
        let remaining = deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        let stop_at = tokio::time::Instant::now() + remaining.saturating_sub(REPORT_MARGIN);
        let mut response = SqsBatchResponse::default();
        for retry in process_batch(&self.worker, deliveries, stop_at).await {
            if let Some(queue) = &self.retries
                && let Some((_, receipt)) = receipts.iter().find(|(id, _)| *id == retry.id)
                && let Err(e) = queue.redeliver_after(receipt, retry.delay).await
            {
                tracing::warn!(error = %e, "retry backoff not set; the message returns after the visibility timeout");
            }
            response.add_failure(retry.id);
        }
        response
    }
}
