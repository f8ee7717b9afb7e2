//! The fixture websites of `tests/fixtures/sites/` (written for the brand extractor's tests),
//! served as a static site by [`TestServer`](crate::TestServer): `/` is `index.html`, types by
//! extension, anything missing a 404.

use std::path::PathBuf;

use crate::tls_server::{Reply, Request};

/// The fixture sites a careful extractor must read (the hostile one is served apart).
pub const SITES: &[&str] = &[
    "bakery",
    "css-vars",
    "manifest-only",
    "inline-svg",
    "fashion",
];

/// Where a fixture site's files are.
pub fn site_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/sites")
        .join(name)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "webmanifest" => "application/manifest+json",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

/// A handler serving the fixture site `name`.
pub fn static_site(name: &'static str) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |request: &Request| {
        let path = request.path.split('?').next().unwrap_or("/");
        let path = if path == "/" { "/index.html" } else { path };
        if path.contains("..") {
            return Reply::new(400, "");
        }
        match std::fs::read(site_dir(name).join(path.trim_start_matches('/'))) {
            Ok(bytes) => Reply::new(200, bytes).header("content-type", content_type(path)),
            Err(_) => Reply::new(404, "not found").header("content-type", "text/plain"),
        }
    }
}
