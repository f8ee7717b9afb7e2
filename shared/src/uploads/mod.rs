//! An upload's record and its rules (spec §11): who owns it, what it was declared to hold,
//! whether it was used, and whether what arrived is what was declared.
//!
//! The record is written when the upload is created and changed once, when a submission uses
//! it (a conditional write, so two submissions racing for one upload cannot both have it).
//! The bytes live in the blob store at [`Upload::object_key`], put there by the client (a
//! presigned S3 PUT, or `adgen serve`'s own route); "complete" means that object exists. A
//! submission judges the object from its size and its first [`HEADER_PROBE_BYTES`] (magic
//! bytes and header dimensions), never the whole image, then copies it to the job's staging
//! key, so the worker reads it like an inline reference.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixSeconds;
use crate::contract::brand::{MAX_SVG_BYTES, looks_like_svg};
use crate::contract::reference::{ImageKind, MAX_IMAGE_BYTES, read_header};
use crate::contract::upload::{UploadId, UploadType};

/// How long `upload_url` takes the bytes.
pub const URL_LIFETIME_SECONDS: i64 = 15 * 60;
/// How long an unused upload can be named (the record's TTL; the bucket's lifecycle rule on
/// [`KEY_PREFIX`] removes the object a day later at the latest).
pub const LIFETIME_SECONDS: i64 = 24 * 60 * 60;
pub const KEY_PREFIX: &str = "uploads/";
/// What a submission reads of an upload: enough for a JPEG's header behind large EXIF/ICC
/// segments (each at most 64 KiB), a PNG's IHDR or a WebP's VP8 header.
pub const HEADER_PROBE_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UploadState {
    Pending,
    /// Used by the job or brand `by`; a retried submission of that same job may use it again.
    Used {
        by: Uuid,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: UploadId,
    pub org_id: Uuid,
    pub content_type: UploadType,
    pub size_bytes: u64,
    pub created_at: UnixSeconds,
    pub state: UploadState,
}

impl Upload {
    pub fn new(
        id: UploadId,
        org_id: Uuid,
        content_type: UploadType,
        size_bytes: u64,
        now: UnixSeconds,
    ) -> Self {
        Self {
            id,
            org_id,
            content_type,
            size_bytes,
            created_at: now,
            state: UploadState::Pending,
        }
    }

    /// Where the client's bytes land: organisation first, so an IAM or lifecycle rule can
    /// scope by prefix.
    pub fn object_key(&self) -> String {
        object_key(self.org_id, self.id)
    }

    pub fn url_expires_at(&self) -> UnixSeconds {
        self.created_at + URL_LIFETIME_SECONDS
    }

    pub fn expires_at(&self) -> UnixSeconds {
        self.created_at + LIFETIME_SECONDS
    }
}

/// Where upload `id` of `org_id` keeps its bytes.
pub fn object_key(org_id: Uuid, id: UploadId) -> String {
    format!("{KEY_PREFIX}{org_id}/{id}")
}

/// What the upload is used as: what it may hold differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Reference,
    Logo,
}

/// Why an upload cannot be used; `code()` is the error code of the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefusal {
    #[error("no upload with this id exists in your organisation")]
    NotFound,
    #[error("the upload has expired (uploads can be used for 24 hours)")]
    Expired,
    #[error("nothing was uploaded yet: PUT the bytes to upload_url first")]
    Unfinished,
    #[error("the upload was already used; create a new one for each use")]
    Used,
    #[error("{0} bytes arrived, but the upload was created for {1}")]
    SizeMismatch(u64, u64),
    #[error("the uploaded bytes are {found}, but the upload was created for {declared}")]
    TypeMismatch {
        declared: &'static str,
        found: &'static str,
    },
    #[error("SVG is accepted as a logo only; reference images must be JPEG, PNG or WebP")]
    NotRaster,
    #[error("{0}")]
    Image(String, &'static str),
}

impl UploadRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound | Self::Expired | Self::Unfinished => "upload_not_found",
            Self::Used => "upload_already_used",
            Self::SizeMismatch(..) => "upload_size_mismatch",
            Self::TypeMismatch { .. } => "upload_type_mismatch",
            Self::NotRaster => "unsupported_format",
            Self::Image(_, code) => code,
        }
    }
}

/// The record as a submission of `org_id` (for the job or brand `consumer`) may use it.
/// `Ok(true)` when `consumer` used it already (a retried submission: the staging copy exists,
/// nothing more to check); another organisation's upload is "not found", never "forbidden".
pub fn check_record(
    record: Option<&Upload>,
    org_id: Uuid,
    consumer: Uuid,
    now: UnixSeconds,
) -> Result<bool, UploadRefusal> {
    let upload = record
        .filter(|u| u.org_id == org_id)
        .ok_or(UploadRefusal::NotFound)?;
    match upload.state {
        UploadState::Used { by } if by == consumer => Ok(true),
        UploadState::Used { .. } => Err(UploadRefusal::Used),
        UploadState::Pending if now >= upload.expires_at() => Err(UploadRefusal::Expired),
        UploadState::Pending => Ok(false),
    }
}

/// Judges the stored object from its size (`None`: nothing arrived) and its first bytes.
pub fn check_object(
    upload: &Upload,
    stored_size: Option<u64>,
    head: &[u8],
    purpose: Use,
) -> Result<(), UploadRefusal> {
    let size = stored_size.ok_or(UploadRefusal::Unfinished)?;
    if size != upload.size_bytes || size > MAX_IMAGE_BYTES as u64 {
        return Err(UploadRefusal::SizeMismatch(size, upload.size_bytes));
    }
    let declared = upload.content_type.content_type();
    let found = match ImageKind::sniff(head) {
        Some(kind) => Some(kind.content_type()),
        None if looks_like_svg(head) => Some(UploadType::Svg.content_type()),
        None => None,
    };
    match found {
        Some(found) if found != declared => {
            return Err(UploadRefusal::TypeMismatch { declared, found });
        }
        None => {
            return Err(UploadRefusal::TypeMismatch {
                declared,
                found: "not an image of a supported format",
            });
        }
        Some(_) => {}
    }
    match upload.content_type {
        UploadType::Svg if purpose == Use::Reference => Err(UploadRefusal::NotRaster),
        UploadType::Svg if size > MAX_SVG_BYTES as u64 => Err(UploadRefusal::Image(
            format!("SVG logos must be at most {MAX_SVG_BYTES} bytes"),
            "too_large",
        )),
        UploadType::Svg => Ok(()),
        _ => read_header(head).map(|_| ()).map_err(|(code, message)| {
            UploadRefusal::Image(format!("the uploaded image: {message}"), code)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adgen_testkit::images;

    const NOW: UnixSeconds = 1_800_000_000;

    fn upload(content_type: UploadType, size: u64) -> Upload {
        Upload::new(UploadId::new(), Uuid::from_u128(1), content_type, size, NOW)
    }

    #[test]
    fn records_are_for_their_organisation_once() {
        let org = Uuid::from_u128(1);
        let job = Uuid::from_u128(9);
        let mut u = upload(UploadType::Png, 10);
        assert_eq!(check_record(Some(&u), org, job, NOW), Ok(false));
        assert_eq!(
            check_record(None, org, job, NOW),
            Err(UploadRefusal::NotFound)
        );
        assert_eq!(
            check_record(Some(&u), Uuid::from_u128(2), job, NOW),
            Err(UploadRefusal::NotFound)
        );
        assert_eq!(
            check_record(Some(&u), org, job, NOW + LIFETIME_SECONDS),
            Err(UploadRefusal::Expired)
        );
        u.state = UploadState::Used { by: job };
        assert_eq!(check_record(Some(&u), org, job, NOW), Ok(true));
        assert_eq!(
            check_record(Some(&u), org, Uuid::from_u128(10), NOW),
            Err(UploadRefusal::Used)
        );
        assert_eq!(UploadRefusal::Expired.code(), "upload_not_found");
        assert_eq!(UploadRefusal::Unfinished.code(), "upload_not_found");
    }

    #[test]
    fn objects_must_be_what_was_declared() {
        let png = images::png(40, 30);
        let n = png.len() as u64;
        let u = upload(UploadType::Png, n);
        assert_eq!(check_object(&u, Some(n), &png, Use::Reference), Ok(()));
        assert_eq!(
            check_object(&u, None, &[], Use::Reference),
            Err(UploadRefusal::Unfinished)
        );
        assert_eq!(
            check_object(&u, Some(n + 1), &png, Use::Reference),
            Err(UploadRefusal::SizeMismatch(n + 1, n))
        );
        let jpeg_declared = upload(UploadType::Jpeg, n);
        assert_eq!(
            check_object(&jpeg_declared, Some(n), &png, Use::Reference).map_err(|e| e.code()),
            Err("upload_type_mismatch")
        );
        assert_eq!(
            check_object(&u, Some(n), b"GIF89a....", Use::Reference).map_err(|e| e.code()),
            Err("upload_type_mismatch")
        );
        // A header that cannot be read (truncated after the signature).
        assert_eq!(
            check_object(&u, Some(n), &png[..12], Use::Reference).map_err(|e| e.code()),
            Err("invalid_image")
        );
    }

    #[test]
    fn svg_is_for_logos() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
        let u = upload(UploadType::Svg, svg.len() as u64);
        let size = Some(svg.len() as u64);
        assert_eq!(check_object(&u, size, svg, Use::Logo), Ok(()));
        assert_eq!(
            check_object(&u, size, svg, Use::Reference),
            Err(UploadRefusal::NotRaster)
        );
    }
}
