//! The event bus on EventBridge (spec §10): each event is one PutEvents entry with
//! `source: adgen`, the event type as `detail-type` and the event document as `detail`.
//!
//! PutEvents answers 200 even when it refused the entry: the refusal is counted in
//! `FailedEntryCount` and explained on the entry itself, so that answer is checked and a
//! refused entry is an outage like any other (the outbox keeps the job, the event is put again).

use adgen::ports::{BusEvent, EventBus, PortError};
use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use super::unavailable;

/// The `source` of every event adgen puts.
pub const SOURCE: &str = "adgen";

/// Puts events on one bus.
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: String) -> Self {
        Self { client, bus_name }
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, event: &BusEvent) -> Result<(), PortError> {
        let entry = PutEventsRequestEntry::builder()
            .source(SOURCE)
            .detail_type(event.detail_type)
            .detail(&event.detail)
            .event_bus_name(&self.bus_name)
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| unavailable("eventbridge", e))?;
        if output.failed_entry_count() > 0 {
            let why = output
                .entries()
                .iter()
                .find(|e| e.error_code().is_some() || e.error_message().is_some())
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.error_code().unwrap_or("unknown error"),
                        e.error_message().unwrap_or("no message")
                    )
                })
                .unwrap_or_else(|| "the entry was refused without a reason".to_owned());
            return Err(PortError::Unavailable("eventbridge", why));
        }
        Ok(())
    }
}
