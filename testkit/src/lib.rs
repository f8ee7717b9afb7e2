//! Test support for every adgen test crate, and nothing else: real image fixtures (encoded by
//! `image`), base64, the HTTP/1.1 response parser of every test client (with a plain client
//! for loopback URLs), a scriptable HTTP/TLS server for the outbound clients, fake Gemini and
//! OpenAI APIs that hold requests to the providers' published schemas (`providers`), the fixture
//! websites of the brand extractor served by it, and a verifier of webhook signatures that is
//! independent of ours (`standard_webhooks`). It depends
//! on no adgen crate, so any of them may use it as a dev-dependency without a second copy of
//! the domain's types.

pub mod http;
pub mod images;
pub mod providers;
pub mod sites;
pub mod standard_webhooks;
pub mod tls_server;

pub use tls_server::{Reply, Request, TestServer};

/// Standard base64 (with padding), as clients send inline images.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One address from every range the SSRF rules block (spec §6), for the tests of everything
/// that applies them (the domain's address rules, the fetcher).
pub const BLOCKED_ADDRESS_EXAMPLES: &[&str] = &[
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.255.255.255",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "::",
    "::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "2001:db8::1",
];
