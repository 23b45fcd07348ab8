//! The council's X tokens kept in the store, for replicas (`x_tokens`, one
//! row; see migration 0025 for why). `x::auth`'s token store reads, writes
//! and locks them here on PostgreSQL; with SQLite the token file in the data
//! directory does this job and the table stays empty.
//!
//! The row is the token file's JSON, opaque here, handed over as a
//! [`SecretString`] so that it is never printed. A refresh spends the
//! refresh token once, so refreshes across replicas are serialised by
//! [`Store::lock_x_tokens`]: a PostgreSQL session advisory lock on a
//! connection of its own, released when that connection closes, which
//! PostgreSQL also does when the replica holding it dies.

use secrecy::{ExposeSecret, SecretString};
use sqlx::{AnyConnection, Connection};

use super::dialect::now_ms;
use super::{Engine, Store, StoreError};

/// The advisory lock key serialising token refreshes: "pw-token" in ASCII,
/// beside the write lock's "placewat".
const TOKEN_LOCK: i64 = 0x7077_2d74_6f6b_656e;

/// Held while a token refresh (or a login, or a logout) runs; the lock goes
/// when this is dropped, by closing its connection.
#[derive(Debug)]
pub struct TokenLock {
    conn: Option<AnyConnection>,
}

impl Drop for TokenLock {
    fn drop(&mut self) {
        // Ending the session releases a session lock; no unlock statement
        // can be forgotten or fail half-way.
        if let (Some(conn), Ok(runtime)) = (self.conn.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move {
                if let Err(e) = conn.close().await {
                    tracing::debug!(error = %e, "closing the token lock's connection failed");
                }
            });
        }
    }
}

impl Store {
    /// The stored tokens' JSON, if anyone has logged in.
    pub async fn x_tokens(&self) -> Result<Option<SecretString>, StoreError> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM x_tokens WHERE id = 1")
            .fetch_optional(&self.read)
            .await?;
        Ok(body.map(SecretString::from))
    }

    /// Replaces the stored tokens with `body`.
    pub async fn save_x_tokens(&self, body: &SecretString) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO x_tokens (id, body, updated_at) VALUES (1, $1, {now}) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            now = now_ms(self.engine)
        ))
        .bind(body.expose_secret())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores `body` unless tokens are stored already (the first replica to
    /// bring the data directory's token file wins); whether it was stored.
    pub async fn adopt_x_tokens(&self, body: &SecretString) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let stored = sqlx::query(&format!(
            "INSERT INTO x_tokens (id, body, updated_at) VALUES (1, $1, {now}) \
             ON CONFLICT (id) DO NOTHING",
            now = now_ms(self.engine)
        ))
        .bind(body.expose_secret())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(stored == 1)
    }

    /// Deletes the stored tokens (a logout); `false` if there were none.
    pub async fn delete_x_tokens(&self) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM x_tokens WHERE id = 1")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Waits for the lock serialising token refreshes across replicas.
    /// PostgreSQL only: with SQLite the token file's lock does this.
    pub async fn lock_x_tokens(&self) -> Result<TokenLock, StoreError> {
        if self.engine != Engine::Postgres {
            return Err(StoreError::Unsupported {
                verb: "locking the shared X tokens",
                engine: self.engine,
            });
        }
        // A connection of its own, out of the pool: the lock lives as long
        // as its session, and the pool never hands a locked session to
        // anyone else.
        let mut conn = self.read.acquire().await?.detach();
        sqlx::query("SELECT 1 AS locked FROM pg_advisory_lock($1)")
            .bind(TOKEN_LOCK)
            .execute(&mut conn)
            .await?;
        Ok(TokenLock { conn: Some(conn) })
    }
}
