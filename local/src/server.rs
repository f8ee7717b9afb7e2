//! A small HTTP/1.1 server (hyper) in front of the domain's `Api`: bounded body reads,
//! header and body timeouts, CORS when origins are configured (`http::cors`). Ctrl-C stops it at once (requests in flight are cut); nothing is
//! lost, since jobs and queue messages are in SQLite and an interrupted job's lease expires
//! and its message returns on the next start.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use adgen::contract::RequestId;
use adgen::contract::reference::MAX_IMAGE_BYTES;
use adgen::contract::upload::RECEIVE_PREFIX;
use adgen::http::cors::Cors;
use adgen::http::{Api, ApiError, HttpResponse};
use adgen_embedded::{FolderBlobs, ServedFiles};

use crate::files;
use anyhow::Result;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(
    listener: TcpListener,
    api: Arc<Api>,
    files: Arc<FolderBlobs>,
    max_body_bytes: usize,
    cors: Option<Arc<Cors>>,
) -> Result<()> {
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                return Ok(());
            }
        };
        let (api, files, cors) = (api.clone(), files.clone(), cors.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let (api, files, cors) = (api.clone(), files.clone(), cors.clone());
                async move {
                    let response = match request.uri().path().strip_prefix(ServedFiles::ROUTE) {
                        Some(key) => {
                            files::serve(&files, request.method(), request.headers(), key).await
                        }
                        None => handle(&api, request, max_body_bytes, cors.as_deref()).await,
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

async fn handle(
    api: &Api,
    request: hyper::Request<Incoming>,
    max_body_bytes: usize,
    cors: Option<&Cors>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let request_headers = parts.headers.clone();
    if let Some(cors) = cors {
        let probe = http::Request::from_parts(parts.clone(), Bytes::new());
        if let Some(answer) = cors.preflight(&probe) {
            return answer.map(Full::new);
        }
    }
    // Read at most one byte past the limit: enough for the API to answer 413, never more. An
    // upload's PUT may carry a whole image (spec §11); the API then holds it to its declared
    // length.
    let limit = if parts.method == http::Method::PUT && parts.uri.path().starts_with(RECEIVE_PREFIX)
    {
        max_body_bytes.max(MAX_IMAGE_BYTES)
    } else {
        max_body_bytes
    };
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, read_bounded(body, limit + 1)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "request body not read");
            Bytes::new()
        }
        Err(_) => {
            let request_id = RequestId::new();
            tracing::info!(%request_id, "request body timed out");
            return ApiError::request_timeout()
                .into_response(&request_id)
                .map(Full::new);
        }
    };
    let mut response: HttpResponse = api.handle(http::Request::from_parts(parts, bytes)).await;
    if let Some(cors) = cors {
        cors.apply(&request_headers, &mut response);
    }
    response.map(Full::new)
}

async fn read_bounded(mut body: Incoming, cap: usize) -> Result<Bytes, hyper::Error> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let room = cap.saturating_sub(buf.len());
            buf.extend_from_slice(&data[..data.len().min(room)]);
            if buf.len() >= cap {
                break;
            }
        }
    }
    Ok(buf.freeze())
}
