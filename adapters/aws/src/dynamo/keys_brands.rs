//! API keys ([`ApiKeyStore`]) and brands ([`BrandStore`]): plain whole-item reads and puts,
//! no conditions. Brand items carry `gsi1` keys for the per-organisation brand listing
//! (`ORG#<org>#BRANDS`, sorted by creation time then id). `gsi1` is eventually consistent, as
//! every DynamoDB GSI: a brand created a moment ago may be missing from a listing for a
//! moment, never from a read by id. The listing counts with `Select=COUNT` and pages past
//! `offset` with the index's own pagination (offsets are capped by the contract).

use async_trait::async_trait;
use uuid::Uuid;

use super::DynamoStore;

use super::item::{
    Fields, GSI1, GSI1PK, GSI1SK, Item, attrs, key, listing_sort_key, names, num, text,
};
use adgen::auth::{ApiKeyRecord, KeyState};
use adgen::brands::{Brand, BrandPage};
use adgen::ports::{ApiKeyStore, BrandStore, PortError};

const APIKEY_SK: &str = "APIKEY";
const BRAND_SK: &str = "BRAND";

#[async_trait]
impl ApiKeyStore for DynamoStore {
    async fn get(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, PortError> {
        // Eventually consistent: keys change rarely and callers cache them anyway.
        let Some(item) = self
            .get_item(format!("APIKEY#{key_hash}"), APIKEY_SK, false)
            .await?
        else {
            return Ok(None);
        };
        let f = Fields::new(&item, "api key");
        Ok(Some(ApiKeyRecord {
            key_hash: key_hash.to_owned(),
            org_id: f.uuid("org_id")?,
            state: KeyState::parse(f.s("state")?).ok_or_else(|| f.corrupt("unknown state"))?,
            created_at: f.n("created_at")?,
        }))
    }

    async fn put(&self, record: &ApiKeyRecord) -> Result<(), PortError> {
        let mut item = key(format!("APIKEY#{}", record.key_hash), APIKEY_SK);
        item.extend(attrs([
            ("org_id", text(record.org_id.to_string())),
            ("state", text(record.state.as_str())),
            ("created_at", num(record.created_at)),
        ]));
        self.put_item(item, None, Item::new()).await?;
        Ok(())
    }
}

#[async_trait]
impl BrandStore for DynamoStore {
    async fn get(&self, org_id: Uuid, brand_id: Uuid) -> Result<Option<Brand>, PortError> {
        let Some(item) = self
            .get_item(format!("BRAND#{brand_id}"), BRAND_SK, true)
            .await?
        else {
            return Ok(None);
        };
        let f = Fields::new(&item, "brand");
        // Another organisation's brand must look exactly like a missing one.
        if f.uuid("org_id")? != org_id {
            return Ok(None);
        }
        f.json("doc").map(Some)
    }

    async fn put(&self, brand: &Brand) -> Result<(), PortError> {
        let doc = serde_json::to_string(brand)
            .map_err(|e| PortError::Corrupt("brand", format!("serializing: {e}")))?;
        let mut item = key(format!("BRAND#{}", brand.id), BRAND_SK);
        item.extend(attrs([
            ("org_id", text(brand.org_id.to_string())),
            ("created_at", num(brand.created_at)),
            ("doc", text(doc)),
            (GSI1PK, text(format!("ORG#{}#BRANDS", brand.org_id))),
            (GSI1SK, text(listing_sort_key(brand.created_at, brand.id))),
        ]));
        self.put_item(item, None, Item::new()).await?;
        Ok(())
    }

    async fn list(
        &self,
        org_id: Uuid,
        limit: usize,
        offset: usize,
    ) -> Result<BrandPage, PortError> {
        let values = attrs([(":org", text(format!("ORG#{org_id}#BRANDS")))]);
        let (items, total_count) = self
            .list_newest(GSI1, "#gsi1pk = :org", None, values, limit, offset)
            .await?;
        let brands = items
            .iter()
            .map(|item| Fields::new(item, "brand").json("doc"))
            .collect::<Result<Vec<Brand>, _>>()?;
        Ok(BrandPage {
            brands,
            total_count,
        })
    }

    async fn delete(&self, org_id: Uuid, brand_id: Uuid) -> Result<bool, PortError> {
        // Only the owner's brand goes: the condition names the organisation.
        const OWNED: &str = "#org_id = :org";
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("BRAND#{brand_id}"), BRAND_SK)))
            .condition_expression(OWNED)
            .set_expression_attribute_names(Some(names(&[OWNED])))
            .set_expression_attribute_values(Some(attrs([(":org", text(org_id.to_string()))])))
            .send()
            .await;
        // A missing item fails the condition too: both are "no such brand here".
        Ok(matches!(
            super::item::conditional(sent)?,
            super::item::Write::Done(_)
        ))
    }
}
