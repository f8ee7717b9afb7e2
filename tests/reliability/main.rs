//! Reliability and security (issue 11), on every adapter set: per-key rate limits (spec §9),
//! infrastructure faults injected through the ports and over the wire, tenancy on every
//! route and secrets kept out of logs.

mod faults;
mod ratelimit;
mod security;
