//! Poll cursors, one per monitor (a packed query): the `since_id` its next
//! poll starts from, the resume point of a cycle still in progress, when it
//! last polled and how many posts it has read.
//!
//! [`Store::record_cycle`] moves a cursor only in the transaction that stores
//! a page's posts, so a crash can never leave a cursor ahead of its posts.
//! While a cycle's pages arrive, `since_id` stays put (X's polling rule) and
//! the pending columns record the cycle's first `newest_id` and the oldest id
//! read so far; the last page moves `since_id` and clears them.

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::codec::{self, opt_id_from_db, opt_id_to_db};
use super::{Store, StoreError};

/// Where a monitor stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cursor {
    pub monitor: String,
    /// The query the cursor belongs to.
    pub query: String,
    /// The first page's newest post id of the last complete cycle; `None`
    /// until a cycle completed with posts.
    pub since_id: Option<u64>,
    /// The cycle in progress, if the last one did not finish.
    pub pending: Option<Pending>,
    /// RFC 3339 UTC.
    pub last_poll_at: Option<String>,
    pub posts_read: u64,
    /// The number of the last spooled page stored (see `poller::spool`);
    /// 0 before any.
    pub spooled_through: u64,
}

/// An unfinished cycle: where it resumes and what it will move `since_id` to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// The cycle's first page's `newest_id` (`None` if that page was empty).
    pub newest_id: Option<u64>,
    /// The oldest post id read so far: the resumed cycle's `until_id`.
    pub until_id: u64,
}

/// How a stored page moves its monitor's cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorMove {
    /// The page completes its cycle: `since_id` becomes this (kept when
    /// `None`, a cycle that found nothing) and the pending cycle is cleared.
    Complete { since_id: Option<u64> },
    /// More pages of the cycle follow: `since_id` stays, the cycle is pending.
    /// `None` fields keep what the pending cycle already had.
    Pending {
        newest_id: Option<u64>,
        until_id: Option<u64>,
    },
}

/// A cursor's move, as a stored page makes it.
pub(super) struct Advance<'a> {
    pub monitor: &'a str,
    pub query: &'a str,
    pub movement: CursorMove,
    /// The last spooled page the transaction stores, if the pages were spooled.
    pub spooled_through: Option<u64>,
    /// When the page was read, RFC 3339.
    pub at: &'a str,
    /// Posts the page read.
    pub read: u64,
}

/// Moves a monitor's cursor inside the page's transaction as `a.movement`
/// says, records the poll time and the spooled page stored, and counts the
/// posts read.
pub(super) async fn advance(
    conn: &mut SqliteConnection,
    a: &Advance<'_>,
) -> Result<(), StoreError> {
    let (since, newest, until, on_conflict) = match a.movement {
        CursorMove::Complete { since_id } => (
            since_id,
            None,
            None,
            "since_id = COALESCE(excluded.since_id, cursors.since_id), \
             pending_newest_id = NULL, pending_until_id = NULL",
        ),
        CursorMove::Pending {
            newest_id,
            until_id,
        } => (
            None,
            newest_id,
            until_id,
            "pending_newest_id = COALESCE(excluded.pending_newest_id, cursors.pending_newest_id), \
             pending_until_id = COALESCE(excluded.pending_until_id, cursors.pending_until_id)",
        ),
    };
    let sql = format!(
        "INSERT INTO cursors (monitor, query, since_id, pending_newest_id, pending_until_id, \
         last_poll_at, posts_read, spooled_through) VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, 0)) \
         ON CONFLICT (monitor) DO UPDATE SET query = excluded.query, {on_conflict}, \
         last_poll_at = excluded.last_poll_at, \
         posts_read = cursors.posts_read + excluded.posts_read, \
         spooled_through = CASE WHEN excluded.spooled_through > cursors.spooled_through \
         THEN excluded.spooled_through ELSE cursors.spooled_through END"
    );
    sqlx::query(&sql)
        .bind(a.monitor)
        .bind(a.query)
        .bind(opt_id_to_db(since, "since_id")?)
        .bind(opt_id_to_db(newest, "pending newest_id")?)
        .bind(opt_id_to_db(until, "pending until_id")?)
        .bind(a.at)
        .bind(codec::count_to_db(a.read))
        .bind(a.spooled_through.map(codec::count_to_db))
        .execute(conn)
        .await?;
    Ok(())
}

const COLUMNS: &str = "monitor, query, since_id, pending_newest_id, pending_until_id, \
    last_poll_at, posts_read, spooled_through";

fn decode(row: &SqliteRow) -> Result<Cursor, StoreError> {
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
        spooled_through: codec::count_from_db(row.try_get("spooled_through")?, "spooled page")?,
    })
}

impl Store {
    /// The cursor of `monitor`, `None` if it never polled (or was reset).
    pub async fn cursor(&self, monitor: &str) -> Result<Option<Cursor>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM cursors WHERE monitor = ?"))
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
        sqlx::query("DELETE FROM cursors WHERE monitor = ?")
            .bind(monitor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
