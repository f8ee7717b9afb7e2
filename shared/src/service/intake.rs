//! Intake (spec §10): upstream pipelines in the deploying account submit through a queue
//! instead of HTTP. A message `{ "org_id", "idempotency_key", "request" }` goes through the
//! same validation, idempotency scope (organisation, endpoint) and job creation as
//! `POST /api/v1/images/generations` — the submission service itself. A message that can
//! never succeed is not lost: it goes to the intake dead-letter queue with the error envelope
//! of spec §1 in its `adgen-error` attribute, and a `job.rejected` event is put on the bus.
//! A failure on our side (a store, a queue) leaves the message for redelivery instead.

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::Principal;
use crate::contract::generation::GenerationRequest;
use crate::contract::{Issue, RequestId};
use crate::http::ApiError;
use crate::http::error::ErrorType;
use crate::idempotency::parse_key;
use crate::ports::{BusEvent, EventBus, PortError, RejectQueue};
use crate::service::submit::{SubmitError, SubmitOutcome, SubmitService};
use crate::webhooks::event::EventRef;

/// What became of one intake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    /// A job was created, or an earlier message with the same key created it.
    Accepted { job_id: Uuid, replayed: bool },
    /// Refused for good: dead-lettered with this error envelope.
    Rejected { envelope: String },
    /// A failure on our side: leave the message for redelivery.
    Retry(String),
}

pub struct Intake {
    pub submit: Arc<SubmitService>,
    pub rejects: Arc<dyn RejectQueue>,
    pub bus: Option<Arc<dyn EventBus>>,
}

/// A message refused before submission: what could be read of its organisation and key (for
/// the `job.rejected` event), and why.
struct Refused {
    org_id: Option<Uuid>,
    key: Option<String>,
    error: ApiError,
}

fn refused(org_id: Option<Uuid>, key: Option<String>, error: ApiError) -> Box<Refused> {
    Box::new(Refused { org_id, key, error })
}

/// A message's fields, once checked.
struct Message {
    org_id: Uuid,
    key: String,
    request: GenerationRequest,
}

impl Intake {
    pub async fn handle(&self, body: &str) -> IntakeOutcome {
        let request_id = RequestId::new();
        let received_at = self.submit.clock.now();
        let parsed = read_message(body);
        let (org_id, key) = match &parsed {
            Ok(m) => (Some(m.org_id), Some(m.key.clone())),
            Err(r) => (r.org_id, r.key.clone()),
        };
        let refused: ApiError = match parsed {
            Err(r) => r.error,
            Ok(message) => {
                let principal = Principal {
                    org_id: message.org_id,
                };
                match self
                    .submit
                    .submit(
                        principal,
                        Some(&message.key),
                        message.request,
                        &request_id,
                        received_at,
                    )
                    .await
                {
                    Ok(outcome) => return accepted(outcome),
                    Err(e) => e.into(),
                }
            }
        };
        // Ours to retry: a dependency failed, or the same key is being processed right now.
        if refused.status.is_server_error() || refused.code == "idempotency_key_in_use" {
            return IntakeOutcome::Retry(format!(
                "{}: {}",
                refused.code,
                refused.cause.as_deref().unwrap_or(&refused.message)
            ));
        }
        let envelope =
            String::from_utf8_lossy(refused.into_response(&request_id).body()).into_owned();
        match self
            .reject(body, &envelope, org_id, key.as_deref(), received_at)
            .await
        {
            Ok(()) => IntakeOutcome::Rejected { envelope },
            Err(e) => IntakeOutcome::Retry(e.to_string()),
        }
    }

    /// The `job.rejected` event (same id for a redelivered message), then the dead letter.
    async fn reject(
        &self,
        body: &str,
        envelope: &str,
        org_id: Option<Uuid>,
        key: Option<&str>,
        now: crate::UnixSeconds,
    ) -> Result<(), PortError> {
        if let (Some(bus), Some(org_id)) = (&self.bus, org_id) {
            let error = serde_json::from_str::<Value>(envelope)
                .ok()
                .and_then(|v| v.get("error").cloned())
                .unwrap_or(Value::Null);
            let event = EventRef::rejected(org_id, key.unwrap_or(""), now);
            let detail = event.document(json!({
                "org_id": org_id,
                "idempotency_key": key,
                "error": error,
            }));
            bus.publish(&BusEvent {
                detail_type: event.event_type.as_str(),
                detail: detail.to_string(),
            })
            .await?;
        }
        self.rejects.reject(body, envelope).await?;
        tracing::info!(org_id = ?org_id, "intake message rejected to the dead-letter queue");
        Ok(())
    }
}

fn accepted(outcome: SubmitOutcome) -> IntakeOutcome {
    let (stored, replayed) = match outcome {
        SubmitOutcome::Created(stored) => (stored, false),
        SubmitOutcome::Replayed(stored) => (stored, true),
    };
    let job_id = serde_json::from_slice::<Value>(&stored.body)
        .ok()
        .and_then(|v| {
            v.pointer("/data/job_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .and_then(|id| Uuid::try_parse(&id).ok())
        .unwrap_or_default();
    tracing::info!(%job_id, replayed, "intake message accepted");
    IntakeOutcome::Accepted { job_id, replayed }
}

const MESSAGE_FIELDS: &[&str] = &["org_id", "idempotency_key", "request"];

/// The message's three fields; on a refusal, what could be read of the organisation and key
/// (for the `job.rejected` event) and the error.
fn read_message(body: &str) -> Result<Message, Box<Refused>> {
    let invalid = |issues: Vec<Issue>| ApiError::invalid("invalid_intake_message", issues);
    let value: Value = serde_json::from_str(body).map_err(|e| {
        refused(
            None,
            None,
            ApiError::new(
                http::StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                "invalid_json_body",
                format!("the message is not valid JSON: {e}"),
            ),
        )
    })?;
    let Value::Object(fields) = value else {
        return Err(refused(
            None,
            None,
            invalid(vec![Issue::new(
                "body",
                "invalid_type",
                "the message must be a JSON object with org_id, idempotency_key and request",
            )]),
        ));
    };
    let mut issues = Vec::new();
    for name in fields
        .keys()
        .filter(|k| !MESSAGE_FIELDS.contains(&k.as_str()))
    {
        issues.push(Issue::new(
            name.as_str(),
            "unknown_field",
            format!("unknown field `{name}`; allowed fields: org_id, idempotency_key, request"),
        ));
    }
    let org_id = fields
        .get("org_id")
        .and_then(Value::as_str)
        .and_then(|text| Uuid::try_parse(text).ok());
    if org_id.is_none() {
        issues.push(Issue::new(
            "org_id",
            "invalid_org_id",
            "org_id is required: the UUID of the organisation the job belongs to",
        ));
    }
    let key = fields
        .get("idempotency_key")
        .and_then(Value::as_str)
        .and_then(|text| parse_key(text.as_bytes()))
        .map(str::to_owned);
    if key.is_none() {
        issues.push(Issue::new(
            "idempotency_key",
            "invalid_idempotency_key",
            "idempotency_key is required: 1 to 255 printable ASCII characters",
        ));
    }
    let request = match fields.get("request") {
        Some(request @ Value::Object(_)) => Some(request.to_string()),
        _ => {
            issues.push(Issue::new(
                "request",
                "required",
                "request is required: the body of POST /api/v1/images/generations",
            ));
            None
        }
    };
    let (Some(org_id), Some(key), Some(request)) = (org_id, key.clone(), request) else {
        return Err(refused(org_id, key, invalid(issues)));
    };
    if !issues.is_empty() {
        return Err(refused(Some(org_id), Some(key), invalid(issues)));
    }
    // Reference images by URL are fetched by the worker under the production rules.
    match GenerationRequest::parse_with(request.as_bytes(), false) {
        Ok(request) => Ok(Message {
            org_id,
            key,
            request,
        }),
        Err(e) => {
            let mut error: ApiError = SubmitError::from(e).into();
            // Inside the message, the request's fields sit under `request`.
            error.param = error.param.map(|p| format!("request.{p}").into_boxed_str());
            for issue in &mut error.issues {
                issue.param = format!("request.{}", issue.param);
            }
            Err(refused(Some(org_id), Some(key), error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> ApiError {
        match read_message(body) {
            Err(r) => r.error,
            Ok(_) => panic!("accepted {body}"),
        }
    }

    #[test]
    fn messages_are_checked_field_by_field() {
        let e = refusal("not json");
        assert_eq!(e.code, "invalid_json_body");
        let e = refusal(r#"{"org_id":"x","extra":1}"#);
        let params: Vec<&str> = e.issues.iter().map(|i| i.param.as_str()).collect();
        assert_eq!(params, ["extra", "org_id", "idempotency_key", "request"]);
        let e = refusal(
            r#"{"org_id":"6f1c2a57-8b1e-4c1e-9a5e-2f0f3c8b9d10","idempotency_key":"k","request":{"prompt":""}}"#,
        );
        assert_eq!(e.param.as_deref(), Some("request.prompt"));
        assert!(read_message(
            r#"{"org_id":"6f1c2a57-8b1e-4c1e-9a5e-2f0f3c8b9d10","idempotency_key":"k","request":{"prompt":"a sale"}}"#
        )
        .is_ok());
    }
}
