//! Submitting a generation (spec §3): idempotency, job record, staging, enqueue.

use std::sync::Arc;

use uuid::Uuid;

use crate::UnixSeconds;
use crate::auth::Principal;
use crate::contract::generation::{BodyError, GenerationRequest};
use crate::contract::reference::ReferenceImage;
use crate::contract::upload::UploadId;
use crate::contract::{GENERATIONS_ENDPOINT, Issue, JOBS_PREFIX, RequestId, envelope};
use crate::idempotency::{self, IdempotencyScope, StoredResponse};
use crate::jobs::{AdInput, GenerationWork, Job, JobInput, ReferenceSource, Work};
use crate::ports::{
    Adapters, BlobStore, BrandStore, Clock, IdempotencyStore, JobMessage, JobStore, PortError,
    Queue,
};
use crate::service::auth::{AuthSettings, Authenticator};
use crate::service::idempotency::{
    self as protocol, Begin, DEFAULT_TTL_SECONDS, IdempotencyError, IdempotencyPolicy, Lease,
};
use crate::service::uploads::{Uploads, UseError};
use crate::uploads::{UploadRefusal, Use};

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
    /// A `reference_images` entry names an upload that cannot be used; `param` is its path.
    #[error("{param}: {refusal}")]
    Upload {
        param: String,
        refusal: UploadRefusal,
    },
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
    /// `POST /api/v1/uploads` is the submit function's, and submissions use uploads.
    pub uploads: Uploads,
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
            uploads: Uploads::new(adapters),
            clock,
            settings,
        }
    }
}

impl SubmitService {
    /// Accepts one generation. The sequential store and queue round trips are the measure of
    /// this path (the reference uploads overlap each other and count once):
    /// - without a key, two: write the job, send its message;
    /// - with a key, three: claim the key and write the job in one transaction, send, store
    ///   the response under the key.
    ///
    /// The job is written as enqueued, since its message follows at once: no write after the
    /// send is needed to make it count. When the send fails the job is withdrawn (and the key
    /// freed), so the client's 503 leaves nothing that would run behind its back; a job a crash
    /// left between write and send is resent by the sweep's stuck-job rule.
    pub async fn submit(
        &self,
        principal: Principal,
        idempotency_key: Option<&str>,
        request: GenerationRequest,
        request_id: &RequestId,
        received_at: UnixSeconds,
    ) -> Result<SubmitOutcome, SubmitError> {
        let org_id = principal.org_id;
        let job = new_job(org_id, Uuid::new_v4(), &request, received_at);
        let outcome = match idempotency_key {
            None => self.submit_once(job, &request, request_id).await?,
            Some(key) => {
                let scope = IdempotencyScope::new(org_id, GENERATIONS_ENDPOINT, key);
                self.submit_keyed(scope, job, &request, request_id).await?
            }
        };
        if let SubmitOutcome::Created(_) = outcome {
            crate::metrics::job_submitted(crate::jobs::JobType::AdGeneration);
        }
        Ok(outcome)
    }

    /// No key: check and stage, write, send; a failed send takes the job back.
    async fn submit_once(
        &self,
        job: Job,
        request: &GenerationRequest,
        request_id: &RequestId,
    ) -> Result<SubmitOutcome, SubmitError> {
        let uploads = upload_ids(request);
        let written = async {
            self.prepare(&job, request).await?;
            self.jobs.create(&job).await?;
            Ok::<_, SubmitError>(())
        };
        if let Err(e) = written.await {
            self.uploads.release(&uploads, job.id).await;
            return Err(e);
        }
        if let Err(e) = self.send(&job).await {
            if self.withdraw(job.id).await {
                self.uploads.release(&uploads, job.id).await;
            }
            return Err(e.into());
        }
        self.uploads.discard(job.org_id, &uploads).await;
        Ok(SubmitOutcome::Created(accepted(
            request_id,
            job.created_at,
            job.id,
        )))
    }

    /// With a key: the idempotency protocol around the same steps.
    async fn submit_keyed(
        &self,
        scope: IdempotencyScope,
        job: Job,
        request: &GenerationRequest,
        request_id: &RequestId,
    ) -> Result<SubmitOutcome, SubmitError> {
        let fingerprint = idempotency::fingerprint(&request.canonical());
        let lease = match protocol::begin(
            self.idempotency.as_ref(),
            scope,
            fingerprint,
            job.created_at,
            self.settings.idempotency,
            Some(&job),
        )
        .await?
        {
            Begin::Replay(stored) => return Ok(SubmitOutcome::Replayed(stored)),
            Begin::Proceed(lease) => lease,
        };
        // A resumed attempt finishes the earlier attempt's job: same id, same staging keys.
        let job = if lease.resumed {
            new_job(job.org_id, lease.job_id, request, job.created_at)
        } else {
            job
        };
        match self.finish_keyed(&lease, &job, request).await {
            Ok(()) => {
                self.uploads.discard(job.org_id, &upload_ids(request)).await;
                let stored = accepted(request_id, job.created_at, job.id);
                let expires_at = self.clock.now() + self.settings.idempotency.ttl_seconds;
                protocol::complete(self.idempotency.as_ref(), &lease, &stored, expires_at).await;
                Ok(SubmitOutcome::Created(stored))
            }
            Err(e) => {
                // The claim wrote the job, or an earlier attempt may have: take it back.
                let job_exists = !self.withdraw(job.id).await;
                if !job_exists {
                    self.uploads.release(&upload_ids(request), job.id).await;
                }
                protocol::abandon(self.idempotency.as_ref(), &lease, job_exists).await;
                Err(e)
            }
        }
    }

    /// The keyed attempt's work after the claim (which comes first, so a replay never depends
    /// on anything else): the brand check and the uploads, the job record when the claim did
    /// not write it, and the message (always sent when resuming: whether the earlier attempt
    /// sent it is unknown, and the worker's claim absorbs a second copy).
    async fn finish_keyed(
        &self,
        lease: &Lease,
        job: &Job,
        request: &GenerationRequest,
    ) -> Result<(), SubmitError> {
        self.prepare(job, request).await?;
        if lease.resumed {
            self.jobs.create(job).await?;
        }
        Ok(self.send(job).await?)
    }

    /// What must hold before the job may run, side by side: the named brand exists, and the
    /// inline and uploaded references are staged (uploads then marked used by this job).
    async fn prepare(&self, job: &Job, request: &GenerationRequest) -> Result<(), SubmitError> {
        let brand = async {
            match request.brand_id {
                None => Ok(()),
                Some(brand_id) => match self.brands.get(job.org_id, brand_id).await? {
                    Some(_) => Ok(()),
                    None => Err(SubmitError::BrandNotFound),
                },
            }
        };
        let staged = self.stage_references(job, &request.reference_images);
        futures_util::future::try_join(brand, staged).await?;
        let ids = upload_ids(request);
        self.uploads
            .consume(&ids, job.id)
            .await
            .map_err(|(n, e)| upload_error(request, ids[n], e))?;
        Ok(())
    }

    async fn send(&self, job: &Job) -> Result<(), PortError> {
        let message = JobMessage {
            job_id: job.id,
            org_id: job.org_id,
        };
        self.queue.send(&message).await
    }

    /// Takes back the job of a failed attempt; true when nothing of it is left. A job that
    /// cannot be withdrawn (a worker claimed it: the failed send had in fact gone out; or the
    /// store failed too) stays, and is said so in the log.
    async fn withdraw(&self, job_id: Uuid) -> bool {
        match self.jobs.withdraw(job_id).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::warn!(%job_id, "submission failed but its job was already claimed; it runs");
                false
            }
            Err(e) => {
                tracing::warn!(%job_id, error = %e, "submission failed and its job could not be withdrawn; the sweep runs it");
                false
            }
        }
    }

    /// Inline references go to the blob store under the keys the job names (see
    /// [`reference_sources`]), uploaded ones are checked and copied there; the writes overlap,
    /// so the request waits for the slowest only.
    async fn stage_references(
        &self,
        job: &Job,
        images: &[ReferenceImage],
    ) -> Result<(), SubmitError> {
        let Work::Generation(work) = &job.work else {
            return Ok(());
        };
        let now = self.clock.now();
        let writes =
            images
                .iter()
                .zip(&work.references)
                .enumerate()
                .filter_map(|(n, (image, source))| {
                    let ReferenceSource::Staged { key } = source else {
                        return None;
                    };
                    Some(async move {
                        match image {
                            ReferenceImage::Inline(inline) => self
                                .blobs
                                .put(key, inline.bytes.clone(), inline.kind.content_type())
                                .await
                                .map_err(SubmitError::from),
                            ReferenceImage::Upload(id) => self
                                .uploads
                                .stage(job.org_id, job.id, *id, Use::Reference, key, now)
                                .await
                                .map_err(|e| upload_param_error(n, e)),
                            ReferenceImage::Url(_) => Ok(()),
                        }
                    })
                });
        futures_util::future::try_join_all(writes).await?;
        Ok(())
    }
}

/// Where each reference will be read from: a URL as given, an inline image from its staging
/// key (derived from the job id, so a resumed attempt uploads to the same keys). Messages and
/// records carry keys only.
fn reference_sources(
    org_id: Uuid,
    job_id: Uuid,
    images: &[ReferenceImage],
) -> Vec<ReferenceSource> {
    images
        .iter()
        .enumerate()
        .map(|(n, image)| match image {
            ReferenceImage::Url(url) => ReferenceSource::Url { url: url.clone() },
            ReferenceImage::Inline(_) | ReferenceImage::Upload(_) => ReferenceSource::Staged {
                key: format!("staging/{org_id}/{job_id}/{n}"),
            },
        })
        .collect()
}

/// The uploads a request's references name, in order.
fn upload_ids(request: &GenerationRequest) -> Vec<UploadId> {
    request
        .reference_images
        .iter()
        .filter_map(|image| match image {
            ReferenceImage::Upload(id) => Some(*id),
            _ => None,
        })
        .collect()
}

/// The refusal of `reference_images[n]`'s upload, or the outage behind it.
fn upload_param_error(n: usize, e: UseError) -> SubmitError {
    match e {
        UseError::Refused(refusal) => SubmitError::Upload {
            param: format!("reference_images[{n}]"),
            refusal,
        },
        UseError::Dependency(e) => SubmitError::Dependency(e),
    }
}

/// As [`upload_param_error`], for upload `id` of the request.
fn upload_error(request: &GenerationRequest, id: UploadId, e: UseError) -> SubmitError {
    let n = request
        .reference_images
        .iter()
        .position(|image| *image == ReferenceImage::Upload(id))
        .unwrap_or_default();
    upload_param_error(n, e)
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

/// The job record of a submission: enqueued from its first write (its message follows).
fn new_job(org_id: Uuid, job_id: Uuid, request: &GenerationRequest, now: UnixSeconds) -> Job {
    let references = reference_sources(org_id, job_id, &request.reference_images);
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
        enqueued: true,
        ..Job::queued(job_id, org_id, input, work, now)
    }
}
