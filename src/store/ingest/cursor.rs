//! A monitor's cursor moved in the transaction that stores its page.

use sqlx::AnyConnection;

use crate::domain::ingest::CursorMove;
use crate::store::StoreError;
use crate::store::codec::{self, opt_id_to_db};

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
    /// Items the page filed.
    pub filed: u64,
}

/// Moves a monitor's cursor inside the page's transaction as `a.movement`
/// says, records the poll time and the spooled page stored, and counts the
/// posts read and the items filed.
pub(super) async fn advance(conn: &mut AnyConnection, a: &Advance<'_>) -> Result<(), StoreError> {
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
         last_poll_at, posts_read, items_filed, spooled_through) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, 0)) \
         ON CONFLICT (monitor) DO UPDATE SET query = excluded.query, {on_conflict}, \
         last_poll_at = excluded.last_poll_at, \
         posts_read = cursors.posts_read + excluded.posts_read, \
         items_filed = cursors.items_filed + excluded.items_filed, \
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
        .bind(codec::count_to_db(a.filed))
        .bind(a.spooled_through.map(codec::count_to_db))
        .execute(conn)
        .await?;
    Ok(())
}
