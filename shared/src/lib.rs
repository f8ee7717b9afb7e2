//! adgen domain crate: every rule of the HTTP contract lives here.
//!
//! Layout: `api` (wire types, validation, envelopes, routing), `auth` (API keys),
//! `jobs` (job record, state machine, output sizing), `idempotency` (fingerprints and the
//! submission protocol), `brand` (brand identity rules), `net` (address blocking),
//! `ports` (traits every store/queue/blob adapter implements), `service` (use cases),
//! `render` (image pipeline: decode under limits, resize, the offline ad template, encode),
//! `adapters` (AWS and embedded implementations behind cargo features), `config`.

pub mod adapters;
pub mod api;
pub mod auth;
pub mod brand;
pub mod config;
pub mod idempotency;
pub mod jobs;
pub mod net;
pub mod ports;
pub mod render;
pub mod service;

/// Unix time in whole seconds.
pub type UnixSeconds = i64;
