//! `GET /files/<key>`: result images and brand logos served by `adgen serve` (what a
//! presigned S3 URL is on AWS). Only finished ads and prepared logos are served; keys that
//! could leave the data folder are refused.

use adgen::contract::RequestId;
use adgen::contract::output::ImageFormat;
use adgen::digest::sha256_hex;
use adgen::http::{ApiError, ErrorType};
use adgen::ports::BlobStore;
use adgen_embedded::FolderBlobs;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::Full;

/// Only result images and brand logos are public; staged references are not.
const SERVED_PREFIX: &str = "ads/";
const LOGO_PREFIX: &str = "brands/";
const LOGO_NAME: &str = "/logo.png";

/// A result image's key (under `ads/` and named like one) or a prepared logo's
/// (`brands/<org>/<brand>/logo.png`) — never a blob's sidecar file or a write in progress.
fn is_public_image(key: &str) -> bool {
    let result = key.starts_with(SERVED_PREFIX)
        && ImageFormat::ALL
            .iter()
            .any(|f| key.ends_with(&format!(".{}", f.extension())));
    let logo =
        key.starts_with(LOGO_PREFIX) && key.ends_with(LOGO_NAME) && key.matches('/').count() == 3;
    result || logo
}

pub async fn serve(
    files: &FolderBlobs,
    method: &Method,
    headers: &HeaderMap,
    key: &str,
) -> hyper::Response<Full<Bytes>> {
    let request_id = RequestId::new();
    let refuse = |e: ApiError| e.into_response(&request_id).map(Full::new);
    if method != Method::GET && method != Method::HEAD {
        return refuse(ApiError::method_not_allowed("GET, HEAD"));
    }
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorType::NotFoundError,
            "image_not_found",
            "no image at this address",
        )
    };
    if !is_public_image(key) || files.path_of(key).is_none() {
        return refuse(not_found());
    }
    let blob = match files.get(key).await {
        Ok(Some(blob)) => blob,
        Ok(None) => return refuse(not_found()),
        Err(e) => return refuse(ApiError::unavailable(&e)),
    };
    let etag = format!("\"{}\"", &sha256_hex(&blob.bytes)[..32]);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else if method == Method::HEAD {
        (StatusCode::OK, Bytes::new())
    } else {
        (StatusCode::OK, blob.bytes.clone())
    };
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&blob.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.bytes.len()));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // A job's image never changes once written (a re-run writes the same job's same result).
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}
