//! JSON-LD (`<script type=application/ld+json>`): the organisation's own statement of its name,
//! logo and slogan. `serde_json` bounds parse recursion (128 levels); the walk over the value is
//! iterative with a depth limit and a node budget, so a hostile block costs bounded time.

use super::page::JsonLdEntity;
use super::text::clean;
use serde_json::Value;
use url::Url;

const MAX_DEPTH: usize = 12;
const MAX_NODES: usize = 20_000;
const MAX_ENTITIES: usize = 32;

/// Types we read. Organisation subtypes are many; we also accept any type ending in
/// Organization/Business/Store/Restaurant.
const TYPES: &[&str] = &[
    "Organization",
    "Corporation",
    "LocalBusiness",
    "Brand",
    "OnlineStore",
    "Store",
    "NGO",
    "Bakery",
    "CafeOrCoffeeShop",
    "FoodEstablishment",
    "ProfessionalService",
    "Airline",
    "WebSite",
];

fn org_type(t: &str) -> Option<String> {
    let t = t.rsplit(['/', ':', '#']).next().unwrap_or(t).trim();
    let ok = TYPES.contains(&t)
        || ["Organization", "Business", "Store", "Restaurant"]
            .iter()
            .any(|s| t.ends_with(s));
    ok.then(|| t.to_string())
}

fn entity_type(o: &serde_json::Map<String, Value>) -> Option<String> {
    match o.get("@type")? {
        Value::String(s) => org_type(s),
        Value::Array(a) => a
            .iter()
            .take(8)
            .filter_map(Value::as_str)
            .find_map(org_type),
        _ => None,
    }
}

fn text_of(v: &Value, max: usize) -> Option<String> {
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Array(a) => a.first()?.as_str()?,
        Value::Object(o) => o.get("@value")?.as_str()?,
        _ => return None,
    };
    let s = clean(s);
    (!s.is_empty()).then(|| s.chars().take(max).collect())
}

fn logo_of(v: &Value, base: &Url) -> Option<Url> {
    let raw = match v {
        Value::String(s) => s.as_str(),
        Value::Array(a) => return a.iter().take(4).find_map(|x| logo_of_flat(x, base)),
        Value::Object(_) => return logo_of_flat(v, base),
        _ => return None,
    };
    super::context::resolve(base, raw)
}

fn logo_of_flat(v: &Value, base: &Url) -> Option<Url> {
    match v {
        Value::String(s) => super::context::resolve(base, s),
        Value::Object(o) => ["url", "contentUrl", "@id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .and_then(|s| super::context::resolve(base, s)),
        _ => None,
    }
}

/// Reads the organisation-like entities of every block, in document order.
pub fn read_blocks(blocks: &[String], base: &Url) -> Vec<JsonLdEntity> {
    let mut out = Vec::new();
    for b in blocks {
        // Some CMSs wrap the JSON in HTML comments or CDATA markers.
        let t = b.trim();
        let t = t.strip_prefix("<!--").unwrap_or(t);
        let t = t.strip_suffix("-->").unwrap_or(t).trim();
        let Ok(v) = serde_json::from_str::<Value>(t) else {
            continue;
        };
        walk(&v, base, &mut out);
    }
    out
}

fn walk(root: &Value, base: &Url, out: &mut Vec<JsonLdEntity>) {
    let mut stack: Vec<(&Value, usize)> = vec![(root, 0)];
    let mut nodes = 0;
    while let Some((v, depth)) = stack.pop() {
        nodes += 1;
        if nodes > MAX_NODES || out.len() >= MAX_ENTITIES {
            return;
        }
        let children: Vec<&Value> = match v {
            Value::Object(o) => {
                if let Some(kind) = entity_type(o) {
                    out.push(JsonLdEntity {
                        kind,
                        name: o.get("name").and_then(|n| text_of(n, 200)),
                        logo: o.get("logo").and_then(|l| logo_of(l, base)),
                        slogan: o.get("slogan").and_then(|s| text_of(s, 500)),
                        description: o.get("description").and_then(|d| text_of(d, 2000)),
                    });
                }
                o.values().collect()
            }
            Value::Array(a) => a.iter().collect(),
            _ => continue,
        };
        if depth < MAX_DEPTH {
            // Reverse so the stack pops children in document order.
            for c in children.into_iter().rev() {
                if c.is_object() || c.is_array() {
                    stack.push((c, depth + 1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://acme.test/about/").unwrap()
    }

    #[test]
    fn organization_with_logo_object_and_slogan() {
        let b = r#"{"@context":"https://schema.org","@type":"Organization","name":"Acme &amp; Co",
            "logo":{"@type":"ImageObject","url":"/img/logo.png"},"slogan":"Bread, daily."}"#;
        let e = read_blocks(&[b.to_string()], &base());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name.as_deref(), Some("Acme & Co"));
        assert_eq!(
            e[0].logo.as_ref().unwrap().as_str(),
            "https://acme.test/img/logo.png"
        );
        assert_eq!(e[0].slogan.as_deref(), Some("Bread, daily."));
    }

    #[test]
    fn graph_and_subtypes_in_order() {
        let b = r#"{"@graph":[{"@type":"WebSite","name":"Acme Site"},
            {"@type":["Thing","Bakery"],"name":"Acme Bakery","logo":"https://cdn.x/l.svg"},
            {"@type":"WebPage","publisher":{"@type":"http://schema.org/Organization","name":"Pub"}}]}"#;
        let e = read_blocks(&[b.to_string()], &base());
        let kinds: Vec<_> = e.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["WebSite", "Bakery", "Organization"]);
        assert_eq!(e[2].name.as_deref(), Some("Pub"));
    }

    #[test]
    fn invalid_and_hostile_json() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let blocks = vec![
            "{not json".to_string(),
            deep,
            "<!-- {\"@type\":\"Brand\",\"name\":\"X\"} -->".to_string(),
        ];
        let e = read_blocks(&blocks, &base());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name.as_deref(), Some("X"));
    }

    #[test]
    fn javascript_logo_urls_are_refused() {
        let b = r#"{"@type":"Organization","name":"A","logo":"javascript:alert(1)"}"#;
        assert!(read_blocks(&[b.to_string()], &base())[0].logo.is_none());
    }
}
