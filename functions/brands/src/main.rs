//! Lambda function behind `/api/v1/brands` (spec §7): brand records, their logos (prepared by
//! the image pipeline before they are stored) and brand extraction requests, which become
//! `brand_extraction` jobs on the generation queue.

use std::convert::Infallible;
use std::sync::Arc;

use adgen::config::{BrandsConfig, process_env};
use adgen::ports::SystemClock;
use adgen::service::brands::{BrandsService, BrandsSettings};
use adgen::service::idempotency::IdempotencyPolicy;
use adgen::service::submit::SubmitSettings;
use adgen_render::Codec;
use lambda_http::{Request, service_fn};

// One request at a time per execution environment: a single-threaded runtime spends no CPU
// on waking worker threads (measured on submit: 1.7 ms of CPU per warm request, 3.5 ms with
// the multi-threaded runtime; docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let started = std::time::Instant::now();
    adgen_aws::logging::init();
    // Misconfiguration fails the cold start with the variable's name.
    let config = BrandsConfig::from_env(&process_env())?;
    let adapters = adgen_aws::adapters(&config.aws).await;
    let service = Arc::new(BrandsService::new(
        &adapters,
        Arc::new(Codec::default()),
        Arc::new(SystemClock),
        config.aws.auth,
        BrandsSettings {
            max_body_bytes: config.max_body_bytes,
            // Lambda never fetches loopback URLs (spec §8).
            allow_loopback_urls: false,
            idempotency: IdempotencyPolicy {
                ttl_seconds: config.idempotency_ttl_seconds,
                ..SubmitSettings::default().idempotency
            },
        },
    ));
    adgen_aws::logging::ready("brands", started);
    lambda_http::run(service_fn(move |event: Request| {
        let service = service.clone();
        async move {
            let response =
                adgen::http::handle_brands(&service, adgen_lambda::to_domain(event)).await;
            Ok::<_, Infallible>(adgen_lambda::to_lambda(response))
        }
    }))
    .await
}
