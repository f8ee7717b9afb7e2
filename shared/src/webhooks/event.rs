//! Events (spec §5, §10): what happened, under an id that never changes. A terminal job has
//! exactly one event, whose id is derived from the job and its status, so however often the
//! outbox is drained (after a crash, by the sweep) it names the same event, and a receiver
//! de-duplicates on `webhook-id` or `detail.id`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::UnixSeconds;
use crate::digest::derived_uuid;
use crate::jobs::{Job, JobStatus};

/// An event's `type` (and EventBridge `detail-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "job.completed")]
    JobCompleted,
    #[serde(rename = "job.failed")]
    JobFailed,
    /// Intake (spec §10): a queued request that failed validation.
    #[serde(rename = "job.rejected")]
    JobRejected,
    /// `POST /api/v1/webhooks/{id}/test`.
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::JobCompleted => "job.completed",
            EventType::JobFailed => "job.failed",
            EventType::JobRejected => "job.rejected",
            EventType::WebhookTest => "webhook.test",
        }
    }

    /// The event of a job that reached `status`; none for a job still running.
    pub fn for_status(status: JobStatus) -> Option<Self> {
        match status {
            JobStatus::Completed => Some(EventType::JobCompleted),
            JobStatus::Failed => Some(EventType::JobFailed),
            JobStatus::Queued | JobStatus::Processing => None,
        }
    }
}

/// What identifies an event, kept on each of its deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    /// `evt_<uuid>`.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The job it is about (none for a test event).
    pub job_id: Option<Uuid>,
    pub created_at: UnixSeconds,
}

impl EventRef {
    /// The one event of a terminal job: its id from the job and status, its time the job's
    /// last update (both stable). `None` while the job is not terminal.
    pub fn for_job(job: &Job) -> Option<Self> {
        let event_type = EventType::for_status(job.status)?;
        Some(Self {
            id: format!(
                "evt_{}",
                derived_uuid(&format!("job-event\n{}\n{}", job.id, job.status.as_str())).simple()
            ),
            event_type,
            job_id: Some(job.id),
            created_at: job.updated_at,
        })
    }

    /// A fresh test event.
    pub fn test(now: UnixSeconds) -> Self {
        Self {
            id: format!("evt_{}", Uuid::new_v4().simple()),
            event_type: EventType::WebhookTest,
            job_id: None,
            created_at: now,
        }
    }

    /// A rejected intake message's event, named after its organisation and key (a redelivered
    /// message names the same event).
    pub fn rejected(org_id: Uuid, idempotency_key: &str, now: UnixSeconds) -> Self {
        Self {
            id: format!(
                "evt_{}",
                derived_uuid(&format!("job-rejected\n{org_id}\n{idempotency_key}")).simple()
            ),
            event_type: EventType::JobRejected,
            job_id: None,
            created_at: now,
        }
    }

    /// The event document: `{id, object: "event", type, created_at, data}`.
    pub fn document(&self, data: Value) -> Value {
        json!({
            "id": self.id,
            "object": "event",
            "type": self.event_type.as_str(),
            "created_at": self.created_at,
            "data": data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{ExtractionInput, ExtractionWork, JobInput, Work};

    fn job(status: JobStatus) -> Job {
        let mut job = Job::queued(
            Uuid::from_u128(7),
            Uuid::from_u128(1),
            JobInput::Extraction(ExtractionInput { url: "u".into() }),
            Work::Extraction(ExtractionWork {
                url: "u".into(),
                domain: "d".into(),
            }),
            10,
        );
        job.status = status;
        job
    }

    #[test]
    fn one_stable_event_per_job_and_status() {
        let done = EventRef::for_job(&job(JobStatus::Completed)).unwrap();
        assert_eq!(done, EventRef::for_job(&job(JobStatus::Completed)).unwrap());
        assert_eq!(done.event_type, EventType::JobCompleted);
        assert!(done.id.starts_with("evt_") && done.id.len() == 36);
        let failed = EventRef::for_job(&job(JobStatus::Failed)).unwrap();
        assert_ne!(done.id, failed.id);
        assert!(EventRef::for_job(&job(JobStatus::Processing)).is_none());
    }

    #[test]
    fn document_shape() {
        let doc = EventRef::test(5).document(json!({"x": 1}));
        assert_eq!(doc["object"], "event");
        assert_eq!(doc["type"], "webhook.test");
        assert_eq!(doc["data"]["x"], 1);
    }
}
