//! The HTTP contract's pure part (spec §1–§4, §7, §11): wire types and the validation of every
//! request, limits, the success envelope, and the issues a refusal lists. It imports nothing
//! above it (no record, port, service or HTTP glue), so every other module may use it.

pub mod brand;
pub mod brand_dna;
pub mod envelope;
pub mod generation;
pub mod job_query;
pub mod output;
pub mod reference;
pub mod text;
pub mod upload;
pub mod webhook;

use serde::Serialize;

pub use envelope::RequestId;

pub const GENERATIONS_PATH: &str = "/api/v1/images/generations";
pub const ADS_GENERATE_PATH: &str = "/api/v1/ads/generate";
pub const JOBS_PREFIX: &str = "/api/v1/jobs/";
/// Both submission paths are one endpoint, with one idempotency key space.
pub const GENERATIONS_ENDPOINT: &str = "images.generations";

/// One problem with a request: `param` is the dotted path of the field (or a header name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub param: String,
    pub code: &'static str,
    pub message: String,
}

impl Issue {
    pub fn new(param: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            param: param.into(),
            code,
            message: message.into(),
        }
    }

    /// A query parameter no route takes; a nameless one (`?=5`) is named `query`, so that
    /// every issue names something.
    pub fn unknown_query_param(name: &str, allowed: &[&str]) -> Self {
        let allowed = allowed.join(", ");
        if name.is_empty() {
            return Self::new(
                "query",
                "unknown_parameter",
                format!("a query parameter has no name; allowed: {allowed}"),
            );
        }
        Self::new(
            name,
            "unknown_parameter",
            format!("unknown query parameter {name:?}; allowed: {allowed}"),
        )
    }
}
