//! The client's HTTP session: one connection pool per run, the API key on API calls only,
//! the envelopes of spec §1 read back, and retries where a retry cannot duplicate work.
//!
//! Retried: GETs, and POSTs that carry an `Idempotency-Key` (the server replays the first
//! answer), on a connection failure or on an answer that says when to come back (`429`, `503`,
//! `409 idempotency_key_in_use`, each with `Retry-After`). Everything else is answered once,
//! as the server said it.

use std::time::Duration;

use bytes::Bytes;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::{ApiError, Failure};

/// A long-poll lasts up to 30 s (spec §4); a request may take that plus its own time.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(75);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts of a retryable request (the first included).
const MAX_ATTEMPTS: u32 = 5;
/// The longest `Retry-After` honoured; a longer one is reported instead of waited out.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// JSON answers are a few kilobytes; anything far larger is not the API.
const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;
/// A finished ad is at most a 4K PNG: tens of megabytes at worst.
pub const MAX_IMAGE_BYTES: usize = 256 * 1024 * 1024;

pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8080";

/// A 2xx answer: the success envelope.
#[derive(Debug)]
pub struct Reply {
    pub envelope: Value,
    /// `X-Idempotency-Replayed: true`: the answer is the first request's.
    pub replayed: bool,
}

impl Reply {
    /// The envelope's `data`.
    pub fn data(&self) -> &Value {
        &self.envelope["data"]
    }

    /// The `data.job_id` of a `202` that accepted a job.
    pub fn job_id(&self) -> Result<String, Failure> {
        self.data()["job_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Failure::Unavailable("the 202 names no data.job_id".into()))
    }
}

/// The `Idempotency-Key` of a submission: the one given, or a fresh one for this run (so the
/// client's own retries replay instead of creating a second job).
pub fn idempotency_key(given: Option<String>) -> String {
    given.unwrap_or_else(|| format!("cli-{}", uuid::Uuid::new_v4()))
}

pub struct Session {
    http: reqwest::Client,
    /// The endpoint with no trailing slash; paths (`/api/v1/…`) are appended to it.
    base: String,
    key: String,
}

impl Session {
    /// `endpoint` is the API's base URL (a stage path is allowed); `key` the API key.
    pub fn new(endpoint: &str, key: Option<String>) -> Result<Self, Failure> {
        let key = key.filter(|k| !k.trim().is_empty()).ok_or_else(|| {
            Failure::Usage(
                "ADGEN_API_KEY is not set: export the key `adgen serve` printed on its first start, or one from `adgen keys create`".into(),
            )
        })?;
        let url = Url::parse(endpoint).map_err(|e| {
            Failure::Usage(format!(
                "--endpoint / ADGEN_ENDPOINT {endpoint:?} is not a URL ({e})"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
            return Err(Failure::Usage(format!(
                "--endpoint / ADGEN_ENDPOINT must be an http:// or https:// base URL without a query, not {endpoint:?}"
            )));
        }
        let http = adgen_outbound::http_client::endpoint_client(CONNECT_TIMEOUT, REQUEST_TIMEOUT)
            .map_err(|e| Failure::Local(e.to_string()))?;
        Ok(Self {
            http,
            base: url.as_str().trim_end_matches('/').to_owned(),
            key: key.trim().to_owned(),
        })
    }

    pub async fn get(&self, path: &str) -> Result<Reply, Failure> {
        self.call(Method::GET, path, None, None).await
    }

    /// One API call; `path` starts with `/api/v1/` and may carry a query.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Reply, Failure> {
        let url = format!("{}{path}", self.base);
        let body = body.map(|b| Bytes::from(serde_json::to_vec(b).unwrap_or_default()));
        let retryable = method == Method::GET || idempotency_key.is_some();
        let mut attempt = 1;
        loop {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&self.key)
                .header("accept", "application/json");
            if let Some(key) = idempotency_key {
                request = request.header("idempotency-key", key);
            }
            if let Some(body) = &body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) if retryable && attempt < MAX_ATTEMPTS && is_transient(&e) => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(unreachable(&self.base, &e)),
            };
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let replayed = response
                .headers()
                .get("x-idempotency-replayed")
                .is_some_and(|v| v.as_bytes() == b"true");
            let bytes = read_body(response, MAX_JSON_BYTES, &url).await?;
            if status.is_success() {
                let envelope = success_envelope(status, &bytes, &url)?;
                return Ok(Reply { envelope, replayed });
            }
            let error = error_envelope(status, &bytes, &self.base)?;
            let wait_it_out = retryable
                && attempt < MAX_ATTEMPTS
                && says_come_back(status, &error.code)
                && retry_after.is_some_and(|d| d <= MAX_RETRY_AFTER);
            if wait_it_out {
                tokio::time::sleep(retry_after.unwrap_or(Duration::from_secs(1))).await;
                attempt += 1;
                continue;
            }
            return Err(Failure::Api(Box::new(error)));
        }
    }

    /// Uploads `bytes` (spec §11): `POST /api/v1/uploads`, then one PUT to the URL it returned
    /// with exactly the headers it named (no API key: the URL authorises the PUT, and on AWS
    /// it is S3's); the `upload://` reference to name it by.
    pub async fn upload(&self, content_type: &str, bytes: Vec<u8>) -> Result<String, Failure> {
        let declared = serde_json::json!({"content_type": content_type, "size_bytes": bytes.len()});
        let reply = self
            .call(Method::POST, "/api/v1/uploads", Some(&declared), None)
            .await?;
        let data = reply.data();
        let (Some(url), Some(reference)) =
            (data["upload_url"].as_str(), data["reference"].as_str())
        else {
            return Err(Failure::Unavailable(
                "the upload answer has no upload_url or reference".into(),
            ));
        };
        let mut put = self.http.put(url);
        if let Some(headers) = data["headers"].as_object() {
            for (name, value) in headers {
                put = put.header(name.as_str(), value.as_str().unwrap_or_default());
            }
        }
        let response =
            put.body(bytes).send().await.map_err(|e| {
                Failure::Unavailable(format!("uploading failed: {}", root_cause(&e)))
            })?;
        let status = response.status();
        if !status.is_success() {
            let body = read_body(response, MAX_JSON_BYTES, url)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&body);
            return Err(Failure::Unavailable(format!(
                "uploading answered {status}: {}",
                text.chars().take(300).collect::<String>()
            )));
        }
        Ok(reference.to_owned())
    }

    /// Fetches a finished image from the URL a job returned. No API key goes with it: the
    /// URL is fetchable without credentials (spec §4) and may be another host (S3, a CDN).
    pub async fn download(&self, url: &str) -> Result<Bytes, Failure> {
        let mut attempt = 1;
        loop {
            match self.http.get(url).send().await {
                Ok(response) if response.status().is_success() => {
                    return read_body(response, MAX_IMAGE_BYTES, url).await;
                }
                Ok(response) => {
                    return Err(Failure::Unavailable(format!(
                        "downloading the image answered {}",
                        response.status()
                    )));
                }
                Err(e) if attempt < MAX_ATTEMPTS && is_transient(&e) => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => {
                    return Err(Failure::Unavailable(format!(
                        "downloading the image failed: {}",
                        root_cause(&e)
                    )));
                }
            }
        }
    }
}

fn says_come_back(status: StatusCode, code: &str) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::SERVICE_UNAVAILABLE
        || (status == StatusCode::CONFLICT && code == "idempotency_key_in_use")
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 << attempt.min(4))
}

fn is_transient(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request()
}

fn unreachable(base: &str, e: &reqwest::Error) -> Failure {
    let hint = if base == DEFAULT_ENDPOINT {
        " (is `adgen serve` running? set --endpoint or ADGEN_ENDPOINT for another API)"
    } else {
        ""
    };
    Failure::Unavailable(format!("could not reach {base}: {}{hint}", root_cause(e)))
}

/// The innermost cause: reqwest's own text is "error sending request", its sources say why.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_timeout() {
        "timed out".into()
    } else {
        cause.to_string()
    }
}

async fn read_body(
    mut response: reqwest::Response,
    max: usize,
    url: &str,
) -> Result<Bytes, Failure> {
    let too_large = || Failure::Unavailable(format!("the answer from {url} is over {max} bytes"));
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(body)),
            Err(e) => {
                return Err(Failure::Unavailable(format!(
                    "the answer from {url} was cut off: {}",
                    root_cause(&e)
                )));
            }
        }
    }
}

fn success_envelope(status: StatusCode, bytes: &[u8], url: &str) -> Result<Value, Failure> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(envelope) if envelope.get("data").is_some() => Ok(envelope),
        _ => Err(Failure::Unavailable(format!(
            "{url} answered {status} without the success envelope: {}",
            snippet(bytes)
        ))),
    }
}

/// The error envelope of spec §1, or a note that the answer is not the API's.
fn error_envelope(status: StatusCode, bytes: &[u8], base: &str) -> Result<ApiError, Failure> {
    let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    match error.and_then(|e| text(e.get("code")).map(|code| (e, code))) {
        Some((e, code)) => {
            let param = text(e.get("param"));
            let more_params = e
                .get("issues")
                .and_then(Value::as_array)
                .map(|issues| {
                    issues
                        .iter()
                        .skip(1)
                        .filter_map(|i| text(i.get("param")))
                        .collect()
                })
                .unwrap_or_default();
            Ok(ApiError {
                status: status.as_u16(),
                code,
                message: text(e.get("message")).unwrap_or_default(),
                param,
                request_id: text(e.get("request_id")),
                more_params,
            })
        }
        None => Err(Failure::Unavailable(format!(
            "{base} answered {status} outside the API's error envelope (is it the API's base URL?): {}",
            snippet(bytes)
        ))),
    }
}

/// The start of a body for an error line: one line, at most 120 characters.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if line.trim().is_empty() {
        "(empty body)".into()
    } else {
        line.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_envelope_is_read_with_every_issue_param() {
        let body = br#"{"error":{"type":"invalid_request_error","code":"invalid_request_body","message":"m","request_id":"req_pi_1","param":"prompt","issues":[{"param":"prompt"},{"param":"colour"}]}}"#;
        let e = error_envelope(StatusCode::BAD_REQUEST, body, "http://x").expect("envelope");
        assert_eq!(e.code, "invalid_request_body");
        assert_eq!(e.param.as_deref(), Some("prompt"));
        assert_eq!(e.more_params, vec!["colour".to_owned()]);
    }

    #[test]
    fn an_answer_outside_the_envelope_is_not_taken_for_the_apis() {
        let e = error_envelope(
            StatusCode::NOT_FOUND,
            br#"{"message":"Not Found"}"#,
            "http://x",
        )
        .expect_err("not the API's");
        assert!(
            matches!(&e, Failure::Unavailable(m) if m.contains("Not Found")),
            "{e}"
        );
        let e = success_envelope(StatusCode::OK, b"<html>\n</html>", "http://x").expect_err("html");
        assert!(e.to_string().contains("<html>"), "{e}");
    }

    #[test]
    fn a_key_and_an_endpoint_are_checked_before_any_call() {
        assert!(matches!(
            Session::new(DEFAULT_ENDPOINT, None),
            Err(Failure::Usage(m)) if m.contains("ADGEN_API_KEY")
        ));
        assert!(matches!(
            Session::new("ftp://example.com", Some("k".into())),
            Err(Failure::Usage(m)) if m.contains("ADGEN_ENDPOINT")
        ));
        let session = Session::new("https://api.example.com/prod/", Some(" k ".into()))
            .expect("a stage path is fine");
        assert_eq!(session.base, "https://api.example.com/prod");
        assert_eq!(session.key, "k");
    }

    #[test]
    fn only_answers_that_name_a_time_are_waited_out() {
        assert!(says_come_back(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded"
        ));
        assert!(says_come_back(
            StatusCode::CONFLICT,
            "idempotency_key_in_use"
        ));
        assert!(!says_come_back(
            StatusCode::CONFLICT,
            "idempotency_key_mismatch"
        ));
        assert!(!says_come_back(
            StatusCode::BAD_REQUEST,
            "invalid_request_body"
        ));
    }
}
