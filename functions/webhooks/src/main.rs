//! Lambda function behind `/api/v1/webhooks` (spec §5): endpoint management, secret rotation,
//! test events, the delivery log and resends. Test events and resends are sent from here, at
//! once, through the SSRF-safe webhook sender; scheduled deliveries belong to the deliver
//! function.

use std::convert::Infallible;
use std::sync::Arc;

use adgen::config::{WebhooksConfig, process_env};
use adgen::ports::SystemClock;
use adgen::service::webhooks::{WebhooksService, WebhooksSettings};
use lambda_http::{Request, service_fn};

// One request at a time per execution environment: a single-threaded runtime spends no CPU
// on waking worker threads (measured on submit: 1.7 ms of CPU per warm request, 3.5 ms with
// the multi-threaded runtime; docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let started = std::time::Instant::now();
    adgen_aws::logging::init();
    // Misconfiguration fails the cold start with the variable's name.
    let config = WebhooksConfig::from_env(&process_env())?;
    let adapters = adgen_aws::adapters(&config.aws).await;
    // Lambda never sends to loopback URLs (spec §8).
    let sender = adgen_outbound::webhook::webhook_sender(false)?;
    let service = Arc::new(WebhooksService::new(
        &adapters,
        sender,
        Arc::new(SystemClock),
        config.aws.auth,
        WebhooksSettings {
            max_body_bytes: config.max_body_bytes,
            allow_loopback_urls: false,
        },
    ));
    adgen_aws::logging::ready("webhooks", started);
    lambda_http::run(service_fn(move |event: Request| {
        let service = service.clone();
        async move {
            let response =
                adgen::http::handle_webhooks(&service, adgen_lambda::to_domain(event)).await;
            Ok::<_, Infallible>(adgen_lambda::to_lambda(response))
        }
    }))
    .await
}
