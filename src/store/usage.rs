//! Billable reads per calendar month (UTC): post reads (search) and owned reads
//! (the council's own timelines, five times cheaper), counted in the same
//! transaction as the posts they read, for the budget and its forecast.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError, codec};
use crate::domain::ingest::ReadKind;

/// One month's reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub post_reads: u64,
    pub owned_reads: u64,
}

/// Adds `reads` of `kind` to `month` inside the caller's transaction.
pub(super) async fn add(
    conn: &mut AnyConnection,
    month: &str,
    kind: ReadKind,
    reads: u64,
) -> Result<(), StoreError> {
    if reads == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO usage (month, kind, reads) VALUES ($1, $2, $3) \
         ON CONFLICT (month, kind) DO UPDATE SET reads = usage.reads + excluded.reads",
    )
    .bind(month)
    .bind(kind.as_str())
    .bind(codec::count_to_db(reads))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The reads counted in `month` (`"2026-11"`); zeros for a month without any.
    pub async fn usage(&self, month: &str) -> Result<Usage, StoreError> {
        let rows = sqlx::query("SELECT kind, reads FROM usage WHERE month = $1")
            .bind(month)
            .fetch_all(&self.read)
            .await?;
        let mut usage = Usage::default();
        for row in rows {
            let reads = codec::count_from_db(row.try_get("reads")?, "reads")?;
            match row.try_get::<&str, _>("kind")? {
                "post_read" => usage.post_reads = reads,
                "owned_read" => usage.owned_reads = reads,
                other => return Err(StoreError::Corrupt(format!("unknown read kind {other:?}"))),
            }
        }
        Ok(usage)
    }
}
