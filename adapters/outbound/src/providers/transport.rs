//! The HTTP side both providers share: one client per provider, the retry loop (429, 5xx and
//! refused connections; exponential backoff with jitter, `Retry-After` honoured up to a cap)
//! and reading the answer's body up to a size cap.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use url::Url;

use super::types::{ApiError, CallError, ProviderConfig};
use crate::http_client::{self, ClientBuildError, ReadError};

/// A provider answer larger than this is refused (a 4K PNG in base64 is about 50 MB).
const MAX_RESPONSE_BYTES: usize = 128 * 1024 * 1024;

/// One attempt's failure, as the retry loop sees it.
enum AttemptError {
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    Final(CallError),
}

/// The HTTP side both providers share.
pub(crate) struct Transport {
    provider: &'static str,
    http: reqwest::Client,
    config: ProviderConfig,
}

impl Transport {
    /// `auth` holds the provider's credential header(s), sent on every request.
    pub(crate) fn new(
        provider: &'static str,
        config: ProviderConfig,
        auth: HeaderMap,
    ) -> Result<Self, ClientBuildError> {
        let http = http_client::build(
            http_client::builder(None)?
                .default_headers(auth)
                .connect_timeout(Duration::from_secs(10))
                .timeout(config.request_timeout),
        )?;
        Ok(Self {
            provider,
            http,
            config,
        })
    }

    pub(crate) fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// `{base_url}{path}`, the base's own path kept as a prefix.
    pub(crate) fn endpoint(config: &ProviderConfig, path: &str) -> Result<Url, ClientBuildError> {
        let url = format!("{}{path}", config.base_url.trim_end_matches('/'));
        Url::parse(&url).map_err(|e| ClientBuildError(format!("provider URL {url:?}: {e}")))
    }

    /// POSTs a JSON body and returns the body of the 2xx answer, retrying 429 and 5xx
    /// answers and refused connections up to `max_attempts`.
    pub(crate) async fn post_json(&self, url: &Url, body: Bytes) -> Result<Bytes, CallError> {
        self.post(url, body, "application/json").await
    }

    /// As [`post_json`](Self::post_json), for a body of `content_type`.
    pub(crate) async fn post(
        &self,
        url: &Url,
        body: Bytes,
        content_type: &str,
    ) -> Result<Bytes, CallError> {
        let mut attempt = 1;
        loop {
            match self.attempt(url, body.clone(), content_type).await {
                Ok(answer) => return Ok(answer),
                Err(AttemptError::Final(error)) => return Err(error),
                Err(AttemptError::Retryable {
                    reason,
                    retry_after,
                }) => {
                    if attempt >= self.config.max_attempts {
                        return Err(CallError::Unavailable(format!(
                            "{reason} (gave up after {attempt} attempts)"
                        )));
                    }
                    let wait = backoff(&self.config, attempt, retry_after);
                    tracing::warn!(
                        provider = self.provider,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "{reason}; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        body: Bytes,
        content_type: &str,
    ) -> Result<Bytes, AttemptError> {
        let response = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();
        let request_id = header_text(response.headers(), "x-request-id");
        let retry_after = retry_after(response.headers());
        let answer = http_client::read_capped(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => AttemptError::Final(CallError::Unavailable(format!(
                    "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
                ))),
                ReadError::Transport(e) => self.transport_error(&e),
            })?;
        tracing::info!(
            provider = self.provider,
            status,
            request_id = request_id.as_deref(),
            bytes = answer.len(),
            "provider answered"
        );
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        let error = ApiError::parse(&answer);
        if let Some(issue) = error.account_issue(status) {
            return Err(AttemptError::Final(CallError::Account {
                issue,
                detail: format!("HTTP {status}: {error}"),
            }));
        }
        if status == 429 || status >= 500 {
            return Err(AttemptError::Retryable {
                reason: format!("HTTP {status}: {error}"),
                retry_after: retry_after.or(error.retry_delay),
            });
        }
        Err(AttemptError::Final(CallError::Refused { status, error }))
    }

    /// Only a connection that never opened is retried: once the request went out, the
    /// provider may be generating (and billing) already, so a second attempt could pay twice.
    fn transport_error(&self, error: &reqwest::Error) -> AttemptError {
        if error.is_connect() {
            AttemptError::Retryable {
                reason: format!("could not connect: {error}"),
                retry_after: None,
            }
        } else if error.is_timeout() {
            AttemptError::Final(CallError::Unavailable(format!(
                "no answer within {:?}",
                self.config.request_timeout
            )))
        } else {
            AttemptError::Final(CallError::Unavailable(format!(
                "the request failed: {error}"
            )))
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` in seconds; the HTTP-date form is rare from APIs and falls back to backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The wait after failed attempt number `attempt` (1-based): the server's hint if it gave
/// one, otherwise `initial_backoff · 2^(attempt-1)` with "equal jitter" (half fixed, half
/// random) so workers that failed together do not retry together; both capped.
fn backoff(config: &ProviderConfig, attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(hint) = retry_after {
        return hint.min(config.max_backoff);
    }
    let doubled = config
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(config.max_backoff);
    let half = doubled / 2;
    // A failed random source costs only the jitter.
    let random = getrandom::u32().unwrap_or(0);
    half + half.mul_f64(f64::from(random) / f64::from(u32::MAX))
}

/// Sensitive header values are kept out of reqwest's debug output.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, ClientBuildError> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| ClientBuildError("the API key is not a valid header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_hints_up_to_the_cap() {
        let config = ProviderConfig {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..ProviderConfig::new(
                "http://x",
                "k",
                "m",
                crate::providers::types::tests::capabilities("gpt-image-2"),
            )
        };
        for (attempt, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            let full = Duration::from_millis(full);
            let wait = backoff(&config, attempt, None);
            assert!(
                wait >= full / 2 && wait <= full,
                "attempt {attempt}: {wait:?}"
            );
        }
        let hint = Some(Duration::from_millis(300));
        assert_eq!(backoff(&config, 1, hint), Duration::from_millis(300));
        let long_hint = Some(Duration::from_secs(3600));
        assert_eq!(backoff(&config, 1, long_hint), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn refused_connections_are_retried_then_unavailable() {
        let closed_port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let config = ProviderConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            ..ProviderConfig::new(
                format!("http://127.0.0.1:{closed_port}"),
                "k",
                "m",
                crate::providers::types::tests::capabilities("gpt-image-2"),
            )
        };
        let url = Transport::endpoint(&config, "/x").expect("url");
        let transport = Transport::new("test", config, HeaderMap::new()).expect("transport");
        match transport.post_json(&url, Bytes::from_static(b"{}")).await {
            Err(CallError::Unavailable(reason)) => {
                assert!(reason.contains("after 3 attempts"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
