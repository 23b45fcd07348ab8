//! The events of a reply after it is recorded: one verb per
//! [`ReplyEvent`], each applied by [`Store::apply_event`] with its effect on
//! the item and exactly one audit entry, in one transaction.

use serde_json::json;

use super::{
    Reply, is_unique_violation, item_state, live_reply, reply_in, reply_json, update_item,
};
use crate::domain::outbox::{ReplyEvent, ReplyState};
use crate::domain::triage::{Action, ReplyPath};
use crate::store::audit::{self, NewAudit};
use crate::store::codec::{self, opt_id_to_db};
use crate::store::{Store, StoreError, notifications};

/// What an event does to the reply's item besides the reply itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemEffect {
    None,
    /// The item becomes `replied` (if still open).
    MarkReplied,
    /// The item's reply path becomes `manual`.
    ManualPath,
}

/// One event on a reply, as [`Store::apply_event`] performs it.
struct Change<'a> {
    event: ReplyEvent,
    actor: &'a str,
    action: &'static str,
    /// `Some(value)` replaces the error (`Some(None)` clears it).
    error: Option<Option<&'a str>>,
    x_post_id: Option<u64>,
    path: Option<ReplyPath>,
    intent_url: Option<&'a str>,
    approved_by: Option<&'a str>,
    /// The event is followed by a POST.
    attempt: bool,
    item: ItemEffect,
    /// Whether the reply's own officer may do this (false for approval).
    author_may_act: bool,
}

impl<'a> Change<'a> {
    fn new(event: ReplyEvent, actor: &'a str, action: &'static str) -> Self {
        Change {
            event,
            actor,
            action,
            error: None,
            x_post_id: None,
            path: None,
            intent_url: None,
            approved_by: None,
            attempt: false,
            item: ItemEffect::None,
            author_may_act: true,
        }
    }
}

impl Store {
    /// Marks a `sending` reply sent as X post `x_post_id`; its item becomes
    /// `replied` (if still open). Marking it again with the same id changes
    /// and audits nothing.
    pub async fn mark_sent(
        &self,
        id: i64,
        x_post_id: u64,
        actor: &str,
    ) -> Result<Reply, StoreError> {
        let mut change = Change::new(ReplyEvent::Sent, actor, "reply.sent");
        change.x_post_id = Some(x_post_id);
        change.error = Some(None);
        change.item = ItemEffect::MarkReplied;
        self.apply_event(id, change).await
    }

    /// Links the officer's own reply on x.com (`x_post_id`, found in the
    /// council's timeline) to a `manual_pending` reply: sent on the manual
    /// path, the item `replied`, audited as a manual reply by that officer.
    pub async fn link_manual_reply(&self, id: i64, x_post_id: u64) -> Result<Reply, StoreError> {
        let officer = self.reply(id).await?.officer;
        let mut change = Change::new(ReplyEvent::LinkedManually, &officer, "reply.sent_manually");
        change.x_post_id = Some(x_post_id);
        change.path = Some(ReplyPath::Manual);
        change.item = ItemEffect::MarkReplied;
        self.apply_event(id, change).await
    }

    /// Marks a `sending` reply failed with the reason; a person may retry it.
    pub async fn mark_failed(
        &self,
        id: i64,
        reason: &str,
        actor: &str,
    ) -> Result<Reply, StoreError> {
        let mut change = Change::new(ReplyEvent::Fail, actor, "reply.failed");
        change.error = Some(Some(reason));
        self.apply_event(id, change).await
    }

    /// Moves a `sending` reply to the manual path (X refused an API reply):
    /// `manual_pending` with the reason and the intent link, and the item's
    /// reply path `manual`.
    pub async fn to_manual(
        &self,
        id: i64,
        reason: &str,
        intent_url: &str,
        actor: &str,
    ) -> Result<Reply, StoreError> {
        let mut change = Change::new(ReplyEvent::ToManual, actor, "reply.moved_to_manual");
        change.error = Some(Some(reason));
        change.path = Some(ReplyPath::Manual);
        change.intent_url = Some(intent_url);
        change.item = ItemEffect::ManualPath;
        self.apply_event(id, change).await
    }

    /// Withdraws a draft, awaiting, failed or manual-pending reply. A reply in
    /// `sending` cannot be cancelled: reconcile it first.
    pub async fn cancel_reply(&self, id: i64, actor: &str) -> Result<Reply, StoreError> {
        self.apply_event(
            id,
            Change::new(ReplyEvent::Cancel, actor, "reply.cancelled"),
        )
        .await
    }

    /// An approver turns down a reply awaiting approval, with the reason
    /// (kept as the reply's error and in the audit entry): `cancelled`, which
    /// frees the post for another reply.
    pub async fn reject_reply(
        &self,
        id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<Reply, StoreError> {
        let current = self.reply(id).await?;
        if current.state != ReplyState::AwaitingApproval {
            return Err(StoreError::Conflict(format!(
                "reply {id} is {}, not awaiting approval",
                current.state
            )));
        }
        let mut change = Change::new(ReplyEvent::Cancel, actor, "reply.rejected");
        change.error = Some(Some(reason));
        self.apply_event(id, change).await
    }

    /// Sends a failed reply again: back to `sending`, one more attempt.
    /// Refused with [`StoreError::ReplyExists`] if the post got another live
    /// reply meanwhile.
    pub async fn retry_reply(&self, id: i64, actor: &str) -> Result<Reply, StoreError> {
        let mut change = Change::new(ReplyEvent::Retry, actor, "reply.retried");
        change.error = Some(None);
        change.attempt = true;
        self.apply_event(id, change).await
    }

    /// An approver lets an awaiting reply go out: `sending`, one attempt.
    /// Approval is a second pair of eyes: the officer who wrote the reply
    /// may not approve it unless `allow_self` (the desk's
    /// `allow_self_approval`); the refusal is audited
    /// (`reply.approval_refused`) and is a [`StoreError::SelfApproval`].
    pub async fn approve_reply(
        &self,
        id: i64,
        actor: &str,
        allow_self: bool,
    ) -> Result<Reply, StoreError> {
        let mut change = Change::new(ReplyEvent::Approve, actor, "reply.approved");
        change.approved_by = Some(actor);
        change.attempt = true;
        change.author_may_act = allow_self;
        self.apply_event(id, change).await
    }

    /// Submits a draft: `sending`, or `awaiting_approval` when it needs an approver.
    pub async fn submit_draft(
        &self,
        id: i64,
        needs_approval: bool,
        actor: &str,
    ) -> Result<Reply, StoreError> {
        let event = if needs_approval {
            ReplyEvent::SubmitForApproval
        } else {
            ReplyEvent::Submit
        };
        let mut change = Change::new(event, actor, "reply.submitted");
        change.attempt = !needs_approval;
        self.apply_event(id, change).await
    }

    /// Records that reconciliation found no trace of a `sending` reply and
    /// sends it again (one more attempt), before the POST.
    pub async fn note_resend(&self, id: i64, actor: &str) -> Result<Reply, StoreError> {
        let mut change = Change::new(ReplyEvent::Resend, actor, "reply.resent");
        change.attempt = true;
        self.apply_event(id, change).await
    }

    /// Applies one event to a reply, with its item effect and one audit
    /// entry, in one transaction.
    async fn apply_event(&self, id: i64, change: Change<'_>) -> Result<Reply, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = reply_in(&mut tx, id).await?;
        if change.event == ReplyEvent::Sent
            && before.state == ReplyState::Sent
            && before.x_post_id == change.x_post_id
        {
            return Ok(before);
        }
        let next = before.state.apply(change.event)?;
        if !change.author_may_act && before.officer == change.actor {
            let entry = NewAudit {
                actor: change.actor.to_owned(),
                action: "reply.approval_refused".to_owned(),
                item_id: Some(before.item_id),
                before: Some(json!({ "reply": reply_json(&before) })),
                after: None,
                detail: Some(format!(
                    "{} wrote reply {id} and may not approve it: another approver must",
                    change.actor
                )),
            };
            audit::insert(&mut tx, &entry, &codec::now()).await?;
            tx.commit().await?;
            return Err(StoreError::SelfApproval {
                reply_id: id,
                officer: change.actor.to_owned(),
            });
        }
        if next.holds_target()
            && !before.state.holds_target()
            && before.override_by.is_none()
            && let Some(exists) = live_reply(&mut tx, before.target_post_id).await?
        {
            return Err(exists);
        }
        let at = codec::now();
        let error = change
            .error
            .map_or(before.error.clone(), |e| e.map(str::to_owned));
        let path = change.path.unwrap_or(before.path);
        let updated = sqlx::query(
            "UPDATE replies SET state = $1, error = $2, path = $3, \
             x_post_id = COALESCE($4, x_post_id), intent_url = COALESCE($5, intent_url), \
             approved_by = COALESCE($6, approved_by), attempts = attempts + $7, updated_at = $8 \
             WHERE id = $9",
        )
        .bind(next.as_str())
        .bind(&error)
        .bind(path.as_str())
        .bind(opt_id_to_db(change.x_post_id, "post id")?)
        .bind(change.intent_url)
        .bind(change.approved_by)
        .bind(i64::from(change.attempt))
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await;
        match updated {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "post {} is already linked to another reply",
                    change.x_post_id.unwrap_or_default()
                )));
            }
            other => other?,
        };
        let item_before = item_state(&mut tx, before.item_id).await?;
        let mut item_after = item_before.clone();
        match change.item {
            ItemEffect::MarkReplied if item_after.status.is_open() => {
                item_after.status = item_after.status.apply(Action::MarkReplied)?;
            }
            ItemEffect::ManualPath => item_after.reply_path = ReplyPath::Manual,
            ItemEffect::MarkReplied | ItemEffect::None => {}
        }
        let item_changed = item_after.status != item_before.status
            || item_after.reply_path != item_before.reply_path;
        if item_changed {
            update_item(&mut tx, before.item_id, &item_after, &at).await?;
        }
        let after = reply_in(&mut tx, id).await?;
        let entry = NewAudit {
            actor: change.actor.to_owned(),
            action: change.action.to_owned(),
            item_id: Some(before.item_id),
            before: Some(json!({ "item": item_before.json(), "reply": reply_json(&before) })),
            after: Some(json!({ "item": item_after.json(), "reply": reply_json(&after) })),
            detail: after.error.clone().filter(|_| change.error.is_some()),
        };
        audit::insert(&mut tx, &entry, &at).await?;
        tell(&mut tx, &before, &after, &change, &at).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The notifications an event sends, in its transaction: the author hears
/// that her reply was approved or rejected (with the reason), and approvers
/// that a reply waits for them.
async fn tell(
    conn: &mut sqlx::AnyConnection,
    before: &Reply,
    after: &Reply,
    change: &Change<'_>,
    at: &str,
) -> Result<(), StoreError> {
    match change.action {
        "reply.approved" => {
            notifications::reply_decided(
                conn,
                after.item_id,
                after.id,
                &after.officer,
                change.actor,
                None,
                at,
            )
            .await?;
        }
        "reply.rejected" => {
            let reason = after.error.as_deref().unwrap_or("no reason given");
            notifications::reply_decided(
                conn,
                after.item_id,
                after.id,
                &after.officer,
                change.actor,
                Some(reason),
                at,
            )
            .await?;
        }
        _ => {}
    }
    if after.state == ReplyState::AwaitingApproval && before.state != ReplyState::AwaitingApproval {
        notifications::reply_awaiting_approval(
            conn,
            after.item_id,
            after.id,
            &after.officer,
            &after.text,
            at,
        )
        .await?;
    }
    Ok(())
}
