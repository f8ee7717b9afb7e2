//! The worker's reference-image fetcher (spec §6), safe against server-side request forgery.
//!
//! Every hop is judged by the same rules before a byte is sent: `https` only; a literal-IP host
//! must pass the address rule (reqwest connects to literal IPs without asking the resolver);
//! a host name goes through [`CheckedResolver`], which refuses the whole lookup when any
//! resolved address fails the rule, so the address connected to is an address that was
//! checked (no re-resolution between check and connect). Redirects are followed by hand, at
//! most [`FetchPolicy::max_redirects`] hops, each re-checked. The body is counted while it
//! streams, and the bytes must be a PNG, JPEG or WebP whatever the Content-Type says.
//!
//! [`Fetcher::get`] is the checked GET itself, shared with the brand site fetcher (`site`).
//! `adgen serve --allow-loopback-urls` (spec §8) builds the fetcher with
//! [`Fetcher::local_dev`]: URLs whose host is `127.0.0.1`, `localhost` or `[::1]` may then be
//! fetched over http or https — and only those: a public name that resolves to loopback, and
//! every private or link-local address, stay refused.

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ACCEPT, LOCATION};
use url::{Host, Url};

use crate::http_client::{self, ClientBuildError, ReadError};
use adgen::contract::reference::{ImageKind, MAX_IMAGE_BYTES, is_local_dev_url};
use adgen::net::is_public_unicast;

/// Decides whether the fetcher may connect to an address. Production uses
/// [`is_public_unicast`]; tests let one loopback address through for a local server.
pub type AddressRule = fn(IpAddr) -> bool;

/// Limits of one fetch; [`Default`] gives the spec's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    pub connect_timeout: Duration,
    /// For the whole fetch: every hop, every connection and the body.
    pub total_timeout: Duration,
    pub max_bytes: usize,
    pub max_redirects: u32,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
            max_bytes: MAX_IMAGE_BYTES,
            max_redirects: 3,
        }
    }
}

/// A fetched image: the bytes as served and the format they turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Bytes,
    pub kind: ImageKind,
}

/// Why a fetch failed. Every message is safe to show the client: it says nothing the
/// owner of the URL could not see for themselves (no resolved addresses, no internal errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the URL is not a valid https:// URL")]
    InvalidUrl,
    #[error("only https:// URLs are fetched (also after a redirect)")]
    NotHttps,
    #[error(
        "the host is, or resolves to, a private, loopback, link-local or otherwise non-public address"
    )]
    BlockedAddress,
    #[error("too many redirects (at most {max} are followed)")]
    TooManyRedirects { max: u32 },
    #[error("the download is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: usize },
    #[error("the content is not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error("the server answered with HTTP status {0}")]
    Status(u16),
    #[error("the download timed out")]
    Timeout,
    /// A fixed description (never a library's error text, which could name internal detail).
    #[error("could not download: {0}")]
    Connect(&'static str),
}

/// A successful checked GET: where the answer finally came from, its declared type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub url: Url,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// Which addresses and URLs may be fetched.
#[derive(Clone, Copy)]
struct Rules {
    allow: AddressRule,
    /// `--allow-loopback-urls`: the three local host spellings, over http or https.
    local_dev: bool,
}

/// Fetches reference images (and, through `site`, brand websites). Build it once: it holds
/// the connection pool.
pub struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
    rules: Rules,
}

impl Fetcher {
    /// The production fetcher: only public unicast addresses, the system's root certificates.
    pub fn new(policy: FetchPolicy) -> Result<Self, ClientBuildError> {
        Self::build(
            policy,
            Rules {
                allow: is_public_unicast,
                local_dev: false,
            },
            None,
        )
    }

    /// `adgen serve --allow-loopback-urls` (spec §8): the production rules, plus URLs whose
    /// host is `127.0.0.1`, `localhost` or `[::1]`, over http or https. Never used on Lambda.
    pub fn local_dev(policy: FetchPolicy) -> Result<Self, ClientBuildError> {
        Self::build(
            policy,
            Rules {
                allow: is_public_unicast,
                local_dev: true,
            },
            None,
        )
    }

    /// A fetcher with another address rule and, optionally, one more trusted root
    /// certificate (DER). For tests against a local HTTPS server; production uses [`Fetcher::new`].
    pub fn with_rules(
        policy: FetchPolicy,
        allow: AddressRule,
        extra_root_der: Option<&[u8]>,
    ) -> Result<Self, ClientBuildError> {
        Self::build(
            policy,
            Rules {
                allow,
                local_dev: false,
            },
            extra_root_der,
        )
    }

    fn build(
        policy: FetchPolicy,
        rules: Rules,
        extra_root_der: Option<&[u8]>,
    ) -> Result<Self, ClientBuildError> {
        let client = http_client::build(
            http_client::builder(extra_root_der)?
                .dns_resolver(Arc::new(CheckedResolver { rules }))
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(policy.connect_timeout),
        )?;
        Ok(Self {
            client,
            policy,
            rules,
        })
    }

    pub fn policy(&self) -> FetchPolicy {
        self.policy
    }

    /// A reference image: at most the policy's bytes, and a PNG, JPEG or WebP by content.
    pub async fn fetch(&self, url: &str) -> Result<Fetched, FetchError> {
        let got = self
            .get(
                url,
                "image/png, image/jpeg, image/webp",
                self.policy.max_bytes,
                self.policy.total_timeout,
            )
            .await?;
        let kind = ImageKind::sniff(&got.bytes).ok_or(FetchError::NotAnImage)?;
        Ok(Fetched {
            bytes: got.bytes,
            kind,
        })
    }

    /// One checked GET: every hop checked, at most `max_bytes` read, all within `within`.
    pub async fn get(
        &self,
        url: &str,
        accept: &str,
        max_bytes: usize,
        within: Duration,
    ) -> Result<Got, FetchError> {
        tokio::time::timeout(within, self.get_within_deadline(url, accept, max_bytes))
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }

    async fn get_within_deadline(
        &self,
        url: &str,
        accept: &str,
        max_bytes: usize,
    ) -> Result<Got, FetchError> {
        let mut url = Url::parse(url).map_err(|_| FetchError::InvalidUrl)?;
        let mut redirects = 0;
        let response = loop {
            self.check(&url)?;
            let response = self
                .client
                .get(url.clone())
                .header(ACCEPT, accept)
                .send()
                .await
                .map_err(transport_error)?;
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break response;
            }
            // A redirect without a Location is just an unusable answer.
            let location = response
                .headers()
                .get(LOCATION)
                .ok_or(FetchError::Status(status))?;
            if redirects == self.policy.max_redirects {
                return Err(FetchError::TooManyRedirects {
                    max: self.policy.max_redirects,
                });
            }
            redirects += 1;
            url = location
                .to_str()
                .ok()
                .and_then(|location| url.join(location).ok())
                .ok_or(FetchError::InvalidUrl)?;
        };
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = http_client::read_capped(response, max_bytes)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => FetchError::TooLarge { max_bytes },
                ReadError::Transport(e) if e.is_timeout() => FetchError::Timeout,
                ReadError::Transport(_) => {
                    FetchError::Connect("the connection broke during the download")
                }
            })?;
        Ok(Got {
            url,
            content_type,
            bytes,
        })
    }

    /// One checked POST (a webhook delivery): the URL judged by the same rules, no redirect
    /// followed (a 3xx is just the answer), all within `within`. The status code as answered.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Bytes,
        within: Duration,
    ) -> Result<u16, FetchError> {
        let url = Url::parse(url).map_err(|_| FetchError::InvalidUrl)?;
        self.check(&url)?;
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let sent = tokio::time::timeout(within, request.send())
            .await
            .map_err(|_| FetchError::Timeout)?;
        Ok(sent.map_err(transport_error)?.status().as_u16())
    }

    /// The rules every hop must pass before it is requested.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        if self.rules.local_dev && is_local_dev_url(url) && url.username().is_empty() {
            return Ok(());
        }
        if url.scheme() != "https" {
            return Err(FetchError::NotHttps);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::InvalidUrl);
        }
        // The url crate has already normalised every IPv4 spelling (0x7f.1, 2130706433, …)
        // into `Host::Ipv4`, so a `Host::Domain` never reaches reqwest as an IP literal.
        let literal: IpAddr = match url.host() {
            None => return Err(FetchError::InvalidUrl),
            Some(Host::Domain(_)) => return Ok(()),
            Some(Host::Ipv4(ip)) => ip.into(),
            Some(Host::Ipv6(ip)) => ip.into(),
        };
        if (self.rules.allow)(literal) {
            Ok(())
        } else {
            Err(FetchError::BlockedAddress)
        }
    }
}

/// Resolves host names and refuses the whole lookup if any address fails the rule: a name
/// with one public and one private address is refused rather than trimmed, since its owner
/// evidently points it inside someone's network.
struct CheckedResolver {
    rules: Rules,
}

#[derive(Debug, thiserror::Error)]
enum LookupError {
    #[error("the host name resolves to a non-public address")]
    Blocked,
    #[error("the host name could not be resolved")]
    NotFound,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let Rules { allow, local_dev } = self.rules;
        // In local development `localhost` may resolve to loopback, and only to loopback.
        let local_name = local_dev && name.as_str().eq_ignore_ascii_case("localhost");
        Box::pin(async move {
            // Port 0: the connector puts the URL's port on the addresses we return.
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|_| LookupError::NotFound)?
                .collect();
            if addrs.is_empty() {
                return Err(LookupError::NotFound.into());
            }
            let allowed = |ip: IpAddr| {
                if local_name {
                    ip.is_loopback()
                } else {
                    allow(ip)
                }
            };
            if addrs.iter().any(|addr| !allowed(addr.ip())) {
                return Err(LookupError::Blocked.into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Sorts a failed request into a client-safe error by looking through its causes.
fn transport_error(error: reqwest::Error) -> FetchError {
    let mut tls = false;
    let mut refused = false;
    let mut cause: Option<&(dyn StdError + 'static)> = Some(&error);
    while let Some(e) = cause {
        match e.downcast_ref::<LookupError>() {
            Some(LookupError::Blocked) => return FetchError::BlockedAddress,
            Some(LookupError::NotFound) => {
                return FetchError::Connect("the host name could not be resolved");
            }
            None => {}
        }
        tls |= e.is::<rustls::Error>();
        let io = e.downcast_ref::<std::io::Error>();
        refused |= io.is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        // An io::Error's `source()` skips the error it wraps (rustls errors travel that way):
        // step into the wrapped error itself.
        cause = match io.and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    if error.is_timeout() {
        FetchError::Timeout
    } else if tls {
        FetchError::Connect("the TLS handshake failed (untrusted certificate or protocol error)")
    } else if refused {
        FetchError::Connect("the connection was refused")
    } else {
        FetchError::Connect("the connection failed")
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Instant;

    use rustls::pki_types::PrivateKeyDer;
    use tokio_rustls::TlsAcceptor;

    use super::*;
    use adgen_testkit::images as samples;
    use adgen_testkit::tls_server::{Reply, Request, TestServer};

    /// The production rule plus exactly 127.0.0.1, where the test server listens: every other
    /// loopback address (127.0.0.2, ::1, ::ffff:127.0.0.1) stays blocked.
    fn public_or_test_server(ip: IpAddr) -> bool {
        is_public_unicast(ip) || ip == IpAddr::V4(Ipv4Addr::LOCALHOST)
    }

    fn quick_policy() -> FetchPolicy {
        FetchPolicy {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_millis(400),
            ..FetchPolicy::default()
        }
    }

    /// A self-signed certificate for 127.0.0.1, made fresh for each server.
    fn tls_acceptor() -> (TlsAcceptor, Vec<u8>) {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
                .expect("self-signed certificate");
        let key = PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .expect("server certificate");
        (TlsAcceptor::from(Arc::new(config)), cert.der().to_vec())
    }

    /// An HTTPS server on 127.0.0.1 and a fetcher that trusts it (and may connect to it).
    async fn setup(
        policy: FetchPolicy,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> (TestServer, Fetcher) {
        let (acceptor, cert) = tls_acceptor();
        let server = TestServer::tls(acceptor, handler).await;
        let fetcher =
            Fetcher::with_rules(policy, public_or_test_server, Some(&cert)).expect("test fetcher");
        (server, fetcher)
    }

    fn png_reply() -> Reply {
        Reply::new(200, samples::png(4, 3))
    }

    fn redirect(status: u16, location: impl Into<String>) -> Reply {
        Reply::new(status, "").header("location", location)
    }

    #[tokio::test]
    async fn fetches_an_image_judged_by_its_bytes_not_its_content_type() {
        let (server, fetcher) = setup(FetchPolicy::default(), |_| {
            png_reply().header("content-type", "text/html")
        })
        .await;
        let fetched = fetcher
            .fetch(&server.url("https", "/a.png"))
            .await
            .expect("fetched");
        assert_eq!(fetched.kind, ImageKind::Png);
        assert_eq!(fetched.bytes, samples::png(4, 3));
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, "GET");
        assert_eq!(requests[0].path, "/a.png");
    }

    #[tokio::test]
    async fn connection_failures_are_described_without_internals() {
        let (acceptor, _) = tls_acceptor();
        let server = TestServer::tls(acceptor, |_| png_reply()).await;
        // The same address rule, but the server's self-signed certificate is not trusted.
        let untrusting = Fetcher::with_rules(FetchPolicy::default(), public_or_test_server, None)
            .expect("fetcher");
        assert_eq!(
            untrusting.fetch(&server.url("https", "/a.png")).await,
            Err(FetchError::Connect(
                "the TLS handshake failed (untrusted certificate or protocol error)"
            ))
        );
        let closed_port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        assert_eq!(
            untrusting
                .fetch(&format!("https://127.0.0.1:{closed_port}/a.png"))
                .await,
            Err(FetchError::Connect("the connection was refused"))
        );
    }

    #[tokio::test]
    async fn follows_at_most_three_redirects_of_every_kind() {
        // /hop/N redirects to /hop/N-1 (relative Location), /hop/0 is the image.
        let (server, fetcher) = setup(FetchPolicy::default(), |req| {
            let n: usize = req
                .path
                .strip_prefix("/hop/")
                .and_then(|n| n.parse().ok())
                .expect("hop path");
            match n {
                0 => png_reply(),
                n => redirect([301, 302, 303, 307, 308][n % 5], format!("/hop/{}", n - 1)),
            }
        })
        .await;
        let fetched = fetcher.fetch(&server.url("https", "/hop/3")).await;
        assert_eq!(fetched.map(|f| f.kind), Ok(ImageKind::Png));
        assert_eq!(server.requests().len(), 4);

        assert_eq!(
            fetcher.fetch(&server.url("https", "/hop/4")).await,
            Err(FetchError::TooManyRedirects { max: 3 })
        );
        // /hop/4, 3, 2, 1 were requested; the fourth redirect (to /hop/0) was not followed.
        assert_eq!(server.requests().len(), 8);
        assert_eq!(server.requests()[7].path, "/hop/1");
    }

    #[tokio::test]
    async fn every_redirect_hop_is_checked_again() {
        // /to/N redirects to the N-th target; the port is the test server's own.
        let (server, fetcher) = setup(FetchPolicy::default(), |req| {
            let port = req
                .header("host")
                .and_then(|h| h.rsplit_once(':'))
                .map(|(_, port)| port.to_owned())
                .expect("host header with port");
            let targets = [
                format!("https://127.0.0.2:{port}/a.png"),
                "https://169.254.169.254/latest/meta-data/".to_owned(),
                format!("https://[::ffff:127.0.0.1]:{port}/a.png"),
                format!("https://[::1]:{port}/a.png"),
                format!("http://127.0.0.1:{port}/a.png"),
                "https://[::1/a.png".to_owned(),
            ];
            let n: usize = req
                .path
                .strip_prefix("/to/")
                .and_then(|n| n.parse().ok())
                .expect("redirect path");
            redirect(302, targets[n].clone())
        })
        .await;
        let expected = [
            FetchError::BlockedAddress,
            FetchError::BlockedAddress,
            FetchError::BlockedAddress,
            FetchError::BlockedAddress,
            FetchError::NotHttps,
            FetchError::InvalidUrl,
        ];
        for (n, want) in expected.into_iter().enumerate() {
            let url = server.url("https", &format!("/to/{n}"));
            assert_eq!(fetcher.fetch(&url).await, Err(want), "target {n}");
        }
        // Only the redirecting requests reached a server: no hop was followed.
        assert!(server.requests().iter().all(|r| r.path.starts_with("/to/")));
    }

    #[tokio::test]
    async fn literal_non_public_addresses_are_refused_before_connecting() {
        // The production rule; every blocked range of `net`'s tests, as URL hosts. The check
        // happens before any request (a connection attempt would be a Connect error instead).
        let fetcher = Fetcher::new(FetchPolicy::default()).expect("fetcher");
        let bracketed =
            adgen_testkit::BLOCKED_ADDRESS_EXAMPLES
                .iter()
                .map(|a| match a.contains(':') {
                    true => format!("[{a}]"),
                    false => (*a).to_owned(),
                });
        let other_spellings = [
            // Other spellings of 127.0.0.1 that the URL parser normalises.
            "2130706433",
            "0x7f.1",
            "017700000001",
        ]
        .map(str::to_owned);
        for host in bracketed.chain(other_spellings) {
            let url = format!("https://{host}/a.png");
            assert_eq!(
                fetcher.fetch(&url).await,
                Err(FetchError::BlockedAddress),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn host_names_resolving_to_non_public_addresses_are_refused() {
        // localhost resolves locally (no network), to loopback: the production resolver
        // refuses it, and the server on 127.0.0.1 never sees a request.
        let (acceptor, cert) = tls_acceptor();
        let server = TestServer::tls(acceptor, |_| png_reply()).await;
        let fetcher = Fetcher::with_rules(FetchPolicy::default(), is_public_unicast, Some(&cert))
            .expect("fetcher");
        let url = format!("https://localhost:{}/a.png", server.addr.port());
        assert_eq!(fetcher.fetch(&url).await, Err(FetchError::BlockedAddress));
        assert!(server.requests().is_empty());
    }

    #[tokio::test]
    async fn non_https_and_malformed_urls_are_refused() {
        let fetcher = Fetcher::new(FetchPolicy::default()).expect("fetcher");
        for (url, want) in [
            ("http://example.com/a.png", FetchError::NotHttps),
            ("ftp://example.com/a.png", FetchError::NotHttps),
            ("file:///etc/passwd", FetchError::NotHttps),
            ("not a url", FetchError::InvalidUrl),
            ("https://user:pw@example.com/a.png", FetchError::InvalidUrl),
        ] {
            assert_eq!(fetcher.fetch(url).await, Err(want), "{url}");
        }
    }

    #[tokio::test]
    async fn a_streamed_body_past_15_mib_is_cut_off() {
        // 16 MiB in 64 KiB writes, no Content-Length: only counting while streaming catches it.
        let (server, fetcher) = setup(FetchPolicy::default(), |_| {
            Reply::new(200, vec![0u8; 64 * 1024])
                .repeat(256)
                .without_length()
        })
        .await;
        assert_eq!(
            fetcher.fetch(&server.url("https", "/big")).await,
            Err(FetchError::TooLarge {
                max_bytes: MAX_IMAGE_BYTES
            })
        );
    }

    #[tokio::test]
    async fn a_declared_length_past_the_cap_is_refused_before_reading() {
        // The server declares 16 MiB, then stalls: the answer must come from the header alone.
        let (server, fetcher) = setup(FetchPolicy::default(), |_| {
            Reply::new(200, samples::png(1, 1))
                .without_length()
                .header("content-length", (16 * 1024 * 1024).to_string())
                .stall(Duration::from_secs(30))
        })
        .await;
        let started = Instant::now();
        assert_eq!(
            fetcher.fetch(&server.url("https", "/big")).await,
            Err(FetchError::TooLarge {
                max_bytes: MAX_IMAGE_BYTES
            })
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn the_cap_is_exact() {
        let policy = FetchPolicy {
            max_bytes: 1000,
            ..FetchPolicy::default()
        };
        let (server, fetcher) = setup(policy, |req| {
            let (len, sized) = match req.path.as_str() {
                "/1000" => (1000, true),
                "/1000-unsized" => (1000, false),
                "/1001" => (1001, true),
                _ => (1001, false),
            };
            let mut body = samples::png(1, 1);
            body.resize(len, 0);
            let reply = Reply::new(200, body);
            if sized { reply } else { reply.without_length() }
        })
        .await;
        for (path, want) in [
            ("/1000", Ok(1000)),
            ("/1000-unsized", Ok(1000)),
            ("/1001", Err(FetchError::TooLarge { max_bytes: 1000 })),
            (
                "/1001-unsized",
                Err(FetchError::TooLarge { max_bytes: 1000 }),
            ),
        ] {
            let got = fetcher.fetch(&server.url("https", path)).await;
            assert_eq!(got.map(|f| f.bytes.len()), want, "{path}");
        }
    }

    #[tokio::test]
    async fn non_images_and_error_statuses_are_refused() {
        let (server, fetcher) = setup(FetchPolicy::default(), |req| match req.path.as_str() {
            // A lying Content-Type does not make HTML an image.
            "/html" => Reply::new(200, "<html><body>not an image</body></html>")
                .header("content-type", "image/png"),
            "/empty" => Reply::new(200, "").header("content-type", "image/png"),
            "/gif" => Reply::new(200, "GIF89a......").header("content-type", "image/gif"),
            "/gone" => Reply::new(404, "not found"),
            "/broken" => Reply::new(500, "oops"),
            "/nowhere" => Reply::new(302, ""),
            _ => Reply::new(400, ""),
        })
        .await;
        for (path, want) in [
            ("/html", FetchError::NotAnImage),
            ("/empty", FetchError::NotAnImage),
            ("/gif", FetchError::NotAnImage),
            ("/gone", FetchError::Status(404)),
            ("/broken", FetchError::Status(500)),
            ("/nowhere", FetchError::Status(302)),
        ] {
            let got = fetcher.fetch(&server.url("https", path)).await;
            assert_eq!(got, Err(want), "{path}");
        }
    }

    #[tokio::test]
    async fn slow_servers_time_out() {
        let (server, fetcher) = setup(quick_policy(), |req| match req.path.as_str() {
            "/slow" => png_reply().delay(Duration::from_secs(30)),
            // Headers and a first chunk at once, then nothing.
            _ => png_reply()
                .repeat(1000)
                .without_length()
                .stall(Duration::from_secs(30)),
        })
        .await;
        for path in ["/slow", "/trickle"] {
            let started = Instant::now();
            assert_eq!(
                fetcher.fetch(&server.url("https", path)).await,
                Err(FetchError::Timeout),
                "{path}"
            );
            assert!(started.elapsed() < Duration::from_secs(3), "{path}");
        }
    }

    #[test]
    fn error_messages_name_no_internals() {
        assert_eq!(
            FetchError::TooLarge {
                max_bytes: MAX_IMAGE_BYTES
            }
            .to_string(),
            "the download is larger than 15728640 bytes"
        );
        assert_eq!(
            FetchError::Status(403).to_string(),
            "the server answered with HTTP status 403"
        );
    }
}
