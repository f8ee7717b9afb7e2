//! Idempotent submission (spec §3 "Idempotency").
//!
//! A key's record is claimed with one conditional write. The record remembers the request's
//! fingerprint and the job id chosen for it, so that:
//! - the same request after completion replays the stored 202 byte for byte;
//! - a different request under the same key is a 409 `idempotency_key_mismatch`;
//! - the same request while the first is running is a 409 `idempotency_key_in_use`;
//! - a retry after a 5xx, or after a crashed attempt's lock expired, takes the record over
//!   and finishes the *same* job (so a job whose message never reached the queue is enqueued
//!   by the retry, and never created twice).
//!
//! An attempt that fails before writing its job removes the record: it stored nothing.
//!
//! This module holds the records and their rules; the protocol over the store is
//! `service::idempotency`.

use serde::Serialize;
use uuid::Uuid;

use crate::UnixSeconds;
use crate::digest::{sha256_hex, sha256_hex_of};

pub const HEADER: &str = "Idempotency-Key";
pub const MAX_KEY_LEN: usize = 255;

/// Who a key belongs to: keys are unique per (organisation, endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyScope {
    pub org_id: Uuid,
    pub endpoint: String,
    /// SHA-256 of the client's key, so stored keys have a fixed, safe shape.
    pub key_hash: String,
}

impl IdempotencyScope {
    pub fn new(org_id: Uuid, endpoint: &str, key: &str) -> Self {
        Self {
            org_id,
            endpoint: endpoint.to_owned(),
            key_hash: sha256_hex(key.as_bytes()),
        }
    }

    /// One string naming the scope, used as the storage key by every adapter.
    pub fn storage_key(&self) -> String {
        format!("{}#{}#{}", self.org_id, self.endpoint, self.key_hash)
    }
}

/// A finished 202, kept to replay byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub request_id: String,
    pub location: String,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    InProgress,
    Completed(StoredResponse),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub scope: IdempotencyScope,
    pub fingerprint: String,
    /// Owner of the in-progress lock (random per attempt).
    pub token: String,
    pub job_id: Uuid,
    pub state: IdempotencyState,
    pub created_at: UnixSeconds,
    /// The in-progress lock holds until then; 0 once released.
    pub lock_until: UnixSeconds,
    /// The record counts as absent from then on (judged here, not by the store's TTL sweep).
    pub expires_at: UnixSeconds,
}

/// Checks the header: 1–255 printable ASCII characters (space to `~`).
pub fn parse_key(raw: &[u8]) -> Option<&str> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_KEY_LEN
        && raw.iter().all(|b| (0x20..=0x7e).contains(b));
    ok.then(|| std::str::from_utf8(raw).ok()).flatten()
}

/// SHA-256 of the canonical JSON of a validated request. Serialization order is fixed by the
/// types (struct field order, sorted maps), so key order and whitespace in the client's body
/// never change it.
pub fn fingerprint(validated: &impl Serialize) -> String {
    sha256_hex_of(|out| {
        // Writing into the hasher cannot fail; a serialization error would be a bug in our types.
        if serde_json::to_writer(out, validated).is_err() {
            tracing::error!("fingerprint serialization failed");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules() {
        assert_eq!(parse_key(b"abc-123"), Some("abc-123"));
        assert_eq!(parse_key(b" ~"), Some(" ~"));
        assert_eq!(parse_key(&[b'k'; 255]).map(str::len), Some(255));
        assert_eq!(parse_key(&[b'k'; 256]), None);
        assert_eq!(parse_key(b""), None);
        assert_eq!(parse_key(b"tab\there"), None);
        assert_eq!(parse_key("caf\u{e9}".as_bytes()), None);
        assert_eq!(parse_key(b"del\x7f"), None);
    }

    #[test]
    fn scope_hashes_the_key_and_separates_orgs_and_endpoints() {
        let org = Uuid::new_v4();
        let a = IdempotencyScope::new(org, "images.generations", "k1");
        assert_eq!(a.key_hash.len(), 64);
        assert_ne!(
            a.storage_key(),
            IdempotencyScope::new(org, "images.generations", "k2").storage_key()
        );
        assert_ne!(
            a.storage_key(),
            IdempotencyScope::new(Uuid::new_v4(), "images.generations", "k1").storage_key()
        );
        assert_ne!(
            a.storage_key(),
            IdempotencyScope::new(org, "brands", "k1").storage_key()
        );
    }
}
