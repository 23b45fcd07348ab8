//! How an officer hears of her work: an email address, and whether to send
//! to it at once, as a daily digest at a set time, or not at all (schema 13).
//! Kept apart from `officers` (the login's business); the notifications that
//! read it come later.

use serde_json::json;
use sqlx::{Any, Row};

use super::audit::{self, NewAudit};
use super::{Store, StoreError, codec};
use crate::domain::team::{DigestAt, Notify};

/// An officer's email address and notification preference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficerContact {
    /// Checked by the caller (lettre's `Address`); `None`: no email.
    pub email: Option<String>,
    pub notify: Notify,
    /// When a digest is sent (UK time).
    pub digest_at: DigestAt,
}

impl Store {
    /// `username`'s contact details; `None` when there is no such officer.
    pub async fn officer_contact(
        &self,
        username: &str,
    ) -> Result<Option<OfficerContact>, StoreError> {
        read(&self.read, username).await
    }

    /// Sets `username`'s contact details, audited as `actor`'s change.
    pub async fn set_officer_contact(
        &self,
        username: &str,
        contact: &OfficerContact,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let before = read(&mut *tx, username)
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("no officer called {username:?}")))?;
        sqlx::query(
            "UPDATE officers SET email = $1, notify = $2, digest_at = $3 WHERE username = $4",
        )
        .bind(&contact.email)
        .bind(contact.notify.as_str())
        .bind(contact.digest_at.to_string())
        .bind(username)
        .execute(&mut *tx)
        .await?;
        let view = |c: &OfficerContact| {
            json!({
                "username": username,
                "email": c.email,
                "notify": c.notify.as_str(),
                "digest_at": c.digest_at.to_string(),
            })
        };
        let entry = NewAudit {
            actor: actor.to_owned(),
            action: "officer.contact_changed".into(),
            item_id: None,
            before: Some(view(&before)),
            after: Some(view(contact)),
            detail: None,
        };
        audit::insert(&mut tx, &entry, &codec::now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn read<'e>(
    conn: impl sqlx::Executor<'e, Database = Any>,
    username: &str,
) -> Result<Option<OfficerContact>, StoreError> {
    let row = sqlx::query("SELECT email, notify, digest_at FROM officers WHERE username = $1")
        .bind(username)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let notify: String = r.try_get("notify")?;
        let digest_at: String = r.try_get("digest_at")?;
        Ok(OfficerContact {
            email: r.try_get("email")?,
            notify: Notify::parse(&notify)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown notify {notify:?}")))?,
            digest_at: DigestAt::parse(&digest_at).ok_or_else(|| {
                StoreError::Corrupt(format!("digest time {digest_at:?} is not HH:MM"))
            })?,
        })
    })
    .transpose()
}
