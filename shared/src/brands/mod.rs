//! Brand records (spec §7): a named Brand DNA document owned by one organisation, with an
//! optional logo and, for extracted brands, where each fact came from. The DNA's keys and
//! validation are the contract's (`contract::brand_dna`); the extractor is [`extract`].

pub mod extract;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::UnixSeconds;
use crate::digest::derived_uuid;

/// A stored brand record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub domain: Option<String>,
    pub brand_dna: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<BrandLogo>,
    /// Extracted brands: the evidence of each field (`{"primary_accent_hex": "css:.btn …"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

/// Where a brand's logo is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BrandLogo {
    /// Prepared (a bounded PNG) and kept in the blob store.
    Stored {
        key: String,
        width: u32,
        height: u32,
        source_format: LogoFormat,
    },
    /// An https URL the client gave; the worker fetches it under spec §6 when it draws it
    /// (request handlers never fetch).
    Remote { url: String },
}

impl Brand {
    /// Where a brand's prepared logo is stored: one key per brand, so a replaced logo
    /// overwrites the old one.
    pub fn logo_key(org_id: Uuid, brand_id: Uuid) -> String {
        format!("brands/{org_id}/{brand_id}/logo.png")
    }

    /// The id of the brand extracted from `domain` for `org_id`: the same every time, so
    /// re-extracting a domain updates that brand and two extractions racing for it write one
    /// record (a UUID v8 from a SHA-256 of both).
    pub fn extracted_id(org_id: Uuid, domain: &str) -> Uuid {
        derived_uuid(&format!("brand-extraction\n{org_id}\n{domain}"))
    }
}

/// The format a logo arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogoFormat {
    Png,
    Jpeg,
    Webp,
    Svg,
}

impl LogoFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogoFormat::Png => "png",
            LogoFormat::Jpeg => "jpeg",
            LogoFormat::Webp => "webp",
            LogoFormat::Svg => "svg",
        }
    }
}

/// One page of an organisation's brands, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandPage {
    pub brands: Vec<Brand>,
    pub total_count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracted_ids_are_stable_per_organisation_and_domain() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            Brand::extracted_id(a, "acme.test"),
            Brand::extracted_id(a, "acme.test")
        );
        assert_ne!(
            Brand::extracted_id(a, "acme.test"),
            Brand::extracted_id(b, "acme.test")
        );
        assert_ne!(
            Brand::extracted_id(a, "acme.test"),
            Brand::extracted_id(a, "other.test")
        );
        assert_eq!(Brand::extracted_id(a, "acme.test").get_version_num(), 8);
    }
}
