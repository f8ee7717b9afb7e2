//! The brand record as a client sees it (spec §7): the stored brand without internal fields
//! (its organisation, the logo's storage key), with the logo as a URL minted for this read.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::brands::BrandLogo;
use crate::service::brands::{BrandList, BrandRead};

pub fn render(read: &BrandRead) -> Value {
    let brand = &read.brand;
    let logo = match (&brand.logo, &read.logo_url) {
        (
            Some(BrandLogo::Stored {
                width,
                height,
                source_format,
                ..
            }),
            Some(url),
        ) => json!({
            "url": url, "width": width, "height": height, "format": "png",
            "source_format": source_format,
        }),
        (Some(BrandLogo::Remote { .. }), Some(url)) => json!({ "url": url, "source": "url" }),
        _ => Value::Null,
    };
    json!({
        "id": brand.id,
        "object": "brand",
        "name": brand.name,
        "domain": brand.domain,
        "brand_dna": brand.brand_dna,
        "logo": logo,
        "sources": brand.sources,
        "created_at": brand.created_at,
        "updated_at": brand.updated_at,
    })
}

pub fn render_list(list: &BrandList) -> Value {
    json!({
        "data": list.brands.iter().map(render).collect::<Vec<_>>(),
        "total_count": list.total_count,
        "has_more": list.has_more,
    })
}

pub fn deleted(id: Uuid) -> Value {
    json!({ "id": id, "object": "brand", "deleted": true })
}
