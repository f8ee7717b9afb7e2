//! Logging of the Lambda functions, set up once at cold start.
//!
//! - Log lines follow Lambda's advanced logging controls: JSON objects when the function's log
//!   format is JSON (`AWS_LAMBDA_LOG_FORMAT`, set by the template), the event's fields at the
//!   top level and those of the span it is in under `span` (the API's `request_id`, `route`,
//!   `org_id`; the worker's `job_id`, `org_id`, `job_type`); level from `AWS_LAMBDA_LOG_LEVEL`,
//!   else `RUST_LOG`, else INFO.
//! - Metric events (`adgen::metrics`) become CloudWatch Embedded Metric Format lines on
//!   stdout instead, which CloudWatch turns into metrics with no call on the request path.
//! - [`ready`] logs the end of a cold start (`cold_start: true`, `init_ms`): with Lambda's own
//!   `platform.report` lines, what the README's cold-start queries read.

use std::io::Write;
use std::str::FromStr;
use std::time::Instant;

use adgen::metrics::{Fields, TARGET, emf_document};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{EnvFilter, LevelFilter, filter_fn};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Logs that `function`'s cold start (since `started`: configuration read, clients built)
/// is over.
pub fn ready(function: &'static str, started: Instant) {
    tracing::info!(
        cold_start = true,
        function,
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        "cold start done"
    );
}

/// Installs the process's subscriber: log lines (JSON or text) and EMF metric lines.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| LevelFilter::from_str(&l).ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let not_metrics = filter_fn(|meta| meta.target() != TARGET);
    // Lambda stamps every line itself.
    let lines = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_target(false)
            .without_time()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .with_filter(not_metrics)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_target(false)
            .without_time()
            .with_ansi(false)
            .with_filter(not_metrics)
            .boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .with(EmfLayer)
        .try_init();
}

/// Writes each metric event as one EMF JSON line on stdout.
pub struct EmfLayer;

impl<S: Subscriber> Layer<S> for EmfLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        if let Some(document) = emf_of(event, now_ms) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{document}");
        }
    }
}

/// The EMF document of a metric event (`None` for every other event).
fn emf_of(event: &Event<'_>, timestamp_ms: i64) -> Option<Value> {
    if event.metadata().target() != TARGET {
        return None;
    }
    let mut fields = FieldMap(Fields::new());
    event.record(&mut fields);
    emf_document(&fields.0, timestamp_ms)
}

struct FieldMap(Fields);

impl Visit for FieldMap {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Collects the EMF documents a layer would print.
    struct Collect(Arc<Mutex<Vec<Value>>>);

    impl<S: Subscriber> Layer<S> for Collect {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            if let Some(doc) = emf_of(event, 0) {
                self.0.lock().expect("lock").push(doc);
            }
        }
    }

    #[test]
    fn the_domains_metric_events_become_emf_documents() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Collect(seen.clone()));
        tracing::subscriber::with_default(subscriber, || {
            adgen::metrics::job_submitted(adgen::jobs::JobType::AdGeneration);
            tracing::info!("an ordinary line");
        });
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0]["JobsSubmitted"], 1);
        assert_eq!(seen[0]["JobType"], "ad_generation");
        assert_eq!(
            seen[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0],
            "JobType"
        );
    }
}
