//! The sweep function: every few minutes (an EventBridge schedule) it re-enqueues jobs whose
//! message was lost, fails jobs that can no longer finish, and dispatches the events of
//! finished jobs that were not yet sent (`adgen::service::sweep`).
//!
//! Why a function of its own: the sweep is what guarantees that no job stays non-terminal, so
//! it must keep running when the generate function cannot start (a provider misconfigured, a
//! secret unreadable). It links no HTTP client, codec or provider client, and needs none of
//! the generator's configuration.

use std::sync::Arc;

use adgen::config::AwsConfig;
use adgen::ports::SystemClock;
use adgen::service::sweep::{SweepSettings, Sweeper};
use serde_json::{Value, json};

pub struct SweepFunction {
    sweeper: Sweeper,
}

impl SweepFunction {
    /// Builds every client once per cold start.
    pub async fn new(config: &AwsConfig) -> Self {
        let adapters = adgen_aws::adapters(config).await;
        Self::with(Sweeper::new(
            &adapters,
            Arc::new(SystemClock),
            SweepSettings::default(),
        ))
    }

    pub fn with(sweeper: Sweeper) -> Self {
        Self { sweeper }
    }

    /// One invocation: an EventBridge scheduled event; anything else is refused.
    pub async fn handle(&self, payload: Value) -> Result<Value, lambda_runtime::Error> {
        if payload.get("detail-type").and_then(Value::as_str) != Some("Scheduled Event") {
            return Err("unsupported event: expected an EventBridge scheduled event".into());
        }
        let report = self.sweeper.sweep().await?;
        Ok(json!({
            "inspected": report.inspected,
            "resent": report.resent,
            "failed": report.failed,
        }))
    }
}
