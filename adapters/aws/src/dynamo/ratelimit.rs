//! Rate-limit counters ([`RateLimitStore`], spec §9): one item per API key and second,
//! `pk = RATE#<key_hash>`, `sk = <second, 12 digits>`, `count` (N), `expires_at` (TTL). The
//! window's counters are one strongly consistent `Query` over the key's partition (tiny items:
//! a full minute reads well under one 4 KB unit); an admission is one `UpdateItem` with
//! `ADD count 1` under `attribute_not_exists(count) OR count < :below`, so concurrent
//! instances can never take more than the window leaves in a second.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::DynamoStore;
use super::item::{Fields, SK, Write, attrs, conditional, dynamo_err, key, names, num, text};
use adgen::UnixSeconds;
use adgen::ports::{PortError, RateLimitStore};
use adgen::ratelimit::Slice;

fn partition(key: &str) -> String {
    format!("RATE#{key}")
}

fn slice_key(second: UnixSeconds) -> String {
    format!("{second:012}")
}

fn count_of(fields: &Fields<'_>) -> Result<u32, PortError> {
    u32::try_from(fields.n("count")?).map_err(|_| fields.corrupt("count out of range"))
}

#[async_trait]
impl RateLimitStore for DynamoStore {
    async fn counts(
        &self,
        key: &str,
        from: UnixSeconds,
        to: UnixSeconds,
    ) -> Result<Vec<Slice>, PortError> {
        const CONDITION: &str = "#pk = :pk AND #sk BETWEEN :from AND :to";
        let mut slices = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(CONDITION)
                .set_expression_attribute_names(Some(names(&[CONDITION])))
                .set_expression_attribute_values(Some(attrs([
                    (":pk", text(partition(key))),
                    (":from", text(slice_key(from))),
                    (":to", text(slice_key(to))),
                ])))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(dynamo_err)?;
            for item in page.items() {
                let f = Fields::new(item, "rate-limit counter");
                let second = f
                    .s(SK)?
                    .parse()
                    .map_err(|_| f.corrupt("sort key is not a second"))?;
                slices.push(Slice {
                    second,
                    count: count_of(&f)?,
                });
            }
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        Ok(slices)
    }

    async fn increment_below(
        &self,
        key_hash: &str,
        second: UnixSeconds,
        below: u32,
        expires_at: UnixSeconds,
    ) -> Result<Option<u32>, PortError> {
        const UPDATE: &str = "ADD #count :one SET #expires_at = :expires_at";
        const CONDITION: &str = "attribute_not_exists(#count) OR #count < :below";
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(partition(key_hash), &slice_key(second))))
            .update_expression(UPDATE)
            .condition_expression(CONDITION)
            .set_expression_attribute_names(Some(names(&[UPDATE, CONDITION])))
            .set_expression_attribute_values(Some(attrs([
                (":one", AttributeValue::N("1".into())),
                (":below", num(i64::from(below))),
                (":expires_at", num(expires_at)),
            ])))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match conditional(sent)? {
            Write::Refused(_) => Ok(None),
            Write::Done(output) => {
                let item = output.attributes.unwrap_or_default();
                count_of(&Fields::new(&item, "rate-limit counter")).map(Some)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_sort_by_second() {
        assert!(slice_key(999) < slice_key(1_000));
        assert_eq!(slice_key(1_764_100_000), "001764100000");
    }
}
