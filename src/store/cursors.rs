//! Poll cursors, one per monitor (a packed query): the `since_id` its next
//! poll starts from, the resume point of a cycle still in progress, when it
//! last polled, how many posts it has read and how many items it filed.
//!
//! [`Store::record_pages`] moves a cursor only in the transaction that stores
//! a page's posts (see `ingest::cursor`), so a crash can never leave a
//! cursor ahead of its posts.
//! While a cycle's pages arrive, `since_id` stays put (X's polling rule) and
//! the pending columns record the cycle's first `newest_id` and the oldest id
//! read so far; the last page moves `since_id` and clears them.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::codec::{self, opt_id_from_db};
use super::{Store, StoreError};
use crate::domain::ingest::{Cursor, Pending};

const COLUMNS: &str = "monitor, query, since_id, pending_newest_id, pending_until_id, \
    last_poll_at, posts_read, items_filed, items_filed_since, spooled_through";

fn decode(row: &AnyRow) -> Result<Cursor, StoreError> {
    let until = opt_id_from_db(row.try_get("pending_until_id")?, "pending until_id")?;
    let newest = opt_id_from_db(row.try_get("pending_newest_id")?, "pending newest_id")?;
    Ok(Cursor {
        monitor: row.try_get("monitor")?,
        query: row.try_get("query")?,
        since_id: opt_id_from_db(row.try_get("since_id")?, "since_id")?,
        pending: until.map(|until_id| Pending {
            newest_id: newest,
            until_id,
        }),
        last_poll_at: row.try_get("last_poll_at")?,
        posts_read: codec::count_from_db(row.try_get("posts_read")?, "posts read")?,
        items_filed: codec::count_from_db(row.try_get("items_filed")?, "items filed")?,
        items_filed_since: row.try_get("items_filed_since")?,
        spooled_through: codec::count_from_db(row.try_get("spooled_through")?, "spooled page")?,
    })
}

impl Store {
    /// The cursor of `monitor`, `None` if it never polled (or was reset).
    pub async fn cursor(&self, monitor: &str) -> Result<Option<Cursor>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM cursors WHERE monitor = $1"))
            .bind(monitor)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Every cursor, by monitor name.
    pub async fn cursors(&self) -> Result<Vec<Cursor>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM cursors ORDER BY monitor"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Drops a monitor's cursor (its query changed): the next poll backfills.
    /// Resetting a monitor without a cursor does nothing.
    pub async fn reset_cursor(&self, monitor: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM cursors WHERE monitor = $1")
            .bind(monitor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
