//! Authenticating a request (spec §2): the Bearer token, looked up by its hash through the
//! key store, with a short positive cache in a warm function (revocation takes effect within
//! its life).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::auth::{ApiKeyRecord, KEY_PREFIX, KeyState, Principal, hash_key};
use crate::ports::{ApiKeyStore, PortError};

/// Longest cache life the contract allows a warm function (revocation takes effect within it).
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(60);
/// The cache life when the configuration names none.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_CAPACITY: usize = 10_000;

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
}
