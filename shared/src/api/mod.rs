//! The HTTP contract: wire types, validation, envelopes and routing, as plain
//! `http::Request<Bytes> -> http::Response<Bytes>` functions shared by the Lambda functions and
//! `adgen serve`.

pub mod error;
pub mod generation;
pub mod job_query;
pub mod job_view;
pub mod reference;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use serde::Serialize;
use tracing::Instrument;
use uuid::Uuid;

pub use error::{ApiError, ErrorType, Issue};

use crate::UnixSeconds;
use crate::idempotency::{self, StoredResponse};
use crate::service::jobs::JobsService;
use crate::service::submit::{SubmitError, SubmitOutcome, SubmitService};
use job_query::JobQuery;

pub type HttpRequest = http::Request<Bytes>;
pub type HttpResponse = http::Response<Bytes>;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const REPLAYED_HEADER: &str = "x-idempotency-replayed";
pub const GENERATIONS_PATH: &str = "/api/v1/images/generations";
pub const ADS_GENERATE_PATH: &str = "/api/v1/ads/generate";
pub const JOBS_PREFIX: &str = "/api/v1/jobs/";
/// Both submission paths are one endpoint, with one idempotency key space.
pub const GENERATIONS_ENDPOINT: &str = "images.generations";

/// The latest moment a handler may still answer (a platform limit such as the Lambda
/// deadline or API Gateway's 30 s), put in the request's extensions by the adapter.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub tokio::time::Instant);

/// `req_pi_<uuid v4>`: names one request in the envelope, the `X-Request-Id` header and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn new() -> Self {
        Self(format!("req_pi_{}", Uuid::new_v4()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The routes of the API, recognised from method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Submit,
    GetJob(String),
}

pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let (route, allow) = if path == GENERATIONS_PATH || path == ADS_GENERATE_PATH {
        (Route::Submit, "POST")
    } else if let Some(id) = path
        .strip_prefix(JOBS_PREFIX)
        .filter(|id| !id.is_empty() && !id.contains('/'))
    {
        (Route::GetJob(id.to_owned()), "GET")
    } else {
        return Err(ApiError::route_not_found());
    };
    if method.as_str() != allow {
        return Err(ApiError::method_not_allowed(allow));
    }
    Ok(route)
}

/// The whole API in one process (`adgen serve`); each Lambda function uses its own half.
pub struct Api {
    pub submit: Arc<SubmitService>,
    pub jobs: Arc<JobsService>,
}

impl Api {
    pub async fn handle(&self, request: HttpRequest) -> HttpResponse {
        dispatch(Some(&self.submit), Some(&self.jobs), request).await
    }
}

/// Entry point of the submit function: the two submission routes.
pub async fn handle_submit(service: &SubmitService, request: HttpRequest) -> HttpResponse {
    dispatch(Some(service), None, request).await
}

/// Entry point of the jobs function: `GET /api/v1/jobs/{id}` (and, behind API Gateway's
/// catch-all route, the envelope's 404/405 for every other path).
pub async fn handle_jobs(service: &JobsService, request: HttpRequest) -> HttpResponse {
    dispatch(None, Some(service), request).await
}

/// Routes a request to the services present, inside a span carrying its request id; a route
/// whose service is absent here is not found.
async fn dispatch(
    submit_service: Option<&SubmitService>,
    jobs_service: Option<&JobsService>,
    request: HttpRequest,
) -> HttpResponse {
    let request_id = RequestId::new();
    let span = tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = request.uri().path());
    async {
        match (
            route(request.method(), request.uri().path()),
            submit_service,
            jobs_service,
        ) {
            (Ok(Route::Submit), Some(service), _) => submit(service, request, request_id).await,
            (Ok(Route::GetJob(id)), _, Some(service)) => {
                get_job(service, request, &id, request_id).await
            }
            (Ok(_), _, _) => finish(Err(ApiError::route_not_found()), &request_id),
            (Err(e), _, _) => finish(Err(e), &request_id),
        }
    }
    .instrument(span)
    .await
}

async fn submit(
    service: &SubmitService,
    request: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    let received_at = service.clock.now();
    let result = async {
        let headers = request.headers();
        let principal = service
            .auth
            .authenticate(header_bytes(headers, header::AUTHORIZATION))
            .await?;
        let body = request.body();
        if body.len() > service.settings.max_body_bytes {
            return Err(SubmitError::BodyTooLarge {
                limit: service.settings.max_body_bytes,
            }
            .into());
        }
        if !is_json_content_type(headers) {
            return Err(SubmitError::UnsupportedMediaType.into());
        }
        let key = match header_bytes(headers, idempotency::HEADER) {
            None => None,
            Some(raw) => {
                Some(idempotency::parse_key(raw).ok_or(SubmitError::InvalidIdempotencyKey)?)
            }
        };
        let generation = generation::GenerationRequest::parse(body).map_err(SubmitError::from)?;
        let outcome = service
            .submit(principal, key, generation, &request_id, received_at)
            .await?;
        Ok(outcome)
    }
    .await;
    match result {
        Ok(SubmitOutcome::Created(stored)) => {
            tracing::info!(status = 202, "job accepted");
            stored_response(&stored, false)
        }
        Ok(SubmitOutcome::Replayed(stored)) => {
            tracing::info!(status = 202, original_request_id = %stored.request_id, "idempotent replay");
            stored_response(&stored, true)
        }
        Err(e) => finish(Err(e), &request_id),
    }
}

async fn get_job(
    service: &JobsService,
    request: HttpRequest,
    id: &str,
    request_id: RequestId,
) -> HttpResponse {
    let received_at = service.clock.now();
    let result = async {
        let principal = service
            .auth
            .authenticate(header_bytes(request.headers(), header::AUTHORIZATION))
            .await?;
        let query = JobQuery::parse(request.uri().query())?;
        let deadline = request.extensions().get::<Deadline>().map(|d| d.0);
        let read = service.get(principal, id, &query, deadline).await?;
        Ok(success(
            StatusCode::OK,
            &request_id,
            "job",
            read.job.status.as_str(),
            received_at,
            &job_view::render(&read, &query),
        ))
    }
    .await;
    finish(result, &request_id)
}

fn finish(result: Result<HttpResponse, ApiError>, request_id: &RequestId) -> HttpResponse {
    match result {
        Ok(response) => response,
        Err(e) => {
            if e.status.is_server_error() {
                tracing::error!(status = e.status.as_u16(), code = e.code, "request failed");
            } else {
                tracing::info!(status = e.status.as_u16(), code = e.code, "request refused");
            }
            e.into_response(request_id)
        }
    }
}

fn header_bytes<K: header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&[u8]> {
    headers.get(name).map(HeaderValue::as_bytes)
}

/// `application/json` (any parameters) or a `+json` type; a missing header is accepted.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(text) = value.to_str() else {
        return false;
    };
    let mime = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

pub(crate) fn json_response(
    status: StatusCode,
    request_id: &RequestId,
    body: Vec<u8>,
) -> HttpResponse {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The success envelope of spec §1.
pub fn success(
    status: StatusCode,
    request_id: &RequestId,
    object: &str,
    object_status: &str,
    created_at: UnixSeconds,
    data: &impl Serialize,
) -> HttpResponse {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        id: &'a str,
        object: &'a str,
        status: &'a str,
        created_at: UnixSeconds,
        data: &'a T,
    }
    let body = serde_json::to_vec(&Envelope {
        id: request_id.as_str(),
        object,
        status: object_status,
        created_at,
        data,
    })
    .unwrap_or_default();
    json_response(status, request_id, body)
}

/// The 202 of a new job, in the form kept for idempotent replays.
pub fn accepted(request_id: &RequestId, created_at: UnixSeconds, job_id: Uuid) -> StoredResponse {
    #[derive(Serialize)]
    struct Accepted {
        job_id: Uuid,
    }
    let response = success(
        StatusCode::ACCEPTED,
        request_id,
        "job",
        "queued",
        created_at,
        &Accepted { job_id },
    );
    StoredResponse {
        status: StatusCode::ACCEPTED.as_u16(),
        request_id: request_id.as_str().to_owned(),
        location: format!("{JOBS_PREFIX}{job_id}"),
        body: response.into_body().to_vec(),
    }
}

/// Renders a kept response; a replay carries the original request id and body, byte for byte.
fn stored_response(stored: &StoredResponse, replayed: bool) -> HttpResponse {
    let mut response = Response::new(Bytes::from(stored.body.clone()));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::ACCEPTED);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in [
        (REQUEST_ID_HEADER, &stored.request_id),
        ("location", &stored.location),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    if replayed {
        headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    response
}
