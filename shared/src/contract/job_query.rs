//! `GET /api/v1/jobs/{id}` query parameters (spec §4): `wait_for_completion`,
//! `timeout_seconds`, `expand`/`include` (merged) and `fields`.

use std::collections::BTreeSet;
use std::time::Duration;

use super::Issue;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
pub const MAX_TIMEOUT_SECONDS: u64 = 30;

/// Job fields a client may select; `id` and `status` are returned whatever it selects.
pub const FIELDS: &[&str] = &[
    "id",
    "type",
    "status",
    "payload",
    "result_url",
    "error_log",
    "client_reference_id",
    "metadata",
    "created_at",
    "updated_at",
];
const PARAMS: &[&str] = &[
    "wait_for_completion",
    "timeout_seconds",
    "expand",
    "include",
    "fields",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expansion {
    Ad,
    Diagnostics,
    Brand,
    /// The job's webhook deliveries (spec §5).
    Deliveries,
}

impl Expansion {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "ad" => Some(Expansion::Ad),
            "diagnostics" => Some(Expansion::Diagnostics),
            "brand" => Some(Expansion::Brand),
            "deliveries" => Some(Expansion::Deliveries),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobQuery {
    /// How long to wait for a terminal state; `None` answers at once.
    pub wait: Option<Duration>,
    pub expand: BTreeSet<Expansion>,
    /// The selected fields; `None` returns them all.
    pub fields: Option<BTreeSet<&'static str>>,
}

/// A refused query: the error code and the issue (its `param` names the parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub code: &'static str,
    pub issue: Issue,
}

fn refuse(code: &'static str, param: &str, message: String) -> QueryError {
    QueryError {
        code,
        issue: Issue::new(param, "invalid_value", message),
    }
}

/// Items of a comma list, trimmed; empty items (a trailing comma) are ignored.
fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|i| !i.is_empty())
}

impl JobQuery {
    pub fn parse(query: Option<&str>) -> Result<Self, QueryError> {
        let mut wait_for_completion = None;
        let mut timeout = None;
        let mut expand = BTreeSet::new();
        let mut fields: Option<BTreeSet<&'static str>> = None;
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let (name, value) = (name.as_ref(), value.as_ref());
            match name {
                "wait_for_completion" => {
                    wait_for_completion = Some(match value {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(refuse(
                                "invalid_wait_for_completion",
                                name,
                                "wait_for_completion must be true or false".into(),
                            ));
                        }
                    });
                }
                "timeout_seconds" => {
                    let seconds = value
                        .parse::<u64>()
                        .ok()
                        .filter(|s| (1..=MAX_TIMEOUT_SECONDS).contains(s))
                        .ok_or_else(|| {
                            refuse(
                                "invalid_timeout_seconds",
                                name,
                                format!("timeout_seconds must be a whole number from 1 to {MAX_TIMEOUT_SECONDS}"),
                            )
                        })?;
                    timeout = Some(Duration::from_secs(seconds));
                }
                "expand" | "include" => {
                    for item in items(value) {
                        let expansion = Expansion::parse(item).ok_or_else(|| {
                            refuse(
                                "invalid_expand_param",
                                name,
                                format!(
                                    "unknown {name} value {item:?}; allowed: ad, diagnostics, brand, deliveries"
                                ),
                            )
                        })?;
                        expand.insert(expansion);
                    }
                }
                "fields" => {
                    let selected = fields.get_or_insert_with(BTreeSet::new);
                    for item in items(value) {
                        let field = FIELDS.iter().find(|f| **f == item).ok_or_else(|| {
                            refuse(
                                "invalid_fields_param",
                                name,
                                format!("unknown field {item:?}; allowed: {}", FIELDS.join(", ")),
                            )
                        })?;
                        selected.insert(field);
                    }
                }
                _ => {
                    return Err(QueryError {
                        code: "invalid_query_param",
                        issue: Issue::unknown_query_param(name, PARAMS),
                    });
                }
            }
        }
        let wait = match (wait_for_completion.unwrap_or(false), timeout) {
            (true, timeout) => Some(timeout.unwrap_or(DEFAULT_TIMEOUT)),
            (false, None) => None,
            (false, Some(_)) => {
                return Err(refuse(
                    "invalid_timeout_seconds",
                    "timeout_seconds",
                    "timeout_seconds applies only with wait_for_completion=true".into(),
                ));
            }
        };
        Ok(JobQuery {
            wait,
            expand,
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<JobQuery, QueryError> {
        JobQuery::parse(Some(q))
    }

    fn refused(q: &str) -> (&'static str, String) {
        let e = parse(q).expect_err("refused");
        (e.code, e.issue.param)
    }

    #[test]
    fn defaults() {
        assert_eq!(
            JobQuery::parse(None),
            Ok(JobQuery {
                wait: None,
                expand: BTreeSet::new(),
                fields: None
            })
        );
        assert_eq!(parse("wait_for_completion=false").expect("ok").wait, None);
        assert_eq!(
            parse("wait_for_completion=true").expect("ok").wait,
            Some(DEFAULT_TIMEOUT)
        );
    }

    #[test]
    fn timeout_rules() {
        assert_eq!(
            parse("wait_for_completion=true&timeout_seconds=1")
                .expect("ok")
                .wait,
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            parse("timeout_seconds=30&wait_for_completion=true")
                .expect("ok")
                .wait,
            Some(Duration::from_secs(30))
        );
        for bad in ["0", "31", "-1", "1.5", "ten", ""] {
            let q = format!("wait_for_completion=true&timeout_seconds={bad}");
            assert_eq!(
                refused(&q),
                ("invalid_timeout_seconds", "timeout_seconds".into()),
                "{q}"
            );
        }
        assert_eq!(
            refused("timeout_seconds=5"),
            ("invalid_timeout_seconds", "timeout_seconds".into())
        );
        assert_eq!(
            refused("wait_for_completion=yes"),
            ("invalid_wait_for_completion", "wait_for_completion".into())
        );
    }

    #[test]
    fn expand_and_include_merge() {
        let q = parse("expand=ad&include=diagnostics,brand&expand=ad,").expect("ok");
        assert_eq!(
            q.expand,
            BTreeSet::from([Expansion::Ad, Expansion::Diagnostics, Expansion::Brand])
        );
        assert_eq!(
            parse("expand=ad%2Cdiagnostics").expect("ok").expand.len(),
            2,
            "percent-encoded commas"
        );
        assert_eq!(
            refused("expand=ad,images"),
            ("invalid_expand_param", "expand".into())
        );
        assert_eq!(
            refused("include=AD"),
            ("invalid_expand_param", "include".into())
        );
    }

    #[test]
    fn fields_projection() {
        let q = parse("fields=payload, metadata").expect("ok");
        assert_eq!(q.fields, Some(BTreeSet::from(["payload", "metadata"])));
        assert_eq!(
            refused("fields=payload,secret"),
            ("invalid_fields_param", "fields".into())
        );
        assert_eq!(
            refused("fields=ad"),
            ("invalid_fields_param", "fields".into())
        );
    }

    #[test]
    fn unknown_parameters_are_named() {
        assert_eq!(
            refused("wait_for_complete=true"),
            ("invalid_query_param", "wait_for_complete".into())
        );
        // Found by fuzzing: a nameless parameter was refused with an empty `param`.
        assert_eq!(refused("=5"), ("invalid_query_param", "query".into()));
    }
}
