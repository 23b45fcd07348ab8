//! The manual path: since 2026-02-23 X refuses API replies to posts that did
//! not mention or quote the council, and an author's conversation controls
//! can refuse them too. Such a reply is recorded as `manual_pending` with X's
//! web intent link (`https://x.com/intent/post?in_reply_to=ID&text=…`); the
//! officer posts it on x.com as the council, and
//! [`Outbox::detect_manual_replies`] finds it in the council's own timeline
//! (owned reads), links it to the reply and marks the item replied, audited
//! as a manual reply by the officer who opened the link.

use tracing::{info, instrument, warn};

use super::outbox::{Outbox, ReplyError};
use super::reconcile::pick;
use crate::domain::outbox::ReplyState;
use crate::store::{Reply, StoreError};

impl Outbox {
    /// Links every `manual_pending` reply whose officer has posted it: reads
    /// the council's timeline since the oldest of them (less a clock skew)
    /// and links the first unlinked post replying to each target (the exact
    /// text preferred, as the officer may edit it in X's composer). Returns
    /// the replies linked. Reads nothing when no reply is pending.
    #[instrument(skip_all)]
    pub async fn detect_manual_replies(&self) -> Result<Vec<Reply>, ReplyError> {
        let pending = self
            .store
            .replies_in_state(ReplyState::ManualPending)
            .await?;
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let (posts, mut linked) = self
            .council_replies_for(&pending)
            .await
            .map_err(ReplyError::Timeline)?;
        let mut done = Vec::new();
        for reply in pending {
            let Some(post) = pick(&posts, &reply, &linked) else {
                continue;
            };
            linked.insert(post.id);
            match self.store.link_manual_reply(reply.id, post.id).await {
                Ok(reply) => {
                    info!(
                        reply.id = reply.id,
                        x.post_id = post.id,
                        "manual reply linked"
                    );
                    done.push(reply);
                }
                Err(StoreError::ReplyTransition(e)) => warn!(reply.id = reply.id, %e, "skipped"),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }
}
