//! Reading jobs (spec §4), scoped to the caller's organisation.

use std::sync::Arc;

use uuid::Uuid;

use crate::auth::{Authenticator, Principal};
use crate::jobs::{Job, JobStatus};
use crate::ports::{Clock, ImageLinks, JobStore, PortError};

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

pub struct JobsService {
    pub auth: Arc<Authenticator>,
    pub jobs: Arc<dyn JobStore>,
    pub links: Arc<dyn ImageLinks>,
    pub clock: Arc<dyn Clock>,
}

impl JobsService {
    pub async fn get(&self, principal: Principal, job_id: &str) -> Result<Job, GetJobError> {
        let job_id = Uuid::try_parse(job_id).map_err(|_| GetJobError::InvalidJobId)?;
        let mut job = match self.jobs.get(job_id).await? {
            Some(job) if job.org_id == principal.org_id => job,
            _ => return Err(GetJobError::NotFound),
        };
        if job.status == JobStatus::Completed
            && let Some(key) = job.result_key()
        {
            job.payload.image_url = Some(self.links.url(&key).await?);
        }
        Ok(job)
    }
}
