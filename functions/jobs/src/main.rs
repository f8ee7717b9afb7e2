//! Lambda function behind `GET /api/v1/jobs/{id}`.

use std::convert::Infallible;
use std::sync::Arc;

use adgen::config::{JobsConfig, process_env};
use lambda_http::{Request, service_fn};

// One request at a time per execution environment: a single-threaded runtime spends no CPU
// on waking worker threads (measured on submit: 1.7 ms of CPU per warm request, 3.5 ms with
// the multi-threaded runtime; docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let started = std::time::Instant::now();
    adgen_aws::logging::init();
    // Misconfiguration fails the cold start with the variable's name.
    let config = JobsConfig::from_env(&process_env())?;
    let service = Arc::new(adgen_lambda::jobs_service(&config).await);
    adgen_aws::logging::ready("jobs", started);
    lambda_http::run(service_fn(move |event: Request| {
        let service = service.clone();
        async move {
            let response = adgen::http::handle_jobs(&service, adgen_lambda::to_domain(event)).await;
            Ok::<_, Infallible>(adgen_lambda::to_lambda(response))
        }
    }))
    .await
}
