//! Shared harness of the workspace tests: builds the adapter sets (embedded on a temporary
//! folder, AWS on the emulators `scripts/test.sh` starts), the services over them, and the
//! small tools tests need (a settable clock, a queue that fails on demand, request builders).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use adgen::UnixSeconds;
use adgen::adapters::{aws, embedded};
use adgen::api::{Api, HttpRequest};
use adgen::auth::{Authenticator, mint_key};
use adgen::ports::{
    ApiKeyStore, BlobStore, BrandStore, Clock, IdempotencyStore, ImageLinks, JobMessage, JobStore,
    JobWatcher, PortError, Queue,
};
use adgen::ports::{GenerateError, Generated, GenerationInput, ImageGenerator, ReferenceFetcher};
use adgen::render::DecodeLimits;
use adgen::service::generate::{Worker, WorkerSettings};
use adgen::service::jobs::{JobsService, PollingWatcher};
use adgen::service::submit::{SubmitService, SubmitSettings};
use async_trait::async_trait;
use bytes::Bytes;
use uuid::Uuid;

/// Base of the result URLs the embedded adapter set mints in tests.
pub const EMBEDDED_FILES_BASE: &str = "http://127.0.0.1:8080";

/// Which adapter set a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Embedded,
    Aws,
}

/// One adapter set, fresh and isolated (its own folder, or its own table, queue and bucket).
pub struct Backend {
    pub kind: Kind,
    pub keys: Arc<dyn ApiKeyStore>,
    pub jobs: Arc<dyn JobStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub brands: Arc<dyn BrandStore>,
    pub queue: Arc<dyn Queue>,
    pub blobs: Arc<dyn BlobStore>,
    pub links: Arc<dyn ImageLinks>,
    pub watcher: Arc<dyn JobWatcher>,
    drain: Drain,
    raw: Raw,
    _folder: Option<TempFolder>,
}

/// Direct access to the stored data, to plant what the adapters would never write.
enum Raw {
    Sqlite(PathBuf),
    Dynamo(aws_sdk_dynamodb::Client, String),
}

enum Drain {
    Embedded(Arc<embedded::EmbeddedQueue>),
    Sqs(aws_sdk_sqs::Client, String),
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
        let set = embedded::Embedded::open(&folder.0).expect("embedded adapters open");
        Backend {
            kind: Kind::Embedded,
            keys: set.store.clone(),
            jobs: set.store.clone(),
            idempotency: set.store.clone(),
            brands: set.store.clone(),
            queue: set.queue.clone(),
            blobs: set.blobs.clone(),
            links: Arc::new(embedded::ServedFiles::new(EMBEDDED_FILES_BASE)),
            watcher: set.store.clone(),
            drain: Drain::Embedded(set.queue),
            raw: Raw::Sqlite(folder.0.join("adgen.sqlite3")),
            _folder: Some(folder),
        }
    }

    async fn aws() -> Backend {
        let endpoint = |name: &str| {
            std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
                panic!("{name} is not set: run the tests with scripts/test.sh, which starts the AWS emulators")
            })
        };
        let (ddb_url, sqs_url, s3_url) = (
            endpoint("ADGEN_DYNAMODB_ENDPOINT"),
            endpoint("ADGEN_SQS_ENDPOINT"),
            endpoint("ADGEN_S3_ENDPOINT"),
        );
        let conf = aws::sdk_config("us-east-1").await;
        let ddb = aws::dynamodb_client(&conf, Some(&ddb_url));
        let sqs = aws::sqs_client(&conf, Some(&sqs_url));
        let s3 = aws::s3_client(&conf, Some(&s3_url));
        let name = format!("adgen-test-{}", Uuid::new_v4().simple());
        aws::create_table(&ddb, &name)
            .await
            .expect("table created on DynamoDB Local");
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .expect("queue created on moto")
            .queue_url
            .expect("queue url");
        s3.create_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("bucket created on moto");
        let store = Arc::new(aws::DynamoStore::new(ddb.clone(), name.clone()));
        Backend {
            kind: Kind::Aws,
            keys: store.clone(),
            jobs: store.clone(),
            idempotency: store.clone(),
            brands: store,
            queue: Arc::new(aws::SqsQueue::new(sqs.clone(), queue_url.clone())),
            blobs: Arc::new(aws::S3Blobs::new(s3.clone(), name.clone())),
            links: Arc::new(aws::S3Links::new(
                aws::S3Blobs::new(s3, name.clone()),
                Duration::from_secs(300),
                None,
            )),
            watcher: Arc::new(PollingWatcher::default()),
            drain: Drain::Sqs(sqs, queue_url),
            raw: Raw::Dynamo(ddb, name),
            _folder: None,
        }
    }

    /// Receives one waiting message (hiding it for a minute), then has the adapter make it
    /// visible again after `delay`, as the worker does for a retry.
    pub async fn receive_then_redeliver_after(&self, delay: Duration) -> JobMessage {
        match &self.drain {
            Drain::Embedded(queue) => {
                let d = queue
                    .receive(1, 60_000)
                    .await
                    .expect("receive")
                    .pop()
                    .expect("a message");
                queue
                    .redeliver_after(&d.receipt, delay.as_millis() as i64)
                    .await
                    .expect("redeliver");
                d.message
            }
            Drain::Sqs(client, url) => {
                let out = client
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(1)
                    .visibility_timeout(60)
                    .send()
                    .await
                    .expect("receive");
                let m = out.messages.unwrap_or_default().pop().expect("a message");
                let queue = aws::SqsQueue::new(client.clone(), url.clone());
                queue
                    .redeliver_after(m.receipt_handle.as_deref().expect("receipt"), delay)
                    .await
                    .expect("redeliver");
                serde_json::from_str(m.body.as_deref().expect("body")).expect("a JobMessage")
            }
        }
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

    /// Takes every message waiting in the queue (and deletes it).
    pub async fn drain_messages(&self) -> Vec<JobMessage> {
        let mut all = Vec::new();
        match &self.drain {
            Drain::Embedded(queue) => loop {
                let batch = queue.receive(100, 60_000).await.expect("receive");
                if batch.is_empty() {
                    break;
                }
                for d in batch {
                    queue.delete(&d.receipt).await.expect("delete");
                    all.push(d.message);
                }
            },
            Drain::Sqs(client, url) => loop {
                let out = client
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(10)
                    .visibility_timeout(60)
                    .send()
                    .await
                    .expect("receive");
                let messages = out.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for m in messages {
                    let body = m.body.as_deref().expect("body");
                    all.push(serde_json::from_str(body).expect("message is a JobMessage"));
                    if let Some(receipt) = m.receipt_handle {
                        client
                            .delete_message()
                            .queue_url(url)
                            .receipt_handle(receipt)
                            .send()
                            .await
                            .expect("delete");
                    }
                }
            },
        }
        all
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
        let auth = Arc::new(Authenticator::new(
            self.keys.clone(),
            Duration::from_secs(30),
        ));
        let queue = Arc::new(FlakyQueue::new(self.queue.clone()));
        let submit = Arc::new(SubmitService {
            auth: auth.clone(),
            jobs: jobs.clone(),
            idempotency: self.idempotency.clone(),
            brands: self.brands.clone(),
            queue: queue.clone(),
            blobs: self.blobs.clone(),
            clock: clock.clone(),
            settings: SubmitSettings::default(),
        });
        let jobs = Arc::new(JobsService {
            auth,
            jobs,
            brands: self.brands.clone(),
            links: self.links.clone(),
            watcher: self.watcher.clone(),
            clock,
        });
        App {
            api: Api { submit, jobs },
            queue,
        }
    }
}

impl Backend {
    /// A worker over this backend with `generator`, no reachable URLs and the default limits.
    pub fn worker(&self, clock: Arc<dyn Clock>, generator: Arc<dyn ImageGenerator>) -> Worker {
        self.worker_with(
            clock,
            generator,
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
        Worker {
            jobs: self.jobs.clone(),
            blobs: self.blobs.clone(),
            brands: self.brands.clone(),
            fetcher,
            generator,
            clock,
            settings: WorkerSettings {
                lease_seconds: 300,
                max_receives: 5,
                decode_limits,
            },
        }
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

/// A plain HTTP/1.1 GET over loopback (presigned emulator URLs, `adgen serve`): status, headers, body.
pub async fn http_get(url: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
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
