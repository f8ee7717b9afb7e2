//! adgen's domain crate: every rule of the product, and no I/O (no AWS SDK, database, HTTP
//! client or server, image codec or font). Adapter crates implement its ports; function crates
//! and `adgen serve` assemble them.
//!
//! Modules, bottom up (each uses only those before it):
//! - `digest`, `net`, `pixels`: small pure helpers (SHA-256 hex, public-address rules for
//!   SSRF, the RGBA buffer and colours the image port carries);
//! - `contract`: wire types, validation, limits, envelopes, issues;
//! - `models`: what each hosted image model accepts (aspect ratios, sizes, references) and
//!   what to ask it for;
//! - `auth`, `idempotency`, `ratelimit`, `jobs`, `brands`, `uploads`: records, state and their rules; `brief`: the
//!   creative brief compiler and its copy planner (`brief::copy`: headline, supporting line,
//!   call to action and language, from the prompt and the brand);
//! - `ports`: the traits adapters implement, and the [`ports::Adapters`] bundle;
//! - `service`: use cases over the ports (submit, read job, worker, sweep);
//! - `http`: routing and the one mapping of domain errors to HTTP answers;
//! - `config`: configuration read once at cold start, errors naming the variable;
//! - `metrics`: what is counted and timed (events on one `tracing` target) and their
//!   CloudWatch Embedded Metric Format documents.

pub mod auth;
pub mod brands;
pub mod brief;
pub mod config;
pub mod contract;
pub mod digest;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod metrics;
pub mod models;
pub mod net;
pub mod pixels;
pub mod ports;
pub mod ratelimit;
pub mod service;
pub mod uploads;
pub mod webhooks;

/// Unix time in whole seconds.
pub type UnixSeconds = i64;
