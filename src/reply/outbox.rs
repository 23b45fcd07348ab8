//! [`Outbox::submit`]: check, record, send after the commit, mark. And what
//! each of X's answers to the POST leads to:
//!
//! | X answers | the reply becomes |
//! |---|---|
//! | 201 | `sent` with X's id; the item `replied` |
//! | 403 not allowed (restriction, conversation controls) | `manual_pending` with the reason and the intent link; the item's path `manual`; never retried |
//! | 403 duplicate content | reconciled: `sent` with the earlier post's id if the timeline has one, else `failed` |
//! | 401 after the client's one refresh, or no usable login | `failed`: log in again |
//! | no answer, a 5xx, an unreadable 2xx | unknown: stays `sending`; reconciled now (found → `sent`; absent → sent again once), else by the daemon's outbox loop once the in-flight grace has passed |
//! | anything else (429, 402, 400, other 403s) | `failed` with X's reason; a person may retry |

use std::time::Duration;

use serde::Serialize;
use tracing::{info, instrument, warn};

use super::delivering::Delivering;
use crate::domain::outbox::{ReplyState, intent_url};
use crate::domain::text::{ReplyText, ReplyTextError};
use crate::domain::triage::{Account, ReplyPath};
use crate::failpoint::failpoint;
use crate::store::{NewReply, Reply, Store, StoreError};
use crate::x::Client;
use crate::x::XError;
use crate::x::error::ReplyRefusal;
use crate::x::wire::{CreateTweetRequest, ReplyTo};

/// The actor of what the outbox does on its own (reconciliation).
pub(super) const OUTBOX_ACTOR: &str = "placewatch";

/// How long after its send began a `sending` reply may still be in flight in
/// another process, by default: twice the default request timeout (the
/// config's `replies.in_flight_grace_secs`).
const DEFAULT_IN_FLIGHT_GRACE: Duration = Duration::from_secs(60);

/// Sends replies exactly once. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    /// The X client, with the council account's user session.
    pub client: Client,
    pub store: Store,
    /// The council's logged-in account: replies are posted from it, and its
    /// id reads its timeline.
    pub account: Account,
    /// A `sending` reply whose send began less than this ago may be in flight
    /// in another process: reconciliation marks it sent if X has it, but does
    /// not send it again until the grace has passed. Zero when no other
    /// process can be sending (tests, `outbox reconcile --grace 0`). Replies
    /// this process is sending need no grace: reconciliation skips them.
    pub in_flight_grace: Duration,
    /// The replies this process is sending (by target post), which its
    /// reconciliation leaves alone.
    pub(super) delivering: Delivering,
}

/// A reply to submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyRequest<'a> {
    pub item_id: i64,
    /// Checked by `ReplyText::parse` before anything is recorded.
    pub text: &'a str,
    /// The template's name, if the text came from one.
    pub template: Option<&'a str>,
    /// Who writes it (audit actor; on the manual path, who posts it).
    pub officer: &'a str,
    /// An administrator records a second reply to the same post.
    pub override_duplicate: bool,
    /// Wait for an approver instead of sending (the template or role requires it).
    pub needs_approval: bool,
    /// Only save it as a draft.
    pub draft: bool,
    /// The officer knows another officer claimed the item and replies anyway.
    pub over_claim: bool,
}

impl<'a> ReplyRequest<'a> {
    /// A reply sent as soon as it is recorded.
    pub fn new(item_id: i64, text: &'a str, officer: &'a str) -> Self {
        ReplyRequest {
            item_id,
            text,
            template: None,
            officer,
            override_duplicate: false,
            needs_approval: false,
            draft: false,
            over_claim: false,
        }
    }
}

/// What became of a submitted (or retried, approved, reconciled) reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReplyOutcome {
    /// X holds the reply (`reply.x_post_id`).
    Sent { reply: Reply },
    /// Only a person can post it: open `intent_url` on x.com as the council;
    /// placewatch links the reply when it appears in the council's timeline.
    Manual {
        reply: Reply,
        intent_url: String,
        /// Why X refused an API reply, when it was tried.
        reason: Option<String>,
    },
    /// Waits for an approver.
    AwaitingApproval { reply: Reply },
    /// Saved as a draft.
    Draft { reply: Reply },
    /// X refused it; a person may retry it.
    Failed { reply: Reply, reason: String },
    /// X's answer never arrived: the reply stays `sending` and is reconciled
    /// once its in-flight grace has passed, by the running daemon's outbox
    /// loop, the next command that talks to X, or `placewatch outbox reconcile`.
    Unknown { reply: Reply, cause: String },
}

impl ReplyOutcome {
    /// The reply as stored after the outcome.
    pub fn reply(&self) -> &Reply {
        match self {
            ReplyOutcome::Sent { reply }
            | ReplyOutcome::Manual { reply, .. }
            | ReplyOutcome::AwaitingApproval { reply }
            | ReplyOutcome::Draft { reply }
            | ReplyOutcome::Failed { reply, .. }
            | ReplyOutcome::Unknown { reply, .. } => reply,
        }
    }
}

/// Why the outbox could not do what was asked. X's refusals are not errors:
/// they are outcomes ([`ReplyOutcome::Failed`], [`ReplyOutcome::Manual`]).
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// The text would be refused by X; nothing was recorded or sent.
    #[error("reply refused before sending: {0}")]
    Text(#[from] ReplyTextError),
    /// The store refused (the post already has a reply, the item is closed,
    /// the reply's state does not allow it) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reconciliation could not read the council's timeline; the replies in
    /// `sending` stay there until it can.
    #[error("could not read the council's timeline to reconcile the outbox")]
    Timeline(#[source] XError),
    /// The reply is not on the path or in the state the request needs.
    #[error("{0}")]
    NotSendable(String),
}

/// How the outbox reads one of X's refusals.
enum Refusal {
    /// Only a person can reply: move to the manual path.
    Manual(String),
    /// An earlier attempt may have posted it: reconcile.
    Duplicate(String),
    /// X may or may not have posted it.
    Unknown(String),
    /// X certainly did not post it.
    Failed(String),
}

fn classify(error: XError, reply_id: i64) -> Refusal {
    match error {
        XError::ReplyNotAllowed { reason, detail } => Refusal::Manual(match reason {
            ReplyRefusal::NotSummoned => format!(
                "X allows API replies only to posts that mention or quote the council \
                 (reply restriction of 2026-02-23): {detail}"
            ),
            ReplyRefusal::ConversationControls => {
                format!("the author's conversation controls do not let the council reply: {detail}")
            }
        }),
        XError::DuplicateContent { detail } => Refusal::Duplicate(detail),
        XError::Auth(e) => Refusal::Failed(format!(
            "the council account's login is not usable ({e}); log in again, then \
             `placewatch outbox retry {reply_id}`"
        )),
        XError::Unauthorized { detail } => Refusal::Failed(format!(
            "X did not accept the council account's token even after a refresh ({detail}); \
             log in again with `placewatch auth login --config FILE`, then \
             `placewatch outbox retry {reply_id}`"
        )),
        e @ (XError::Transport(_)
        | XError::Server { .. }
        | XError::Decode { .. }
        | XError::UnexpectedStatus { .. }) => Refusal::Unknown(e.to_string()),
        other => Refusal::Failed(other.to_string()),
    }
}

impl Outbox {
    /// An outbox with the default in-flight grace.
    pub fn new(client: Client, store: Store, account: Account) -> Outbox {
        Outbox {
            client,
            store,
            account,
            in_flight_grace: DEFAULT_IN_FLIGHT_GRACE,
            delivering: Delivering::default(),
        }
    }

    /// Replies to an item's post: [`submit_request`](Self::submit_request)
    /// with no approval and no draft.
    pub async fn submit(
        &self,
        item_id: i64,
        text: &str,
        template: Option<&str>,
        officer: &str,
        override_duplicate: bool,
    ) -> Result<ReplyOutcome, ReplyError> {
        self.submit_request(&ReplyRequest {
            template,
            override_duplicate,
            ..ReplyRequest::new(item_id, text, officer)
        })
        .await
    }

    /// Checks the text (refusing it before anything is recorded), then:
    ///
    /// - an item only a person can answer: records the reply as
    ///   `manual_pending` with X's intent link, and calls nobody;
    /// - otherwise records it (`sending`, or `awaiting_approval`, or `draft`)
    ///   with the item's change and audit entry in one transaction, and only
    ///   after that commit sends it (see the module's table).
    #[instrument(skip_all, fields(item.id = req.item_id, officer.name = %req.officer))]
    pub async fn submit_request(&self, req: &ReplyRequest<'_>) -> Result<ReplyOutcome, ReplyError> {
        let text = ReplyText::parse(req.text)?;
        let item = self.store.item(req.item_id).await?;
        // Held from before the reply is committed as `sending` until it is
        // settled, so this process's reconciliation never takes it for stuck.
        let _delivering = self.delivering.hold(item.post.id);
        let mut new = NewReply {
            item_id: req.item_id,
            text,
            template: req.template.map(str::to_owned),
            officer: req.officer.to_owned(),
            state: ReplyState::Sending,
            path: ReplyPath::Api,
            override_by: req.override_duplicate.then(|| req.officer.to_owned()),
            intent_url: None,
            over_claim: req.over_claim,
        };
        if item.reply_path == ReplyPath::Manual {
            let link = intent_url(item.post.id, new.text.as_str());
            new.state = ReplyState::ManualPending;
            new.path = ReplyPath::Manual;
            new.intent_url = Some(link.clone());
            let reply = self.store.record_reply(&new).await?;
            info!(reply.id = reply.id, "reply recorded for the manual path");
            return Ok(ReplyOutcome::Manual {
                reply,
                intent_url: link,
                reason: None,
            });
        }
        if req.draft {
            new.state = ReplyState::Draft;
        } else if req.needs_approval {
            new.state = ReplyState::AwaitingApproval;
        }
        let reply = self.store.record_reply(&new).await?;
        info!(reply.id = reply.id, state = %reply.state, "reply recorded");
        match reply.state {
            ReplyState::Draft => Ok(ReplyOutcome::Draft { reply }),
            ReplyState::AwaitingApproval => Ok(ReplyOutcome::AwaitingApproval { reply }),
            _ => {
                failpoint("after_record");
                self.deliver(reply, req.officer, 1).await
            }
        }
    }

    /// Sends a failed reply again (a person's decision): reconciles first, then
    /// `failed` → `sending` (audited) and the send.
    pub async fn retry(&self, reply_id: i64, actor: &str) -> Result<ReplyOutcome, ReplyError> {
        let reply = self.store.reply(reply_id).await?;
        if reply.path != ReplyPath::Api {
            return Err(ReplyError::NotSendable(format!(
                "reply {reply_id} is on the manual path: post it on x.com ({})",
                reply.intent_url.as_deref().unwrap_or("no intent link")
            )));
        }
        let _delivering = self.delivering.hold(reply.target_post_id);
        let reply = self.store.retry_reply(reply_id, actor).await?;
        self.deliver(reply, actor, 1).await
    }

    /// An approver lets an awaiting reply go out, and it is sent. Unless
    /// `allow_self`, the reply's own officer is refused (and audited).
    pub async fn approve(
        &self,
        reply_id: i64,
        approver: &str,
        allow_self: bool,
    ) -> Result<ReplyOutcome, ReplyError> {
        let target = self.store.reply(reply_id).await?.target_post_id;
        let _delivering = self.delivering.hold(target);
        let reply = self
            .store
            .approve_reply(reply_id, approver, allow_self)
            .await?;
        self.deliver(reply, approver, 1).await
    }

    /// Withdraws a reply that is not being sent.
    pub async fn cancel(&self, reply_id: i64, actor: &str) -> Result<Reply, ReplyError> {
        Ok(self.store.cancel_reply(reply_id, actor).await?)
    }

    /// Sends a `sending` reply, reconciling when X's answer says it may
    /// already exist or never arrived. After an unknown outcome it may send
    /// again up to `resends` times, each only after the timeline showed no
    /// trace of it.
    pub(super) async fn deliver(
        &self,
        mut reply: Reply,
        actor: &str,
        mut resends: u32,
    ) -> Result<ReplyOutcome, ReplyError> {
        let _delivering = self.delivering.hold(reply.target_post_id);
        loop {
            let error = match self.post(&reply).await {
                Ok(x_post_id) => {
                    failpoint("before_mark_sent");
                    let reply = self.store.mark_sent(reply.id, x_post_id, actor).await?;
                    info!(reply.id = reply.id, x.post_id = x_post_id, "reply sent");
                    return Ok(ReplyOutcome::Sent { reply });
                }
                Err(e) => e,
            };
            match classify(error, reply.id) {
                Refusal::Manual(reason) => {
                    let link = intent_url(reply.target_post_id, &reply.text);
                    let reply = self
                        .store
                        .to_manual(reply.id, &reason, &link, actor)
                        .await?;
                    info!(
                        reply.id = reply.id,
                        "X refused an API reply; moved to the manual path"
                    );
                    return Ok(ReplyOutcome::Manual {
                        reply,
                        intent_url: link,
                        reason: Some(reason),
                    });
                }
                Refusal::Failed(reason) => return self.fail(reply, reason, actor).await,
                Refusal::Duplicate(detail) => {
                    return self.settle_duplicate(reply, &detail, actor).await;
                }
                Refusal::Unknown(cause) => {
                    warn!(reply.id = reply.id, %cause, "the reply's outcome is unknown; reconciling");
                    match self.find_sent(&reply).await {
                        Ok(Some(x_post_id)) => {
                            let reply = self.store.mark_sent(reply.id, x_post_id, actor).await?;
                            return Ok(ReplyOutcome::Sent { reply });
                        }
                        Ok(None) if resends > 0 => {
                            resends -= 1;
                            reply = self.store.note_resend(reply.id, actor).await?;
                        }
                        Ok(None) => return Ok(ReplyOutcome::Unknown { reply, cause }),
                        Err(e) => {
                            let cause = format!("{cause}; the timeline could not be read: {e}");
                            return Ok(ReplyOutcome::Unknown { reply, cause });
                        }
                    }
                }
            }
        }
    }

    /// One POST of a reply; X's new post id.
    async fn post(&self, reply: &Reply) -> Result<u64, XError> {
        let request = CreateTweetRequest {
            text: Some(reply.text.clone()),
            reply: Some(ReplyTo {
                in_reply_to_tweet_id: reply.target_post_id.to_string(),
                ..ReplyTo::default()
            }),
            ..CreateTweetRequest::default()
        };
        failpoint("before_send");
        let result = self.client.create_post(&request).await;
        failpoint("after_send");
        result.map(|created| created.id)
    }

    async fn fail(
        &self,
        reply: Reply,
        reason: String,
        actor: &str,
    ) -> Result<ReplyOutcome, ReplyError> {
        warn!(reply.id = reply.id, %reason, "X refused the reply");
        let reply = self.store.mark_failed(reply.id, &reason, actor).await?;
        Ok(ReplyOutcome::Failed { reply, reason })
    }

    /// X refused the text as a duplicate: an earlier attempt may have posted
    /// it (FACTS §5b). Never retried blindly: the timeline decides.
    async fn settle_duplicate(
        &self,
        reply: Reply,
        detail: &str,
        actor: &str,
    ) -> Result<ReplyOutcome, ReplyError> {
        info!(
            reply.id = reply.id,
            "X refused duplicate content; reconciling"
        );
        match self.find_sent(&reply).await {
            Ok(Some(x_post_id)) => {
                let reply = self.store.mark_sent(reply.id, x_post_id, actor).await?;
                Ok(ReplyOutcome::Sent { reply })
            }
            Ok(None) => {
                let reason = format!(
                    "X refused the text as a duplicate ({detail}) and the council's timeline \
                     has no reply to this post: the same text was posted elsewhere in the \
                     last day; reword it and reply again"
                );
                self.fail(reply, reason, actor).await
            }
            Err(e) => Ok(ReplyOutcome::Unknown {
                reply,
                cause: format!("X refused duplicate content; the timeline could not be read: {e}"),
            }),
        }
    }
}
