//! Idempotency records ([`IdempotencyStore`]). Every write after the insert is conditional on
//! the caller's token still owning an in-progress attempt, so a taken-over attempt can never
//! complete, release or remove the record under its successor.

use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    CancellationReason, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::DynamoStore;
use super::item::{
    EXPIRES_AT, Fields, Item, Write, attrs, conditional, dynamo_err, key, names, num,
    past_transactions, text,
};
use super::jobs::job_item;
use adgen::UnixSeconds;
use adgen::idempotency::{IdempotencyRecord, IdempotencyScope, IdempotencyState, StoredResponse};
use adgen::jobs::Job;
use adgen::ports::{IdempotencyStore, KeyInsert, PortError};

const IDEM_SK: &str = "IDEM";

const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

/// Condition of the insert: no record, or one whose time is up (TTL deletes late, so an expired
/// record still in the table counts as absent).
const FREE: &str = "attribute_not_exists(#pk) OR #expires_at <= :now";

/// Condition of every idempotency write after the insert: `:token` still owns the attempt.
pub(super) const OWNED: &str = "#token = :token AND #state = :in_progress";

impl DynamoStore {
    /// Applies `update` to the in-progress idempotency record of `scope` if `token` owns it;
    /// false when it does not (or the record is gone or completed).
    async fn update_owned(
        &self,
        scope: &IdempotencyScope,
        token: &str,
        update: &str,
        mut values: Item,
    ) -> Result<bool, PortError> {
        values.extend(owned_values(token));
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(idem_key(scope)))
            .update_expression(update)
            .condition_expression(OWNED)
            .set_expression_attribute_names(Some(names(&[update, OWNED])))
            .set_expression_attribute_values(Some(values));
        let sent = past_transactions(|| request.clone().send()).await;
        Ok(matches!(conditional(sent)?, Write::Done(_)))
    }
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn insert(
        &self,
        record: &IdempotencyRecord,
        now: UnixSeconds,
    ) -> Result<Option<IdempotencyRecord>, PortError> {
        let written = self
            .put_item(idem_item(record), Some(FREE), attrs([(":now", num(now))]))
            .await?;
        match written {
            Write::Done(_) => Ok(None),
            Write::Refused(Some(old)) => idem_from_item(&old).map(Some),
            Write::Refused(None) => Err(PortError::Corrupt(
                "idempotency record",
                "holder not returned".into(),
            )),
        }
    }

    async fn insert_with_job(
        &self,
        record: &IdempotencyRecord,
        job: &Job,
        now: UnixSeconds,
    ) -> Result<KeyInsert, PortError> {
        let claim = Put::builder()
            .table_name(&self.table)
            .set_item(Some(idem_item(record)))
            .condition_expression(FREE)
            .set_expression_attribute_names(Some(names(&[FREE])))
            .set_expression_attribute_values(Some(attrs([(":now", num(now))])))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(dynamo_err)?;
        let new_job = "attribute_not_exists(#pk)";
        let write_job = Put::builder()
            .table_name(&self.table)
            .set_item(Some(job_item(job)?))
            .condition_expression(new_job)
            .set_expression_attribute_names(Some(names(&[new_job])))
            .build()
            .map_err(dynamo_err)?;
        let sent = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(claim).build())
            .transact_items(TransactWriteItem::builder().put(write_job).build())
            // The attempt's token: an SDK retry of a transaction that in fact went through is
            // answered as a success, not refused by the record it wrote itself.
            .client_request_token(&record.token)
            .send()
            .await;
        let canceled = match sent {
            Ok(_) => return Ok(KeyInsert::Inserted),
            Err(SdkError::ServiceError(e)) => match e.into_err() {
                TransactWriteItemsError::TransactionCanceledException(c) => c,
                other => return Err(dynamo_err(other)),
            },
            Err(e) => return Err(dynamo_err(e)),
        };
        let mut reasons = canceled
            .cancellation_reasons
            .unwrap_or_default()
            .into_iter();
        let (key, job_reason) = (reasons.next(), reasons.next());
        let code = |r: &Option<CancellationReason>| r.as_ref().and_then(|r| r.code.clone());
        match (code(&key).as_deref(), code(&job_reason).as_deref()) {
            (Some("ConditionalCheckFailed"), _) => {
                let holder = key.and_then(|r| r.item).ok_or_else(|| {
                    PortError::Corrupt("idempotency record", "holder not returned".into())
                })?;
                idem_from_item(&holder).map(|h| KeyInsert::Held(Box::new(h)))
            }
            (Some("TransactionConflict"), _) | (_, Some("TransactionConflict")) => {
                Ok(KeyInsert::Contended)
            }
            (_, Some("ConditionalCheckFailed")) => Err(PortError::Corrupt(
                "job",
                format!("job {} exists already", job.id),
            )),
            (a, b) => Err(PortError::Unavailable(
                "dynamodb",
                format!("transaction canceled: {a:?}, {b:?}"),
            )),
        }
    }

    async fn take_over(
        &self,
        scope: &IdempotencyScope,
        previous_token: &str,
        new_token: &str,
        lock_until: UnixSeconds,
    ) -> Result<bool, PortError> {
        let values = attrs([
            (":new_token", text(new_token)),
            (":lock_until", num(lock_until)),
        ]);
        self.update_owned(
            scope,
            previous_token,
            "SET #token = :new_token, #lock_until = :lock_until",
            values,
        )
        .await
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        token: &str,
        response: &StoredResponse,
        expires_at: UnixSeconds,
    ) -> Result<bool, PortError> {
        let update = "SET #state = :completed, #resp_status = :resp_status, \
                      #resp_request_id = :resp_request_id, #resp_location = :resp_location, \
                      #resp_body = :resp_body, #expires_at = :expires_at, #lock_until = :zero";
        let values = attrs([
            (":completed", text(COMPLETED)),
            (":resp_status", num(response.status.into())),
            (":resp_request_id", text(&response.request_id)),
            (":resp_location", text(&response.location)),
            (
                ":resp_body",
                AttributeValue::B(Blob::new(response.body.clone())),
            ),
            (":expires_at", num(expires_at)),
            (":zero", num(0)),
        ]);
        self.update_owned(scope, token, update, values).await
    }

    async fn release(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError> {
        // Not owning the record any more means someone else moved on: nothing to release.
        self.update_owned(
            scope,
            token,
            "SET #lock_until = :zero",
            attrs([(":zero", num(0))]),
        )
        .await?;
        Ok(())
    }

    async fn remove(&self, scope: &IdempotencyScope, token: &str) -> Result<(), PortError> {
        let request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(idem_key(scope)))
            .condition_expression(OWNED)
            .set_expression_attribute_names(Some(names(&[OWNED])))
            .set_expression_attribute_values(Some(owned_values(token)));
        let sent = past_transactions(|| request.clone().send()).await;
        // Refused: another attempt owns the record now, or it completed; it is not ours to delete.
        conditional(sent)?;
        Ok(())
    }
}

fn idem_key(scope: &IdempotencyScope) -> Item {
    key(format!("IDEM#{}", scope.storage_key()), IDEM_SK)
}

fn owned_values(token: &str) -> Item {
    attrs([(":token", text(token)), (":in_progress", text(IN_PROGRESS))])
}

fn idem_item(record: &IdempotencyRecord) -> Item {
    let mut item = idem_key(&record.scope);
    item.extend(attrs([
        ("org_id", text(record.scope.org_id.to_string())),
        ("endpoint", text(&record.scope.endpoint)),
        ("key_hash", text(&record.scope.key_hash)),
        ("fingerprint", text(&record.fingerprint)),
        ("token", text(&record.token)),
        ("job_id", text(record.job_id.to_string())),
        ("created_at", num(record.created_at)),
        ("lock_until", num(record.lock_until)),
        (EXPIRES_AT, num(record.expires_at)),
    ]));
    match &record.state {
        IdempotencyState::InProgress => {
            item.insert("state".into(), text(IN_PROGRESS));
        }
        IdempotencyState::Completed(response) => item.extend(attrs([
            ("state", text(COMPLETED)),
            ("resp_status", num(response.status.into())),
            ("resp_request_id", text(&response.request_id)),
            ("resp_location", text(&response.location)),
            (
                "resp_body",
                AttributeValue::B(Blob::new(response.body.clone())),
            ),
        ])),
    }
    item
}

fn idem_from_item(item: &Item) -> Result<IdempotencyRecord, PortError> {
    let f = Fields::new(item, "idempotency record");
    let state = match f.s("state")? {
        IN_PROGRESS => IdempotencyState::InProgress,
        COMPLETED => IdempotencyState::Completed(StoredResponse {
            status: u16::try_from(f.n("resp_status")?)
                .map_err(|_| f.corrupt("resp_status out of range"))?,
            request_id: f.s("resp_request_id")?.to_owned(),
            location: f.s("resp_location")?.to_owned(),
            body: f.b("resp_body")?.to_vec(),
        }),
        _ => return Err(f.corrupt("unknown state")),
    };
    Ok(IdempotencyRecord {
        scope: IdempotencyScope {
            org_id: f.uuid("org_id")?,
            endpoint: f.s("endpoint")?.to_owned(),
            key_hash: f.s("key_hash")?.to_owned(),
        },
        fingerprint: f.s("fingerprint")?.to_owned(),
        token: f.s("token")?.to_owned(),
        job_id: f.uuid("job_id")?,
        state,
        created_at: f.n("created_at")?,
        lock_until: f.n("lock_until")?,
        expires_at: f.n(EXPIRES_AT)?,
    })
}
