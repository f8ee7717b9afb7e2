//! Admitting a request (spec §2 and §9): the Bearer token, looked up by its hash through the
//! key store, with a short positive cache in a warm function (revocation takes effect within
//! its life); then, when a per-key limit is configured, one count in the key's sliding window
//! (`ratelimit` has the arithmetic; the counters live in the store, so the limit holds across
//! every instance).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::UnixSeconds;
use crate::auth::{ApiKeyRecord, KEY_PREFIX, KeyState, Principal, hash_key};
use crate::ports::{ApiKeyStore, PortError, RateLimitStore};
use crate::ratelimit::{self, Limited, Quota};

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
    #[error("rate limit exceeded")]
    RateLimited(Limited),
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

/// How requests are admitted: read once at cold start (`ADGEN_API_KEY_CACHE_SECONDS`,
/// `ADGEN_RATE_LIMIT_PER_MINUTE`; `adgen serve --rate-limit-per-minute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    /// How long a warm instance trusts a looked-up key; capped at [`MAX_CACHE_TTL`], zero
    /// disables caching.
    pub key_cache_ttl: Duration,
    /// Requests per key in any 60 s (spec §9); none: no limit.
    pub rate_limit_per_minute: Option<u32>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            key_cache_ttl: DEFAULT_CACHE_TTL,
            rate_limit_per_minute: None,
        }
    }
}

/// An admitted request: who calls, and the key's quota after this request (when limited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub principal: Principal,
    pub quota: Option<Quota>,
}

/// Resolves API keys to principals through the store, with a short positive cache, and
/// counts each admitted request against its key's limit.
pub struct Authenticator {
    store: Arc<dyn ApiKeyStore>,
    rate_limits: Arc<dyn RateLimitStore>,
    limit: Option<u32>,
    ttl: Duration,
    cache: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

impl Authenticator {
    pub fn new(
        store: Arc<dyn ApiKeyStore>,
        rate_limits: Arc<dyn RateLimitStore>,
        settings: AuthSettings,
    ) -> Self {
        Self {
            store,
            rate_limits,
            limit: settings.rate_limit_per_minute.filter(|l| *l > 0),
            ttl: settings.key_cache_ttl.min(MAX_CACHE_TTL),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Authenticates the request and counts it in its key's window at `now`; a request over
    /// the limit is refused ([`AuthError::RateLimited`]) without counting it.
    pub async fn admit(
        &self,
        header: Option<&[u8]>,
        now: UnixSeconds,
    ) -> Result<Admitted, AuthError> {
        let (principal, key_hash) = self.authenticate(header).await?;
        let quota = match self.limit {
            None => None,
            Some(limit) => Some(self.count(&key_hash, limit, now).await?),
        };
        Ok(Admitted { principal, quota })
    }

    /// One request of `key_hash` at `now`: read the window's counters, then take one of what
    /// the earlier seconds leave in this second's counter (a conditional write).
    async fn count(
        &self,
        key_hash: &str,
        limit: u32,
        now: UnixSeconds,
    ) -> Result<Quota, AuthError> {
        let (from, _) = ratelimit::prior_seconds(now);
        let read = self.rate_limits.counts(key_hash, from, now).await?;
        let allowance = ratelimit::allowance(limit, now, &read);
        let taken = if allowance == 0 {
            None
        } else {
            self.rate_limits
                .increment_below(key_hash, now, allowance, ratelimit::slice_expires_at(now))
                .await?
        };
        match taken {
            Some(current) => Ok(ratelimit::admitted(limit, now, &read, current)),
            None => {
                // Refused: this second holds at least the allowance (the read may be older).
                let seen = read.iter().find(|s| s.second == now).map_or(0, |s| s.count);
                Err(AuthError::RateLimited(ratelimit::limited(
                    limit,
                    now,
                    &read,
                    seen.max(allowance),
                )))
            }
        }
    }

    async fn authenticate(&self, header: Option<&[u8]>) -> Result<(Principal, String), AuthError> {
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
            KeyState::Active => Ok((
                Principal {
                    org_id: record.org_id,
                },
                key_hash,
            )),
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
