//! API keys ([`ApiKeyStore`]) and brands ([`BrandStore`]): plain whole-item reads and puts,
//! no conditions. Brand items carry `gsi1` keys for the per-organisation brand listing.

use async_trait::async_trait;
use uuid::Uuid;

use super::DynamoStore;
use super::item::{Fields, GSI1PK, GSI1SK, Item, attrs, key, listing_sort_key, num, text};
use adgen::auth::{ApiKeyRecord, KeyState};
use adgen::brands::Brand;
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
}
