//! Use cases, each over the ports only: authenticating a request, the idempotency protocol,
//! submitting a generation, reading a job (with long-poll), the generation worker and the
//! sweep that rescues stuck jobs.

pub mod auth;
pub mod generate;
pub mod idempotency;
pub mod jobs;
pub mod submit;
pub mod sweep;
