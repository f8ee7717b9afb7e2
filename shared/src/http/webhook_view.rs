//! Webhook endpoints and deliveries as a client sees them (spec §5). The secret appears only
//! in the answer that created or rotated it.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::service::webhooks::{DeliveryList, EndpointList};
use crate::webhooks::Endpoint;
use crate::webhooks::delivery::Delivery;

pub fn render(endpoint: &Endpoint, reveal_secret: bool) -> Value {
    let mut data = json!({
        "id": endpoint.id,
        "object": "webhook",
        "endpoint_url": endpoint.endpoint_url,
        "description": endpoint.description,
        "is_active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "previous_secret_expires_at": endpoint.previous_secret.as_ref().map(|p| p.until),
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    });
    if reveal_secret && let Value::Object(fields) = &mut data {
        fields.insert("secret".into(), json!(endpoint.secret.expose()));
    }
    data
}

pub fn render_list(list: &EndpointList) -> Value {
    json!({
        "data": list.endpoints.iter().map(|e| render(e, false)).collect::<Vec<_>>(),
        "total_count": list.total_count,
        "has_more": list.has_more,
    })
}

pub fn deleted(id: Uuid) -> Value {
    json!({ "id": id, "object": "webhook", "deleted": true })
}

pub fn render_delivery(delivery: &Delivery) -> Value {
    json!({
        "id": delivery.id,
        "object": "delivery",
        "webhook_id": delivery.endpoint_id,
        "event_id": delivery.event.id,
        "event_type": delivery.event.event_type.as_str(),
        "job_id": delivery.event.job_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
    })
}

pub fn render_deliveries(list: &DeliveryList) -> Value {
    json!({
        "data": list.deliveries.iter().map(render_delivery).collect::<Vec<_>>(),
        "total_count": list.total_count,
        "has_more": list.has_more,
    })
}
