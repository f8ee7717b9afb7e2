//! Upload records in SQLite (one row each; `used_by` is null while pending) and the local
//! server's PUT route as the upload target.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Db, unavailable};
use adgen::contract::upload::{RECEIVE_PREFIX, UploadId, UploadType};
use adgen::ports::{PortError, UploadStore, UploadTarget};
use adgen::uploads::{Upload, UploadState};

pub struct EmbeddedUploads {
    db: Db,
}

impl EmbeddedUploads {
    pub(super) fn new(db: Db) -> Self {
        Self { db }
    }
}

fn corrupt(reason: impl std::fmt::Display) -> PortError {
    PortError::Corrupt("upload", reason.to_string())
}

#[async_trait]
impl UploadStore for EmbeddedUploads {
    async fn create(&self, upload: &Upload) -> Result<(), PortError> {
        let upload = upload.clone();
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO uploads (id, org_id, content_type, size_bytes, created_at, used_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                    params![
                        upload.id.to_string(),
                        upload.org_id.to_string(),
                        upload.content_type.content_type(),
                        upload.size_bytes as i64,
                        upload.created_at,
                    ],
                )
                .map_err(unavailable)?;
                Ok(())
            })
            .await
    }

    async fn get(&self, id: UploadId) -> Result<Option<Upload>, PortError> {
        let row = self
            .db
            .run(move |conn| {
                conn.query_row(
                    "SELECT org_id, content_type, size_bytes, created_at, used_by FROM uploads WHERE id = ?1",
                    params![id.to_string()],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<String>>(4)?,
                        ))
                    },
                )
                .optional()
                .map_err(unavailable)
            })
            .await?;
        let Some((org_id, content_type, size_bytes, created_at, used_by)) = row else {
            return Ok(None);
        };
        let state = match used_by {
            None => UploadState::Pending,
            Some(by) => UploadState::Used {
                by: Uuid::parse_str(&by).map_err(corrupt)?,
            },
        };
        Ok(Some(Upload {
            id,
            org_id: Uuid::parse_str(&org_id).map_err(corrupt)?,
            content_type: UploadType::parse(&content_type)
                .ok_or_else(|| corrupt(format!("content type {content_type:?}")))?,
            size_bytes: u64::try_from(size_bytes).map_err(corrupt)?,
            created_at,
            state,
        }))
    }

    async fn consume(&self, id: UploadId, by: Uuid) -> Result<bool, PortError> {
        self.db
            .run(move |conn| {
                let changed = conn
                    .execute(
                        "UPDATE uploads SET used_by = ?2 WHERE id = ?1 AND (used_by IS NULL OR used_by = ?2)",
                        params![id.to_string(), by.to_string()],
                    )
                    .map_err(unavailable)?;
                Ok(changed == 1)
            })
            .await
    }

    async fn release(&self, id: UploadId, by: Uuid) -> Result<(), PortError> {
        self.db
            .run(move |conn| {
                conn.execute(
                    "UPDATE uploads SET used_by = NULL WHERE id = ?1 AND used_by = ?2",
                    params![id.to_string(), by.to_string()],
                )
                .map_err(unavailable)?;
                Ok(())
            })
            .await
    }
}

/// `adgen serve`'s own `PUT /uploads/{id}` (the server enforces type, length and expiry).
pub struct LocalUploadTarget {
    base_url: String,
}

impl LocalUploadTarget {
    /// `base_url` is the server's own address, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }
}

#[async_trait]
impl UploadTarget for LocalUploadTarget {
    async fn put_url(&self, upload: &Upload) -> Result<String, PortError> {
        Ok(format!("{}{RECEIVE_PREFIX}{}", self.base_url, upload.id))
    }
}
