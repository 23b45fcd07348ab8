//! What is waiting to go out, for `/metrics` and the alerts on it: replies
//! the outbox or a person has yet to post, and referrals whose emails are
//! not sent yet, counted by state with the oldest one's time. Two grouped
//! queries over few rows (the states' indexes: `replies_by_state`, the
//! partial `referrals_due`), cheap enough for every scrape.

use sqlx::Row;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, StoreError, codec};
use crate::domain::outbox::ReplyState;
use crate::domain::referral::ReferralState;

/// The reply states in which a reply still waits to be posted: `sending`
/// on the outbox, the other two on people (an approver, an officer on x.com).
pub const WAITING_REPLIES: [ReplyState; 3] = [
    ReplyState::Sending,
    ReplyState::AwaitingApproval,
    ReplyState::ManualPending,
];

/// The referral states in which an email still waits to be sent.
pub const WAITING_REFERRALS: [ReferralState; 2] = [ReferralState::Queued, ReferralState::Sending];

/// How many wait in one state, and since when the oldest has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    pub count: u64,
    /// `None` when none waits.
    pub oldest: Option<OffsetDateTime>,
}

/// Everything waiting to go out, one entry for every waiting state (zero
/// when none is in it), so a monitoring series never vanishes when the
/// queue empties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// Each reply is dated by its last change (`updated_at`): for `sending`
    /// that is when its send began (or was last retried), as the outbox's
    /// own "what happens next" says; for the others, when it entered the
    /// state.
    pub replies: Vec<(ReplyState, Waiting)>,
    /// Each referral is dated by when it was made: retries after temporary
    /// failures do not make a referral any less late.
    pub referrals: Vec<(ReferralState, Waiting)>,
}

impl Store {
    /// The replies and referrals waiting to go out (see [`Backlog`]).
    pub async fn backlog(&self) -> Result<Backlog, StoreError> {
        let replies = self
            .waiting(
                "replies",
                "updated_at",
                &WAITING_REPLIES.map(ReplyState::as_str),
            )
            .await?;
        let referrals = self
            .waiting(
                "referrals",
                "created_at",
                &WAITING_REFERRALS.map(ReferralState::as_str),
            )
            .await?;
        Ok(Backlog {
            replies: WAITING_REPLIES
                .iter()
                .map(|s| (*s, find(&replies, s.as_str())))
                .collect(),
            referrals: WAITING_REFERRALS
                .iter()
                .map(|s| (*s, find(&referrals, s.as_str())))
                .collect(),
        })
    }

    /// Rows of `table` in each of `states`: how many, and the earliest
    /// `dated_by` (a stored RFC 3339 timestamp, which sorts as text).
    async fn waiting(
        &self,
        table: &str,
        dated_by: &str,
        states: &[&str],
    ) -> Result<Vec<(String, Waiting)>, StoreError> {
        let placeholders: Vec<String> = (1..=states.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT state, COUNT(*) AS n, MIN({dated_by}) AS oldest FROM {table} \
             WHERE state IN ({}) GROUP BY state",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for state in states {
            query = query.bind(*state);
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                let oldest: Option<String> = row.try_get("oldest")?;
                let oldest = oldest
                    .map(|at| {
                        OffsetDateTime::parse(&at, &Rfc3339)
                            .map_err(|e| StoreError::Corrupt(format!("{table} time {at:?}: {e}")))
                    })
                    .transpose()?;
                let count = codec::count_from_db(row.try_get("n")?, "waiting count")?;
                Ok((state, Waiting { count, oldest }))
            })
            .collect()
    }
}

fn find(rows: &[(String, Waiting)], state: &str) -> Waiting {
    rows.iter()
        .find(|(s, _)| s == state)
        .map_or_else(Waiting::default, |(_, w)| *w)
}
