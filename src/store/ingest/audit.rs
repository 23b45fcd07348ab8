//! Audit entries as ingest appends them (`item.created`, `item.merged`):
//! their states already JSON, many rows per statement.

use sqlx::AnyConnection;

use super::chunks;
use crate::store::StoreError;

/// An entry as the ingest transaction appends it, its states already JSON.
pub(super) struct AuditRow<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub item_id: Option<i64>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Appends `entries` at time `at` inside the caller's (ingest) transaction, in order.
pub(super) async fn insert_many(
    conn: &mut AnyConnection,
    entries: &[AuditRow<'_>],
    at: &str,
) -> Result<(), StoreError> {
    for chunk in chunks::split(entries) {
        let sql = format!(
            "INSERT INTO audit (at, actor, action, item_id, state_before, state_after, detail) \
             VALUES {}",
            chunks::placeholders(conn, chunk.len(), 7)
        );
        let mut query = sqlx::query(&sql);
        for entry in chunk {
            query = query
                .bind(at)
                .bind(entry.actor)
                .bind(entry.action)
                .bind(entry.item_id)
                .bind(entry.before)
                .bind(entry.after)
                .bind(entry.detail);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
