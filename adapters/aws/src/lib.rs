//! adgen's AWS adapters: DynamoDB for every record, SQS for the queues, S3 for images,
//! EventBridge for events; [`adapters`] builds the whole set from configuration, once per cold
//! start.
//!
//! - [`DynamoStore`]: API keys, jobs (with the events outbox), idempotency records, brands,
//!   webhook endpoints and deliveries in one table (layout in [`dynamo`]); [`create_table`]
//!   provisions that table (tests, emulator tooling).
//! - [`SqsQueue`]: the generation queue, and (a second instance) the webhook delivery queue.
//! - [`SqsRejects`]: the intake dead-letter queue, for refused intake messages. Not part of
//!   [`Adapters`]: only the intake function needs it and builds it over [`AwsClients::sqs`].
//! - [`EventBridgeBus`]: the deployment's event bus.
//! - `logging`: the functions' JSON log lines and CloudWatch EMF metric lines.
//! - [`S3Blobs`]: staged reference images and results.
//! - `secrets` (feature `secrets`, the generate function's): the provider key in Secrets
//!   Manager.
//! - `stacks` (feature `stacks`, the `adgen` binary's): a deployed stack's outputs.
//!
//! Clients are built once per cold start (see [`AwsClients`]) and shared by every request: the
//! SDK keeps connections pooled in them. An endpoint override is for emulators only (DynamoDB
//! Local, moto); in production it is absent and the SDK resolves AWS endpoints and credentials
//! (the Lambda role) itself.

/// An SDK client over the shared configuration, pointed at `$endpoint` when that is an
/// override ([`endpoint`]); `$path_style` for S3, whose emulators serve no bucket subdomains.
/// A macro because every SDK crate has its own builder type, with no trait in common.
macro_rules! sdk_client {
    ($sdk:ident, $conf:expr, $endpoint:expr) => {
        sdk_client!($sdk, $conf, $endpoint, |b| b)
    };
    ($sdk:ident, $conf:expr, $endpoint:expr, $with_override:expr) => {{
        let mut builder = $sdk::config::Builder::from($conf);
        if let Some(url) = $crate::endpoint($endpoint) {
            builder = ($with_override)(builder.endpoint_url(url));
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

pub mod dynamo;
pub mod eventbridge;
pub mod logging;
pub mod s3;
#[cfg(feature = "secrets")]
pub mod secrets;
pub mod sqs;
#[cfg(feature = "stacks")]
pub mod stacks;

pub use dynamo::{DynamoStore, create_table};
pub use eventbridge::EventBridgeBus;
pub use s3::{S3Blobs, S3Links, S3UploadTarget};
pub use sqs::{SqsQueue, SqsRejects};

use std::sync::Arc;

use adgen::config::AwsConfig;
use adgen::ports::{Adapters, PortError};
use adgen::service::jobs::PollingWatcher;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The region used when the environment names none (Lambda always sets `AWS_REGION`).
pub const DEFAULT_REGION: &str = "us-east-1";

/// The shared SDK configuration: region, credentials and retry settings from the usual AWS
/// sources (environment, profile, Lambda role). `region_fallback` applies only when none of them
/// names a region.
pub async fn sdk_config(region_fallback: &str) -> SdkConfig {
    match sdk_config_in(None).await {
        Some(conf) => conf,
        None => load(Some(region_fallback)).await,
    }
}

/// The loader with our HTTPS client; the region named, or resolved by the loader's own chain
/// (which must run on that client: the SDK has no default one here).
async fn load(region: Option<&str>) -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    match region {
        Some(region) => loader.region(Region::new(region.to_owned())),
        None => loader,
    }
    .load()
    .await
}

/// The SDK's HTTPS client: rustls with the ring provider, the one crypto provider of every
/// adgen binary (the SDK's default client would link aws-lc-rs beside it). Certificates are
/// checked against the system's roots, as the default client does.
fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// A one-off SDK call of a start-up or operator path failed (reading a secret, a stack's
/// outputs); the message names what was asked for, never a secret's value.
#[derive(Debug)]
pub struct CallError(pub String);

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CallError {}

/// The SDK configuration in `region`, or in the region of the usual AWS sources (environment,
/// profile); `None` when neither names one. For operator commands: a laptop has no Lambda
/// `AWS_REGION`, and silently picking a default region would write to the wrong place.
pub async fn sdk_config_in(region: Option<&str>) -> Option<SdkConfig> {
    let conf = load(region).await;
    conf.region().is_some().then_some(conf)
}

/// An endpoint override, if any. An empty string counts as none: the SDK panics on it.
fn endpoint(endpoint: Option<&str>) -> Option<&str> {
    endpoint.map(str::trim).filter(|e| !e.is_empty())
}

pub fn dynamodb_client(conf: &SdkConfig, endpoint_url: Option<&str>) -> aws_sdk_dynamodb::Client {
    sdk_client!(aws_sdk_dynamodb, conf, endpoint_url)
}

pub fn sqs_client(conf: &SdkConfig, endpoint_url: Option<&str>) -> aws_sdk_sqs::Client {
    sdk_client!(aws_sdk_sqs, conf, endpoint_url)
}

pub fn eventbridge_client(
    conf: &SdkConfig,
    endpoint_url: Option<&str>,
) -> aws_sdk_eventbridge::Client {
    sdk_client!(aws_sdk_eventbridge, conf, endpoint_url)
}

/// With an endpoint override the client addresses buckets by path (`http://host/bucket/key`):
/// emulators do not serve bucket subdomains.
pub fn s3_client(conf: &SdkConfig, endpoint_url: Option<&str>) -> aws_sdk_s3::Client {
    sdk_client!(
        aws_sdk_s3,
        conf,
        endpoint_url,
        |b: aws_sdk_s3::config::Builder| b.force_path_style(true)
    )
}

/// Endpoint overrides per service (all `None` in production).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub dynamodb: Option<String>,
    pub sqs: Option<String>,
    pub s3: Option<String>,
    pub events: Option<String>,
}

impl From<&AwsConfig> for Endpoints {
    fn from(config: &AwsConfig) -> Self {
        Self {
            dynamodb: config.store.dynamodb_endpoint.clone(),
            sqs: config.sqs_endpoint.clone(),
            s3: config.s3_endpoint.clone(),
            events: config.events_endpoint.clone(),
        }
    }
}

/// One client per service, built once per cold start. Building a client opens no connection,
/// so a function that never uses one of them pays next to nothing for it.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
}

impl AwsClients {
    pub fn new(conf: &SdkConfig, endpoints: &Endpoints) -> Self {
        Self {
            dynamodb: dynamodb_client(conf, endpoints.dynamodb.as_deref()),
            sqs: sqs_client(conf, endpoints.sqs.as_deref()),
            s3: s3_client(conf, endpoints.s3.as_deref()),
            eventbridge: eventbridge_client(conf, endpoints.events.as_deref()),
        }
    }

    /// Loads the SDK configuration ([`sdk_config`]) and builds the clients.
    pub async fn load(region_fallback: &str, endpoints: &Endpoints) -> Self {
        Self::new(&sdk_config(region_fallback).await, endpoints)
    }
}

/// The AWS adapter set of `config`, for a cold start: clients built once, then one cheap
/// DynamoDB read ([`DynamoStore::warm_up`]) so credentials and the first TLS handshake are paid
/// during init, not by the first request.
pub async fn adapters(config: &AwsConfig) -> Adapters {
    let clients = AwsClients::load(DEFAULT_REGION, &Endpoints::from(config)).await;
    let (adapters, store) = assemble(clients, config);
    store.warm_up().await;
    adapters
}

/// As [`adapters`], over clients already built and without the warm-up (tests point the
/// clients at the emulators).
pub fn adapters_from(clients: AwsClients, config: &AwsConfig) -> Adapters {
    assemble(clients, config).0
}

fn assemble(clients: AwsClients, config: &AwsConfig) -> (Adapters, Arc<DynamoStore>) {
    let store = Arc::new(DynamoStore::new(
        clients.dynamodb,
        config.store.table.clone(),
    ));
    let queue = Arc::new(SqsQueue::new(clients.sqs.clone(), config.queue_url.clone()));
    let delivery_queue = Arc::new(SqsQueue::new(
        clients.sqs,
        config.delivery_queue_url.clone(),
    ));
    let blobs = S3Blobs::new(clients.s3, config.bucket.clone());
    let adapters = Adapters {
        keys: store.clone(),
        rate_limits: store.clone(),
        jobs: store.clone(),
        idempotency: store.clone(),
        brands: store.clone(),
        webhooks: store.clone(),
        deliveries: store.clone(),
        queue: queue.clone(),
        consumer: queue,
        delivery_queue: delivery_queue.clone(),
        delivery_consumer: delivery_queue,
        bus: Some(Arc::new(EventBridgeBus::new(
            clients.eventbridge,
            config.event_bus.clone(),
        ))),
        links: Arc::new(S3Links::new(
            blobs.clone(),
            config.links.url_expiry,
            config.links.public_base_url.clone(),
        )),
        upload_target: Arc::new(S3UploadTarget::new(blobs.clone())),
        blobs: Arc::new(blobs),
        watcher: Arc::new(PollingWatcher::default()),
        uploads: store.clone(),
    };
    (adapters, store)
}

/// An SDK failure, as the text for logs: `DisplayErrorContext` prints the whole source chain
/// (the plain `Display` of an SDK error is often just "service error").
fn unavailable(service: &'static str, err: impl std::error::Error) -> PortError {
    PortError::Unavailable(
        service,
        aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string(),
    )
}
