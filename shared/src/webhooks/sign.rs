//! The Standard Webhooks signature: `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! (`v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`), one signature per secret,
//! space-separated, so a receiver holding either secret of a rotation verifies the delivery.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::Secret;
use crate::UnixSeconds;
use crate::digest::hmac_sha256;

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
    fn one_signature_per_secret() {
        let a = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let b = Secret::generate().unwrap();
        let h = headers(&[&a, &b], "evt_1", 5, b"{}");
        let sig = &h[2].1;
        assert_eq!(sig.split(' ').count(), 2);
        assert!(sig.starts_with(&signature(&a, "evt_1", 5, b"{}")));
    }
}
