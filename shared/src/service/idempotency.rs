//! The idempotency protocol of a submission or a brand extraction (spec §3), over the
//! store's conditional writes: claim a key's record, replay a finished response, refuse a
//! mismatch or a key in use, take over a lock a crashed attempt left behind, and complete or
//! give back the key when the attempt ends.

use uuid::Uuid;

use crate::UnixSeconds;
use crate::idempotency::{IdempotencyRecord, IdempotencyScope, IdempotencyState, StoredResponse};
use crate::jobs::Job;
use crate::ports::{IdempotencyStore, KeyInsert, PortError};

/// How long a key is kept when the configuration names no other value (the contract's minimum).
pub const DEFAULT_TTL_SECONDS: i64 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("idempotency key reused with a different request")]
    Mismatch,
    #[error("idempotency key in use by a request still running")]
    InUse,
    #[error(transparent)]
    Store(#[from] PortError),
}

/// How long a key's record lives and how long an attempt may hold it.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyPolicy {
    pub ttl_seconds: i64,
    pub lock_seconds: i64,
}

/// The right to run an attempt under a key.
#[derive(Debug, Clone)]
pub struct Lease {
    pub scope: IdempotencyScope,
    pub token: String,
    pub job_id: Uuid,
    /// True when an earlier attempt held this key: its job may already exist. A fresh lease
    /// from a claim given a job (see [`begin`]) has that job written already.
    pub resumed: bool,
}

#[derive(Debug)]
pub enum Begin {
    Proceed(Lease),
    Replay(StoredResponse),
}

/// Claims `scope` for an attempt whose validated request has `fingerprint`. With `job`, the
/// claim writes that job in the same atomic write (the key names its id), so a fresh attempt
/// needs no second round trip for it; a resumed attempt gets the earlier attempt's job id
/// instead and writes its job itself.
pub async fn begin(
    store: &dyn IdempotencyStore,
    scope: IdempotencyScope,
    fingerprint: String,
    now: UnixSeconds,
    policy: IdempotencyPolicy,
    job: Option<&Job>,
) -> Result<Begin, IdempotencyError> {
    let token = Uuid::new_v4().to_string();
    let record = IdempotencyRecord {
        scope,
        fingerprint,
        token: token.clone(),
        job_id: job.map_or_else(Uuid::new_v4, |j| j.id),
        state: IdempotencyState::InProgress,
        created_at: now,
        lock_until: now + policy.lock_seconds,
        expires_at: now + policy.ttl_seconds,
    };
    let held = match job {
        None => store.insert(&record, now).await?,
        Some(job) => match store.insert_with_job(&record, job, now).await? {
            KeyInsert::Inserted => None,
            KeyInsert::Held(holder) => Some(*holder),
            KeyInsert::Contended => return Err(IdempotencyError::InUse),
        },
    };
    let Some(holder) = held else {
        return Ok(Begin::Proceed(Lease {
            scope: record.scope,
            token,
            job_id: record.job_id,
            resumed: false,
        }));
    };
    if holder.fingerprint != record.fingerprint {
        return Err(IdempotencyError::Mismatch);
    }
    match holder.state {
        IdempotencyState::Completed(response) => Ok(Begin::Replay(response)),
        IdempotencyState::InProgress if holder.lock_until > now => Err(IdempotencyError::InUse),
        IdempotencyState::InProgress => {
            let taken = store
                .take_over(
                    &record.scope,
                    &holder.token,
                    &token,
                    now + policy.lock_seconds,
                )
                .await?;
            if !taken {
                return Err(IdempotencyError::InUse);
            }
            Ok(Begin::Proceed(Lease {
                scope: record.scope,
                token,
                job_id: holder.job_id,
                resumed: true,
            }))
        }
    }
}

/// Stores the attempt's final response under its key. A failure here costs nothing the client
/// can see: the job exists and is enqueued, and a retry finds it through the record.
pub async fn complete(
    store: &dyn IdempotencyStore,
    lease: &Lease,
    stored: &StoredResponse,
    expires_at: UnixSeconds,
) {
    match store
        .complete(&lease.scope, &lease.token, stored, expires_at)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(job_id = %lease.job_id, "idempotency lock lost before completion")
        }
        Err(e) => {
            tracing::warn!(job_id = %lease.job_id, error = %e, "idempotency completion not stored")
        }
    }
}

/// Gives the key back after a failed attempt: kept (lock ended) when the job may exist, so a
/// retry resumes that job instead of making another; removed when nothing is left of it.
pub async fn abandon(store: &dyn IdempotencyStore, lease: &Lease, job_exists: bool) {
    let result = if job_exists {
        store.release(&lease.scope, &lease.token).await
    } else {
        store.remove(&lease.scope, &lease.token).await
    };
    if let Err(e) = result {
        tracing::warn!(job_id = %lease.job_id, error = %e, "idempotency record not released; it expires by itself");
    }
}
