//! Reading jobs (spec §4), scoped to the caller's organisation: plain reads, long-polls that
//! cost little, image URLs minted per read, and the expansions.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use uuid::Uuid;

use crate::auth::Principal;
use crate::contract::job_query::{Expansion, JobQuery};
use crate::jobs::{Job, JobStatus, Phase, Work};
use crate::ports::{
    Adapters, BrandStore, Clock, DeliveriesOf, DeliveryStore, ImageLinks, JobStore, JobWatch,
    JobWatcher, PortError,
};
use crate::service::auth::{AuthSettings, Authenticator};
use crate::service::brands::{BrandRead, brand_read};
use crate::webhooks::delivery::Delivery;

#[derive(Debug, thiserror::Error)]
pub enum GetJobError {
    #[error("job id is not a UUID")]
    InvalidJobId,
    /// Missing, or another organisation's: the two are indistinguishable by design.
    #[error("job not found")]
    NotFound,
    #[error(transparent)]
    Dependency(#[from] PortError),
}

/// The brand a job used, for `expand=brand`.
#[derive(Debug, Clone, PartialEq)]
pub enum JobBrand {
    Stored(BrandRead),
    Inline(serde_json::Map<String, serde_json::Value>),
}

/// A job as read for a client: the record, with its image URL minted for this read.
#[derive(Debug, Clone)]
pub struct JobRead {
    pub job: Job,
    pub brand: Option<JobBrand>,
    /// The job's webhook deliveries, for `expand=deliveries`.
    pub deliveries: Option<Vec<Delivery>>,
}

/// The most deliveries `expand=deliveries` lists (one per endpoint; the endpoint cap is lower).
const MAX_JOB_DELIVERIES: usize = 100;

pub struct JobsService {
    pub auth: Arc<Authenticator>,
    pub jobs: Arc<dyn JobStore>,
    pub brands: Arc<dyn BrandStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    pub links: Arc<dyn ImageLinks>,
    pub watcher: Arc<dyn JobWatcher>,
    pub clock: Arc<dyn Clock>,
}

impl JobsService {
    /// The service over one adapter set, admitting requests as `auth` says.
    pub fn new(adapters: &Adapters, clock: Arc<dyn Clock>, auth: AuthSettings) -> Self {
        Self {
            auth: Arc::new(Authenticator::new(
                adapters.keys.clone(),
                adapters.rate_limits.clone(),
                auth,
            )),
            jobs: adapters.jobs.clone(),
            brands: adapters.brands.clone(),
            deliveries: adapters.deliveries.clone(),
            links: adapters.links.clone(),
            watcher: adapters.watcher.clone(),
            clock,
        }
    }

    /// Reads the job; with `query.wait`, waits until it is terminal, the wait ends, or
    /// `deadline` (the platform's own limit) comes near — then answers with the current state.
    pub async fn get(
        &self,
        principal: Principal,
        job_id: &str,
        query: &JobQuery,
        deadline: Option<Instant>,
    ) -> Result<JobRead, GetJobError> {
        let job_id = Uuid::try_parse(job_id).map_err(|_| GetJobError::InvalidJobId)?;
        // Watch before the first read, so a change right after it is not missed.
        let mut watch = query.wait.map(|_| self.watcher.watch(job_id));
        let mut job = self.read(principal, job_id).await?;
        if let (Some(wait), Some(watch)) = (query.wait, watch.as_mut()) {
            let until = deadline.map_or(Instant::now() + wait, |d| d.min(Instant::now() + wait));
            while !job.status.is_terminal() && Instant::now() < until {
                watch.changed(&job, until).await;
                job = self.read(principal, job_id).await?;
            }
        }
        mint_image_url(self.links.as_ref(), &mut job).await?;
        let brand = match query.expand.contains(&Expansion::Brand) {
            true => self.brand_of(&job).await?,
            false => None,
        };
        let deliveries = match query.expand.contains(&Expansion::Deliveries) {
            true => Some(
                self.deliveries
                    .list(job.org_id, DeliveriesOf::Job(job.id), MAX_JOB_DELIVERIES, 0)
                    .await?
                    .deliveries,
            ),
            false => None,
        };
        Ok(JobRead {
            job,
            brand,
            deliveries,
        })
    }

    async fn read(&self, principal: Principal, job_id: Uuid) -> Result<Job, GetJobError> {
        match self.jobs.get(job_id).await? {
            Some(job) if job.org_id == principal.org_id => Ok(job),
            _ => Err(GetJobError::NotFound),
        }
    }

    async fn brand_of(&self, job: &Job) -> Result<Option<JobBrand>, PortError> {
        let (brand_id, inline) = match &job.work {
            Work::Generation(work) => (work.brand_id, work.brand_identity.as_ref()),
            // The brand the extraction wrote, once it has.
            Work::Extraction(_) => (job.payload.brand_id, None),
        };
        Ok(match (brand_id, inline) {
            (Some(id), _) => match self.brands.get(job.org_id, id).await? {
                Some(brand) => Some(JobBrand::Stored(
                    brand_read(self.links.as_ref(), brand).await?,
                )),
                None => None,
            },
            (None, Some(dna)) => Some(JobBrand::Inline(dna.clone())),
            (None, None) => None,
        })
    }
}

/// Sets `payload.image_url` of a completed job, minted now (a stored URL would go stale).
pub async fn mint_image_url(links: &dyn ImageLinks, job: &mut Job) -> Result<(), PortError> {
    if job.status == JobStatus::Completed
        && let Some(key) = job.result_key()
    {
        job.payload.image_url = Some(links.url(&key).await?);
    }
    Ok(())
}

/// Long-poll pacing by re-reading (AWS): quick while the job is about to finish or has just
/// moved, backing off to `max` while it sits in a long phase, so a poll costs about one read a
/// second once backed off.
#[derive(Debug, Clone, Copy)]
pub struct PollingWatcher {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for PollingWatcher {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        }
    }
}

impl JobWatcher for PollingWatcher {
    fn watch(&self, _job_id: Uuid) -> Box<dyn JobWatch> {
        Box::new(Polling {
            pacing: *self,
            interval: self.initial,
            last_phase: None,
        })
    }
}

struct Polling {
    pacing: PollingWatcher,
    interval: Duration,
    last_phase: Option<Phase>,
}

#[async_trait]
impl JobWatch for Polling {
    async fn changed(&mut self, last: &Job, until: Instant) {
        let phase = last.payload.phase;
        // The last steps take well under a second: look often then; a phase change also
        // says the job is moving.
        let finishing = matches!(phase, Phase::PostProcessing | Phase::Storing);
        if finishing || self.last_phase.is_some_and(|p| p != phase) {
            self.interval = self.pacing.initial;
        }
        self.last_phase = Some(phase);
        tokio::time::sleep_until(until.min(Instant::now() + self.interval)).await;
        self.interval = (self.interval * 3 / 2).min(self.pacing.max);
    }
}
