//! Reliability and security (issue 11), on every adapter set: per-key rate limits (spec §9),
//! tenancy on every route and secrets kept out of logs.

mod ratelimit;
mod security;
