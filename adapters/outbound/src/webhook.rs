//! The webhook sender (the `WebhookSender` port, spec §5): a signed POST through the same
//! SSRF-safe client as every other outbound call (https only, the resolved address checked,
//! no redirect followed), answered or abandoned within the delivery timeout. An attempt
//! never fails as a call: a refused address, a timeout or a broken connection is recorded as
//! the attempt's error, in words safe to show the endpoint's owner.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::fetch::Fetcher;
use adgen::ports::{Outgoing, WebhookSender};
use adgen::webhooks::delivery::{DELIVERY_TIMEOUT, Response};

/// Sends webhook deliveries; build it once per cold start (it holds the connection pool).
pub struct WebhookClient {
    fetcher: Arc<Fetcher>,
    timeout: Duration,
}

impl WebhookClient {
    /// Over a fetcher built with the rules of the deployment ([`Fetcher::new`] on Lambda,
    /// [`Fetcher::local_dev`] for `adgen serve --allow-loopback-urls`); `timeout` is the
    /// contract's [`DELIVERY_TIMEOUT`] everywhere but in tests of the timeout itself.
    pub fn new(fetcher: Arc<Fetcher>, timeout: Duration) -> Self {
        Self { fetcher, timeout }
    }
}

#[async_trait]
impl WebhookSender for WebhookClient {
    async fn send(&self, request: &Outgoing) -> Response {
        let started = Instant::now();
        let answer = self
            .fetcher
            .post(
                &request.url,
                &request.headers,
                request.body.clone(),
                self.timeout,
            )
            .await;
        let duration_ms = started.elapsed().as_millis() as u64;
        match answer {
            Ok(status) => Response {
                sent_at: request.sent_at,
                status_code: Some(status),
                error: None,
                duration_ms,
            },
            Err(e) => Response {
                sent_at: request.sent_at,
                status_code: None,
                error: Some(e.to_string()),
                duration_ms,
            },
        }
    }
}

/// The webhook sender of a deployment: production rules, or with `allow_loopback_urls`
/// (`adgen serve --allow-loopback-urls`, spec §8) the three local host spellings too.
pub fn webhook_sender(
    allow_loopback_urls: bool,
) -> Result<Arc<dyn WebhookSender>, crate::http_client::ClientBuildError> {
    let policy = crate::fetch::FetchPolicy {
        total_timeout: DELIVERY_TIMEOUT,
        ..crate::fetch::FetchPolicy::default()
    };
    let fetcher = if allow_loopback_urls {
        Fetcher::local_dev(policy)?
    } else {
        Fetcher::new(policy)?
    };
    Ok(Arc::new(WebhookClient::new(
        Arc::new(fetcher),
        DELIVERY_TIMEOUT,
    )))
}
