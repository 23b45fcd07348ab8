//! Officers' notes on items, stored byte-exact and audited with the item.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::audit::{self, NewAudit};
use super::{Store, StoreError, codec, dialect, notifications};

/// A note on an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub item_id: i64,
    /// The officer who wrote it.
    pub author: String,
    /// Exactly as written.
    pub text: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl Store {
    /// Adds a note to an item; the note, its audit entry and the
    /// notifications of the officers it mentions (`@sam`) commit together.
    pub async fn add_note(&self, id: i64, actor: &str, text: &str) -> Result<Note, StoreError> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM items WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { what: "item", id });
        }
        let at = codec::now();
        let note_id: i64 = sqlx::query_scalar(
            "INSERT INTO notes (item_id, author, text, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(id)
        .bind(dialect::storable(self.engine, actor).into_owned())
        .bind(dialect::storable(self.engine, text).into_owned())
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let entry = NewAudit {
            actor: actor.to_owned(),
            action: "item.note_added".to_owned(),
            item_id: Some(id),
            before: None,
            after: Some(json!({ "note_id": note_id })),
            detail: None,
        };
        audit::insert(&mut tx, &entry, &at).await?;
        notifications::mentioned(&mut tx, id, actor, text, &at).await?;
        tx.commit().await?;
        Ok(Note {
            id: note_id,
            item_id: id,
            author: actor.to_owned(),
            text: text.to_owned(),
            created_at: at,
        })
    }

    /// An item's notes, oldest first (empty for an item without notes).
    pub async fn notes(&self, id: i64) -> Result<Vec<Note>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, item_id, author, text, created_at FROM notes WHERE item_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Note {
                    id: row.try_get("id")?,
                    item_id: row.try_get("item_id")?,
                    author: row.try_get("author")?,
                    text: row.try_get("text")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
