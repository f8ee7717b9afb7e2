//! A durable queue in SQLite with SQS-like semantics: at-least-once delivery, a visibility
//! timeout, receipts and receive counts. A message being handled is marked `in_flight`, so
//! that a restarted `adgen serve` can hand back what its dead predecessor held at once.

use std::time::Duration;

use adgen::ports::{DeliveryQueue, JobMessage, PortError, Queue, QueueConsumer, Received};
use adgen::webhooks::delivery::DeliveryMessage;
use async_trait::async_trait;
use rusqlite::params;
use uuid::Uuid;

use super::{Db, unavailable};

pub struct EmbeddedQueue {
    db: Db,
    /// Its table: `queue` (generation) or `delivery_queue` (webhooks).
    table: &'static str,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl EmbeddedQueue {
    pub(super) fn new(db: Db, table: &'static str) -> Self {
        Self { db, table }
    }

    /// Makes every message a receiver was handling (received, neither deleted nor handed back)
    /// visible now; how many. Only for a process that knows every earlier receiver is dead:
    /// `adgen serve` at start, holding the data folder's lock. Messages handed back with a
    /// backoff keep it.
    pub async fn release_in_flight(&self) -> Result<usize, PortError> {
        let sql = format!(
            "UPDATE {} SET visible_at_ms = ?1, in_flight = 0 WHERE in_flight = 1",
            self.table
        );
        self.db
            .run(move |conn| conn.execute(&sql, params![now_ms()]).map_err(unavailable))
            .await
    }

    async fn insert(&self, body: String, delay: Duration) -> Result<(), PortError> {
        let sql = format!(
            "INSERT INTO {} (body, visible_at_ms) VALUES (?1, ?2)",
            self.table
        );
        let delay_ms = millis(delay);
        self.db
            .run(move |conn| {
                conn.execute(&sql, params![body, now_ms() + delay_ms])
                    .map(|_| ())
                    .map_err(unavailable)
            })
            .await
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

#[async_trait]
impl QueueConsumer for EmbeddedQueue {
    /// Takes up to `max` visible messages and hides them for `visibility`.
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Received>, PortError> {
        let visibility_ms = millis(visibility);
        let table = self.table;
        self.db
            .run(move |conn| {
                let tx = conn.transaction().map_err(unavailable)?;
                let now = now_ms();
                let rows: Vec<(i64, String, u32)> = {
                    let mut stmt = tx
                        .prepare(&format!("SELECT id, body, receive_count FROM {table} WHERE visible_at_ms <= ?1 ORDER BY id LIMIT ?2"))
                        .map_err(unavailable)?;
                    stmt.query_map(params![now, max as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .map_err(unavailable)?
                        .collect::<Result<_, _>>()
                        .map_err(unavailable)?
                };
                let mut deliveries = Vec::with_capacity(rows.len());
                for (id, body, count) in rows {
                    let receipt = Uuid::new_v4().to_string();
                    tx.execute(
                        &format!("UPDATE {table} SET visible_at_ms = ?1, receive_count = receive_count + 1, receipt = ?2, in_flight = 1 WHERE id = ?3"),
                        params![now + visibility_ms, receipt, id],
                    )
                    .map_err(unavailable)?;
                    deliveries.push(Received {
                        receipt,
                        body,
                        receive_count: count + 1,
                    });
                }
                tx.commit().map_err(unavailable)?;
                Ok(deliveries)
            })
            .await
    }

    /// Deletes a handled message; a stale receipt (redelivered since) deletes nothing.
    async fn delete(&self, receipt: &str) -> Result<(), PortError> {
        let receipt = receipt.to_owned();
        let sql = format!("DELETE FROM {} WHERE receipt = ?1", self.table);
        self.db
            .run(move |conn| {
                conn.execute(&sql, params![receipt])
                    .map(|_| ())
                    .map_err(unavailable)
            })
            .await
    }

    /// Makes a received message visible again after `delay` (a retry backoff); a stale
    /// receipt changes nothing.
    async fn redeliver_after(&self, receipt: &str, delay: Duration) -> Result<(), PortError> {
        let receipt = receipt.to_owned();
        let delay_ms = millis(delay);
        let sql = format!(
            "UPDATE {} SET visible_at_ms = ?2, in_flight = 0 WHERE receipt = ?1",
            self.table
        );
        self.db
            .run(move |conn| {
                conn.execute(&sql, params![receipt, now_ms() + delay_ms])
                    .map(|_| ())
                    .map_err(unavailable)
            })
            .await
    }
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send(&self, message: &JobMessage) -> Result<(), PortError> {
        let body = serde_json::to_string(message)
            .map_err(|e| PortError::Corrupt("queue message", e.to_string()))?;
        self.insert(body, Duration::ZERO).await
    }
}

#[async_trait]
impl DeliveryQueue for EmbeddedQueue {
    async fn send(&self, message: &DeliveryMessage, delay: Duration) -> Result<(), PortError> {
        let body = serde_json::to_string(message)
            .map_err(|e| PortError::Corrupt("queue message", e.to_string()))?;
        self.insert(body, delay).await
    }
}
