//! What the worker's outbound HTTP clients share: one TLS set-up and a size-capped body reader;
//! and the `adgen` CLI's client for its own API endpoint, on the same TLS set-up.
//!
//! TLS is rustls with the `ring` provider, handed to reqwest preconfigured rather than
//! installed as the process-wide default provider: nothing global changes, and a binary that
//! also links the AWS SDK (which brings aws-lc-rs) keeps working. Certificates are checked by
//! the platform verifier (the system's roots, as reqwest does by default).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rustls::pki_types::CertificateDer;

/// A client could not be built (bad TLS set-up or configuration); a start-up failure.
#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client: {0}")]
pub struct ClientBuildError(pub String);

/// A reqwest builder with our TLS set-up, no proxy and our user agent.
///
/// Proxies are never taken from the environment: a proxy would resolve host names itself,
/// around the fetcher's address checks, and the provider calls have no use for one.
/// `extra_root_der` adds one trusted root certificate (DER); tests use it for a local server.
pub(crate) fn builder(
    extra_root_der: Option<&[u8]>,
) -> Result<reqwest::ClientBuilder, ClientBuildError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra_roots: Vec<CertificateDer<'static>> = extra_root_der
        .map(|der| CertificateDer::from(der.to_vec()))
        .into_iter()
        .collect();
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider.clone())
            .map_err(|e| ClientBuildError(format!("certificate verifier: {e}")))?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientBuildError(format!("TLS versions: {e}")))?
        .dangerous() // "dangerous" only because the verifier is not rustls' own: it is the platform's.
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // reqwest is built without HTTP/2, so only HTTP/1.1 may be offered.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .user_agent(concat!("adgen/", env!("CARGO_PKG_VERSION"))))
}

/// A client for an adgen API endpoint chosen by whoever runs the `adgen` CLI (usually this
/// machine's `adgen serve`, or their own deployment): our TLS set-up and timeouts, and no
/// address rules, since no API caller chose the host. Never for URLs an API caller sent.
pub fn endpoint_client(
    connect_timeout: std::time::Duration,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, ClientBuildError> {
    build(
        builder(None)?
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none()),
    )
}

pub(crate) fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, ClientBuildError> {
    builder.build().map_err(|e| ClientBuildError(e.to_string()))
}

/// Why a body could not be read in full.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body is (or declares itself) larger than the cap; reading stopped there.
    TooLarge,
    Transport(reqwest::Error),
}

/// Reads a response body, refusing one that declares or streams more than `max` bytes.
///
/// Chunks are counted as they arrive, so a body without Content-Length (or one longer than
/// it claims) is cut off right after the cap; dropping the response closes the connection.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Bytes, ReadError> {
    let declared = response.content_length();
    if declared.is_some_and(|len| len > max as u64) {
        return Err(ReadError::TooLarge);
    }
    // Trust a declared length only for the initial allocation, and only up to the cap.
    let mut body = BytesMut::with_capacity(declared.map_or(0, |len| len as usize));
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
