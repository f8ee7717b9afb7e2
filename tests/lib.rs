//! Shared harness of the workspace tests: builds the adapter sets (embedded on a temporary
//! folder, AWS on the emulators `scripts/test.sh` starts), the services over them, and the
//! small tools tests need (a settable clock, a queue that fails on demand, request builders).

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use adgen::UnixSeconds;
use adgen::auth::mint_key;
use adgen::config::{AwsConfig, LinksConfig, StoreConfig};
use adgen::http::{Api, HttpRequest, HttpResponse};
use adgen::idempotency::{IdempotencyRecord, IdempotencyScope, StoredResponse};
use adgen::jobs::Job;
use adgen::ports::{
    Adapters, BlobStore, Claim, Clock, CreateJob, GenerateError, Generated, GenerationInput,
    IdempotencyStore, ImageGenerator, JobMessage, JobStore, KeyInsert, PortError, Queue,
    ReferenceFetcher, SiteFetcher, WebhookSender,
};
use adgen::service::auth::AuthSettings;
use adgen::service::brands::{BrandsService, BrandsSettings};
use adgen::service::deliver::Deliverer;
use adgen::service::generate::{Worker, WorkerParts, WorkerSettings};
use adgen::service::jobs::JobsService;
use adgen::service::submit::{SubmitService, SubmitSettings};
use adgen::service::webhooks::{WebhooksService, WebhooksSettings};
use adgen_outbound::fetch::{FetchPolicy, Fetcher};
use adgen_outbound::site::Site;
use adgen_render::{Codec, DecodeLimits};
use async_trait::async_trait;
use bytes::Bytes;
use serde_json::Value;
use uuid::Uuid;

pub use adgen_testkit::{b64, http::get as http_get, http::put as http_put, images};

/// Base of the result URLs the embedded adapter set mints in tests.
pub const EMBEDDED_FILES_BASE: &str = "http://127.0.0.1:8080";

/// Which adapter set a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Embedded,
    Aws,
}

/// One adapter set, fresh and isolated (its own folder, or its own table, queue and bucket).
/// It dereferences to its [`Adapters`], so a test reaches a port as `backend.jobs`.
pub struct Backend {
    pub kind: Kind,
    pub adapters: Adapters,
    raw: Raw,
    /// The AWS set's clients and configuration (for tests of the AWS-only parts).
    pub aws: Option<AwsParts>,
    _folder: Option<TempFolder>,
}

/// What an AWS backend was built from.
#[derive(Clone)]
pub struct AwsParts {
    pub clients: adgen_aws::AwsClients,
    pub config: AwsConfig,
}

impl Deref for Backend {
    type Target = Adapters;

    fn deref(&self) -> &Adapters {
        &self.adapters
    }
}

/// Direct access to the stored data, to plant what the adapters would never write.
enum Raw {
    Sqlite(PathBuf),
    Dynamo(aws_sdk_dynamodb::Client, String),
}

impl Backend {
    pub async fn new(kind: Kind) -> Backend {
        match kind {
            Kind::Embedded => Self::embedded(),
            Kind::Aws => Self::aws().await,
        }
    }

    fn embedded() -> Backend {
        let folder = TempFolder::new();
        let set = adgen_embedded::Embedded::open(&folder.0).expect("embedded adapters open");
        Backend {
            kind: Kind::Embedded,
            adapters: set.adapters(EMBEDDED_FILES_BASE),
            raw: Raw::Sqlite(folder.0.join("adgen.sqlite3")),
            aws: None,
            _folder: Some(folder),
        }
    }

    async fn aws() -> Backend {
        let endpoint = |name: &str| {
            std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
                panic!("{name} is not set: run the tests with scripts/test.sh, which starts the AWS emulators")
            })
        };
        let endpoints = adgen_aws::Endpoints {
            dynamodb: Some(endpoint("ADGEN_DYNAMODB_ENDPOINT")),
            sqs: Some(endpoint("ADGEN_SQS_ENDPOINT")),
            s3: Some(endpoint("ADGEN_S3_ENDPOINT")),
            // moto serves EventBridge beside SQS and S3.
            events: Some(endpoint("ADGEN_SQS_ENDPOINT")),
        };
        let clients = adgen_aws::AwsClients::load(adgen_aws::DEFAULT_REGION, &endpoints).await;
        let name = format!("adgen-test-{}", Uuid::new_v4().simple());
        adgen_aws::create_table(&clients.dynamodb, &name)
            .await
            .expect("table created on DynamoDB Local");
        let queue_url = create_queue(&clients.sqs, &name).await;
        let delivery_queue_url = create_queue(&clients.sqs, &format!("{name}-deliveries")).await;
        clients
            .s3
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("bucket created on moto");
        let config = AwsConfig {
            store: StoreConfig {
                table: name.clone(),
                dynamodb_endpoint: endpoints.dynamodb.clone(),
            },
            bucket: name.clone(),
            s3_endpoint: endpoints.s3.clone(),
            queue_url,
            sqs_endpoint: endpoints.sqs.clone(),
            delivery_queue_url,
            // One bus per test backend, so no test hears another's events.
            event_bus: create_bus(&clients.eventbridge, &name).await,
            events_endpoint: endpoints.events.clone(),
            links: LinksConfig {
                url_expiry: Duration::from_secs(300),
                public_base_url: None,
            },
            auth: AuthSettings::default(),
        };
        let ddb = clients.dynamodb.clone();
        let adapters = adgen_aws::adapters_from(clients.clone(), &config);
        Backend {
            kind: Kind::Aws,
            adapters,
            raw: Raw::Dynamo(ddb, name),
            aws: Some(AwsParts { clients, config }),
            _folder: None,
        }
    }

    /// AWS only: a new queue that a rule on the backend's bus fills with every `adgen`
    /// event (in EventBridge's envelope); its URL.
    pub async fn listen_to_bus(&self) -> String {
        let aws = self.aws.as_ref().expect("an AWS backend");
        let name = format!("{}-listener", aws.config.event_bus);
        let url = create_queue(&aws.clients.sqs, &name).await;
        let arn = aws
            .clients
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        let events = &aws.clients.eventbridge;
        events
            .put_rule()
            .name(&name)
            .event_bus_name(&aws.config.event_bus)
            .event_pattern(r#"{"source":["adgen"]}"#)
            .send()
            .await
            .expect("rule created on moto");
        events
            .put_targets()
            .rule(&name)
            .event_bus_name(&aws.config.event_bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("listener")
                    .arn(arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("target set on moto");
        url
    }

    /// AWS only: the messages on the queue at `url` (with their attributes), waiting up to
    /// `within` for `count` of them.
    pub async fn receive_raw(
        &self,
        url: &str,
        count: usize,
        within: Duration,
    ) -> Vec<aws_sdk_sqs::types::Message> {
        let sqs = &self.aws.as_ref().expect("an AWS backend").clients.sqs;
        let mut all = Vec::new();
        let deadline = tokio::time::Instant::now() + within;
        while all.len() < count && tokio::time::Instant::now() < deadline {
            let batch = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive");
            all.extend(batch.messages.unwrap_or_default());
        }
        all
    }

    /// Receives one waiting message (hiding it for a minute), then has the adapter make it
    /// visible again after `delay`, as the worker does for a retry.
    pub async fn receive_then_redeliver_after(&self, delay: Duration) -> JobMessage {
        let delivery = self
            .consumer
            .receive(1, Duration::from_secs(60))
            .await
            .expect("receive")
            .pop()
            .expect("a message");
        self.consumer
            .redeliver_after(&delivery.receipt, delay)
            .await
            .expect("redeliver");
        serde_json::from_str(&delivery.body).expect("a JobMessage")
    }

    /// Plants a queued job whose stored document is not a job (corruption), last updated at
    /// `updated_at`; returns its id.
    pub async fn insert_unreadable_job(&self, updated_at: UnixSeconds) -> Uuid {
        let id = Uuid::new_v4();
        match &self.raw {
            Raw::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).expect("open the embedded database");
                conn.execute(
                    "INSERT INTO jobs (id, org_id, status, enqueued, created_at, updated_at, doc) \
                     VALUES (?1, ?2, 'queued', 0, ?3, ?3, 'not a job')",
                    rusqlite::params![id.to_string(), Uuid::new_v4().to_string(), updated_at],
                )
                .expect("insert");
            }
            Raw::Dynamo(client, table) => {
                use aws_sdk_dynamodb::types::AttributeValue::{Bool, N, S};
                client
                    .put_item()
                    .table_name(table)
                    .item("pk", S(format!("JOB#{id}")))
                    .item("sk", S("JOB".into()))
                    .item("org_id", S(Uuid::new_v4().to_string()))
                    .item("status", S("queued".into()))
                    .item("enqueued", Bool(false))
                    .item("created_at", N(updated_at.to_string()))
                    .item("updated_at", N(updated_at.to_string()))
                    .item("claims", N("0".into()))
                    .item("doc", S("not a job".into()))
                    .item("gsi2pk", S("ACTIVE".into()))
                    .item("gsi2sk", S(format!("{updated_at:012}#{id}")))
                    .send()
                    .await
                    .expect("put");
            }
        }
        id
    }

    /// The embedded set's SQLite file (to hold its lock from another connection, say).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.raw {
            Raw::Sqlite(path) => Some(path.clone()),
            Raw::Dynamo(..) => None,
        }
    }

    /// Takes every message waiting in the queue (and deletes it).
    pub async fn drain_messages(&self) -> Vec<JobMessage> {
        let mut all = Vec::new();
        loop {
            let batch = self
                .consumer
                .receive(10, Duration::from_secs(60))
                .await
                .expect("receive");
            if batch.is_empty() {
                return all;
            }
            for delivery in batch {
                all.push(serde_json::from_str(&delivery.body).expect("message is a JobMessage"));
                self.consumer
                    .delete(&delivery.receipt)
                    .await
                    .expect("delete");
            }
        }
    }

    /// A new API key of a new organisation: `(key, org_id)`.
    pub async fn new_key(&self) -> (String, Uuid) {
        let org = Uuid::new_v4();
        let (key, record) = mint_key(org, 0).expect("os randomness");
        self.keys.put(&record).await.expect("key stored");
        (key, org)
    }

    /// Both services over this backend, with a queue that can be told to fail.
    pub fn app(&self, clock: Arc<dyn Clock>) -> App {
        self.app_with_jobs(clock, self.jobs.clone())
    }

    /// As [`Backend::app`], with both services using `jobs` as their job store (a decorator
    /// over `self.jobs`, say, that counts reads).
    pub fn app_with_jobs(&self, clock: Arc<dyn Clock>, jobs: Arc<dyn JobStore>) -> App {
        self.app_with(clock, jobs, AuthSettings::default())
    }

    /// As [`Backend::app`], admitting requests as `auth` says (a rate limit, say).
    pub fn app_with_auth(&self, clock: Arc<dyn Clock>, auth: AuthSettings) -> App {
        self.app_with(clock, self.jobs.clone(), auth)
    }

    fn app_with(&self, clock: Arc<dyn Clock>, jobs: Arc<dyn JobStore>, auth: AuthSettings) -> App {
        let adapters = Adapters {
            jobs,
            ..self.adapters.clone()
        };
        Self::app_on(&adapters, clock, auth)
    }

    /// The services over this backend with the two stores a submission writes each behind
    /// its own [`Faults`] (counted, and failable): `(app, job store's, idempotency store's)`.
    pub fn app_with_store_faults(&self, clock: Arc<dyn Clock>) -> (App, Arc<Faults>, Arc<Faults>) {
        let (jobs, keys) = (Faults::new(), Faults::new());
        let adapters = Adapters {
            jobs: Arc::new(FaultyJobs {
                inner: self.jobs.clone(),
                faults: jobs.clone(),
            }),
            idempotency: Arc::new(FaultyIdempotency {
                inner: self.idempotency.clone(),
                faults: keys.clone(),
            }),
            ..self.adapters.clone()
        };
        (
            Self::app_on(&adapters, clock, AuthSettings::default()),
            jobs,
            keys,
        )
    }

    /// The services over `adapters` (this backend's, with a decorated port, say), with a
    /// queue that can be told to fail.
    pub fn app_on(adapters: &Adapters, clock: Arc<dyn Clock>, auth: AuthSettings) -> App {
        let queue = Arc::new(FlakyQueue::new(adapters.queue.clone()));
        let adapters = Adapters {
            queue: queue.clone(),
            ..adapters.clone()
        };
        let settings = SubmitSettings {
            auth,
            ..SubmitSettings::default()
        };
        App {
            api: Api {
                submit: Arc::new(SubmitService::new(&adapters, clock.clone(), settings)),
                jobs: Arc::new(JobsService::new(&adapters, clock.clone(), settings.auth)),
                // Brand extraction reaches the fixture sites on loopback, as `adgen serve
                // --allow-loopback-urls` does (spec §8).
                brands: Arc::new(BrandsService::new(
                    &adapters,
                    Arc::new(Codec::default()),
                    clock.clone(),
                    settings.auth,
                    BrandsSettings {
                        max_body_bytes: settings.max_body_bytes,
                        allow_loopback_urls: true,
                        idempotency: settings.idempotency,
                    },
                )),
                webhooks: Arc::new(WebhooksService::new(
                    &adapters,
                    local_webhook_sender(),
                    clock,
                    settings.auth,
                    WebhooksSettings {
                        max_body_bytes: settings.max_body_bytes,
                        allow_loopback_urls: true,
                    },
                )),
            },
            queue,
        }
    }

    /// Empties the queue and has a template-rendering worker process `job_id` once (as the
    /// first delivery of its message): what a queued job needs to finish in a test.
    pub async fn work_on(&self, clock: Arc<dyn Clock>, job_id: Uuid, org_id: Uuid) {
        self.drain_messages().await;
        self.worker(clock, Arc::new(adgen_render::TemplateGenerator))
            .process(JobMessage { job_id, org_id }, 1)
            .await;
    }

    /// The webhook deliverer over this backend, sending with `sender`.
    pub fn deliverer(&self, clock: Arc<dyn Clock>, sender: Arc<dyn WebhookSender>) -> Deliverer {
        Deliverer::new(&self.adapters, sender, clock)
    }

    /// Delivers every due message of the delivery queue once, as the deliver function or the
    /// loop of `adgen serve` does; how many messages there were.
    pub async fn deliver_due(&self, deliverer: &Deliverer) -> usize {
        adgen::service::deliver::consume_deliveries_once(
            self.delivery_consumer.as_ref(),
            deliverer,
            10,
        )
        .await
        .expect("delivery queue")
    }

    /// A worker over this backend with `generator`, no reachable URLs and the default limits.
    pub fn worker(&self, clock: Arc<dyn Clock>, generator: Arc<dyn ImageGenerator>) -> Worker {
        self.worker_with(
            clock,
            generator,
            Arc::new(StaticFetcher(Vec::new())),
            DecodeLimits::default(),
        )
    }

    /// A template-rendering worker over `adapters` (this backend's, with a decorated port).
    pub fn worker_on(&self, adapters: &Adapters, clock: Arc<dyn Clock>) -> Worker {
        self.build_worker(
            adapters,
            clock,
            Arc::new(adgen_render::TemplateGenerator),
            Arc::new(StaticFetcher(Vec::new())),
            DecodeLimits::default(),
        )
    }

    /// A worker over this backend with the given generator, fetcher and decoding limits.
    pub fn worker_with(
        &self,
        clock: Arc<dyn Clock>,
        generator: Arc<dyn ImageGenerator>,
        fetcher: Arc<dyn ReferenceFetcher>,
        decode_limits: DecodeLimits,
    ) -> Worker {
        self.build_worker(&self.adapters, clock, generator, fetcher, decode_limits)
    }

    fn build_worker(
        &self,
        adapters: &Adapters,
        clock: Arc<dyn Clock>,
        generator: Arc<dyn ImageGenerator>,
        fetcher: Arc<dyn ReferenceFetcher>,
        decode_limits: DecodeLimits,
    ) -> Worker {
        let parts = WorkerParts {
            fetcher,
            site: local_site(),
            generator,
            codec: Arc::new(Codec::new(decode_limits)),
        };
        let settings = WorkerSettings {
            lease_seconds: 300,
            max_receives: 5,
        };
        Worker::new(adapters, parts, clock, settings)
    }
}

/// A new SQS queue on moto; its URL.
pub async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("queue created on moto")
        .queue_url
        .expect("queue url")
}

/// A new EventBridge bus on moto; its name.
pub async fn create_bus(events: &aws_sdk_eventbridge::Client, name: &str) -> String {
    events
        .create_event_bus()
        .name(name)
        .send()
        .await
        .expect("event bus created on moto");
    name.to_owned()
}

/// The production site fetcher in its local-development mode (spec §8): fixture sites on
/// 127.0.0.1 are reachable over http, every other non-public address stays refused.
/// Each fetch is cut at 3 s (the fixtures answer in milliseconds; the hostile ones stall).
pub fn local_site() -> Arc<dyn SiteFetcher> {
    let policy = FetchPolicy {
        total_timeout: Duration::from_secs(3),
        ..FetchPolicy::default()
    };
    let fetcher = Fetcher::local_dev(policy).expect("the fetcher builds");
    Arc::new(Site::new(Arc::new(fetcher)))
}

/// The production webhook sender in its local-development mode (spec §8): receivers on
/// 127.0.0.1 over http, every other non-public address refused.
pub fn local_webhook_sender() -> Arc<dyn WebhookSender> {
    adgen_outbound::webhook::webhook_sender(true).expect("the webhook sender builds")
}

/// A job store that calls `before_read` with the job id before each read (to count reads, or
/// to inject a bug), delegating everything to `inner`.
pub struct ObservedJobs<F> {
    pub inner: Arc<dyn JobStore>,
    pub before_read: F,
}

#[async_trait]
impl<F: Fn(Uuid) + Send + Sync> JobStore for ObservedJobs<F> {
    async fn create(&self, job: &Job) -> Result<CreateJob, PortError> {
        self.inner.create(job).await
    }

    async fn get(&self, job_id: Uuid) -> Result<Option<Job>, PortError> {
        (self.before_read)(job_id);
        self.inner.get(job_id).await
    }

    async fn mark_enqueued(&self, job_id: Uuid, now: UnixSeconds) -> Result<(), PortError> {
        self.inner.mark_enqueued(job_id, now).await
    }

    async fn withdraw(&self, job_id: Uuid) -> Result<bool, PortError> {
        self.inner.withdraw(job_id).await
    }

    async fn claim(
        &self,
        job_id: Uuid,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
    ) -> Result<Claim, PortError> {
        self.inner.claim(job_id, owner, now, lease_until).await
    }

    async fn save_leased(&self, job: &Job, owner: &str) -> Result<bool, PortError> {
        self.inner.save_leased(job, owner).await
    }

    async fn save_abandoned(&self, job: &Job, now: UnixSeconds) -> Result<bool, PortError> {
        self.inner.save_abandoned(job, now).await
    }

    async fn list_stale(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        self.inner.list_stale(updated_before, limit).await
    }

    async fn list_undispatched(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        self.inner.list_undispatched(updated_before, limit).await
    }

    async fn mark_dispatched(&self, job_id: Uuid) -> Result<(), PortError> {
        self.inner.mark_dispatched(job_id).await
    }
}

/// Serves fixed answers by URL; any other URL fails as unreachable.
pub struct StaticFetcher(pub Vec<(String, Result<Bytes, String>)>);

#[async_trait]
impl ReferenceFetcher for StaticFetcher {
    async fn fetch(&self, url: &str) -> Result<Bytes, String> {
        self.0
            .iter()
            .find(|(u, _)| u == url)
            .map(|(_, answer)| answer.clone())
            .unwrap_or_else(|| Err("could not download the image: connection refused".into()))
    }
}

/// A generator that fails the way a provider does, counting its calls.
pub struct FailingGenerator {
    pub error: fn() -> GenerateError,
    pub calls: AtomicUsize,
}

impl FailingGenerator {
    pub fn new(error: fn() -> GenerateError) -> Arc<Self> {
        Arc::new(Self {
            error,
            calls: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl ImageGenerator for FailingGenerator {
    fn name(&self) -> &'static str {
        "failing"
    }

    async fn generate(&self, _input: &GenerationInput<'_>) -> Result<Generated, GenerateError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err((self.error)())
    }
}

pub struct App {
    pub api: Api,
    pub queue: Arc<FlakyQueue>,
}

impl App {
    /// Submits `body` with `key` and returns the accepted job's id.
    pub async fn submit(&self, key: &str, body: &serde_json::Value) -> Uuid {
        let response = self
            .api
            .handle(request(
                "POST",
                "/api/v1/images/generations",
                Some(key),
                None,
                &body.to_string(),
            ))
            .await;
        assert_eq!(response.status().as_u16(), 202, "{:?}", response.body());
        let json: serde_json::Value = serde_json::from_slice(response.body()).expect("json");
        Uuid::try_parse(json["data"]["job_id"].as_str().expect("job id")).expect("uuid")
    }
}

/// The moment most tests start at (a fixed clock keeps stored responses comparable).
pub const NOW: UnixSeconds = 1_764_100_000;

/// An API answer, taken apart for assertions.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub raw: bytes::Bytes,
    pub json: Value,
}

pub fn answer(response: HttpResponse) -> Answer {
    let (parts, raw) = response.into_parts();
    let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        raw,
        json,
    }
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("<none>")
    }

    pub fn job_id(&self) -> Uuid {
        self.json["data"]["job_id"]
            .as_str()
            .and_then(|s| Uuid::try_parse(s).ok())
            .expect("a job id")
    }

    /// Every error has the full envelope, and its request id is the header's.
    pub fn assert_error(&self, status: u16, error_type: &str, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.json);
        let error = &self.json["error"];
        assert_eq!(error["type"], error_type);
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        let id = error["request_id"].as_str().expect("request_id");
        assert_eq!(Some(id), self.header("x-request-id"));
        assert_request_id(id);
    }
}

/// `req_pi_<uuid v4>`.
pub fn assert_request_id(id: &str) {
    let uuid = id
        .strip_prefix("req_pi_")
        .and_then(|u| Uuid::try_parse(u).ok())
        .expect("req_pi_<uuid>");
    assert_eq!(uuid.get_version_num(), 4);
}

/// A client of one new organisation, with its key, over an app on a clock set to [`NOW`].
pub struct Client {
    pub app: App,
    pub key: String,
    pub org: Uuid,
    pub clock: Arc<ManualClock>,
}

pub async fn client(b: &Backend) -> Client {
    let clock = ManualClock::at(NOW);
    let (key, org) = b.new_key().await;
    Client {
        app: b.app(clock.clone()),
        key,
        org,
        clock,
    }
}

impl Client {
    pub async fn post(&self, path: &str, idem: Option<&str>, body: &str) -> Answer {
        answer(
            self.app
                .api
                .handle(request("POST", path, Some(&self.key), idem, body))
                .await,
        )
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(
            self.app
                .api
                .handle(request("GET", path, Some(&self.key), None, ""))
                .await,
        )
    }

    pub async fn delete(&self, path: &str) -> Answer {
        answer(
            self.app
                .api
                .handle(request("DELETE", path, Some(&self.key), None, ""))
                .await,
        )
    }
}

/// A recorded Lambda event of the repository's `events/` folder, parsed.
pub fn recorded_event(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A small PNG as raw base64, as a client sends an inline reference.
pub fn png_b64() -> String {
    b64(&adgen_testkit::images::png(8, 6))
}

/// A clock tests move by hand.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(now: UnixSeconds) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(now)))
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixSeconds {
        self.0.load(Ordering::SeqCst)
    }
}

/// Wraps a queue; `fail_next(n)` makes the next `n` sends fail as an outage would.
pub struct FlakyQueue {
    inner: Arc<dyn Queue>,
    failures_left: AtomicUsize,
    pub sends_attempted: AtomicUsize,
}

impl FlakyQueue {
    pub fn new(inner: Arc<dyn Queue>) -> Self {
        Self {
            inner,
            failures_left: AtomicUsize::new(0),
            sends_attempted: AtomicUsize::new(0),
        }
    }

    pub fn fail_next(&self, n: usize) {
        self.failures_left.store(n, Ordering::SeqCst);
    }
}

#[async_trait]
impl Queue for FlakyQueue {
    async fn send(&self, message: &JobMessage) -> Result<(), PortError> {
        self.sends_attempted.fetch_add(1, Ordering::SeqCst);
        let fail = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            return Err(PortError::Unavailable("queue", "injected fault".into()));
        }
        self.inner.send(message).await
    }
}

/// Faults a decorated port injects: the next `n` calls fail, and every call can be delayed.
#[derive(Default)]
pub struct Faults {
    failures_left: AtomicUsize,
    /// Every `n`th call fails (0: none), beside `failures_left`.
    every: AtomicUsize,
    delay_ms: AtomicUsize,
    /// Calls that reached the decorator (failed or not).
    pub calls: AtomicUsize,
    /// Calls it failed.
    pub injected: AtomicUsize,
}

impl Faults {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn fail_next(&self, n: usize) {
        self.failures_left.store(n, Ordering::SeqCst);
    }

    /// Fails every `n`th call from now on (0 stops it): a steady failure rate of 1/`n`.
    pub fn fail_every(&self, n: usize) {
        self.every.store(n, Ordering::SeqCst);
    }

    pub fn delay(&self, by: Duration) {
        self.delay_ms
            .store(by.as_millis() as usize, Ordering::SeqCst);
    }

    /// One call of `port`: waits the delay, then fails if a failure is due.
    async fn hit(&self, port: &'static str) -> Result<(), PortError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay as u64)).await;
        }
        let every = self.every.load(Ordering::SeqCst);
        let fail = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
            || (every > 0 && call.is_multiple_of(every));
        if fail {
            self.injected.fetch_add(1, Ordering::SeqCst);
            return Err(PortError::Unavailable(port, "injected fault".into()));
        }
        Ok(())
    }
}

/// A job store whose writes suffer `faults` (reads pass through untouched).
pub struct FaultyJobs {
    pub inner: Arc<dyn JobStore>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl JobStore for FaultyJobs {
    async fn create(&self, job: &Job) -> Result<CreateJob, PortError> {
        self.faults.hit("jobs").await?;
        self.inner.create(job).await
    }
    async fn get(&self, job_id: Uuid) -> Result<Option<Job>, PortError> {
        self.inner.get(job_id).await
    }
    async fn mark_enqueued(&self, job_id: Uuid, now: UnixSeconds) -> Result<(), PortError> {
        self.faults.hit("jobs").await?;
        self.inner.mark_enqueued(job_id, now).await
    }
    async fn withdraw(&self, job_id: Uuid) -> Result<bool, PortError> {
        self.faults.hit("jobs").await?;
        self.inner.withdraw(job_id).await
    }
    async fn claim(
        &self,
        job_id: Uuid,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
    ) -> Result<Claim, PortError> {
        self.faults.hit("jobs").await?;
        self.inner.claim(job_id, owner, now, lease_until).await
    }
    async fn save_leased(&self, job: &Job, owner: &str) -> Result<bool, PortError> {
        self.faults.hit("jobs").await?;
        self.inner.save_leased(job, owner).await
    }
    async fn save_abandoned(&self, job: &Job, now: UnixSeconds) -> Result<bool, PortError> {
        self.faults.hit("jobs").await?;
        self.inner.save_abandoned(job, now).await
    }
    async fn list_stale(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        self.inner.list_stale(updated_before, limit).await
    }
    async fn list_undispatched(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        self.inner.list_undispatched(updated_before, limit).await
    }
    async fn mark_dispatched(&self, job_id: Uuid) -> Result<(), PortError> {
        self.faults.hit("jobs").await?;
        self.inner.mark_dispatched(job_id).await
    }
}

/// An idempotency store whose calls suffer `faults`.
pub struct FaultyIdempotency {
    pub inner: Arc<dyn IdempotencyStore>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl IdempotencyStore for FaultyIdempotency {
    async fn insert(
        &self,
        record: &IdempotencyRecord,
        now: UnixSeconds,
    ) -> Result<Option<IdempotencyRecord>, PortError> {
        self.faults.hit("idempotency").await?;
        self.inner.insert(record, now).await
    }
    async fn insert_with_job(
        &self,
        record: &IdempotencyRecord,
        job: &Job,
        now: UnixSeconds,
    ) -> Result<KeyInsert, PortError> {
        self.faults.hit("idempotency").await?;
        self.inner.insert_with_job(record, job, now).await
    }
    async fn take_over(
        &self,
        scope: &IdempotencyScope,
        previous_token: &str,
        new_token: &str,
        lock_until: UnixSeconds,
    ) -> Result<bool, PortError> {
        self.faults.hit("idempotency").await?;
        self.inner
            .take_over(scope, previous_token, new_token, lock_until)
            .await
    }
    async fn complete(
        &self,
        scope: &IdempotencyScope,
        token: &str,
        response: &StoredResponse,
        expires_at: UnixSeconds,
    ) -> Result<bool, PortError> {
        self.faults.hit("idempotency").await?;
        self.inner
            .complete(scope, token, response, expires_at)
            .await
    }
    async fn release(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError> {
        self.faults.hit("idempotency").await?;
        self.inner.release(scope, token).await
    }
    async fn remove(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError> {
        self.faults.hit("idempotency").await?;
        self.inner.remove(scope, token).await
    }
}

/// A blob store whose puts under `prefix` suffer `faults`.
pub struct FaultyBlobs {
    pub inner: Arc<dyn BlobStore>,
    pub prefix: &'static str,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl BlobStore for FaultyBlobs {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError> {
        if key.starts_with(self.prefix) {
            self.faults.hit("blobs").await?;
        }
        self.inner.put(key, bytes, content_type).await
    }
    async fn get(&self, key: &str) -> Result<Option<adgen::ports::Blob>, PortError> {
        self.inner.get(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.inner.delete(key).await
    }
    async fn size(&self, key: &str) -> Result<Option<u64>, PortError> {
        self.inner.size(key).await
    }
    async fn read_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>, PortError> {
        self.inner.read_prefix(key, len).await
    }
    async fn copy(&self, from: &str, to: &str) -> Result<bool, PortError> {
        if to.starts_with(self.prefix) {
            self.faults.hit("blobs").await?;
        }
        self.inner.copy(from, to).await
    }
}

/// A folder under the system temp dir, removed on drop.
pub struct TempFolder(pub PathBuf);

impl TempFolder {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("adgen-test-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("temp folder");
        Self(path)
    }
}

impl Default for TempFolder {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds a request as a client would send it.
pub fn request(
    method: &str,
    path: &str,
    key: Option<&str>,
    idempotency_key: Option<&str>,
    body: &str,
) -> HttpRequest {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    if let Some(idem) = idempotency_key {
        builder = builder.header("idempotency-key", idem);
    }
    builder
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .expect("valid request")
}

/// Runs each named async test once per adapter set: `<name>::embedded` and `<name>::aws`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn embedded() {
                    super::$name($crate::Backend::new($crate::Kind::Embedded).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn aws() {
                    super::$name($crate::Backend::new($crate::Kind::Aws).await).await;
                }
            }
        )+
    };
}
