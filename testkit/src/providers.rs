//! Fake Gemini and OpenAI image APIs that hold every request to the providers' published
//! request schemas and to what the named model accepts, and answer as the real services do:
//! an image of the size asked for, or the provider's own error shape.
//!
//! What each model accepts is written here from the providers' documentation, independently
//! of adgen's capability table (`adgen::models`), so a test through these fakes fails when the
//! table or the clients drift from the providers:
//! - OpenAI (`openai/openai-openapi`, August 2026): `CreateImageRequest`, the JSON edit body
//!   `EditImageBodyJsonParam` (its `size` only `auto`, `1024x1024`, `1536x1024`, `1024x1536`),
//!   and the multipart `CreateImageEditRequest`; `gpt-image-2` (and its dated id) take
//!   arbitrary `WIDTHxHEIGHT` sizes: both sides divisible by 16, ratio within 1:3..3:1, at most
//!   3840x2160, at least 655 360 pixels; every other GPT image model only the standard sizes.
//!   Unknown parameters are a 400 (`Unknown parameter: 'x'.`), as the API answers.
//! - Gemini (`GenerateContentRequest`, `GenerationConfig.imageConfig` of the API reference
//!   and the `google-genai` types): Gemini 3 Pro Image takes ten aspect ratios and the 1K, 2K
//!   and 4K sizes; Gemini 3.1 Flash Image adds 1:4, 4:1, 1:8, 8:1 and the 512 size.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::tls_server::{Reply, Request, TestServer};

/// What a documented model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Documented {
    /// `gpt-image-2`: arbitrary sizes within its rules.
    OpenAiFreeSize,
    /// The other GPT image models: the standard sizes.
    OpenAiStandardSizes,
    Gemini {
        ratios: &'static [&'static str],
        sizes: &'static [&'static str],
    },
}

const GEMINI_3_PRO_RATIOS: &[&str] = &[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
];
const GEMINI_31_FLASH_RATIOS: &[&str] = &[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:4", "4:1", "1:8",
    "8:1",
];
const STANDARD_SIZES: &[&str] = &["1024x1024", "1536x1024", "1024x1536"];

/// The documented rules of `model`, `None` for a model the documentation does not list.
pub fn documented(model: &str) -> Option<Documented> {
    Some(match model {
        "gpt-image-2" | "gpt-image-2-2026-04-21" => Documented::OpenAiFreeSize,
        "gpt-image-1"
        | "gpt-image-1-mini"
        | "gpt-image-1.5"
        | "chatgpt-image-latest"
        | "gpt-image-2.5-flare"
        | "gpt-image-2.5-flare-2026-09-08"
        | "gpt-image-2.5-sunburst"
        | "gpt-image-2.5-sunburst-2026-09-08" => Documented::OpenAiStandardSizes,
        "gemini-3-pro-image-preview" => Documented::Gemini {
            ratios: GEMINI_3_PRO_RATIOS,
            sizes: &["1K", "2K", "4K"],
        },
        "gemini-3.1-flash-image-preview" => Documented::Gemini {
            ratios: GEMINI_31_FLASH_RATIOS,
            sizes: &["512", "1K", "2K", "4K"],
        },
        _ => return None,
    })
}

/// A fake provider serving one model; every request it refused is kept with its reason.
pub struct FakeProvider {
    pub server: TestServer,
    refusals: Arc<Mutex<Vec<String>>>,
}

impl FakeProvider {
    /// Serves `model` (which must be documented) as its provider's API at `server.url`.
    pub async fn start(model: &'static str) -> Self {
        let rules = documented(model).unwrap_or_else(|| panic!("{model} is not documented"));
        let refusals = Arc::new(Mutex::new(Vec::new()));
        let log = refusals.clone();
        let images = Arc::new(Mutex::new(HashMap::new()));
        let server = TestServer::plain(move |request| {
            let answer = match rules {
                Documented::Gemini { ratios, sizes } => {
                    gemini(model, ratios, sizes, request, &images)
                }
                _ => openai(model, rules, request, &images),
            };
            answer.unwrap_or_else(|(reply, why)| {
                log.lock().expect("refusals lock").push(why);
                reply
            })
        })
        .await;
        Self { server, refusals }
    }

    /// The base URL to configure (`ADGEN_PROVIDER_BASE_URL`).
    pub fn base_url(&self) -> String {
        self.server.url("http", "")
    }

    /// Why each refused request was refused, in order.
    pub fn refusals(&self) -> Vec<String> {
        self.refusals.lock().expect("refusals lock").clone()
    }
}

type Answer = Result<Reply, (Reply, String)>;
type Images = Mutex<HashMap<(u32, u32, &'static str), String>>;

/// A solid image of `w`×`h` in `format`, base64, encoded once per size and format.
fn image_b64(images: &Images, w: u32, h: u32, format: &'static str) -> String {
    let mut cache = images.lock().expect("images lock");
    cache
        .entry((w, h, format))
        .or_insert_with(|| {
            let img = image::RgbImage::from_pixel(w, h, image::Rgb([40, 120, 200]));
            let mut out = Cursor::new(Vec::new());
            let kind = match format {
                "jpeg" => image::ImageFormat::Jpeg,
                "webp" => image::ImageFormat::WebP,
                _ => image::ImageFormat::Png,
            };
            img.write_to(&mut out, kind).expect("encodes");
            base64::engine::general_purpose::STANDARD.encode(out.into_inner())
        })
        .clone()
}

fn openai_error(param: &str, message: String) -> (Reply, String) {
    let body = json!({"error": {"message": message, "type": "invalid_request_error",
                                "param": param, "code": "invalid_value"}});
    (Reply::json(400, &body), message)
}

fn openai(model: &'static str, rules: Documented, request: &Request, images: &Images) -> Answer {
    let bad = openai_error;
    if request
        .header("authorization")
        .is_none_or(|a| !a.starts_with("Bearer "))
    {
        let body = json!({"error": {"message": "You didn't provide an API key.",
                                    "type": "invalid_request_error", "param": null, "code": null}});
        return Err((Reply::json(401, &body), "no bearer key".into()));
    }
    let content_type = request
        .header("content-type")
        .unwrap_or_default()
        .to_owned();
    let (fields, image_count) = match (request.path.as_str(), content_type.as_str()) {
        ("/v1/images/generations", "application/json") => {
            (json_fields(&request.body, GENERATION_FIELDS)?, 0)
        }
        ("/v1/images/edits", "application/json") => {
            let fields = json_fields(&request.body, EDIT_JSON_FIELDS)?;
            let count = match fields.get("images") {
                Some(Value::Array(list)) if !list.is_empty() => {
                    for entry in list {
                        let url = entry.get("image_url").and_then(Value::as_str).unwrap_or("");
                        check_data_url(url).map_err(|why| bad("images", why))?;
                    }
                    list.len()
                }
                _ => return Err(bad("images", "images must be a non-empty array".into())),
            };
            // `EditImageBodyJsonParam.size` is an enum.
            if let Some(size) = fields.get("size").and_then(Value::as_str)
                && size != "auto"
                && !STANDARD_SIZES.contains(&size)
            {
                return Err(bad(
                    "size",
                    format!(
                        "Invalid value: '{size}'. Supported values are: 'auto', '1024x1024', '1536x1024', and '1024x1536'."
                    ),
                ));
            }
            (fields, count)
        }
        ("/v1/images/edits", multipart) if multipart.starts_with("multipart/form-data") => {
            let parts =
                parse_multipart(multipart, &request.body).map_err(|why| bad("image", why))?;
            let mut fields = Map::new();
            let mut count = 0;
            for part in parts {
                match (part.name.as_str(), &part.filename) {
                    ("image[]" | "image", Some(_)) => {
                        let ok = part.content_type.as_deref().is_some_and(|t| {
                            ["image/png", "image/jpeg", "image/webp"].contains(&t)
                        });
                        if !ok || crate::images::sniff(&part.data).is_none() {
                            return Err(bad(
                                "image",
                                "each image must be a png, webp or jpg file".into(),
                            ));
                        }
                        count += 1;
                    }
                    (name, None) if EDIT_FORM_FIELDS.contains(&name) => {
                        let text = String::from_utf8(part.data)
                            .map_err(|_| bad(name, "not UTF-8".into()))?;
                        // Form values are strings; `n` is read as a number.
                        let value = match name {
                            "n" => text
                                .parse::<u64>()
                                .map(Value::from)
                                .map_err(|_| bad("n", format!("'{text}' is not an integer")))?,
                            _ => Value::String(text),
                        };
                        fields.insert(name.to_owned(), value);
                    }
                    (name, _) => return Err(bad(name, format!("Unknown parameter: '{name}'."))),
                }
            }
            if count == 0 {
                return Err(bad("image", "an image file is required".into()));
            }
            (fields, count)
        }
        (path, content_type) => {
            return Err(bad("", format!("no endpoint {path} for {content_type:?}")));
        }
    };
    if image_count > 16 {
        return Err(bad("image", format!("{image_count} images; at most 16")));
    }
    match fields.get("model").and_then(Value::as_str) {
        Some(m) if m == model => {}
        other => {
            return Err(bad(
                "model",
                format!("model {other:?}, this fake serves {model}"),
            ));
        }
    }
    match fields.get("prompt").and_then(Value::as_str) {
        Some(p) if !p.is_empty() && p.chars().count() <= 32_000 => {}
        _ => {
            return Err(bad(
                "prompt",
                "prompt is required (1-32000 characters)".into(),
            ));
        }
    }
    if let Some(n) = fields.get("n")
        && n.as_u64() != Some(1)
    {
        return Err(bad("n", format!("n {n}: one image per request here")));
    }
    let enum_field = |name: &str, allowed: &[&str]| -> Result<(), (Reply, String)> {
        match fields.get(name) {
            None => Ok(()),
            Some(Value::String(v)) if allowed.contains(&v.as_str()) => Ok(()),
            Some(v) => Err(bad(
                name,
                format!("Invalid value: {v}. Supported values are: {allowed:?}."),
            )),
        }
    };
    enum_field("quality", &["low", "medium", "high", "auto"])?;
    enum_field("output_format", &["png", "jpeg", "webp"])?;
    enum_field("background", &["transparent", "opaque", "auto"])?;
    enum_field("moderation", &["low", "auto"])?;
    let size = fields.get("size").and_then(Value::as_str).unwrap_or("auto");
    let (w, h) = openai_size(rules, size).map_err(|why| bad("size", why))?;
    let format = match fields.get("output_format").and_then(Value::as_str) {
        Some("jpeg") => "jpeg",
        Some("webp") => "webp",
        _ => "png",
    };
    let data = image_b64(images, w, h, format);
    Ok(Reply::json(
        200,
        &json!({"created": 1_764_100_000, "data": [{"b64_json": data}],
                "usage": {"input_tokens": 50, "output_tokens": 1000, "total_tokens": 1050}}),
    ))
}

const GENERATION_FIELDS: &[&str] = &[
    "prompt",
    "model",
    "n",
    "quality",
    "response_format",
    "output_format",
    "output_compression",
    "stream",
    "partial_images",
    "size",
    "moderation",
    "background",
    "style",
    "user",
];
const EDIT_JSON_FIELDS: &[&str] = &[
    "model",
    "prompt",
    "images",
    "mask",
    "background",
    "quality",
    "n",
    "size",
    "output_format",
    "output_compression",
    "moderation",
    "input_fidelity",
    "user",
    "stream",
    "partial_images",
];
const EDIT_FORM_FIELDS: &[&str] = &[
    "prompt",
    "model",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "input_fidelity",
    "user",
    "stream",
    "partial_images",
    "moderation",
];

/// The JSON object body, with every key one the schema lists.
fn json_fields(body: &[u8], allowed: &[&str]) -> Result<Map<String, Value>, (Reply, String)> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return Err(openai_error(
            "",
            "We could not parse the JSON body of your request.".into(),
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(openai_error(
            unknown,
            format!("Unknown parameter: '{unknown}'."),
        ));
    }
    Ok(fields)
}

fn check_data_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("data:")
        .ok_or_else(|| format!("image_url {:.20}… is not a data URL", url))?;
    let (mime, data) = rest.split_once(";base64,").ok_or("not a base64 data URL")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("bad base64: {e}"))?;
    if !["image/png", "image/jpeg", "image/webp"].contains(&mime)
        || crate::images::sniff(&bytes).is_none()
    {
        return Err(format!("{mime} is not a png, webp or jpg image"));
    }
    Ok(())
}

/// The size the documented rules give `size`, or why they refuse it.
fn openai_size(rules: Documented, size: &str) -> Result<(u32, u32), String> {
    if size == "auto" {
        return Ok((1024, 1024));
    }
    let parsed = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    let Some((w, h)) = parsed else {
        return Err(format!("Invalid value: '{size}'."));
    };
    match rules {
        _ if STANDARD_SIZES.contains(&size) => Ok((w, h)),
        Documented::OpenAiFreeSize => {
            let pixels = u64::from(w) * u64::from(h);
            if w % 16 != 0 || h % 16 != 0 {
                Err(format!(
                    "Invalid size '{size}': width and height must be multiples of 16."
                ))
            } else if w.max(h) > 3 * w.min(h) {
                Err(format!(
                    "Invalid size '{size}': the aspect ratio must be between 1:3 and 3:1."
                ))
            } else if w.max(h) > 3840 || pixels > 3840 * 2160 {
                Err(format!(
                    "Invalid size '{size}': the maximum resolution is 3840x2160."
                ))
            } else if pixels < 655_360 {
                Err(format!("Invalid size '{size}': at least 655360 pixels."))
            } else {
                Ok((w, h))
            }
        }
        _ => Err(format!(
            "Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."
        )),
    }
}

fn gemini_error(message: String) -> (Reply, String) {
    let body = json!({"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}});
    (Reply::json(400, &body), message)
}

const GEMINI_REQUEST_FIELDS: &[&str] = &[
    "contents",
    "tools",
    "toolConfig",
    "safetySettings",
    "systemInstruction",
    "generationConfig",
    "cachedContent",
];
const GEMINI_GENERATION_FIELDS: &[&str] = &[
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "imageConfig",
    "thinkingConfig",
    "mediaResolution",
];

fn gemini(
    model: &'static str,
    ratios: &[&str],
    sizes: &[&str],
    request: &Request,
    images: &Images,
) -> Answer {
    let bad = gemini_error;
    if request.header("x-goog-api-key").is_none() {
        let body = json!({"error": {"code": 403, "message": "Method doesn't allow unregistered callers.", "status": "PERMISSION_DENIED"}});
        return Err((Reply::json(403, &body), "no API key".into()));
    }
    let expected = format!("/v1beta/models/{model}:generateContent");
    if request.path != expected {
        let body = json!({"error": {"code": 404, "message": format!("{} is not found", request.path), "status": "NOT_FOUND"}});
        return Err((Reply::json(404, &body), format!("path {}", request.path)));
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
        return Err(bad("Invalid JSON payload received.".into()));
    };
    if let Some(unknown) = body
        .keys()
        .find(|k| !GEMINI_REQUEST_FIELDS.contains(&k.as_str()))
    {
        return Err(bad(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field."
        )));
    }
    let Some(Value::Array(contents)) = body.get("contents") else {
        return Err(bad("contents is required".into()));
    };
    let mut texts = 0;
    let mut inline = 0;
    for content in contents {
        let role = content
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("user");
        if !["user", "model"].contains(&role) {
            return Err(bad(format!(
                "Please use a valid role: user, model. ({role})"
            )));
        }
        let Some(Value::Array(parts)) = content.get("parts") else {
            return Err(bad("contents[].parts is required".into()));
        };
        for part in parts {
            let Value::Object(part) = part else {
                return Err(bad("a part is an object".into()));
            };
            let keys: Vec<&str> = part.keys().map(String::as_str).collect();
            match keys.as_slice() {
                ["text"] if part["text"].is_string() => texts += 1,
                ["inline_data"] | ["inlineData"] => {
                    let blob = &part[keys[0]];
                    let mime = blob
                        .get("mime_type")
                        .or(blob.get("mimeType"))
                        .and_then(Value::as_str);
                    let data = blob.get("data").and_then(Value::as_str).unwrap_or("");
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .map_err(|_| bad("Invalid value at 'contents[0].parts[1].inline_data.data' (TYPE_BYTES), Base64 decoding failed".into()))?;
                    if !mime.is_some_and(|m| ["image/png", "image/jpeg", "image/webp"].contains(&m))
                        || crate::images::sniff(&bytes).is_none()
                    {
                        return Err(bad(format!("Unsupported MIME type: {mime:?}")));
                    }
                    inline += 1;
                }
                other => {
                    return Err(bad(format!(
                        "a part holds exactly one of text, inline_data: {other:?}"
                    )));
                }
            }
        }
    }
    if texts == 0 {
        return Err(bad("a text part is required".into()));
    }
    if inline > 14 {
        return Err(bad(format!("{inline} images; at most 14")));
    }
    let config = body.get("generationConfig").cloned().unwrap_or(json!({}));
    let Value::Object(config) = config else {
        return Err(bad("generationConfig is an object".into()));
    };
    if let Some(unknown) = config
        .keys()
        .find(|k| !GEMINI_GENERATION_FIELDS.contains(&k.as_str()))
    {
        return Err(bad(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\" at 'generation_config': Cannot find field."
        )));
    }
    match config.get("responseModalities") {
        Some(Value::Array(m))
            if m.iter().all(|v| v == "IMAGE" || v == "TEXT") && m.iter().any(|v| v == "IMAGE") => {}
        other => {
            return Err(bad(format!(
                "responseModalities must ask for IMAGE: {other:?}"
            )));
        }
    }
    let image_config = config.get("imageConfig").cloned().unwrap_or(json!({}));
    let Value::Object(image_config) = image_config else {
        return Err(bad("imageConfig is an object".into()));
    };
    if let Some(unknown) = image_config
        .keys()
        .find(|k| !["aspectRatio", "imageSize"].contains(&k.as_str()))
    {
        return Err(bad(format!(
            "Unknown name \"{unknown}\" at 'generation_config.image_config'"
        )));
    }
    let ratio = image_config
        .get("aspectRatio")
        .and_then(Value::as_str)
        .unwrap_or("1:1");
    if !ratios.contains(&ratio) {
        return Err(bad(format!(
            "Unsupported aspect ratio {ratio:?} for {model}; supported: {ratios:?}"
        )));
    }
    let size = image_config
        .get("imageSize")
        .and_then(Value::as_str)
        .unwrap_or("1K");
    if !sizes.contains(&size) {
        return Err(bad(format!(
            "Unsupported image size {size:?} for {model}; supported: {sizes:?}"
        )));
    }
    let (w, h) = gemini_pixels(ratio, size);
    let data = image_b64(images, w, h, "png");
    Ok(Reply::json(
        200,
        &json!({"candidates": [{"content": {"role": "model", "parts": [
                    {"inlineData": {"mimeType": "image/png", "data": data}}]},
                 "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 1290},
                "modelVersion": model}),
    ))
}

/// An image of about `size`² pixels at `ratio`, sides multiples of 16, as Gemini's answers.
fn gemini_pixels(ratio: &str, size: &str) -> (u32, u32) {
    let side = match size {
        "512" => 512.0,
        "2K" => 2048.0,
        "4K" => 4096.0,
        _ => 1024.0,
    };
    let (w, h) = ratio
        .split_once(':')
        .and_then(|(w, h)| Some((w.parse::<f64>().ok()?, h.parse::<f64>().ok()?)))
        .unwrap_or((1.0, 1.0));
    let r = w / h;
    let round16 = |x: f64| ((x / 16.0).round().max(1.0) as u32) * 16;
    (round16(side * r.sqrt()), round16(side / r.sqrt()))
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// Splits a `multipart/form-data` body (RFC 7578) by the boundary its content type names.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .ok_or("no boundary in the content type")?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let find = |from: usize, needle: &[u8]| {
        body[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut at = find(0, &delimiter).ok_or("no first boundary")? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err("a boundary is not followed by CRLF".into());
        }
        at += 2;
        let head_end = find(at, b"\r\n\r\n").ok_or("a part has no header end")?;
        let head = std::str::from_utf8(&body[at..head_end])
            .map_err(|_| "a part's headers are not UTF-8")?;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let data_end = find(head_end + 4, &closing).ok_or("a part is not closed")?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: body[head_end + 4..data_end].to_vec(),
        };
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(':').ok_or("a malformed part header")?;
            match name.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for attribute in value.split(';').map(str::trim) {
                        if let Some(v) = attribute.strip_prefix("name=") {
                            part.name = v.trim_matches('"').to_owned();
                        } else if let Some(v) = attribute.strip_prefix("filename=") {
                            part.filename = Some(v.trim_matches('"').to_owned());
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        if part.name.is_empty() {
            return Err("a part has no name".into());
        }
        parts.push(part);
        at = data_end + closing.len();
    }
}
