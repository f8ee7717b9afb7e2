//! Brands (spec §7): create, read, list and delete an organisation's brand records, and
//! accept a brand extraction as a job. Logos are prepared (checked, decoded under limits,
//! SVG rasterised safely) before anything is stored, and kept in the blob store; a record's
//! logo URL is minted at read time like a result image's.
//!
//! Every read is scoped to the caller's organisation: another organisation's brand answers
//! exactly as a missing one.

use std::sync::Arc;

use uuid::Uuid;

use crate::UnixSeconds;
use crate::auth::Principal;
use crate::brands::{Brand, BrandLogo};
use crate::contract::Issue;
use crate::contract::RequestId;
use crate::contract::brand::{
    BrandRequest, EXTRACT_ENDPOINT, ExtractRequest, ListQuery, LogoInput,
};
use crate::contract::generation::BodyError;
use crate::idempotency::{IdempotencyScope, StoredResponse, fingerprint, parse_key};
use crate::jobs::{ExtractionInput, ExtractionWork, Job, JobInput, Work};
use crate::ports::{
    Adapters, BlobStore, BrandStore, Clock, CreateJob, IdempotencyStore, ImageCodec, ImageError,
    ImageLinks, JobMessage, JobStore, PortError, PreparedLogo, Queue,
};
use crate::service::auth::{AuthSettings, Authenticator};
use crate::service::generate::cpu_bound;
use crate::service::idempotency::{self as protocol, Begin, IdempotencyError, IdempotencyPolicy};
use crate::service::submit::accepted;
use crate::service::uploads::{Uploads, UseError};
use crate::uploads::{UploadRefusal, Use};

/// The deployment's choices for the brand routes.
#[derive(Debug, Clone, Copy)]
pub struct BrandsSettings {
    pub max_body_bytes: usize,
    /// `adgen serve --allow-loopback-urls` (spec §8); always false on Lambda.
    pub allow_loopback_urls: bool,
    /// `Idempotency-Key` on `POST /api/v1/brands/extract`, as for submissions (spec §3).
    pub idempotency: IdempotencyPolicy,
}

/// What an accepted extraction answers: a new 202, or the replay of the first one.
#[derive(Debug, Clone)]
pub enum ExtractOutcome {
    Created(StoredResponse),
    Replayed(StoredResponse),
}

#[derive(Debug, thiserror::Error)]
pub enum BrandError {
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("invalid request body")]
    InvalidBody(Vec<Issue>),
    #[error("invalid query")]
    InvalidQuery(Vec<Issue>),
    #[error("brand id is not a UUID")]
    InvalidBrandId,
    /// Missing, or another organisation's.
    #[error("brand not found")]
    NotFound,
    /// The logo was read but is not usable; `code` and `message` are for the client.
    #[error("logo refused: {message}")]
    Logo { code: &'static str, message: String },
    /// The logo's upload cannot be used.
    #[error("logo: {0}")]
    Upload(UploadRefusal),
    #[error("Idempotency-Key is not 1 to 255 printable ASCII characters")]
    InvalidIdempotencyKey,
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error(transparent)]
    Dependency(#[from] PortError),
}

impl From<BodyError> for BrandError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Json(text) => BrandError::InvalidJson(text),
            BodyError::Invalid(issues) => BrandError::InvalidBody(issues),
        }
    }
}

/// A brand as read for a client: the record and its logo's URL, minted for this read.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandRead {
    pub brand: Brand,
    pub logo_url: Option<String>,
}

/// One page of brands, newest first.
#[derive(Debug, Clone)]
pub struct BrandList {
    pub brands: Vec<BrandRead>,
    pub total_count: usize,
    pub has_more: bool,
}

pub struct BrandsService {
    pub auth: Arc<Authenticator>,
    pub brands: Arc<dyn BrandStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub links: Arc<dyn ImageLinks>,
    pub jobs: Arc<dyn JobStore>,
    pub queue: Arc<dyn Queue>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub codec: Arc<dyn ImageCodec>,
    /// Logos may come by upload (spec §11).
    pub uploads: Uploads,
    pub clock: Arc<dyn Clock>,
    pub settings: BrandsSettings,
}

impl BrandsService {
    /// The service over one adapter set; `codec` prepares logos; requests admitted as
    /// `auth` says.
    pub fn new(
        adapters: &Adapters,
        codec: Arc<dyn ImageCodec>,
        clock: Arc<dyn Clock>,
        auth: AuthSettings,
        settings: BrandsSettings,
    ) -> Self {
        Self {
            auth: Arc::new(Authenticator::new(
                adapters.keys.clone(),
                adapters.rate_limits.clone(),
                auth,
            )),
            brands: adapters.brands.clone(),
            blobs: adapters.blobs.clone(),
            links: adapters.links.clone(),
            jobs: adapters.jobs.clone(),
            queue: adapters.queue.clone(),
            idempotency: adapters.idempotency.clone(),
            codec,
            uploads: Uploads::new(adapters),
            clock,
            settings,
        }
    }

    pub async fn create(
        &self,
        principal: Principal,
        body: &[u8],
        now: UnixSeconds,
    ) -> Result<BrandRead, BrandError> {
        let request = BrandRequest::parse(body)?;
        let org_id = principal.org_id;
        let id = Uuid::new_v4();
        let mut used_upload = None;
        let logo = match request.logo {
            None => None,
            Some(LogoInput::Url(url)) => Some(BrandLogo::Remote { url }),
            Some(LogoInput::Inline(bytes)) => {
                let key = Brand::logo_key(org_id, id);
                Some(store_logo(self.codec.as_ref(), self.blobs.as_ref(), key, &bytes).await?)
            }
            Some(LogoInput::Upload(upload)) => {
                let refused = |e: UseError| match e {
                    UseError::Refused(refusal) => BrandError::Upload(refusal),
                    UseError::Dependency(e) => BrandError::Dependency(e),
                };
                // A new brand's id: nobody used the upload for it before.
                let (_, bytes) = self
                    .uploads
                    .read(org_id, id, upload, Use::Logo, now)
                    .await
                    .map_err(refused)?
                    .ok_or(BrandError::Upload(UploadRefusal::Used))?;
                let key = Brand::logo_key(org_id, id);
                let logo =
                    store_logo(self.codec.as_ref(), self.blobs.as_ref(), key, &bytes).await?;
                self.uploads
                    .consume(&[upload], id)
                    .await
                    .map_err(|(_, e)| refused(e))?;
                used_upload = Some(upload);
                Some(logo)
            }
        };
        let brand = Brand {
            id,
            org_id,
            name: request.name,
            domain: request.domain,
            brand_dna: request.brand_dna,
            logo,
            sources: Default::default(),
            created_at: now,
            updated_at: now,
        };
        if let Err(e) = self.brands.put(&brand).await {
            if let Some(upload) = used_upload {
                self.uploads.release(&[upload], id).await;
            }
            return Err(e.into());
        }
        if let Some(upload) = used_upload {
            self.uploads.discard(org_id, &[upload]).await;
        }
        tracing::info!(brand_id = %id, "brand created");
        self.read(brand).await
    }

    pub async fn get(&self, principal: Principal, id: &str) -> Result<BrandRead, BrandError> {
        let id = Uuid::try_parse(id).map_err(|_| BrandError::InvalidBrandId)?;
        match self.brands.get(principal.org_id, id).await? {
            Some(brand) => self.read(brand).await,
            None => Err(BrandError::NotFound),
        }
    }

    pub async fn list(
        &self,
        principal: Principal,
        query: Option<&str>,
    ) -> Result<BrandList, BrandError> {
        let query = ListQuery::parse(query).map_err(BrandError::InvalidQuery)?;
        let page = self
            .brands
            .list(principal.org_id, query.limit, query.offset)
            .await?;
        let has_more = query.offset + page.brands.len() < page.total_count;
        let mut brands = Vec::with_capacity(page.brands.len());
        for brand in page.brands {
            brands.push(self.read(brand).await?);
        }
        Ok(BrandList {
            brands,
            total_count: page.total_count,
            has_more,
        })
    }

    /// Deletes the brand and its stored logo. Jobs that named it fail with `brand_not_found`
    /// if they have not started.
    pub async fn delete(&self, principal: Principal, id: &str) -> Result<Uuid, BrandError> {
        let id = Uuid::try_parse(id).map_err(|_| BrandError::InvalidBrandId)?;
        let Some(brand) = self.brands.get(principal.org_id, id).await? else {
            return Err(BrandError::NotFound);
        };
        if !self.brands.delete(principal.org_id, id).await? {
            return Err(BrandError::NotFound);
        }
        if let Some(BrandLogo::Stored { key, .. }) = &brand.logo
            && let Err(e) = self.blobs.delete(key).await
        {
            // The record is gone, so nothing links to the object any more.
            tracing::warn!(brand_id = %id, error = %e, "brand deleted; its logo object was not");
        }
        tracing::info!(brand_id = %id, "brand deleted");
        Ok(id)
    }

    /// Accepts a brand extraction: a `brand_extraction` job on the generation queue. With an
    /// `Idempotency-Key` the same request answers the first 202 again, byte for byte, and
    /// creates one job however often it is sent (the protocol of spec §3, its own key space).
    /// A failure to enqueue after the job is written still answers 202: the sweep sends it.
    pub async fn extract(
        &self,
        principal: Principal,
        idempotency_key: Option<&[u8]>,
        body: &[u8],
        request_id: &RequestId,
        now: UnixSeconds,
    ) -> Result<ExtractOutcome, BrandError> {
        let key = match idempotency_key {
            None => None,
            Some(raw) => Some(parse_key(raw).ok_or(BrandError::InvalidIdempotencyKey)?),
        };
        let request = ExtractRequest::parse(body, self.settings.allow_loopback_urls)?;
        let lease = match key {
            None => None,
            Some(key) => {
                let scope = IdempotencyScope::new(principal.org_id, EXTRACT_ENDPOINT, key);
                let fingerprint = fingerprint(&serde_json::json!({ "url": request.url }));
                match protocol::begin(
                    self.idempotency.as_ref(),
                    scope,
                    fingerprint,
                    now,
                    self.settings.idempotency,
                    None,
                )
                .await?
                {
                    Begin::Replay(stored) => return Ok(ExtractOutcome::Replayed(stored)),
                    Begin::Proceed(lease) => Some(lease),
                }
            }
        };
        let job_id = lease.as_ref().map_or_else(Uuid::new_v4, |l| l.job_id);
        match self
            .create_and_enqueue(principal, job_id, request, now)
            .await
        {
            Ok(()) => {
                let stored = accepted(request_id, now, job_id);
                if let Some(lease) = &lease {
                    let expires_at = self.clock.now() + self.settings.idempotency.ttl_seconds;
                    protocol::complete(self.idempotency.as_ref(), lease, &stored, expires_at).await;
                }
                tracing::info!(%job_id, "brand extraction accepted");
                crate::metrics::job_submitted(crate::jobs::JobType::BrandExtraction);
                Ok(ExtractOutcome::Created(stored))
            }
            Err(e) => {
                if let Some(lease) = &lease {
                    // Nothing was written when the job record itself failed.
                    protocol::abandon(self.idempotency.as_ref(), lease, false).await;
                }
                Err(e)
            }
        }
    }

    async fn create_and_enqueue(
        &self,
        principal: Principal,
        job_id: Uuid,
        request: ExtractRequest,
        now: UnixSeconds,
    ) -> Result<(), BrandError> {
        let org_id = principal.org_id;
        let job = Job::queued(
            job_id,
            org_id,
            JobInput::Extraction(ExtractionInput {
                url: request.url.clone(),
            }),
            Work::Extraction(ExtractionWork {
                url: request.url,
                domain: request.domain,
            }),
            now,
        );
        let enqueued = match self.jobs.create(&job).await? {
            CreateJob::Created => false,
            // A resumed key: the first attempt wrote this job.
            CreateJob::Exists(existing) => existing.enqueued,
        };
        if enqueued {
            return Ok(());
        }
        match self.queue.send(&JobMessage { job_id, org_id }).await {
            Ok(()) => {
                if let Err(e) = self.jobs.mark_enqueued(job_id, self.clock.now()).await {
                    tracing::warn!(%job_id, error = %e, "job enqueued but not marked");
                }
            }
            Err(e) => {
                tracing::warn!(%job_id, error = %e, "extraction job written, not enqueued; the sweep sends it")
            }
        }
        Ok(())
    }

    async fn read(&self, brand: Brand) -> Result<BrandRead, BrandError> {
        Ok(brand_read(self.links.as_ref(), brand).await?)
    }
}

/// The brand with its logo's URL minted for this read (also used by `expand=brand`).
pub async fn brand_read(links: &dyn ImageLinks, brand: Brand) -> Result<BrandRead, PortError> {
    let logo_url = match &brand.logo {
        Some(BrandLogo::Stored { key, .. }) => Some(links.url(key).await?),
        Some(BrandLogo::Remote { url }) => Some(url.clone()),
        None => None,
    };
    Ok(BrandRead { brand, logo_url })
}

/// Prepares a logo (the codec decides whether it is usable) and stores the PNG at `key`.
async fn store_logo(
    codec: &dyn ImageCodec,
    blobs: &dyn BlobStore,
    key: String,
    bytes: &[u8],
) -> Result<BrandLogo, BrandError> {
    let prepared = cpu_bound(|| codec.prepare_logo(bytes)).map_err(logo_refusal)?;
    Ok(put_logo(blobs, key, prepared).await?)
}

/// Stores a prepared logo's PNG at `key` (a brand's one logo key) and describes it for the
/// record; used by brand creation and by extraction.
pub async fn put_logo(
    blobs: &dyn BlobStore,
    key: String,
    prepared: PreparedLogo,
) -> Result<BrandLogo, PortError> {
    blobs.put(&key, prepared.png, "image/png").await?;
    Ok(BrandLogo::Stored {
        key,
        width: prepared.width,
        height: prepared.height,
        source_format: prepared.source_format,
    })
}

fn logo_refusal(e: ImageError) -> BrandError {
    let (code, message) = match e {
        ImageError::Unsupported => (
            "unsupported_format",
            "logo must be a PNG, JPEG, WebP or SVG image".to_owned(),
        ),
        ImageError::Invalid(_) => (
            "invalid_image",
            "logo could not be decoded: the image is corrupt or truncated".to_owned(),
        ),
        ImageError::LimitsExceeded => (
            "dimensions_too_large",
            "logo exceeds the decoding limits (12000 px a side, 40 megapixels)".to_owned(),
        ),
        // The codec's reason already says what was refused and why.
        ImageError::Refused(reason) => ("svg_refused", reason),
        // A logo is re-encoded as PNG, without a byte budget.
        cause @ (ImageError::Encode(_) | ImageError::BudgetUnmet { .. }) => {
            tracing::error!(%cause, "logo could not be re-encoded");
            (
                "invalid_image",
                "logo could not be converted to PNG".to_owned(),
            )
        }
    };
    BrandError::Logo { code, message }
}
