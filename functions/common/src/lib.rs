//! What the adgen Lambda functions (submit, jobs, brands, webhooks, intake) share: the conversion between API
//! Gateway events and the domain's plain HTTP types, and their services over the AWS adapters,
//! built once per cold start. It links no HTTP client, codec or font: those belong to the
//! generate function alone.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use adgen::config::{JobsConfig, SubmitConfig};
use adgen::http::{Deadline, HttpRequest, HttpResponse};
use adgen::ports::SystemClock;
use adgen::service::jobs::JobsService;
use adgen::service::submit::{SubmitService, SubmitSettings};
use bytes::Bytes;
use lambda_http::{Body, RequestExt};

/// API Gateway (HTTP API) ends every integration at 30 s; answer with a margin before it.
const API_GATEWAY_BUDGET: Duration = Duration::from_secs(29);
/// Kept back from the invocation's deadline to send the answer.
const ANSWER_MARGIN: Duration = Duration::from_secs(1);

/// An API Gateway (HTTP API, payload 2.0) request as the domain's HTTP request, carrying the
/// moment the handler must answer by (the earlier of API Gateway's and Lambda's limits).
pub fn to_domain(event: lambda_http::Request) -> HttpRequest {
    let lambda_left = event
        .lambda_context_ref()
        .and_then(|context| context.deadline().duration_since(SystemTime::now()).ok())
        .map(|left| left.saturating_sub(ANSWER_MARGIN));
    let budget = lambda_left.map_or(API_GATEWAY_BUDGET, |left| left.min(API_GATEWAY_BUDGET));
    let (mut parts, body) = event.into_parts();
    parts
        .extensions
        .insert(Deadline(tokio::time::Instant::now() + budget));
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(binary) => Bytes::from(binary),
        // `Body` is non-exhaustive; any future variant carries no bytes we understand.
        _ => Bytes::new(),
    };
    HttpRequest::from_parts(parts, bytes)
}

/// The domain's answer as a Lambda response (JSON bodies travel as text).
pub fn to_lambda(response: HttpResponse) -> lambda_http::Response<Body> {
    let (parts, bytes) = response.into_parts();
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    lambda_http::Response::from_parts(parts, body)
}

/// The submit function's service over DynamoDB, SQS and S3.
pub async fn submit_service(config: &SubmitConfig) -> SubmitService {
    let adapters = adgen_aws::adapters(&config.aws).await;
    SubmitService::new(&adapters, Arc::new(SystemClock), submit_settings(config))
}

/// The submission settings of `config` (the submit and intake functions share them).
pub fn submit_settings(config: &SubmitConfig) -> SubmitSettings {
    let defaults = SubmitSettings::default();
    SubmitSettings {
        idempotency: adgen::service::idempotency::IdempotencyPolicy {
            ttl_seconds: config.idempotency_ttl_seconds,
            ..defaults.idempotency
        },
        auth: config.aws.auth,
        ..defaults
    }
}

/// The jobs function's service over DynamoDB, with image URLs minted from S3.
pub async fn jobs_service(config: &JobsConfig) -> JobsService {
    let adapters = adgen_aws::adapters(&config.aws).await;
    JobsService::new(&adapters, Arc::new(SystemClock), config.aws.auth)
}
