//! The generate function: SQS batches through the worker (partial batch failures). The only
//! function that links the image pipeline and the provider clients. The sweep that backs it
//! up runs in a function of its own (`functions/sweep`), so that it keeps running when this
//! one cannot start.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use adgen::config::GenerateConfig;
use adgen::ports::{QueueConsumer, Received, SystemClock};
use adgen::service::generate::{Worker, WorkerSettings, process_batch};
use adgen_render::{Codec, TemplateGenerator};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::Value;

/// Why the function could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Generator(#[from] adgen_outbound::BuildError),
    /// The provider key's secret could not be read (the message names the secret and the
    /// variable, never a value).
    #[error("ADGEN_PROVIDER_API_KEY_SECRET: {0}")]
    ProviderKey(#[from] adgen_aws::CallError),
}

/// Time kept back from the invocation deadline to send the batch response: work still running
/// then is reported as failed (its message returns), never lost with a timeout.
const REPORT_MARGIN: Duration = Duration::from_secs(3);

pub struct GenerateFunction {
    worker: Worker,
    /// Sets each retried message's backoff; without it a retry waits the queue's whole
    /// visibility timeout.
    retries: Option<Arc<dyn QueueConsumer>>,
}

impl GenerateFunction {
    /// Builds every client once per cold start, after reading a hosted provider's key from
    /// Secrets Manager (once: a rotated key takes effect on the next cold start).
    pub async fn new(config: &GenerateConfig) -> Result<Self, InitError> {
        let mut generator = config.generator.clone();
        if let (Some(secret), Some(provider)) =
            (&config.provider_key_secret, generator.provider_mut())
        {
            let conf = adgen_aws::sdk_config(adgen_aws::DEFAULT_REGION).await;
            let client =
                adgen_aws::secrets::secrets_client(&conf, config.secrets_endpoint.as_deref());
            provider.api_key = adgen_aws::secrets::secret_string(&client, secret).await?;
        }
        let adapters = adgen_aws::adapters(&config.aws).await;
        let clock = Arc::new(SystemClock);
        let worker = Worker::new(
            &adapters,
            adgen_outbound::worker_parts(
                &generator,
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
        Ok(Self::with(worker, Some(adapters.consumer)))
    }

    /// A function over given parts; `retries` sets retry backoffs (`None`: none are set).
    pub fn with(worker: Worker, retries: Option<Arc<dyn QueueConsumer>>) -> Self {
        Self { worker, retries }
    }

    /// One invocation: an SQS batch (`Records`).
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
        Err("unsupported event: expected an SQS batch".into())
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
