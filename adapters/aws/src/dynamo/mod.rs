//! Every record in one DynamoDB table.
//!
//! Table: partition key `pk` (S), sort key `sk` (S); GSI `gsi1` (`gsi1pk`, `gsi1sk`, all
//! attributes projected) for listings by creation time (an organisation's brands and webhook
//! endpoints, an endpoint's deliveries); sparse GSI `gsi2` (`gsi2pk`, `gsi2sk`, all attributes
//! projected) with three kinds of partition: `ACTIVE` (non-terminal jobs by last update, for
//! the sweep), `OUTBOX` (terminal jobs whose events were not yet dispatched, by last update)
//! and `JOB#<job_id>#DELIVERIES` (a job's webhook deliveries by creation time); TTL attribute
//! `expires_at` (N, unix seconds). TTL deletes lazily, so expiry is always judged from the
//! item's own `expires_at`.
//!
//! | record      | pk                          | sk         | other attributes |
//! |-------------|-----------------------------|------------|------------------|
//! | API key     | `APIKEY#<key_hash>`         | `APIKEY`   | org_id, state (`active`/`disabled`/`revoked`), created_at |
//! | job         | `JOB#<job_id>`              | `JOB`      | org_id, status, enqueued (BOOL), events_dispatched (BOOL), created_at, updated_at, lease_owner + lease_until (N) (both absent without a lease), claims (N), doc (JSON of `Job`); while queued/processing gsi2pk `ACTIVE`, once completed/failed and until dispatched gsi2pk `OUTBOX`, either with gsi2sk `<updated_at:012>#<job_id>` |
//! | idempotency | `IDEM#<scope.storage_key()>`| `IDEM`     | org_id, endpoint, key_hash, fingerprint, token, job_id, state (`in_progress`/`completed`), created_at, lock_until, expires_at; once completed resp_status (N), resp_request_id, resp_location, resp_body (B) |
//! | brand       | `BRAND#<brand_id>`          | `BRAND`    | org_id, created_at, doc (JSON of `Brand`), gsi1pk `ORG#<org>#BRANDS`, gsi1sk `<created_at:012>#<brand_id>` |
//! | webhook     | `WEBHOOK#<endpoint_id>`     | `WEBHOOK`  | org_id, version (N), created_at, doc (JSON of `Endpoint`), gsi1pk `ORG#<org>#WEBHOOKS`, gsi1sk `<created_at:012>#<endpoint_id>` |
//! | upload      | `UPLOAD#<upl_id>`           | `UPLOAD`   | org_id, content_type, size_bytes (N), created_at, expires_at (created_at + 24 h); used_by (the job or brand id) once used |
//! | rate limit  | `RATE#<key_hash>`           | `<second:012>` | count (N), expires_at (second + 120) |
//! | delivery    | `DELIVERY#<delivery_id>`    | `DELIVERY` | org_id, version (N), created_at, expires_at (created_at + 30 days), doc (JSON of `Delivery`), gsi1pk `WEBHOOK#<endpoint_id>#DELIVERIES`, gsi1sk `<created_at:012>#<delivery_id>`; for a job's event also gsi2pk `JOB#<job_id>#DELIVERIES`, gsi2sk the same as gsi1sk |
//!
//! A job's `status`, `enqueued`, `events_dispatched`, `updated_at`, lease and `claims` live
//! beside its `doc` so that later changes are single-attribute conditional updates; when they
//! differ, the top-level attributes win. Every write that changes `updated_at` of a queued or
//! processing job also moves its `gsi2sk`; a write that ends the job (a whole-item put) moves
//! it to `OUTBOX`, and marking its events dispatched drops `gsi2pk`/`gsi2sk`.
//!
//! Webhook endpoints and deliveries are whole-item puts conditional on the stored `version`
//! (the one the change was made from) and `org_id`; their `doc` is the whole record.
//!
//! Every expression names attributes through `#name` placeholders (several of ours, such as
//! `state` and `token`, are DynamoDB reserved words); `item::names` derives the placeholder
//! map from the expression text, so a placeholder can never be missing or unused.
//!
//! One module per port (`jobs`, `idempotency`, `keys_brands`, `ratelimit`, `webhooks`,
//! `deliveries`, `uploads`) over the shared attribute helpers of `item`.

mod deliveries;
mod idempotency;
mod item;
mod jobs;
mod keys_brands;
mod ratelimit;
mod uploads;
mod webhooks;

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ReturnValuesOnConditionCheckFailure, ScalarAttributeType, Select,
    TimeToLiveSpecification,
};

use adgen::ports::PortError;
use item::{
    EXPIRES_AT, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, Item, PK, SK, Write, conditional,
    dynamo_err, key, names,
};

/// How long [`create_table`] waits for a new table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// API keys, jobs, idempotency records, brands, webhook endpoints and deliveries, all in one
/// table through one client.
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

    /// One page of a listing on `index`: the items matching `key_condition` (and `filter`,
    /// when given), newest first, skipping `offset`, at most `limit`; with the total of them
    /// (`Select=COUNT`, which applies the filter too). Offsets are capped by the contract, so
    /// the skipped items are simply read past with the index's own pagination.
    async fn list_newest(
        &self,
        index: &str,
        key_condition: &str,
        filter: Option<&str>,
        values: Item,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Item>, usize), PortError> {
        let expressions: Vec<&str> = [Some(key_condition), filter]
            .into_iter()
            .flatten()
            .collect();
        let query = || {
            self.client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(key_condition)
                .set_filter_expression(filter.map(str::to_owned))
                .set_expression_attribute_names(Some(names(&expressions)))
                .set_expression_attribute_values(Some(values.clone()))
        };
        let mut total_count = 0usize;
        let mut start = None;
        loop {
            let page = query()
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(dynamo_err)?;
            total_count += usize::try_from(page.count()).unwrap_or(0);
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        let wanted = offset.saturating_add(limit);
        let mut items: Vec<Item> = Vec::new();
        let mut start = None;
        while items.len() < wanted {
            // `Limit` counts items read before the filter: a filtered page may come up short,
            // and the loop goes on from where it stopped.
            let page = query()
                .scan_index_forward(false)
                .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(dynamo_err)?;
            items.extend(page.items().iter().cloned());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        let page = items.into_iter().skip(offset).take(limit).collect();
        Ok((page, total_count))
    }
}

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
        // Some emulator builds lack TTL; nothing relies on TTL deleting items (expiry is
        // judged from `expires_at`), so the table is still usable.
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
