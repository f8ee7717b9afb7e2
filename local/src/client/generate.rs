//! `adgen generate`: a generation body from flags and local files, submitted once, then
//! (with `--wait`) followed to its end and (with `-o`) its image written.
//!
//! A `--ref` that is a URL (`https://`, `http://`, `data:`, `upload://`) goes as written; any
//! other value is a local file, read under the contract's size cap and recognised by its bytes
//! (PNG, JPEG or WebP, as the server will check). Files go inline as data URLs while the
//! request stays within [`INLINE_BUDGET`]; past it, the largest go by upload (spec §11:
//! `POST /api/v1/uploads`, then a PUT of the bytes), since a request to the API on AWS
//! carries at most 6 MB. A `--logo` file goes the same way.
//!
//! Every submission carries an `Idempotency-Key` (`--idempotency-key`, or a fresh random one),
//! so a retry after a dropped connection replays the first answer instead of making a second
//! job.

use std::path::{Path, PathBuf};
use std::time::Duration;

use adgen::contract::brand::looks_like_svg;
use adgen::contract::reference::{ImageKind, MAX_IMAGE_BYTES};
use adgen::contract::upload::UploadType;
use adgen::uploads::Use;
use base64::Engine;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::api::{Session, idempotency_key};
use super::jobs::{outcome, wait_for};
use super::{Failure, Outcome};

/// The flags of `adgen generate`, as parsed.
#[derive(Debug, Default)]
pub struct Request {
    pub prompt: String,
    pub references: Vec<String>,
    pub brand: Option<String>,
    pub brand_json: Option<PathBuf>,
    pub aspect: Option<String>,
    pub resolution: Option<String>,
    pub format: Option<String>,
    pub quality: Option<u32>,
    pub max_bytes: Option<u64>,
    pub thinking: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: Vec<String>,
    pub idempotency_key: Option<String>,
    pub wait: bool,
    pub timeout: Duration,
    pub output: Option<PathBuf>,
}

/// Base64 bytes of inline images one request may carry: the API takes at most 6 MB per
/// request (a Lambda's limit), and the rest of the body needs room.
pub const INLINE_BUDGET: usize = 4 * 1024 * 1024;

pub async fn run(session: &Session, request: Request) -> Outcome {
    let mut planned = Vec::with_capacity(request.references.len());
    for value in &request.references {
        planned.push(local_reference(value, Use::Reference)?);
    }
    let references = send_references(session, planned).await?;
    let body = body(&request, references)?;
    let key = idempotency_key(request.idempotency_key.clone());
    let reply = session
        .call(
            Method::POST,
            "/api/v1/images/generations",
            Some(&body),
            Some(&key),
        )
        .await?;
    let job_id = reply.job_id()?;
    println!("{job_id}");
    if reply.replayed {
        eprintln!("(replayed: idempotency key {key:?} already made this job)");
    }
    if !request.wait && request.output.is_none() {
        return Ok(());
    }
    let job = wait_for(session, &job_id, &["ad".to_owned()], request.timeout).await?;
    outcome(&job_id, &job)?;
    let ad = &job["ad"];
    let describe = format!(
        "{}x{} {}",
        ad["width"].as_u64().unwrap_or(0),
        ad["height"].as_u64().unwrap_or(0),
        ad["format"].as_str().unwrap_or("image")
    );
    let Some(path) = &request.output else {
        eprintln!("ad: {describe}: {}", ad["image_url"].as_str().unwrap_or(""));
        return Ok(());
    };
    let url = ad["image_url"]
        .as_str()
        .ok_or_else(|| Failure::Unavailable("the completed job has no ad.image_url".into()))?;
    let bytes = session.download(url).await?;
    std::fs::write(path, &bytes)
        .map_err(|e| Failure::Local(format!("writing {}: {e}", path.display())))?;
    eprintln!(
        "wrote {} ({describe}, {} bytes)",
        path.display(),
        bytes.len()
    );
    Ok(())
}

/// The `POST /api/v1/images/generations` body the flags describe, with the references as
/// they will be sent. Only what was given is sent: every default is the server's.
pub fn body(request: &Request, references: Vec<String>) -> Result<Value, Failure> {
    let mut body = Map::new();
    body.insert("prompt".into(), json!(request.prompt));
    if !references.is_empty() {
        body.insert("reference_images".into(), json!(references));
    }
    if let Some(brand) = &request.brand {
        body.insert("brand_id".into(), json!(brand));
    }
    if let Some(path) = &request.brand_json {
        body.insert("brand_identity_json".into(), read_json(path)?);
    }
    let mut output = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            output.insert(name.into(), value);
        }
    };
    put("aspect_ratio", request.aspect.as_ref().map(|v| json!(v)));
    put("resolution", request.resolution.as_ref().map(|v| json!(v)));
    put("format", request.format.as_ref().map(|v| json!(v)));
    put("quality", request.quality.map(|v| json!(v)));
    put("max_bytes", request.max_bytes.map(|v| json!(v)));
    put(
        "thinking_intensity",
        request.thinking.as_ref().map(|v| json!(v)),
    );
    if !output.is_empty() {
        body.insert("output".into(), Value::Object(output));
    }
    if let Some(id) = &request.client_reference_id {
        body.insert("client_reference_id".into(), json!(id));
    }
    if !request.metadata.is_empty() {
        let mut metadata = Map::new();
        for pair in &request.metadata {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                Failure::Usage(format!("--metadata takes KEY=VALUE, not {pair:?}"))
            })?;
            metadata.insert(key.into(), json!(value));
        }
        body.insert("metadata".into(), Value::Object(metadata));
    }
    Ok(Value::Object(body))
}

/// One image flag's value, before it is sent.
#[derive(Debug, PartialEq, Eq)]
pub enum LocalReference {
    /// A URL (or `upload://`, `data:`), sent as written.
    Written(String),
    /// A local file's bytes and their media type.
    File {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

/// A `--ref` (a PNG, JPEG or WebP file) or `--logo` (SVG too) as given: a URL as written, or
/// a local file read under the contract's cap and judged by its bytes, as the server judges.
pub fn local_reference(value: &str, purpose: Use) -> Result<LocalReference, Failure> {
    let (flag, formats) = match purpose {
        Use::Reference => ("--ref", "PNG, JPEG or WebP"),
        Use::Logo => ("--logo", "PNG, JPEG, WebP or SVG"),
    };
    if is_url(value) {
        return Ok(LocalReference::Written(value.to_owned()));
    }
    let bytes = read_capped(Path::new(value), MAX_IMAGE_BYTES, flag)?;
    let content_type = match ImageKind::sniff(&bytes) {
        Some(kind) => kind.content_type(),
        None if purpose == Use::Logo && looks_like_svg(&bytes) => UploadType::Svg.content_type(),
        None => {
            return Err(Failure::Usage(format!(
                "{flag} {value}: not a {formats} image (judged by its bytes)"
            )));
        }
    };
    Ok(LocalReference::File {
        content_type,
        bytes,
    })
}

/// Which files of `references` go by upload: the largest, until the inline rest fits
/// [`INLINE_BUDGET`].
pub fn uploads_needed(references: &[LocalReference]) -> Vec<bool> {
    let inline_cost = |r: &LocalReference| match r {
        LocalReference::Written(_) => 0,
        LocalReference::File { bytes, .. } => bytes.len().div_ceil(3) * 4 + 32,
    };
    let mut upload = vec![false; references.len()];
    let mut total: usize = references.iter().map(inline_cost).sum();
    let mut by_size: Vec<usize> = (0..references.len()).collect();
    by_size.sort_by_key(|&n| std::cmp::Reverse(inline_cost(&references[n])));
    for n in by_size {
        if total <= INLINE_BUDGET || inline_cost(&references[n]) == 0 {
            break;
        }
        total -= inline_cost(&references[n]);
        upload[n] = true;
    }
    upload
}

/// The references as the request will name them: inline data URLs, or uploads made now.
pub async fn send_references(
    session: &Session,
    references: Vec<LocalReference>,
) -> Result<Vec<String>, Failure> {
    let upload = uploads_needed(&references);
    let mut out = Vec::with_capacity(references.len());
    for (reference, upload) in references.into_iter().zip(upload) {
        out.push(match reference {
            LocalReference::Written(text) => text,
            LocalReference::File {
                content_type,
                bytes,
            } if upload => session.upload(content_type, bytes).await?,
            LocalReference::File {
                content_type,
                bytes,
            } => data_url(content_type, &bytes),
        });
    }
    Ok(out)
}

fn is_url(value: &str) -> bool {
    let lower = value.get(..10).unwrap_or(value).to_ascii_lowercase();
    ["https://", "http://", "data:", "upload://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

fn data_url(content_type: &str, bytes: &[u8]) -> String {
    format!(
        "data:{content_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Reads a file of at most `max` bytes (a larger one is refused before it is read whole).
pub fn read_capped(path: &Path, max: usize, flag: &str) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::Usage(format!("{flag} {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Local(format!("reading {}: {e}", path.display())))?;
    if bytes.len() > max {
        return Err(Failure::Usage(format!(
            "{flag} {}: larger than the {} MiB an image may be",
            path.display(),
            max / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// A JSON file's content (brand identity, Brand DNA), at most 1 MiB.
pub fn read_json(path: &Path) -> Result<Value, Failure> {
    let bytes = read_capped(path, 1024 * 1024, "JSON file")?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::Usage(format!("{} is not JSON: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_given_flags_are_sent() {
        let body = body(
            &Request {
                prompt: "Spring sale".into(),
                aspect: Some("4:5".into()),
                metadata: vec!["campaign=q4".into(), "note=a=b".into()],
                ..Request::default()
            },
            Vec::new(),
        )
        .expect("body");
        assert_eq!(
            body,
            json!({"prompt": "Spring sale", "output": {"aspect_ratio": "4:5"},
                   "metadata": {"campaign": "q4", "note": "a=b"}})
        );
    }

    #[test]
    fn metadata_without_an_equals_sign_is_a_usage_error() {
        let e = body(
            &Request {
                metadata: vec!["campaign".into()],
                ..Request::default()
            },
            Vec::new(),
        )
        .expect_err("no =");
        assert!(matches!(e, Failure::Usage(m) if m.contains("KEY=VALUE")));
    }

    #[test]
    fn urls_go_as_written_and_files_by_their_bytes() {
        let written = |text: &str| LocalReference::Written(text.to_owned());
        assert_eq!(
            local_reference("https://example.com/a.png", Use::Reference).expect("url"),
            written("https://example.com/a.png")
        );
        assert_eq!(
            local_reference("upload://upl_1", Use::Reference).expect("upload"),
            written("upload://upl_1")
        );
        let dir = std::env::temp_dir().join(format!("adgen-cli-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let png = dir.join("photo.jpg"); // the name lies; the bytes decide
        std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest").expect("write");
        assert!(matches!(
            local_reference(png.to_str().expect("utf-8"), Use::Reference).expect("png"),
            LocalReference::File {
                content_type: "image/png",
                ..
            }
        ));
        let text = dir.join("notes.txt");
        std::fs::write(&text, b"hello").expect("write");
        assert!(matches!(
            local_reference(text.to_str().expect("utf-8"), Use::Reference),
            Err(Failure::Usage(_))
        ));
        let svg = dir.join("logo.svg");
        std::fs::write(
            &svg,
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .expect("write");
        assert!(matches!(
            local_reference(svg.to_str().expect("utf-8"), Use::Logo).expect("svg"),
            LocalReference::File {
                content_type: "image/svg+xml",
                ..
            }
        ));
        assert!(matches!(
            local_reference(svg.to_str().expect("utf-8"), Use::Reference),
            Err(Failure::Usage(_))
        ));
        assert!(matches!(
            local_reference(dir.join("missing.png").to_str().expect("utf-8"), Use::Reference),
            Err(Failure::Usage(m)) if m.contains("missing.png")
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_largest_files_go_by_upload_until_the_rest_fits_inline() {
        let file = |mib: usize| LocalReference::File {
            content_type: "image/jpeg",
            bytes: vec![0; mib * 1024 * 1024],
        };
        let url = LocalReference::Written("https://example.com/a.png".into());
        // 2 MiB of files is 2.7 MiB of base64: inline.
        assert_eq!(
            uploads_needed(&[file(1), url, file(1)]),
            [false, false, false]
        );
        // 3 MiB is 4 MiB of base64 and the data URL prefixes: one goes by upload.
        assert_eq!(uploads_needed(&[file(1), file(2)]), [false, true]);
        let url = LocalReference::Written("https://example.com/a.png".into());
        // 12 MiB can never go inline; then the first of the equal rest, until 4 MiB fit.
        assert_eq!(
            uploads_needed(&[file(2), file(12), url, file(2)]),
            [true, true, false, false]
        );
        assert_eq!(
            uploads_needed(&[file(2), file(2), file(2)]),
            [true, true, false]
        );
        assert_eq!(uploads_needed(&[]), Vec::<bool>::new());
    }
}
