//! The attribute plumbing every record shares: key formats, building and reading
//! `AttributeValue`s, expression placeholders, the versioned-write condition and the split
//! between a refused condition and an outage. Kept apart so each record's module reads as its queries alone.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::unavailable;
use adgen::UnixSeconds;
use adgen::ports::PortError;

pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";
pub(super) const GSI1: &str = "gsi1";
pub(super) const GSI1PK: &str = "gsi1pk";
pub(super) const GSI1SK: &str = "gsi1sk";
pub(super) const GSI2: &str = "gsi2";
pub(super) const GSI2PK: &str = "gsi2pk";
pub(super) const GSI2SK: &str = "gsi2sk";
pub(super) const EXPIRES_AT: &str = "expires_at";

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn dynamo_err(err: impl std::error::Error) -> PortError {
    unavailable("dynamodb", err)
}

pub(super) fn key(pk: String, sk: &str) -> Item {
    attrs([(PK, AttributeValue::S(pk)), (SK, text(sk))])
}

/// `<at, 12 digits>#<id>`: lists sort by that time (creation in `gsi1`, last update in
/// `gsi2`), ties by id.
pub(super) fn listing_sort_key(at: UnixSeconds, id: Uuid) -> String {
    format!("{at:012}#{id}")
}

/// The greatest `gsi2sk` of a job last updated at or before `updated_before`: `~` sorts after
/// every character of a job id, so every job of that second is in.
pub(super) fn stale_upper_bound(updated_before: UnixSeconds) -> String {
    format!("{updated_before:012}#~")
}

pub(super) fn attrs<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

pub(super) fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn num(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// `#name` → `name` for every placeholder in `expressions`.
pub(super) fn names(expressions: &[&str]) -> HashMap<String, String> {
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

/// A change to a versioned record (webhook endpoint, delivery) goes through only over the
/// version it was made from, in the same organisation. A missing item has no `version`, so it
/// fails too: an update never creates a record.
pub(super) const SAME_VERSION: &str = "#version = :expected AND #org_id = :org";

/// A record's `version` as stored (N); a version beyond `i64` cannot be written.
pub(super) fn version_attr(version: u64, kind: &'static str) -> Result<i64, PortError> {
    i64::try_from(version).map_err(|_| PortError::Corrupt(kind, format!("version {version}")))
}

/// The values [`SAME_VERSION`] names for a change to `version`; none when `version` cannot
/// be a change (0 has no version before it), which is refused like any stale change.
pub(super) fn version_values(
    version: u64,
    org_id: Uuid,
    kind: &'static str,
) -> Result<Option<Item>, PortError> {
    let Some(expected) = version.checked_sub(1) else {
        tracing::warn!(kind, "a change to version 0 refused");
        return Ok(None);
    };
    Ok(Some(attrs([
        (":expected", num(version_attr(expected, kind)?)),
        (":org", text(org_id.to_string())),
    ])))
}

/// The outcome of a write that may carry a condition.
pub(super) enum Write<T> {
    /// The write went through; the operation's output.
    Done(T),
    /// The condition failed; the item in the way, when the request asked for it.
    Refused(Option<Item>),
}

/// The operation errors that can report a failed condition.
pub(super) trait ConditionalError: std::error::Error + Sized {
    fn is_condition_failure(&self) -> bool;
    /// The item is inside a transaction that is running right now (the SDK does not retry it).
    fn is_transaction_conflict(&self) -> bool;
    fn into_old_item(self) -> Option<Item>;
}

macro_rules! conditional_error {
    ($($error:ty),*) => {$(
        impl ConditionalError for $error {
            fn is_condition_failure(&self) -> bool {
                matches!(self, Self::ConditionalCheckFailedException(_))
            }
            fn is_transaction_conflict(&self) -> bool {
                matches!(self, Self::TransactionConflictException(_))
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

/// Sends the write `attempt` builds, again (briefly backed off) while it meets a transaction
/// running on the same item: a submission's claim transaction holds its idempotency record for
/// a moment, and the plain writes of the same record that race it (the winner completing while
/// a copy's claim is in flight) must wait for it rather than fail.
pub(super) async fn past_transactions<T, E, F, Fut>(
    mut attempt: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    E: ConditionalError,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    const ATTEMPTS: u32 = 6;
    let mut n = 0;
    loop {
        match attempt().await {
            Err(SdkError::ServiceError(e))
                if e.err().is_transaction_conflict() && n + 1 < ATTEMPTS =>
            {
                n += 1;
                tokio::time::sleep(std::time::Duration::from_millis(10 << n)).await;
            }
            other => return other,
        }
    }
}

/// Splits a failed condition (an answer) from every other failure (an outage).
pub(super) fn conditional<T, E>(
    sent: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Write<T>, PortError>
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
pub(super) struct Fields<'a> {
    item: &'a Item,
    kind: &'static str,
}

impl<'a> Fields<'a> {
    pub(super) fn new(item: &'a Item, kind: &'static str) -> Self {
        Self { item, kind }
    }

    pub(super) fn corrupt(&self, reason: impl Into<String>) -> PortError {
        PortError::Corrupt(self.kind, reason.into())
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.item.contains_key(name)
    }

    fn get(&self, name: &str) -> Result<&'a AttributeValue, PortError> {
        self.item
            .get(name)
            .ok_or_else(|| self.corrupt(format!("{name} missing")))
    }

    pub(super) fn s(&self, name: &str) -> Result<&'a str, PortError> {
        self.get(name)?
            .as_s()
            .map(String::as_str)
            .map_err(|_| self.corrupt(format!("{name} is not a string")))
    }

    pub(super) fn n(&self, name: &str) -> Result<i64, PortError> {
        self.get(name)?
            .as_n()
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| self.corrupt(format!("{name} is not a whole number")))
    }

    pub(super) fn b(&self, name: &str) -> Result<&'a [u8], PortError> {
        self.get(name)?
            .as_b()
            .map(Blob::as_ref)
            .map_err(|_| self.corrupt(format!("{name} is not binary")))
    }

    pub(super) fn flag(&self, name: &str) -> Result<bool, PortError> {
        self.get(name)?
            .as_bool()
            .copied()
            .map_err(|_| self.corrupt(format!("{name} is not a boolean")))
    }

    pub(super) fn uuid(&self, name: &str) -> Result<Uuid, PortError> {
        Uuid::parse_str(self.s(name)?).map_err(|_| self.corrupt(format!("{name} is not a UUID")))
    }

    pub(super) fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T, PortError> {
        serde_json::from_str(self.s(name)?).map_err(|e| self.corrupt(format!("{name}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::idempotency::OWNED;
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
