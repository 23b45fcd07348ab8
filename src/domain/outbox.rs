//! The reply outbox's rules: a reply's [`ReplyState`], the [`ReplyEvent`]s that
//! move it and the only transitions allowed between them; the snowflake
//! arithmetic that turns "when the reply was recorded" into a `since_id` for
//! reading the council's own timeline; and X's web intent link for a reply
//! that only a person can send.
//!
//! ```text
//! draft ──submit──► sending ──sent──► sent
//! draft ──submit for approval──► awaiting approval ──approve──► sending
//! sending ──resend──► sending              (reconciliation found no trace of it)
//! sending ──fail──► failed ──retry──► sending
//! sending ──to manual──► manual pending ──linked manually──► sent
//! draft | awaiting approval | failed | manual pending ──cancel──► cancelled
//! ```
//!
//! `sending` cannot be cancelled: whether X posted it is unknown until the
//! outbox has reconciled it against the council's timeline.
//!
//! Pure: std, serde, thiserror; no I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a reply stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyState {
    /// Saved, not yet submitted.
    Draft,
    /// Submitted; waits for an approver (the template or the officer's role says so).
    AwaitingApproval,
    /// Recorded as about to be posted, or posted with the outcome not yet
    /// stored. Reconciled against the council's timeline before any resend.
    Sending,
    /// X holds the reply (`x_post_id`).
    Sent,
    /// X refused it (the reason is kept); a person may retry it.
    Failed,
    /// Withdrawn; frees the target post for another reply.
    Cancelled,
    /// Only a person can post it (X's reply restriction or the author's
    /// conversation controls): waits for the officer's reply on x.com to
    /// appear in the council's timeline.
    ManualPending,
}

impl ReplyState {
    /// Every state, in workflow order.
    pub const ALL: [ReplyState; 7] = [
        ReplyState::Draft,
        ReplyState::AwaitingApproval,
        ReplyState::Sending,
        ReplyState::Sent,
        ReplyState::Failed,
        ReplyState::Cancelled,
        ReplyState::ManualPending,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyState::Draft => "draft",
            ReplyState::AwaitingApproval => "awaiting_approval",
            ReplyState::Sending => "sending",
            ReplyState::Sent => "sent",
            ReplyState::Failed => "failed",
            ReplyState::Cancelled => "cancelled",
            ReplyState::ManualPending => "manual_pending",
        }
    }

    /// Reads a state name, ignoring case and accepting `-` or a space for `_`.
    pub fn parse(s: &str) -> Option<ReplyState> {
        let wanted = s.trim().to_lowercase().replace(['-', ' '], "_");
        ReplyState::ALL.into_iter().find(|st| st.as_str() == wanted)
    }

    /// True while the reply holds its target post: only cancelled and failed
    /// replies make way for another reply to the same post.
    pub fn holds_target(self) -> bool {
        !matches!(self, ReplyState::Cancelled | ReplyState::Failed)
    }

    /// The state after `event`, or why it is not allowed from here.
    pub fn apply(self, event: ReplyEvent) -> Result<ReplyState, ReplyTransitionError> {
        use ReplyEvent as E;
        use ReplyState as S;
        let to = match (self, event) {
            (S::Draft, E::Submit) => Some(S::Sending),
            (S::Draft, E::SubmitForApproval) => Some(S::AwaitingApproval),
            (S::AwaitingApproval, E::Approve) => Some(S::Sending),
            (S::Sending, E::Resend) => Some(S::Sending),
            (S::Sending, E::Sent) => Some(S::Sent),
            (S::Sending, E::Fail) => Some(S::Failed),
            (S::Sending, E::ToManual) => Some(S::ManualPending),
            (S::ManualPending, E::LinkedManually) => Some(S::Sent),
            (S::Failed, E::Retry) => Some(S::Sending),
            (S::Draft | S::AwaitingApproval | S::Failed | S::ManualPending, E::Cancel) => {
                Some(S::Cancelled)
            }
            _ => None,
        };
        to.ok_or(ReplyTransitionError { from: self, event })
    }
}

impl fmt::Display for ReplyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

/// Something that happens to a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyEvent {
    /// A draft goes out.
    Submit,
    /// A draft goes to an approver.
    SubmitForApproval,
    /// An approver lets it go out.
    Approve,
    /// Reconciliation found no trace of it and sends it again.
    Resend,
    /// X holds it (posted through the API, or found in the timeline).
    Sent,
    /// X refused it.
    Fail,
    /// X does not let the API answer this post: a person must.
    ToManual,
    /// The officer's own reply on x.com was found in the timeline.
    LinkedManually,
    /// A person sends a failed reply again.
    Retry,
    /// A person withdraws it.
    Cancel,
}

impl fmt::Display for ReplyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplyEvent::Submit => "submit",
            ReplyEvent::SubmitForApproval => "submit for approval",
            ReplyEvent::Approve => "approve",
            ReplyEvent::Resend => "resend",
            ReplyEvent::Sent => "mark as sent",
            ReplyEvent::Fail => "mark as failed",
            ReplyEvent::ToManual => "move to the manual path",
            ReplyEvent::LinkedManually => "link a manual reply to",
            ReplyEvent::Retry => "retry",
            ReplyEvent::Cancel => "cancel",
        })
    }
}

/// An event that is not allowed from the reply's current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event} a reply that is {from}")]
pub struct ReplyTransitionError {
    /// The state the reply was in.
    pub from: ReplyState,
    /// The refused event.
    pub event: ReplyEvent,
}

/// X's snowflake epoch (2010-11-04T01:42:54.657Z), in Unix milliseconds.
pub const TWEPOCH_MS: i64 = 1_288_834_974_657;

/// The smallest post id X can have issued at or after `unix_ms`: ids are
/// `(ms - epoch) << 22` plus worker and sequence bits.
pub fn snowflake_floor(unix_ms: i64) -> u64 {
    u64::try_from(unix_ms.saturating_sub(TWEPOCH_MS).max(0)).unwrap_or(0) << 22
}

/// A `since_id` that is just before any post made at or after `unix_ms`
/// less `skew_ms` (room for the two clocks to disagree), so a timeline read
/// from it sees every post made since.
pub fn since_id_before(unix_ms: i64, skew_ms: i64) -> u64 {
    snowflake_floor(unix_ms.saturating_sub(skew_ms)).saturating_sub(1)
}

/// X's web intent that opens the composer replying to `post_id` with `text`
/// filled in: `https://x.com/intent/post?in_reply_to=ID&text=…`. The text is
/// percent-encoded (a space is `%20`, never `+`).
pub fn intent_url(post_id: u64, text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(char::from(byte));
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    format!("https://x.com/intent/post?in_reply_to={post_id}&text={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReplyEvent as E;
    use ReplyState as S;

    #[test]
    fn the_workflow_allows_exactly_the_drawn_transitions() {
        let allowed = [
            (S::Draft, E::Submit, S::Sending),
            (S::Draft, E::SubmitForApproval, S::AwaitingApproval),
            (S::AwaitingApproval, E::Approve, S::Sending),
            (S::Sending, E::Resend, S::Sending),
            (S::Sending, E::Sent, S::Sent),
            (S::Sending, E::Fail, S::Failed),
            (S::Sending, E::ToManual, S::ManualPending),
            (S::ManualPending, E::LinkedManually, S::Sent),
            (S::Failed, E::Retry, S::Sending),
            (S::Draft, E::Cancel, S::Cancelled),
            (S::AwaitingApproval, E::Cancel, S::Cancelled),
            (S::Failed, E::Cancel, S::Cancelled),
            (S::ManualPending, E::Cancel, S::Cancelled),
        ];
        let events = [
            E::Submit,
            E::SubmitForApproval,
            E::Approve,
            E::Resend,
            E::Sent,
            E::Fail,
            E::ToManual,
            E::LinkedManually,
            E::Retry,
            E::Cancel,
        ];
        let mut checked = 0;
        for from in ReplyState::ALL {
            for event in events {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.apply(event), Ok(to), "{from:?} {event:?}"),
                    None => assert_eq!(
                        from.apply(event),
                        Err(ReplyTransitionError { from, event }),
                        "{from:?} {event:?}"
                    ),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 70);
    }

    #[test]
    fn a_reply_being_sent_cannot_be_cancelled_and_says_why_in_words() {
        let e = S::Sending.apply(E::Cancel).unwrap_err();
        assert_eq!(e.to_string(), "cannot cancel a reply that is sending");
        let e = S::Sent.apply(E::Retry).unwrap_err();
        assert_eq!(e.to_string(), "cannot retry a reply that is sent");
    }

    #[test]
    fn only_cancelled_and_failed_replies_free_their_target() {
        let free: Vec<_> = ReplyState::ALL
            .into_iter()
            .filter(|s| !s.holds_target())
            .collect();
        assert_eq!(free, [S::Failed, S::Cancelled]);
    }

    #[test]
    fn names_round_trip() {
        for s in ReplyState::ALL {
            assert_eq!(ReplyState::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(
            ReplyState::parse("Awaiting approval"),
            Some(S::AwaitingApproval)
        );
        assert_eq!(ReplyState::parse("manual-pending"), Some(S::ManualPending));
        assert_eq!(ReplyState::parse("posted"), None);
        assert_eq!(S::ManualPending.to_string(), "manual pending");
    }

    #[test]
    fn snowflakes_follow_x_layout() {
        // A real post id (FACTS §2's example) and the millisecond it encodes.
        let id: u64 = 1_668_910_101_351_272_448;
        let ms = i64::try_from(id >> 22).unwrap() + TWEPOCH_MS;
        assert!(snowflake_floor(ms) <= id);
        assert!(snowflake_floor(ms + 1) > id);
        assert!(since_id_before(ms, 0) < id);
        assert!(since_id_before(ms, 60_000) < snowflake_floor(ms - 59_999));
        assert_eq!(snowflake_floor(0), 0);
        assert_eq!(since_id_before(TWEPOCH_MS, 0), 0);
    }

    #[test]
    fn intent_links_percent_encode_the_text() {
        assert_eq!(
            intent_url(42, "Thanks @ada & co: 100% fixed? ✓ a+b"),
            "https://x.com/intent/post?in_reply_to=42&text=Thanks%20%40ada%20%26%20co%3A%20100%25%20fixed%3F%20%E2%9C%93%20a%2Bb"
        );
        assert_eq!(
            intent_url(7, "line\nbreak"),
            "https://x.com/intent/post?in_reply_to=7&text=line%0Abreak"
        );
    }
}
