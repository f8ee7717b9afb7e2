//! Webhook deliveries ([`DeliveryStore`]): whole-item puts, the first one conditional on the id
//! being new (an outbox drained again finds the delivery it wrote before, returned by the
//! refused write itself), every later one on the version the change was made from and on the
//! organisation. An item lists under its endpoint in `gsi1` and, for a job's event, under its
//! job in `gsi2`; both indexes are eventually consistent, so a delivery made a moment ago may be
//! missing from a listing for a moment, never from a read by id. The delivery log is kept for
//! [`RETENTION_SECONDS`] through the table's TTL.

use async_trait::async_trait;
use uuid::Uuid;

use super::DynamoStore;
use super::item::{
    EXPIRES_AT, Fields, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, Item, SAME_VERSION, Write,
    attrs, key, listing_sort_key, num, text, version_attr, version_values,
};
use adgen::ports::{CreateDelivery, DeliveriesOf, DeliveryStore, PortError};
use adgen::webhooks::delivery::{Delivery, DeliveryPage};

const DELIVERY_SK: &str = "DELIVERY";

/// How long a delivery stays in the log after it was created: well past the last scheduled
/// attempt (about 28 hours), long enough for a client to look back on a month. TTL then
/// deletes it (lazily: a delivery may outlive this a little, which is harmless).
const RETENTION_SECONDS: i64 = 30 * 24 * 3600;

#[async_trait]
impl DeliveryStore for DynamoStore {
    async fn create(&self, delivery: &Delivery) -> Result<CreateDelivery, PortError> {
        let written = self
            .put_item(
                delivery_item(delivery)?,
                Some("attribute_not_exists(#pk)"),
                Item::new(),
            )
            .await?;
        match written {
            Write::Done(_) => Ok(CreateDelivery::Created),
            Write::Refused(Some(old)) => Ok(CreateDelivery::Exists(Box::new(
                Fields::new(&old, "delivery").json("doc")?,
            ))),
            Write::Refused(None) => Err(PortError::Corrupt(
                "delivery",
                "existing delivery not returned".into(),
            )),
        }
    }

    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<Delivery>, PortError> {
        // Consistent: a delivery is read right before a change written over its version.
        let Some(item) = self.get_item(delivery_pk(id), DELIVERY_SK, true).await? else {
            return Ok(None);
        };
        let f = Fields::new(&item, "delivery");
        // Another organisation's delivery must look exactly like a missing one.
        if f.uuid("org_id")? != org_id {
            return Ok(None);
        }
        f.json("doc").map(Some)
    }

    async fn update(&self, delivery: &Delivery) -> Result<bool, PortError> {
        let Some(values) = version_values(delivery.version, delivery.org_id, "delivery")? else {
            return Ok(false);
        };
        let written = self
            .put_item(delivery_item(delivery)?, Some(SAME_VERSION), values)
            .await?;
        Ok(matches!(written, Write::Done(_)))
    }

    async fn list(
        &self,
        org_id: Uuid,
        of: DeliveriesOf,
        limit: usize,
        offset: usize,
    ) -> Result<DeliveryPage, PortError> {
        let (index, condition, partition) = match of {
            DeliveriesOf::Endpoint(id) => (GSI1, "#gsi1pk = :of", endpoint_listing(id)),
            DeliveriesOf::Job(id) => (GSI2, "#gsi2pk = :of", job_listing(id)),
        };
        // Endpoint and job ids each belong to one organisation; the filter makes sure no
        // other organisation's delivery is ever listed or counted, whatever id was asked for.
        let values = attrs([(":of", text(partition)), (":org", text(org_id.to_string()))]);
        let (items, total_count) = self
            .list_newest(
                index,
                condition,
                Some("#org_id = :org"),
                values,
                limit,
                offset,
            )
            .await?;
        let deliveries = items
            .iter()
            .map(|item| Fields::new(item, "delivery").json("doc"))
            .collect::<Result<Vec<Delivery>, _>>()?;
        Ok(DeliveryPage {
            deliveries,
            total_count,
        })
    }
}

fn delivery_pk(id: Uuid) -> String {
    format!("DELIVERY#{id}")
}

fn endpoint_listing(endpoint_id: Uuid) -> String {
    format!("WEBHOOK#{endpoint_id}#DELIVERIES")
}

fn job_listing(job_id: Uuid) -> String {
    format!("JOB#{job_id}#DELIVERIES")
}

fn delivery_item(delivery: &Delivery) -> Result<Item, PortError> {
    let doc = serde_json::to_string(delivery)
        .map_err(|e| PortError::Corrupt("delivery", format!("serializing: {e}")))?;
    let sort_key = listing_sort_key(delivery.created_at, delivery.id);
    let mut item = key(delivery_pk(delivery.id), DELIVERY_SK);
    item.extend(attrs([
        ("org_id", text(delivery.org_id.to_string())),
        ("version", num(version_attr(delivery.version, "delivery")?)),
        ("created_at", num(delivery.created_at)),
        (
            EXPIRES_AT,
            num(delivery.created_at.saturating_add(RETENTION_SECONDS)),
        ),
        ("doc", text(doc)),
        (GSI1PK, text(endpoint_listing(delivery.endpoint_id))),
        (GSI1SK, text(sort_key.clone())),
    ]));
    // Sparse: a test event's delivery belongs to no job.
    if let Some(job_id) = delivery.event.job_id {
        item.extend(attrs([
            (GSI2PK, text(job_listing(job_id))),
            (GSI2SK, text(sort_key)),
        ]));
    }
    Ok(item)
}
