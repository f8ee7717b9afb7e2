//! Delivering webhook events (spec §5): one scheduled attempt per delivery-queue message,
//! plus the manual attempts of `resend` and `test`.
//!
//! A message whose `not_before` lies ahead is sent on again (the queue delays at most 15
//! minutes, the schedule waits up to 10 hours). A due message claims its attempt on the
//! delivery record first, so a duplicated message makes no second attempt; the answer is
//! recorded over the claim, the next attempt enqueued, and the endpoint's health updated
//! (a 410 disables it; five days of failures disable it).

use std::sync::Arc;

use bytes::Bytes;

use crate::UnixSeconds;
use crate::jobs::Job;
use crate::ports::{
    Adapters, Clock, DeliveryQueue, DeliveryStore, ImageLinks, JobStore, Outgoing, PortError,
    WebhookSender, WebhookStore,
};
use crate::webhooks::delivery::{Delivery, DeliveryMessage, Response, Trigger, Verdict};
use crate::webhooks::event::{EventRef, EventType};
use crate::webhooks::{Endpoint, Secret, sign};

/// Times a write lost to a concurrent change is re-read and re-applied.
const CONFLICT_RETRIES: usize = 5;

pub struct Deliverer {
    pub jobs: Arc<dyn JobStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub links: Arc<dyn ImageLinks>,
    pub sender: Arc<dyn WebhookSender>,
    pub clock: Arc<dyn Clock>,
}

impl Deliverer {
    pub fn new(adapters: &Adapters, sender: Arc<dyn WebhookSender>, clock: Arc<dyn Clock>) -> Self {
        Self {
            jobs: adapters.jobs.clone(),
            webhooks: adapters.webhooks.clone(),
            deliveries: adapters.deliveries.clone(),
            queue: adapters.delivery_queue.clone(),
            links: adapters.links.clone(),
            sender,
            clock,
        }
    }

    /// Handles one delivery-queue message. An error leaves the message for redelivery (the
    /// attempt's claim expires, so the redelivery may make it).
    pub async fn handle(&self, message: DeliveryMessage) -> Result<(), PortError> {
        let now = self.clock.now();
        if message.not_before > now {
            return self.queue.send(&message, message.delay_from(now)).await;
        }
        let Some(delivery) = self
            .deliveries
            .get(message.org_id, message.delivery_id)
            .await?
        else {
            tracing::warn!(delivery_id = %message.delivery_id, "delivery not found; message dropped");
            return Ok(());
        };
        // The claim is a versioned write. Losing it to another change (the dispatcher marking
        // the delivery enqueued just after sending this very message, say) is no reason to drop
        // the attempt: read again and claim again, unless the fresh record shows the attempt
        // made or held by someone else (then this message is a duplicate).
        let mut claim = None;
        self.record(&delivery, |current, _| {
            claim = current.claim(message.attempt, now);
            claim.clone()
        })
        .await?;
        let Some(claimed) = claim else {
            tracing::info!(delivery_id = %delivery.id, attempt = message.attempt, "attempt made or held already; duplicate message");
            return Ok(());
        };
        let endpoint = self
            .webhooks
            .get(claimed.org_id, claimed.endpoint_id)
            .await?;
        let endpoint = match endpoint {
            Some(endpoint) if endpoint.is_active => endpoint,
            other => {
                let why = match other {
                    Some(_) => "the endpoint is disabled; not sent",
                    None => "the endpoint was deleted; not sent",
                };
                self.record(&claimed, |d, now| Some(d.abandoned(why, now)))
                    .await?;
                return Ok(());
            }
        };
        let body = self.body(&claimed).await?;
        let response = self
            .send(
                &endpoint,
                &claimed.event,
                body,
                endpoint.signing_secrets(now),
            )
            .await;
        let lease = claimed.lease_until;
        let mut next = None;
        self.record(&claimed, |d, now| {
            // Still ours only while the claim stands (a resend may have written in between).
            (d.lease_until == lease).then(|| {
                let (after, message) = d.after_scheduled(&response, now);
                next = message;
                after
            })
        })
        .await?;
        if let Some(next) = next {
            self.queue.send(&next, next.delay_from(now)).await?;
        }
        self.endpoint_health(&endpoint, response.verdict()).await
    }

    /// `POST /api/v1/webhooks/{id}/test`: a `webhook.test` event sent now, recorded as a
    /// delivery of its own.
    pub async fn test(&self, endpoint: &Endpoint) -> Result<Delivery, PortError> {
        let now = self.clock.now();
        let event = EventRef::test(now);
        let delivery = Delivery {
            enqueued: true,
            ..Delivery::new(endpoint.org_id, endpoint.id, event, now)
        };
        self.deliveries.create(&delivery).await?;
        let body = self.body(&delivery).await?;
        let response = self
            .send(
                endpoint,
                &delivery.event,
                body,
                endpoint.signing_secrets(now),
            )
            .await;
        let recorded = self
            .record(&delivery, |d, now| {
                Some(d.after_manual(Trigger::Test, &response, now))
            })
            .await?;
        self.endpoint_health(endpoint, response.verdict()).await?;
        Ok(recorded)
    }

    /// `POST …/deliveries/{id}/resend`: the same event (same id), one attempt now, signed with
    /// the current secret only; also for a disabled endpoint.
    pub async fn resend(
        &self,
        endpoint: &Endpoint,
        delivery: &Delivery,
    ) -> Result<Delivery, PortError> {
        let body = self.body(delivery).await?;
        let response = self
            .send(endpoint, &delivery.event, body, vec![&endpoint.secret])
            .await;
        self.record(delivery, |d, now| {
            Some(d.after_manual(Trigger::Resend, &response, now))
        })
        .await
    }

    /// The event document, rendered now (a job's image URL is minted per attempt, so it is
    /// fetchable when the receiver gets it).
    async fn body(&self, delivery: &Delivery) -> Result<Bytes, PortError> {
        let event = &delivery.event;
        let document = match (event.event_type, event.job_id) {
            (EventType::JobCompleted | EventType::JobFailed, Some(job_id)) => {
                let job: Job = self
                    .jobs
                    .get(job_id)
                    .await?
                    .filter(|job| job.org_id == delivery.org_id)
                    .ok_or_else(|| {
                        PortError::Corrupt("delivery", format!("job {job_id} missing"))
                    })?;
                super::events::event_document(self.links.as_ref(), &job, event).await?
            }
            _ => event.document(serde_json::json!({
                "webhook_id": delivery.endpoint_id,
                "message": "a test event from adgen",
            })),
        };
        Ok(Bytes::from(document.to_string()))
    }

    async fn send(
        &self,
        endpoint: &Endpoint,
        event: &EventRef,
        body: Bytes,
        secrets: Vec<&Secret>,
    ) -> Response {
        let timestamp = self.clock.now();
        let mut headers = sign::headers(&secrets, &event.id, timestamp, &body);
        headers.push(("content-type", "application/json".to_owned()));
        headers.push(("user-agent", "adgen-webhooks/1".to_owned()));
        let response = self
            .sender
            .send(&Outgoing {
                sent_at: timestamp,
                url: endpoint.endpoint_url.clone(),
                headers,
                body,
            })
            .await;
        tracing::info!(
            endpoint_id = %endpoint.id, event_id = %event.id,
            status = response.status_code, error = response.error.as_deref(),
            duration_ms = response.duration_ms, "webhook attempt"
        );
        response
    }

    /// Writes `change` of the delivery, re-reading and re-applying it when a concurrent
    /// write got in first; `change` returning `None` gives up (the delivery moved on).
    async fn record(
        &self,
        read: &Delivery,
        mut change: impl FnMut(&Delivery, UnixSeconds) -> Option<Delivery>,
    ) -> Result<Delivery, PortError> {
        let mut current = read.clone();
        for _ in 0..CONFLICT_RETRIES {
            let Some(next) = change(&current, self.clock.now()) else {
                return Ok(current);
            };
            if self.deliveries.update(&next).await? {
                return Ok(next);
            }
            current = self
                .deliveries
                .get(read.org_id, read.id)
                .await?
                .ok_or_else(|| PortError::Corrupt("delivery", "vanished while recorded".into()))?;
        }
        Err(PortError::Unavailable(
            "delivery store",
            "too many concurrent changes".into(),
        ))
    }

    /// The endpoint's run of failures: ended by a success, started or judged by a failure.
    async fn endpoint_health(&self, read: &Endpoint, verdict: Verdict) -> Result<(), PortError> {
        let mut current = read.clone();
        for _ in 0..CONFLICT_RETRIES {
            let now = self.clock.now();
            let next = match verdict {
                Verdict::Delivered => current.after_success(now),
                Verdict::Gone => current.after_failure(true, now),
                Verdict::Failed => current.after_failure(false, now),
            };
            let Some(next) = next else {
                return Ok(());
            };
            if self.webhooks.update(&next).await? {
                if !next.is_active && current.is_active {
                    tracing::warn!(endpoint_id = %next.id, reason = ?next.disabled_reason, "webhook endpoint disabled");
                }
                return Ok(());
            }
            match self.webhooks.get(read.org_id, read.id).await? {
                Some(endpoint) => current = endpoint,
                None => return Ok(()),
            }
        }
        Ok(())
    }
}

/// A delivery-queue message as received (a Lambda SQS record, or the embedded queue's).
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    /// The record's id in the batch (its SQS message id or receipt).
    pub id: String,
    pub body: String,
}

/// How long a message stays hidden while its attempt runs: an attempt takes at most the
/// delivery timeout, plus the records written around it.
pub const DELIVERY_VISIBILITY: std::time::Duration = std::time::Duration::from_secs(60);

/// Handles a batch at once (each attempt waits on a remote endpoint, so they overlap); the
/// ids of the records to hand back for redelivery (a store or queue error). An unreadable
/// body is dropped, not retried: it would never read better.
pub async fn deliver_batch(deliverer: &Deliverer, records: Vec<DeliveryRecord>) -> Vec<String> {
    let handled = records.into_iter().map(|record| async move {
        let message: DeliveryMessage = match serde_json::from_str(&record.body) {
            Ok(message) => message,
            Err(e) => {
                tracing::error!(error = %e, "unreadable delivery message dropped");
                return None;
            }
        };
        match deliverer.handle(message).await {
            Ok(()) => None,
            Err(e) => {
                tracing::warn!(delivery_id = %message.delivery_id, error = %e, "delivery step failed; the message returns");
                Some(record.id)
            }
        }
    });
    futures_util::future::join_all(handled)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Receives one batch from the delivery queue, delivers it and deletes what is done (what
/// failed returns after its visibility timeout). How `adgen serve` drives deliveries; on AWS
/// the deliver function's event source receives and deletes instead.
pub async fn consume_deliveries_once(
    consumer: &dyn crate::ports::QueueConsumer,
    deliverer: &Deliverer,
    max: usize,
) -> Result<usize, PortError> {
    let batch = consumer.receive(max, DELIVERY_VISIBILITY).await?;
    let count = batch.len();
    let records = batch
        .iter()
        .map(|m| DeliveryRecord {
            id: m.receipt.clone(),
            body: m.body.clone(),
        })
        .collect();
    let failed = deliver_batch(deliverer, records).await;
    for message in batch.iter().filter(|m| !failed.contains(&m.receipt)) {
        if let Err(e) = consumer.delete(&message.receipt).await {
            tracing::warn!(error = %e, "delivery message not deleted; it returns and is recognised as done");
        }
    }
    Ok(count)
}
