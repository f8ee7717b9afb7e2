//! Web app manifests: the name the site installs under, the colours it asks the OS to paint
//! (`theme_color`, `background_color`) and its icons. Read leniently: a field of the wrong type
//! is skipped, not fatal.

use super::MAX_MANIFEST_BYTES;
use super::text::{clean, lossy_prefix};
use serde_json::Value;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub url: Url,
    pub name: Option<String>,
    pub short_name: Option<String>,
    /// Raw colour strings as declared (parsed by the decision).
    pub theme_color: Option<String>,
    pub background_color: Option<String>,
    pub icons: Vec<ManifestIcon>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestIcon {
    pub src: Url,
    /// `(width, height)` pairs; `any` is recorded as 512×512.
    pub sizes: Vec<(u32, u32)>,
    pub mime: Option<String>,
    /// Lowercased purpose words (`any`, `maskable`, `monochrome`).
    pub purpose: Vec<String>,
}

impl ManifestIcon {
    /// Largest declared side, if any.
    pub fn largest(&self) -> Option<u32> {
        self.sizes.iter().map(|(w, h)| *w.max(h)).max()
    }
}

const MAX_ICONS: usize = 64;

fn string(o: &serde_json::Map<String, Value>, k: &str, max: usize) -> Option<String> {
    let s = clean(o.get(k)?.as_str()?);
    (!s.is_empty()).then(|| s.chars().take(max).collect())
}

fn sizes(s: &str) -> Vec<(u32, u32)> {
    s.split_ascii_whitespace()
        .take(16)
        .filter_map(|t| {
            if t.eq_ignore_ascii_case("any") {
                return Some((512, 512));
            }
            let (w, h) = t.split_once(['x', 'X'])?;
            Some((w.parse().ok()?, h.parse().ok()?))
        })
        .collect()
}

/// Reads a manifest (first [`MAX_MANIFEST_BYTES`], lossy UTF-8). Icon `src`s resolve against
/// the manifest's own URL, as the spec says.
pub fn read_manifest(json: &[u8], manifest_url: &Url) -> Manifest {
    let mut m = Manifest {
        url: manifest_url.clone(),
        name: None,
        short_name: None,
        theme_color: None,
        background_color: None,
        icons: Vec::new(),
    };
    let text = lossy_prefix(json, MAX_MANIFEST_BYTES);
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&text) else {
        return m;
    };
    m.name = string(&o, "name", 200);
    m.short_name = string(&o, "short_name", 100);
    m.theme_color = string(&o, "theme_color", 100);
    m.background_color = string(&o, "background_color", 100);
    if let Some(Value::Array(icons)) = o.get("icons") {
        for i in icons.iter().take(MAX_ICONS) {
            let Value::Object(i) = i else { continue };
            let Some(src) = i.get("src").and_then(Value::as_str) else {
                continue;
            };
            let Some(src) = super::context::resolve(manifest_url, src) else {
                continue;
            };
            let svg = i
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.contains("svg"));
            let mut sz = i
                .get("sizes")
                .and_then(Value::as_str)
                .map(sizes)
                .unwrap_or_default();
            if sz.is_empty() && svg {
                sz.push((512, 512));
            }
            m.icons.push(ManifestIcon {
                src,
                sizes: sz,
                mime: string(i, "type", 100),
                purpose: string(i, "purpose", 100)
                    .map(|p| {
                        p.to_ascii_lowercase()
                            .split_ascii_whitespace()
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://acme.test/static/site.webmanifest").unwrap()
    }

    #[test]
    fn reads_fields_and_resolves_icons_against_manifest_url() {
        let j = br##"{"name":"Acme Bakery","short_name":"Acme","theme_color":"#C0392B",
            "background_color":"#fff8e7","icons":[{"src":"icons/192.png","sizes":"192x192",
            "type":"image/png"},{"src":"/i.svg","type":"image/svg+xml","purpose":"any maskable"}]}"##;
        let m = read_manifest(j, &url());
        assert_eq!(m.name.as_deref(), Some("Acme Bakery"));
        assert_eq!(m.short_name.as_deref(), Some("Acme"));
        assert_eq!(m.theme_color.as_deref(), Some("#C0392B"));
        assert_eq!(
            m.icons[0].src.as_str(),
            "https://acme.test/static/icons/192.png"
        );
        assert_eq!(m.icons[0].largest(), Some(192));
        assert_eq!(m.icons[1].largest(), Some(512));
        assert_eq!(m.icons[1].purpose, ["any", "maskable"]);
    }

    #[test]
    fn wrong_types_and_garbage_are_tolerated() {
        let m = read_manifest(br#"{"name":5,"icons":"x","theme_color":["red"]}"#, &url());
        assert!(m.name.is_none() && m.icons.is_empty() && m.theme_color.is_none());
        let m = read_manifest(b"\xFF\xFE garbage", &url());
        assert!(m.name.is_none());
        let m = read_manifest(
            br#"{"icons":[{"src":"javascript:x"},{"sizes":"1x1"},7]}"#,
            &url(),
        );
        assert!(m.icons.is_empty());
    }

    #[test]
    fn bom_is_skipped() {
        let m = read_manifest(b"\xEF\xBB\xBF{\"name\":\"A\"}", &url());
        assert_eq!(m.name.as_deref(), Some("A"));
    }
}
