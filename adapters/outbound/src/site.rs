//! The brand site fetcher (the `SiteFetcher` port, spec §6 and §7): a brand's page, its
//! stylesheets, its web manifest and its logo candidates, each through the same checked GET
//! as reference images (public addresses only, every redirect hop re-checked, bytes counted
//! while streaming), with a size cap, a time cap and accepted content types per kind of
//! resource. The extraction service above counts the fetches (at most 20) and bounds the
//! whole extraction's time.
//!
//! Content types are checked because a site that serves its stylesheet as `image/png` or its
//! logo as `text/html` is broken or hostile, and reading either as the other would trust bytes
//! for what they are not. A missing type is accepted and the content judged by the reader.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use adgen::ports::{SiteDocument, SiteFetcher, SiteResource};

use crate::fetch::{FetchError, Fetcher};

/// Caps per kind of resource: (bytes, time). A page of a few MB is already unusual; the
/// stylesheets of a big site are a few hundred KB; manifests are tiny; logos and icons are
/// small images.
pub fn caps(resource: SiteResource) -> (usize, Duration) {
    match resource {
        SiteResource::Page => (2 * 1024 * 1024, Duration::from_secs(10)),
        SiteResource::Stylesheet => (1024 * 1024, Duration::from_secs(8)),
        SiteResource::Manifest => (256 * 1024, Duration::from_secs(5)),
        SiteResource::Image => (5 * 1024 * 1024, Duration::from_secs(8)),
    }
}

/// The brand site fetcher over the worker's checked HTTP client (the connection pool is
/// shared with the reference fetcher).
pub struct Site {
    fetcher: Arc<Fetcher>,
}

impl Site {
    pub fn new(fetcher: Arc<Fetcher>) -> Self {
        Self { fetcher }
    }
}

fn accept_header(resource: SiteResource) -> &'static str {
    match resource {
        SiteResource::Page => "text/html, application/xhtml+xml;q=0.9",
        SiteResource::Stylesheet => "text/css",
        SiteResource::Manifest => "application/manifest+json, application/json;q=0.9",
        SiteResource::Image => "image/png, image/svg+xml, image/webp, image/jpeg, image/*;q=0.8",
    }
}

/// Whether a declared type fits the resource (parameters ignored; a missing type fits).
pub fn type_fits(resource: SiteResource, content_type: Option<&str>) -> bool {
    let Some(declared) = content_type else {
        return true;
    };
    let mime = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match resource {
        SiteResource::Page => matches!(mime.as_str(), "text/html" | "application/xhtml+xml"),
        SiteResource::Stylesheet => mime == "text/css",
        SiteResource::Manifest => matches!(
            mime.as_str(),
            "application/manifest+json" | "application/json" | "text/plain"
        ),
        // `application/octet-stream` is common for icons served from buckets.
        SiteResource::Image => mime.starts_with("image/") || mime == "application/octet-stream",
    }
}

fn kind_name(resource: SiteResource) -> &'static str {
    match resource {
        SiteResource::Page => "page",
        SiteResource::Stylesheet => "stylesheet",
        SiteResource::Manifest => "manifest",
        SiteResource::Image => "image",
    }
}

#[async_trait]
impl SiteFetcher for Site {
    async fn fetch(&self, url: &str, resource: SiteResource) -> Result<SiteDocument, String> {
        let (max_bytes, within) = caps(resource);
        let within = within.min(self.fetcher.policy().total_timeout);
        let got = self
            .fetcher
            .get(url, accept_header(resource), max_bytes, within)
            .await
            .map_err(|e| match e {
                FetchError::TooLarge { max_bytes } => format!(
                    "the {} is larger than {max_bytes} bytes",
                    kind_name(resource)
                ),
                other => other.to_string(),
            })?;
        if !type_fits(resource, got.content_type.as_deref()) {
            return Err(format!(
                "the {} was served as {}",
                kind_name(resource),
                got.content_type.as_deref().unwrap_or("")
            ));
        }
        Ok(SiteDocument {
            url: got.url.into(),
            content_type: got.content_type,
            bytes: got.bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_must_fit_the_resource() {
        use SiteResource::*;
        assert!(type_fits(Page, Some("text/html; charset=utf-8")));
        assert!(type_fits(Page, None));
        assert!(!type_fits(Page, Some("image/png")));
        assert!(type_fits(Stylesheet, Some("TEXT/CSS")));
        assert!(!type_fits(Stylesheet, Some("image/png")));
        assert!(!type_fits(Stylesheet, Some("text/html")));
        assert!(type_fits(Manifest, Some("application/manifest+json")));
        assert!(type_fits(Image, Some("image/svg+xml")));
        assert!(!type_fits(Image, Some("text/html")));
    }
}
