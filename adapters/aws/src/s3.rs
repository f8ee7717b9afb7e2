//! Images on S3: staged reference images, generated results and uploads (presigned PUTs).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use super::unavailable;
use adgen::ports::{Blob, BlobStore, ImageLinks, PortError, UploadTarget};
use adgen::uploads::{URL_LIFETIME_SECONDS, Upload};

/// Served when an object carries no `Content-Type` (never the case for objects we wrote).
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Blobs {
    pub fn new(client: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { client, bucket }
    }

    /// A URL that fetches `key` until `expires_in` has passed. Signed with the current
    /// credentials: under a Lambda role those are temporary, so mint one per read and keep
    /// `expires_in` shorter than the session.
    pub async fn presign_get(&self, key: &str, expires_in: Duration) -> Result<String, PortError> {
        let config = PresigningConfig::expires_in(expires_in).map_err(|e| unavailable("s3", e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| unavailable("s3", e))?;
        Ok(request.uri().to_owned())
    }
}

/// Upload targets: a presigned PUT of the upload's object key, signed over its
/// `Content-Type` and `Content-Length` (S3 refuses a PUT whose headers differ), valid from the
/// upload's creation for its URL lifetime.
#[derive(Debug, Clone)]
pub struct S3UploadTarget {
    blobs: S3Blobs,
}

impl S3UploadTarget {
    pub fn new(blobs: S3Blobs) -> Self {
        Self { blobs }
    }
}

#[async_trait]
impl UploadTarget for S3UploadTarget {
    async fn put_url(&self, upload: &Upload) -> Result<String, PortError> {
        let start = std::time::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(upload.created_at).unwrap_or(0));
        let lifetime = Duration::from_secs(URL_LIFETIME_SECONDS as u64);
        let config = PresigningConfig::builder()
            .start_time(start)
            .expires_in(lifetime)
            .build()
            .map_err(|e| unavailable("s3", e))?;
        let request = self
            .blobs
            .client
            .put_object()
            .bucket(&self.blobs.bucket)
            .key(upload.object_key())
            .content_type(upload.content_type.content_type())
            .content_length(upload.size_bytes as i64)
            .presigned(config)
            .await
            .map_err(|e| unavailable("s3", e))?;
        Ok(request.uri().to_owned())
    }
}

/// Result image URLs: under a configured public (CDN) base URL, or presigned per read.
#[derive(Debug, Clone)]
pub struct S3Links {
    blobs: S3Blobs,
    expires_in: Duration,
    public_base_url: Option<String>,
}

impl S3Links {
    pub fn new(blobs: S3Blobs, expires_in: Duration, public_base_url: Option<String>) -> Self {
        let public_base_url = public_base_url.map(|b| b.trim_end_matches('/').to_owned());
        Self {
            blobs,
            expires_in,
            public_base_url,
        }
    }
}

#[async_trait]
impl ImageLinks for S3Links {
    async fn url(&self, key: &str) -> Result<String, PortError> {
        match &self.public_base_url {
            Some(base) => Ok(format!("{base}/{key}")),
            None => self.blobs.presign_get(key, self.expires_in).await,
        }
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| unavailable("s3", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, PortError> {
        let sent = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            Err(err) if is_missing_key(&err) => return Ok(None),
            Err(err) => return Err(unavailable("s3", err)),
        };
        let content_type = output
            .content_type()
            .unwrap_or(DEFAULT_CONTENT_TYPE)
            .to_owned();
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| unavailable("s3", e))?
            .into_bytes();
        Ok(Some(Blob {
            bytes,
            content_type,
        }))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, PortError> {
        let sent = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match sent {
            Ok(output) => Ok(Some(
                output
                    .content_length()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0),
            )),
            // HEAD has no body: a missing key is a bare 404 (`NotFound`).
            Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 404 => Ok(None),
            Err(err) => Err(unavailable("s3", err)),
        }
    }

    async fn read_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>, PortError> {
        if len == 0 {
            return Ok(self.size(key).await?.map(|_| Bytes::new()));
        }
        let sent = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", len - 1))
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            Err(err) if is_missing_key(&err) => return Ok(None),
            // An empty object has no byte 0: 416 for any range.
            Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 416 => {
                return Ok(Some(Bytes::new()));
            }
            Err(err) => return Err(unavailable("s3", err)),
        };
        let mut bytes = output
            .body
            .collect()
            .await
            .map_err(|e| unavailable("s3", e))?
            .into_bytes();
        // A server that ignores Range sends the whole object; keep the prefix only.
        bytes.truncate(len);
        Ok(Some(bytes))
    }

    async fn copy(&self, from: &str, to: &str) -> Result<bool, PortError> {
        // Our keys are path-safe (ids, `/`, `-`, `_`): no escaping needed in the source.
        let sent = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{from}", self.bucket))
            .key(to)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(err) if is_missing_key(&err) => Ok(false),
            Err(err) => Err(unavailable("s3", err)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        // S3 answers 204 for a missing key too.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| unavailable("s3", e))?;
        Ok(())
    }
}

/// `NoSuchKey`, or a 404 the SDK could not type (some S3-compatible servers send one without
/// the usual error body). A missing bucket is also a 404, but a misconfiguration: not "absent".
/// A missing object (`NoSuchKey`, or a 404 that is not a missing bucket: a missing bucket is
/// a misconfiguration, never "absent").
fn is_missing_key<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    let SdkError::ServiceError(ctx) = err else {
        return false;
    };
    let code = ctx.err().code();
    code == Some("NoSuchKey")
        || (ctx.raw().status().as_u16() == 404 && code != Some("NoSuchBucket"))
}
