//! adgen domain crate: every rule of the HTTP contract lives here.
//!
//! Layout: `api` (wire types, validation, envelopes, routing), `auth` (API keys),
//! `jobs` (job record, state machine, output sizing), `idempotency` (fingerprints and the
//! submission protocol), `brand` (brand identity rules), `net` (address blocking),
//! `ports` (traits every store/queue/blob adapter implements), `service` (use cases),
//! `render` (image pipeline: decode under limits, resize, the offline ad template, encode),
//! `adapters` (AWS and embedded implementations behind cargo features), `config`;
//! behind the `http-clients` feature, the worker's outbound HTTP: `fetch` (reference images,
//! SSRF-safe) and `providers` (image-generation APIs), sharing `http_client`.

pub mod adapters;
pub mod api;
pub mod auth;
pub mod brand;
pub mod brief;
pub mod config;
#[cfg(feature = "http-clients")]
pub mod fetch;
pub mod generators;
#[cfg(feature = "http-clients")]
pub mod http_client;
pub mod idempotency;
pub mod jobs;
pub mod net;
pub mod ports;
#[cfg(feature = "http-clients")]
pub mod providers;
pub mod render;
pub mod service;
#[cfg(all(test, feature = "http-clients"))]
mod test_http;

/// Unix time in whole seconds.
pub type UnixSeconds = i64;
