//! The reply outbox's rows: a reply is recorded before it is sent
//! ([`Store::record_reply`], in one transaction with its item's change and
//! audit entry), then moved through its workflow by one verb per event
//! (`events`: [`ReplyState::apply`] decides what is allowed), each writing
//! exactly one audit entry in the same transaction as the change.
//!
//! The idempotency key is the target post: the schema's partial unique index
//! allows one live reply (not cancelled or failed) per post, unless an
//! administrator's override is recorded on the second.
//!
//! Audit actions: `reply.recorded`, `reply.submitted`, `reply.approved`,
//! `reply.resent`, `reply.sent`, `reply.sent_manually`, `reply.failed`,
//! `reply.moved_to_manual`, `reply.retried`, `reply.cancelled`.

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::audit::{self, NewAudit};
use super::codec::{self, id_from_db, id_to_db, opt_id_from_db};
use super::sql::Sql;
use super::usage;
use super::{Store, StoreError, notifications};
use crate::domain::ingest::ReadKind;
use crate::domain::outbox::ReplyState;
use crate::domain::text::ReplyText;
use crate::domain::triage::{Action, ReplyPath, Status};

mod events;

/// A reply in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub id: i64,
    pub item_id: i64,
    /// The post answered (the item's post): the idempotency key.
    pub target_post_id: u64,
    /// Byte-exact, as checked by `ReplyText::parse`.
    pub text: String,
    /// The template's name, if one was used.
    pub template: Option<String>,
    /// The officer who wrote it (who posts it, on the manual path).
    pub officer: String,
    pub state: ReplyState,
    pub path: ReplyPath,
    /// X's id of the reply, once sent.
    pub x_post_id: Option<u64>,
    /// Why it failed or moved to the manual path.
    pub error: Option<String>,
    /// POSTs made or about to be made.
    pub attempts: u32,
    /// The administrator who allowed a second reply to the same post.
    pub override_by: Option<String>,
    pub approved_by: Option<String>,
    /// X's web intent link, on the manual path.
    pub intent_url: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub updated_at: String,
}

/// A reply to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReply {
    pub item_id: i64,
    pub text: ReplyText,
    pub template: Option<String>,
    pub officer: String,
    /// `Draft`, `AwaitingApproval` or `Sending` on the API path;
    /// `ManualPending` on the manual path.
    pub state: ReplyState,
    pub path: ReplyPath,
    /// Set by an administrator to record a second reply to the same post.
    pub override_by: Option<String>,
    /// X's web intent link, on the manual path.
    pub intent_url: Option<String>,
    /// The officer was told another officer has claimed the item and
    /// replies anyway (audited as `reply.over_claim`).
    pub over_claim: bool,
}

/// A reply placewatch posted through X's API, as X bills it: a created post
/// whose price depends on its text (a link) and on whether the post it
/// answers summoned the council (`domain::text::ReplyCost`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReply {
    pub text: String,
    /// The answered post's author mentioned or quoted the council.
    pub summoned: bool,
}

/// Which replies [`Store::list_replies`] returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyFilter {
    pub state: Option<ReplyState>,
    pub item_id: Option<i64>,
    /// At most this many; 0 means 100.
    pub limit: u32,
}

const REPLY_COLUMNS: &str = "id, item_id, target_post_id, text, template, officer, state, path, \
    x_post_id, error, attempts, override_by, approved_by, intent_url, created_at, updated_at";

fn decode_reply(row: &AnyRow) -> Result<Reply, StoreError> {
    let state: &str = row.try_get("state")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(Reply {
        id: row.try_get("id")?,
        item_id: row.try_get("item_id")?,
        target_post_id: id_from_db(row.try_get("target_post_id")?, "post id")?,
        text: row.try_get("text")?,
        template: row.try_get("template")?,
        officer: row.try_get("officer")?,
        state: ReplyState::parse(state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown reply state {state:?}")))?,
        path: codec::reply_path_from_db(row.try_get("path")?)?,
        x_post_id: opt_id_from_db(row.try_get("x_post_id")?, "post id")?,
        error: row.try_get("error")?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::Corrupt(format!("reply attempts {attempts}")))?,
        override_by: row.try_get("override_by")?,
        approved_by: row.try_get("approved_by")?,
        intent_url: row.try_get("intent_url")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn reply_in(conn: &mut AnyConnection, id: i64) -> Result<Reply, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {REPLY_COLUMNS} FROM replies WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound { what: "reply", id })?;
    decode_reply(&row)
}

/// An item's status, owner, reply path and post, inside a write transaction.
#[derive(Debug, Clone)]
struct ItemState {
    status: Status,
    owner: Option<String>,
    reply_path: ReplyPath,
    post_id: u64,
}

impl ItemState {
    fn json(&self) -> Value {
        json!({
            "status": self.status.as_str(),
            "owner": self.owner,
            "reply_path": self.reply_path.as_str(),
        })
    }
}

async fn item_state(conn: &mut AnyConnection, id: i64) -> Result<ItemState, StoreError> {
    let row = sqlx::query("SELECT status, owner, reply_path, post_id FROM items WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound { what: "item", id })?;
    Ok(ItemState {
        status: codec::status_from_db(row.try_get("status")?)?,
        owner: row.try_get("owner")?,
        reply_path: codec::reply_path_from_db(row.try_get("reply_path")?)?,
        post_id: id_from_db(row.try_get("post_id")?, "post id")?,
    })
}

async fn update_item(
    conn: &mut AnyConnection,
    id: i64,
    item: &ItemState,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE items SET status = $1, owner = $2, reply_path = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(item.status.as_str())
    .bind(&item.owner)
    .bind(item.reply_path.as_str())
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The live reply holding `target`, if any (overrides aside), as the
/// [`StoreError::ReplyExists`] that refuses another: with what becomes of it
/// and what, if anything, the officer should do.
async fn live_reply(
    conn: &mut AnyConnection,
    target: u64,
) -> Result<Option<StoreError>, StoreError> {
    let row = sqlx::query(
        "SELECT id, state, updated_at FROM replies WHERE target_post_id = $1 \
         AND state NOT IN ('cancelled', 'failed') AND override_by IS NULL LIMIT 1",
    )
    .bind(id_to_db(target, "post id")?)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let state: &str = row.try_get("state")?;
        let state = ReplyState::parse(state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown reply state {state:?}")))?;
        let updated_at: String = row.try_get("updated_at")?;
        Ok(StoreError::ReplyExists {
            target,
            reply_id: row.try_get("id")?,
            state,
            next: what_happens_next(state, &updated_at),
        })
    })
    .transpose()
}

/// What becomes of a live reply that refuses another to the same post.
fn what_happens_next(state: ReplyState, updated_at: &str) -> String {
    match state {
        // A send that was interrupted (the process killed, X's answer lost)
        // or is still in flight: the outbox settles it on its own.
        ReplyState::Sending => format!(
            "it is being sent (its send began at {updated_at} and was interrupted or is still \
             in flight): placewatch checks the council's timeline and marks it sent, or sends \
             it once, within about 2 minutes (`placewatch run` does this on its own, as \
             does the next command that talks to X); nothing more to do"
        ),
        _ => "cancel it first, or override as an administrator".to_owned(),
    }
}

/// The reply's part of an audit entry.
fn reply_json(reply: &Reply) -> Value {
    json!({
        "id": reply.id,
        "state": reply.state.as_str(),
        "path": reply.path.as_str(),
        "x_post_id": reply.x_post_id.map(|id| id.to_string()),
        "attempts": reply.attempts,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    /// Records a reply before anything is sent, in ONE transaction with its
    /// item's change (a `new` item becomes `in_progress`, owned by the officer
    /// if it had no owner) and one `reply.recorded` audit entry.
    ///
    /// Refused with [`StoreError::ReplyExists`] when the item's post already
    /// has a live reply and no override is given, and with
    /// [`StoreError::Conflict`] when the item is closed (replied or
    /// dismissed; a referred item takes its holding reply) without an
    /// override, or the state does not suit the path.
    pub async fn record_reply(&self, new: &NewReply) -> Result<Reply, StoreError> {
        let initial = matches!(
            (new.state, new.path),
            (
                ReplyState::Draft | ReplyState::AwaitingApproval | ReplyState::Sending,
                ReplyPath::Api
            ) | (ReplyState::ManualPending, ReplyPath::Manual)
        );
        if !initial {
            return Err(StoreError::Conflict(format!(
                "a reply cannot start {} on the {} path",
                new.state,
                new.path.as_str()
            )));
        }
        let mut tx = self.begin_write().await?;
        let before = item_state(&mut tx, new.item_id).await?;
        let target = before.post_id;
        if new.override_by.is_none() {
            if let Some(exists) = live_reply(&mut tx, target).await? {
                return Err(exists);
            }
            // A referred item may still take its one reply: the holding
            // reply telling the resident who has it ("ref PW-000123").
            if !before.status.is_open() && before.status != Status::Referred {
                return Err(StoreError::Conflict(format!(
                    "item {} is {}: reopen it before replying, or override as an administrator",
                    new.item_id, before.status
                )));
            }
        }
        // A claim is someone's word that the item is theirs.
        let claimant = before
            .owner
            .clone()
            .filter(|o| before.status == Status::InProgress && *o != new.officer);
        if let (Some(owner), false) = (&claimant, new.over_claim) {
            return Err(StoreError::Claimed {
                item_id: new.item_id,
                owner: owner.clone(),
            });
        }
        let mut after = before.clone();
        if after.owner.is_none() {
            after.owner = Some(new.officer.clone());
        }
        if after.status == Status::New {
            after.status = Status::New.apply(Action::Claim)?;
        }
        let at = codec::now();
        if after.status != before.status || after.owner != before.owner {
            update_item(&mut tx, new.item_id, &after, &at).await?;
        }
        let attempts = i64::from(new.state == ReplyState::Sending);
        let inserted = sqlx::query_scalar(
            "INSERT INTO replies (item_id, target_post_id, text, template, officer, state, path, \
             attempts, override_by, intent_url, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(new.item_id)
        .bind(id_to_db(target, "post id")?)
        .bind(new.text.as_str())
        .bind(&new.template)
        .bind(&new.officer)
        .bind(new.state.as_str())
        .bind(new.path.as_str())
        .bind(attempts)
        .bind(&new.override_by)
        .bind(&new.intent_url)
        .bind(&at)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(live_reply(&mut tx, target).await?.ok_or(e)?);
            }
            Err(e) => return Err(e.into()),
        };
        let reply = reply_in(&mut tx, id).await?;
        let entry = NewAudit {
            actor: new.officer.clone(),
            action: "reply.recorded".to_owned(),
            item_id: Some(new.item_id),
            before: Some(json!({ "item": before.json() })),
            after: Some(json!({ "item": after.json(), "reply": reply_json(&reply) })),
            detail: Some(match (&new.template, &new.override_by) {
                (_, Some(admin)) => format!("second reply to post {target}, allowed by {admin}"),
                (Some(t), None) => format!("reply to post {target} from template {t}"),
                (None, None) => format!("reply to post {target}"),
            }),
        };
        audit::insert(&mut tx, &entry, &at).await?;
        if let Some(owner) = claimant {
            let over = NewAudit {
                actor: new.officer.clone(),
                action: "reply.over_claim".to_owned(),
                item_id: Some(new.item_id),
                before: None,
                after: Some(json!({ "reply": reply.id, "claimed_by": owner })),
                detail: Some(format!("replied over {owner}'s claim")),
            };
            audit::insert(&mut tx, &over, &at).await?;
        }
        if reply.state == ReplyState::AwaitingApproval {
            notifications::reply_awaiting_approval(
                &mut tx,
                reply.item_id,
                reply.id,
                &reply.officer,
                &reply.text,
                &at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(reply)
    }

    /// One reply.
    pub async fn reply(&self, id: i64) -> Result<Reply, StoreError> {
        let mut conn = self.read.acquire().await?;
        reply_in(&mut conn, id).await
    }

    /// Every reply in `state`, oldest first.
    pub async fn replies_in_state(&self, state: ReplyState) -> Result<Vec<Reply>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REPLY_COLUMNS} FROM replies WHERE state = $1 ORDER BY id"
        ))
        .bind(state.as_str())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode_reply).collect()
    }

    /// How many replies are in `state` (the approvals badge).
    pub async fn count_replies_in_state(&self, state: ReplyState) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM replies WHERE state = $1")
            .bind(state.as_str())
            .fetch_one(&self.read)
            .await?;
        codec::count_from_db(n, "reply count")
    }

    /// Replies, newest first, of one state and/or one item.
    pub async fn list_replies(&self, filter: &ReplyFilter) -> Result<Vec<Reply>, StoreError> {
        let mut qb: Sql = Sql::new(format!("SELECT {REPLY_COLUMNS} FROM replies WHERE 1 = 1"));
        if let Some(state) = filter.state {
            qb.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(item) = filter.item_id {
            qb.push(" AND item_id = ").push_bind(item);
        }
        let limit = if filter.limit == 0 { 100 } else { filter.limit };
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build()?.fetch_all(&self.read).await?;
        rows.iter().map(decode_reply).collect()
    }

    /// The replies placewatch posted through the API in `month` (`YYYY-MM`,
    /// UTC; when they were marked sent), oldest first. Replies officers
    /// posted on x.com (the manual path) cost the API nothing and are not
    /// among them. Walks the sent replies (`replies_by_state`).
    pub async fn api_replies_sent_in(&self, month: &str) -> Result<Vec<SentReply>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.text, CASE WHEN i.summoned THEN 1 ELSE 0 END AS summoned FROM replies r JOIN items i ON i.id = r.item_id \
             WHERE r.state = 'sent' AND r.path = 'api' AND substr(r.updated_at, 1, 7) = $1 \
             ORDER BY r.id",
        )
        .bind(month)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SentReply {
                    text: row.try_get("text")?,
                    summoned: codec::flag(row, "summoned")?,
                })
            })
            .collect()
    }

    /// Which of these X post ids are already some reply's `x_post_id`.
    pub async fn linked_posts(&self, x_post_ids: &[u64]) -> Result<Vec<u64>, StoreError> {
        if x_post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: Sql = Sql::new("SELECT x_post_id FROM replies WHERE x_post_id IN (");
        let ids = x_post_ids
            .iter()
            .map(|id| id_to_db(*id, "post id"))
            .collect::<Result<Vec<i64>, _>>()?;
        qb.push_list(ids);
        qb.push(")");
        let rows = qb.build()?.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| id_from_db(row.try_get("x_post_id")?, "post id"))
            .collect()
    }

    /// Counts owned reads made outside a poll cycle (the outbox reading the
    /// council's timeline) in this month's usage.
    pub async fn add_owned_reads(&self, reads: u64) -> Result<(), StoreError> {
        if reads == 0 {
            return Ok(());
        }
        let (_, month) = codec::timestamp_and_month(&codec::now())?;
        let mut tx = self.begin_write().await?;
        usage::add(&mut tx, &month, ReadKind::OwnedRead, reads).await?;
        tx.commit().await?;
        Ok(())
    }
}
