//! Operational events (errors and warnings of the daemon) that
//! `placewatch status` shows as "recent errors".

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, codec};

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    /// RFC 3339 UTC.
    pub at: String,
    /// `error`, `warn`, `info`.
    pub level: String,
    /// What kind of thing happened, e.g. `poll.rate_limited`.
    pub kind: String,
    pub message: String,
}

/// Events kept; older ones are dropped as new ones arrive.
const KEEP: i64 = 10_000;

impl Store {
    /// Records an event, dropping the oldest beyond the last 10,000.
    pub async fn record_event(
        &self,
        level: &str,
        kind: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO events (at, level, kind, message) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(codec::now())
        .bind(level)
        .bind(kind)
        .bind(message)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM events WHERE id <= $1")
            .bind(id - KEEP)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` events, newest first.
    pub async fn recent_events(&self, limit: u32) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, level, kind, message FROM events ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Event {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    level: row.try_get("level")?,
                    kind: row.try_get("kind")?,
                    message: row.try_get("message")?,
                })
            })
            .collect()
    }
}
