//! The queues on SQS. [`SqsQueue`] is the generation queue and the webhook delivery queue (one
//! instance per queue URL): sending, and the consumer side (receive, delete, and the visibility
//! change that gives a retry its backoff). [`SqsRejects`] puts refused intake messages on the
//! intake dead-letter queue with the reason attached.

use std::time::Duration;

use adgen::ports::{
    DeliveryQueue, JobMessage, PortError, Queue, QueueConsumer, REJECT_ATTRIBUTE, Received,
    RejectQueue,
};
use adgen::webhooks::delivery::DeliveryMessage;
use async_trait::async_trait;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};

use super::unavailable;

/// SQS's own bounds: at most 10 messages per receive, visibility at most 12 hours, a send's
/// delay at most 15 minutes.
const MAX_BATCH: usize = 10;
const MAX_VISIBILITY_SECONDS: u64 = 43_200;
const MAX_DELAY_SECONDS: u64 = 900;

/// One queue: sends [`JobMessage`]s (the generation queue) or [`DeliveryMessage`]s (the
/// delivery queue) as JSON bodies, and receives whatever the queue holds.
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
impl DeliveryQueue for SqsQueue {
    /// A longer `delay` than SQS allows is cut to 15 minutes: the message carries its
    /// `not_before`, and the deliverer re-sends it until that time has come.
    async fn send(&self, message: &DeliveryMessage, delay: Duration) -> Result<(), PortError> {
        let body = serde_json::to_string(message)
            .map_err(|e| PortError::Corrupt("delivery message", e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(delay.as_secs().min(MAX_DELAY_SECONDS) as i32)
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

/// The intake dead-letter queue: a refused message goes there as it came, with the error
/// envelope in the [`REJECT_ATTRIBUTE`] message attribute (a `String`), so the body stays
/// exactly what the client sent and the reason travels beside it.
#[derive(Debug, Clone)]
pub struct SqsRejects {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsRejects {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }
}

#[async_trait]
impl RejectQueue for SqsRejects {
    async fn reject(&self, body: &str, error_envelope: &str) -> Result<(), PortError> {
        let reason = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(error_envelope)
            .build()
            .map_err(|e| unavailable("sqs", e))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes(REJECT_ATTRIBUTE, reason)
            .send()
            .await
            .map_err(|e| unavailable("sqs", e))?;
        Ok(())
    }
}
