//! Embedded adapters for `adgen serve`: SQLite (bundled) for records (uploads' too), rate-limit
//! counters and two durable queues (generation and webhook delivery), a local folder for
//! blobs. Every conditional write of the DynamoDB adapter is one SQLite transaction here, so
//! both behave alike (the contract-test suite checks it). Long-polls wake on the store's own
//! write notification instead of re-reading.

mod blobs;
mod queue;
mod ratelimit;
mod store;
mod uploads;
mod webhooks;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

pub use blobs::{FolderBlobs, ServedFiles};
pub use queue::EmbeddedQueue;
pub use store::EmbeddedStore;
pub use uploads::{EmbeddedUploads, LocalUploadTarget};

use adgen::ports::{Adapters, PortError};

/// One SQLite connection shared by the store and the queue; calls run on the blocking pool.
#[derive(Clone)]
pub(crate) struct Db(Arc<Mutex<Connection>>);

impl Db {
    fn open(path: &Path) -> Result<Self, PortError> {
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        migrate(&conn)?;
        Ok(Self(Arc::new(Mutex::new(conn))))
    }

    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, PortError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, PortError> + Send + 'static,
    {
        let conn = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| PortError::Unavailable("sqlite", "connection lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| PortError::Unavailable("sqlite", e.to_string()))?
    }
}

/// Brings a data folder of an older version up to [`SCHEMA`] (columns added since).
fn migrate(conn: &Connection) -> Result<(), PortError> {
    for table in ["queue", "delivery_queue"] {
        let has_in_flight = conn
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = 'in_flight'"
            ))
            .and_then(|mut s| s.exists([]))
            .map_err(unavailable)?;
        if !has_in_flight {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0"
            ))
            .map_err(unavailable)?;
        }
    }
    Ok(())
}

pub(crate) fn unavailable(e: rusqlite::Error) -> PortError {
    PortError::Unavailable("sqlite", e.to_string())
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY, org_id TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, status TEXT NOT NULL, enqueued INTEGER NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, doc TEXT NOT NULL,
    lease_owner TEXT, lease_until INTEGER, claims INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS jobs_active ON jobs (updated_at) WHERE status IN ('queued', 'processing');
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT PRIMARY KEY, org_id TEXT NOT NULL, endpoint TEXT NOT NULL, key_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL, token TEXT NOT NULL, job_id TEXT NOT NULL, state TEXT NOT NULL,
    created_at INTEGER NOT NULL, lock_until INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    resp_status INTEGER, resp_request_id TEXT, resp_location TEXT, resp_body BLOB);
CREATE TABLE IF NOT EXISTS brands (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS brands_by_org ON brands (org_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_outbox ON jobs (updated_at)
    WHERE status IN ('completed', 'failed') AND json_extract(doc, '$.events_dispatched') = 0;
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, created_at INTEGER NOT NULL, version INTEGER NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS webhooks_by_org ON webhooks (org_id, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, job_id TEXT,
    created_at INTEGER NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_by_endpoint ON deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS deliveries_by_job ON deliveries (job_id, created_at DESC, id DESC)
    WHERE job_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, used_by TEXT);
CREATE TABLE IF NOT EXISTS rate_limits (
    key_hash TEXT NOT NULL, second INTEGER NOT NULL, count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, PRIMARY KEY (key_hash, second)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, visible_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, in_flight INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS delivery_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, visible_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, in_flight INTEGER NOT NULL DEFAULT 0);
";

/// The embedded adapter set over one data folder.
pub struct Embedded {
    pub store: Arc<EmbeddedStore>,
    pub queue: Arc<EmbeddedQueue>,
    /// The webhook delivery queue (its own table, same semantics).
    pub delivery_queue: Arc<EmbeddedQueue>,
    pub blobs: Arc<FolderBlobs>,
    pub uploads: Arc<EmbeddedUploads>,
}

impl Embedded {
    /// Opens (creating when needed) `adgen.sqlite3` and `blobs/` inside `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, PortError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            PortError::Unavailable("data folder", format!("{}: {e}", data_dir.display()))
        })?;
        let db = Db::open(&data_dir.join("adgen.sqlite3"))?;
        Ok(Self {
            store: Arc::new(EmbeddedStore::new(db.clone())),
            queue: Arc::new(EmbeddedQueue::new(db.clone(), "queue")),
            delivery_queue: Arc::new(EmbeddedQueue::new(db.clone(), "delivery_queue")),
            uploads: Arc::new(EmbeddedUploads::new(db)),
            blobs: Arc::new(FolderBlobs::new(data_dir.join("blobs"))),
        })
    }

    /// Recovers what a process that died on this data folder left held (only call it holding
    /// the folder's lock, as `adgen serve` does, so that no live process holds anything):
    /// generation messages it was handling become visible now, and the leases of the jobs it
    /// was processing end now, so the worker takes them over at once instead of after a lease
    /// and a visibility timeout. Webhook deliveries are left to their own (short) timeouts: a
    /// delivery's claim must expire before its message returns, or the attempt would be
    /// taken for a duplicate. Returns (messages, jobs) recovered.
    pub async fn recover_interrupted(
        &self,
        now: adgen::UnixSeconds,
    ) -> Result<(usize, usize), PortError> {
        let messages = self.queue.release_in_flight().await?;
        let jobs = self.store.end_live_leases(now).await?;
        Ok((messages, jobs))
    }

    /// The adapter set, with result URLs minted under `files_base_url` (the server's own
    /// `/files/` route).
    pub fn adapters(&self, files_base_url: &str) -> Adapters {
        Adapters {
            keys: self.store.clone(),
            rate_limits: self.store.clone(),
            jobs: self.store.clone(),
            idempotency: self.store.clone(),
            brands: self.store.clone(),
            webhooks: self.store.clone(),
            deliveries: self.store.clone(),
            queue: self.queue.clone(),
            consumer: self.queue.clone(),
            delivery_queue: self.delivery_queue.clone(),
            delivery_consumer: self.delivery_queue.clone(),
            // EventBridge is AWS's; `adgen serve` has webhooks only.
            bus: None,
            blobs: self.blobs.clone(),
            links: Arc::new(ServedFiles::new(files_base_url)),
            watcher: self.store.clone(),
            uploads: self.uploads.clone(),
            // The same server takes the uploads' PUTs.
            upload_target: Arc::new(LocalUploadTarget::new(files_base_url)),
        }
    }
}
