//! Webhooks (spec §5): the endpoints an organisation registers, the events adgen sends them,
//! how each delivery is signed, scheduled and recorded, and when an endpoint is disabled.
//!
//! - [`Endpoint`] is the registered receiver with its signing secrets (one current, and for
//!   24 hours after a rotation the previous one too) and its health: a 410 disables it at
//!   once, five days in which every delivery failed disable it too.
//! - [`event`] names events (a stable `evt_` id per job and terminal status) and renders them.
//! - [`delivery`] is one event's journey to one endpoint: its attempts, the retry schedule,
//!   and the rules that decide what an answer means.
//! - [`sign`] is the Standard Webhooks signature.
//!
//! Records carry a `version`: every change is written only over the version it was read at,
//! so a delivery attempt racing a client's change (a PATCH, a rotation, a resend) never
//! overwrites it; the loser reads again.

pub mod delivery;
pub mod event;
pub mod sign;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixSeconds;

/// The prefix of every signing secret (Standard Webhooks' convention).
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of key material a client-chosen secret may carry.
pub const SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;
/// Bytes of a generated secret.
pub const GENERATED_SECRET_BYTES: usize = 32;
/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_SECONDS: i64 = 24 * 3600;
/// An endpoint whose deliveries have all failed for this long is disabled.
pub const FAILING_DISABLE_SECONDS: i64 = 5 * 24 * 3600;
/// Endpoints one organisation may register: every terminal job fans out to all of them.
pub const MAX_ENDPOINTS_PER_ORG: usize = 20;
/// `description` length, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// A signing secret: `whsec_` and the base64 of its key bytes. `Debug` never shows it, and
/// equality compares in constant time.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        crate::digest::constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A secret a client chose: `whsec_` and standard base64 of 24–64 bytes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(encoded) = text.strip_prefix(SECRET_PREFIX) else {
            return Err(format!("secret must start with {SECRET_PREFIX}"));
        };
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| format!("secret must be {SECRET_PREFIX} followed by standard base64"))?;
        if !SECRET_BYTES.contains(&bytes.len()) {
            return Err(format!(
                "secret must encode {} to {} bytes, not {}",
                SECRET_BYTES.start(),
                SECRET_BYTES.end(),
                bytes.len()
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// A new random secret of [`GENERATED_SECRET_BYTES`] from the operating system.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; GENERATED_SECRET_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))))
    }

    /// The text the client keeps (returned once, at creation or rotation).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the bytes after the prefix, base64-decoded.
    pub fn key(&self) -> Vec<u8> {
        self.0
            .strip_prefix(SECRET_PREFIX)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .unwrap_or_default()
    }
}

/// The secret a rotation replaced, still signing until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousSecret {
    pub secret: Secret,
    pub until: UnixSeconds,
}

/// Why adgen (not the client) turned an endpoint off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// The endpoint answered 410 Gone.
    Gone,
    /// Every delivery failed for [`FAILING_DISABLE_SECONDS`].
    Failing,
}

/// A registered webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub org_id: Uuid,
    pub endpoint_url: String,
    pub description: Option<String>,
    pub is_active: bool,
    pub secret: Secret,
    #[serde(default)]
    pub previous_secret: Option<PreviousSecret>,
    /// Set when adgen disabled the endpoint; cleared when the client turns it on again.
    #[serde(default)]
    pub disabled_reason: Option<DisabledReason>,
    /// When the current run of failed deliveries began (none since the last success).
    #[serde(default)]
    pub failing_since: Option<UnixSeconds>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
    /// Bumped by every change; stores write a change only over the version it was read at.
    pub version: u64,
}

/// One page of an organisation's endpoints, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointPage {
    pub endpoints: Vec<Endpoint>,
    pub total_count: usize,
}

impl Endpoint {
    pub fn new(
        id: Uuid,
        org_id: Uuid,
        endpoint_url: String,
        description: Option<String>,
        secret: Secret,
        now: UnixSeconds,
    ) -> Self {
        Self {
            id,
            org_id,
            endpoint_url,
            description,
            is_active: true,
            secret,
            previous_secret: None,
            disabled_reason: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The secrets a delivery at `now` is signed with: the current one first, then the
    /// previous one while its overlap lasts.
    pub fn signing_secrets(&self, now: UnixSeconds) -> Vec<&Secret> {
        let mut secrets = vec![&self.secret];
        if let Some(previous) = &self.previous_secret
            && previous.until > now
        {
            secrets.push(&previous.secret);
        }
        secrets
    }

    /// The same endpoint, changed, one version later.
    fn changed(&self, now: UnixSeconds, change: impl FnOnce(&mut Endpoint)) -> Endpoint {
        let mut next = self.clone();
        change(&mut next);
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }

    /// `new` becomes the secret; the current one keeps signing for the overlap.
    pub fn rotated(&self, new: Secret, now: UnixSeconds) -> Endpoint {
        self.changed(now, |e| {
            let old = std::mem::replace(&mut e.secret, new);
            e.previous_secret = Some(PreviousSecret {
                secret: old,
                until: now + ROTATION_OVERLAP_SECONDS,
            });
        })
    }

    /// The client turns the endpoint on or off; turning it on forgets why adgen disabled it
    /// and its run of failures (it starts afresh).
    pub fn with_active(&self, active: bool, now: UnixSeconds) -> Endpoint {
        self.changed(now, |e| {
            e.is_active = active;
            if active {
                e.disabled_reason = None;
                e.failing_since = None;
            }
        })
    }

    /// After a successful delivery: the run of failures is over. `None` when nothing changes.
    pub fn after_success(&self, now: UnixSeconds) -> Option<Endpoint> {
        self.failing_since
            .is_some()
            .then(|| self.changed(now, |e| e.failing_since = None))
    }

    /// After a failed delivery (`gone`: the endpoint answered 410): starts the run of
    /// failures, or disables the endpoint when it answered 410 or the run has lasted
    /// [`FAILING_DISABLE_SECONDS`]. `None` when nothing changes.
    pub fn after_failure(&self, gone: bool, now: UnixSeconds) -> Option<Endpoint> {
        let since = self.failing_since.unwrap_or(now);
        let reason = if gone {
            Some(DisabledReason::Gone)
        } else if now - since >= FAILING_DISABLE_SECONDS {
            Some(DisabledReason::Failing)
        } else {
            None
        };
        match reason {
            Some(reason) if self.is_active => Some(self.changed(now, |e| {
                e.is_active = false;
                e.disabled_reason = Some(reason);
                e.failing_since = Some(since);
            })),
            _ if self.failing_since.is_none() => {
                Some(self.changed(now, |e| e.failing_since = Some(now)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        Endpoint::new(
            Uuid::nil(),
            Uuid::nil(),
            "https://example.com/hook".into(),
            None,
            secret,
            1000,
        )
    }

    #[test]
    fn secrets_are_checked() {
        assert!(Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_!!!!",
            "whsec_c2hvcnQ=",
            &format!("whsec_{}", STANDARD.encode([0u8; 65])),
        ] {
            assert!(Secret::parse(bad).is_err(), "{bad}");
        }
        let generated = Secret::generate().unwrap();
        assert_eq!(generated.key().len(), GENERATED_SECRET_BYTES);
        assert!(Secret::parse(generated.expose()).is_ok());
        assert_eq!(format!("{generated:?}"), "Secret(…)");
    }

    #[test]
    fn rotation_signs_with_both_for_a_day() {
        let old = endpoint();
        let rotated = old.rotated(Secret::generate().unwrap(), 2000);
        assert_eq!(rotated.version, 2);
        assert_eq!(rotated.signing_secrets(2000).len(), 2);
        assert_eq!(rotated.signing_secrets(2000)[1], &old.secret);
        assert_eq!(
            rotated.signing_secrets(2000 + ROTATION_OVERLAP_SECONDS),
            vec![&rotated.secret]
        );
    }

    #[test]
    fn gone_disables_at_once_and_five_days_of_failures_disable() {
        let e = endpoint();
        let gone = e.after_failure(true, 1000).unwrap();
        assert!(!gone.is_active);
        assert_eq!(gone.disabled_reason, Some(DisabledReason::Gone));

        let failing = e.after_failure(false, 1000).unwrap();
        assert!(failing.is_active && failing.failing_since == Some(1000));
        assert!(failing.after_failure(false, 5000).is_none());
        let off = failing
            .after_failure(false, 1000 + FAILING_DISABLE_SECONDS)
            .unwrap();
        assert_eq!(off.disabled_reason, Some(DisabledReason::Failing));

        let healed = failing.after_success(6000).unwrap();
        assert_eq!(healed.failing_since, None);
        assert!(healed.after_success(7000).is_none());

        let on = off.with_active(true, 9000);
        assert!(on.is_active && on.disabled_reason.is_none() && on.failing_since.is_none());
    }
}
