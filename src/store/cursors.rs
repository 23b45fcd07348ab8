//! Poll cursors, one per monitor (a packed query): the `since_id` its next
//! poll starts from, when it last polled and how many posts it has read.
//! [`Store::record_cycle`] moves a cursor only in the transaction that stores
//! the cycle's posts, so a crash can never leave a cursor ahead of its posts.

use serde::Serialize;
use sqlx::Row;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;

use super::codec::{self, id_to_db, opt_id_from_db};
use super::{Store, StoreError};

/// Where a monitor stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cursor {
    pub monitor: String,
    /// The query the cursor belongs to.
    pub query: String,
    /// The newest post id of the last stored cycle; `None` until one had posts.
    pub since_id: Option<u64>,
    /// RFC 3339 UTC.
    pub last_poll_at: Option<String>,
    pub posts_read: u64,
}

/// Advances `monitor`'s cursor inside the cycle's transaction: a new
/// `since_id` when the cycle saw posts, the poll time, and `read` more posts.
pub(super) async fn advance(
    conn: &mut SqliteConnection,
    monitor: &str,
    query: &str,
    since_id: Option<u64>,
    at: &str,
    read: u64,
) -> Result<(), StoreError> {
    let since = since_id.map(|id| id_to_db(id, "since_id")).transpose()?;
    sqlx::query(
        "INSERT INTO cursors (monitor, query, since_id, last_poll_at, posts_read) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (monitor) DO UPDATE SET \
         query = excluded.query, since_id = COALESCE(excluded.since_id, cursors.since_id), \
         last_poll_at = excluded.last_poll_at, \
         posts_read = cursors.posts_read + excluded.posts_read",
    )
    .bind(monitor)
    .bind(query)
    .bind(since)
    .bind(at)
    .bind(codec::count_to_db(read))
    .execute(conn)
    .await?;
    Ok(())
}

fn decode(row: &SqliteRow) -> Result<Cursor, StoreError> {
    Ok(Cursor {
        monitor: row.try_get("monitor")?,
        query: row.try_get("query")?,
        since_id: opt_id_from_db(row.try_get("since_id")?, "since_id")?,
        last_poll_at: row.try_get("last_poll_at")?,
        posts_read: codec::count_from_db(row.try_get("posts_read")?, "posts read")?,
    })
}

impl Store {
    /// The cursor of `monitor`, `None` if it never polled (or was reset).
    pub async fn cursor(&self, monitor: &str) -> Result<Option<Cursor>, StoreError> {
        let row = sqlx::query(
            "SELECT monitor, query, since_id, last_poll_at, posts_read FROM cursors \
             WHERE monitor = ?",
        )
        .bind(monitor)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Every cursor, by monitor name.
    pub async fn cursors(&self) -> Result<Vec<Cursor>, StoreError> {
        let rows = sqlx::query(
            "SELECT monitor, query, since_id, last_poll_at, posts_read FROM cursors \
             ORDER BY monitor",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Drops a monitor's cursor (its query changed): the next poll backfills.
    /// Resetting a monitor without a cursor does nothing.
    pub async fn reset_cursor(&self, monitor: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM cursors WHERE monitor = ?")
            .bind(monitor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
