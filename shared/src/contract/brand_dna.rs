//! Brand DNA on the wire (spec §7 `brand_dna`): the keys, their limits and their validation,
//! shared by stored brands and the inline `brand_identity_json` of a generation request.

use serde_json::{Map, Value};

use super::Issue;

/// Largest serialized inline identity (spec §3: 32 KB).
pub const MAX_IDENTITY_BYTES: usize = 32 * 1024;

const TEXT_LIMITS: &[(&str, usize)] = &[
    ("typography_rules", 500),
    ("font_family", 100),
    ("core_slogan", 200),
    ("tone_of_voice", 500),
    ("imagen_style_conditioning", 1000),
    ("call_to_action", 60),
];
const COLOUR_KEYS: &[&str] = &["primary_background_hex", "primary_accent_hex"];
const PALETTE_KEY: &str = "color_palette";
/// Every key of spec §7's `brand_dna`.
pub const DNA_KEYS: &[&str] = &[
    "primary_background_hex",
    "primary_accent_hex",
    "color_palette",
    "typography_rules",
    "font_family",
    "core_slogan",
    "tone_of_voice",
    "imagen_style_conditioning",
    "call_to_action",
];
const MAX_PALETTE: usize = 8;

pub fn is_hex_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// How a DNA document is read: the inline `brand_identity_json` of a generation (spec §3)
/// tolerates extra scalar keys and keeps nulls; a stored brand's `brand_dna` (spec §7) takes
/// only [`DNA_KEYS`] and drops nulls (absent and null mean the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnaRules {
    Inline,
    Stored,
}

/// Reads `value` as a DNA object at `param`: an object, at most [`MAX_IDENTITY_BYTES`]
/// serialized, every key valid under `rules`. None (with issues added) when it is not.
pub fn parse_dna(
    value: &Value,
    param: &str,
    rules: DnaRules,
    issues: &mut Vec<Issue>,
) -> Option<Map<String, Value>> {
    let Some(dna) = value.as_object() else {
        issues.push(Issue::new(
            param,
            "invalid_type",
            format!("{param} must be a JSON object of brand DNA keys"),
        ));
        return None;
    };
    let before = issues.len();
    if rules == DnaRules::Stored {
        for key in dna.keys().filter(|k| !DNA_KEYS.contains(&k.as_str())) {
            issues.push(Issue::new(
                if key.is_empty() {
                    param.to_owned()
                } else {
                    format!("{param}.{key}")
                },
                "unknown_field",
                format!(
                    "unknown {param} key `{key}`; allowed keys: {}",
                    DNA_KEYS.join(", ")
                ),
            ));
        }
    }
    let size = serde_json::to_vec(dna)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_IDENTITY_BYTES {
        issues.push(Issue::new(
            param,
            "too_large",
            format!("{param} must serialize to at most {MAX_IDENTITY_BYTES} bytes (got {size})"),
        ));
    }
    validate_dna(dna, param, issues);
    if issues.len() != before {
        return None;
    }
    Some(match rules {
        DnaRules::Inline => dna.clone(),
        DnaRules::Stored => dna
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// Validates a brand DNA object, adding an issue per problem under `param` (`brand_identity_json`).
/// Known keys are checked when present and not null; other keys must hold scalars.
pub fn validate_dna(dna: &Map<String, Value>, param: &str, issues: &mut Vec<Issue>) {
    for (key, value) in dna {
        let path = format!("{param}.{key}");
        if value.is_null() {
            continue;
        }
        if COLOUR_KEYS.contains(&key.as_str()) {
            if !value.as_str().is_some_and(is_hex_colour) {
                issues.push(Issue::new(
                    path,
                    "invalid_colour",
                    format!("{key} must be a colour written #RRGGBB"),
                ));
            }
        } else if key == PALETTE_KEY {
            validate_palette(value, &path, issues);
        } else if let Some((_, limit)) = TEXT_LIMITS.iter().find(|(k, _)| k == key) {
            match value.as_str() {
                Some(text) if text.chars().count() <= *limit => {}
                Some(_) => issues.push(Issue::new(
                    path,
                    "too_long",
                    format!("{key} must be at most {limit} characters"),
                )),
                None => issues.push(Issue::new(
                    path,
                    "invalid_type",
                    format!("{key} must be a string of at most {limit} characters"),
                )),
            }
        } else if value.is_array() || value.is_object() {
            issues.push(Issue::new(
                path,
                "invalid_type",
                format!(
                    "{key} must be a string, number or boolean (extra brand keys hold scalars only)"
                ),
            ));
        }
    }
}

fn validate_palette(value: &Value, path: &str, issues: &mut Vec<Issue>) {
    let Some(items) = value.as_array() else {
        issues.push(Issue::new(
            path,
            "invalid_type",
            "color_palette must be an array of 1 to 8 colours written #RRGGBB",
        ));
        return;
    };
    if items.is_empty() || items.len() > MAX_PALETTE {
        issues.push(Issue::new(
            path,
            if items.is_empty() {
                "too_short"
            } else {
                "too_many"
            },
            format!(
                "color_palette must hold 1 to {MAX_PALETTE} colours, not {}",
                items.len()
            ),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        if !item.as_str().is_some_and(is_hex_colour) {
            issues.push(Issue::new(
                format!("{path}[{i}]"),
                "invalid_colour",
                "color_palette entries must be colours written #RRGGBB",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issues_of(v: Value) -> Vec<Issue> {
        let mut issues = Vec::new();
        validate_dna(
            v.as_object().expect("object"),
            "brand_identity_json",
            &mut issues,
        );
        issues
    }

    #[test]
    fn accepts_a_full_identity_with_extra_scalars() {
        let issues = issues_of(json!({
            "primary_background_hex": "#112233", "primary_accent_hex": "#AABBCC",
            "color_palette": ["#000000", "#ffffff"], "typography_rules": "bold sans",
            "font_family": "Inter", "core_slogan": "Wake up", "tone_of_voice": "warm",
            "imagen_style_conditioning": "film grain", "call_to_action": "Order now",
            "mascot": "owl", "founded": 1999, "vegan": true, "fax": null
        }));
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let issues = issues_of(json!({
            "primary_background_hex": "red", "color_palette": ["#000000", "#12345"],
            "call_to_action": "x".repeat(61), "font_family": 3, "nested": {"a": 1}
        }));
        let params: Vec<&str> = issues.iter().map(|i| i.param.as_str()).collect();
        assert_eq!(
            params,
            [
                "brand_identity_json.call_to_action",
                "brand_identity_json.color_palette[1]",
                "brand_identity_json.font_family",
                "brand_identity_json.nested",
                "brand_identity_json.primary_background_hex",
            ]
        );
    }

    #[test]
    fn palette_size_bounds() {
        assert_eq!(issues_of(json!({"color_palette": []}))[0].code, "too_short");
        let nine = vec!["#000000"; 9];
        assert_eq!(
            issues_of(json!({"color_palette": nine}))[0].code,
            "too_many"
        );
    }
}
