//! Rate-limit counters (spec §9) in SQLite: one row per key and second. The increment is one
//! `UPDATE … WHERE count < ?` after an `INSERT OR IGNORE`, inside one immediate transaction,
//! which is the conditional write DynamoDB does with `ADD` under a condition; rows past their
//! expiry are pruned for the key in the same transaction, as DynamoDB's TTL would.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::store::EmbeddedStore;
use super::unavailable;
use adgen::UnixSeconds;
use adgen::ports::{PortError, RateLimitStore};
use adgen::ratelimit::Slice;

#[async_trait]
impl RateLimitStore for EmbeddedStore {
    async fn counts(
        &self,
        key: &str,
        from: UnixSeconds,
        to: UnixSeconds,
    ) -> Result<Vec<Slice>, PortError> {
        let key = key.to_owned();
        self.db()
            .run(move |conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT second, count FROM rate_limits
                         WHERE key_hash = ?1 AND second BETWEEN ?2 AND ?3 ORDER BY second",
                    )
                    .map_err(unavailable)?;
                let rows = statement
                    .query_map(params![key, from, to], |r| {
                        Ok(Slice {
                            second: r.get(0)?,
                            count: r.get(1)?,
                        })
                    })
                    .map_err(unavailable)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
            })
            .await
    }

    async fn increment_below(
        &self,
        key: &str,
        second: UnixSeconds,
        below: u32,
        expires_at: UnixSeconds,
    ) -> Result<Option<u32>, PortError> {
        let key = key.to_owned();
        self.db()
            .run(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(unavailable)?;
                tx.execute(
                    "DELETE FROM rate_limits WHERE key_hash = ?1 AND expires_at < ?2",
                    params![key, second],
                )
                .map_err(unavailable)?;
                tx.execute(
                    "INSERT OR IGNORE INTO rate_limits (key_hash, second, count, expires_at)
                     VALUES (?1, ?2, 0, ?3)",
                    params![key, second, expires_at],
                )
                .map_err(unavailable)?;
                let count: Option<u32> = tx
                    .query_row(
                        "UPDATE rate_limits SET count = count + 1
                         WHERE key_hash = ?1 AND second = ?2 AND count < ?3 RETURNING count",
                        params![key, second, below],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(unavailable)?;
                tx.commit().map_err(unavailable)?;
                Ok(count)
            })
            .await
    }
}
