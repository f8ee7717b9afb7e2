//! Use cases, each over the ports only: authenticating a request, the idempotency protocol,
//! submitting a generation, reading a job (with long-poll), brands (records and extraction
//! requests), the worker (ad generation and brand extraction) and the sweep that rescues
//! stuck jobs.

pub mod auth;
pub mod brands;
pub mod extract;
pub mod generate;
pub mod idempotency;
pub mod jobs;
pub mod submit;
pub mod sweep;
