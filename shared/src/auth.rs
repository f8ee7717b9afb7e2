//! API keys (spec §2): `Authorization: Bearer sk_live_…`, stored only as SHA-256 hashes, each
//! bound to one organisation. A warm function caches lookups briefly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::UnixSeconds;
use crate::ports::{ApiKeyStore, PortError};

pub const KEY_PREFIX: &str = "sk_live_";

/// Longest cache life the contract allows a warm function (revocation takes effect within it).
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(60);
const CACHE_CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Active,
    Disabled,
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Disabled => "disabled",
            KeyState::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [KeyState::Active, KeyState::Disabled, KeyState::Revoked]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Lowercase hex SHA-256 of the whole key.
    pub key_hash: String,
    pub org_id: Uuid,
    pub state: KeyState,
    pub created_at: UnixSeconds,
}

/// Who is calling: the organisation every record of the request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub org_id: Uuid,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing Authorization header")]
    MissingHeader,
    #[error("Authorization scheme is not Bearer")]
    InvalidScheme,
    #[error("unknown or revoked API key")]
    InvalidKey,
    #[error("API key is disabled")]
    Disabled,
    #[error(transparent)]
    Store(#[from] PortError),
}

pub fn hash_key(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A new random key (32 bytes from the OS, URL-safe base64) and its record.
pub fn mint_key(
    org_id: Uuid,
    now: UnixSeconds,
) -> Result<(String, ApiKeyRecord), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let key = format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let record = ApiKeyRecord {
        key_hash: hash_key(&key),
        org_id,
        state: KeyState::Active,
        created_at: now,
    };
    Ok((key, record))
}

/// Extracts the token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 9110).
pub fn bearer_token(header: Option<&[u8]>) -> Result<&str, AuthError> {
    let raw = header.ok_or(AuthError::MissingHeader)?;
    let text = std::str::from_utf8(raw).map_err(|_| AuthError::InvalidScheme)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(AuthError::MissingHeader);
    }
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::InvalidScheme);
    }
    Ok(token.trim())
}

/// Resolves API keys to principals through the store, with a short positive cache.
pub struct Authenticator {
    store: Arc<dyn ApiKeyStore>,
    ttl: Duration,
    cache: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

impl Authenticator {
    /// `cache_ttl` is capped at [`MAX_CACHE_TTL`]; zero disables caching.
    pub fn new(store: Arc<dyn ApiKeyStore>, cache_ttl: Duration) -> Self {
        Self {
            store,
            ttl: cache_ttl.min(MAX_CACHE_TTL),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub async fn authenticate(&self, header: Option<&[u8]>) -> Result<Principal, AuthError> {
        let token = bearer_token(header)?;
        if !token.starts_with(KEY_PREFIX) || token.len() > 256 {
            return Err(AuthError::InvalidKey);
        }
        let key_hash = hash_key(token);
        let record = match self.cached(&key_hash) {
            Some(record) => record,
            None => {
                let record = self
                    .store
                    .get(&key_hash)
                    .await?
                    .ok_or(AuthError::InvalidKey)?;
                self.remember(&record);
                record
            }
        };
        match record.state {
            KeyState::Active => Ok(Principal {
                org_id: record.org_id,
            }),
            KeyState::Disabled => Err(AuthError::Disabled),
            KeyState::Revoked => Err(AuthError::InvalidKey),
        }
    }

    fn cached(&self, key_hash: &str) -> Option<ApiKeyRecord> {
        let cache = self.cache.lock().ok()?;
        let (record, at) = cache.get(key_hash)?;
        (at.elapsed() < self.ttl).then(|| record.clone())
    }

    fn remember(&self, record: &ApiKeyRecord) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAPACITY {
                cache.retain(|_, (_, at)| at.elapsed() < self.ttl);
                if cache.len() >= CACHE_CAPACITY {
                    cache.clear();
                }
            }
            cache.insert(record.key_hash.clone(), (record.clone(), Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert!(matches!(bearer_token(None), Err(AuthError::MissingHeader)));
        assert!(matches!(
            bearer_token(Some(b"  ")),
            Err(AuthError::MissingHeader)
        ));
        assert!(matches!(
            bearer_token(Some(b"Basic abc")),
            Err(AuthError::InvalidScheme)
        ));
        assert!(matches!(
            bearer_token(Some(b"sk_live_abc")),
            Err(AuthError::InvalidScheme)
        ));
        assert_eq!(
            bearer_token(Some(b"bearer sk_live_x")).ok(),
            Some("sk_live_x")
        );
        assert_eq!(
            bearer_token(Some(b"Bearer  sk_live_y ")).ok(),
            Some("sk_live_y")
        );
    }

    #[test]
    fn minted_keys_are_prefixed_random_and_hash_to_their_record() {
        let org = Uuid::new_v4();
        let (a, rec_a) = mint_key(org, 1).expect("os randomness");
        let (b, _) = mint_key(org, 1).expect("os randomness");
        assert!(a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_eq!(rec_a.key_hash, hash_key(&a));
        assert_eq!(rec_a.key_hash.len(), 64);
        assert_eq!(rec_a.org_id, org);
    }
}
