//! The outbox (spec §5, §10): a job enters it in the very write that ends it (a terminal job
//! whose `events_dispatched` is false), and leaves it once its event is on its way — one
//! delivery per active endpoint of the organisation, each enqueued for the deliver step, and
//! the event put on the EventBridge bus where there is one. Dispatching only writes records
//! and queue messages, never calls an endpoint, so a slow or dead endpoint cannot delay a
//! job's completion. It is idempotent (deliveries are named after the event and the endpoint,
//! an enqueued one is skipped), so the worker dispatches right after finishing a job and the
//! sweep dispatches whatever a crash left behind.

use std::sync::Arc;

use serde_json::Value;

use crate::UnixSeconds;
use crate::contract::job_query::{Expansion, JobQuery};
use crate::http::job_view;
use crate::jobs::Job;
use crate::ports::{
    Adapters, BusEvent, Clock, CreateDelivery, DeliveryQueue, DeliveryStore, EventBus, ImageLinks,
    JobStore, PortError, WebhookStore,
};
use crate::service::jobs::{JobRead, mint_image_url};
use crate::webhooks::MAX_ENDPOINTS_PER_ORG;
use crate::webhooks::delivery::{Delivery, DeliveryMessage};
use crate::webhooks::event::EventRef;

/// A job left in the outbox this long after its last write is the sweep's to dispatch (the
/// worker that finished it normally does it at once).
pub const OUTBOX_GRACE_SECONDS: i64 = 30;

pub struct Outbox {
    pub jobs: Arc<dyn JobStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub bus: Option<Arc<dyn EventBus>>,
    pub links: Arc<dyn ImageLinks>,
    pub clock: Arc<dyn Clock>,
}

impl Outbox {
    pub fn new(adapters: &Adapters, clock: Arc<dyn Clock>) -> Self {
        Self {
            jobs: adapters.jobs.clone(),
            webhooks: adapters.webhooks.clone(),
            deliveries: adapters.deliveries.clone(),
            queue: adapters.delivery_queue.clone(),
            bus: adapters.bus.clone(),
            links: adapters.links.clone(),
            clock,
        }
    }

    /// Hands on the event of a terminal job (nothing for one still running) and takes the job
    /// out of the outbox. On an error the job stays in it, for the sweep.
    pub async fn dispatch(&self, job: &Job) -> Result<(), PortError> {
        let Some(event) = EventRef::for_job(job) else {
            return Ok(());
        };
        let now = self.clock.now();
        let endpoints = self
            .webhooks
            .list(job.org_id, MAX_ENDPOINTS_PER_ORG, 0)
            .await?
            .endpoints;
        for endpoint in endpoints.iter().filter(|e| e.is_active) {
            let delivery = Delivery::new(job.org_id, endpoint.id, event.clone(), now);
            self.enqueue(delivery, now).await?;
        }
        if let Some(bus) = &self.bus {
            let detail = event_document(self.links.as_ref(), job, &event).await?;
            bus.publish(&BusEvent {
                detail_type: event.event_type.as_str(),
                detail: detail.to_string(),
            })
            .await?;
        }
        self.jobs.mark_dispatched(job.id).await?;
        tracing::info!(job_id = %job.id, event_id = %event.id, endpoints = endpoints.len(), "job events dispatched");
        Ok(())
    }

    /// Writes the delivery (or finds it) and puts its first attempt on the queue, unless an
    /// earlier dispatch did.
    async fn enqueue(&self, delivery: Delivery, now: UnixSeconds) -> Result<(), PortError> {
        let stored = match self.deliveries.create(&delivery).await? {
            CreateDelivery::Created => delivery,
            CreateDelivery::Exists(existing) if existing.enqueued => return Ok(()),
            CreateDelivery::Exists(existing) => *existing,
        };
        let message = DeliveryMessage {
            org_id: stored.org_id,
            delivery_id: stored.id,
            attempt: 1,
            not_before: now,
        };
        self.queue.send(&message, message.delay_from(now)).await?;
        // Lost to a concurrent change: that change saw the delivery already and the message
        // is out either way.
        let _ = self.deliveries.update(&stored.marked_enqueued(now)).await?;
        Ok(())
    }

    /// Dispatches what is left in the outbox (at most `batch` jobs); the count dispatched.
    pub async fn drain(&self, batch: usize) -> Result<usize, PortError> {
        let waiting = self
            .jobs
            .list_undispatched(self.clock.now() - OUTBOX_GRACE_SECONDS, batch)
            .await?;
        let mut dispatched = 0;
        for job in waiting {
            match self.dispatch(&job).await {
                Ok(()) => dispatched += 1,
                Err(e) => {
                    tracing::warn!(job_id = %job.id, error = %e, "outbox dispatch failed; the next sweep retries")
                }
            }
        }
        Ok(dispatched)
    }
}

/// The event document of a terminal job: `data.job` is the job record of spec §4 with `ad`
/// expanded, its image URL minted now.
pub async fn event_document(
    links: &dyn ImageLinks,
    job: &Job,
    event: &EventRef,
) -> Result<Value, PortError> {
    let mut job = job.clone();
    mint_image_url(links, &mut job).await?;
    let read = JobRead {
        job,
        brand: None,
        deliveries: None,
    };
    let query = JobQuery {
        wait: None,
        expand: [Expansion::Ad].into(),
        fields: None,
    };
    Ok(event.document(serde_json::json!({ "job": job_view::render(&read, &query) })))
}
