//! The manager's report: what residents talked about over a period, what
//! became of it, how fast the team answered and what X cost, as plain data
//! the desk's Reports page, `placewatch report` and the weekly email all
//! render, and as [`Table`]s every one of them can export as CSV.
//!
//! The store computes a [`Report`]; nothing here does I/O.

use serde::Serialize;
use time::{Date, OffsetDateTime};

mod build;
pub mod days;
mod tables;

pub use build::{
    ApiReply, Facts, ItemFacts, MonthFacts, Prices, ReportSettings, Response, TOP_PLACES, Tally,
    inbox_query, month_fraction,
};
pub use tables::duration_text;

/// The days a report covers: `from` to `to`, both included, in the council's
/// time zone (UK time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// The period from `from` to `to`, both included; `None` when `to` comes
    /// before `from`.
    pub fn new(from: Date, to: Date) -> Option<Period> {
        (from <= to).then_some(Period { from, to })
    }

    /// How many days the period covers (at least 1).
    pub fn days(&self) -> i64 {
        (self.to - self.from).whole_days() + 1
    }

    /// The period of the same length that ends the day before this one
    /// starts: what "against the previous period" compares with.
    pub fn previous(&self) -> Period {
        let to = self.from.previous_day().unwrap_or(self.from);
        let from = to
            .checked_sub(time::Duration::days(self.days() - 1))
            .unwrap_or(Date::MIN);
        Period { from, to }
    }
}

/// How a report's durations are counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Only the council's office hours count (`[office_hours]`, bank holidays
    /// excluded): a post on Friday evening answered on Monday at 09:30 took
    /// 30 minutes.
    #[default]
    OfficeHours,
    /// Every hour counts.
    WallClock,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::OfficeHours => "office_hours",
            Measure::WallClock => "wall_clock",
        }
    }

    /// What a duration's heading says: "in office hours" or "in wall-clock time".
    pub fn words(self) -> &'static str {
        match self {
            Measure::OfficeHours => "in office hours",
            Measure::WallClock => "in wall-clock time",
        }
    }
}

/// How long passed between two instants under some rule: every second
/// ([`WallClock`]) or only those in office hours (`domain::hours`).
pub trait Elapsed {
    /// Seconds from `from` to `to` that count; 0 when `to` is not after `from`.
    fn secs(&self, from: OffsetDateTime, to: OffsetDateTime) -> u64;
}

/// Every second counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct WallClock;

impl Elapsed for WallClock {
    fn secs(&self, from: OffsetDateTime, to: OffsetDateTime) -> u64 {
        u64::try_from((to - from).whole_seconds()).unwrap_or(0)
    }
}

/// The median and 90th percentile of some durations, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Times {
    /// How many durations.
    pub count: u64,
    /// `None` when there are none.
    pub median_secs: Option<u64>,
    pub p90_secs: Option<u64>,
}

impl Times {
    /// The median and 90th percentile (nearest rank) of `secs`.
    pub fn of(mut secs: Vec<u64>) -> Times {
        secs.sort_unstable();
        let rank = |percent: usize| -> Option<u64> {
            if secs.is_empty() {
                return None;
            }
            // Nearest rank: the smallest value with at least `percent` of
            // the values at or below it.
            let at = (percent * secs.len()).div_ceil(100).max(1) - 1;
            secs.get(at).copied()
        };
        Times {
            count: secs.len() as u64,
            median_secs: rank(50),
            p90_secs: rank(90),
        }
    }
}

/// A figure that links to the items behind it: `query` is the inbox's query
/// string (without `?`), such as `from=2026-11-01&to=2026-11-30&place=Croydon`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    /// What is counted, as people read it: a place, a tag, "API", a team.
    pub label: String,
    pub n: u64,
    /// The inbox filter that lists these items, if one can.
    pub query: Option<String>,
}

/// Items that came in, by what they were about.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Volume {
    pub total: u64,
    /// Every day of the period in order, days without items included.
    pub per_day: Vec<(Date, u64)>,
    /// Most items first.
    pub by_place: Vec<Count>,
    pub by_tag: Vec<Count>,
    pub by_reply_path: Vec<Count>,
    pub by_language: Vec<Count>,
    /// The places with most items this period, with their count over the
    /// previous period.
    pub top_places: Vec<Trend>,
}

/// A place's items this period against the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trend {
    pub label: String,
    pub this_period: u64,
    pub previous_period: u64,
    pub query: Option<String>,
}

/// What became of the period's items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcomes {
    pub total: u64,
    pub replied_api: Count,
    pub replied_manual: Count,
    /// Per team referred to, most first.
    pub referred: Vec<Count>,
    pub dismissed: Count,
    pub open: Count,
    /// Items replied to or referred, in percent of `total` (0 when none).
    pub answered_percent: f64,
}

/// First response (first reply or referral) and resolution (replied,
/// referred or dismissed) times of one group of items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeedLine {
    /// "All items", a priority, an officer's name, a team.
    pub label: String,
    pub first_response: Times,
    pub resolution: Times,
    /// Items whose first response came after their priority's target (or
    /// that are still unanswered past it).
    pub missed_target: u64,
    pub query: Option<String>,
}

/// How fast the period's items were answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Speed {
    pub measure: Measure,
    pub overall: SpeedLine,
    pub by_priority: Vec<SpeedLine>,
    pub by_officer: Vec<SpeedLine>,
    pub by_team: Vec<SpeedLine>,
}

/// What X cost in the month the period ends in, at the configured prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spend {
    /// `"2026-11"`.
    pub month: String,
    pub post_reads: u64,
    pub post_reads_usd: f64,
    pub owned_reads: u64,
    pub owned_reads_usd: f64,
    pub replies: u64,
    pub replies_usd: f64,
    /// The three together.
    pub usd: f64,
    pub forecast_usd: f64,
    pub budget_usd: Option<f64>,
    /// Post reads per place name (a post that matched two places counts for
    /// both), most first, with their cost.
    pub by_place: Vec<PlaceReads>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceReads {
    pub label: String,
    pub reads: u64,
    pub usd: f64,
}

/// Everything the Reports page shows for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub period: Period,
    pub previous: Period,
    pub volume: Volume,
    pub outcomes: Outcomes,
    pub speed: Speed,
    pub spend: Spend,
}

/// One table of a report, as the page shows it beside its chart and as its
/// CSV export holds it: a title, column headings and rows of cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// A short name for files and anchors: `volume-per-day`.
    pub id: &'static str,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A table cell: its text, and the inbox query behind it when it is a count
/// of items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub text: String,
    pub query: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            query: None,
        }
    }

    pub fn linked(text: impl Into<String>, query: Option<String>) -> Cell {
        Cell {
            text: text.into(),
            query,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_previous_period_is_as_long_and_ends_the_day_before() {
        let november = Period::new(date!(2026 - 11 - 01), date!(2026 - 11 - 30)).unwrap();
        assert_eq!(november.days(), 30);
        assert_eq!(
            november.previous(),
            Period::new(date!(2026 - 10 - 02), date!(2026 - 10 - 31)).unwrap()
        );
        let day = Period::new(date!(2026 - 03 - 01), date!(2026 - 03 - 01)).unwrap();
        assert_eq!(day.previous().from, date!(2026 - 02 - 28));
        assert!(Period::new(date!(2026 - 03 - 02), date!(2026 - 03 - 01)).is_none());
    }

    #[test]
    fn wall_clock_counts_every_second_forwards_only() {
        use time::macros::datetime;
        let (a, b) = (
            datetime!(2026-11-06 17:00 UTC),
            datetime!(2026-11-09 09:30 UTC),
        );
        assert_eq!(WallClock.secs(a, b), (2 * 24 + 16) * 3600 + 30 * 60);
        assert_eq!(WallClock.secs(b, a), 0);
    }

    #[test]
    fn median_and_90th_percentile_by_nearest_rank() {
        assert_eq!(Times::of(vec![]), Times::default());
        let one = Times::of(vec![7]);
        assert_eq!((one.median_secs, one.p90_secs), (Some(7), Some(7)));
        let ten = Times::of((1..=10).rev().collect());
        assert_eq!(ten.count, 10);
        assert_eq!((ten.median_secs, ten.p90_secs), (Some(5), Some(9)));
        let eleven = Times::of((1..=11).collect());
        assert_eq!((eleven.median_secs, eleven.p90_secs), (Some(6), Some(10)));
    }
}
