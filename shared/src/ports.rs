//! The ports: every store, queue, blob, outbound call and image operation the flow touches, as
//! traits. Adapter crates implement them (`adgen-aws`, `adgen-embedded`, `adgen-outbound`,
//! `adgen-render`); the contract-test suite runs against each adapter set. [`Adapters`] is one
//! adapter set's stores and queue, handed to the services' constructors.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixSeconds;
use crate::auth::ApiKeyRecord;
pub use crate::brands::LogoFormat;
use crate::brands::{Brand, BrandPage};
use crate::brief::CreativeBrief;
use crate::contract::output::{Encoding, OutputApplied, ThinkingIntensity};
use crate::contract::upload::UploadId;
use crate::idempotency::{IdempotencyRecord, IdempotencyScope, StoredResponse};
use crate::jobs::{Job, TextFit};
use crate::pixels::{Colours, Pixels};
use crate::ratelimit::Slice;
use crate::uploads::Upload;
use crate::webhooks::delivery::{Delivery, DeliveryMessage, DeliveryPage, Response};
use crate::webhooks::{Endpoint, EndpointPage};

/// A failure of infrastructure behind a port. The text is for logs only; clients see a
/// generic 5xx (spec §1: no SDK texts reach a client).
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("{0} unavailable: {1}")]
    Unavailable(&'static str, String),
    #[error("stored {0} could not be read: {1}")]
    Corrupt(&'static str, String),
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn get(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, PortError>;
    async fn put(&self, record: &ApiKeyRecord) -> Result<(), PortError>;
}

/// Per-key request counters in one-second slices (spec §9; the window's rules are
/// `ratelimit`). `key` is an API key's hash, never the key.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// `key`'s counters of the seconds `from ..= to`, read strongly consistent; seconds
    /// without requests may be absent.
    async fn counts(
        &self,
        key: &str,
        from: UnixSeconds,
        to: UnixSeconds,
    ) -> Result<Vec<Slice>, PortError>;

    /// Adds one to `key`'s counter of `second`, only while it is below `below` (one
    /// conditional write); the new count, or `None` when refused (nothing written). The
    /// counter may be dropped after `expires_at`.
    async fn increment_below(
        &self,
        key: &str,
        second: UnixSeconds,
        below: u32,
        expires_at: UnixSeconds,
    ) -> Result<Option<u32>, PortError>;
}

/// Result of [`JobStore::create`].
#[derive(Debug)]
pub enum CreateJob {
    Created,
    /// A job with that id already exists (a retried submission); here it is, as stored.
    Exists(Box<Job>),
}

/// Result of [`JobStore::claim`].
#[derive(Debug)]
pub enum Claim {
    /// The caller now holds the lease; here is the job as stored after the claim.
    Claimed(Box<Job>),
    /// Another worker holds a live lease (a duplicate delivery): acknowledge without work.
    HeldByOther,
    /// Completed or failed already: never reprocessed.
    Finished,
    Missing,
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Writes the job unless one with its id exists (one conditional write).
    async fn create(&self, job: &Job) -> Result<CreateJob, PortError>;
    async fn get(&self, job_id: Uuid) -> Result<Option<Job>, PortError>;
    /// Records that the queue accepted the job's message.
    async fn mark_enqueued(&self, job_id: Uuid, now: UnixSeconds) -> Result<(), PortError>;

    /// Deletes a job no worker ever touched (`queued`, never claimed): a submission whose
    /// send failed takes its job back, so its error answer leaves nothing behind. True when
    /// the job is gone (or never existed); false when a worker has claimed it.
    async fn withdraw(&self, job_id: Uuid) -> Result<bool, PortError>;

    /// One conditional write: `queued -> processing`, or a takeover of a `processing` job
    /// whose lease expired (`lease.until <= now`). Sets the lease to `owner` until
    /// `lease_until`, counts the claim and sets `updated_at = now`.
    async fn claim(
        &self,
        job_id: Uuid,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
    ) -> Result<Claim, PortError>;

    /// Stores `job` as given (progress, completion, failure), only while `owner` holds the
    /// lease of the stored job (`processing`, same owner). False when the lease was lost.
    async fn save_leased(&self, job: &Job, owner: &str) -> Result<bool, PortError>;

    /// Stores `job` (a failure decided without a lease) only if the stored job is still
    /// `queued`, or `processing` with a lease expired at `now`. False otherwise.
    async fn save_abandoned(&self, job: &Job, now: UnixSeconds) -> Result<bool, PortError>;

    /// Non-terminal jobs last updated at or before `updated_before`, oldest first: what the
    /// sweep inspects (stuck in `queued`, or `processing` with a dead worker).
    async fn list_stale(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError>;

    /// The outbox: terminal jobs whose events were not yet handed on (a job enters it in the
    /// very write that ends it, since `events_dispatched` is false until [`Self::mark_dispatched`]),
    /// last updated at or before `updated_before`, oldest first.
    async fn list_undispatched(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError>;

    /// The terminal job's events are on their way (deliveries enqueued, bus event put): it
    /// leaves the outbox. Changes nothing else of the job.
    async fn mark_dispatched(&self, job_id: Uuid) -> Result<(), PortError>;
}

/// The answer of [`IdempotencyStore::insert_with_job`].
#[derive(Debug)]
pub enum KeyInsert {
    /// The record and the job are written.
    Inserted,
    /// A live record holds the scope (nothing written): the protocol decides from it.
    Held(Box<IdempotencyRecord>),
    /// Another request is writing the same scope at this very moment (nothing written): the
    /// key is in use.
    Contended,
}

/// Storage primitives of the idempotency protocol; the protocol itself is
/// `idempotency::begin` and friends. Every method is a single conditional write.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Inserts `record` unless a record that has not expired (`expires_at > now`) holds its
    /// scope; in that case nothing is written and the holder is returned.
    async fn insert(
        &self,
        record: &IdempotencyRecord,
        now: UnixSeconds,
    ) -> Result<Option<IdempotencyRecord>, PortError>;

    /// [`Self::insert`] together with `job` (a new id) in one atomic write: the key is claimed
    /// and its job written, or neither. A submission's first round trip.
    async fn insert_with_job(
        &self,
        record: &IdempotencyRecord,
        job: &Job,
        now: UnixSeconds,
    ) -> Result<KeyInsert, PortError>;

    /// Gives an in-progress record to a new owner, only if `previous_token` still owns it.
    async fn take_over(
        &self,
        scope: &IdempotencyScope,
        previous_token: &str,
        new_token: &str,
        lock_until: UnixSeconds,
    ) -> Result<bool, PortError>;

    /// Stores the final response, only if `token` owns the in-progress record.
    async fn complete(
        &self,
        scope: &IdempotencyScope,
        token: &str,
        response: &StoredResponse,
        expires_at: UnixSeconds,
    ) -> Result<bool, PortError>;

    /// Ends the lock at once but keeps the record (the job it names may exist already).
    async fn release(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError>;

    /// Deletes an in-progress record owned by `token` (the attempt stored nothing else).
    async fn remove(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError>;
}

#[async_trait]
pub trait BrandStore: Send + Sync {
    /// The brand, only if it belongs to `org_id`.
    async fn get(&self, org_id: Uuid, brand_id: Uuid) -> Result<Option<Brand>, PortError>;
    /// Writes (or replaces) the brand.
    async fn put(&self, brand: &Brand) -> Result<(), PortError>;
    /// The organisation's brands, newest first (`created_at`, then id), skipping `offset`,
    /// at most `limit`; with the organisation's total.
    async fn list(&self, org_id: Uuid, limit: usize, offset: usize)
    -> Result<BrandPage, PortError>;
    /// Removes the brand if it belongs to `org_id`; false when there was none.
    async fn delete(&self, org_id: Uuid, brand_id: Uuid) -> Result<bool, PortError>;
}

/// Webhook endpoints (spec §5). Every write of a change is conditional on the version the
/// change was made from (`endpoint.version - 1`), so concurrent changes never overwrite each
/// other silently.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Writes a new endpoint.
    async fn create(&self, endpoint: &Endpoint) -> Result<(), PortError>;
    /// The endpoint, only if it belongs to `org_id`.
    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<Endpoint>, PortError>;
    /// The organisation's endpoints, newest first, skipping `offset`, at most `limit`.
    async fn list(
        &self,
        org_id: Uuid,
        limit: usize,
        offset: usize,
    ) -> Result<EndpointPage, PortError>;
    /// Stores the changed endpoint only over version `endpoint.version - 1`; false otherwise.
    async fn update(&self, endpoint: &Endpoint) -> Result<bool, PortError>;
    /// Removes the endpoint if it belongs to `org_id`; false when there was none.
    async fn delete(&self, org_id: Uuid, id: Uuid) -> Result<bool, PortError>;
}

/// Result of [`DeliveryStore::create`].
#[derive(Debug)]
pub enum CreateDelivery {
    Created,
    /// The delivery exists (an outbox drained again); here it is, as stored.
    Exists(Box<Delivery>),
}

/// Webhook deliveries and their attempts (the delivery log of spec §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveriesOf {
    Endpoint(Uuid),
    Job(Uuid),
}

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Writes the delivery unless one with its id exists.
    async fn create(&self, delivery: &Delivery) -> Result<CreateDelivery, PortError>;
    /// The delivery, only if it belongs to `org_id`.
    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<Delivery>, PortError>;
    /// Stores the changed delivery only over version `delivery.version - 1`; false otherwise.
    async fn update(&self, delivery: &Delivery) -> Result<bool, PortError>;
    /// One endpoint's or one job's deliveries in `org_id`, newest first, skipping `offset`,
    /// at most `limit`, with the total.
    async fn list(
        &self,
        org_id: Uuid,
        of: DeliveriesOf,
        limit: usize,
        offset: usize,
    ) -> Result<DeliveryPage, PortError>;
}

/// The delivery queue: each message is one scheduled attempt, held back by `delay` (at most
/// [`crate::webhooks::delivery::MAX_QUEUE_DELAY_SECONDS`]).
#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    async fn send(&self, message: &DeliveryMessage, delay: Duration) -> Result<(), PortError>;
}

/// One signed webhook request.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// When it is sent (its `webhook-timestamp`), copied into the [`Response`].
    pub sent_at: UnixSeconds,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

/// Sends webhook requests under the SSRF rules of spec §6 (checked on the resolved address),
/// without following redirects, within [`crate::webhooks::delivery::DELIVERY_TIMEOUT`]. Never
/// fails: a refused or broken attempt is a [`Response`] with an error.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn send(&self, request: &Outgoing) -> Response;
}

/// An event for the event bus (spec §10): `detail-type` and the JSON `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEvent {
    pub detail_type: &'static str,
    pub detail: String,
}

/// The EventBridge bus of the deployment (`source: adgen`). Absent in `adgen serve`.
#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, event: &BusEvent) -> Result<(), PortError>;
}

/// Intake (spec §10): where a queued request that failed validation goes (the intake DLQ),
/// with the error envelope of spec §1 in the `adgen-error` message attribute.
#[async_trait]
pub trait RejectQueue: Send + Sync {
    async fn reject(&self, body: &str, error_envelope: &str) -> Result<(), PortError>;
}

/// The message attribute of a rejected intake message that holds the error envelope.
pub const REJECT_ATTRIBUTE: &str = "adgen-error";

/// The generation queue's message: ids only, never images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMessage {
    pub job_id: Uuid,
    pub org_id: Uuid,
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn send(&self, message: &JobMessage) -> Result<(), PortError>;
}

/// One message as the queue delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Names this delivery to [`QueueConsumer::delete`] and [`QueueConsumer::redeliver_after`]
    /// (an SQS receipt handle).
    pub receipt: String,
    /// The body as sent; the worker reads it (an unreadable one is dropped, not retried).
    pub body: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
}

/// The receiving side of the generation queue. On AWS the Lambda event source receives and
/// deletes; the function still uses [`QueueConsumer::redeliver_after`] for retry backoff.
#[async_trait]
pub trait QueueConsumer: Send + Sync {
    /// Up to `max` waiting messages, each hidden from other receivers for `visibility`.
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Received>, PortError>;
    /// Removes a delivered message for good.
    async fn delete(&self, receipt: &str) -> Result<(), PortError>;
    /// Makes a delivered message visible again after `delay` (a retry's backoff).
    async fn redeliver_after(&self, receipt: &str, delay: Duration) -> Result<(), PortError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Bytes,
    pub content_type: String,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Writes (or overwrites) the object at `key`.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError>;
    async fn get(&self, key: &str) -> Result<Option<Blob>, PortError>;
    /// Removes the object at `key`; removing a missing object is no error.
    async fn delete(&self, key: &str) -> Result<(), PortError>;
    /// The size in bytes of the object at `key`, without reading it; `None` when absent.
    async fn size(&self, key: &str) -> Result<Option<u64>, PortError>;
    /// The first `len` bytes of the object at `key` (fewer when it is shorter; a ranged GET),
    /// never the whole of a large object; `None` when absent.
    async fn read_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>, PortError>;
    /// Copies the object at `from` to `to` (content type included) inside the store, without
    /// passing the bytes through the caller. False when `from` is absent.
    async fn copy(&self, from: &str, to: &str) -> Result<bool, PortError>;
}

/// Upload records (spec §11; rules in `crate::uploads`). Ids are random, so the record is
/// found by id alone and its `org_id` is checked by the caller.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// Writes a new, pending upload; it may be dropped after [`Upload::expires_at`].
    async fn create(&self, upload: &Upload) -> Result<(), PortError>;
    /// The record; one past its lifetime may still be returned (TTL deletes lazily): the
    /// caller judges expiry.
    async fn get(&self, id: UploadId) -> Result<Option<Upload>, PortError>;
    /// One conditional write: a pending upload (or one `by` used already) becomes used by
    /// `by`. False when it is missing or another job or brand used it.
    async fn consume(&self, id: UploadId, by: Uuid) -> Result<bool, PortError>;
    /// Takes back [`UploadStore::consume`] for a submission that failed: used by `by` becomes
    /// pending again; anything else is left alone.
    async fn release(&self, id: UploadId, by: Uuid) -> Result<(), PortError>;
}

/// Where a client PUTs an upload's bytes: a presigned S3 PUT bound to the upload's content
/// type and length, or the local server's own route.
#[async_trait]
pub trait UploadTarget: Send + Sync {
    /// A URL taking one PUT of exactly `upload.size_bytes` bytes with `Content-Type:
    /// upload.content_type`, to `upload.object_key()`, until `upload.url_expires_at()`.
    async fn put_url(&self, upload: &Upload) -> Result<String, PortError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> UnixSeconds;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixSeconds {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as UnixSeconds)
            .unwrap_or(0)
    }
}

/// Turns a stored result image's key into a URL a client can fetch without credentials,
/// minted at read time (presigned S3 GET, a public base URL, or the local server's file route).
#[async_trait]
pub trait ImageLinks: Send + Sync {
    async fn url(&self, key: &str) -> Result<String, PortError>;
}

/// Why a generator produced no image.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A safety refusal; the reason is safe to show the client.
    #[error("the image model refused the request: {0}")]
    Blocked(String),
    #[error("the image model returned no image")]
    Empty,
    /// Worth retrying later (429/5xx after backoff, timeouts, broken answers).
    #[error("the image provider is unavailable: {0}")]
    Unavailable(String),
    /// Our request was refused for good (bad request, unknown model); details for logs only.
    #[error("the image provider rejected the request: {0}")]
    Rejected(String),
    /// The provider answered a request we built with a 4xx: `code` is its error code
    /// (OpenAI's `code`, Gemini's `status`), recorded in the job's diagnostics.
    #[error("the image provider refused the request (HTTP {status}, {}): {message}", code.as_deref().unwrap_or("no code"))]
    RequestRefused {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// The provider refused our account: its quota is used up, or the key is invalid or not
    /// allowed. No retry helps until an operator acts; details for logs only.
    #[error("the image provider refused the account ({}): {detail}", issue.as_str())]
    AccountRefused { issue: AccountIssue, detail: String },
}

/// Why a provider refused the account itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountIssue {
    /// Billing quota or a daily limit used up (`insufficient_quota`, a per-day
    /// `RESOURCE_EXHAUSTED`).
    Quota,
    /// The key is invalid, revoked, or lacks access (401, 403).
    Authentication,
}

impl AccountIssue {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountIssue::Quota => "quota",
            AccountIssue::Authentication => "authentication",
        }
    }
}

/// Fetches a reference image by URL under the SSRF rules of spec §6. The error is a short,
/// client-safe reason (it reaches the job's message).
#[async_trait]
pub trait ReferenceFetcher: Send + Sync {
    async fn fetch(&self, url: &str) -> Result<Bytes, String>;
}

/// What a generator works from.
pub struct GenerationInput<'a> {
    pub brief: &'a CreativeBrief,
    /// Decoded references, in request order.
    pub references: &'a [Pixels],
    /// The brand's logo, decoded (transparent where the logo is), when the brand has one.
    pub logo: Option<&'a Pixels>,
    pub colours: Colours,
    pub output: OutputApplied,
    pub thinking_intensity: ThinkingIntensity,
}

/// A generator's output: pixels (the template renderer, already at the exact size) or an
/// encoded image from a hosted provider (post-processed to the exact size and format).
pub enum Generated {
    /// The template renderer's ad, and how it fitted each block of copy.
    Pixels {
        pixels: Pixels,
        text_fit: Vec<TextFit>,
    },
    Encoded(Bytes),
}

/// The size a reference is decoded to, keeping its aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceFit {
    /// The smallest size that covers `width`×`height` (the cell it will be cropped into).
    Cover { width: u32, height: u32 },
    /// The largest size whose longer side is at most `side` (an upload's limit).
    Within { side: u32 },
}

/// The generation seam: the offline template renderer or a hosted provider.
#[async_trait]
pub trait ImageGenerator: Send + Sync {
    /// Recorded as the job's `provider`.
    fn name(&self) -> &'static str;
    /// What each of `count` references must be decoded to for an `output` ad: the worker
    /// decodes them straight to it, so no reference is held larger than its use (the memory
    /// of a job is bounded by its cells, not by its references' megapixels). By default, the
    /// whole output; the template and hosted generators know better.
    fn reference_fit(&self, output: &OutputApplied, count: usize) -> ReferenceFit {
        let _ = count;
        ReferenceFit::Cover {
            width: output.width,
            height: output.height,
        }
    }
    async fn generate(&self, input: &GenerationInput<'_>) -> Result<Generated, GenerateError>;
}

/// Why an image could not be decoded or encoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    /// Not a PNG, JPEG or WebP (judged by content), or a variant of one the codecs do not
    /// handle (e.g. an animated WebP's features, a 12-bit JPEG).
    #[error("unsupported image format")]
    Unsupported,
    /// The bytes claim to be an image but are corrupt or truncated.
    #[error("invalid image: {0}")]
    Invalid(String),
    /// Decoding would exceed the configured dimensions, pixel count or memory.
    #[error("image exceeds the decoding limits")]
    LimitsExceeded,
    /// The encoder refused the pixels (e.g. a side above 65535 for JPEG).
    #[error("encoding failed: {0}")]
    Encode(String),
    /// An SVG document we will not rasterise (a script, an external reference, too large or
    /// too complex). The text is safe to show the client.
    #[error("{0}")]
    Refused(String),
    /// Not even the floor quality brought the file within the byte budget.
    #[error("{smallest} bytes at the floor quality, over the budget of {max_bytes}")]
    BudgetUnmet { max_bytes: u32, smallest: usize },
}

/// A finished image: the file and the quality it was encoded at (JPEG and WebP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub bytes: Bytes,
    pub quality: Option<u8>,
}

/// A logo made ready to store and draw: always a PNG (an SVG rasterised, a raster logo
/// re-encoded after it decoded within the limits), at most [`MAX_LOGO_SIDE`] a side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedLogo {
    pub png: Bytes,
    pub width: u32,
    pub height: u32,
    /// What the client or the site sent.
    pub source_format: LogoFormat,
}

/// The longest side of a prepared logo: ample for a 4K ad, where a logo takes a fraction
/// of the short side.
pub const MAX_LOGO_SIDE: u32 = 1024;

/// The image pipeline the worker drives: decoding under the adapter's limits, colour analysis,
/// and bringing an image to its exact size and format. Synchronous and CPU-bound; the worker
/// decides where it runs. Pixels cross this seam as the domain's [`Pixels`], so nothing above
/// it depends on a codec crate.
pub trait ImageCodec: Send + Sync {
    /// A reference image (or logo), shrunk while decoding to `fit`: never larger than what it
    /// will be used at, and never enlarged.
    fn decode_reference(&self, bytes: &[u8], fit: ReferenceFit) -> Result<Pixels, ImageError>;
    /// An image at its own size (a provider's answer).
    fn decode(&self, bytes: &[u8]) -> Result<Pixels, ImageError>;
    /// A palette from the references' colours (used when the brand gives none).
    fn palette(&self, references: &[Pixels]) -> Colours;
    /// `pixels` at exactly `width`×`height` (scaled to cover, overflow cropped evenly),
    /// encoded as `encoding` says: under a byte budget, by the rule of
    /// [`fit_budget`](crate::contract::output::fit_budget).
    fn finish(
        &self,
        pixels: Pixels,
        width: u32,
        height: u32,
        encoding: Encoding,
    ) -> Result<Finished, ImageError>;
    /// A JPEG copy no longer than `max_side` on either side, for upload to a hosted model.
    fn encode_for_upload(&self, pixels: &Pixels, max_side: u32) -> Result<Bytes, ImageError>;
    /// A logo (PNG, JPEG, WebP or SVG, judged by content) checked, decoded under the limits
    /// and made a PNG no larger than [`MAX_LOGO_SIDE`]; SVG is rasterised without scripts
    /// or external references, and refused when oversize.
    fn prepare_logo(&self, bytes: &[u8]) -> Result<PreparedLogo, ImageError>;
}

/// What the site fetcher is asked for; each kind has its own size cap and accepted types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteResource {
    Page,
    Stylesheet,
    Manifest,
    /// A logo or icon candidate.
    Image,
}

/// One document of a site as fetched (after any redirects, each re-checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDocument {
    /// Where it was finally found: relative links in it resolve against this.
    pub url: String,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// Fetches a brand's website under the rules of spec §6: public addresses only, redirects
/// re-checked, bytes and time capped per resource. The error is a short client-safe reason.
#[async_trait]
pub trait SiteFetcher: Send + Sync {
    async fn fetch(&self, url: &str, resource: SiteResource) -> Result<SiteDocument, String>;
}

/// Tells a long-poll when to look at a job again: on AWS after a paced delay (polling), in
/// `adgen serve` when the store reports a write to the job (notification).
pub trait JobWatcher: Send + Sync {
    fn watch(&self, job_id: Uuid) -> Box<dyn JobWatch>;
}

#[async_trait]
pub trait JobWatch: Send {
    /// Returns when the job may have changed, or at `until`. `last` is the job as last read.
    async fn changed(&mut self, last: &Job, until: tokio::time::Instant);
}

/// One adapter set's stores, queue and links (AWS, or embedded in `adgen serve`), built once
/// per cold start and handed to every service's constructor. A function uses the parts its
/// routes need; building an unused part opens no connection.
#[derive(Clone)]
pub struct Adapters {
    pub keys: Arc<dyn ApiKeyStore>,
    pub rate_limits: Arc<dyn RateLimitStore>,
    pub jobs: Arc<dyn JobStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub brands: Arc<dyn BrandStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    pub queue: Arc<dyn Queue>,
    pub consumer: Arc<dyn QueueConsumer>,
    pub delivery_queue: Arc<dyn DeliveryQueue>,
    /// The receiving side of the delivery queue (the in-process loop of `adgen serve`; on AWS
    /// the deliver function's event source).
    pub delivery_consumer: Arc<dyn QueueConsumer>,
    /// The EventBridge bus; none in `adgen serve`.
    pub bus: Option<Arc<dyn EventBus>>,
    pub blobs: Arc<dyn BlobStore>,
    pub links: Arc<dyn ImageLinks>,
    pub watcher: Arc<dyn JobWatcher>,
    pub uploads: Arc<dyn UploadStore>,
    pub upload_target: Arc<dyn UploadTarget>,
}
