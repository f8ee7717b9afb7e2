//! Jobs ([`JobStore`]). Status, lease and claims change through conditional updates of their
//! own attributes, so two workers can never both hold a job. `gsi2` lists the unfinished ones
//! for the sweep (`ACTIVE`) and, as the outbox, the finished ones whose events were not yet
//! handed on (`OUTBOX`): the write that ends a job puts it there, [`JobStore::mark_dispatched`]
//! takes it out.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use uuid::Uuid;

use super::DynamoStore;
use super::item::{
    Fields, GSI2, GSI2PK, GSI2SK, Item, Write, attrs, conditional, dynamo_err, key,
    listing_sort_key, names, num, stale_upper_bound, text,
};
use adgen::UnixSeconds;
use adgen::jobs::{Job, JobLease, JobStatus};
use adgen::ports::{Claim, CreateJob, JobStore, PortError};

const JOB_SK: &str = "JOB";

/// `gsi2pk` of every queued or processing job.
const ACTIVE: &str = "ACTIVE";

/// `gsi2pk` of every completed or failed job whose events were not yet dispatched.
const OUTBOX: &str = "OUTBOX";

/// A job no worker may hold at `:now`: queued, or processing under a lease that has expired
/// (see [`claimable_values`]). A processing job without `lease_until` never matches.
const CLAIMABLE: &str = "attribute_exists(#pk) AND \
                         (#status = :queued OR (#status = :processing AND #lease_until <= :now))";

impl DynamoStore {
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

    async fn withdraw(&self, job_id: Uuid) -> Result<bool, PortError> {
        // Never claimed: no worker has seen it, so deleting it takes nothing from anyone.
        let condition = "attribute_not_exists(#pk) OR (#status = :queued AND #claims = :zero)";
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(job_key(job_id)))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&[condition])))
            .set_expression_attribute_values(Some(attrs([
                (":queued", text(JobStatus::Queued.as_str())),
                (":zero", num(0)),
            ])))
            .send()
            .await;
        Ok(matches!(conditional(sent)?, Write::Done(_)))
    }

    async fn claim(
        &self,
        job_id: Uuid,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
    ) -> Result<Claim, PortError> {
        let update = "SET #status = :processing, #lease_owner = :owner, #lease_until = :until, \
                      #claims = #claims + :one, #updated_at = :now, \
                      #gsi2pk = :active, #gsi2sk = :gsi2sk";
        let mut values = claimable_values(now);
        values.extend(attrs([
            (":owner", text(owner)),
            (":until", num(lease_until)),
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
        self.list_gsi2(ACTIVE, updated_before, limit).await
    }

    async fn list_undispatched(
        &self,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        // Eventually consistent as well: a job dispatched a moment ago may still be listed.
        // Dispatching is idempotent (stable event and delivery ids), so a second drain only
        // finds what the first one wrote.
        self.list_gsi2(OUTBOX, updated_before, limit).await
    }

    async fn mark_dispatched(&self, job_id: Uuid) -> Result<(), PortError> {
        // The condition keeps a stray update from creating a bare item for a missing job, and
        // from taking a job that is not finished (so not in the outbox) out of the sweep's index.
        let update = "SET #events_dispatched = :true REMOVE #gsi2pk, #gsi2sk";
        let condition = "attribute_exists(#pk) AND #status IN (:completed, :failed)";
        let values = attrs([
            (":true", AttributeValue::Bool(true)),
            (":completed", text(JobStatus::Completed.as_str())),
            (":failed", text(JobStatus::Failed.as_str())),
        ]);
        let sent = self
            .update_job(job_id, update, condition, values)
            .send()
            .await;
        if let Write::Refused(_) = conditional(sent)? {
            tracing::warn!(%job_id, "job missing or not finished; not marked dispatched");
        }
        Ok(())
    }
}

impl DynamoStore {
    /// The jobs of `gsi2` partition `partition` last updated at or before `updated_before`,
    /// oldest first, at most `limit`. An unreadable job is logged and skipped.
    async fn list_gsi2(
        &self,
        partition: &str,
        updated_before: UnixSeconds,
        limit: usize,
    ) -> Result<Vec<Job>, PortError> {
        let condition = "#gsi2pk = :partition AND #gsi2sk <= :upper";
        let values = attrs([
            (":partition", text(partition)),
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
            // One unreadable job must not stop the sweep or the drain for all the others.
            jobs.extend(page.items().iter().filter_map(|item| {
                job_from_item(item)
                    .inspect_err(|e| {
                        tracing::error!(error = %e, partition, "listed job unreadable; skipped");
                    })
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

pub(super) fn job_key(job_id: Uuid) -> Item {
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

pub(super) fn job_item(job: &Job) -> Result<Item, PortError> {
    let doc = serde_json::to_string(job)
        .map_err(|e| PortError::Corrupt("job", format!("serializing: {e}")))?;
    let mut item = job_key(job.id);
    item.extend(attrs([
        ("org_id", text(job.org_id.to_string())),
        ("status", text(job.status.as_str())),
        ("enqueued", AttributeValue::Bool(job.enqueued)),
        (
            "events_dispatched",
            AttributeValue::Bool(job.events_dispatched),
        ),
        ("created_at", num(job.created_at)),
        ("updated_at", num(job.updated_at)),
        ("claims", num(job.claims.into())),
        ("doc", text(doc)),
    ]));
    if let Some(lease) = &job.lease {
        item.extend(attrs([
            ("lease_owner", text(&lease.owner)),
            ("lease_until", num(lease.until)),
        ]));
    }
    // Sparse: a finished job leaves the sweep's partition for the outbox, and leaves the
    // index once its events are dispatched.
    let partition = if !job.status.is_terminal() {
        Some(ACTIVE)
    } else if !job.events_dispatched {
        Some(OUTBOX)
    } else {
        None
    };
    if let Some(partition) = partition {
        item.extend(attrs([
            (GSI2PK, text(partition)),
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
    // Items written before the outbox existed lack it; their `doc` (serde default) decides.
    if f.has("events_dispatched") {
        job.events_dispatched = f.flag("events_dispatched")?;
    }
    job.updated_at = f.n("updated_at")?;
    job.lease = match (f.has("lease_owner"), f.has("lease_until")) {
        (true, true) => Some(JobLease {
            owner: f.s("lease_owner")?.to_owned(),
            until: f.n("lease_until")?,
        }),
        (false, false) => None,
        _ => return Err(f.corrupt("lease_owner and lease_until not both present")),
    };
    job.claims = u32::try_from(f.n("claims")?).map_err(|_| f.corrupt("claims out of range"))?;
    Ok(job)
}

fn job_status(f: &Fields<'_>) -> Result<JobStatus, PortError> {
    JobStatus::parse(f.s("status")?).ok_or_else(|| f.corrupt("unknown status"))
}
