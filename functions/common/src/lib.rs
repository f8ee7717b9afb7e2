//! What every adgen Lambda function shares: the conversion between API Gateway events and the
//! domain's plain HTTP types, and the AWS wiring, built once per cold start.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use adgen::adapters::aws::{AwsClients, DynamoStore, Endpoints, S3Blobs, S3Links, SqsQueue};
use adgen::api::{Deadline, HttpRequest, HttpResponse};
use adgen::auth::Authenticator;
use adgen::config::{JobsConfig, SubmitConfig};
use adgen::idempotency::IdempotencyPolicy;
use adgen::ports::SystemClock;
use adgen::service::jobs::{JobsService, PollingWatcher};
use adgen::service::submit::{SubmitService, SubmitSettings};
use bytes::Bytes;
use lambda_http::{Body, RequestExt};

pub mod generate;

/// The region used when the environment names none (Lambda always sets `AWS_REGION`).
const REGION_FALLBACK: &str = "us-east-1";

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
    let clients = AwsClients::load(REGION_FALLBACK, &Endpoints::from(config)).await;
    let store = Arc::new(DynamoStore::new(
        clients.dynamodb,
        config.common.table.clone(),
    ));
    store.warm_up().await;
    let defaults = SubmitSettings::default();
    SubmitService {
        auth: Arc::new(Authenticator::new(
            store.clone(),
            config.common.api_key_cache_ttl,
        )),
        jobs: store.clone(),
        idempotency: store.clone(),
        brands: store,
        queue: Arc::new(SqsQueue::new(clients.sqs, config.queue_url.clone())),
        blobs: Arc::new(S3Blobs::new(clients.s3, config.bucket.clone())),
        clock: Arc::new(SystemClock),
        settings: SubmitSettings {
            idempotency: IdempotencyPolicy {
                ttl_seconds: config.idempotency_ttl_seconds,
                ..defaults.idempotency
            },
            ..defaults
        },
    }
}

/// The jobs function's service over DynamoDB, with image URLs minted from S3.
pub async fn jobs_service(config: &JobsConfig) -> JobsService {
    let clients = AwsClients::load(REGION_FALLBACK, &Endpoints::from(config)).await;
    let store = Arc::new(DynamoStore::new(
        clients.dynamodb,
        config.common.table.clone(),
    ));
    store.warm_up().await;
    let links = &config.links;
    JobsService {
        auth: Arc::new(Authenticator::new(
            store.clone(),
            config.common.api_key_cache_ttl,
        )),
        jobs: store.clone(),
        brands: store,
        watcher: Arc::new(PollingWatcher::default()),
        links: Arc::new(S3Links::new(
            S3Blobs::new(clients.s3, links.bucket.clone()),
            links.url_expiry,
            links.public_base_url.clone(),
        )),
        clock: Arc::new(SystemClock),
    }
}
