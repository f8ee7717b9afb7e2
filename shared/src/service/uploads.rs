//! Uploads (spec §11) as the services use them: creating one (record, then the URL the
//! client PUTs to), taking the bytes where the server itself is the target (`adgen serve`'s
//! `PUT /uploads/{id}`), and using one in a submission: judged from its record, its size and
//! its first bytes, copied to the staging key the job names, then marked used.
//!
//! A submission marks its uploads used only after every check and copy passed, and a
//! submission that fails afterwards (its job withdrawn) gives them back, so a client's error
//! answer never burns an upload; the source objects go once the job is accepted.

use std::sync::Arc;

use bytes::Bytes;
use uuid::Uuid;

use crate::UnixSeconds;
use crate::contract::upload::{CreateUpload, PutHeaders, UploadCreated, UploadId, UploadType};
use crate::ports::{Adapters, BlobStore, PortError, UploadStore, UploadTarget};
use crate::uploads::{self, HEADER_PROBE_BYTES, Upload, UploadRefusal, UploadState, Use};

/// Why an upload could not be used.
#[derive(Debug, thiserror::Error)]
pub enum UseError {
    #[error(transparent)]
    Refused(#[from] UploadRefusal),
    #[error(transparent)]
    Dependency(#[from] PortError),
}

/// Why `PUT /uploads/{id}` refused the bytes.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("no such upload")]
    NotFound,
    #[error("the upload URL has expired")]
    Expired,
    #[error("the upload was used already")]
    Used,
    #[error("Content-Type must be {0}")]
    WrongType(&'static str),
    #[error("the body must be exactly {declared} bytes")]
    WrongLength { declared: u64 },
    #[error(transparent)]
    Dependency(#[from] PortError),
}

#[derive(Clone)]
pub struct Uploads {
    pub store: Arc<dyn UploadStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub target: Arc<dyn UploadTarget>,
}

impl Uploads {
    /// Over one adapter set's upload records, blobs and upload target.
    pub fn new(adapters: &Adapters) -> Self {
        Self {
            store: adapters.uploads.clone(),
            blobs: adapters.blobs.clone(),
            target: adapters.upload_target.clone(),
        }
    }

    /// A new pending upload of `org_id` and where to PUT it.
    pub async fn create(
        &self,
        org_id: Uuid,
        request: CreateUpload,
        now: UnixSeconds,
    ) -> Result<UploadCreated, PortError> {
        let upload = Upload::new(
            UploadId::new(),
            org_id,
            request.content_type,
            request.size_bytes,
            now,
        );
        self.store.create(&upload).await?;
        let upload_url = self.target.put_url(&upload).await?;
        let content_type = upload.content_type.content_type();
        Ok(UploadCreated {
            id: upload.id,
            object: "upload",
            upload_url,
            method: "PUT",
            headers: PutHeaders { content_type },
            content_type,
            size_bytes: upload.size_bytes,
            expires_at: upload.url_expires_at(),
            reference: upload.id.reference(),
        })
    }

    /// Stores the body of a PUT to the server's own route (`adgen serve`, which reads at most
    /// 15 MiB + 1 bytes of it): only for a pending upload whose URL has not expired, with
    /// exactly its declared `Content-Type` and length.
    pub async fn receive(
        &self,
        id: &str,
        content_type: Option<&str>,
        body: Bytes,
        now: UnixSeconds,
    ) -> Result<Upload, ReceiveError> {
        let id = UploadId::parse(id).ok_or(ReceiveError::NotFound)?;
        let upload = self.store.get(id).await?.ok_or(ReceiveError::NotFound)?;
        if upload.state != UploadState::Pending {
            return Err(ReceiveError::Used);
        }
        if now >= upload.url_expires_at() {
            return Err(ReceiveError::Expired);
        }
        let declared = upload.content_type.content_type();
        if content_type.map(str::trim) != Some(declared) {
            return Err(ReceiveError::WrongType(declared));
        }
        if body.len() as u64 != upload.size_bytes {
            return Err(ReceiveError::WrongLength {
                declared: upload.size_bytes,
            });
        }
        self.blobs.put(&upload.object_key(), body, declared).await?;
        Ok(upload)
    }

    /// Checks upload `id` for use by `consumer` (a job or brand) of `org_id` as `purpose`, and
    /// copies its bytes to `to_key`; the record, size and first bytes are read, never the
    /// whole object. Nothing is marked used yet ([`Uploads::consume`]). A retried submission
    /// of the same consumer finds the upload used by itself: its copy was made then.
    pub async fn stage(
        &self,
        org_id: Uuid,
        consumer: Uuid,
        id: UploadId,
        purpose: Use,
        to_key: &str,
        now: UnixSeconds,
    ) -> Result<(), UseError> {
        let Some(upload) = self.usable(org_id, consumer, id, now).await? else {
            return Ok(());
        };
        let key = upload.object_key();
        let size = self.blobs.size(&key).await?;
        let head = match size {
            Some(_) => self.blobs.read_prefix(&key, HEADER_PROBE_BYTES).await?,
            None => None,
        };
        uploads::check_object(&upload, size, head.as_deref().unwrap_or_default(), purpose)?;
        if !self.blobs.copy(&key, to_key).await? {
            // Gone between the check and the copy: the lifecycle rule, or another use.
            return Err(UploadRefusal::Unfinished.into());
        }
        Ok(())
    }

    /// Checks upload `id` as [`Uploads::stage`] does, from one read of its whole object (a
    /// logo, decoded at once); `None` when `consumer` used it already.
    pub async fn read(
        &self,
        org_id: Uuid,
        consumer: Uuid,
        id: UploadId,
        purpose: Use,
        now: UnixSeconds,
    ) -> Result<Option<(UploadType, Bytes)>, UseError> {
        let Some(upload) = self.usable(org_id, consumer, id, now).await? else {
            return Ok(None);
        };
        let Some(blob) = self.blobs.get(&upload.object_key()).await? else {
            return Err(UploadRefusal::Unfinished.into());
        };
        let head = &blob.bytes[..blob.bytes.len().min(HEADER_PROBE_BYTES)];
        uploads::check_object(&upload, Some(blob.bytes.len() as u64), head, purpose)?;
        Ok(Some((upload.content_type, blob.bytes)))
    }

    /// The record, if `consumer` of `org_id` may use it; `None` when `consumer` used it
    /// already.
    async fn usable(
        &self,
        org_id: Uuid,
        consumer: Uuid,
        id: UploadId,
        now: UnixSeconds,
    ) -> Result<Option<Upload>, UseError> {
        let record = self.store.get(id).await?;
        if uploads::check_record(record.as_ref(), org_id, consumer, now)? {
            return Ok(None);
        }
        Ok(Some(record.ok_or(UploadRefusal::NotFound)?))
    }

    /// Marks every upload of `ids` used by `consumer`; when one was taken by someone else in
    /// the meantime, gives back those marked here and refuses (its index in `ids`).
    pub async fn consume(&self, ids: &[UploadId], consumer: Uuid) -> Result<(), (usize, UseError)> {
        let marks = ids.iter().map(|id| self.store.consume(*id, consumer));
        let results = futures_util::future::join_all(marks).await;
        let failed = results.iter().position(|r| !matches!(r, Ok(true)));
        let Some(index) = failed else {
            return Ok(());
        };
        self.release(ids, consumer).await;
        Err(match results.into_iter().nth(index) {
            Some(Err(e)) => (index, UseError::Dependency(e)),
            _ => (index, UseError::Refused(UploadRefusal::Used)),
        })
    }

    /// Gives back the uploads of `ids` that `consumer` holds (a failed submission); a failure
    /// is logged: the upload stays used, and expires.
    pub async fn release(&self, ids: &[UploadId], consumer: Uuid) {
        let releases = ids.iter().map(|id| self.store.release(*id, consumer));
        for (id, result) in ids
            .iter()
            .zip(futures_util::future::join_all(releases).await)
        {
            if let Err(e) = result {
                tracing::warn!(upload_id = %id, error = %e, "an upload of a failed submission could not be given back");
            }
        }
    }

    /// Removes the source objects of uploads now used (their bytes live on under the job's
    /// or brand's key); a failure is left to the bucket's lifecycle rule.
    pub async fn discard(&self, org_id: Uuid, ids: &[UploadId]) {
        let deletes = ids.iter().map(|id| {
            let key = uploads::object_key(org_id, *id);
            async move { (self.blobs.delete(&key).await, key) }
        });
        for (result, key) in futures_util::future::join_all(deletes).await {
            if let Err(e) = result {
                tracing::warn!(%key, error = %e, "a used upload's object was not removed; the lifecycle rule will");
            }
        }
    }
}
