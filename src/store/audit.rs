//! The append-only audit log: who did what to which item, when, with the state
//! before and after as JSON. Store verbs that change an item write their entry
//! in the same transaction ([`insert`]); [`Store::append_audit`] records actions
//! that happen outside the store (logins, sends). The schema's triggers refuse
//! every UPDATE and DELETE of the `audit` table, so not even a bug in this
//! module can rewrite history.
//!
//! Action names are dotted and past tense: `item.created`, `item.merged`,
//! `item.claimed`, `item.released`, `item.marked_replied`, `item.referred`,
//! `item.dismissed`, `item.reopened`, `item.assigned`, `item.note_added`.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::sql::Sql;
use super::{Store, StoreError, codec};

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339 UTC.
    pub at: String,
    /// The officer's name, or `placewatch` for the daemon.
    pub actor: String,
    pub action: String,
    pub item_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub detail: Option<String>,
}

/// An entry to append; the store adds the id and the time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    pub actor: String,
    pub action: String,
    pub item_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub detail: Option<String>,
}

/// Appends `entry` at time `at` inside the caller's transaction.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    entry: &NewAudit,
    at: &str,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO audit (at, actor, action, item_id, state_before, state_after, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(at)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(entry.item_id)
    .bind(entry.before.as_ref().map(codec::to_json))
    .bind(entry.after.as_ref().map(codec::to_json))
    .bind(&entry.detail)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

impl Store {
    /// The newest `limit` entries, of one item or of everything, newest first.
    pub async fn audit(
        &self,
        item: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let query = match item {
            Some(item) => sqlx::query(
                "SELECT id, at, actor, action, item_id, state_before, state_after, detail \
                 FROM audit WHERE item_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(item),
            None => sqlx::query(
                "SELECT id, at, actor, action, item_id, state_before, state_after, detail \
                 FROM audit ORDER BY id DESC LIMIT $1",
            ),
        };
        let rows = query.bind(i64::from(limit)).fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    item_id: row.try_get("item_id")?,
                    before: codec::opt_json_value(row.try_get("state_before")?, "audit before")?,
                    after: codec::opt_json_value(row.try_get("state_after")?, "audit after")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Appends an entry in its own transaction, for actions outside the store
    /// (an officer logging in, a reply sent). An `item_id` must name an item.
    pub async fn append_audit(&self, entry: &NewAudit) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(id) = entry.item_id {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM items WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound { what: "item", id });
            }
        }
        insert(&mut tx, entry, &codec::now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Which of `items` have an owner a colleague gave them (the latest of
    /// the claims, assignments and claiming replies is an assignment): a
    /// row then reads "assigned to", not "claimed by", whatever the status.
    pub async fn assigned_by_hand(
        &self,
        items: &[i64],
    ) -> Result<std::collections::HashSet<i64>, StoreError> {
        if items.is_empty() {
            return Ok(Default::default());
        }
        let mut qb: Sql = Sql::new(
            "SELECT item_id FROM audit WHERE action = 'item.assigned' AND id IN \
             (SELECT max(id) FROM audit WHERE action IN \
             ('item.claimed', 'item.assigned', 'reply.recorded') AND item_id IN (",
        );
        qb.push_list(items.iter().copied());
        qb.push(") GROUP BY item_id)");
        let rows = qb.build()?.fetch_all(&self.read).await?;
        rows.iter().map(|row| Ok(row.try_get("item_id")?)).collect()
    }
}
