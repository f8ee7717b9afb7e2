//! Cross-origin access (CORS), off unless an operator lists the browser origins allowed to
//! call the API. Why off: the API is called with secret keys, which belong on servers; a
//! deployment that does serve a browser client names its origins explicitly. On AWS, API
//! Gateway answers CORS from the SAM parameter `CorsAllowOrigins`; `adgen serve
//! --cors-allow-origin` applies the same rules through [`Cors`].

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use super::{HttpRequest, HttpResponse};

/// The request headers a browser may send (everything the contract reads).
pub const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key";
/// The methods of the API's routes (PUT: `adgen serve`'s own upload target, spec §11).
pub const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// The response headers a browser script may read.
pub const EXPOSE_HEADERS: &str = "x-request-id, location, retry-after, x-idempotency-replayed, \
                                  x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset";
/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE_SECONDS: u32 = 600;

/// The allowed origins: exact `scheme://host[:port]` values, or every origin (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
}

impl Cors {
    /// `origin` values as given (`*` alone, or origins such as `https://app.example.com`);
    /// an invalid one is named in the error.
    pub fn new<'a>(origins: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut cors = Cors {
            any: false,
            origins: Vec::new(),
        };
        for origin in origins.into_iter().map(str::trim).filter(|o| !o.is_empty()) {
            if origin == "*" {
                cors.any = true;
                continue;
            }
            let parsed = url::Url::parse(origin).map_err(|e| format!("{origin:?}: {e}"))?;
            let canonical = parsed.origin().ascii_serialization();
            if !matches!(parsed.scheme(), "http" | "https")
                || canonical != origin.to_ascii_lowercase()
            {
                return Err(format!(
                    "{origin:?} is not an origin (scheme://host[:port], no path): try {canonical:?}"
                ));
            }
            cors.origins.push(canonical);
        }
        Ok(cors)
    }

    fn allows(&self, origin: &str) -> bool {
        self.any || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// The answer to a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
    /// from an allowed origin; `None` for any other request (it is routed as usual).
    pub fn preflight(&self, request: &HttpRequest) -> Option<HttpResponse> {
        if request.method() != Method::OPTIONS
            || !request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return None;
        }
        let origin = allowed_origin(self, request.headers())?;
        let mut response = HttpResponse::new(bytes::Bytes::new());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from(MAX_AGE_SECONDS),
        );
        headers.insert(header::VARY, HeaderValue::from_static("origin"));
        Some(response)
    }

    /// Marks an answer readable by the request's origin, when it is allowed.
    pub fn apply(&self, request_headers: &HeaderMap, response: &mut HttpResponse) {
        let Some(origin) = allowed_origin(self, request_headers) else {
            return;
        };
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
}

/// The `Access-Control-Allow-Origin` value for the request's `Origin`, if it is allowed.
fn allowed_origin(cors: &Cors, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    if !cors.allows(text) {
        return None;
    }
    Some(if cors.any {
        HeaderValue::from_static("*")
    } else {
        origin.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, origin: Option<&str>, preflight: bool) -> HttpRequest {
        let mut builder = http::Request::builder()
            .method(method)
            .uri("/api/v1/brands");
        if let Some(origin) = origin {
            builder = builder.header("origin", origin);
        }
        if preflight {
            builder = builder.header("access-control-request-method", "POST");
        }
        builder.body(bytes::Bytes::new()).expect("request")
    }

    #[test]
    fn origins_are_validated() {
        assert!(Cors::new(["https://app.example.com", "http://localhost:3000"]).is_ok());
        for bad in [
            "app.example.com",
            "https://app.example.com/path",
            "ftp://x.example",
        ] {
            assert!(Cors::new([bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_listed_origins_get_cors_headers() {
        let cors = Cors::new(["https://app.example.com"]).expect("valid");
        let ok = cors
            .preflight(&req("OPTIONS", Some("https://app.example.com"), true))
            .expect("preflight answered");
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert!(
            ok.headers()["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("idempotency-key")
        );
        assert!(
            cors.preflight(&req("OPTIONS", Some("https://evil.example"), true))
                .is_none()
        );
        assert!(cors.preflight(&req("OPTIONS", None, true)).is_none());
        assert!(
            cors.preflight(&req("GET", Some("https://app.example.com"), true))
                .is_none()
        );

        let mut response = HttpResponse::new(bytes::Bytes::new());
        cors.apply(
            req("GET", Some("https://evil.example"), false).headers(),
            &mut response,
        );
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        cors.apply(
            req("GET", Some("https://app.example.com"), false).headers(),
            &mut response,
        );
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert!(
            response.headers()["access-control-expose-headers"]
                .to_str()
                .unwrap()
                .contains("x-ratelimit-reset")
        );
    }

    #[test]
    fn any_origin_answers_star() {
        let cors = Cors::new(["*"]).expect("valid");
        let ok = cors
            .preflight(&req("OPTIONS", Some("https://x.example"), true))
            .expect("answered");
        assert_eq!(ok.headers()["access-control-allow-origin"], "*");
    }
}
