//! [`Outbox::reconcile`]: after a crash (or an answer that never arrived) a
//! reply may sit in `sending` whether or not X posted it. Before anything else
//! the outbox reads the council's own posts since just before the reply was
//! recorded (`GET /2/users/:id/tweets`, owned reads; FACTS §5b) and, if one
//! replies to the reply's target, marks the reply sent with that post's id.
//! Only if none exists may it be sent again, at most once per pass.
//!
//! [`Outbox::reconcile`] runs at start-up and before each command that talks
//! to X; [`Outbox::reconcile_stuck`] runs on every tick of the daemon's
//! outbox loop (`run`) and settles replies that have been `sending` longer
//! than the in-flight grace, such as one whose send a killed process left
//! behind. Neither touches a reply this process is delivering.
//!
//! A post of the council's counts for at most one reply (`x_post_id` is
//! unique), so a second reply to the same post (an administrator's override)
//! is never mistaken for the first. When several unlinked posts reply to the
//! same target, the one with the reply's exact text wins, else the oldest.

use std::collections::HashSet;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::{info, instrument, warn};

use super::outbox::{OUTBOX_ACTOR, Outbox, ReplyError, ReplyOutcome};
use crate::domain::outbox::{ReplyState, since_id_before};
use crate::domain::post::Post;
use crate::store::{Reply, StoreError};
use crate::x::{TimelineRequest, XError};

/// Room for our clock and X's to disagree when turning a time into a `since_id`.
const CLOCK_SKEW_MS: i64 = 2 * 60 * 1000;

/// X's user timeline reaches back at most 3,200 posts: 32 pages of 100.
const MAX_PAGES: usize = 32;

/// What a reconciliation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Replies found in `sending`.
    pub checked: usize,
    /// Found in the council's timeline and marked sent.
    pub found: Vec<Reply>,
    /// Not found, so sent again (once), with the outcome.
    pub resent: Vec<ReplyOutcome>,
    /// Not found, but their send began within the in-flight grace: left for
    /// a later pass (another process may still be sending them).
    pub in_flight: Vec<Reply>,
}

impl ReconcileReport {
    /// True when there was nothing to reconcile.
    pub fn is_empty(&self) -> bool {
        self.checked == 0
    }
}

/// Unix milliseconds of a stored RFC 3339 time.
fn unix_ms(rfc3339: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(rfc3339, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The `since_id` under which no post can be this reply: just before it was
/// recorded, less the clock skew; the target post itself if the time is unreadable.
pub(super) fn since_id_for(reply: &Reply) -> u64 {
    unix_ms(&reply.created_at)
        .map(|ms| since_id_before(ms, CLOCK_SKEW_MS))
        .unwrap_or(reply.target_post_id)
}

/// The council's post that is `reply`, among `posts` (oldest first): it
/// replies to the target, is newer than the reply's `since_id` and is not
/// linked to another reply. The exact text wins, else the oldest.
pub(super) fn pick<'p>(
    posts: &'p [Post],
    reply: &Reply,
    linked: &HashSet<u64>,
) -> Option<&'p Post> {
    let floor = since_id_for(reply);
    let candidates = || {
        posts.iter().filter(move |p| {
            p.replied_to == Some(reply.target_post_id) && p.id > floor && !linked.contains(&p.id)
        })
    };
    candidates()
        .find(|p| p.text == reply.text)
        .or_else(|| candidates().next())
}

impl Outbox {
    /// Reconciles every reply in `sending` (except those this process is
    /// delivering): marks sent those the council's timeline holds, sends the
    /// others again once (unless their send began within
    /// [`in_flight_grace`](Outbox::in_flight_grace)). Run it at startup
    /// before anything else. Without replies in `sending` it reads nothing.
    #[instrument(skip_all)]
    pub async fn reconcile(&self) -> Result<ReconcileReport, ReplyError> {
        let pending = self.sending_elsewhere().await?;
        self.reconcile_replies(pending, false).await
    }

    /// Reconciles the replies stuck in `sending`: those whose send began more
    /// than [`in_flight_grace`](Outbox::in_flight_grace) ago and that this
    /// process is not delivering (a process killed while sending, X's answer
    /// lost and not yet settled). Found in the council's timeline: marked
    /// sent; absent: sent again once. Each is logged (warn) as stuck, with
    /// how long. A local query when none is stuck; the timeline is read only
    /// when one is.
    #[instrument(skip_all)]
    pub async fn reconcile_stuck(&self) -> Result<ReconcileReport, ReplyError> {
        let mut pending = self.sending_elsewhere().await?;
        pending.retain(|reply| !self.in_flight(reply));
        self.reconcile_replies(pending, true).await
    }

    /// The replies in `sending` that this process is not delivering. The
    /// store is read before the held targets are: a delivery holds its
    /// target before its reply can be `sending`, so one of ours read here
    /// is still held when checked, or already settled.
    async fn sending_elsewhere(&self) -> Result<Vec<Reply>, ReplyError> {
        let mut pending = self.store.replies_in_state(ReplyState::Sending).await?;
        pending.retain(|reply| !self.delivering.holds(reply.target_post_id));
        Ok(pending)
    }

    /// Settles `pending` against the council's timeline; `stuck` when they
    /// are past the grace (logged as such).
    async fn reconcile_replies(
        &self,
        pending: Vec<Reply>,
        stuck: bool,
    ) -> Result<ReconcileReport, ReplyError> {
        let mut report = ReconcileReport {
            checked: pending.len(),
            ..ReconcileReport::default()
        };
        if pending.is_empty() {
            return Ok(report);
        }
        let (posts, mut linked) = self
            .council_replies_for(&pending)
            .await
            .map_err(ReplyError::Timeline)?;
        for reply in pending {
            if let Some(post) = pick(&posts, &reply, &linked) {
                linked.insert(post.id);
                match self.store.mark_sent(reply.id, post.id, OUTBOX_ACTOR).await {
                    Ok(settled) => {
                        if stuck {
                            warn!(
                                reply.id = reply.id,
                                x.post_id = post.id,
                                stuck_secs = sending_for(&reply).as_secs(),
                                "reconciled a reply stuck in `sending`: X has it; marked sent"
                            );
                        } else {
                            info!(
                                reply.id = reply.id,
                                x.post_id = post.id,
                                "reconciled: X has the reply"
                            );
                        }
                        report.found.push(settled);
                    }
                    // Settled meanwhile by another process.
                    Err(StoreError::ReplyTransition(e)) => {
                        warn!(reply.id = reply.id, %e, "skipped")
                    }
                    Err(e) => return Err(e.into()),
                }
                continue;
            }
            if self.in_flight(&reply) {
                report.in_flight.push(reply);
                continue;
            }
            if stuck {
                warn!(
                    reply.id = reply.id,
                    stuck_secs = sending_for(&reply).as_secs(),
                    "reconciling a reply stuck in `sending`: X does not have it; sending it again"
                );
            } else {
                info!(
                    reply.id = reply.id,
                    "reconciled: X does not have the reply; sending it again"
                );
            }
            let _delivering = self.delivering.hold(reply.target_post_id);
            let reply = match self.store.note_resend(reply.id, OUTBOX_ACTOR).await {
                Ok(reply) => reply,
                Err(StoreError::ReplyTransition(e)) => {
                    warn!(reply.id = reply.id, %e, "skipped");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let outcome = self.deliver(reply, OUTBOX_ACTOR, 0).await?;
            if stuck {
                warn!(
                    reply.id = outcome.reply().id,
                    state = %outcome.reply().state,
                    "reconciled a reply stuck in `sending`: sent again"
                );
            }
            report.resent.push(outcome);
        }
        Ok(report)
    }

    /// The id of the council's post that is `reply`, if the timeline has one.
    pub(super) async fn find_sent(&self, reply: &Reply) -> Result<Option<u64>, XError> {
        let (posts, linked) = self
            .council_replies_for(std::slice::from_ref(reply))
            .await?;
        Ok(pick(&posts, reply, &linked).map(|p| p.id))
    }

    /// The council's posts replying to the targets of `replies`, oldest first,
    /// since the oldest reply's `since_id`; and which of them are already
    /// linked to a reply.
    pub(super) async fn council_replies_for(
        &self,
        replies: &[Reply],
    ) -> Result<(Vec<Post>, HashSet<u64>), XError> {
        let since_id = replies.iter().map(since_id_for).min().unwrap_or_default();
        let targets: HashSet<u64> = replies.iter().map(|r| r.target_post_id).collect();
        let posts = self.council_replies_since(since_id, &targets).await?;
        let ids: Vec<u64> = posts.iter().map(|p| p.id).collect();
        let linked = match self.store.linked_posts(&ids).await {
            Ok(linked) => linked.into_iter().collect(),
            // The store failing is not X failing; but without knowing which
            // posts are taken, nothing may be linked.
            Err(e) => {
                warn!(error = %e, "could not read the linked posts");
                ids.into_iter().collect()
            }
        };
        Ok((posts, linked))
    }

    /// The council's posts since `since_id` that reply to one of `targets`,
    /// oldest first, paging to the end. The reads are counted as owned reads.
    async fn council_replies_since(
        &self,
        since_id: u64,
        targets: &HashSet<u64>,
    ) -> Result<Vec<Post>, XError> {
        let mut found = Vec::new();
        let mut read = 0u64;
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let request = TimelineRequest {
                since_id: Some(since_id),
                max_results: Some(100),
                pagination_token: token.take(),
                exclude_retweets: true,
                ..TimelineRequest::default()
            };
            let page = self.client.user_posts(self.account.id, &request).await?;
            read += u64::try_from(page.posts.len()).unwrap_or(u64::MAX);
            found.extend(
                page.posts
                    .into_iter()
                    .filter(|p| p.replied_to.is_some_and(|t| targets.contains(&t))),
            );
            match page.meta.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        if let Err(e) = self.store.add_owned_reads(read).await {
            warn!(error = %e, reads = read, "could not count the timeline reads");
        }
        found.sort_by_key(|p| p.id);
        Ok(found)
    }

    /// Whether `reply`'s send began within the in-flight grace.
    fn in_flight(&self, reply: &Reply) -> bool {
        !self.in_flight_grace.is_zero()
            && unix_ms(&reply.updated_at).is_some()
            && sending_for(reply) < self.in_flight_grace
    }
}

/// How long ago `reply`'s send began (its last change); zero if unreadable
/// or in the future.
fn sending_for(reply: &Reply) -> Duration {
    let Some(updated) = unix_ms(&reply.updated_at) else {
        return Duration::ZERO;
    };
    let now = i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX);
    Duration::from_millis(u64::try_from(now.saturating_sub(updated)).unwrap_or(0))
}
