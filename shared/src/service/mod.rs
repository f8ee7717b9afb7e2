//! Use cases, each over the ports only: authenticating a request, the idempotency protocol,
//! submitting a generation, reading a job (with long-poll), brands (records and extraction
//! requests), the worker (ad generation and brand extraction), the sweep that rescues
//! stuck jobs, uploads (`uploads`: creating, receiving and using them), and events: the
//! outbox a terminal job enters (`events`), webhook endpoint management (`webhooks`) and
//! delivery (`deliver`).

pub mod auth;
pub mod brands;
pub mod deliver;
pub mod events;
pub mod extract;
pub mod generate;
pub mod idempotency;
pub mod intake;
pub mod jobs;
pub mod submit;
pub mod sweep;
pub mod uploads;
pub mod webhooks;
