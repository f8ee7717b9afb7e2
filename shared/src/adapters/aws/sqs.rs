//! The generation queue on SQS.

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
