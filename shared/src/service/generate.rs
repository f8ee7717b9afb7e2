//! Processing a queued job (spec §4, §6): claim with a lease, load references, resolve the
//! brand, compile the brief, generate, post-process to the exact size and format, store, and
//! finish — every change conditional on the lease, so a duplicate delivery does no work and a
//! crashed worker's job is taken over once its lease expires.

use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

use bytes::Bytes;
use uuid::Uuid;

use crate::brands::BrandLogo;
use crate::brief::{self, BrandIdentity, ReferenceSummary};
use crate::contract::output::{BUDGET_FLOOR_QUALITY, Encoding, OutputApplied};
use crate::jobs::{
    FailureCode, GenerationWork, Job, JobLease, JobStatus, Phase, ReferenceSource, StepTiming, Work,
};
use crate::pixels::{Colours, Pixels};
use crate::ports::{
    Adapters, BlobStore, BrandStore, Claim, Clock, Finished, GenerateError, Generated,
    GenerationInput, ImageCodec, ImageError, ImageGenerator, JobMessage, JobStore, PortError,
    QueueConsumer, Received, ReferenceFetcher, ReferenceFit, SiteFetcher, SiteResource,
};
use crate::service::events::Outbox;

/// What the caller does with the message that carried the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Done with it (completed, failed for good, duplicate, or nothing to do): delete it.
    Acknowledge,
    /// A transient failure: leave it for redelivery.
    Retry,
}

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// How long a claim holds; longer than one attempt can take.
    pub lease_seconds: i64,
    /// Deliveries after which a transient failure fails the job instead of retrying.
    pub max_receives: u32,
}

/// The worker's seams beyond the stores: where references come from, what generates the
/// image, and the image pipeline (decoding under its limits, exact size and format).
#[derive(Clone)]
pub struct WorkerParts {
    pub fetcher: Arc<dyn ReferenceFetcher>,
    /// Brand websites and remote logos (brand extraction, spec §7).
    pub site: Arc<dyn SiteFetcher>,
    pub generator: Arc<dyn ImageGenerator>,
    pub codec: Arc<dyn ImageCodec>,
}

pub struct Worker {
    pub jobs: Arc<dyn JobStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub brands: Arc<dyn BrandStore>,
    pub fetcher: Arc<dyn ReferenceFetcher>,
    pub site: Arc<dyn SiteFetcher>,
    pub generator: Arc<dyn ImageGenerator>,
    pub codec: Arc<dyn ImageCodec>,
    pub clock: Arc<dyn Clock>,
    pub settings: WorkerSettings,
    /// Hands on a finished job's events (spec §5, §10).
    pub outbox: Outbox,
}

/// The brand a generation uses: what the brief and the colours read, and the logo.
struct ResolvedBrand {
    identity: BrandIdentity,
    logo: Option<BrandLogo>,
}

/// Why an attempt stopped before completing.
pub(super) enum Stop {
    /// Fail the job with this code and client-safe message.
    Fail(FailureCode, String),
    /// Try again later (unless this was the last delivery).
    Transient(String),
    /// The lease was lost to another worker: it owns the job now.
    LeaseLost,
}

impl From<PortError> for Stop {
    fn from(e: PortError) -> Self {
        Stop::Transient(e.to_string())
    }
}

/// The job being worked on, with its lease and the clock of the current step.
pub(super) struct Attempt<'a> {
    worker: &'a Worker,
    pub(super) job: Job,
    owner: String,
    step_started: Instant,
    /// Set once a write ending the job (completed or failed) was stored.
    ended: bool,
}

impl Attempt<'_> {
    /// Records the end of the current step and moves to `next`, with one conditional write.
    pub(super) async fn enter(&mut self, next: Phase) -> Result<(), Stop> {
        let previous = self.job.payload.phase;
        let millis = self.step_started.elapsed().as_millis() as u64;
        tracing::info!(
            phase = next.as_str(),
            previous = previous.as_str(),
            previous_ms = millis,
            "phase"
        );
        self.close_step();
        self.job.payload.phase = next;
        self.save().await
    }

    /// Records the time spent in the current phase; the claim itself (`queued`) is no step.
    pub(super) fn close_step(&mut self) {
        let millis = self.step_started.elapsed().as_millis() as u64;
        let phase = self.job.payload.phase;
        if phase != Phase::Queued {
            self.job
                .diagnostics
                .steps
                .push(StepTiming { phase, millis });
        }
        self.step_started = Instant::now();
    }

    pub(super) async fn save(&mut self) -> Result<(), Stop> {
        self.job.updated_at = self.worker.clock.now();
        if self.worker.jobs.save_leased(&self.job, &self.owner).await? {
            self.ended = self.job.status.is_terminal();
            Ok(())
        } else {
            Err(Stop::LeaseLost)
        }
    }
}

impl Worker {
    /// The worker over one adapter set and its outbound and image parts.
    pub fn new(
        adapters: &Adapters,
        parts: WorkerParts,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            jobs: adapters.jobs.clone(),
            blobs: adapters.blobs.clone(),
            brands: adapters.brands.clone(),
            fetcher: parts.fetcher,
            site: parts.site,
            generator: parts.generator,
            codec: parts.codec,
            outbox: Outbox::new(adapters, clock.clone()),
            clock,
            settings,
        }
    }

    /// Handles one delivery of `message`; `receive_count` is the delivery's number (1-based).
    pub async fn process(&self, message: JobMessage, receive_count: u32) -> Disposition {
        let owner = Uuid::new_v4().to_string();
        let now = self.clock.now();
        let claim = self
            .jobs
            .claim(
                message.job_id,
                &owner,
                now,
                now + self.settings.lease_seconds,
            )
            .await;
        let job = match claim {
            Ok(Claim::Claimed(job)) => *job,
            Ok(Claim::HeldByOther | Claim::Finished | Claim::Missing) => {
                tracing::info!(job_id = %message.job_id, "nothing to do for this delivery");
                return Disposition::Acknowledge;
            }
            Err(e) => {
                tracing::warn!(job_id = %message.job_id, error = %e, "claim failed");
                return Disposition::Retry;
            }
        };
        if job.org_id != message.org_id {
            tracing::error!(job_id = %job.id, "message names another organisation; ignored");
            return Disposition::Acknowledge;
        }
        crate::metrics::job_claimed(&job, now);
        let final_delivery = receive_count >= self.settings.max_receives;
        let mut attempt = Attempt {
            worker: self,
            job,
            owner,
            step_started: Instant::now(),
            ended: false,
        };
        // Every line about this job carries its id, organisation and type.
        let span = tracing::info_span!(
            "job",
            job_id = %attempt.job.id,
            org_id = %attempt.job.org_id,
            job_type = attempt.job.job_type().as_str(),
            receive_count,
        );
        async {
            let disposition = self
                .attempt(&mut attempt, final_delivery, receive_count)
                .await;
            if attempt.ended {
                crate::metrics::job_finished(&attempt.job);
            }
            if attempt.ended
                && let Err(e) = self.outbox.dispatch(&attempt.job).await
            {
                // The job is in the outbox still: the sweep dispatches it.
                tracing::warn!(job_id = %attempt.job.id, error = %e, "events not dispatched yet");
            }
            disposition
        }
        .instrument(span)
        .await
    }

    async fn attempt(
        &self,
        attempt: &mut Attempt<'_>,
        final_delivery: bool,
        receive_count: u32,
    ) -> Disposition {
        match self.run(attempt).await {
            Ok(()) => Disposition::Acknowledge,
            Err(Stop::LeaseLost) => {
                tracing::warn!(job_id = %attempt.job.id, "lease lost; the new holder finishes the job");
                Disposition::Acknowledge
            }
            Err(Stop::Fail(code, message)) => self.fail(attempt, code, message).await,
            Err(Stop::Transient(cause)) if final_delivery => {
                tracing::error!(job_id = %attempt.job.id, %cause, "transient failure on the last delivery");
                let code = if attempt.job.payload.phase == Phase::Generating {
                    FailureCode::ProviderUnavailable
                } else {
                    FailureCode::InternalStepFailed
                };
                self.fail(attempt, code, failure_message(code).to_owned())
                    .await
            }
            Err(Stop::Transient(cause)) => {
                tracing::warn!(job_id = %attempt.job.id, %cause, receive_count, "transient failure; will retry");
                self.release(attempt).await;
                Disposition::Retry
            }
        }
    }

    async fn run(&self, attempt: &mut Attempt<'_>) -> Result<(), Stop> {
        match attempt.job.work.clone() {
            Work::Generation(work) => self.generate(attempt, work).await,
            Work::Extraction(work) => self.extract(attempt, work).await,
        }
    }

    async fn generate(&self, attempt: &mut Attempt<'_>, work: GenerationWork) -> Result<(), Stop> {
        attempt.enter(Phase::LoadingReferences).await?;
        let output = work.output.apply(&work.prompt);
        let references = self.load_references(&work.references, &output).await?;
        let brand = self.resolve_brand(attempt.job.org_id, &work).await?;
        let logo = match &brand {
            Some(brand) => self.load_logo(brand, &output).await,
            None => None,
        };
        let brand = brand.map(|b| BrandIdentity {
            has_logo: logo.is_some(),
            ..b.identity
        });

        attempt.enter(Phase::CompilingBrief).await?;
        let summaries: Vec<ReferenceSummary> = references
            .iter()
            .map(|r| ReferenceSummary {
                width: r.width(),
                height: r.height(),
            })
            .collect();
        let creative = brief::compile(&work.prompt, brand.as_ref(), &output, &summaries);
        attempt.job.diagnostics.brief = Some(creative.text.clone());
        attempt.job.diagnostics.language = Some(creative.language.bcp47().to_owned());
        attempt.job.diagnostics.provider = Some(self.generator.name().to_owned());
        attempt.job.payload.output_applied = Some(output);

        attempt.enter(Phase::Generating).await?;
        let colours = colours(
            brand.as_ref(),
            cpu_bound(|| self.codec.palette(&references)),
        );
        let generated = self
            .generator
            .generate(&GenerationInput {
                brief: &creative,
                references: &references,
                logo: logo.as_ref(),
                colours,
                output,
                thinking_intensity: work.output.thinking_intensity(),
            })
            .await
            .map_err(|e| {
                if let GenerateError::RequestRefused { status, code, .. } = &e {
                    attempt.job.diagnostics.provider_error = Some(match code {
                        Some(code) => format!("HTTP {status} {code}"),
                        None => format!("HTTP {status}"),
                    });
                }
                generation_stop(self.generator.name(), e)
            })?;

        attempt.enter(Phase::PostProcessing).await?;
        let mut generated = generated;
        if let Generated::Pixels { text_fit, .. } = &mut generated {
            attempt.job.diagnostics.text_fit = std::mem::take(text_fit);
        }
        let finished = self.post_process(generated, &output, work.output.encoding(&output))?;
        attempt.job.payload.output_applied = Some(OutputApplied {
            quality: finished.quality,
            bytes: Some(finished.bytes.len() as u64),
            ..output
        });

        attempt.enter(Phase::Storing).await?;
        let key = attempt
            .job
            .result_key()
            .ok_or_else(|| Stop::Transient("output not recorded".into()))?;
        self.blobs
            .put(&key, finished.bytes, output.format.content_type())
            .await?;

        attempt.close_step();
        let job = &mut attempt.job;
        job.status = JobStatus::Completed;
        job.payload.phase = Phase::Completed;
        job.payload.provider = Some(self.generator.name().to_owned());
        job.result_url = Some(format!("ads/{}", job.id));
        job.lease = None;
        attempt.save().await?;
        tracing::info!(job_id = %attempt.job.id, "job completed");
        Ok(())
    }

    /// Fetches every reference at once (network waits overlap), then decodes them one by one
    /// (bounded memory), each shrunk while decoding to what the generator will use it at.
    async fn load_references(
        &self,
        sources: &[ReferenceSource],
        output: &OutputApplied,
    ) -> Result<Vec<Pixels>, Stop> {
        let fetches = sources
            .iter()
            .enumerate()
            .map(|(index, source)| self.reference_bytes(index, source));
        let all_bytes = futures_util::future::try_join_all(fetches).await?;
        let fit = self.generator.reference_fit(output, all_bytes.len());
        let mut images = Vec::with_capacity(all_bytes.len());
        for (index, bytes) in all_bytes.into_iter().enumerate() {
            let decoded = cpu_bound(|| self.codec.decode_reference(&bytes, fit)).map_err(|e| {
                // The decoder's own text stays in the logs (spec §1).
                tracing::info!(index, error = %e, "reference not decodable");
                reference_invalid(
                    index,
                    "could not be decoded as a PNG, JPEG or WebP image within the size limits",
                )
            })?;
            images.push(decoded);
        }
        Ok(images)
    }

    async fn reference_bytes(&self, index: usize, source: &ReferenceSource) -> Result<Bytes, Stop> {
        match source {
            ReferenceSource::Staged { key } => match self.blobs.get(key).await? {
                Some(blob) => Ok(blob.bytes),
                None => Err(reference_invalid(
                    index,
                    "is no longer available; submit the job again",
                )),
            },
            ReferenceSource::Url { url } => self.fetcher.fetch(url).await.map_err(|reason| {
                reference_invalid(index, &format!("could not be fetched: {reason}"))
            }),
        }
    }

    async fn resolve_brand(
        &self,
        org_id: Uuid,
        work: &GenerationWork,
    ) -> Result<Option<ResolvedBrand>, Stop> {
        if let Some(brand_id) = work.brand_id {
            return match self.brands.get(org_id, brand_id).await? {
                Some(brand) => Ok(Some(ResolvedBrand {
                    identity: BrandIdentity::from_dna(Some(&brand.name), &brand.brand_dna),
                    logo: brand.logo,
                })),
                None => Err(Stop::Fail(
                    FailureCode::BrandNotFound,
                    failure_message(FailureCode::BrandNotFound).into(),
                )),
            };
        }
        Ok(work.brand_identity.as_ref().map(|dna| ResolvedBrand {
            identity: BrandIdentity::from_dna(None, dna),
            logo: None,
        }))
    }

    /// The brand's logo, decoded. A logo that cannot be had (gone from the store, a remote
    /// URL that fails) costs the ad its logo, not the job: it is logged and left out.
    async fn load_logo(&self, brand: &ResolvedBrand, output: &OutputApplied) -> Option<Pixels> {
        let bytes = match brand.logo.as_ref()? {
            BrandLogo::Stored { key, .. } => match self.blobs.get(key).await {
                Ok(Some(blob)) => blob.bytes,
                Ok(None) => {
                    tracing::warn!(%key, "brand logo missing from the blob store; drawn without it");
                    return None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "brand logo not readable; drawn without it");
                    return None;
                }
            },
            BrandLogo::Remote { url } => match self.site.fetch(url, SiteResource::Image).await {
                Ok(document) => match cpu_bound(|| self.codec.prepare_logo(&document.bytes)) {
                    Ok(prepared) => prepared.png,
                    Err(e) => {
                        tracing::info!(error = %e, "remote brand logo unusable; drawn without it");
                        return None;
                    }
                },
                Err(reason) => {
                    tracing::info!(%reason, "remote brand logo not fetched; drawn without it");
                    return None;
                }
            },
        };
        // A logo never needs more pixels than the output's short side.
        let fit = ReferenceFit::Within {
            side: output.width.min(output.height),
        };
        match cpu_bound(|| self.codec.decode_reference(&bytes, fit)) {
            Ok(pixels) => Some(pixels),
            Err(e) => {
                tracing::warn!(error = %e, "brand logo not decodable; drawn without it");
                None
            }
        }
    }

    /// The generator's output at exactly the applied size, encoded in the applied format.
    fn post_process(
        &self,
        generated: Generated,
        output: &OutputApplied,
        encoding: Encoding,
    ) -> Result<Finished, Stop> {
        let failed = |e: ImageError| match e {
            ImageError::BudgetUnmet {
                max_bytes,
                smallest,
            } => {
                tracing::info!(max_bytes, smallest, "output over its byte budget");
                Stop::Fail(
                    FailureCode::OutputBudgetUnmet,
                    format!(
                        "the image does not fit output.max_bytes ({max_bytes} bytes): at quality \
                         {BUDGET_FLOOR_QUALITY}, the lowest allowed, it takes {smallest} bytes"
                    ),
                )
            }
            e => {
                tracing::error!(error = %e, "post-processing failed");
                Stop::Fail(
                    FailureCode::InternalStepFailed,
                    failure_message(FailureCode::InternalStepFailed).into(),
                )
            }
        };
        let pixels = match generated {
            Generated::Pixels { pixels, .. } => pixels,
            Generated::Encoded(bytes) => cpu_bound(|| self.codec.decode(&bytes)).map_err(|e| {
                tracing::error!(error = %e, "provider image not decodable");
                Stop::Fail(
                    FailureCode::GenerationEmpty,
                    failure_message(FailureCode::GenerationEmpty).into(),
                )
            })?,
        };
        cpu_bound(|| {
            self.codec
                .finish(pixels, output.width, output.height, encoding)
        })
        .map_err(failed)
    }

    async fn fail(
        &self,
        attempt: &mut Attempt<'_>,
        code: FailureCode,
        message: String,
    ) -> Disposition {
        attempt.close_step();
        let job = &mut attempt.job;
        tracing::info!(job_id = %job.id, ?code, %message, "job failed");
        job.status = JobStatus::Failed;
        job.payload.phase = Phase::Failed;
        job.payload.failure_code = Some(code);
        job.error_log = Some(format!("{}: {message}", code.as_str()));
        job.payload.message = Some(message);
        job.lease = None;
        match attempt.save().await {
            Ok(()) | Err(Stop::LeaseLost) => Disposition::Acknowledge,
            Err(_) => Disposition::Retry,
        }
    }

    /// Gives the lease back at once so the redelivery can claim without waiting it out.
    async fn release(&self, attempt: &mut Attempt<'_>) {
        let now = self.clock.now();
        attempt.job.lease = Some(JobLease {
            owner: attempt.owner.clone(),
            until: now,
        });
        if let Err(Stop::Transient(cause)) = attempt.save().await {
            tracing::warn!(job_id = %attempt.job.id, %cause, "lease not released; it expires by itself");
        }
    }
}

/// Runs pixel work without stalling the runtime's other tasks where the runtime allows it
/// (multi-threaded); on a single-threaded runtime it simply runs.
pub fn cpu_bound<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

fn reference_invalid(index: usize, why: &str) -> Stop {
    Stop::Fail(
        FailureCode::ReferenceInputInvalid,
        format!("reference_images[{index}] {why}"),
    )
}

fn generation_stop(provider: &str, e: GenerateError) -> Stop {
    match e {
        GenerateError::Blocked(reason) => Stop::Fail(
            FailureCode::GenerationBlocked,
            format!("the image provider declined the request: {reason}"),
        ),
        GenerateError::Empty => Stop::Fail(
            FailureCode::GenerationEmpty,
            failure_message(FailureCode::GenerationEmpty).into(),
        ),
        GenerateError::Unavailable(cause) => Stop::Transient(cause),
        GenerateError::Rejected(cause) => {
            tracing::error!(%cause, "provider rejected the request");
            Stop::Fail(
                FailureCode::InternalStepFailed,
                failure_message(FailureCode::InternalStepFailed).into(),
            )
        }
        GenerateError::RequestRefused {
            status,
            code,
            message,
        } => {
            // Ours to fix: the request did not match what the provider takes.
            tracing::error!(provider, status, code = code.as_deref(), %message, "provider refused a request adgen built");
            Stop::Fail(
                FailureCode::InternalStepFailed,
                failure_message(FailureCode::InternalStepFailed).into(),
            )
        }
        GenerateError::AccountRefused { issue, detail } => {
            // The operator's to fix (billing, key); every job fails the same way until then.
            tracing::error!(
                provider,
                issue = issue.as_str(),
                %detail,
                "OPERATOR ACTION NEEDED: the image provider refused the account"
            );
            crate::metrics::provider_account_refused(provider, issue.as_str());
            Stop::Fail(
                FailureCode::ProviderUnavailable,
                failure_message(FailureCode::ProviderUnavailable).into(),
            )
        }
    }
}

/// Brand colours when the brand has them, else (and for what it lacks) `derived`, the palette
/// of the references.
fn colours(brand: Option<&BrandIdentity>, derived: Colours) -> Colours {
    match brand {
        Some(b) if b.background.is_some() || b.accent.is_some() || !b.palette.is_empty() => {
            Colours {
                background: b
                    .background
                    .or(b.palette.first().copied())
                    .unwrap_or(derived.background),
                accent: b
                    .accent
                    .or(b.palette.get(1).copied())
                    .unwrap_or(derived.accent),
                // The template keeps text legible on whatever ground it lands on.
                text: derived.text,
            }
        }
        _ => derived,
    }
}

/// The client-safe message of a failure whose details stay in the logs.
pub fn failure_message(code: FailureCode) -> &'static str {
    match code {
        FailureCode::ReferenceInputInvalid => "a reference image could not be used",
        FailureCode::BrandNotFound => "the brand no longer exists in your organisation",
        FailureCode::GenerationBlocked => "the image provider declined the request",
        FailureCode::GenerationEmpty => "the image provider returned no usable image",
        FailureCode::ProviderUnavailable => {
            "the image provider was unavailable; submit the job again later"
        }
        FailureCode::BudgetExceeded => "the generation budget was exceeded",
        FailureCode::OutputBudgetUnmet => {
            "the image does not fit output.max_bytes at any quality from 40 up"
        }
        FailureCode::InternalStepFailed => "an internal step failed; submit the job again",
        FailureCode::SiteUnreachable => "the website could not be fetched",
        FailureCode::SiteInvalid => "the website gave nothing a brand could be read from",
    }
}

/// A delivery to hand back to the queue, visible again after `delay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redelivery {
    pub receipt: String,
    pub delay: std::time::Duration,
}

/// How long a message waits before its next delivery after `receive_count` deliveries:
/// 30 s doubling to 15 min, so a provider outage is retried soon and then patiently.
pub fn retry_delay(receive_count: u32) -> std::time::Duration {
    const FIRST: u64 = 30;
    const MAX: u64 = 15 * 60;
    let doublings = receive_count.saturating_sub(1).min(10);
    std::time::Duration::from_secs((FIRST << doublings).min(MAX))
}

/// Processes a batch concurrently and returns the deliveries to hand back for redelivery.
/// Work still running at `deadline` is abandoned and handed back (its lease expires and the
/// redelivery takes the job over), and nothing starts after it, so the answer always goes out.
pub async fn process_batch(
    worker: &Worker,
    deliveries: Vec<Received>,
    deadline: tokio::time::Instant,
) -> Vec<Redelivery> {
    let work = deliveries.into_iter().map(|delivery| async move {
        let disposition = match serde_json::from_str::<JobMessage>(&delivery.body) {
            // Too late to start: returned untouched, for the next invocation.
            Ok(_) if tokio::time::Instant::now() >= deadline => Disposition::Retry,
            Ok(message) => {
                match tokio::time::timeout_at(deadline, worker.process(message, delivery.receive_count)).await {
                    Ok(disposition) => disposition,
                    Err(_) => {
                        tracing::warn!(job_id = %message.job_id, "deadline reached; leaving the message for redelivery");
                        Disposition::Retry
                    }
                }
            }
            Err(e) => {
                // A message we cannot read can never succeed: drop it rather than poison the queue.
                tracing::error!(receipt = %delivery.receipt, error = %e, "unreadable queue message dropped");
                Disposition::Acknowledge
            }
        };
        (delivery, disposition)
    });
    futures_util::future::join_all(work)
        .await
        .into_iter()
        .filter(|(_, d)| *d == Disposition::Retry)
        .map(|(delivery, _)| Redelivery {
            delay: retry_delay(delivery.receive_count),
            receipt: delivery.receipt,
        })
        .collect()
}

/// Receives one batch of up to `max` messages from `consumer`, processes it like a Lambda
/// batch, deletes what is done and hands the rest back with their backoff. Returns how many
/// messages the batch held. This is how `adgen serve` feeds its worker; on AWS the Lambda
/// event source receives and deletes instead.
pub async fn consume_once(
    consumer: &dyn QueueConsumer,
    worker: &Worker,
    max: usize,
) -> Result<usize, PortError> {
    let lease = std::time::Duration::from_secs(worker.settings.lease_seconds.max(1) as u64);
    // Hidden a little longer than a lease, as SQS's visibility timeout exceeds the worker's.
    let batch = consumer.receive(max, lease * 6 / 5).await?;
    let receipts: Vec<String> = batch.iter().map(|d| d.receipt.clone()).collect();
    let retries = process_batch(worker, batch, tokio::time::Instant::now() + lease).await;
    for receipt in &receipts {
        let result = match retries.iter().find(|r| r.receipt == *receipt) {
            Some(retry) => consumer.redeliver_after(receipt, retry.delay).await,
            None => consumer.delete(receipt).await,
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "queue update failed; the message returns after its visibility timeout");
        }
    }
    Ok(receipts.len())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::retry_delay;

    #[test]
    fn retries_back_off_from_30_s_to_15_min() {
        let delays: Vec<u64> = (1..=7).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(retry_delay(0), Duration::from_secs(30));
        assert_eq!(retry_delay(u32::MAX), Duration::from_secs(900));
    }
}
