//! The generate function: SQS batches through the worker (partial batch failures), and the
//! scheduled sweep. The only function that links the outbound HTTP client and the image
//! pipeline.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use adgen::config::GenerateConfig;
use adgen::ports::{QueueConsumer, Received, SystemClock};
use adgen::service::generate::{Worker, WorkerSettings, process_batch};
use adgen::service::sweep::{SweepSettings, Sweeper};
use adgen_render::{Codec, TemplateGenerator};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::{Value, json};

/// Why the function could not start.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct InitError(#[from] adgen_outbound::BuildError);

/// Time kept back from the invocation deadline to send the batch response: work still running
/// then is reported as failed (its message returns), never lost with a timeout.
const REPORT_MARGIN: Duration = Duration::from_secs(3);

pub struct GenerateFunction {
    worker: Worker,
    sweeper: Sweeper,
    /// Sets each retried message's backoff; without it a retry waits the queue's whole
    /// visibility timeout.
    retries: Option<Arc<dyn QueueConsumer>>,
}

impl GenerateFunction {
    /// Builds every client once per cold start.
    pub async fn new(config: &GenerateConfig) -> Result<Self, InitError> {
        let adapters = adgen_aws::adapters(&config.aws).await;
        let clock = Arc::new(SystemClock);
        let worker = Worker::new(
            &adapters,
            adgen_outbound::worker_parts(
                &config.generator,
                Arc::new(Codec::default()),
                Arc::new(TemplateGenerator),
                // Lambda never fetches loopback URLs (spec §8).
                false,
            )?,
            clock.clone(),
            WorkerSettings {
                lease_seconds: config.lease_seconds,
                max_receives: config.max_receives,
            },
        );
        let sweeper = Sweeper::new(&adapters, clock, SweepSettings::default());
        Ok(Self::with(worker, sweeper, Some(adapters.consumer)))
    }

    /// A function over given parts; `retries` sets retry backoffs (`None`: none are set).
    pub fn with(worker: Worker, sweeper: Sweeper, retries: Option<Arc<dyn QueueConsumer>>) -> Self {
        Self {
            worker,
            sweeper,
            retries,
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
        // Each delivery is named by its receipt handle (what a backoff needs) and reported by
        // its message id (what a partial batch response needs).
        let mut ids: Vec<(String, String)> = Vec::with_capacity(event.records.len());
        let deliveries: Vec<Received> = event
            .records
            .into_iter()
            .filter_map(|record| {
                // Lambda always sends both; a record without them can't be reported, so it is
                // acknowledged.
                let id = record.message_id.filter(|id| !id.is_empty())?;
                let receipt = record.receipt_handle.filter(|r| !r.is_empty())?;
                let receive_count = record
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                ids.push((receipt.clone(), id));
                Some(Received {
                    receipt,
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
                && let Err(e) = queue.redeliver_after(&retry.receipt, retry.delay).await
            {
                tracing::warn!(error = %e, "retry backoff not set; the message returns after the visibility timeout");
            }
            if let Some((_, id)) = ids.iter().find(|(receipt, _)| *receipt == retry.receipt) {
                response.add_failure(id.clone());
            }
        }
        response
    }
}
