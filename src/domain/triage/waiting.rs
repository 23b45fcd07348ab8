//! How long an open item's post has waited for an answer, against the
//! council's target for its priority: the clock on every open row of the
//! desk, amber when most of the target is gone and red once it is passed.
//! The wait is counted by the same rule as the reports' durations
//! ([`waited`] with the configured `Elapsed`: office hours by default).

use std::time::Duration;

use time::OffsetDateTime;

use super::status::Priority;
use crate::domain::report::Elapsed;

/// The share of a target after which the clock turns amber, in percent.
const NEAR_PERCENT: u128 = 75;

/// How long a post of each priority may wait for an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingTargets {
    pub urgent: Duration,
    pub high: Duration,
    pub normal: Duration,
    pub low: Duration,
}

impl Default for WaitingTargets {
    /// Urgent 30 minutes, high 1 hour, normal 8 hours, low 24 hours.
    fn default() -> Self {
        const MIN: u64 = 60;
        WaitingTargets {
            urgent: Duration::from_secs(30 * MIN),
            high: Duration::from_secs(60 * MIN),
            normal: Duration::from_secs(8 * 60 * MIN),
            low: Duration::from_secs(24 * 60 * MIN),
        }
    }
}

/// Where a wait stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Well within the target.
    Within,
    /// Three quarters of the target or more gone.
    Near,
    /// Past the target.
    Over,
}

impl Clock {
    /// The name used in the desk's markup: `within`, `near`, `over`.
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Within => "within",
            Clock::Near => "near",
            Clock::Over => "over",
        }
    }
}

impl WaitingTargets {
    /// The target for `priority`.
    pub fn target(&self, priority: Priority) -> Duration {
        match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Normal => self.normal,
            Priority::Low => self.low,
        }
    }

    /// Where a post of `priority` that has waited `waited` stands.
    pub fn clock(&self, priority: Priority, waited: Duration) -> Clock {
        let target = self.target(priority).as_millis();
        let waited = waited.as_millis();
        if waited > target {
            Clock::Over
        } else if waited * 100 >= target * NEAR_PERCENT {
            Clock::Near
        } else {
            Clock::Within
        }
    }
}

/// How long a post made at `posted` has waited by `now`, counted by
/// `rule` (office hours or the wall clock).
pub fn waited(rule: &dyn Elapsed, posted: OffsetDateTime, now: OffsetDateTime) -> Duration {
    Duration::from_secs(rule.secs(posted, now))
}

/// A wait as the desk shows it: "12 min", "3 h 5 min", "2 d 4 h".
pub fn short_duration(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    match mins {
        0 => "under 1 min".to_owned(),
        1..60 => format!("{mins} min"),
        60..1440 => match mins % 60 {
            0 => format!("{} h", mins / 60),
            m => format!("{} h {m} min", mins / 60),
        },
        _ => match (mins / 60) % 24 {
            0 => format!("{} d", mins / 1440),
            h => format!("{} d {h} h", mins / 1440),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;

    #[test]
    fn the_clock_turns_amber_at_three_quarters_and_red_past_the_target() {
        let t = WaitingTargets::default();
        let at = |m: u64| Duration::from_secs(m * MIN);
        assert_eq!(t.clock(Priority::High, at(44)), Clock::Within);
        assert_eq!(t.clock(Priority::High, at(45)), Clock::Near);
        assert_eq!(t.clock(Priority::High, at(60)), Clock::Near);
        assert_eq!(t.clock(Priority::High, at(61)), Clock::Over);
        assert_eq!(t.clock(Priority::Normal, at(61)), Clock::Within);
        assert_eq!(t.clock(Priority::Urgent, at(31)), Clock::Over);
        assert_eq!(t.clock(Priority::Low, at(20 * 60)), Clock::Near);
    }

    #[test]
    fn a_wait_counts_by_the_rule_given() {
        use crate::domain::hours::OfficeHours;
        use crate::domain::report::WallClock;
        use time::macros::datetime;
        // Posted on Friday evening, looked at on Monday at 09:50 (winter).
        let (posted, now) = (
            datetime!(2026-12-04 18:00 UTC),
            datetime!(2026-12-07 09:50 UTC),
        );
        let office = waited(&OfficeHours::default(), posted, now);
        assert_eq!(office, Duration::from_secs(50 * MIN));
        let t = WaitingTargets::default();
        assert_eq!(t.clock(Priority::High, office), Clock::Near);
        let wall = waited(&WallClock, posted, now);
        assert_eq!(wall, Duration::from_secs((63 * 60 + 50) * MIN));
        assert_eq!(t.clock(Priority::High, wall), Clock::Over);
        assert_eq!(waited(&WallClock, now, posted), Duration::ZERO);
    }

    #[test]
    fn waits_read_in_the_largest_units() {
        let s = |secs: u64| short_duration(Duration::from_secs(secs));
        assert_eq!(s(30), "under 1 min");
        assert_eq!(s(12 * MIN), "12 min");
        assert_eq!(s(60 * MIN), "1 h");
        assert_eq!(s(185 * MIN), "3 h 5 min");
        assert_eq!(s(24 * 60 * MIN), "1 d");
        assert_eq!(s(52 * 60 * MIN + 7 * MIN), "2 d 4 h");
    }
}
