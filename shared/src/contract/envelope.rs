//! The success envelope of spec §1 and the request id it carries.

use serde::Serialize;
use uuid::Uuid;

use crate::UnixSeconds;

/// `req_pi_<uuid v4>`: names one request in the envelope, the `X-Request-Id` header and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn new() -> Self {
        Self(format!("req_pi_{}", Uuid::new_v4()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The body of a success answer: `{id, object, status, created_at, data}`.
pub fn success_body(
    request_id: &RequestId,
    object: &str,
    object_status: &str,
    created_at: UnixSeconds,
    data: &impl Serialize,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        id: &'a str,
        object: &'a str,
        status: &'a str,
        created_at: UnixSeconds,
        data: &'a T,
    }
    // Serializing our own types into memory cannot fail.
    serde_json::to_vec(&Envelope {
        id: request_id.as_str(),
        object,
        status: object_status,
        created_at,
        data,
    })
    .unwrap_or_default()
}
