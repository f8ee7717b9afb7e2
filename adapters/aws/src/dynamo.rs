//! Every record in one DynamoDB table.
//!
//! Table: partition key `pk` (S), sort key `sk` (S); GSI `gsi1` (`gsi1pk`, `gsi1sk`, all
//! attributes projected) for per-organisation listings; sparse GSI `gsi2` (`gsi2pk`, `gsi2sk`,
//! all attributes projected) holding only non-terminal jobs, by last update, for the sweep; TTL
//! attribute `expires_at` (N, unix seconds). TTL deletes lazily, so expiry is always judged from
//! the item's own `expires_at`.
//!
//! | record      | pk                          | sk       | other attributes |
//! |-------------|-----------------------------|----------|------------------|
//! | API key     | `APIKEY#<key_hash>`         | `APIKEY` | org_id, state (`active`/`disabled`/`revoked`), created_at |
//! | job         | `JOB#<job_id>`              | `JOB`    | org_id, status, enqueued (BOOL), created_at, updated_at, lease_owner + lease_until (N) (both absent without a lease), claims (N), doc (JSON of `Job`), gsi1pk `ORG#<org>#JOBS`, gsi1sk `<created_at:012>#<job_id>`; only while queued/processing gsi2pk `ACTIVE`, gsi2sk `<updated_at:012>#<job_id>` |
//! | idempotency | `IDEM#<scope.storage_key()>`| `IDEM`   | org_id, endpoint, key_hash, fingerprint, token, job_id, state (`in_progress`/`completed`), created_at, lock_until, expires_at; once completed resp_status (N), resp_request_id, resp_location, resp_body (B) |
//! | brand       | `BRAND#<brand_id>`          | `BRAND`  | org_id, created_at, doc (JSON of `Brand`), gsi1pk `ORG#<org>#BRANDS`, gsi1sk `<created_at:012>#<brand_id>` |
//!
//! A job's `status`, `enqueued`, `updated_at`, lease and `claims` live beside its `doc` so that
//! later changes are single-attribute conditional updates; when they differ, the top-level
//! attributes win. Every write that changes `updated_at` of a queued or processing job also
//! moves its `gsi2sk`; a write that ends the job (a whole-item put) drops `gsi2pk`/`gsi2sk`.
//!
//! Every expression names attributes through `#name` placeholders (several of ours, such as
//! `state` and `token`, are DynamoDB reserved words); [`names`] derives the placeholder map
//! from the expression text, so a placeholder can never be missing or unused.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ReturnValue, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType, TimeToLiveSpecification,
};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::unavailable;
use adgen::UnixSeconds;
use adgen::auth::{ApiKeyRecord, KeyState};
use adgen::brands::Brand;
use adgen::idempotency::{IdempotencyRecord, IdempotencyScope, IdempotencyState, StoredResponse};
use adgen::jobs::{Job, JobLease, JobStatus};
use adgen::ports::{
    ApiKeyStore, BrandStore, Claim, CreateJob, IdempotencyStore, JobStore, PortError,
};

const PK: &str = "pk";
const SK: &str = "sk";
const GSI1: &str = "gsi1";
const GSI1PK: &str = "gsi1pk";
const GSI1SK: &str = "gsi1sk";
const GSI2: &str = "gsi2";
const GSI2PK: &str = "gsi2pk";
const GSI2SK: &str = "gsi2sk";
const EXPIRES_AT: &str = "expires_at";

const APIKEY_SK: &str = "APIKEY";
const JOB_SK: &str = "JOB";
const IDEM_SK: &str = "IDEM";
const BRAND_SK: &str = "BRAND";

const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";
/// `gsi2pk` of every queued or processing job.
const ACTIVE: &str = "ACTIVE";

/// Condition of every idempotency write after the insert: `:token` still owns the attempt.
const OWNED: &str = "#token = :token AND #state = :in_progress";

/// A job no worker may hold at `:now`: queued, or processing under a lease that has expired
/// (see [`claimable_values`]). A processing job without `lease_until` never matches.
const CLAIMABLE: &str = "attribute_exists(#pk) AND \
                         (#status = :queued OR (#status = :processing AND #lease_until <= :now))";

/// How long [`create_table`] waits for a new table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

type Item = HashMap<String, AttributeValue>;

/// API keys, jobs, idempotency records and brands, all in one table through one client.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// One cheap read during a cold start, so that resolving credentials and the first TLS
    /// handshake happen in the init phase instead of on the first request. Failures are only
    /// logged: the first request will surface a real problem with a proper answer.
    pub async fn warm_up(&self) {
        if let Err(e) = self.get_item("WARMUP".to_owned(), "WARMUP", false).await {
            tracing::warn!(error = %e, "DynamoDB warm-up read failed");
        }
    }

    async fn get_item(
        &self,
        pk: String,
        sk: &str,
        consistent: bool,
    ) -> Result<Option<Item>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(dynamo_err)?;
        Ok(output.item)
    }

    /// PutItem, under `condition` when given; a refused write returns the item in the way
    /// (`ALL_OLD`, no extra read).
    async fn put_item(
        &self,
        item: Item,
        condition: Option<&str>,
        values: Item,
    ) -> Result<Write<PutItemOutput>, PortError> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if let Some(condition) = condition {
            request = request
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names(&[condition])))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        // DynamoDB rejects an empty value map.
        if !values.is_empty() {
            request = request.set_expression_attribute_values(Some(values));
        }
        conditional(request.send().await)
    }

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
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(idem_key(scope)))
            .update_expression(update)
            .condition_expression(OWNED)
            .set_expression_attribute_names(Some(names(&[update, OWNED])))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        Ok(matches!(conditional(sent)?, Write::Done(_)))
    }

    /// UpdateItem of job `job_id` under `condition`; the caller adds return values and sends.
    fn update_job(
        &self,
        job_id: Uuid,
        update: &str,
        condition: &str,
        values: Item,
    ) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(job_key(job_id)))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&[update, condition])))
            .set_expression_attribute_values(Some(values))
    }
}

// ---------------------------------------------------------------------------------------------
// API keys

#[async_trait]
impl ApiKeyStore for DynamoStore {
    async fn get(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, PortError> {
        // Eventually consistent: keys change rarely and callers cache them anyway.
        let Some(item) = self
            .get_item(format!("APIKEY#{key_hash}"), APIKEY_SK, false)
            .await?
        else {
            return Ok(None);
        };
        let f = Fields::new(&item, "api key");
        Ok(Some(ApiKeyRecord {
            key_hash: key_hash.to_owned(),
            org_id: f.uuid("org_id")?,
            state: KeyState::parse(f.s("state")?).ok_or_else(|| f.corrupt("unknown state"))?,
            created_at: f.n("created_at")?,
        }))
    }

    async fn put(&self, record: &ApiKeyRecord) -> Result<(), PortError> {
        let mut item = key(format!("APIKEY#{}", record.key_hash), APIKEY_SK);
        item.extend(attrs([
            ("org_id", text(record.org_id.to_string())),
            ("state", text(record.state.as_str())),
            ("created_at", num(record.created_at)),
        ]));
        self.put_item(item, None, Item::new()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Jobs

#[async_trait]
impl JobStore for DynamoStore {
    async fn create(&self, job: &Job) -> Result<CreateJob, PortError> {
        let written = self
            .put_item(
                job_item(job)?,
                Some("attribute_not_exists(#pk)"),
                Item::new(),
            )
            .await?;
        match written {
            Write::Done(_) => Ok(CreateJob::Created),
            Write::Refused(Some(old)) => Ok(CreateJob::Exists(Box::new(job_from_item(&old)?))),
            Write::Refused(None) => Err(PortError::Corrupt(
                "job",
                "existing job not returned".into(),
            )),
        }
    }

    async fn get(&self, job_id: Uuid) -> Result<Option<Job>, PortError> {
        // Consistent: a job is read right after the submission that wrote it.
        self.get_item(format!("JOB#{job_id}"), JOB_SK, true)
            .await?
            .map(|item| job_from_item(&item))
            .transpose()
    }

    async fn mark_enqueued(&self, job_id: Uuid, now: UnixSeconds) -> Result<(), PortError> {
        // A queued or processing job moves in `gsi2` with its new `updated_at`. One a fast
        // worker finished already must stay out of that index, so it gets the plain update.
        let active =
            "SET #enqueued = :true, #updated_at = :now, #gsi2pk = :active, #gsi2sk = :gsi2sk";
        let active_condition = "#status IN (:queued, :processing)";
        let enqueued = attrs([(":true", AttributeValue::Bool(true)), (":now", num(now))]);
        let mut values = enqueued.clone();
        values.extend(attrs([
            (":active", text(ACTIVE)),
            (":gsi2sk", text(listing_sort_key(now, job_id))),
            (":queued", text(JobStatus::Queued.as_str())),
            (":processing", text(JobStatus::Processing.as_str())),
        ]));
        let sent = self
            .update_job(job_id, active, active_condition, values)
            .send()
            .await;
        if let Write::Done(_) = conditional(sent)? {
            return Ok(());
        }
        // Finished already (or missing). The condition keeps a stray update from creating a
        // bare item for a missing job.
        let plain = "SET #enqueued = :true, #updated_at = :now";
        let condition = "attribute_exists(#pk)";
        let sent = self
            .update_job(job_id, plain, condition, enqueued)
            .send()
            .await;
        match conditional(sent)? {
            Write::Done(_) => Ok(()),
            Write::Refused(_) => Err(PortError::Corrupt(
                "job",
                format!("job {job_id} does not exist"),
            )),
        }
    }

    async fn claim(
        &self,
        job_id: Uuid,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
    ) -> Result<Claim, PortError> {
        let update = "SET #status = :processing, #lease_owner = :owner, #lease_until = :until, \
                      #claims = if_not_exists(#claims, :zero) + :one, #updated_at = :now, \
                      #gsi2pk = :active, #gsi2sk = :gsi2sk";
        let mut values = claimable_values(now);
        values.extend(attrs([
            (":owner", text(owner)),
            (":until", num(lease_until)),
            (":zero", num(0)),
            (":one", num(1)),
            (":active", text(ACTIVE)),
            (":gsi2sk", text(listing_sort_key(now, job_id))),
        ]));
        let sent = self
            .update_job(job_id, update, CLAIMABLE, values)
            .return_values(ReturnValue::AllNew)
            // A refusal says why through the item in the way: no extra read.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional(sent)? {
            Write::Done(output) => {
                let claimed = output
                    .attributes
                    .ok_or_else(|| PortError::Corrupt("job", "claimed job not returned".into()))?;
                Ok(Claim::Claimed(Box::new(job_from_item(&claimed)?)))
            }
            Write::Refused(None) => Ok(Claim::Missing),
            Write::Refused(Some(old)) => {
                if job_status(&Fields::new(&old, "job"))?.is_terminal() {
                    Ok(Claim::Finished)
                } else {
                    Ok(Claim::HeldByOther)
                }
            }
        }
    }

    async fn save_leased(&self, job: &Job, owner: &str) -> Result<bool, PortError> {
        let condition = "#status = :processing AND #lease_owner = :owner";
        let values = attrs([
            (":processing", text(JobStatus::Processing.as_str())),
            (":owner", text(owner)),
        ]);
        let written = self
            .put_item(job_item(job)?, Some(condition), values)
            .await?;
        Ok(matches!(written, Write::Done(_)))
    }

    async fn save_abandoned(&self, job: &Job, now: UnixSeconds) -> Result<bool, PortError> {
        let written = self
            .put_item(job_item(job)?, Some(CLAIMABLE), claimable_values(now))
            .await?;
        Ok(matches!(written, Write::Done(_)))
    }

    async fn list_stale(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        // `gsi2` is eventually consistent: a job may be listed a moment after it finished or
        // was re-claimed, or missed until the next sweep. That is fine: the sweep re-judges
        // every job it acts on through a conditional write (`claim`, `save_abandoned`).
        let condition = "#gsi2pk = :active AND #gsi2sk <= :upper";
        let values = attrs([
            (":active", text(ACTIVE)),
            (":upper", text(stale_upper_bound(updated_before))),
        ]);
        let mut jobs = Vec::new();
        let mut start = None;
        while jobs.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI2)
                .key_condition_expression(condition)
                .set_expression_attribute_names(Some(names(&[condition])))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(true)
                .limit(i32::try_from(limit - jobs.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(dynamo_err)?;
            // One unreadable job must not stop the sweep for all the others.
            jobs.extend(page.items().iter().filter_map(|item| {
                job_from_item(item)
                    .inspect_err(|e| tracing::error!(error = %e, "stale job unreadable; skipped"))
                    .ok()
            }));
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(jobs)
    }
}

fn job_key(job_id: Uuid) -> Item {
    key(format!("JOB#{job_id}"), JOB_SK)
}

/// The values [`CLAIMABLE`] names.
fn claimable_values(now: UnixSeconds) -> Item {
    attrs([
        (":queued", text(JobStatus::Queued.as_str())),
        (":processing", text(JobStatus::Processing.as_str())),
        (":now", num(now)),
    ])
}

fn job_item(job: &Job) -> Result<Item, PortError> {
    let doc = serde_json::to_string(job)
        .map_err(|e| PortError::Corrupt("job", format!("serializing: {e}")))?;
    let mut item = job_key(job.id);
    item.extend(attrs([
        ("org_id", text(job.org_id.to_string())),
        ("status", text(job.status.as_str())),
        ("enqueued", AttributeValue::Bool(job.enqueued)),
        ("created_at", num(job.created_at)),
        ("updated_at", num(job.updated_at)),
        ("claims", num(job.claims.into())),
        ("doc", text(doc)),
        (GSI1PK, text(format!("ORG#{}#JOBS", job.org_id))),
        (GSI1SK, text(listing_sort_key(job.created_at, job.id))),
    ]));
    if let Some(lease) = &job.lease {
        item.extend(attrs([
            ("lease_owner", text(&lease.owner)),
            ("lease_until", num(lease.until)),
        ]));
    }
    // Sparse: a finished job leaves the sweep's index.
    if !job.status.is_terminal() {
        item.extend(attrs([
            (GSI2PK, text(ACTIVE)),
            (GSI2SK, text(listing_sort_key(job.updated_at, job.id))),
        ]));
    }
    Ok(item)
}

fn job_from_item(item: &Item) -> Result<Job, PortError> {
    let f = Fields::new(item, "job");
    let mut job: Job = f.json("doc")?;
    // Updates touch these attributes, never `doc`: they are the truth.
    job.status = job_status(&f)?;
    job.enqueued = f.flag("enqueued")?;
    job.updated_at = f.n("updated_at")?;
    job.lease = match (f.has("lease_owner"), f.has("lease_until")) {
        (true, true) => Some(JobLease {
            owner: f.s("lease_owner")?.to_owned(),
            until: f.n("lease_until")?,
        }),
        (false, false) => None,
        _ => return Err(f.corrupt("lease_owner and lease_until not both present")),
    };
    // Items written before claims were counted have none: never claimed.
    job.claims = if f.has("claims") {
        u32::try_from(f.n("claims")?).map_err(|_| f.corrupt("claims out of range"))?
    } else {
        0
    };
    Ok(job)
}

fn job_status(f: &Fields<'_>) -> Result<JobStatus, PortError> {
    JobStatus::parse(f.s("status")?).ok_or_else(|| f.corrupt("unknown status"))
}

// ---------------------------------------------------------------------------------------------
// Idempotency

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn insert(
        &self,
        record: &IdempotencyRecord,
        now: UnixSeconds,
    ) -> Result<Option<IdempotencyRecord>, PortError> {
        // An expired record still in the table (TTL sweeps late) counts as absent.
        let condition = "attribute_not_exists(#pk) OR #expires_at <= :now";
        let written = self
            .put_item(
                idem_item(record),
                Some(condition),
                attrs([(":now", num(now))]),
            )
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
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(idem_key(scope)))
            .condition_expression(OWNED)
            .set_expression_attribute_names(Some(names(&[OWNED])))
            .set_expression_attribute_values(Some(owned_values(token)))
            .send()
            .await;
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

// ---------------------------------------------------------------------------------------------
// Brands

#[async_trait]
impl BrandStore for DynamoStore {
    async fn get(&self, org_id: Uuid, brand_id: Uuid) -> Result<Option<Brand>, PortError> {
        let Some(item) = self
            .get_item(format!("BRAND#{brand_id}"), BRAND_SK, true)
            .await?
        else {
            return Ok(None);
        };
        let f = Fields::new(&item, "brand");
        // Another organisation's brand must look exactly like a missing one.
        if f.uuid("org_id")? != org_id {
            return Ok(None);
        }
        f.json("doc").map(Some)
    }

    async fn put(&self, brand: &Brand) -> Result<(), PortError> {
        let doc = serde_json::to_string(brand)
            .map_err(|e| PortError::Corrupt("brand", format!("serializing: {e}")))?;
        let mut item = key(format!("BRAND#{}", brand.id), BRAND_SK);
        item.extend(attrs([
            ("org_id", text(brand.org_id.to_string())),
            ("created_at", num(brand.created_at)),
            ("doc", text(doc)),
            (GSI1PK, text(format!("ORG#{}#BRANDS", brand.org_id))),
            (GSI1SK, text(listing_sort_key(brand.created_at, brand.id))),
        ]));
        self.put_item(item, None, Item::new()).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Table provisioning

/// Creates the table with the layout above (on-demand billing, GSIs `gsi1` and `gsi2`) and
/// turns TTL on for `expires_at`. For tests and `adgen` dev tooling that provision emulator
/// tables (DynamoDB Local); in AWS the SAM template owns the table. An existing table is left
/// as it is (an older one without `gsi2` included: recreate it).
pub async fn create_table(client: &Client, table: &str) -> Result<(), PortError> {
    let string_attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(dynamo_err)
    };
    let key_part = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(dynamo_err)
    };
    let index = |name: &str, pk: &str, sk: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key_part(pk, KeyType::Hash)?)
            .key_schema(key_part(sk, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(dynamo_err)
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attr(PK)?)
        .attribute_definitions(string_attr(SK)?)
        .attribute_definitions(string_attr(GSI1PK)?)
        .attribute_definitions(string_attr(GSI1SK)?)
        .attribute_definitions(string_attr(GSI2PK)?)
        .attribute_definitions(string_attr(GSI2SK)?)
        .key_schema(key_part(PK, KeyType::Hash)?)
        .key_schema(key_part(SK, KeyType::Range)?)
        .global_secondary_indexes(index(GSI1, GSI1PK, GSI1SK)?)
        .global_secondary_indexes(index(GSI2, GSI2PK, GSI2SK)?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(CreateTableError::ResourceInUseException(_))
            ) =>
        {
            return Ok(());
        }
        Err(err) => return Err(dynamo_err(err)),
    }
    // Real DynamoDB creates tables asynchronously and refuses TTL changes until it is done.
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(TABLE_ACTIVE_TIMEOUT)
        .await
        .map_err(dynamo_err)?;

    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(EXPIRES_AT)
        .enabled(true)
        .build()
        .map_err(dynamo_err)?;
    match client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // Some emulator builds lack TTL; nothing relies on the sweep (expiry is judged from
        // `expires_at`), so the table is still usable.
        Err(err) if err.message().is_some_and(says_unsupported) => {
            tracing::warn!(table, error = %aws_sdk_dynamodb::error::DisplayErrorContext(&err), "TTL not supported here; left off");
            Ok(())
        }
        Err(err) => Err(dynamo_err(err)),
    }
}

fn says_unsupported(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("not supported") || message.contains("unsupported")
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn dynamo_err(err: impl std::error::Error) -> PortError {
    unavailable("dynamodb", err)
}

fn key(pk: String, sk: &str) -> Item {
    attrs([(PK, AttributeValue::S(pk)), (SK, text(sk))])
}

/// `<at, 12 digits>#<id>`: lists sort by that time (creation in `gsi1`, last update in
/// `gsi2`), ties by id.
fn listing_sort_key(at: UnixSeconds, id: Uuid) -> String {
    format!("{at:012}#{id}")
}

/// The greatest `gsi2sk` of a job last updated at or before `updated_before`: `~` sorts after
/// every character of a job id, so every job of that second is in.
fn stale_upper_bound(updated_before: UnixSeconds) -> String {
    format!("{updated_before:012}#~")
}

fn attrs<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn num(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// `#name` → `name` for every placeholder in `expressions`.
fn names(expressions: &[&str]) -> HashMap<String, String> {
    let mut found = BTreeSet::new();
    for expression in expressions {
        for (i, _) in expression.match_indices('#') {
            let rest = &expression[i + 1..];
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            found.insert(&rest[..len]);
        }
    }
    found
        .into_iter()
        .map(|name| (format!("#{name}"), name.to_owned()))
        .collect()
}

/// The outcome of a write that may carry a condition.
enum Write<T> {
    /// The write went through; the operation's output.
    Done(T),
    /// The condition failed; the item in the way, when the request asked for it.
    Refused(Option<Item>),
}

/// The operation errors that can report a failed condition.
trait ConditionalError: std::error::Error + Sized {
    fn is_condition_failure(&self) -> bool;
    fn into_old_item(self) -> Option<Item>;
}

macro_rules! conditional_error {
    ($($error:ty),*) => {$(
        impl ConditionalError for $error {
            fn is_condition_failure(&self) -> bool {
                matches!(self, Self::ConditionalCheckFailedException(_))
            }
            fn into_old_item(self) -> Option<Item> {
                match self {
                    Self::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                }
            }
        }
    )*};
}

conditional_error!(PutItemError, UpdateItemError, DeleteItemError);

/// Splits a failed condition (an answer) from every other failure (an outage).
fn conditional<T, E>(sent: Result<T, SdkError<E, HttpResponse>>) -> Result<Write<T>, PortError>
where
    E: ConditionalError + 'static,
{
    match sent {
        Ok(output) => Ok(Write::Done(output)),
        Err(SdkError::ServiceError(failure)) if failure.err().is_condition_failure() => {
            Ok(Write::Refused(failure.into_err().into_old_item()))
        }
        Err(err) => Err(dynamo_err(err)),
    }
}

/// Typed reads of one item's attributes; anything missing or mistyped is `Corrupt`.
struct Fields<'a> {
    item: &'a Item,
    kind: &'static str,
}

impl<'a> Fields<'a> {
    fn new(item: &'a Item, kind: &'static str) -> Self {
        Self { item, kind }
    }

    fn corrupt(&self, reason: impl Into<String>) -> PortError {
        PortError::Corrupt(self.kind, reason.into())
    }

    fn has(&self, name: &str) -> bool {
        self.item.contains_key(name)
    }

    fn get(&self, name: &str) -> Result<&'a AttributeValue, PortError> {
        self.item
            .get(name)
            .ok_or_else(|| self.corrupt(format!("{name} missing")))
    }

    fn s(&self, name: &str) -> Result<&'a str, PortError> {
        self.get(name)?
            .as_s()
            .map(String::as_str)
            .map_err(|_| self.corrupt(format!("{name} is not a string")))
    }

    fn n(&self, name: &str) -> Result<i64, PortError> {
        self.get(name)?
            .as_n()
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| self.corrupt(format!("{name} is not a whole number")))
    }

    fn b(&self, name: &str) -> Result<&'a [u8], PortError> {
        self.get(name)?
            .as_b()
            .map(Blob::as_ref)
            .map_err(|_| self.corrupt(format!("{name} is not binary")))
    }

    fn flag(&self, name: &str) -> Result<bool, PortError> {
        self.get(name)?
            .as_bool()
            .copied()
            .map_err(|_| self.corrupt(format!("{name} is not a boolean")))
    }

    fn uuid(&self, name: &str) -> Result<Uuid, PortError> {
        Uuid::parse_str(self.s(name)?).map_err(|_| self.corrupt(format!("{name} is not a UUID")))
    }

    fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T, PortError> {
        serde_json::from_str(self.s(name)?).map_err(|e| self.corrupt(format!("{name}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_exactly_the_placeholders() {
        let found = names(&[OWNED, "SET #lock_until = :zero, #token=:t"]);
        let mut keys: Vec<_> = found.iter().map(|(k, v)| format!("{k}={v}")).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["#lock_until=lock_until", "#state=state", "#token=token"]
        );
    }

    #[test]
    fn listing_keys_sort_by_time() {
        let id = Uuid::nil();
        assert!(listing_sort_key(999, id) < listing_sort_key(1_000, id));
        assert_eq!(listing_sort_key(5, id).len(), 12 + 1 + 36);
    }

    #[test]
    fn stale_bound_takes_every_job_of_its_second() {
        let upper = stale_upper_bound(1_000);
        assert!(listing_sort_key(1_000, Uuid::max()) <= upper);
        assert!(listing_sort_key(1_001, Uuid::nil()) > upper);
    }
}
