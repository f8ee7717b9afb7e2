//! The sweep: no job stays non-terminal forever. Run on a schedule (the generate function's
//! scheduled event on AWS, a timer in `adgen serve`), it
//! - sends the message of a job whose writer never enqueued it (a brand extraction that died
//!   between its write and its send),
//! - re-sends the message of a job stuck `queued` (its message was lost or dead-lettered, or
//!   its submission died between the write and the send),
//! - hands a `processing` job whose worker died (lease expired) back to the queue,
//! - fails a job claimed too many times, or older than the age limit,
//! - and dispatches the events of finished jobs still in the outbox (`events::Outbox`).
//!
//! Every change is conditional (`save_abandoned`), so a sweep racing a worker never
//! overwrites the worker's progress.

use std::sync::Arc;

use crate::UnixSeconds;
use crate::jobs::{FailureCode, Job, JobStatus, Phase};
use crate::ports::{Adapters, Clock, JobMessage, JobStore, PortError, Queue};
use crate::service::events::Outbox;

#[derive(Debug, Clone, Copy)]
pub struct SweepSettings {
    /// A job never enqueued is resent once its record is this old (the submission is over).
    pub unsent_after_seconds: i64,
    /// A queued, enqueued job is resent when it has waited this long without a claim.
    pub stuck_after_seconds: i64,
    /// A job claimed this many times without finishing is failed.
    pub max_claims: u32,
    /// Any job still unfinished this long after creation is failed.
    pub max_age_seconds: i64,
    /// Jobs inspected per sweep.
    pub batch: usize,
}

impl Default for SweepSettings {
    fn default() -> Self {
        Self {
            unsent_after_seconds: 60,
            stuck_after_seconds: 30 * 60,
            max_claims: 3,
            max_age_seconds: 24 * 3600,
            batch: 100,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub inspected: usize,
    pub resent: usize,
    pub failed: usize,
    /// Finished jobs whose events the sweep dispatched (left in the outbox by a crash or an
    /// outage, or failed by this sweep).
    pub dispatched: usize,
}

pub struct Sweeper {
    pub jobs: Arc<dyn JobStore>,
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub settings: SweepSettings,
    pub outbox: Outbox,
}

impl Sweeper {
    /// The sweep over one adapter set.
    pub fn new(adapters: &Adapters, clock: Arc<dyn Clock>, settings: SweepSettings) -> Self {
        Self {
            jobs: adapters.jobs.clone(),
            queue: adapters.queue.clone(),
            outbox: Outbox::new(adapters, clock.clone()),
            clock,
            settings,
        }
    }
}

enum Action {
    Leave,
    Resend,
    Fail(&'static str),
}

impl Sweeper {
    pub async fn sweep(&self) -> Result<SweepReport, PortError> {
        let now = self.clock.now();
        let stale = self
            .jobs
            .list_stale(
                now - self.settings.unsent_after_seconds,
                self.settings.batch,
            )
            .await?;
        let mut report = SweepReport {
            inspected: stale.len(),
            ..SweepReport::default()
        };
        for job in stale {
            let result = match self.decide(&job, now) {
                Action::Leave => Ok(()),
                Action::Resend => self
                    .resend(job, now)
                    .await
                    .map(|sent| report.resent += usize::from(sent)),
                Action::Fail(why) => self
                    .fail(job, now, why)
                    .await
                    .map(|failed| report.failed += usize::from(failed)),
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "sweep step failed; the next sweep retries");
            }
        }
        // The outbox: jobs this sweep failed, and any a crash left behind.
        match self.outbox.drain(self.settings.batch).await {
            Ok(n) => report.dispatched = n,
            Err(e) => tracing::warn!(error = %e, "outbox not drained; the next sweep retries"),
        }
        if report.resent + report.failed + report.dispatched > 0 {
            tracing::info!(?report, "sweep acted");
        }
        Ok(report)
    }

    fn decide(&self, job: &Job, now: UnixSeconds) -> Action {
        let s = &self.settings;
        let lease_alive = job.lease.as_ref().is_some_and(|l| l.until > now);
        match job.status {
            JobStatus::Completed | JobStatus::Failed => Action::Leave,
            JobStatus::Processing if lease_alive => Action::Leave,
            _ if now - job.created_at >= s.max_age_seconds => {
                Action::Fail("the job did not finish in time")
            }
            JobStatus::Processing if job.claims >= s.max_claims => {
                Action::Fail("the job failed to finish after repeated attempts")
            }
            JobStatus::Processing => Action::Resend,
            JobStatus::Queued if !job.enqueued => Action::Resend,
            JobStatus::Queued if now - job.updated_at >= s.stuck_after_seconds => Action::Resend,
            JobStatus::Queued => Action::Leave,
        }
    }

    /// Sends the job's message again and records the time, so the next sweep waits again.
    async fn resend(&self, job: Job, now: UnixSeconds) -> Result<bool, PortError> {
        let message = JobMessage {
            job_id: job.id,
            org_id: job.org_id,
        };
        let touched = Job {
            updated_at: now,
            enqueued: true,
            ..job
        };
        if !self.jobs.save_abandoned(&touched, now).await? {
            return Ok(false);
        }
        self.queue.send(&message).await?;
        tracing::info!(job_id = %message.job_id, "sweep re-enqueued job");
        Ok(true)
    }

    async fn fail(&self, mut job: Job, now: UnixSeconds, why: &str) -> Result<bool, PortError> {
        let code = FailureCode::InternalStepFailed;
        job.status = JobStatus::Failed;
        job.payload.phase = Phase::Failed;
        job.payload.failure_code = Some(code);
        let message = format!("{why}; submit it again");
        job.error_log = Some(format!("{}: {message}", code.as_str()));
        job.payload.message = Some(message);
        job.lease = None;
        job.updated_at = now;
        let failed = self.jobs.save_abandoned(&job, now).await?;
        if failed {
            tracing::warn!(job_id = %job.id, why, "sweep failed job");
            crate::metrics::job_finished(&job);
            if let Err(e) = self.outbox.dispatch(&job).await {
                tracing::warn!(job_id = %job.id, error = %e, "events not dispatched yet");
            }
        }
        Ok(failed)
    }
}
