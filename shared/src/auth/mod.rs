//! API keys (spec §2): `Authorization: Bearer sk_live_…`, stored only as SHA-256 hashes, each
//! bound to one organisation. How a request is authenticated is `service::auth`.

use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixSeconds;
use crate::digest::sha256_hex;

pub const KEY_PREFIX: &str = "sk_live_";

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

/// The stored form of a key: lowercase hex SHA-256 of the whole key.
pub fn hash_key(key: &str) -> String {
    sha256_hex(key.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

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
