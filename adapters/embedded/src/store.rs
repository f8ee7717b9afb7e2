//! Records in SQLite: API keys, jobs, idempotency records, brands.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::webhooks::{BRANDS, get_doc, page};
use super::{Db, unavailable};
use adgen::UnixSeconds;
use adgen::auth::{ApiKeyRecord, KeyState};
use adgen::brands::{Brand, BrandPage};
use adgen::idempotency::{IdempotencyRecord, IdempotencyScope, IdempotencyState, StoredResponse};
use adgen::jobs::{Job, JobLease, JobStatus};
use adgen::ports::{
    ApiKeyStore, BrandStore, Claim, CreateJob, IdempotencyStore, JobStore, JobWatch, JobWatcher,
    KeyInsert, PortError,
};

pub struct EmbeddedStore {
    db: Db,
    /// The id of every job written, for long-polls waiting on it (`JobWatcher`).
    job_writes: broadcast::Sender<Uuid>,
}

impl EmbeddedStore {
    pub(super) fn new(db: Db) -> Self {
        Self {
            db,
            job_writes: broadcast::channel(1024).0,
        }
    }

    pub(super) fn db(&self) -> &Db {
        &self.db
    }

    /// Ends, at `now`, the lease of every processing job still holding one (see
    /// `Embedded::recover_interrupted`); how many. The lease columns win over `doc` on
    /// reading, so they are all that changes.
    pub(super) async fn end_live_leases(&self, now: UnixSeconds) -> Result<usize, PortError> {
        self.db
            .run(move |conn| {
                conn.execute(
                    "UPDATE jobs SET lease_until = ?1 WHERE status = 'processing' AND lease_until > ?1",
                    params![now],
                )
                .map_err(unavailable)
            })
            .await
    }

    /// Runs `decide` on the stored job inside one immediate transaction, writes what it
    /// returns and tells the watchers.
    async fn rewrite_job<T: Send + 'static>(
        &self,
        job_id: Uuid,
        decide: impl FnOnce(Option<Job>) -> (Option<Job>, T) + Send + 'static,
    ) -> Result<T, PortError> {
        let (written, answer) = self
            .db
            .run(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(unavailable)?;
                let (write, answer) = decide(read_job(&tx, job_id)?);
                let written = write.is_some();
                if let Some(job) = write {
                    write_job(&tx, &job)?;
                    tx.commit().map_err(unavailable)?;
                }
                Ok((written, answer))
            })
            .await?;
        if written {
            // No receiver is fine: nobody is waiting on this job.
            let _ = self.job_writes.send(job_id);
        }
        Ok(answer)
    }
}

impl JobWatcher for EmbeddedStore {
    fn watch(&self, job_id: Uuid) -> Box<dyn JobWatch> {
        Box::new(WriteWatch {
            job_id,
            writes: self.job_writes.subscribe(),
        })
    }
}

/// Wakes a long-poll when its job is written.
struct WriteWatch {
    job_id: Uuid,
    writes: broadcast::Receiver<Uuid>,
}

#[async_trait]
impl JobWatch for WriteWatch {
    async fn changed(&mut self, _last: &Job, until: tokio::time::Instant) {
        let wait = async {
            loop {
                match self.writes.recv().await {
                    Ok(id) if id == self.job_id => return,
                    Ok(_) => continue,
                    // Missed writes may include ours: look again.
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        };
        let _ = tokio::time::timeout_at(until, wait).await;
    }
}

fn corrupt(what: &'static str) -> impl Fn(String) -> PortError {
    move |reason| PortError::Corrupt(what, reason)
}

fn parse_uuid(text: &str, what: &'static str) -> Result<Uuid, PortError> {
    Uuid::try_parse(text).map_err(|e| PortError::Corrupt(what, e.to_string()))
}

#[async_trait]
impl ApiKeyStore for EmbeddedStore {
    async fn get(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, PortError> {
        let key_hash = key_hash.to_owned();
        self.db
            .run(move |conn| {
                let row: Option<(String, String, i64)> = conn
                    .query_row(
                        "SELECT org_id, state, created_at FROM api_keys WHERE key_hash = ?1",
                        params![key_hash],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(unavailable)?;
                row.map(|(org_id, state, created_at)| {
                    Ok(ApiKeyRecord {
                        key_hash: key_hash.clone(),
                        org_id: parse_uuid(&org_id, "api key")?,
                        state: KeyState::parse(&state)
                            .ok_or_else(|| corrupt("api key")(format!("state {state:?}")))?,
                        created_at,
                    })
                })
                .transpose()
            })
            .await
    }

    async fn put(&self, record: &ApiKeyRecord) -> Result<(), PortError> {
        let record = record.clone();
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO api_keys (key_hash, org_id, state, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![record.key_hash, record.org_id.to_string(), record.state.as_str(), record.created_at],
                )
                .map(|_| ())
                .map_err(unavailable)
            })
            .await
    }
}

/// The columns a job is read from. Every write replaces the whole row, `doc` included; the
/// columns beside it win on reading, as in the DynamoDB layout.
const JOB_COLUMNS: &str = "doc, status, enqueued, updated_at, lease_owner, lease_until, claims";

struct JobRow {
    doc: String,
    status: String,
    enqueued: bool,
    updated_at: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    claims: u32,
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        doc: row.get(0)?,
        status: row.get(1)?,
        enqueued: row.get(2)?,
        updated_at: row.get(3)?,
        lease_owner: row.get(4)?,
        lease_until: row.get(5)?,
        claims: row.get(6)?,
    })
}

/// The stored document, with the columns beside it applied on top.
fn decode_job(row: JobRow) -> Result<Job, PortError> {
    let mut job: Job =
        serde_json::from_str(&row.doc).map_err(|e| PortError::Corrupt("job", e.to_string()))?;
    job.status = JobStatus::parse(&row.status)
        .ok_or_else(|| corrupt("job")(format!("status {:?}", row.status)))?;
    job.enqueued = row.enqueued;
    job.updated_at = row.updated_at;
    job.lease = match (row.lease_owner, row.lease_until) {
        (Some(owner), Some(until)) => Some(JobLease { owner, until }),
        _ => None,
    };
    job.claims = row.claims;
    Ok(job)
}

fn read_job(conn: &Connection, job_id: Uuid) -> Result<Option<Job>, PortError> {
    conn.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
        params![job_id.to_string()],
        job_from_row,
    )
    .optional()
    .map_err(unavailable)?
    .map(decode_job)
    .transpose()
}

/// Inserts or replaces the whole row of `job`.
fn write_job(conn: &Connection, job: &Job) -> Result<(), PortError> {
    let doc = serde_json::to_string(job).map_err(|e| PortError::Corrupt("job", e.to_string()))?;
    conn.execute(
        &format!("INSERT OR REPLACE INTO jobs (id, org_id, created_at, {JOB_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![
            job.id.to_string(),
            job.org_id.to_string(),
            job.created_at,
            doc,
            job.status.as_str(),
            job.enqueued,
            job.updated_at,
            job.lease.as_ref().map(|l| l.owner.clone()),
            job.lease.as_ref().map(|l| l.until),
            job.claims,
        ],
    )
    .map(|_| ())
    .map_err(unavailable)
}

/// A processing job whose lease has run out may be taken over (a processing job always
/// carries a lease).
fn lease_expired(job: &Job, now: UnixSeconds) -> bool {
    job.status == JobStatus::Processing && job.lease.as_ref().is_some_and(|l| l.until <= now)
}

#[async_trait]
impl JobStore for EmbeddedStore {
    async fn create(&self, job: &Job) -> Result<CreateJob, PortError> {
        let job = job.clone();
        self.rewrite_job(job.id, move |existing| match existing {
            Some(existing) => (None, CreateJob::Exists(Box::new(existing))),
            None => (Some(job), CreateJob::Created),
        })
        .await
    }

    async fn get(&self, job_id: Uuid) -> Result<Option<Job>, PortError> {
        self.db.run(move |conn| read_job(conn, job_id)).await
    }

    async fn mark_enqueued(&self, job_id: Uuid, now: UnixSeconds) -> Result<(), PortError> {
        self.rewrite_job(job_id, move |stored| match stored {
            Some(job) => (
                Some(Job {
                    enqueued: true,
                    updated_at: now,
                    ..job
                }),
                Ok(()),
            ),
            None => (
                None,
                Err(PortError::Corrupt(
                    "job",
                    format!("job {job_id} does not exist"),
                )),
            ),
        })
        .await?
    }

    async fn withdraw(&self, job_id: Uuid) -> Result<bool, PortError> {
        self.db
            .run(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(unavailable)?;
                let withdrawn = match read_job(&tx, job_id)? {
                    None => true,
                    Some(job) if job.status == JobStatus::Queued && job.claims == 0 => {
                        tx.execute(
                            "DELETE FROM jobs WHERE id = ?1",
                            params![job_id.to_string()],
                        )
                        .map_err(unavailable)?;
                        tx.commit().map_err(unavailable)?;
                        true
                    }
                    Some(_) => false,
                };
                Ok(withdrawn)
            })
            .await
    }

    async fn claim(
        &self,
        job_id: Uuid,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
    ) -> Result<Claim, PortError> {
        let owner = owner.to_owned();
        self.rewrite_job(job_id, move |stored| match stored {
            None => (None, Claim::Missing),
            Some(job) if job.status.is_terminal() => (None, Claim::Finished),
            Some(job) if job.status == JobStatus::Queued || lease_expired(&job, now) => {
                let claimed = Job {
                    status: JobStatus::Processing,
                    lease: Some(JobLease {
                        owner,
                        until: lease_until,
                    }),
                    claims: job.claims + 1,
                    updated_at: now,
                    ..job
                };
                (Some(claimed.clone()), Claim::Claimed(Box::new(claimed)))
            }
            Some(_) => (None, Claim::HeldByOther),
        })
        .await
    }

    async fn save_leased(&self, job: &Job, owner: &str) -> Result<bool, PortError> {
        let (job, owner) = (job.clone(), owner.to_owned());
        self.rewrite_job(job.id, move |stored| {
            let held = stored.is_some_and(|s| {
                s.status == JobStatus::Processing && s.lease.is_some_and(|l| l.owner == owner)
            });
            (held.then_some(job), held)
        })
        .await
    }

    async fn save_abandoned(&self, job: &Job, now: UnixSeconds) -> Result<bool, PortError> {
        let job = job.clone();
        self.rewrite_job(job.id, move |stored| {
            let free =
                stored.is_some_and(|s| s.status == JobStatus::Queued || lease_expired(&s, now));
            (free.then_some(job), free)
        })
        .await
    }

    async fn list_stale(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        jobs_where(
            &self.db,
            "status IN ('queued', 'processing')",
            updated_before,
            limit,
        )
        .await
    }

    async fn list_undispatched(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        jobs_where(
            &self.db,
            "status IN ('completed', 'failed') AND json_extract(doc, '$.events_dispatched') = 0",
            updated_before,
            limit,
        )
        .await
    }

    async fn mark_dispatched(&self, job_id: Uuid) -> Result<(), PortError> {
        self.rewrite_job(job_id, move |stored| match stored {
            Some(job) if job.status.is_terminal() && !job.events_dispatched => (
                Some(Job {
                    events_dispatched: true,
                    ..job
                }),
                (),
            ),
            _ => (None, ()),
        })
        .await
    }
}

/// Jobs selected by `condition` (`?1` is the update bound, `?2` the limit), oldest first; an
/// unreadable one is logged and skipped, so it cannot stop the others.
async fn jobs_where(
    db: &Db,
    condition: &'static str,
    updated_before: UnixSeconds,
    limit: usize,
) -> Result<Vec<Job>, PortError> {
    db.run(move |conn| {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE {condition} \
                 AND updated_at <= ?1 ORDER BY updated_at, id LIMIT ?2"
            ))
            .map_err(unavailable)?;
        let rows = stmt
            .query_map(params![updated_before, limit as i64], job_from_row)
            .map_err(unavailable)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                decode_job(row)
                    .inspect_err(|e| tracing::error!(error = %e, "job unreadable; skipped"))
                    .ok()
            })
            .collect())
    })
    .await
}

const IDEM_COLUMNS: &str = "org_id, endpoint, key_hash, fingerprint, token, job_id, state, created_at, \
                            lock_until, expires_at, resp_status, resp_request_id, resp_location, resp_body";
const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

fn idempotency_from_row(row: &Row<'_>) -> rusqlite::Result<Result<IdempotencyRecord, PortError>> {
    let org_id: String = row.get(0)?;
    let job_id: String = row.get(5)?;
    let state: String = row.get(6)?;
    let response = (
        row.get::<_, Option<u16>>(10)?,
        row.get::<_, Option<String>>(11)?,
        row.get::<_, Option<String>>(12)?,
        row.get::<_, Option<Vec<u8>>>(13)?,
    );
    let scope = IdempotencyScope {
        org_id: Uuid::nil(),
        endpoint: row.get(1)?,
        key_hash: row.get(2)?,
    };
    let (fingerprint, token, created_at, lock_until, expires_at) = (
        row.get(3)?,
        row.get(4)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    );
    Ok((|| {
        let state = match (state.as_str(), response) {
            (IN_PROGRESS, _) => IdempotencyState::InProgress,
            (COMPLETED, (Some(status), Some(request_id), Some(location), Some(body))) => {
                IdempotencyState::Completed(StoredResponse {
                    status,
                    request_id,
                    location,
                    body,
                })
            }
            _ => {
                return Err(PortError::Corrupt(
                    "idempotency record",
                    format!("state {state:?}"),
                ));
            }
        };
        Ok(IdempotencyRecord {
            scope: IdempotencyScope {
                org_id: parse_uuid(&org_id, "idempotency record")?,
                ..scope
            },
            fingerprint,
            token,
            job_id: parse_uuid(&job_id, "idempotency record")?,
            state,
            created_at,
            lock_until,
            expires_at,
        })
    })())
}

fn read_idempotency(
    conn: &Connection,
    scope_key: &str,
) -> Result<Option<IdempotencyRecord>, PortError> {
    conn.query_row(
        &format!("SELECT {IDEM_COLUMNS} FROM idempotency WHERE scope = ?1"),
        params![scope_key],
        idempotency_from_row,
    )
    .optional()
    .map_err(unavailable)?
    .transpose()
}

/// Runs one conditional UPDATE/DELETE; true when a row matched.
async fn conditional(
    db: &Db,
    sql: &'static str,
    args: Vec<rusqlite::types::Value>,
) -> Result<bool, PortError> {
    db.run(move |conn| {
        conn.execute(sql, rusqlite::params_from_iter(args))
            .map(|n| n > 0)
            .map_err(unavailable)
    })
    .await
}

#[async_trait]
impl IdempotencyStore for EmbeddedStore {
    async fn insert(
        &self,
        record: &IdempotencyRecord,
        now: UnixSeconds,
    ) -> Result<Option<IdempotencyRecord>, PortError> {
        let record = record.clone();
        self.db
            .run(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(unavailable)?;
                let held = insert_idempotency(&tx, &record, now)?;
                if held.is_none() {
                    tx.commit().map_err(unavailable)?;
                }
                Ok(held)
            })
            .await
    }

    async fn insert_with_job(
        &self,
        record: &IdempotencyRecord,
        job: &Job,
        now: UnixSeconds,
    ) -> Result<KeyInsert, PortError> {
        let (record, job) = (record.clone(), job.clone());
        let job_id = job.id;
        // One immediate transaction serialises every writer: there is no contention to report.
        let answer = self
            .db
            .run(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(unavailable)?;
                if let Some(holder) = insert_idempotency(&tx, &record, now)? {
                    return Ok(KeyInsert::Held(Box::new(holder)));
                }
                if read_job(&tx, job.id)?.is_some() {
                    return Err(PortError::Corrupt(
                        "job",
                        format!("job {} exists already", job.id),
                    ));
                }
                write_job(&tx, &job)?;
                tx.commit().map_err(unavailable)?;
                Ok(KeyInsert::Inserted)
            })
            .await?;
        if let KeyInsert::Inserted = answer {
            let _ = self.job_writes.send(job_id);
        }
        Ok(answer)
    }

    async fn take_over(
        &self,
        scope: &IdempotencyScope,
        previous_token: &str,
        new_token: &str,
        lock_until: UnixSeconds,
    ) -> Result<bool, PortError> {
        conditional(
            &self.db,
            "UPDATE idempotency SET token = ?2, lock_until = ?3 WHERE scope = ?1 AND token = ?4 AND state = 'in_progress'",
            vec![scope.storage_key().into(), new_token.to_owned().into(), lock_until.into(), previous_token.to_owned().into()],
        )
        .await
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        token: &str,
        response: &StoredResponse,
        expires_at: UnixSeconds,
    ) -> Result<bool, PortError> {
        conditional(
            &self.db,
            "UPDATE idempotency SET state = 'completed', lock_until = 0, expires_at = ?3, resp_status = ?4, \
             resp_request_id = ?5, resp_location = ?6, resp_body = ?7 \
             WHERE scope = ?1 AND token = ?2 AND state = 'in_progress'",
            vec![
                scope.storage_key().into(),
                token.to_owned().into(),
                expires_at.into(),
                i64::from(response.status).into(),
                response.request_id.clone().into(),
                response.location.clone().into(),
                response.body.clone().into(),
            ],
        )
        .await
    }

    async fn release(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError> {
        conditional(
            &self.db,
            "UPDATE idempotency SET lock_until = 0 WHERE scope = ?1 AND token = ?2 AND state = 'in_progress'",
            vec![scope.storage_key().into(), token.to_owned().into()],
        )
        .await
        .map(|_| ())
    }

    async fn remove(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError> {
        conditional(
            &self.db,
            "DELETE FROM idempotency WHERE scope = ?1 AND token = ?2 AND state = 'in_progress'",
            vec![scope.storage_key().into(), token.to_owned().into()],
        )
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl BrandStore for EmbeddedStore {
    async fn get(&self, org_id: Uuid, brand_id: Uuid) -> Result<Option<Brand>, PortError> {
        self.db
            .run(move |conn| get_doc(conn, BRANDS, org_id, brand_id))
            .await
    }

    async fn put(&self, brand: &Brand) -> Result<(), PortError> {
        let doc =
            serde_json::to_string(brand).map_err(|e| PortError::Corrupt("brand", e.to_string()))?;
        let (id, org_id, created_at) = (
            brand.id.to_string(),
            brand.org_id.to_string(),
            brand.created_at,
        );
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO brands (id, org_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
                    params![id, org_id, created_at, doc],
                )
                .map(|_| ())
                .map_err(unavailable)
            })
            .await
    }

    async fn list(
        &self,
        org_id: Uuid,
        limit: usize,
        offset: usize,
    ) -> Result<BrandPage, PortError> {
        self.db
            .run(move |conn| {
                let (brands, total_count) = page(
                    conn,
                    BRANDS,
                    "org_id",
                    org_id.to_string(),
                    org_id,
                    limit,
                    offset,
                )?;
                Ok(BrandPage {
                    brands,
                    total_count,
                })
            })
            .await
    }

    async fn delete(&self, org_id: Uuid, brand_id: Uuid) -> Result<bool, PortError> {
        self.db
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM brands WHERE id = ?1 AND org_id = ?2",
                    params![brand_id.to_string(), org_id.to_string()],
                )
                .map(|n| n > 0)
                .map_err(unavailable)
            })
            .await
    }
}

/// Writes `record` unless a live record (`expires_at > now`) holds its scope; then nothing is
/// written and the holder returned. The caller commits.
fn insert_idempotency(
    tx: &Connection,
    record: &IdempotencyRecord,
    now: UnixSeconds,
) -> Result<Option<IdempotencyRecord>, PortError> {
    let scope_key = record.scope.storage_key();
    if let Some(holder) = read_idempotency(tx, &scope_key)?
        && holder.expires_at > now
    {
        return Ok(Some(holder));
    }
    let response = match &record.state {
        IdempotencyState::InProgress => None,
        IdempotencyState::Completed(r) => Some(r.clone()),
    };
    tx.execute(
        &format!("INSERT OR REPLACE INTO idempotency (scope, {IDEM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
        params![
            scope_key,
            record.scope.org_id.to_string(),
            record.scope.endpoint,
            record.scope.key_hash,
            record.fingerprint,
            record.token,
            record.job_id.to_string(),
            if response.is_some() { COMPLETED } else { IN_PROGRESS },
            record.created_at,
            record.lock_until,
            record.expires_at,
            response.as_ref().map(|r| r.status),
            response.as_ref().map(|r| r.request_id.clone()),
            response.as_ref().map(|r| r.location.clone()),
            response.as_ref().map(|r| r.body.clone()),
        ],
    )
    .map_err(unavailable)?;
    Ok(None)
}
