//! Webhook endpoints and deliveries in SQLite ([`WebhookStore`], [`DeliveryStore`]). Each
//! record is a JSON document beside the columns its queries need; a change is one
//! `UPDATE … WHERE version = expected`, the same conditional write the DynamoDB adapter makes.
//! The document reads here (`get_doc`, `page`) serve the brands table too.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::store::EmbeddedStore;
use super::unavailable;
use adgen::ports::{CreateDelivery, DeliveriesOf, DeliveryStore, PortError, WebhookStore};
use adgen::webhooks::delivery::{Delivery, DeliveryPage};
use adgen::webhooks::{Endpoint, EndpointPage};

fn to_doc(what: &'static str, record: &impl Serialize) -> Result<String, PortError> {
    serde_json::to_string(record).map_err(|e| PortError::Corrupt(what, e.to_string()))
}

fn from_doc<T: DeserializeOwned>(what: &'static str, doc: &str) -> Result<T, PortError> {
    serde_json::from_str(doc).map_err(|e| PortError::Corrupt(what, e.to_string()))
}

/// A table of JSON documents and what its records are called in errors.
#[derive(Clone, Copy)]
pub(super) struct Records {
    table: &'static str,
    what: &'static str,
}

const WEBHOOKS: Records = Records {
    table: "webhooks",
    what: "webhook",
};
const DELIVERIES: Records = Records {
    table: "deliveries",
    what: "delivery",
};
pub(super) const BRANDS: Records = Records {
    table: "brands",
    what: "brand",
};

/// The document of record `id`, only if it belongs to `org_id`.
pub(super) fn get_doc<T: DeserializeOwned>(
    conn: &Connection,
    Records { table, what }: Records,
    org_id: Uuid,
    id: Uuid,
) -> Result<Option<T>, PortError> {
    conn.query_row(
        &format!("SELECT doc FROM {table} WHERE id = ?1 AND org_id = ?2"),
        params![id.to_string(), org_id.to_string()],
        |r| r.get::<_, String>(0),
    )
    .optional()
    .map_err(unavailable)?
    .map(|doc| from_doc(what, &doc))
    .transpose()
}

/// A page of documents selected by `filter` (`column = ?1` plus the org), newest first.
pub(super) fn page<T: DeserializeOwned>(
    conn: &Connection,
    Records { table, what }: Records,
    filter: &str,
    key: String,
    org_id: Uuid,
    limit: usize,
    offset: usize,
) -> Result<(Vec<T>, usize), PortError> {
    let org = org_id.to_string();
    let total: i64 = conn
        .query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE {filter} = ?1 AND org_id = ?2"),
            params![key, org],
            |r| r.get(0),
        )
        .map_err(unavailable)?;
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT doc FROM {table} WHERE {filter} = ?1 AND org_id = ?2 \
             ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"
        ))
        .map_err(unavailable)?;
    let docs = statement
        .query_map(params![key, org, limit as i64, offset as i64], |r| {
            r.get::<_, String>(0)
        })
        .map_err(unavailable)?
        .collect::<Result<Vec<String>, _>>()
        .map_err(unavailable)?;
    let records = docs
        .iter()
        .map(|d| from_doc(what, d))
        .collect::<Result<Vec<T>, _>>()?;
    Ok((records, total.max(0) as usize))
}

/// Rewrites the document of `id` only over `expected` version in `org_id`.
fn update_doc(
    conn: &Connection,
    table: &'static str,
    id: Uuid,
    org_id: Uuid,
    version: u64,
    doc: String,
) -> Result<bool, PortError> {
    let expected = version.checked_sub(1).ok_or_else(|| {
        PortError::Corrupt(
            "record",
            "a change must be one version after its read".into(),
        )
    })?;
    conn.execute(
        &format!(
            "UPDATE {table} SET doc = ?1, version = ?2 WHERE id = ?3 AND org_id = ?4 AND version = ?5"
        ),
        params![
            doc,
            version as i64,
            id.to_string(),
            org_id.to_string(),
            expected as i64
        ],
    )
    .map(|n| n > 0)
    .map_err(unavailable)
}

#[async_trait]
impl WebhookStore for EmbeddedStore {
    async fn create(&self, endpoint: &Endpoint) -> Result<(), PortError> {
        let doc = to_doc("webhook", endpoint)?;
        let e = endpoint.clone();
        self.db()
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO webhooks (id, org_id, created_at, version, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![e.id.to_string(), e.org_id.to_string(), e.created_at, e.version as i64, doc],
                )
                .map(|_| ())
                .map_err(unavailable)
            })
            .await
    }

    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<Endpoint>, PortError> {
        self.db()
            .run(move |conn| get_doc(conn, WEBHOOKS, org_id, id))
            .await
    }

    async fn list(
        &self,
        org_id: Uuid,
        limit: usize,
        offset: usize,
    ) -> Result<EndpointPage, PortError> {
        self.db()
            .run(move |conn| {
                let (endpoints, total_count) = page(
                    conn,
                    WEBHOOKS,
                    "org_id",
                    org_id.to_string(),
                    org_id,
                    limit,
                    offset,
                )?;
                Ok(EndpointPage {
                    endpoints,
                    total_count,
                })
            })
            .await
    }

    async fn update(&self, endpoint: &Endpoint) -> Result<bool, PortError> {
        let doc = to_doc("webhook", endpoint)?;
        let (id, org, version) = (endpoint.id, endpoint.org_id, endpoint.version);
        self.db()
            .run(move |conn| update_doc(conn, "webhooks", id, org, version, doc))
            .await
    }

    async fn delete(&self, org_id: Uuid, id: Uuid) -> Result<bool, PortError> {
        self.db()
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM webhooks WHERE id = ?1 AND org_id = ?2",
                    params![id.to_string(), org_id.to_string()],
                )
                .map(|n| n > 0)
                .map_err(unavailable)
            })
            .await
    }
}

#[async_trait]
impl DeliveryStore for EmbeddedStore {
    async fn create(&self, delivery: &Delivery) -> Result<CreateDelivery, PortError> {
        let doc = to_doc("delivery", delivery)?;
        let d = delivery.clone();
        self.db()
            .run(move |conn| {
                let inserted = conn
                    .execute(
                        "INSERT OR IGNORE INTO deliveries (id, org_id, endpoint_id, job_id, created_at, version, doc) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            d.id.to_string(),
                            d.org_id.to_string(),
                            d.endpoint_id.to_string(),
                            d.event.job_id.map(|j| j.to_string()),
                            d.created_at,
                            d.version as i64,
                            doc
                        ],
                    )
                    .map_err(unavailable)?;
                if inserted > 0 {
                    return Ok(CreateDelivery::Created);
                }
                let doc: String = conn
                    .query_row(
                        "SELECT doc FROM deliveries WHERE id = ?1",
                        params![d.id.to_string()],
                        |r| r.get(0),
                    )
                    .map_err(unavailable)?;
                Ok(CreateDelivery::Exists(Box::new(from_doc("delivery", &doc)?)))
            })
            .await
    }

    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<Delivery>, PortError> {
        self.db()
            .run(move |conn| get_doc(conn, DELIVERIES, org_id, id))
            .await
    }

    async fn update(&self, delivery: &Delivery) -> Result<bool, PortError> {
        let doc = to_doc("delivery", delivery)?;
        let (id, org, version) = (delivery.id, delivery.org_id, delivery.version);
        self.db()
            .run(move |conn| update_doc(conn, "deliveries", id, org, version, doc))
            .await
    }

    async fn list(
        &self,
        org_id: Uuid,
        of: DeliveriesOf,
        limit: usize,
        offset: usize,
    ) -> Result<DeliveryPage, PortError> {
        let (column, key) = match of {
            DeliveriesOf::Endpoint(id) => ("endpoint_id", id),
            DeliveriesOf::Job(id) => ("job_id", id),
        };
        self.db()
            .run(move |conn| {
                let (deliveries, total_count) = page(
                    conn,
                    DELIVERIES,
                    column,
                    key.to_string(),
                    org_id,
                    limit,
                    offset,
                )?;
                Ok(DeliveryPage {
                    deliveries,
                    total_count,
                })
            })
            .await
    }
}
