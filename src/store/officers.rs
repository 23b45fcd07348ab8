//! The desk's officers and their login sessions. Passwords arrive here already
//! hashed (argon2id, by `web::auth`) and session tokens as their SHA-256: the
//! store never sees a secret. Changes to officers are audited in the same
//! transaction; disabling an officer or changing their password ends their
//! sessions in that transaction too.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use super::audit::{self, NewAudit};
use super::{Store, StoreError, codec};
use crate::domain::officer::Role;

/// An officer as the desk shows them (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Officer {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// An officer to create.
#[derive(Debug, Clone)]
pub struct NewOfficer<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    /// An argon2id PHC string.
    pub password_hash: &'a str,
}

/// A live session: who it belongs to and its form token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub officer: Officer,
    pub csrf_token: String,
    /// RFC 3339 UTC.
    pub expires_at: String,
}

const OFFICER_COLUMNS: &str = "o.id AS o_id, o.username AS o_username, \
     o.display_name AS o_display_name, o.role AS o_role, o.disabled AS o_disabled, \
     o.created_at AS o_created_at";

fn decode_officer(row: &AnyRow) -> Result<Officer, StoreError> {
    let role: &str = row.try_get("o_role")?;
    Ok(Officer {
        id: row.try_get("o_id")?,
        username: row.try_get("o_username")?,
        display_name: row.try_get("o_display_name")?,
        role: Role::parse(role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        disabled: codec::flag(row, "o_disabled")?,
        created_at: row.try_get("o_created_at")?,
    })
}

impl Store {
    /// Creates an officer; `actor` (an administrator, or the CLI's user) is audited.
    /// A taken username is a [`StoreError::Conflict`].
    pub async fn add_officer(
        &self,
        new: &NewOfficer<'_>,
        actor: &str,
    ) -> Result<Officer, StoreError> {
        let mut tx = self.begin_write().await?;
        let at = codec::now();
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM officers WHERE username = $1")
            .bind(new.username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "there is already an officer called {:?}",
                new.username
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO officers (username, display_name, role, password_hash, created_at, \
             password_changed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.username)
        .bind(new.display_name)
        .bind(new.role.as_str())
        .bind(new.password_hash)
        .bind(&at)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let entry = NewAudit {
            actor: actor.to_owned(),
            action: "officer.added".into(),
            item_id: None,
            before: None,
            after: Some(json!({
                "username": new.username,
                "display_name": new.display_name,
                "role": new.role.as_str(),
            })),
            detail: None,
        };
        audit::insert(&mut tx, &entry, &at).await?;
        tx.commit().await?;
        Ok(Officer {
            id,
            username: new.username.to_owned(),
            display_name: new.display_name.to_owned(),
            role: new.role,
            disabled: false,
            created_at: at,
        })
    }

    /// Every officer, by username.
    pub async fn officers(&self) -> Result<Vec<Officer>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OFFICER_COLUMNS} FROM officers o ORDER BY o.username"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode_officer).collect()
    }

    /// An officer and their password hash, to check a login. Disabled officers
    /// are returned too (the caller refuses them after checking the password,
    /// so a login reveals nothing about accounts to someone without it).
    pub async fn officer_credentials(
        &self,
        username: &str,
    ) -> Result<Option<(Officer, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {OFFICER_COLUMNS}, o.password_hash AS o_hash FROM officers o \
             WHERE o.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| Ok((decode_officer(&row)?, row.try_get("o_hash")?)))
            .transpose()
    }

    /// Disables (or re-enables) an officer; disabling ends their sessions.
    pub async fn set_officer_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: &str,
    ) -> Result<Officer, StoreError> {
        let mut tx = self.begin_write().await?;
        let officer = officer_in(&mut tx, username).await?;
        // An integer 0 or 1 on both engines.
        sqlx::query("UPDATE officers SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(officer.id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            end_sessions_of(&mut tx, officer.id).await?;
        }
        let change = OfficerChange {
            actor,
            action: if disabled {
                "officer.disabled"
            } else {
                "officer.enabled"
            },
            before: json!({ "username": username, "disabled": officer.disabled }),
            after: json!({ "username": username, "disabled": disabled }),
        };
        let officer = change.finish(&mut tx, officer.id).await?;
        tx.commit().await?;
        Ok(officer)
    }

    /// Sets a new password hash and ends the officer's sessions.
    pub async fn set_officer_password(
        &self,
        username: &str,
        password_hash: &str,
        actor: &str,
    ) -> Result<Officer, StoreError> {
        let mut tx = self.begin_write().await?;
        let officer = officer_in(&mut tx, username).await?;
        sqlx::query(
            "UPDATE officers SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(codec::now())
        .bind(officer.id)
        .execute(&mut *tx)
        .await?;
        end_sessions_of(&mut tx, officer.id).await?;
        let change = OfficerChange {
            actor,
            action: "officer.password_reset",
            before: json!({ "username": username }),
            after: json!({ "username": username }),
        };
        let officer = change.finish(&mut tx, officer.id).await?;
        tx.commit().await?;
        Ok(officer)
    }

    /// Gives an officer another role (their sessions carry on with it).
    pub async fn set_officer_role(
        &self,
        username: &str,
        role: Role,
        actor: &str,
    ) -> Result<Officer, StoreError> {
        let mut tx = self.begin_write().await?;
        let officer = officer_in(&mut tx, username).await?;
        sqlx::query("UPDATE officers SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(officer.id)
            .execute(&mut *tx)
            .await?;
        let change = OfficerChange {
            actor,
            action: "officer.role_changed",
            before: json!({ "username": username, "role": officer.role.as_str() }),
            after: json!({ "username": username, "role": role.as_str() }),
        };
        let officer = change.finish(&mut tx, officer.id).await?;
        tx.commit().await?;
        Ok(officer)
    }

    /// Records a new session (the SHA-256 of its token) and audits the login.
    pub async fn create_session(
        &self,
        officer: &Officer,
        token_hash: &[u8],
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let at = codec::now();
        // Sessions past their expiry are no use to anyone: sweep them here.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, officer_id, csrf_token, created_at, expires_at, \
             last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(officer.id)
        .bind(csrf_token)
        .bind(&at)
        .bind(codec::format_timestamp(expires_at))
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let entry = NewAudit {
            actor: officer.username.clone(),
            action: "officer.logged_in".into(),
            item_id: None,
            before: None,
            after: None,
            detail: None,
        };
        audit::insert(&mut tx, &entry, &at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session with this token hash: not expired, officer not disabled.
    pub async fn session(&self, token_hash: &[u8]) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {OFFICER_COLUMNS}, s.csrf_token AS s_csrf, s.expires_at AS s_expires \
             FROM sessions s JOIN officers o ON o.id = s.officer_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND o.disabled = 0"
        ))
        .bind(token_hash)
        .bind(codec::now())
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(Session {
                officer: decode_officer(&row)?,
                csrf_token: row.try_get("s_csrf")?,
                expires_at: row.try_get("s_expires")?,
            })
        })
        .transpose()
    }

    /// Ends a session (logout), auditing it if it existed.
    pub async fn end_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let username: Option<String> = sqlx::query_scalar(
            "DELETE FROM sessions WHERE token_hash = $1 RETURNING \
             (SELECT username FROM officers WHERE id = officer_id)",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(username) = username {
            let entry = NewAudit {
                actor: username,
                action: "officer.logged_out".into(),
                item_id: None,
                before: None,
                after: None,
                detail: None,
            };
            audit::insert(&mut tx, &entry, &codec::now()).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// An officer by username, inside a write transaction.
async fn officer_in(conn: &mut AnyConnection, username: &str) -> Result<Officer, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {OFFICER_COLUMNS} FROM officers o WHERE o.username = $1"
    ))
    .bind(username)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| StoreError::Conflict(format!("no officer called {username:?}")))?;
    decode_officer(&row)
}

async fn end_sessions_of(conn: &mut AnyConnection, officer_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE officer_id = $1")
        .bind(officer_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The audit entry of a change to an officer.
struct OfficerChange<'a> {
    actor: &'a str,
    action: &'static str,
    before: serde_json::Value,
    after: serde_json::Value,
}

impl OfficerChange<'_> {
    /// Audits the change and reads the officer back, in the caller's transaction.
    async fn finish(self, conn: &mut AnyConnection, id: i64) -> Result<Officer, StoreError> {
        let entry = NewAudit {
            actor: self.actor.to_owned(),
            action: self.action.to_owned(),
            item_id: None,
            before: Some(self.before),
            after: Some(self.after),
            detail: None,
        };
        audit::insert(&mut *conn, &entry, &codec::now()).await?;
        let row = sqlx::query(&format!(
            "SELECT {OFFICER_COLUMNS} FROM officers o WHERE o.id = $1"
        ))
        .bind(id)
        .fetch_one(conn)
        .await?;
        decode_officer(&row)
    }
}
