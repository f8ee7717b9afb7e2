//! HTTP glue above the services: routing, the request span, error mapping (`error`, the one
//! place a domain error becomes an answer) and job rendering (`job_view`), as plain
//! `http::Request<Bytes> -> http::Response<Bytes>` functions shared by the Lambda functions
//! and `adgen serve`. A panic in a handler becomes a 500 in the error envelope.

pub mod brand_view;
pub mod cors;
pub mod error;
pub mod job_view;
pub mod webhook_view;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use uuid::Uuid;

use bytes::Bytes;
use futures_util::FutureExt;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use serde::Serialize;
use tracing::Instrument;

pub use error::{ApiError, ErrorType};

use crate::UnixSeconds;
use crate::auth::Principal;
use crate::contract::brand::{BRANDS_EXTRACT_PATH, BRANDS_PATH, BRANDS_PREFIX};
use crate::contract::job_query::JobQuery;
use crate::contract::upload::{CreateUpload, RECEIVE_PREFIX, UPLOADS_PATH};
use crate::contract::webhook::{WEBHOOKS_PATH, WEBHOOKS_PREFIX};
use crate::contract::{
    ADS_GENERATE_PATH, GENERATIONS_PATH, JOBS_PREFIX, RequestId, envelope, generation,
};
use crate::idempotency::{self, StoredResponse};
use crate::ratelimit::Quota;
use crate::service::auth::{AuthError, Authenticator};
use crate::service::brands::{BrandsService, ExtractOutcome};
use crate::service::jobs::JobsService;
use crate::service::submit::{SubmitError, SubmitOutcome, SubmitService};
use crate::service::webhooks::WebhooksService;

pub type HttpRequest = http::Request<Bytes>;
pub type HttpResponse = http::Response<Bytes>;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const REPLAYED_HEADER: &str = "x-idempotency-replayed";
pub const RATE_LIMIT_LIMIT_HEADER: &str = "x-ratelimit-limit";
pub const RATE_LIMIT_REMAINING_HEADER: &str = "x-ratelimit-remaining";
pub const RATE_LIMIT_RESET_HEADER: &str = "x-ratelimit-reset";

/// The latest moment a handler may still answer (a platform limit such as the Lambda
/// deadline or API Gateway's 30 s), put in the request's extensions by the adapter.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub tokio::time::Instant);

/// The routes of the API, recognised from method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Submit,
    /// `POST /api/v1/uploads` (the submit function's).
    CreateUpload,
    /// `PUT /uploads/{id}`: only where the server itself takes uploads (`adgen serve`);
    /// authorised by the upload's unguessable id, as a presigned URL is by its signature.
    ReceiveUpload(String),
    GetJob(String),
    Brand(BrandRoute),
    Webhook(WebhookRoute),
}

/// The routes under `/api/v1/brands` (the brands function's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrandRoute {
    Create,
    List,
    Extract,
    Get(String),
    Delete(String),
}

/// The routes under `/api/v1/webhooks` (the webhooks function's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookRoute {
    Create,
    List,
    Get(String),
    Update(String),
    Delete(String),
    RotateSecret(String),
    Test(String),
    Deliveries(String),
    Resend { id: String, delivery_id: String },
}

impl WebhookRoute {
    /// The routes whose body is a JSON document.
    fn takes_body(&self) -> bool {
        matches!(self, WebhookRoute::Create | WebhookRoute::Update(_))
    }
}

/// The path below `/api/v1/webhooks/`: the methods it takes and the route of each.
fn webhook_routes(rest: &str) -> Option<(&'static str, Vec<(&'static str, Route)>)> {
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    let id = segments[0].to_owned();
    let one =
        |method: &'static str, route: WebhookRoute| (method, vec![(method, Route::Webhook(route))]);
    Some(match segments[1..] {
        [] => (
            "GET, PATCH, DELETE",
            vec![
                ("GET", Route::Webhook(WebhookRoute::Get(id.clone()))),
                ("PATCH", Route::Webhook(WebhookRoute::Update(id.clone()))),
                ("DELETE", Route::Webhook(WebhookRoute::Delete(id))),
            ],
        ),
        ["rotate-secret"] => one("POST", WebhookRoute::RotateSecret(id)),
        ["test"] => one("POST", WebhookRoute::Test(id)),
        ["deliveries"] => one("GET", WebhookRoute::Deliveries(id)),
        ["deliveries", delivery_id, "resend"] => one(
            "POST",
            WebhookRoute::Resend {
                id,
                delivery_id: delivery_id.to_owned(),
            },
        ),
        _ => return None,
    })
}

pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let one_segment = |prefix: &str| {
        path.strip_prefix(prefix)
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .map(str::to_owned)
    };
    // Each path: the methods it takes (the `Allow` of a 405) and the route of each.
    let (allow, routes): (&'static str, Vec<(&str, Route)>) = if path == WEBHOOKS_PATH {
        (
            "GET, POST",
            vec![
                ("POST", Route::Webhook(WebhookRoute::Create)),
                ("GET", Route::Webhook(WebhookRoute::List)),
            ],
        )
    } else if let Some(rest) = path.strip_prefix(WEBHOOKS_PREFIX) {
        webhook_routes(rest).ok_or_else(ApiError::route_not_found)?
    } else if path == GENERATIONS_PATH || path == ADS_GENERATE_PATH {
        ("POST", vec![("POST", Route::Submit)])
    } else if path == UPLOADS_PATH {
        ("POST", vec![("POST", Route::CreateUpload)])
    } else if let Some(id) = one_segment(RECEIVE_PREFIX) {
        ("PUT", vec![("PUT", Route::ReceiveUpload(id))])
    } else if let Some(id) = one_segment(JOBS_PREFIX) {
        ("GET", vec![("GET", Route::GetJob(id))])
    } else if path == BRANDS_PATH {
        (
            "GET, POST",
            vec![
                ("POST", Route::Brand(BrandRoute::Create)),
                ("GET", Route::Brand(BrandRoute::List)),
            ],
        )
    } else if path == BRANDS_EXTRACT_PATH {
        ("POST", vec![("POST", Route::Brand(BrandRoute::Extract))])
    } else if let Some(id) = one_segment(BRANDS_PREFIX) {
        (
            "GET, DELETE",
            vec![
                ("GET", Route::Brand(BrandRoute::Get(id.clone()))),
                ("DELETE", Route::Brand(BrandRoute::Delete(id))),
            ],
        )
    } else {
        return Err(ApiError::route_not_found());
    };
    routes
        .into_iter()
        .find(|(m, _)| *m == method.as_str())
        .map(|(_, route)| route)
        .ok_or_else(|| ApiError::method_not_allowed(allow))
}

/// The services one deployment unit serves: all of them in `adgen serve`, one per Lambda
/// function. A route whose service is absent is not found there.
#[derive(Clone, Copy, Default)]
pub struct Services<'a> {
    pub submit: Option<&'a SubmitService>,
    /// The service taking `PUT /uploads/{id}` (`adgen serve` only; on AWS, S3 takes them).
    pub receive_uploads: Option<&'a SubmitService>,
    pub jobs: Option<&'a JobsService>,
    pub brands: Option<&'a BrandsService>,
    pub webhooks: Option<&'a WebhooksService>,
}

/// The whole API in one process (`adgen serve`); each Lambda function uses its own part.
pub struct Api {
    pub submit: Arc<SubmitService>,
    pub jobs: Arc<JobsService>,
    pub brands: Arc<BrandsService>,
    pub webhooks: Arc<WebhooksService>,
}

impl Api {
    pub async fn handle(&self, request: HttpRequest) -> HttpResponse {
        let services = Services {
            submit: Some(&self.submit),
            receive_uploads: Some(&self.submit),
            jobs: Some(&self.jobs),
            brands: Some(&self.brands),
            webhooks: Some(&self.webhooks),
        };
        dispatch(services, request).await
    }
}

/// Entry point of the submit function: the two submission routes.
pub async fn handle_submit(service: &SubmitService, request: HttpRequest) -> HttpResponse {
    let services = Services {
        submit: Some(service),
        ..Services::default()
    };
    dispatch(services, request).await
}

/// Entry point of the jobs function: `GET /api/v1/jobs/{id}` (and, behind API Gateway's
/// catch-all route, the envelope's 404/405 for every other path).
pub async fn handle_jobs(service: &JobsService, request: HttpRequest) -> HttpResponse {
    let services = Services {
        jobs: Some(service),
        ..Services::default()
    };
    dispatch(services, request).await
}

/// Entry point of the brands function: the routes under `/api/v1/brands`.
pub async fn handle_brands(service: &BrandsService, request: HttpRequest) -> HttpResponse {
    let services = Services {
        brands: Some(service),
        ..Services::default()
    };
    dispatch(services, request).await
}

/// Entry point of the webhooks function: the routes under `/api/v1/webhooks`.
pub async fn handle_webhooks(service: &WebhooksService, request: HttpRequest) -> HttpResponse {
    let services = Services {
        webhooks: Some(service),
        ..Services::default()
    };
    dispatch(services, request).await
}

/// A routed request's handler, and the service that answers it.
enum Target<'a> {
    Submit(&'a SubmitService),
    CreateUpload(&'a SubmitService),
    GetJob(&'a JobsService, String),
    Brand(&'a BrandsService, BrandRoute),
    Webhook(&'a WebhooksService, WebhookRoute),
}

impl Target<'_> {
    fn auth(&self) -> &Authenticator {
        match self {
            Target::Submit(s) | Target::CreateUpload(s) => &s.auth,
            Target::GetJob(s, _) => &s.auth,
            Target::Brand(s, _) => &s.auth,
            Target::Webhook(s, _) => &s.auth,
        }
    }

    fn now(&self) -> UnixSeconds {
        match self {
            Target::Submit(s) | Target::CreateUpload(s) => s.clock.now(),
            Target::GetJob(s, _) => s.clock.now(),
            Target::Brand(s, _) => s.clock.now(),
            Target::Webhook(s, _) => s.clock.now(),
        }
    }
}

/// Routes a request to the services present, inside a span carrying its request id. Every
/// route is authenticated and counted against its key's rate limit here, in one place, and
/// every answer to an authenticated request carries the key's `X-RateLimit-*` headers.
async fn dispatch(services: Services<'_>, request: HttpRequest) -> HttpResponse {
    let request_id = RequestId::new();
    let started = std::time::Instant::now();
    let route_key = format!(
        "{} {}",
        request.method(),
        route_template(request.uri().path())
    );
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        route = %route_key,
        org_id = tracing::field::Empty,
    );
    let handled = async {
        let route = match route(request.method(), request.uri().path()) {
            Ok(route) => route,
            Err(e) => return finish(Err(e), &request_id),
        };
        let target = match (route, services) {
            (
                Route::Submit,
                Services {
                    submit: Some(service),
                    ..
                },
            ) => Target::Submit(service),
            (
                Route::CreateUpload,
                Services {
                    submit: Some(service),
                    ..
                },
            ) => Target::CreateUpload(service),
            (
                Route::ReceiveUpload(id),
                Services {
                    receive_uploads: Some(service),
                    ..
                },
            ) => return receive_upload(service, request, &id, &request_id).await,
            (
                Route::GetJob(id),
                Services {
                    jobs: Some(service),
                    ..
                },
            ) => Target::GetJob(service, id),
            (
                Route::Brand(route),
                Services {
                    brands: Some(service),
                    ..
                },
            ) => Target::Brand(service, route),
            (
                Route::Webhook(route),
                Services {
                    webhooks: Some(service),
                    ..
                },
            ) => Target::Webhook(service, route),
            _ => return finish(Err(ApiError::route_not_found()), &request_id),
        };
        let authorization = header_bytes(request.headers(), header::AUTHORIZATION);
        let admitted = match target.auth().admit(authorization, target.now()).await {
            Ok(admitted) => admitted,
            Err(e) => {
                let quota = match &e {
                    AuthError::RateLimited(limited) => Some(limited.quota),
                    _ => None,
                };
                return with_quota(finish(Err(e.into()), &request_id), quota);
            }
        };
        let principal = admitted.principal;
        tracing::Span::current().record("org_id", tracing::field::display(principal.org_id));
        let response = match target {
            Target::Submit(service) => {
                submit(service, request, principal, request_id.clone()).await
            }
            Target::CreateUpload(service) => {
                create_upload(service, request, principal, &request_id).await
            }
            Target::GetJob(service, id) => {
                get_job(service, request, principal, &id, request_id.clone()).await
            }
            Target::Brand(service, route) => {
                brands(service, route, request, principal, &request_id).await
            }
            Target::Webhook(service, route) => {
                webhooks(service, route, request, principal, &request_id).await
            }
        };
        with_quota(response, admitted.quota)
    };
    // A bug must not take the process (a Lambda sandbox, or every request of `adgen serve`)
    // down with it: the client gets a 500 envelope with its request id, the log the panic.
    let response = match AssertUnwindSafe(handled)
        .catch_unwind()
        .instrument(span.clone())
        .await
    {
        Ok(response) => response,
        Err(panic) => span.in_scope(|| {
            let what = panic_text(panic.as_ref());
            finish(Err(ApiError::internal(&what)), &request_id)
        }),
    };
    // One line per request: the access log the operations queries (p50/p99 per route, 5xx)
    // read. The route is the path's template, so ids do not split it.
    span.in_scope(|| {
        tracing::info!(
            route = %route_key,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        )
    });
    response
}

/// A path with its id segments (UUIDs, and delivery/upload ids) replaced by `{id}`, so that
/// `GET /api/v1/jobs/{id}` is one route in the logs whatever the id. At most six segments
/// are kept and odd ones show as `…`, so a scan of random paths cannot flood the route names.
fn route_template(path: &str) -> String {
    let mut out = String::new();
    for (n, segment) in path.split('/').filter(|s| !s.is_empty()).enumerate() {
        if n >= 6 {
            out.push_str("/…");
            break;
        }
        out.push('/');
        let id_like = Uuid::try_parse(segment).is_ok()
            || segment.len() > 24
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if id_like {
            out.push_str("{id}");
        } else if segment.len() <= 32
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            out.push_str(segment);
        } else {
            out.push('…');
        }
    }
    if out.is_empty() { "/".into() } else { out }
}

/// The `X-RateLimit-*` headers of spec §9 on an answer to an authenticated request (a replayed
/// answer too: they describe this request, not the original).
fn with_quota(mut response: HttpResponse, quota: Option<Quota>) -> HttpResponse {
    if let Some(quota) = quota {
        let headers = response.headers_mut();
        headers.insert(RATE_LIMIT_LIMIT_HEADER, HeaderValue::from(quota.limit));
        headers.insert(
            RATE_LIMIT_REMAINING_HEADER,
            HeaderValue::from(quota.remaining),
        );
        headers.insert(RATE_LIMIT_RESET_HEADER, HeaderValue::from(quota.reset));
    }
    response
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned());
    format!(
        "handler panicked: {}",
        text.as_deref().unwrap_or("(no message)")
    )
}

async fn submit(
    service: &SubmitService,
    request: HttpRequest,
    principal: Principal,
    request_id: RequestId,
) -> HttpResponse {
    let received_at = service.clock.now();
    let result = async {
        let headers = request.headers();
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
        let generation =
            generation::GenerationRequest::parse_with(body, service.settings.allow_loopback_urls)
                .map_err(SubmitError::from)?;
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

async fn create_upload(
    service: &SubmitService,
    request: HttpRequest,
    principal: Principal,
    request_id: &RequestId,
) -> HttpResponse {
    let received_at = service.clock.now();
    let result = async {
        check_json_body(&request, service.settings.max_body_bytes)?;
        let body = CreateUpload::parse(request.body()).map_err(SubmitError::from)?;
        let created = service
            .uploads
            .create(principal.org_id, body, received_at)
            .await?;
        tracing::info!(upload_id = %created.id, size_bytes = created.size_bytes, "upload created");
        Ok(success(
            StatusCode::CREATED,
            request_id,
            "upload",
            "completed",
            received_at,
            &created,
        ))
    }
    .await;
    finish(result, request_id)
}

/// `PUT /uploads/{id}`: the body (of which the server read at most 15 MiB + 1 bytes) is
/// stored only for the upload's record as declared.
async fn receive_upload(
    service: &SubmitService,
    request: HttpRequest,
    id: &str,
    request_id: &RequestId,
) -> HttpResponse {
    let now = service.clock.now();
    let result = async {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let upload = service
            .uploads
            .receive(id, content_type, request.body().clone(), now)
            .await?;
        tracing::info!(upload_id = %upload.id, size_bytes = upload.size_bytes, "upload received");
        // As S3 answers a PUT: 200, no body.
        let mut response = Response::new(Bytes::new());
        if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }
    .await;
    finish(result, request_id)
}

async fn get_job(
    service: &JobsService,
    request: HttpRequest,
    principal: Principal,
    id: &str,
    request_id: RequestId,
) -> HttpResponse {
    let received_at = service.clock.now();
    let result = async {
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

async fn brands(
    service: &BrandsService,
    route: BrandRoute,
    request: HttpRequest,
    principal: Principal,
    request_id: &RequestId,
) -> HttpResponse {
    let received_at = service.clock.now();
    let result: Result<HttpResponse, ApiError> = async {
        if matches!(route, BrandRoute::Create | BrandRoute::Extract) {
            check_json_body(&request, service.settings.max_body_bytes)?;
        }
        let body = request.body();
        let ok = |status, object: &str, data: &serde_json::Value| {
            success(status, request_id, object, "completed", received_at, data)
        };
        Ok(match route {
            BrandRoute::Create => {
                let read = service.create(principal, body, received_at).await?;
                ok(StatusCode::CREATED, "brand", &brand_view::render(&read))
            }
            BrandRoute::Get(id) => {
                let read = service.get(principal, &id).await?;
                ok(StatusCode::OK, "brand", &brand_view::render(&read))
            }
            BrandRoute::List => {
                let list = service.list(principal, request.uri().query()).await?;
                ok(StatusCode::OK, "list", &brand_view::render_list(&list))
            }
            BrandRoute::Delete(id) => {
                let id = service.delete(principal, &id).await?;
                ok(StatusCode::OK, "brand", &brand_view::deleted(id))
            }
            BrandRoute::Extract => {
                let key = header_bytes(request.headers(), idempotency::HEADER);
                match service
                    .extract(principal, key, body, request_id, received_at)
                    .await?
                {
                    ExtractOutcome::Created(stored) => stored_response(&stored, false),
                    ExtractOutcome::Replayed(stored) => stored_response(&stored, true),
                }
            }
        })
    }
    .await;
    if let Ok(response) = &result {
        tracing::info!(
            status = response.status().as_u16(),
            "brand request answered"
        );
    }
    finish(result, request_id)
}

async fn webhooks(
    service: &WebhooksService,
    route: WebhookRoute,
    request: HttpRequest,
    principal: Principal,
    request_id: &RequestId,
) -> HttpResponse {
    let received_at = service.clock.now();
    let result: Result<HttpResponse, ApiError> = async {
        if route.takes_body() {
            check_json_body(&request, service.settings.max_body_bytes)?;
        }
        let body = request.body();
        let ok = |status, object: &str, data: &serde_json::Value| {
            success(status, request_id, object, "completed", received_at, data)
        };
        let query = request.uri().query();
        Ok(match route {
            WebhookRoute::Create => {
                let read = service.create(principal, body).await?;
                ok(
                    StatusCode::CREATED,
                    "webhook",
                    &webhook_view::render(&read.endpoint, true),
                )
            }
            WebhookRoute::List => {
                let list = service.list(principal, query).await?;
                ok(StatusCode::OK, "list", &webhook_view::render_list(&list))
            }
            WebhookRoute::Get(id) => {
                let endpoint = service.get(principal, &id).await?;
                ok(
                    StatusCode::OK,
                    "webhook",
                    &webhook_view::render(&endpoint, false),
                )
            }
            WebhookRoute::Update(id) => {
                let endpoint = service.update(principal, &id, body).await?;
                ok(
                    StatusCode::OK,
                    "webhook",
                    &webhook_view::render(&endpoint, false),
                )
            }
            WebhookRoute::Delete(id) => {
                let id = service.delete(principal, &id).await?;
                ok(StatusCode::OK, "webhook", &webhook_view::deleted(id))
            }
            WebhookRoute::RotateSecret(id) => {
                let read = service.rotate(principal, &id).await?;
                ok(
                    StatusCode::OK,
                    "webhook",
                    &webhook_view::render(&read.endpoint, true),
                )
            }
            WebhookRoute::Test(id) => {
                let delivery = service.test(principal, &id).await?;
                ok(
                    StatusCode::OK,
                    "delivery",
                    &webhook_view::render_delivery(&delivery),
                )
            }
            WebhookRoute::Deliveries(id) => {
                let list = service.deliveries(principal, &id, query).await?;
                ok(
                    StatusCode::OK,
                    "list",
                    &webhook_view::render_deliveries(&list),
                )
            }
            WebhookRoute::Resend { id, delivery_id } => {
                let delivery = service.resend(principal, &id, &delivery_id).await?;
                ok(
                    StatusCode::OK,
                    "delivery",
                    &webhook_view::render_delivery(&delivery),
                )
            }
        })
    }
    .await;
    if let Ok(response) = &result {
        tracing::info!(
            status = response.status().as_u16(),
            "webhook request answered"
        );
    }
    finish(result, request_id)
}

/// The answer, with the request's one log line for a refusal or failure (the cause of a 5xx
/// is logged here and only here).
fn finish(result: Result<HttpResponse, ApiError>, request_id: &RequestId) -> HttpResponse {
    match result {
        Ok(response) => response,
        Err(e) => {
            if e.status.is_server_error() {
                let cause = e.cause.as_deref().unwrap_or("");
                tracing::error!(
                    status = e.status.as_u16(),
                    code = e.code,
                    cause,
                    "request failed"
                );
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

/// A route's JSON body: at most `limit` bytes (413), of a JSON content type (415).
fn check_json_body(request: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    if request.body().len() > limit {
        return Err(ApiError::body_too_large(limit));
    }
    if !is_json_content_type(request.headers()) {
        return Err(ApiError::unsupported_media_type());
    }
    Ok(())
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

/// The success envelope of spec §1, as an answer.
pub fn success(
    status: StatusCode,
    request_id: &RequestId,
    object: &str,
    object_status: &str,
    created_at: UnixSeconds,
    data: &impl Serialize,
) -> HttpResponse {
    let body = envelope::success_body(request_id, object, object_status, created_at, data);
    json_response(status, request_id, body)
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

#[cfg(test)]
mod tests {
    use super::route_template;

    #[test]
    fn routes_in_logs_do_not_split_by_id() {
        assert_eq!(
            route_template("/api/v1/jobs/7b8c9f2f-8d7a-4a39-8d8d-1cd4d11f8a7a"),
            "/api/v1/jobs/{id}"
        );
        assert_eq!(
            route_template(
                "/api/v1/webhooks/7b8c9f2f-8d7a-4a39-8d8d-1cd4d11f8a7a/deliveries/7b8c9f2f-8d7a-4a39-8d8d-1cd4d11f8a7b/resend"
            ),
            "/api/v1/webhooks/{id}/deliveries/{id}/…"
        );
        assert_eq!(route_template("/"), "/");
        assert_eq!(route_template("/a/<script>/b"), "/a/…/b");
        assert_eq!(
            route_template("/api/v1/images/generations"),
            "/api/v1/images/generations"
        );
    }
}
