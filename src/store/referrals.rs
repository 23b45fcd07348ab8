//! Referrals (schema 15): an item handed to a team by email, and the
//! outbox its email goes through.
//!
//! [`Store::refer`] records the referral in ONE transaction with the item's
//! move to `referred` and its audit entry; the daemon's referral sender then
//! takes what is due ([`Store::due_referrals`]), marks it `sending` before
//! the SMTP transaction ([`Store::referral_sending`]) and records the
//! outcome ([`Store::referral_sent`], [`Store::referral_retry`],
//! [`Store::referral_failed`]). The rules of those moves are
//! `domain::referral`'s; the Message-ID is fixed at creation so a resend
//! after a crash is recognisably the same message.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use super::audit::{self, NewAudit};
use super::items::{ItemRow, item_in};
use super::{Applied, Store, StoreError, codec, notifications};
use crate::domain::mail::{MessageId, Reference};
use crate::domain::referral::ReferralState;
use crate::domain::triage::{Action, Skip, Status};

/// The actor audited for what the referral sender does on its own.
pub const SENDER_ACTOR: &str = "placewatch";

/// A referral an officer makes.
#[derive(Debug, Clone, Copy)]
pub struct NewReferral<'a> {
    pub item_id: i64,
    /// The team's name (ignoring case).
    pub team: &'a str,
    /// Why, as the officer wrote it (not empty).
    pub reason: &'a str,
    /// The referring officer's username.
    pub officer: &'a str,
    /// The right-hand side of the email's Message-ID: the sender's domain.
    pub message_domain: &'a str,
}

/// A referral as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referral {
    pub id: i64,
    /// `PW-000123`, from the id.
    #[serde(serialize_with = "as_text")]
    pub reference: Reference,
    pub item_id: i64,
    pub team_id: i64,
    /// The team's name and addresses when the officer referred.
    pub team_name: String,
    pub recipients: Vec<String>,
    pub reason: String,
    pub officer: String,
    /// As in the header: `<pw-000123.…@council.example>`.
    pub message_id: String,
    pub state: ReferralState,
    pub attempts: u32,
    /// RFC 3339 UTC: when the sender may next try.
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    /// The SMTP server's reply when it took the message.
    pub server_reply: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub updated_at: String,
}

fn as_text<S: serde::Serializer>(r: &Reference, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(r)
}

/// Referrals in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReferralCounts {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
}

const COLUMNS: &str = "id, item_id, team_id, team_name, recipients, reason, officer, \
     message_id, state, attempts, next_attempt_at, last_error, server_reply, created_at, \
     sent_at, updated_at";

fn decode(row: &AnyRow) -> Result<Referral, StoreError> {
    let id: i64 = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    let recipients: String = row.try_get("recipients")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(Referral {
        id,
        reference: Reference::new(codec::count_from_db(id, "referral id")?),
        item_id: row.try_get("item_id")?,
        team_id: row.try_get("team_id")?,
        team_name: row.try_get("team_name")?,
        recipients: codec::from_json(&recipients, "referral recipients")?,
        reason: row.try_get("reason")?,
        officer: row.try_get("officer")?,
        message_id: row.try_get("message_id")?,
        state: ReferralState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("referral state {state:?}")))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        server_reply: row.try_get("server_reply")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn referral_in(conn: &mut AnyConnection, id: i64) -> Result<Referral, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM referrals WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound {
            what: "referral",
            id,
        })?;
    decode(&row)
}

/// The referral's state inside a write transaction, checked against the
/// states a move may start from.
async fn state_for(
    conn: &mut AnyConnection,
    id: i64,
    from: &[ReferralState],
    to: ReferralState,
) -> Result<Referral, StoreError> {
    let referral = referral_in(conn, id).await?;
    if !from.contains(&referral.state) {
        return Err(StoreError::Conflict(format!(
            "referral {} is {}: it cannot become {to}",
            referral.reference, referral.state
        )));
    }
    Ok(referral)
}

/// An audit entry about what became of `referral`'s email: its reference
/// and team in the state after, with `more` (an object) beside them.
fn referral_entry(
    actor: &str,
    action: &str,
    referral: &Referral,
    before: Option<serde_json::Value>,
    mut more: serde_json::Value,
    detail: Option<&str>,
) -> NewAudit {
    if let Some(fields) = more.as_object_mut() {
        fields.insert("referral".into(), referral.reference.to_string().into());
        fields.insert("referred_to".into(), referral.team_name.clone().into());
    }
    NewAudit {
        actor: actor.to_owned(),
        action: action.to_owned(),
        item_id: Some(referral.item_id),
        before,
        after: Some(more),
        detail: detail.map(str::to_owned),
    }
}

/// A referral's Message-ID: the reference and 64 random bits, so two
/// stores' PW-000001 never share an id in a team's mailbox.
fn message_id(reference: Reference, domain: &str) -> Result<MessageId, StoreError> {
    let nonce: u64 = rand::random();
    let left = format!(
        "{}.{nonce:016x}",
        reference.to_string().to_ascii_lowercase()
    );
    MessageId::new(&left, domain)
        .map_err(|e| StoreError::Conflict(format!("no Message-ID for the referral: {e}")))
}

impl Store {
    /// Refers an item to a team: the referral (`queued`, its email sent by
    /// the daemon after this commits) and the item's move to `referred`
    /// commit together, audited as `item.referred` with the team, reference
    /// and reason. Refused when the item's status does not allow it, the
    /// team does not exist, or it has no address.
    pub async fn refer(&self, new: &NewReferral<'_>) -> Result<(ItemRow, Referral), StoreError> {
        let (row, referral, _) = self.refer_audited(new).await?;
        Ok((row, referral))
    }

    /// Refers each of `items` as [`Store::refer`] does (each its own
    /// referral, email and transaction, so one item's refusal leaves the
    /// others referred): what was referred, with its audit entry, and what
    /// was skipped because its status does not allow it.
    pub async fn refer_many(
        &self,
        items: &[i64],
        new: &NewReferral<'_>,
    ) -> Result<(Applied, Vec<Referral>), StoreError> {
        let mut applied = Applied::default();
        let mut referrals = Vec::new();
        for &item_id in items {
            let one = NewReferral { item_id, ..*new };
            match self.refer_audited(&one).await {
                Ok((_, referral, entry)) => {
                    applied.changed.push((item_id, entry));
                    referrals.push(referral);
                }
                Err(StoreError::Transition(e)) => applied.skipped.push((item_id, Skip::Refused(e))),
                Err(StoreError::NotFound { what: "item", .. }) => applied.missing.push(item_id),
                Err(e) => return Err(e),
            }
        }
        Ok((applied, referrals))
    }

    /// [`Store::refer`], with the audit entry's id.
    async fn refer_audited(
        &self,
        new: &NewReferral<'_>,
    ) -> Result<(ItemRow, Referral, i64), StoreError> {
        let reason = new.reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Conflict("say why it is referred".into()));
        }
        let mut tx = self.begin_write().await?;
        let team = sqlx::query("SELECT id, name, emails FROM teams WHERE lower(name) = lower($1)")
            .bind(new.team.trim())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("there is no team {:?}", new.team)))?;
        let (team_id, team_name): (i64, String) = (team.try_get("id")?, team.try_get("name")?);
        let emails: String = team.try_get("emails")?;
        let recipients: Vec<String> = codec::from_json(&emails, "team emails")?;
        if recipients.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{team_name} has no email address to refer to; an administrator can add one on the Teams page"
            )));
        }
        let item = item_in(&mut tx, new.item_id).await?;
        let next: Status = item.status.apply(Action::Refer)?;
        let at = codec::now();
        let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM referrals")
            .fetch_one(&mut *tx)
            .await?;
        let reference = Reference::new(codec::count_from_db(id, "referral id")?);
        sqlx::query(
            "INSERT INTO referrals (id, item_id, team_id, team_name, recipients, reason, officer, \
             message_id, state, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11)",
        )
        .bind(id)
        .bind(new.item_id)
        .bind(team_id)
        .bind(&team_name)
        .bind(codec::to_json(&recipients))
        .bind(reason)
        .bind(new.officer)
        .bind(message_id(reference, new.message_domain)?.as_str())
        .bind(&at)
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        // The item is now the team's (its owner, who referred it or keeps
        // an eye on it, stays), so the inbox's team filter finds it.
        sqlx::query("UPDATE items SET status = $1, team_id = $2, updated_at = $3 WHERE id = $4")
            .bind(next.as_str())
            .bind(team_id)
            .bind(&at)
            .bind(new.item_id)
            .execute(&mut *tx)
            .await?;
        let entry = NewAudit {
            actor: new.officer.to_owned(),
            action: "item.referred".to_owned(),
            item_id: Some(new.item_id),
            before: Some(json!({
                "status": item.status.as_str(),
                "owner": item.owner,
                "team": item.team,
            })),
            after: Some(json!({
                "status": next.as_str(),
                "owner": item.owner,
                "team": team_name,
                "referral": reference.to_string(),
                "referred_to": team_name,
            })),
            detail: Some(reason.to_owned()),
        };
        let entry_id = audit::insert(&mut tx, &entry, &at).await?;
        let referral = referral_in(&mut tx, id).await?;
        let row = item_in(&mut tx, new.item_id).await?;
        tx.commit().await?;
        Ok((row, referral, entry_id))
    }

    /// One referral.
    pub async fn referral(&self, id: i64) -> Result<Referral, StoreError> {
        let mut conn = self.read.acquire().await?;
        referral_in(&mut conn, id).await
    }

    /// An item's referrals, oldest first.
    pub async fn referrals_of(&self, item_id: i64) -> Result<Vec<Referral>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM referrals WHERE item_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(item_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Referrals in `state`, oldest first, at most `limit`.
    pub async fn referrals_in_state(
        &self,
        state: ReferralState,
        limit: u32,
    ) -> Result<Vec<Referral>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM referrals WHERE state = $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(state.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Queued or `sending` referrals whose next attempt is due by `now`,
    /// oldest first, at most `limit`.
    pub async fn due_referrals(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Referral>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM referrals \
             WHERE state IN ('queued', 'sending') AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(codec::format_timestamp(now))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// How many referrals are in each state.
    pub async fn referral_counts(&self) -> Result<ReferralCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM referrals GROUP BY state")
            .fetch_all(&self.read)
            .await?;
        let mut counts = ReferralCounts::default();
        for row in rows {
            let n = codec::count_from_db(row.try_get("n")?, "referral count")?;
            let state: String = row.try_get("state")?;
            match ReferralState::parse(&state) {
                Some(ReferralState::Queued) => counts.queued = n,
                Some(ReferralState::Sending) => counts.sending = n,
                Some(ReferralState::Sent) => counts.sent = n,
                Some(ReferralState::Failed) => counts.failed = n,
                None => return Err(StoreError::Corrupt(format!("referral state {state:?}"))),
            }
        }
        Ok(counts)
    }

    /// Marks a queued (or cut-off `sending`) referral `sending`, one more
    /// attempt, committed before its SMTP transaction begins.
    pub async fn referral_sending(&self, id: i64) -> Result<Referral, StoreError> {
        use ReferralState::*;
        let mut tx = self.begin_write().await?;
        state_for(&mut tx, id, &[Queued, Sending], Sending).await?;
        sqlx::query(
            "UPDATE referrals SET state = 'sending', attempts = attempts + 1, updated_at = $1 \
             WHERE id = $2",
        )
        .bind(codec::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let referral = referral_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// Records that the server took the referral's email; audited.
    pub async fn referral_sent(&self, id: i64, server_reply: &str) -> Result<Referral, StoreError> {
        use ReferralState::*;
        let mut tx = self.begin_write().await?;
        let before = state_for(&mut tx, id, &[Sending], Sent).await?;
        let at = codec::now();
        sqlx::query(
            "UPDATE referrals SET state = 'sent', server_reply = $1, last_error = NULL, \
             sent_at = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(server_reply)
        .bind(&at)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let more = json!({ "message_id": before.message_id, "attempts": before.attempts });
        let entry = referral_entry(
            SENDER_ACTOR,
            "referral.sent",
            &before,
            None,
            more,
            Some(server_reply),
        );
        audit::insert(&mut tx, &entry, &at).await?;
        let referral = referral_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// A temporary failure: queued again, to be tried at `next_attempt_at`.
    pub async fn referral_retry(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<Referral, StoreError> {
        use ReferralState::*;
        let mut tx = self.begin_write().await?;
        state_for(&mut tx, id, &[Sending], Queued).await?;
        sqlx::query(
            "UPDATE referrals SET state = 'queued', last_error = $1, next_attempt_at = $2, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(error)
        .bind(codec::format_timestamp(next_attempt_at))
        .bind(codec::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let referral = referral_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// The referral's email will not go without a person: `failed` with the
    /// reason; audited.
    pub async fn referral_failed(&self, id: i64, error: &str) -> Result<Referral, StoreError> {
        use ReferralState::*;
        let mut tx = self.begin_write().await?;
        let before = state_for(&mut tx, id, &[Queued, Sending], Failed).await?;
        let at = codec::now();
        sqlx::query(
            "UPDATE referrals SET state = 'failed', last_error = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(error)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let more = json!({ "attempts": before.attempts });
        let entry = referral_entry(
            SENDER_ACTOR,
            "referral.failed",
            &before,
            None,
            more,
            Some(error),
        );
        audit::insert(&mut tx, &entry, &at).await?;
        // The referring officer hears of it (her bell, her email).
        notifications::referral_failed(
            &mut tx,
            before.item_id,
            before.reference,
            error,
            &before.officer,
        )
        .await?;
        let referral = referral_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// A person sends a failed referral again (after fixing the address or
    /// the mail settings): queued now, same Message-ID; audited.
    pub async fn requeue_referral(&self, id: i64, actor: &str) -> Result<Referral, StoreError> {
        use ReferralState::*;
        let mut tx = self.begin_write().await?;
        let before = state_for(&mut tx, id, &[Failed], Queued).await?;
        let at = codec::now();
        sqlx::query(
            "UPDATE referrals SET state = 'queued', next_attempt_at = $1, updated_at = $2 \
             WHERE id = $3",
        )
        .bind(&at)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let was = json!({ "state": "failed", "error": before.last_error });
        let entry = referral_entry(
            actor,
            "referral.requeued",
            &before,
            Some(was),
            json!({ "state": "queued" }),
            None,
        );
        audit::insert(&mut tx, &entry, &at).await?;
        let referral = referral_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(referral)
    }
}
