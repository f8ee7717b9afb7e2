//! Submission-time checks of one `reference_images` entry (spec §3): an `https://` URL, a
//! data URL, raw base64 or an upload's `upload://` reference (§11). Inline bytes are decoded
//! and judged by content; only the image header is read here (pixels are decoded by the
//! worker, under its own limits).

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use serde::Serialize;
use url::{Host, Url};

use super::upload::UploadId;
use crate::net::is_public_unicast;

pub const MAX_IMAGE_BYTES: usize = 15 * 1024 * 1024;
pub const MAX_SIDE: u64 = 12_000;
pub const MAX_PIXELS: u64 = 40_000_000;
pub const MAX_URL_LEN: usize = 2048;

const DATA_URL_TYPES: &[&str] = &["image/png", "image/jpeg", "image/webp"];

/// Image container formats accepted for references, identified by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
        }
    }
}

/// An inline image that passed every submission check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    pub bytes: Bytes,
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceImage {
    Url(String),
    Inline(InlineImage),
    /// `upload://upl_<uuid>` (spec §11): checked against its record and object at submission.
    Upload(UploadId),
}

/// Why an entry was refused: an issue code and a message for the client.
pub type Refusal = (&'static str, String);

pub fn parse_reference(text: &str, allow_loopback: bool) -> Result<ReferenceImage, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err((
            "empty",
            "must be an https:// URL, a data URL or base64 image bytes, not empty".into(),
        ));
    }
    if let Some(rest) = strip_prefix_ignore_case(text, "data:") {
        return parse_data_url(rest).map(ReferenceImage::Inline);
    }
    if let Some(upload) = UploadId::from_reference(text) {
        return upload.map(ReferenceImage::Upload);
    }
    if looks_like_url(text) {
        return check_url(text, allow_loopback).map(ReferenceImage::Url);
    }
    decode_inline(text).map(ReferenceImage::Inline)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `scheme://…` (base64 never contains `:`).
fn looks_like_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Whether `url` names one of the hosts `adgen serve --allow-loopback-urls` lets through
/// (spec §8): `127.0.0.1`, `localhost` or `[::1]`, over http or https.
pub fn is_local_dev_url(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && match url.host() {
            Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
            Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
            None => false,
        }
}

/// An https URL of a public host (spec §6), as a request handler can judge it without a DNS
/// lookup (the fetcher checks resolved addresses again); with `allow_loopback`, also the
/// local hosts of [`is_local_dev_url`].
pub fn check_url(text: &str, allow_loopback: bool) -> Result<String, Refusal> {
    if text.len() > MAX_URL_LEN {
        return Err((
            "invalid_url",
            format!("URLs must be at most {MAX_URL_LEN} characters"),
        ));
    }
    let url =
        Url::parse(text).map_err(|e| ("invalid_url", format!("is not a well-formed URL ({e})")))?;
    if allow_loopback && is_local_dev_url(&url) && url.username().is_empty() {
        return Ok(url.into());
    }
    if url.scheme() != "https" {
        return Err((
            "unsupported_scheme",
            format!("URLs must use https://, not {}://", url.scheme()),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err((
            "invalid_url",
            "URLs must not carry user names or passwords".into(),
        ));
    }
    let blocked = match url.host() {
        None => return Err(("invalid_url", "URLs must name a host".into())),
        Some(Host::Domain(_)) => false,
        Some(Host::Ipv4(ip)) => !is_public_unicast(ip.into()),
        Some(Host::Ipv6(ip)) => !is_public_unicast(ip.into()),
    };
    if blocked {
        return Err((
            "blocked_address",
            "URLs must point to a public address, not a private, loopback, link-local or reserved one".into(),
        ));
    }
    Ok(url.into())
}

/// A data URL's parts (after `data:`): its media type, whether it says `;base64`, its payload.
pub(super) struct DataUrl<'a> {
    pub mime: String,
    pub base64: bool,
    pub payload: &'a str,
}

pub(super) fn split_data_url(rest: &str) -> Result<DataUrl<'_>, Refusal> {
    let Some((meta, payload)) = rest.split_once(',') else {
        return Err((
            "invalid_data_url",
            "data URLs must look like data:image/png;base64,<data>".into(),
        ));
    };
    let mut parts = meta.split(';');
    let mime = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let base64 = parts.any(|p| p.trim().eq_ignore_ascii_case("base64"));
    Ok(DataUrl {
        mime,
        base64,
        payload,
    })
}

pub(super) fn not_base64() -> Refusal {
    (
        "invalid_data_url",
        "data URLs must be base64-encoded (;base64,)".into(),
    )
}

fn parse_data_url(rest: &str) -> Result<InlineImage, Refusal> {
    let DataUrl {
        mime,
        base64,
        payload,
    } = split_data_url(rest)?;
    if !DATA_URL_TYPES.contains(&mime.as_str()) {
        return Err((
            "unsupported_format",
            format!("data URLs must declare image/png, image/jpeg or image/webp, not {mime:?}"),
        ));
    }
    if !base64 {
        return Err(not_base64());
    }
    decode_inline(payload)
}

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

fn decode_inline(encoded: &str) -> Result<InlineImage, Refusal> {
    check_raster(decode_base64(encoded, MAX_IMAGE_BYTES)?)
}

/// Decodes standard or URL-safe base64 (whitespace, padding and trailing bits tolerated),
/// refusing before any work what would decode to more than `max` bytes.
pub(super) fn decode_base64(encoded: &str, max: usize) -> Result<Vec<u8>, Refusal> {
    // Bound the work before decoding: 4 base64 characters carry 3 bytes.
    let significant = encoded.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    if significant / 4 * 3 > max + 3 {
        return Err(too_large_for(max));
    }
    let compact: std::borrow::Cow<str> = if encoded.len() == significant {
        encoded.into()
    } else {
        encoded
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<String>()
            .into()
    };
    let bytes = STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| URL_SAFE.decode(compact.as_bytes()))
        .map_err(|_| {
            (
                "invalid_base64",
                "is neither an https:// URL, a data URL nor valid base64".to_owned(),
            )
        })?;
    if bytes.len() > max {
        return Err(too_large_for(max));
    }
    Ok(bytes)
}

/// The submission checks of raster bytes: a PNG, JPEG or WebP by content, whose header gives
/// dimensions within the limits.
pub(super) fn check_raster(bytes: Vec<u8>) -> Result<InlineImage, Refusal> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(too_large());
    }
    let (kind, width, height) = read_header(&bytes)?;
    Ok(InlineImage {
        bytes: bytes.into(),
        kind,
        width,
        height,
    })
}

/// A raster image's format and dimensions from its first bytes (the whole image, or enough of
/// its start to hold the header), within the decoding limits.
pub fn read_header(bytes: &[u8]) -> Result<(ImageKind, u32, u32), Refusal> {
    let kind = ImageKind::sniff(bytes).ok_or((
        "unsupported_format",
        "the bytes are not a JPEG, PNG or WebP image".to_owned(),
    ))?;
    let size = imagesize::blob_size(bytes).map_err(|_| {
        (
            "invalid_image",
            "the image header could not be read".to_owned(),
        )
    })?;
    let (width, height) = (size.width as u64, size.height as u64);
    if width == 0 || height == 0 {
        return Err(("invalid_image", "the image has no pixels".into()));
    }
    if width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS {
        return Err((
            "dimensions_too_large",
            format!(
                "the image is {width}x{height}; at most {MAX_SIDE} px a side and 40 megapixels are allowed"
            ),
        ));
    }
    Ok((kind, width as u32, height as u32))
}

fn too_large_for(max: usize) -> Refusal {
    if max == MAX_IMAGE_BYTES {
        return too_large();
    }
    (
        "too_large",
        format!("decoded images must be at most {max} bytes"),
    )
}

fn too_large() -> Refusal {
    (
        "too_large",
        format!(
            "decoded images must be at most {MAX_IMAGE_BYTES} bytes (15 MB); send larger images by https URL"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use adgen_testkit::b64;
    use adgen_testkit::images as samples;

    fn refusal(text: &str) -> &'static str {
        parse_reference(text, false).expect_err("must be refused").0
    }

    #[test]
    fn png_by_raw_base64_and_data_url() {
        let png = samples::png(3, 2);
        for text in [b64(&png), format!("data:image/png;base64,{}", b64(&png))] {
            match parse_reference(&text, false) {
                Ok(ReferenceImage::Inline(img)) => {
                    assert_eq!((img.kind, img.width, img.height), (ImageKind::Png, 3, 2));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn content_decides_not_the_declared_type() {
        let png = samples::png(2, 2);
        let text = format!("data:image/jpeg;base64,{}", b64(&png));
        assert!(matches!(
            parse_reference(&text, false),
            Ok(ReferenceImage::Inline(InlineImage {
                kind: ImageKind::Png,
                ..
            }))
        ));
        assert_eq!(
            refusal(&format!("data:image/gif;base64,{}", b64(&png))),
            "unsupported_format"
        );
        assert_eq!(
            refusal(&b64(b"GIF89a not an allowed image")),
            "unsupported_format"
        );
        assert_eq!(refusal("data:image/png,notbase64"), "invalid_data_url");
    }

    #[test]
    fn base64_with_line_breaks_padding_free_and_url_safe_alphabets() {
        let png = samples::png(5, 5);
        let wrapped: String = b64(&png)
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
            .collect();
        assert!(parse_reference(&wrapped, false).is_ok());
        let unpadded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&png);
        assert!(parse_reference(&unpadded, false).is_ok());
        assert_eq!(refusal("@@not base64@@"), "invalid_base64");
        assert_eq!(refusal("   "), "empty");
    }

    #[test]
    fn header_dimensions_are_bounded() {
        assert_eq!(
            refusal(&b64(&samples::jpeg_header(12_001, 10))),
            "dimensions_too_large"
        );
        assert_eq!(
            refusal(&b64(&samples::jpeg_header(10, 12_001))),
            "dimensions_too_large"
        );
        // 8000 × 5001 = 40,008,000 px: each side fits, the area does not.
        assert_eq!(
            refusal(&b64(&samples::jpeg_header(8000, 5001))),
            "dimensions_too_large"
        );
        assert!(parse_reference(&b64(&samples::jpeg_header(8000, 5000)), false).is_ok());
        assert!(parse_reference(&b64(&samples::jpeg_header(12_000, 3000)), false).is_ok());
        assert_eq!(
            refusal(&b64(&[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'])),
            "invalid_image"
        );
    }

    #[test]
    fn decoded_size_is_bounded_at_15_mib() {
        let mut big = samples::jpeg_header(100, 100);
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(refusal(&b64(&big)), "too_large");
        big.truncate(MAX_IMAGE_BYTES);
        assert!(parse_reference(&b64(&big), false).is_ok());
    }

    #[test]
    fn urls_must_be_https_public_and_well_formed() {
        assert!(matches!(
            parse_reference("https://cdn.example.com/a.png?x=1", false),
            Ok(ReferenceImage::Url(u)) if u == "https://cdn.example.com/a.png?x=1"
        ));
        assert!(parse_reference("https://8.8.8.8/a.png", false).is_ok());
        assert_eq!(
            refusal("http://cdn.example.com/a.png"),
            "unsupported_scheme"
        );
        assert_eq!(refusal("ftp://cdn.example.com/a.png"), "unsupported_scheme");
        assert_eq!(
            refusal("https://user:pw@cdn.example.com/a.png"),
            "invalid_url"
        );
        assert_eq!(refusal("https://exa mple.com/a.png"), "invalid_url");
        assert_eq!(
            refusal(&format!("https://e.com/{}", "a".repeat(MAX_URL_LEN))),
            "invalid_url"
        );
        for blocked in [
            "https://127.0.0.1/a.png",
            "https://10.0.0.5/a.png",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/a.png",
            "https://[::ffff:127.0.0.1]/a.png",
            "https://[fd00::1]/a.png",
            "https://0x7f.1/a.png",
            "https://2130706433/a.png",
            "https://100.64.1.1/",
        ] {
            assert_eq!(refusal(blocked), "blocked_address", "{blocked}");
        }
    }
}
