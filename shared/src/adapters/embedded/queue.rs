//! A durable queue in SQLite with SQS-like semantics: at-least-once delivery, a visibility
//! timeout, receipts and receive counts.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Db, unavailable};
use crate::ports::{JobMessage, PortError, Queue};

pub struct EmbeddedQueue {
    db: Db,
}

/// A received message; delete it by `receipt` once handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub receipt: String,
    pub message: JobMessage,
    pub receive_count: u32,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl EmbeddedQueue {
    pub(super) fn new(db: Db) -> Self {
        Self { db }
    }

    /// Takes up to `max` visible messages and hides them for `visibility_ms`.
    pub async fn receive(
        &self,
        max: usize,
        visibility_ms: i64,
    ) -> Result<Vec<Delivery>, PortError> {
        self.db
            .run(move |conn| {
                let tx = conn.transaction().map_err(unavailable)?;
                let now = now_ms();
                let rows: Vec<(i64, String, u32)> = {
                    let mut stmt = tx
                        .prepare("SELECT id, body, receive_count FROM queue WHERE visible_at_ms <= ?1 ORDER BY id LIMIT ?2")
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
                        "UPDATE queue SET visible_at_ms = ?1, receive_count = receive_count + 1, receipt = ?2 WHERE id = ?3",
                        params![now + visibility_ms, receipt, id],
                    )
                    .map_err(unavailable)?;
                    let message = serde_json::from_str(&body)
                        .map_err(|e| PortError::Corrupt("queue message", e.to_string()))?;
                    deliveries.push(Delivery {
                        receipt,
                        message,
                        receive_count: count + 1,
                    });
                }
                tx.commit().map_err(unavailable)?;
                Ok(deliveries)
            })
            .await
    }

    /// Deletes a handled message; a stale receipt (redelivered since) deletes nothing.
    pub async fn delete(&self, receipt: &str) -> Result<bool, PortError> {
        let receipt = receipt.to_owned();
        self.db
            .run(move |conn| {
                conn.execute("DELETE FROM queue WHERE receipt = ?1", params![receipt])
                    .map(|n| n > 0)
                    .map_err(unavailable)
            })
            .await
    }

    /// Makes a received message visible again after `delay_ms` (a retry backoff); a stale
    /// receipt changes nothing.
    pub async fn redeliver_after(&self, receipt: &str, delay_ms: i64) -> Result<(), PortError> {
        let receipt = receipt.to_owned();
        self.db
            .run(move |conn| {
                conn.execute(
                    "UPDATE queue SET visible_at_ms = ?2 WHERE receipt = ?1",
                    params![receipt, now_ms() + delay_ms],
                )
                .map(|_| ())
                .map_err(unavailable)
            })
            .await
    }

    /// Messages not yet deleted, visible or not.
    pub async fn depth(&self) -> Result<usize, PortError> {
        self.db
            .run(|conn| {
                conn.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get::<_, i64>(0))
                    .optional()
                    .map(|n| n.unwrap_or(0) as usize)
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
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO queue (body, visible_at_ms) VALUES (?1, ?2)",
                    params![body, now_ms()],
                )
                .map(|_| ())
                .map_err(unavailable)
            })
            .await
    }
}
