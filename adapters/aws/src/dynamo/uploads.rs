//! Upload records ([`UploadStore`]): one item per upload, `UPLOAD#<upl_id>` / `UPLOAD`, whose
//! `used_by` attribute is absent while pending. Using it is one conditional update (absent,
//! or already this consumer's), so of two submissions racing for an upload one wins; the TTL
//! attribute `expires_at` drops it a day after creation.

use async_trait::async_trait;
use uuid::Uuid;

use super::DynamoStore;
use super::item::{EXPIRES_AT, Fields, Item, Write, attrs, conditional, key, names, num, text};
use adgen::contract::upload::{UploadId, UploadType};
use adgen::ports::{PortError, UploadStore};
use adgen::uploads::{Upload, UploadState};

const UPLOAD_SK: &str = "UPLOAD";

fn upload_key(id: UploadId) -> Item {
    key(format!("UPLOAD#{id}"), UPLOAD_SK)
}

impl DynamoStore {
    /// One conditional update of the upload's `used_by`; false when the condition failed.
    async fn set_used_by(
        &self,
        id: UploadId,
        update: &str,
        condition: &str,
        by: Uuid,
    ) -> Result<bool, PortError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(upload_key(id)))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&[update, condition])))
            .set_expression_attribute_values(Some(attrs([(":by", text(by.to_string()))])))
            .send()
            .await;
        Ok(matches!(conditional(sent)?, Write::Done(_)))
    }
}

#[async_trait]
impl UploadStore for DynamoStore {
    async fn create(&self, upload: &Upload) -> Result<(), PortError> {
        let mut item = upload_key(upload.id);
        item.extend(attrs([
            ("org_id", text(upload.org_id.to_string())),
            ("content_type", text(upload.content_type.content_type())),
            ("size_bytes", num(upload.size_bytes as i64)),
            ("created_at", num(upload.created_at)),
            (EXPIRES_AT, num(upload.expires_at())),
        ]));
        match self
            .put_item(item, Some("attribute_not_exists(#pk)"), Item::new())
            .await?
        {
            Write::Done(_) => Ok(()),
            Write::Refused(_) => Err(PortError::Corrupt(
                "upload",
                format!("{} exists already", upload.id),
            )),
        }
    }

    async fn get(&self, id: UploadId) -> Result<Option<Upload>, PortError> {
        // Strongly consistent: the client creates, PUTs and submits within seconds.
        let Some(item) = self
            .get_item(format!("UPLOAD#{id}"), UPLOAD_SK, true)
            .await?
        else {
            return Ok(None);
        };
        let f = Fields::new(&item, "upload");
        let content_type = f.s("content_type")?;
        let state = if f.has("used_by") {
            UploadState::Used {
                by: f.uuid("used_by")?,
            }
        } else {
            UploadState::Pending
        };
        Ok(Some(Upload {
            id,
            org_id: f.uuid("org_id")?,
            content_type: UploadType::parse(content_type)
                .ok_or_else(|| f.corrupt(format!("content type {content_type:?}")))?,
            size_bytes: u64::try_from(f.n("size_bytes")?)
                .map_err(|_| f.corrupt("negative size_bytes"))?,
            created_at: f.n("created_at")?,
            state,
        }))
    }

    async fn consume(&self, id: UploadId, by: Uuid) -> Result<bool, PortError> {
        self.set_used_by(
            id,
            "SET #used_by = :by",
            "attribute_exists(#pk) AND (attribute_not_exists(#used_by) OR #used_by = :by)",
            by,
        )
        .await
    }

    async fn release(&self, id: UploadId, by: Uuid) -> Result<(), PortError> {
        self.set_used_by(id, "REMOVE #used_by", "#used_by = :by", by)
            .await
            .map(|_| ())
    }
}
