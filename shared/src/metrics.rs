//! Operational metrics: what adgen counts and times, decided here, written by adapters.
//!
//! The domain records a metric as a `tracing` event on the target [`TARGET`], with its values
//! and dimensions as fields, and does nothing else: no I/O, no metrics client. On Lambda a
//! logging layer turns each such event into one CloudWatch Embedded Metric Format line
//! ([`emf_document`], rendered from the fields by the table below), so CloudWatch extracts the
//! metrics from the log stream with no API call on the request path; `adgen serve` logs them
//! as ordinary lines.
//!
//! | metric | unit | dimensions | recorded when |
//! |---|---|---|---|
//! | `JobsSubmitted` | Count | `JobType` | a job was created (HTTP, intake, extraction) |
//! | `JobsCompleted` | Count | `JobType` | a job ended `completed` |
//! | `JobsFailed` | Count | `JobType`, `FailureCode` | a job ended `failed` |
//! | `QueueWait` | Seconds | `JobType` | a worker claimed a job: time since it was created |
//! | `JobDuration` | Milliseconds | `JobType` | a job ended: the worker's time on it |
//! | `<Phase>Duration` | Milliseconds | `JobType` | a job ended: each phase's time (`GeneratingDuration`, …) |
//! | `ProviderAccountRefused` | Count | `Provider`, `Issue` | a hosted provider refused the account (`quota`, `authentication`): not retried, an operator must act |

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::UnixSeconds;
use crate::jobs::{Job, JobStatus, JobType, Phase};

/// The `tracing` target of metric events.
pub const TARGET: &str = "adgen::metrics";
/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "adgen";

/// The field naming which metric event this is.
const EVENT_FIELD: &str = "metric";

/// Metric fields: (event field, metric name, unit).
const VALUES: &[(&str, &str, &str)] = &[
    ("submitted", "JobsSubmitted", "Count"),
    ("completed", "JobsCompleted", "Count"),
    ("failed", "JobsFailed", "Count"),
    ("queue_wait_s", "QueueWait", "Seconds"),
    ("duration_ms", "JobDuration", "Milliseconds"),
    (
        "loading_references_ms",
        "LoadingReferencesDuration",
        "Milliseconds",
    ),
    (
        "compiling_brief_ms",
        "CompilingBriefDuration",
        "Milliseconds",
    ),
    ("generating_ms", "GeneratingDuration", "Milliseconds"),
    (
        "post_processing_ms",
        "PostProcessingDuration",
        "Milliseconds",
    ),
    ("fetching_site_ms", "FetchingSiteDuration", "Milliseconds"),
    ("reading_brand_ms", "ReadingBrandDuration", "Milliseconds"),
    ("storing_ms", "StoringDuration", "Milliseconds"),
    ("account_refused", "ProviderAccountRefused", "Count"),
];

/// Dimension fields: (event field, dimension name).
const DIMENSIONS: &[(&str, &str)] = &[
    ("job_type", "JobType"),
    ("failure_code", "FailureCode"),
    ("provider", "Provider"),
    ("issue", "Issue"),
];

/// A job was created.
pub fn job_submitted(job_type: JobType) {
    tracing::info!(target: TARGET, metric = "job_submitted", job_type = job_type.as_str(), submitted = 1u64);
}

/// A hosted provider refused the account (`issue`: quota or authentication): an operator
/// must act; alarm on it.
pub fn provider_account_refused(provider: &str, issue: &'static str) {
    tracing::error!(target: TARGET, metric = "provider_account_refused", provider, issue, account_refused = 1u64);
}

/// A worker claimed `job` at `now`.
pub fn job_claimed(job: &Job, now: UnixSeconds) {
    tracing::info!(
        target: TARGET,
        metric = "job_claimed",
        job_type = job.job_type().as_str(),
        job_id = %job.id,
        queue_wait_s = (now - job.created_at).max(0) as u64,
    );
}

/// `job` ended (completed or failed): its outcome and the time of each of its phases.
pub fn job_finished(job: &Job) {
    let phase_ms = |phase: Phase| -> u64 {
        job.diagnostics
            .steps
            .iter()
            .filter(|s| s.phase == phase)
            .map(|s| s.millis)
            .sum()
    };
    let total: u64 = job.diagnostics.steps.iter().map(|s| s.millis).sum();
    let job_type = job.job_type().as_str();
    match job.status {
        JobStatus::Completed => tracing::info!(
            target: TARGET,
            metric = "job_finished",
            job_type,
            job_id = %job.id,
            completed = 1u64,
            duration_ms = total,
            loading_references_ms = phase_ms(Phase::LoadingReferences),
            compiling_brief_ms = phase_ms(Phase::CompilingBrief),
            generating_ms = phase_ms(Phase::Generating),
            post_processing_ms = phase_ms(Phase::PostProcessing),
            fetching_site_ms = phase_ms(Phase::FetchingSite),
            reading_brand_ms = phase_ms(Phase::ReadingBrand),
            storing_ms = phase_ms(Phase::Storing),
        ),
        JobStatus::Failed => tracing::info!(
            target: TARGET,
            metric = "job_finished",
            job_type,
            job_id = %job.id,
            failure_code = job.payload.failure_code.map_or("unknown", |c| c.as_str()),
            failed = 1u64,
            duration_ms = total,
        ),
        JobStatus::Queued | JobStatus::Processing => {}
    }
}

/// A metric event's fields, as a logging layer collected them.
pub type Fields = BTreeMap<String, Value>;

/// The CloudWatch Embedded Metric Format document of one metric event (`None` for any other
/// event). Zero-valued phase durations are left out: a generation has no `FetchingSite`.
/// Dimensions are the event's own; every other field (the job id) is kept as a property,
/// searchable in Logs Insights but not a metric.
pub fn emf_document(fields: &Fields, timestamp_ms: i64) -> Option<Value> {
    fields.get(EVENT_FIELD)?;
    let mut document = Map::new();
    let mut metrics = Vec::new();
    let mut dimensions = Vec::new();
    for (field, value) in fields {
        if let Some((_, name, unit)) = VALUES.iter().find(|(f, _, _)| f == field) {
            let is_zero_phase = field.ends_with("_ms") && field != "duration_ms" && value == 0;
            if is_zero_phase || !value.is_number() {
                continue;
            }
            metrics.push(json!({ "Name": name, "Unit": unit }));
            document.insert((*name).to_owned(), value.clone());
        } else if let Some((_, name)) = DIMENSIONS.iter().find(|(f, _)| f == field) {
            dimensions.push(*name);
            document.insert((*name).to_owned(), value.clone());
        } else if field != "message" {
            document.insert(field.clone(), value.clone());
        }
    }
    if metrics.is_empty() {
        return None;
    }
    document.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": metrics,
            }],
        }),
    );
    Some(Value::Object(document))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, Value)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn a_failed_job_is_counted_by_type_and_code() {
        let doc = emf_document(
            &fields(&[
                ("metric", json!("job_finished")),
                ("job_type", json!("ad_generation")),
                ("job_id", json!("j-1")),
                ("failure_code", json!("provider_unavailable")),
                ("failed", json!(1)),
                ("duration_ms", json!(1200)),
            ]),
            1_764_100_000_000,
        )
        .expect("a metric event");
        assert_eq!(doc["JobsFailed"], 1);
        assert_eq!(doc["JobDuration"], 1200);
        assert_eq!(doc["FailureCode"], "provider_unavailable");
        assert_eq!(doc["job_id"], "j-1", "kept as a property");
        let cw = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "adgen");
        assert_eq!(cw["Dimensions"], json!([["FailureCode", "JobType"]]));
        assert_eq!(
            cw["Metrics"],
            json!([{"Name": "JobDuration", "Unit": "Milliseconds"}, {"Name": "JobsFailed", "Unit": "Count"}])
        );
        assert_eq!(doc["_aws"]["Timestamp"], 1_764_100_000_000_i64);
    }

    #[test]
    fn phases_a_job_never_entered_are_not_metrics() {
        let doc = emf_document(
            &fields(&[
                ("metric", json!("job_finished")),
                ("job_type", json!("ad_generation")),
                ("completed", json!(1)),
                ("duration_ms", json!(0)),
                ("generating_ms", json!(800)),
                ("fetching_site_ms", json!(0)),
            ]),
            0,
        )
        .expect("a metric event");
        assert_eq!(doc["GeneratingDuration"], 800);
        assert!(doc.get("FetchingSiteDuration").is_none());
        assert_eq!(doc["JobDuration"], 0, "a total is kept even when zero");
    }

    #[test]
    fn other_events_are_no_metrics() {
        assert!(emf_document(&fields(&[("message", json!("job completed"))]), 0).is_none());
        assert!(
            emf_document(
                &fields(&[("metric", json!("x")), ("job_id", json!("j"))]),
                0
            )
            .is_none()
        );
    }
}
