//! Triage items: reading them back whole ([`ItemRow`]: the item with its post
//! and author) and the desk's changes to them
//! ([`Store::transition`], [`Store::assign`]), each audited in its own
//! transaction. Items are created by [`Store::record_pages`] (see `ingest`).

use serde::Serialize;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::audit::{self, NewAudit};
use super::posts::{AUTHOR_COLUMNS, POST_COLUMNS, decode_author, decode_post};
use super::{Store, StoreError, codec};
use crate::domain::post::{Author, Post};
use crate::domain::triage::{Action, Flags, Priority, ReplyPath, Status};

/// A triage item as the desk shows it: the item with its post and author.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub post: Post,
    pub author: Option<Author>,
    pub status: Status,
    pub priority: Priority,
    pub owner: Option<String>,
    /// The place names the post matched, in the order they were first seen.
    pub places: Vec<String>,
    pub tags: Vec<String>,
    /// Names of the rules that matched.
    pub rules: Vec<String>,
    pub flags: Flags,
    pub reply_path: ReplyPath,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub updated_at: String,
}

/// The item, post and author columns and joins of every item query.
pub(super) fn item_select() -> String {
    format!(
        "SELECT i.id AS i_id, i.status AS i_status, i.priority AS i_priority, \
         i.owner AS i_owner, i.reply_path AS i_reply_path, i.places AS i_places, \
         i.tags AS i_tags, i.rules AS i_rules, \
         i.flags AS i_flags, i.created_at AS i_created_at, i.updated_at AS i_updated_at, \
         {POST_COLUMNS}, {AUTHOR_COLUMNS} \
         FROM items i JOIN posts p ON p.id = i.post_id LEFT JOIN authors a ON a.id = p.author_id"
    )
}

/// Reads a row of [`item_select`].
pub(super) fn decode_item(row: &SqliteRow) -> Result<ItemRow, StoreError> {
    Ok(ItemRow {
        id: row.try_get("i_id")?,
        post: decode_post(row)?,
        author: decode_author(row)?,
        status: codec::status_from_db(row.try_get("i_status")?)?,
        priority: codec::priority_from_db(row.try_get("i_priority")?)?,
        owner: row.try_get("i_owner")?,
        places: codec::from_json(row.try_get("i_places")?, "item places")?,
        tags: codec::from_json(row.try_get("i_tags")?, "item tags")?,
        rules: codec::from_json(row.try_get("i_rules")?, "item rules")?,
        flags: codec::from_json(row.try_get("i_flags")?, "item flags")?,
        reply_path: codec::reply_path_from_db(row.try_get("i_reply_path")?)?,
        created_at: row.try_get("i_created_at")?,
        updated_at: row.try_get("i_updated_at")?,
    })
}

/// The items with these ids (those that exist), in no particular order.
pub(super) async fn items_by_ids(
    conn: &mut SqliteConnection,
    ids: &[i64],
) -> Result<Vec<ItemRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(item_select());
    qb.push(" WHERE i.id IN (");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
    let rows = qb.build().fetch_all(conn).await?;
    rows.iter().map(decode_item).collect()
}

/// One item, or [`StoreError::NotFound`].
pub(super) async fn item_in(conn: &mut SqliteConnection, id: i64) -> Result<ItemRow, StoreError> {
    items_by_ids(conn, &[id])
        .await?
        .pop()
        .ok_or(StoreError::NotFound { what: "item", id })
}

/// The changes [`Store::undo`] can take back.
const UNDOABLE: [&str; 7] = [
    "item.claimed",
    "item.released",
    "item.marked_replied",
    "item.referred",
    "item.dismissed",
    "item.reopened",
    "item.assigned",
];

/// What [`Store::undo`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Undone {
    /// Items put back as they were.
    pub items: Vec<i64>,
    /// Changes left as they are: (audit entry, why).
    pub refused: Vec<(i64, String)>,
}

/// The audit action of a workflow step.
fn action_name(action: Action) -> &'static str {
    match action {
        Action::Claim => "item.claimed",
        Action::Release => "item.released",
        Action::MarkReplied => "item.marked_replied",
        Action::Refer => "item.referred",
        Action::Dismiss => "item.dismissed",
        Action::Reopen => "item.reopened",
    }
}

/// An item's status and owner, read inside a write transaction.
async fn item_state(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<(Status, Option<String>), StoreError> {
    let row = sqlx::query("SELECT status, owner FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound { what: "item", id })?;
    Ok((
        codec::status_from_db(row.try_get("status")?)?,
        row.try_get("owner")?,
    ))
}

impl Store {
    /// One item with its post, author, places and tags.
    pub async fn item(&self, id: i64) -> Result<ItemRow, StoreError> {
        let mut conn = self.read.acquire().await?;
        item_in(&mut conn, id).await
    }

    /// The newest item id and the newest audit entry id (0 when none): a
    /// cheap fingerprint that changes whenever an item arrives or changes.
    pub async fn change_marks(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE((SELECT MAX(id) FROM items), 0) AS item, \
             COALESCE((SELECT MAX(id) FROM audit), 0) AS audit",
        )
        .fetch_one(&self.read)
        .await?;
        Ok((row.try_get("item")?, row.try_get("audit")?))
    }

    /// Moves an item through its workflow ([`Status::apply`] decides what is
    /// allowed). `Claim` also makes `actor` the owner and `Release` clears the
    /// owner. The change and its audit entry (status and owner before and
    /// after) commit together; a refused action changes and audits nothing.
    pub async fn transition(
        &self,
        id: i64,
        action: Action,
        actor: &str,
    ) -> Result<ItemRow, StoreError> {
        Ok(self.transition_audited(id, action, actor).await?.0)
    }

    /// [`Store::transition`], with the id of its audit entry (what
    /// [`Store::undo`] takes back).
    pub async fn transition_audited(
        &self,
        id: i64,
        action: Action,
        actor: &str,
    ) -> Result<(ItemRow, i64), StoreError> {
        let mut tx = self.begin_write().await?;
        let (status, owner) = item_state(&mut tx, id).await?;
        let next = status.apply(action)?;
        let next_owner = match action {
            Action::Claim => Some(actor.to_owned()),
            Action::Release => None,
            _ => owner.clone(),
        };
        let at = codec::now();
        sqlx::query("UPDATE items SET status = ?, owner = ?, updated_at = ? WHERE id = ?")
            .bind(next.as_str())
            .bind(&next_owner)
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = NewAudit {
            actor: actor.to_owned(),
            action: action_name(action).to_owned(),
            item_id: Some(id),
            before: Some(json!({ "status": status.as_str(), "owner": owner })),
            after: Some(json!({ "status": next.as_str(), "owner": next_owner })),
            detail: None,
        };
        let entry_id = audit::insert(&mut tx, &entry, &at).await?;
        let row = item_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok((row, entry_id))
    }

    /// Takes back the workflow changes recorded by audit `entries` (claims,
    /// releases, dismissals, referrals, reopenings, marks and assignments),
    /// each made by `actor` no longer than `window` ago: an item whose status
    /// and owner are still what the change left goes back to what it was,
    /// audited as `item.undone` beside the change it undoes. A change that
    /// is another's, too old, not a workflow change, or already overtaken
    /// (someone changed the item since, or it was undone) is left, with why.
    pub async fn undo(
        &self,
        entries: &[i64],
        actor: &str,
        window: std::time::Duration,
    ) -> Result<Undone, StoreError> {
        let mut undone = Undone::default();
        let mut tx = self.begin_write().await?;
        let now = time::OffsetDateTime::now_utc();
        for &entry in entries {
            let row = sqlx::query(
                "SELECT at, actor, action, item_id, state_before, state_after FROM audit WHERE id = ?",
            )
            .bind(entry)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { what: "change", id: entry })?;
            let action: String = row.try_get("action")?;
            let item: Option<i64> = row.try_get("item_id")?;
            let refuse = |why: &str| (entry, why.to_owned());
            let Some(item) = item.filter(|_| UNDOABLE.contains(&action.as_str())) else {
                undone
                    .refused
                    .push(refuse("not a change to an item that can be undone"));
                continue;
            };
            if row.try_get::<String, _>("actor")? != actor {
                undone.refused.push(refuse("someone else made that change"));
                continue;
            }
            let at: String = row.try_get("at")?;
            let age =
                time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                    .map(|at| now - at)
                    .map_err(|e| StoreError::Corrupt(format!("audit entry {entry}'s time: {e}")))?;
            if age >= window {
                undone
                    .refused
                    .push(refuse("it is too late to undo that change"));
                continue;
            }
            let state = |column: &str| -> Result<serde_json::Value, StoreError> {
                let text: Option<String> = row.try_get(column)?;
                codec::from_json(text.as_deref().unwrap_or("{}"), "audit state")
            };
            let (before, after) = (state("state_before")?, state("state_after")?);
            let (status, owner) = item_state(&mut tx, item).await?;
            let owner_now = serde_json::Value::from(owner.clone());
            let status_kept = after
                .get("status")
                .is_none_or(|s| s.as_str() == Some(status.as_str()));
            if !status_kept || after.get("owner").unwrap_or(&owner_now) != &owner_now {
                undone.refused.push(refuse("the item has changed since"));
                continue;
            }
            let back_status = match before.get("status").and_then(|s| s.as_str()) {
                Some(s) => codec::status_from_db(s)?,
                None => status,
            };
            let back_owner = match before.get("owner") {
                Some(o) => o.as_str().map(str::to_owned),
                None => owner.clone(),
            };
            let at = codec::now();
            sqlx::query("UPDATE items SET status = ?, owner = ?, updated_at = ? WHERE id = ?")
                .bind(back_status.as_str())
                .bind(&back_owner)
                .bind(&at)
                .bind(item)
                .execute(&mut *tx)
                .await?;
            let record = NewAudit {
                actor: actor.to_owned(),
                action: "item.undone".to_owned(),
                item_id: Some(item),
                before: Some(json!({ "status": status.as_str(), "owner": owner })),
                after: Some(json!({ "status": back_status.as_str(), "owner": back_owner })),
                detail: Some(format!("undid {action} (change {entry})")),
            };
            audit::insert(&mut tx, &record, &at).await?;
            undone.items.push(item);
        }
        tx.commit().await?;
        Ok(undone)
    }

    /// Gives an item to `owner` (or to nobody), whatever its status; audited.
    pub async fn assign(
        &self,
        id: i64,
        owner: Option<&str>,
        actor: &str,
    ) -> Result<ItemRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let (_, before) = item_state(&mut tx, id).await?;
        let at = codec::now();
        sqlx::query("UPDATE items SET owner = ?, updated_at = ? WHERE id = ?")
            .bind(owner)
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = NewAudit {
            actor: actor.to_owned(),
            action: "item.assigned".to_owned(),
            item_id: Some(id),
            before: Some(json!({ "owner": before })),
            after: Some(json!({ "owner": owner })),
            detail: None,
        };
        audit::insert(&mut tx, &entry, &at).await?;
        let row = item_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(row)
    }
}
