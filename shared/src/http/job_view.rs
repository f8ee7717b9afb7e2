//! The job record as a client sees it (spec §4): the stored job without internal fields,
//! expansions (`ad`, `brand`, `payload.diagnostics`, `deliveries`) on request, and the `fields` projection.

use serde_json::{Map, Value, json};

use crate::contract::job_query::{Expansion, JobQuery};
use crate::service::jobs::{JobBrand, JobRead};

/// Returned whatever `fields` selects.
const ALWAYS: &[&str] = &["id", "object", "status"];

pub fn render(read: &JobRead, query: &JobQuery) -> Value {
    let job = &read.job;
    let mut data = match serde_json::to_value(job.view()) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if query.expand.contains(&Expansion::Diagnostics)
        && let Some(Value::Object(payload)) = data.get_mut("payload")
    {
        let d = &job.diagnostics;
        payload.insert(
            "diagnostics".into(),
            json!({ "brief": d.brief, "provider": d.provider, "provider_error": d.provider_error,
                    "steps": d.steps, "attempts": job.claims, "fetches": d.fetches,
                    "language": d.language, "text_fit": d.text_fit }),
        );
    }
    if let Some(fields) = &query.fields {
        data.retain(|name, _| ALWAYS.contains(&name.as_str()) || fields.contains(name.as_str()));
    }
    if query.expand.contains(&Expansion::Ad) {
        let ad = match (&job.payload.image_url, job.payload.output_applied) {
            (Some(url), Some(out)) => {
                json!({ "image_url": url, "width": out.width, "height": out.height, "format": out.format })
            }
            _ => Value::Null,
        };
        data.insert("ad".into(), ad);
    }
    if query.expand.contains(&Expansion::Brand) {
        let brand = match &read.brand {
            Some(JobBrand::Stored(read)) => {
                let mut brand = super::brand_view::render(read);
                if let Value::Object(fields) = &mut brand {
                    fields.insert("source".into(), json!("brand_id"));
                }
                brand
            }
            Some(JobBrand::Inline(dna)) => {
                json!({ "source": "brand_identity_json", "brand_dna": dna })
            }
            None => Value::Null,
        };
        data.insert("brand".into(), brand);
    }
    if query.expand.contains(&Expansion::Deliveries) {
        let deliveries: Vec<Value> = read
            .deliveries
            .iter()
            .flatten()
            .map(super::webhook_view::render_delivery)
            .collect();
        data.insert("deliveries".into(), Value::Array(deliveries));
    }
    Value::Object(data)
}
