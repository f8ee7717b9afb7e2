//! The error envelope (spec §1) and the one place where domain errors become HTTP answers.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use crate::contract::job_query::QueryError;
use crate::contract::{Issue, RequestId};
use crate::ports::PortError;
use crate::service::auth::AuthError;
use crate::service::brands::BrandError;
use crate::service::idempotency::IdempotencyError;
use crate::service::jobs::GetJobError;
use crate::service::submit::SubmitError;
use crate::service::uploads::ReceiveError;
use crate::service::webhooks::WebhookError;
use crate::uploads::UploadRefusal;
use crate::webhooks::MAX_ENDPOINTS_PER_ORG;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequestError,
    AuthenticationError,
    PermissionError,
    NotFoundError,
    IdempotencyError,
    RateLimitError,
    ApiError,
}

/// An error answer, ready to render.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub error_type: ErrorType,
    pub code: &'static str,
    pub message: Box<str>,
    pub param: Option<Box<str>>,
    pub issues: Vec<Issue>,
    pub retry_after: Option<u32>,
    pub allow: Option<&'static str>,
    /// What failed on our side, for the one log line of a 5xx; never sent to the client.
    pub cause: Option<Box<str>>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        error_type: ErrorType,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error_type,
            code,
            message: message.into().into_boxed_str(),
            param: None,
            issues: Vec::new(),
            retry_after: None,
            allow: None,
            cause: None,
        }
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into().into_boxed_str());
        self
    }

    /// A 400 listing every issue; `param` and `message` come from the first.
    pub fn invalid(code: &'static str, issues: Vec<Issue>) -> Self {
        let (message, param) = match issues.first() {
            Some(first) => (
                first.message.clone(),
                Some(first.param.clone().into_boxed_str()),
            ),
            None => ("the request is invalid".to_owned(), None),
        };
        Self {
            param,
            issues,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                code,
                message,
            )
        }
    }

    pub fn invalid_idempotency_key() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        )
        .with_param(crate::idempotency::HEADER)
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorType::InvalidRequestError,
            "request_too_large",
            format!(
                "the request body is larger than {limit} bytes; send large images by https URL"
            ),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorType::InvalidRequestError,
            "unsupported_media_type",
            "the body must be JSON sent with `Content-Type: application/json`",
        )
        .with_param("Content-Type")
    }

    pub fn route_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::NotFoundError,
            "route_not_found",
            "no such route; see /api/v1 in the API reference",
        )
    }

    /// The client did not send its body in time (embedded server only; API Gateway has its own).
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorType::InvalidRequestError,
            "request_timeout",
            "the request body did not arrive in time",
        )
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorType::InvalidRequestError,
                "method_not_allowed",
                format!("this route accepts {allow} only"),
            )
        }
    }

    /// Our side failed; the text of the cause goes to the request's one log line (inside its
    /// span, which carries its id), never to the client.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        Self {
            retry_after: Some(1),
            cause: Some(cause.to_string().into_boxed_str()),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorType::ApiError,
                "service_unavailable",
                "the service could not complete the request; retry it (with the same Idempotency-Key, if any)",
            )
        }
    }

    /// A bug on our side (a handler panicked): 500, the cause for the log only.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string().into_boxed_str()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorType::ApiError,
                "internal_error",
                "the service failed to handle the request; retry it (with the same Idempotency-Key, if any)",
            )
        }
    }

    pub fn into_response(self, request_id: &RequestId) -> Response<Bytes> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            error: Body<'a>,
        }
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "type")]
            error_type: ErrorType,
            code: &'a str,
            message: &'a str,
            request_id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            param: Option<&'a str>,
            #[serde(skip_serializing_if = "<[Issue]>::is_empty")]
            issues: &'a [Issue],
        }
        let body = serde_json::to_vec(&Envelope {
            error: Body {
                error_type: self.error_type,
                code: self.code,
                message: &self.message,
                request_id: request_id.as_str(),
                param: self.param.as_deref(),
                issues: &self.issues,
            },
        })
        .unwrap_or_default();
        let mut response = super::json_response(self.status, request_id, body);
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

// Every mapping from a domain error to its HTTP answer lives below, in this one file.

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        use StatusCode as S;
        match e {
            AuthError::MissingHeader => ApiError::new(
                S::UNAUTHORIZED,
                ErrorType::AuthenticationError,
                "missing_authorization_header",
                "send your API key as `Authorization: Bearer <api_key>`",
            ),
            AuthError::InvalidScheme => ApiError::new(
                S::UNAUTHORIZED,
                ErrorType::AuthenticationError,
                "invalid_authorization_scheme",
                "the Authorization header must use the Bearer scheme: `Authorization: Bearer <api_key>`",
            ),
            AuthError::InvalidKey => ApiError::new(
                S::UNAUTHORIZED,
                ErrorType::AuthenticationError,
                "invalid_api_key",
                "the API key is unknown or has been revoked",
            ),
            AuthError::Disabled => ApiError::new(
                S::FORBIDDEN,
                ErrorType::PermissionError,
                "api_key_disabled",
                "the API key is disabled; enable it or use another key",
            ),
            AuthError::RateLimited(limited) => ApiError {
                retry_after: Some(limited.retry_after),
                ..ApiError::new(
                    S::TOO_MANY_REQUESTS,
                    ErrorType::RateLimitError,
                    "rate_limit_exceeded",
                    format!(
                        "this API key has made {} requests in the last 60 seconds, its limit; retry after {} s",
                        limited.quota.limit, limited.retry_after
                    ),
                )
            },
            AuthError::Store(e) => e.into(),
        }
    }
}

impl From<PortError> for ApiError {
    fn from(e: PortError) -> Self {
        ApiError::unavailable(&e)
    }
}

impl From<IdempotencyError> for ApiError {
    fn from(e: IdempotencyError) -> Self {
        use StatusCode as S;
        match e {
            IdempotencyError::Mismatch => ApiError::new(
                S::CONFLICT,
                ErrorType::IdempotencyError,
                "idempotency_key_mismatch",
                "this Idempotency-Key was used with a different request body; use a new key for a new request",
            )
            .with_param(crate::idempotency::HEADER),
            IdempotencyError::InUse => ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    S::CONFLICT,
                    ErrorType::IdempotencyError,
                    "idempotency_key_in_use",
                    "a request with this Idempotency-Key is still being processed; retry after a moment",
                )
                .with_param(crate::idempotency::HEADER)
            },
            IdempotencyError::Store(e) => e.into(),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        use StatusCode as S;
        match e {
            SubmitError::BodyTooLarge { limit } => ApiError::body_too_large(limit),
            SubmitError::UnsupportedMediaType => ApiError::unsupported_media_type(),
            SubmitError::InvalidJson(detail) => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_json_body",
                format!("the body is not valid JSON: {detail}"),
            ),
            SubmitError::InvalidBody(issues) => ApiError::invalid("invalid_request_body", issues),
            SubmitError::InvalidIdempotencyKey => ApiError::invalid_idempotency_key(),
            SubmitError::BrandNotFound => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "brand_not_found",
                "brand_id does not name a brand of your organisation",
            )
            .with_param("brand_id"),
            SubmitError::Upload { param, refusal } => ApiError::upload_refused(param, &refusal),
            SubmitError::Idempotency(e) => e.into(),
            SubmitError::Dependency(e) => e.into(),
        }
    }
}

impl ApiError {
    /// A 400 naming the field whose upload cannot be used (`reference_images[2]`, `logo`),
    /// with the refusal's own code at the top (spec §11: `upload_not_found`).
    /// An upload whose bytes are no usable image is refused as an inline image is
    /// (`invalid_request_body`, the issue saying why).
    pub fn upload_refused(param: String, refusal: &UploadRefusal) -> Self {
        let message = format!("{param}: {refusal}");
        let code = match refusal {
            UploadRefusal::NotRaster | UploadRefusal::Image(..) => "invalid_request_body",
            _ => refusal.code(),
        };
        Self {
            issues: vec![Issue::new(param.clone(), refusal.code(), message.clone())],
            ..Self::new(
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                code,
                message,
            )
            .with_param(param)
        }
    }
}

impl From<ReceiveError> for ApiError {
    fn from(e: ReceiveError) -> Self {
        use StatusCode as S;
        let message = e.to_string();
        let (status, error_type, code, param) = match e {
            ReceiveError::Dependency(e) => return e.into(),
            ReceiveError::NotFound => (
                S::NOT_FOUND,
                ErrorType::NotFoundError,
                "upload_not_found",
                "id",
            ),
            // S3 answers an expired presigned URL with a 403 too.
            ReceiveError::Expired => (
                S::FORBIDDEN,
                ErrorType::PermissionError,
                "upload_url_expired",
                "id",
            ),
            ReceiveError::Used => (
                S::CONFLICT,
                ErrorType::InvalidRequestError,
                "upload_already_used",
                "id",
            ),
            ReceiveError::WrongType(_) => (
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "upload_type_mismatch",
                "Content-Type",
            ),
            ReceiveError::WrongLength { .. } => (
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "upload_size_mismatch",
                "body",
            ),
        };
        ApiError::new(status, error_type, code, message).with_param(param)
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::invalid(e.code, vec![e.issue])
    }
}

impl From<GetJobError> for ApiError {
    fn from(e: GetJobError) -> Self {
        use StatusCode as S;
        match e {
            GetJobError::InvalidJobId => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_job_id",
                "the job id must be a UUID",
            )
            .with_param("id"),
            GetJobError::NotFound => ApiError::new(
                S::NOT_FOUND,
                ErrorType::NotFoundError,
                "job_not_found",
                "no job with this id exists in your organisation",
            )
            .with_param("id"),
            GetJobError::Dependency(e) => e.into(),
        }
    }
}

impl From<BrandError> for ApiError {
    fn from(e: BrandError) -> Self {
        use StatusCode as S;
        match e {
            BrandError::InvalidJson(detail) => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_json_body",
                format!("the body is not valid JSON: {detail}"),
            ),
            BrandError::InvalidBody(issues) => ApiError::invalid("invalid_request_body", issues),
            BrandError::InvalidQuery(issues) => ApiError::invalid("invalid_query_param", issues),
            BrandError::InvalidBrandId => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_brand_id",
                "the brand id must be a UUID",
            )
            .with_param("id"),
            BrandError::NotFound => ApiError::new(
                S::NOT_FOUND,
                ErrorType::NotFoundError,
                "brand_not_found",
                "no brand with this id exists in your organisation",
            )
            .with_param("id"),
            BrandError::Logo { code, message } => ApiError::invalid(
                "invalid_request_body",
                vec![Issue::new("logo", code, message)],
            ),
            BrandError::Upload(refusal) => ApiError::upload_refused("logo".to_owned(), &refusal),
            BrandError::InvalidIdempotencyKey => ApiError::invalid_idempotency_key(),
            BrandError::Idempotency(e) => e.into(),
            BrandError::Dependency(e) => e.into(),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        use StatusCode as S;
        match e {
            WebhookError::InvalidJson(detail) => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_json_body",
                format!("the body is not valid JSON: {detail}"),
            ),
            WebhookError::InvalidBody(issues) => ApiError::invalid("invalid_request_body", issues),
            WebhookError::InvalidQuery(issues) => ApiError::invalid("invalid_query_param", issues),
            WebhookError::InvalidWebhookId => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_webhook_id",
                "the webhook id must be a UUID",
            )
            .with_param("id"),
            WebhookError::NotFound => ApiError::new(
                S::NOT_FOUND,
                ErrorType::NotFoundError,
                "webhook_not_found",
                "no webhook endpoint with this id exists in your organisation",
            )
            .with_param("id"),
            WebhookError::InvalidDeliveryId => ApiError::new(
                S::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_delivery_id",
                "the delivery id must be a UUID",
            )
            .with_param("delivery_id"),
            WebhookError::DeliveryNotFound => ApiError::new(
                S::NOT_FOUND,
                ErrorType::NotFoundError,
                "delivery_not_found",
                "no delivery with this id exists for this webhook endpoint",
            )
            .with_param("delivery_id"),
            WebhookError::LimitReached => ApiError::new(
                S::CONFLICT,
                ErrorType::InvalidRequestError,
                "webhook_limit_reached",
                format!(
                    "an organisation may register at most {MAX_ENDPOINTS_PER_ORG} webhook endpoints; delete one first"
                ),
            ),
            WebhookError::Random(cause) => ApiError::internal(&cause),
            WebhookError::Dependency(e) => e.into(),
        }
    }
}
