//! Webhook endpoints ([`WebhookStore`]): whole-item puts, each change conditional on the
//! version it was made from and on the organisation, so two concurrent changes never overwrite
//! each other and no request reaches another organisation's endpoint. Items carry `gsi1` keys
//! for the per-organisation listing (`ORG#<org>#WEBHOOKS`, by creation time then id), which is
//! eventually consistent like the brands' one.

use async_trait::async_trait;
use uuid::Uuid;

use super::DynamoStore;
use super::item::{
    Fields, GSI1, GSI1PK, GSI1SK, Item, SAME_VERSION, Write, attrs, conditional, key,
    listing_sort_key, names, num, text, version_attr, version_values,
};
use adgen::ports::{PortError, WebhookStore};
use adgen::webhooks::{Endpoint, EndpointPage};

const WEBHOOK_SK: &str = "WEBHOOK";

#[async_trait]
impl WebhookStore for DynamoStore {
    async fn create(&self, endpoint: &Endpoint) -> Result<(), PortError> {
        let written = self
            .put_item(
                endpoint_item(endpoint)?,
                Some("attribute_not_exists(#pk)"),
                Item::new(),
            )
            .await?;
        match written {
            Write::Done(_) => Ok(()),
            // Ids are fresh random UUIDs: a collision means something is badly wrong, and
            // the stored endpoint (maybe another organisation's) must stay as it is. A failed
            // write, as the embedded store reports its refused insert.
            Write::Refused(_) => Err(PortError::Unavailable(
                "dynamodb",
                format!("webhook endpoint {} exists already", endpoint.id),
            )),
        }
    }

    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<Endpoint>, PortError> {
        // Consistent: an endpoint is read right before a change written over its version.
        let Some(item) = self.get_item(endpoint_pk(id), WEBHOOK_SK, true).await? else {
            return Ok(None);
        };
        let f = Fields::new(&item, "webhook endpoint");
        // Another organisation's endpoint must look exactly like a missing one.
        if f.uuid("org_id")? != org_id {
            return Ok(None);
        }
        f.json("doc").map(Some)
    }

    async fn list(
        &self,
        org_id: Uuid,
        limit: usize,
        offset: usize,
    ) -> Result<EndpointPage, PortError> {
        let values = attrs([(":org", text(org_listing(org_id)))]);
        let (items, total_count) = self
            .list_newest(GSI1, "#gsi1pk = :org", None, values, limit, offset)
            .await?;
        let endpoints = items
            .iter()
            .map(|item| Fields::new(item, "webhook endpoint").json("doc"))
            .collect::<Result<Vec<Endpoint>, _>>()?;
        Ok(EndpointPage {
            endpoints,
            total_count,
        })
    }

    async fn update(&self, endpoint: &Endpoint) -> Result<bool, PortError> {
        let Some(values) = version_values(endpoint.version, endpoint.org_id, "webhook endpoint")?
        else {
            return Ok(false);
        };
        let written = self
            .put_item(endpoint_item(endpoint)?, Some(SAME_VERSION), values)
            .await?;
        Ok(matches!(written, Write::Done(_)))
    }

    async fn delete(&self, org_id: Uuid, id: Uuid) -> Result<bool, PortError> {
        // Only the owner's endpoint goes: the condition names the organisation.
        const OWNED: &str = "#org_id = :org";
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(endpoint_pk(id), WEBHOOK_SK)))
            .condition_expression(OWNED)
            .set_expression_attribute_names(Some(names(&[OWNED])))
            .set_expression_attribute_values(Some(attrs([(":org", text(org_id.to_string()))])))
            .send()
            .await;
        // A missing item fails the condition too: both are "no such endpoint here".
        Ok(matches!(conditional(sent)?, Write::Done(_)))
    }
}

fn endpoint_pk(id: Uuid) -> String {
    format!("WEBHOOK#{id}")
}

fn org_listing(org_id: Uuid) -> String {
    format!("ORG#{org_id}#WEBHOOKS")
}

fn endpoint_item(endpoint: &Endpoint) -> Result<Item, PortError> {
    let doc = serde_json::to_string(endpoint)
        .map_err(|e| PortError::Corrupt("webhook endpoint", format!("serializing: {e}")))?;
    let mut item = key(endpoint_pk(endpoint.id), WEBHOOK_SK);
    item.extend(attrs([
        ("org_id", text(endpoint.org_id.to_string())),
        (
            "version",
            num(version_attr(endpoint.version, "webhook endpoint")?),
        ),
        ("created_at", num(endpoint.created_at)),
        ("doc", text(doc)),
        (GSI1PK, text(org_listing(endpoint.org_id))),
        (
            GSI1SK,
            text(listing_sort_key(endpoint.created_at, endpoint.id)),
        ),
    ]));
    Ok(item)
}
