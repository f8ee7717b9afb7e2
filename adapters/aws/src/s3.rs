//! Images on S3: staged reference images and generated results.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use super::unavailable;
use adgen::ports::{Blob, BlobStore, ImageLinks, PortError};

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
fn is_missing_key(err: &SdkError<GetObjectError, HttpResponse>) -> bool {
    let SdkError::ServiceError(ctx) = err else {
        return false;
    };
    match ctx.err() {
        GetObjectError::NoSuchKey(_) => true,
        other => ctx.raw().status().as_u16() == 404 && other.code() != Some("NoSuchBucket"),
    }
}
