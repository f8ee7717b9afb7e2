//! The generation queue on SQS.

use std::time::Duration;

use async_trait::async_trait;

use super::unavailable;
use crate::ports::{JobMessage, PortError, Queue};

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

    /// Makes a received message visible again after `delay` instead of the queue's whole
    /// visibility timeout (a retry backoff).
    pub async fn redeliver_after(
        &self,
        receipt_handle: &str,
        delay: Duration,
    ) -> Result<(), PortError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(delay.as_secs().min(43_200) as i32)
            .send()
            .await
            .map_err(|e| unavailable("sqs", e))?;
        Ok(())
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
