//! adgen's outbound HTTP adapter: everything that reaches the internet, under
//! the SSRF rules of spec §6 (public unicast addresses only, checked on the resolved address,
//! redirects re-checked, bytes and time capped).
//!
//! - `fetch`: reference images by URL (the `ReferenceFetcher` port), and the checked GET
//!   every outbound fetch uses;
//! - `site`: brand websites (the `SiteFetcher` port): page, stylesheets, manifest, logos;
//! - `webhook`: signed webhook deliveries (the `WebhookSender` port), no redirects followed;
//! - `providers`: the Gemini and OpenAI image APIs' wire formats, one retry loop;
//! - `hosted`: those providers behind the `ImageGenerator` port, and their construction;
//! - `http_client`: the TLS set-up (rustls with ring) and capped body reading they share.

pub mod fetch;
pub mod hosted;
pub mod http_client;
pub mod providers;
pub mod site;
pub mod webhook;

pub use hosted::{BuildError, HostedGenerator, worker_parts};
