//! Submitting a generation (spec §3): idempotency, job record, staging, enqueue.

use std::sync::Arc;

use uuid::Uuid;

use crate::UnixSeconds;
use crate::auth::Principal;
use crate::contract::generation::{BodyError, GenerationRequest};
use crate::contract::reference::ReferenceImage;
use crate::contract::{GENERATIONS_ENDPOINT, Issue, JOBS_PREFIX, RequestId, envelope};
use crate::idempotency::{self, IdempotencyScope, StoredResponse};
use crate::jobs::{AdInput, GenerationWork, Job, JobInput, ReferenceSource, Work};
use crate::ports::{
    Adapters, BlobStore, BrandStore, Clock, CreateJob, IdempotencyStore, JobMessage, JobStore,
    PortError, Queue,
};
use crate::service::auth::{AuthSettings, Authenticator};
use crate::service::idempotency::{
    self as protocol, Begin, DEFAULT_TTL_SECONDS, IdempotencyError, IdempotencyPolicy,
};

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("body larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("content type is not JSON")]
    UnsupportedMediaType,
    #[error("body is not JSON: {0}")]
    InvalidJson(String),
    #[error("body failed validation")]
    InvalidBody(Vec<Issue>),
    #[error("invalid Idempotency-Key header")]
    InvalidIdempotencyKey,
    #[error("brand not found")]
    BrandNotFound,
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error(transparent)]
    Dependency(#[from] PortError),
}

impl From<BodyError> for SubmitError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Json(text) => SubmitError::InvalidJson(text),
            BodyError::Invalid(issues) => SubmitError::InvalidBody(issues),
        }
    }
}

#[derive(Debug)]
pub enum SubmitOutcome {
    Created(StoredResponse),
    Replayed(StoredResponse),
}

#[derive(Debug, Clone, Copy)]
pub struct SubmitSettings {
    pub max_body_bytes: usize,
    pub idempotency: IdempotencyPolicy,
    /// API-key caching and the per-key rate limit.
    pub auth: AuthSettings,
    /// `adgen serve --allow-loopback-urls` (spec §8): reference URLs on the local host names
    /// pass validation. Always false on Lambda.
    pub allow_loopback_urls: bool,
}

impl Default for SubmitSettings {
    fn default() -> Self {
        Self {
            // API Gateway + Lambda carry at most 6 MB; the embedded server mirrors it.
            max_body_bytes: crate::config::LAMBDA_MAX_BODY_BYTES,
            idempotency: IdempotencyPolicy {
                ttl_seconds: DEFAULT_TTL_SECONDS,
                // Longer than the submit function's timeout, so a live attempt is never overtaken.
                lock_seconds: 30,
            },
            auth: AuthSettings::default(),
            allow_loopback_urls: false,
        }
    }
}

pub struct SubmitService {
    pub auth: Arc<Authenticator>,
    pub jobs: Arc<dyn JobStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub brands: Arc<dyn BrandStore>,
    pub queue: Arc<dyn Queue>,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: SubmitSettings,
}

impl SubmitService {
    /// The service over one adapter set.
    pub fn new(adapters: &Adapters, clock: Arc<dyn Clock>, settings: SubmitSettings) -> Self {
        Self {
            auth: Arc::new(Authenticator::new(
                adapters.keys.clone(),
                adapters.rate_limits.clone(),
                settings.auth,
            )),
            jobs: adapters.jobs.clone(),
            idempotency: adapters.idempotency.clone(),
            brands: adapters.brands.clone(),
            queue: adapters.queue.clone(),
            blobs: adapters.blobs.clone(),
            clock,
            settings,
        }
    }
}

/// Why an attempt failed, and whether its job record may exist (then the key stays bound).
struct AttemptFailure {
    error: SubmitError,
    job_written: bool,
}

impl SubmitService {
    pub async fn submit(
        &self,
        principal: Principal,
        idempotency_key: Option<&str>,
        request: GenerationRequest,
        request_id: &RequestId,
        received_at: UnixSeconds,
    ) -> Result<SubmitOutcome, SubmitError> {
        let lease = match idempotency_key {
            None => None,
            Some(key) => {
                let scope = IdempotencyScope::new(principal.org_id, GENERATIONS_ENDPOINT, key);
                let fingerprint = idempotency::fingerprint(&request.canonical());
                match protocol::begin(
                    self.idempotency.as_ref(),
                    scope,
                    fingerprint,
                    received_at,
                    self.settings.idempotency,
                )
                .await?
                {
                    Begin::Replay(stored) => return Ok(SubmitOutcome::Replayed(stored)),
                    Begin::Proceed(lease) => Some(lease),
                }
            }
        };
        let job_id = lease.as_ref().map_or_else(Uuid::new_v4, |l| l.job_id);
        match self
            .create_and_enqueue(principal, job_id, &request, request_id, received_at)
            .await
        {
            Ok(stored) => {
                if let Some(lease) = &lease {
                    let expires_at = self.clock.now() + self.settings.idempotency.ttl_seconds;
                    protocol::complete(self.idempotency.as_ref(), lease, &stored, expires_at).await;
                }
                crate::metrics::job_submitted(crate::jobs::JobType::AdGeneration);
                Ok(SubmitOutcome::Created(stored))
            }
            Err(failure) => {
                if let Some(lease) = &lease {
                    protocol::abandon(self.idempotency.as_ref(), lease, failure.job_written).await;
                }
                Err(failure.error)
            }
        }
    }

    async fn create_and_enqueue(
        &self,
        principal: Principal,
        job_id: Uuid,
        request: &GenerationRequest,
        request_id: &RequestId,
        received_at: UnixSeconds,
    ) -> Result<StoredResponse, AttemptFailure> {
        let before_job = |error: SubmitError| AttemptFailure {
            error,
            job_written: false,
        };
        let org_id = principal.org_id;
        if let Some(brand_id) = request.brand_id {
            let brand = self
                .brands
                .get(org_id, brand_id)
                .await
                .map_err(|e| before_job(e.into()))?;
            if brand.is_none() {
                return Err(before_job(SubmitError::BrandNotFound));
            }
        }
        let references = self
            .stage_references(org_id, job_id, &request.reference_images)
            .await
            .map_err(|e| before_job(e.into()))?;
        let job = new_job(org_id, job_id, request, references, received_at);
        let enqueued = match self
            .jobs
            .create(&job)
            .await
            .map_err(|e| before_job(e.into()))?
        {
            CreateJob::Created => false,
            CreateJob::Exists(existing) => existing.enqueued,
        };
        if !enqueued {
            let message = JobMessage { job_id, org_id };
            self.queue
                .send(&message)
                .await
                .map_err(|e| AttemptFailure {
                    error: e.into(),
                    job_written: true,
                })?;
            // The message is out; a failure to record that only costs a duplicate delivery
            // later (which the worker's claim absorbs), so the client still gets its 202.
            if let Err(e) = self.jobs.mark_enqueued(job_id, self.clock.now()).await {
                tracing::warn!(%job_id, error = %e, "job enqueued but not marked");
            }
        }
        Ok(accepted(request_id, received_at, job_id))
    }

    /// Inline references go to the blob store; messages and records carry keys only.
    async fn stage_references(
        &self,
        org_id: Uuid,
        job_id: Uuid,
        images: &[ReferenceImage],
    ) -> Result<Vec<ReferenceSource>, PortError> {
        // The uploads overlap: the request waits for the slowest, not the sum.
        let stage = images.iter().enumerate().map(|(n, image)| async move {
            Ok(match image {
                ReferenceImage::Url(url) => ReferenceSource::Url { url: url.clone() },
                ReferenceImage::Inline(inline) => {
                    let key = format!("staging/{org_id}/{job_id}/{n}");
                    self.blobs
                        .put(&key, inline.bytes.clone(), inline.kind.content_type())
                        .await?;
                    ReferenceSource::Staged { key }
                }
            })
        });
        futures_util::future::try_join_all(stage).await
    }
}

/// The 202 of a new job, in the form kept for idempotent replays.
pub fn accepted(request_id: &RequestId, created_at: UnixSeconds, job_id: Uuid) -> StoredResponse {
    #[derive(serde::Serialize)]
    struct Accepted {
        job_id: Uuid,
    }
    StoredResponse {
        status: 202,
        request_id: request_id.as_str().to_owned(),
        location: format!("{JOBS_PREFIX}{job_id}"),
        body: envelope::success_body(
            request_id,
            "job",
            "queued",
            created_at,
            &Accepted { job_id },
        ),
    }
}

fn new_job(
    org_id: Uuid,
    job_id: Uuid,
    request: &GenerationRequest,
    references: Vec<ReferenceSource>,
    now: UnixSeconds,
) -> Job {
    let input = JobInput::Generation(AdInput {
        prompt: request.prompt.clone(),
        reference_image_count: request.reference_images.len(),
        has_brand_id: request.brand_id.is_some(),
        has_brand_identity_json: request.brand_identity_json.is_some(),
        output: request.output.clone(),
    });
    let work = Work::Generation(GenerationWork {
        prompt: request.prompt.clone(),
        references,
        brand_id: request.brand_id,
        // `brand_id` wins when both are sent (spec §3); the job records that.
        brand_identity: request
            .brand_identity_json
            .clone()
            .filter(|_| request.brand_id.is_none()),
        output: request.output.clone(),
    });
    Job {
        client_reference_id: request.client_reference_id.clone(),
        metadata: request.metadata.clone(),
        ..Job::queued(job_id, org_id, input, work, now)
    }
}
