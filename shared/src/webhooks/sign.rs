//! The Standard Webhooks signature: `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! (`v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`), one signature per secret,
//! space-separated, so a receiver holding either secret of a rotation verifies the delivery.
//! [`verify`] is the receiver's side (for clients and tests): bounded, and comparing in
//! constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::Secret;
use crate::UnixSeconds;
use crate::digest::{constant_time_eq, hmac_sha256};

pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// `v1,<base64 signature>` of one message under one secret.
pub fn signature(secret: &Secret, id: &str, timestamp: UnixSeconds, body: &[u8]) -> String {
    let mut message = Vec::with_capacity(id.len() + body.len() + 24);
    message.extend_from_slice(id.as_bytes());
    message.push(b'.');
    message.extend_from_slice(timestamp.to_string().as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    format!(
        "v1,{}",
        STANDARD.encode(hmac_sha256(&secret.key(), &message))
    )
}

/// The three headers of a delivery signed with every secret in `secrets`.
pub fn headers(
    secrets: &[&Secret],
    id: &str,
    timestamp: UnixSeconds,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let signatures: Vec<String> = secrets
        .iter()
        .map(|secret| signature(secret, id, timestamp, body))
        .collect();
    vec![
        (ID_HEADER, id.to_owned()),
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (SIGNATURE_HEADER, signatures.join(" ")),
    ]
}

/// How far a delivery's timestamp may be from the receiver's clock (Standard Webhooks: 5 min).
pub const TIMESTAMP_TOLERANCE_SECONDS: UnixSeconds = 300;

/// The longest `webhook-signature` header [`verify`] reads (many signatures of a rotation fit
/// easily); longer is refused before any work.
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 4096;

/// Why a delivery did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("webhook-timestamp is not a unix time in seconds")]
    InvalidTimestamp,
    #[error("webhook-timestamp is more than 5 minutes from now")]
    TimestampOutOfTolerance,
    #[error("webhook-signature is missing, too long or holds no v1 signature")]
    MalformedSignature,
    #[error("no signature matches the secret")]
    NoMatch,
}

/// Checks a received delivery: its timestamp within [`TIMESTAMP_TOLERANCE_SECONDS`] of `now`,
/// and one `v1` signature of the header made with `secret`. Every candidate is compared in
/// constant time and all are compared, so timing says nothing about which one came close.
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: UnixSeconds,
) -> Result<(), VerifyError> {
    let at: UnixSeconds = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::InvalidTimestamp)?;
    if at.abs_diff(now) > TIMESTAMP_TOLERANCE_SECONDS.unsigned_abs() {
        return Err(VerifyError::TimestampOutOfTolerance);
    }
    if signature_header.len() > MAX_SIGNATURE_HEADER_BYTES {
        return Err(VerifyError::MalformedSignature);
    }
    let expected = signature(secret, id, at, body);
    let mut candidates = 0usize;
    let mut matched = false;
    for candidate in signature_header.split(' ').filter(|c| c.starts_with("v1,")) {
        candidates += 1;
        matched |= constant_time_eq(candidate.as_bytes(), expected.as_bytes());
    }
    match (candidates, matched) {
        (0, _) => Err(VerifyError::MalformedSignature),
        (_, true) => Ok(()),
        (_, false) => Err(VerifyError::NoMatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (and of its reference libraries).
    #[test]
    fn matches_the_specification_example() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn verification_accepts_either_secret_of_a_rotation_and_nothing_else() {
        let a = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let b = Secret::generate().unwrap();
        let h = headers(&[&a, &b], "evt_1", 1_000, b"{}");
        let sig = &h[2].1;
        assert_eq!(verify(&a, "evt_1", "1000", sig, b"{}", 1_000), Ok(()));
        assert_eq!(verify(&b, "evt_1", "1000", sig, b"{}", 1_299), Ok(()));
        let c = Secret::generate().unwrap();
        assert_eq!(
            verify(&c, "evt_1", "1000", sig, b"{}", 1_000),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&a, "evt_1", "1000", sig, b"{} ", 1_000),
            Err(VerifyError::NoMatch),
            "another body"
        );
        assert_eq!(
            verify(&a, "evt_2", "1000", sig, b"{}", 1_000),
            Err(VerifyError::NoMatch),
            "another id"
        );
        assert_eq!(
            verify(&a, "evt_1", "1000", sig, b"{}", 1_301),
            Err(VerifyError::TimestampOutOfTolerance)
        );
        assert_eq!(
            verify(&a, "evt_1", "soon", sig, b"{}", 1_000),
            Err(VerifyError::InvalidTimestamp)
        );
        assert_eq!(
            verify(&a, "evt_1", "1000", "v2,abc", b"{}", 1_000),
            Err(VerifyError::MalformedSignature)
        );
        let long = "v1,x ".repeat(1_000);
        assert_eq!(
            verify(&a, "evt_1", "1000", &long, b"{}", 1_000),
            Err(VerifyError::MalformedSignature)
        );
    }

    #[test]
    fn one_signature_per_secret() {
        let a = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let b = Secret::generate().unwrap();
        let h = headers(&[&a, &b], "evt_1", 5, b"{}");
        let sig = &h[2].1;
        assert_eq!(sig.split(' ').count(), 2);
        assert!(sig.starts_with(&signature(&a, "evt_1", 5, b"{}")));
    }
}
