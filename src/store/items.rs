//! Triage items: reading them back whole ([`ItemRow`]: the item with its post
//! and author) and the desk's changes to them
//! ([`Store::transition`], [`Store::assign`]), each audited in its own
//! transaction (changes to many items at once, and undo, are in `changes`).
//! Items are created by [`Store::record_pages`] (see `ingest`).

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::audit::{self, NewAudit};
use super::posts::{AUTHOR_COLUMNS, POST_COLUMNS, decode_author, decode_post};
use super::sql::Sql;
use super::{Store, StoreError, codec};
use crate::domain::post::{Author, Post};
use crate::domain::triage::{Action, Assignee, Flags, ItemChange, Priority, ReplyPath, Status};

/// A triage item as the desk shows it: the item with its post and author.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub post: Post,
    pub author: Option<Author>,
    pub status: Status,
    pub priority: Priority,
    pub owner: Option<String>,
    /// The team it is assigned to: its id and name.
    pub team_id: Option<i64>,
    pub team: Option<String>,
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
         i.owner AS i_owner, i.team_id AS i_team_id, t.name AS i_team, i.reply_path AS i_reply_path, i.places AS i_places, \
         i.tags AS i_tags, i.rules AS i_rules, \
         i.flags AS i_flags, i.created_at AS i_created_at, i.updated_at AS i_updated_at, \
         {POST_COLUMNS}, {AUTHOR_COLUMNS} \
         FROM items i JOIN posts p ON p.id = i.post_id LEFT JOIN authors a ON a.id = p.author_id \
         LEFT JOIN teams t ON t.id = i.team_id"
    )
}

/// Reads a row of [`item_select`].
pub(super) fn decode_item(row: &AnyRow) -> Result<ItemRow, StoreError> {
    Ok(ItemRow {
        id: row.try_get("i_id")?,
        post: decode_post(row)?,
        author: decode_author(row)?,
        status: codec::status_from_db(row.try_get("i_status")?)?,
        priority: codec::priority_from_db(row.try_get("i_priority")?)?,
        owner: row.try_get("i_owner")?,
        team_id: row.try_get("i_team_id")?,
        team: row.try_get("i_team")?,
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
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<ItemRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb: Sql = Sql::new(item_select());
    qb.push(" WHERE i.id IN (");
    qb.push_list(ids.iter().copied());
    qb.push(")");
    let rows = qb.build()?.fetch_all(conn).await?;
    rows.iter().map(decode_item).collect()
}

/// One item, or [`StoreError::NotFound`].
pub(super) async fn item_in(conn: &mut AnyConnection, id: i64) -> Result<ItemRow, StoreError> {
    items_by_ids(conn, &[id])
        .await?
        .pop()
        .ok_or(StoreError::NotFound { what: "item", id })
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
    conn: &mut AnyConnection,
    id: i64,
) -> Result<(Status, Option<String>), StoreError> {
    let row = sqlx::query("SELECT status, owner FROM items WHERE id = $1")
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

    /// The newest item id, the newest audit entry id and the newest
    /// notification id (0 when none): a cheap fingerprint that changes
    /// whenever an item arrives or changes or someone is notified.
    pub async fn change_marks(&self) -> Result<(i64, i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE((SELECT MAX(id) FROM items), 0) AS item, \
             COALESCE((SELECT MAX(id) FROM audit), 0) AS audit, \
             COALESCE((SELECT MAX(id) FROM notifications), 0) AS notification",
        )
        .fetch_one(&self.read)
        .await?;
        Ok((
            row.try_get("item")?,
            row.try_get("audit")?,
            row.try_get("notification")?,
        ))
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
        sqlx::query("UPDATE items SET status = $1, owner = $2, updated_at = $3 WHERE id = $4")
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

    /// Gives an item to the officer `owner` (keeping its team), or to
    /// nobody (neither owner nor team), whatever its status: the officers'
    /// assignment of one item ([`Store::apply_change`] with
    /// [`ItemChange::Assign`]), audited; an item already so is left as it is.
    pub async fn assign(
        &self,
        id: i64,
        owner: Option<&str>,
        actor: &str,
    ) -> Result<ItemRow, StoreError> {
        let to = match owner {
            Some(o) => Assignee::Officer(o.to_owned()),
            None => Assignee::Nobody,
        };
        let applied = self
            .apply_change(&[id], &ItemChange::Assign(to), actor, None)
            .await?;
        if !applied.missing.is_empty() {
            return Err(StoreError::NotFound { what: "item", id });
        }
        self.item(id).await
    }
}
