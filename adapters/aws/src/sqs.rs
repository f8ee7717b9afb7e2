//! The generation queue on SQS: sending, and the consumer side (receive, delete, and the
//! visibility change that gives a retry its backoff).

use std::time::Duration;

use adgen::ports::{JobMessage, PortError, Queue, QueueConsumer, Received};
use async_trait::async_trait;
use aws_sdk_sqs::types::MessageSystemAttributeName;

use super::unavailable;

/// SQS's own bounds: at most 10 messages per receive, visibility at most 12 hours.
const MAX_BATCH: usize = 10;
const MAX_VISIBILITY_SECONDS: u64 = 43_200;

/// Sends [`JobMessage`]s as JSON bodies (`{"job_id":…,"org_id":…}`) to one queue.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, message: &JobMessage) -> Result<(), PortError> {
        let body = serde_json::to_string(message)
            .map_err(|e| PortError::Corrupt("job message", e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| unavailable("sqs", e))?;
        Ok(())
    }
}

#[async_trait]
impl QueueConsumer for SqsQueue {
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Received>, PortError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(visibility.as_secs().clamp(1, MAX_VISIBILITY_SECONDS) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| unavailable("sqs", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let receive_count = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                Some(Received {
                    receipt: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    receive_count,
                })
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), PortError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| unavailable("sqs", e))?;
        Ok(())
    }

    async fn redeliver_after(&self, receipt: &str, delay: Duration) -> Result<(), PortError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(delay.as_secs().min(MAX_VISIBILITY_SECONDS) as i32)
            .send()
            .await
            .map_err(|e| unavailable("sqs", e))?;
        Ok(())
    }
}
