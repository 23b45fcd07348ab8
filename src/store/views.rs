//! Saved views of the inbox: a named filter and order (the inbox's query
//! string, kept as the desk wrote it), an officer's own or shared.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, codec};

/// A saved view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedView {
    pub id: i64,
    /// The officer who saved it.
    pub owner: String,
    pub name: String,
    /// The inbox's query string (`status=new&place=Purley&sort=newest`).
    pub query: String,
    /// Everyone sees it.
    pub shared: bool,
}

impl Store {
    /// The views `officer` sees: her own, then those others shared, by name.
    pub async fn saved_views(&self, officer: &str) -> Result<Vec<SavedView>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, owner, name, query, CASE WHEN shared THEN 1 ELSE 0 END AS shared FROM saved_views \
             WHERE owner = $1 OR shared ORDER BY owner <> $2, name",
        )
        .bind(officer)
        .bind(officer)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SavedView {
                    id: r.try_get("id")?,
                    owner: r.try_get("owner")?,
                    name: r.try_get("name")?,
                    query: r.try_get("query")?,
                    shared: codec::flag(r, "shared")?,
                })
            })
            .collect()
    }

    /// Saves (or, under the same name, replaces) one of `owner`'s views.
    pub async fn save_view(
        &self,
        owner: &str,
        name: &str,
        query: &str,
        shared: bool,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO saved_views (owner, name, query, shared, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (owner, name) DO UPDATE SET query = excluded.query, shared = excluded.shared \
             RETURNING id",
        )
        .bind(owner)
        .bind(name)
        .bind(query)
        .bind(shared)
        .bind(codec::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Deletes one of `owner`'s views; `false` when she has none of that id.
    pub async fn delete_view(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND owner = $2")
            .bind(id)
            .bind(owner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }
}
