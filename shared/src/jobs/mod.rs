//! The job record (`ad_generation` and `brand_extraction`), its statuses and phases (spec §4,
//! §7). Both kinds share one record, one queue, one worker and one set of guarantees; what
//! differs is the work they carry ([`Work`]). A job only moves
//! forward (queued → processing → completed | failed; a queued job may fail at once): the
//! stores enforce it, since every change is a conditional write (`JobStore::claim`,
//! `save_leased`, `save_abandoned`) that the contract suite runs on both adapter sets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixSeconds;
use crate::contract::output::{OutputApplied, OutputRequest};

/// What a job does; `type` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    AdGeneration,
    BrandExtraction,
}

impl JobType {
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::AdGeneration => "ad_generation",
            JobType::BrandExtraction => "brand_extraction",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Processing,
    Completed,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            JobStatus::Queued,
            JobStatus::Processing,
            JobStatus::Completed,
            JobStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed)
    }
}

/// `payload.phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Queued,
    LoadingReferences,
    CompilingBrief,
    Generating,
    PostProcessing,
    /// Brand extraction: fetching the page, its stylesheets, manifest and logo candidates.
    FetchingSite,
    /// Brand extraction: reading the evidence and deciding each field.
    ReadingBrand,
    Storing,
    Completed,
    Failed,
}

impl Phase {
    /// The wire name (`payload.phase`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::LoadingReferences => "loading_references",
            Phase::CompilingBrief => "compiling_brief",
            Phase::Generating => "generating",
            Phase::PostProcessing => "post_processing",
            Phase::FetchingSite => "fetching_site",
            Phase::ReadingBrand => "reading_brand",
            Phase::Storing => "storing",
            Phase::Completed => "completed",
            Phase::Failed => "failed",
        }
    }
}

/// `payload.failure_code` of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    ReferenceInputInvalid,
    BrandNotFound,
    GenerationBlocked,
    GenerationEmpty,
    ProviderUnavailable,
    BudgetExceeded,
    /// The finished image does not fit `output.max_bytes` even at the floor quality.
    OutputBudgetUnmet,
    InternalStepFailed,
    /// Brand extraction: the site could not be fetched (spec §7).
    SiteUnreachable,
    /// Brand extraction: the site answered, but with nothing a brand can be read from.
    SiteInvalid,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::ReferenceInputInvalid => "reference_input_invalid",
            FailureCode::BrandNotFound => "brand_not_found",
            FailureCode::GenerationBlocked => "generation_blocked",
            FailureCode::GenerationEmpty => "generation_empty",
            FailureCode::ProviderUnavailable => "provider_unavailable",
            FailureCode::BudgetExceeded => "budget_exceeded",
            FailureCode::OutputBudgetUnmet => "output_budget_unmet",
            FailureCode::InternalStepFailed => "internal_step_failed",
            FailureCode::SiteUnreachable => "site_unreachable",
            FailureCode::SiteInvalid => "site_invalid",
        }
    }
}

/// Where the worker finds a reference image: a client URL (fetched under the SSRF rules)
/// or an inline image the submission staged in the blob store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReferenceSource {
    Url { url: String },
    Staged { key: String },
}

/// `payload.input`: a summary of the request, echoed to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JobInput {
    Generation(AdInput),
    Extraction(ExtractionInput),
}

/// `payload.input` of a brand extraction: the site as the client named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractionInput {
    pub url: String,
}

/// `payload.input` of an ad generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdInput {
    pub prompt: String,
    pub reference_image_count: usize,
    pub has_brand_id: bool,
    pub has_brand_identity_json: bool,
    pub output: OutputRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobPayload {
    pub phase: Phase,
    pub input: JobInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_applied: Option<OutputApplied>,
    /// Minted per read for completed jobs (never stored: a stored URL would go stale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<FailureCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Brand extraction: the brand written (also in `result_url` as `brands/<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<Uuid>,
}

/// What the worker does for a job; never shown to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    Generation(GenerationWork),
    Extraction(ExtractionWork),
}

/// A brand extraction's work: the site to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractionWork {
    /// The validated URL of the page to start from.
    pub url: String,
    /// The brand's domain (the URL's host without `www.`): which brand the result updates.
    pub domain: String,
}

/// What the worker needs to produce the image; never shown to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationWork {
    pub prompt: String,
    pub references: Vec<ReferenceSource>,
    /// Set when the client sent `brand_id` (it wins over an inline identity).
    pub brand_id: Option<Uuid>,
    /// The inline `brand_identity_json`, kept only when no `brand_id` was sent.
    pub brand_identity: Option<serde_json::Map<String, serde_json::Value>>,
    pub output: OutputRequest,
}

/// The stored job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: Uuid,
    pub org_id: Uuid,
    pub status: JobStatus,
    pub client_reference_id: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub payload: JobPayload,
    pub result_url: Option<String>,
    pub error_log: Option<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
    pub work: Work,
    /// True once the job's message is sent or about to be. A submission writes its job enqueued
    /// (the send follows at once, and a failed send withdraws the job); a writer that enqueues
    /// afterwards (brand extraction) writes false and marks it after the send. The sweep sends
    /// a job still false after a minute; a lost message either way is its stuck-job rule's.
    pub enqueued: bool,
    /// The worker currently allowed to change the job (set while `processing`).
    #[serde(default)]
    pub lease: Option<JobLease>,
    /// How many times a worker claimed the job (first claim and takeovers of expired leases).
    #[serde(default)]
    pub claims: u32,
    /// What the worker did, for `expand=diagnostics`.
    #[serde(default)]
    pub diagnostics: Diagnostics,
    /// False until a terminal job's events were handed on: a terminal job with this false is
    /// in the outbox, from the very write that ended it (spec §5, §10).
    #[serde(default)]
    pub events_dispatched: bool,
}

/// A worker's exclusive, time-limited right to process a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobLease {
    pub owner: String,
    pub until: UnixSeconds,
}

/// The worker's record of one job: the compiled brief, the provider and per-step timings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brief: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The provider's answer to a request it refused (`HTTP 400 invalid_value`): its status
    /// and error code, never its message (which may quote the prompt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_error: Option<String>,
    #[serde(default)]
    pub steps: Vec<StepTiming>,
    /// Brand extraction: every fetch and its outcome, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetches: Vec<String>,
    /// The language the copy was planned in (BCP 47), detected from the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The template renderer: how each block of copy was fitted into its box.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_fit: Vec<TextFit>,
}

/// How the template renderer set one block of copy (spec §4, `payload.diagnostics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFit {
    /// `headline`, `supporting_line` or `call_to_action`.
    pub block: TextBlock,
    /// The face most of the block's glyphs are drawn from.
    pub font: String,
    /// Other faces characters fell back to (another script, emoji).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback_fonts: Vec<String>,
    /// Font size (em) in pixels, to a tenth.
    pub px: f64,
    pub lines: u32,
    /// Cut at a word boundary with an ellipsis to fit.
    pub shortened: bool,
    /// A word had to be split across lines (only when it alone is wider than its box).
    #[serde(default)]
    pub split_word: bool,
    /// Characters no embedded font has (left out of the image).
    #[serde(default)]
    pub missing_glyphs: u32,
    /// The lowest WCAG contrast of the block's colour against what is behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<f64>,
}

// The renderer reports finite, rounded numbers and JSON has no NaN, so equality is total.
impl Eq for TextFit {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextBlock {
    Headline,
    SupportingLine,
    CallToAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTiming {
    pub phase: Phase,
    pub millis: u64,
}

/// The job as clients see it (`data` of `GET /api/v1/jobs/{id}`).
#[derive(Debug, Clone, Serialize)]
pub struct JobView<'a> {
    pub id: Uuid,
    pub object: &'static str,
    #[serde(rename = "type")]
    pub job_type: JobType,
    pub status: JobStatus,
    pub client_reference_id: &'a Option<String>,
    pub metadata: &'a Option<BTreeMap<String, String>>,
    pub payload: &'a JobPayload,
    pub result_url: &'a Option<String>,
    pub error_log: &'a Option<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

impl Job {
    /// A new job in `queued`, not yet enqueued, with nothing done.
    pub fn queued(id: Uuid, org_id: Uuid, input: JobInput, work: Work, now: UnixSeconds) -> Self {
        Job {
            id,
            org_id,
            status: JobStatus::Queued,
            client_reference_id: None,
            metadata: None,
            payload: JobPayload {
                phase: Phase::Queued,
                input,
                output_applied: None,
                image_url: None,
                provider: None,
                failure_code: None,
                message: None,
                brand_id: None,
            },
            result_url: None,
            error_log: None,
            created_at: now,
            updated_at: now,
            work,
            enqueued: false,
            lease: None,
            claims: 0,
            diagnostics: Diagnostics::default(),
            events_dispatched: false,
        }
    }

    pub fn job_type(&self) -> JobType {
        match self.work {
            Work::Generation(_) => JobType::AdGeneration,
            Work::Extraction(_) => JobType::BrandExtraction,
        }
    }

    /// The generation work, for an `ad_generation` job.
    pub fn generation(&self) -> Option<&GenerationWork> {
        match &self.work {
            Work::Generation(work) => Some(work),
            Work::Extraction(_) => None,
        }
    }

    /// Where the result image of a completed job is stored: deterministic per job, so a re-run
    /// overwrites instead of duplicating.
    pub fn result_key(&self) -> Option<String> {
        let format = self.payload.output_applied?.format;
        Some(format!(
            "ads/{}/{}.{}",
            self.org_id,
            self.id,
            format.extension()
        ))
    }

    pub fn view(&self) -> JobView<'_> {
        JobView {
            id: self.id,
            object: "job",
            job_type: self.job_type(),
            status: self.status,
            client_reference_id: &self.client_reference_id,
            metadata: &self.metadata,
            payload: &self.payload,
            result_url: &self.result_url,
            error_log: &self.error_log,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JobStatus::*;
    use super::*;

    #[test]
    fn terminal_statuses() {
        assert!(Completed.is_terminal() && Failed.is_terminal());
        assert!(!Queued.is_terminal() && !Processing.is_terminal());
    }

    #[test]
    fn status_round_trips_through_text() {
        for s in [Queued, Processing, Completed, Failed] {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobStatus::parse("done"), None);
    }
}
