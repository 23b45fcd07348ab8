//! A referral's life in the outbox, as rules without I/O: its states, what
//! may follow what, and when a temporary failure is tried again.
//!
//! `queued` → `sending` (committed before the SMTP transaction) → `sent`;
//! a temporary failure puts it back to `queued` for [`retry_after`]; a
//! permanent one, or temporary failures for longer than [`GIVE_UP_AFTER`],
//! make it `failed`, which a person may queue again. A referral still
//! `sending` when the sender starts was cut off mid-send and goes again
//! with the same Message-ID.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// Where a referral's email is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralState {
    /// Waiting for the sender (first time, or after a temporary failure).
    Queued,
    /// Handed to the SMTP server; the outcome is not recorded yet.
    Sending,
    /// The server took it (its reply is recorded).
    Sent,
    /// The server refused it for good, or kept failing: a person decides.
    Failed,
}

impl ReferralState {
    pub const ALL: [ReferralState; 4] = [
        ReferralState::Queued,
        ReferralState::Sending,
        ReferralState::Sent,
        ReferralState::Failed,
    ];

    /// As stored and shown: `queued`, `sending`, `sent`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralState::Queued => "queued",
            ReferralState::Sending => "sending",
            ReferralState::Sent => "sent",
            ReferralState::Failed => "failed",
        }
    }

    /// The state called `text`, as [`ReferralState::as_str`] writes it.
    pub fn parse(text: &str) -> Option<ReferralState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the sender still has work to do for it.
    pub fn is_pending(self) -> bool {
        matches!(self, ReferralState::Queued | ReferralState::Sending)
    }
}

impl fmt::Display for ReferralState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long temporary failures are retried before the referral is `failed`
/// and a person is told: a day covers a mail server's long outage.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The wait after the `attempts`-th failed attempt (1 = the first): 30 s,
/// 1 min, 2 min, … doubling to at most 30 minutes.
pub fn retry_after(attempts: u32) -> Duration {
    const FIRST: u64 = 30;
    const LONGEST: u64 = 30 * 60;
    let doublings = attempts.saturating_sub(1).min(16);
    Duration::from_secs((FIRST << doublings).min(LONGEST))
}

/// What a temporary failure after `attempts` attempts leads to, when the
/// referral was queued `age` ago: another try after a wait, or giving up.
pub fn after_temporary_failure(attempts: u32, age: Duration) -> Option<Duration> {
    let wait = retry_after(attempts);
    (age + wait <= GIVE_UP_AFTER).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_pending_ones_are_the_senders() {
        for state in ReferralState::ALL {
            assert_eq!(ReferralState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ReferralState::parse("delivered"), None);
        let pending: Vec<_> = ReferralState::ALL
            .into_iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(pending, [ReferralState::Queued, ReferralState::Sending]);
    }

    #[test]
    fn retries_back_off_to_half_an_hour() {
        let waits: Vec<u64> = (1..=8).map(|n| retry_after(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1800, 1800]);
        assert_eq!(
            retry_after(0).as_secs(),
            30,
            "never less than the first wait"
        );
        assert_eq!(retry_after(u32::MAX).as_secs(), 1800, "no overflow");
    }

    #[test]
    fn temporary_failures_give_up_after_a_day() {
        let hour = Duration::from_secs(3600);
        assert_eq!(
            after_temporary_failure(1, Duration::ZERO),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            after_temporary_failure(40, 23 * hour),
            Some(Duration::from_secs(1800))
        );
        let last_chance = 23 * hour + hour / 2;
        assert!(after_temporary_failure(41, last_chance).is_some());
        assert_eq!(
            after_temporary_failure(41, last_chance + Duration::from_secs(1)),
            None
        );
    }
}
