//! Office hours: when the council's comms team is at work ([`OfficeHours`]:
//! opening times per weekday, UK time, closed on bank holidays), and how
//! much of a span falls within them ([`Elapsed`]): a post on Friday at 18:00
//! answered on Monday at 09:30 waited 30 minutes.
//!
//! Counting is arithmetic, not a walk over the minutes: an instant is turned
//! into local clock seconds (a look-up in the zone's table of offset
//! changes), the open seconds of whole weeks before it are multiplied out,
//! those lost to bank holidays before it are read from a running sum by
//! day, and each change of the clocks within the span is corrected for. A
//! span of a year costs what a span of a minute does: about 64 ns a call
//! (`cargo bench --bench office_hours`).
//!
//! Pure: the bank holiday list and the time zone are handed in
//! ([`holidays`], [`tz`]).

pub mod holidays;
pub mod tz;

#[cfg(test)]
mod tests;

use std::fmt;

use jiff::tz::TimeZone;
use time::{Date, OffsetDateTime, Time, Weekday};

pub use holidays::{BankHoliday, BankHolidays, Division, HolidayError};

use super::report::Elapsed;
use tz::Offsets;

const DAY: i64 = 86_400;
/// The Julian day number of 1970-01-01, day 0 of the local day count.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// One day's opening: from `open` to `close`, local time; `close` may be
/// the end of the day (`24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    /// Seconds after midnight.
    open: u32,
    /// Seconds after midnight, after `open`, at most 86 400.
    close: u32,
}

/// Why an opening (`"09:00-17:00"`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    #[error(
        "{0:?} is not opening hours: write \"HH:MM-HH:MM\" (such as \"09:00-17:00\") or \"closed\""
    )]
    Shape(String),
    #[error("{0:?} is not a time of day (00:00 to 24:00)")]
    Time(String),
    #[error("the office must close after it opens ({open} is not before {close})")]
    EndBeforeStart { open: String, close: String },
}

impl Opening {
    /// The opening from `open` to `close` (seconds after midnight); `None`
    /// unless `open < close <= 86 400`.
    pub fn new(open: u32, close: u32) -> Option<Opening> {
        (open < close && close <= DAY as u32).then_some(Opening { open, close })
    }

    /// `"09:00-17:00"` → an opening, `"closed"` → `None`.
    pub fn parse(s: &str) -> Result<Option<Opening>, OpeningError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("closed") {
            return Ok(None);
        }
        let (open, close) = s
            .split_once('-')
            .ok_or_else(|| OpeningError::Shape(s.to_owned()))?;
        let (open, close) = (clock_time(open.trim())?, clock_time(close.trim())?);
        Opening::new(open, close)
            .map(Some)
            .ok_or_else(|| OpeningError::EndBeforeStart {
                open: hh_mm(open),
                close: hh_mm(close),
            })
    }

    /// When the office opens, in seconds after midnight.
    pub fn open_secs(self) -> u32 {
        self.open
    }

    /// When it closes, in seconds after midnight (86 400 for `24:00`).
    pub fn close_secs(self) -> u32 {
        self.close
    }

    /// How long the day's opening lasts, in seconds.
    pub fn secs(self) -> i64 {
        i64::from(self.close - self.open)
    }

    /// The seconds of this opening before `secs` after midnight.
    fn open_before(self, secs: i64) -> i64 {
        secs.clamp(i64::from(self.open), i64::from(self.close)) - i64::from(self.open)
    }
}

impl fmt::Display for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", hh_mm(self.open), hh_mm(self.close))
    }
}

/// `"09:30"` → seconds after midnight; `"24:00"` is the end of the day.
fn clock_time(s: &str) -> Result<u32, OpeningError> {
    let bad = || OpeningError::Time(s.to_owned());
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60)
}

fn hh_mm(secs: u32) -> String {
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// The opening of each day of the week, Monday first; `None` is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week([Option<Opening>; 7]);

impl Default for Week {
    /// Monday to Friday, 09:00 to 17:00; closed at the weekend.
    fn default() -> Week {
        let day = Opening::new(9 * 3600, 17 * 3600);
        Week([day, day, day, day, day, None, None])
    }
}

impl Week {
    /// Closed every day.
    pub const CLOSED: Week = Week([None; 7]);

    /// This week with `day`'s opening set to `opening`.
    pub fn with(mut self, day: Weekday, opening: Option<Opening>) -> Week {
        self.0[usize::from(day.number_days_from_monday())] = opening;
        self
    }

    /// `day`'s opening.
    pub fn day(&self, day: Weekday) -> Option<Opening> {
        self.0[usize::from(day.number_days_from_monday())]
    }

    fn secs(&self, index: usize) -> i64 {
        self.0[index].map_or(0, Opening::secs)
    }
}

/// When the office is open: a [`Week`] of openings in a time zone, closed
/// on the bank holidays given.
#[derive(Clone, PartialEq, Eq)]
pub struct OfficeHours {
    week: Week,
    tz: TimeZone,
    /// Every bank holiday given, in order.
    holidays: Vec<Date>,
    /// The local day number (days since 1970-01-01) of the first bank
    /// holiday on an open weekday.
    first_closed: i64,
    /// `lost[k]`: the open seconds lost to bank holidays before day
    /// `first_closed + k`, to the day after the last one: a table, so
    /// counting costs no search.
    lost: Vec<i64>,
    /// `week_secs[i]`: the open seconds of the week's first `i` days.
    week_secs: [i64; 8],
    offsets: Offsets,
}

impl fmt::Debug for OfficeHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfficeHours")
            .field("week", &self.week)
            .field("tz", &self.tz.iana_name())
            .field("holidays", &self.holidays.len())
            .finish_non_exhaustive()
    }
}

impl Default for OfficeHours {
    /// Monday to Friday 09:00 to 17:00 UK time, closed on England and
    /// Wales's bank holidays (from the file shipped with placewatch).
    fn default() -> OfficeHours {
        let holidays = BankHolidays::embedded();
        OfficeHours::new(
            Week::default(),
            tz::uk(),
            holidays
                .of(Division::EnglandAndWales)
                .iter()
                .map(|h| h.date),
        )
    }
}

impl OfficeHours {
    /// Open as `week` says in `tz`, closed on `holidays`.
    pub fn new(week: Week, tz: TimeZone, holidays: impl IntoIterator<Item = Date>) -> OfficeHours {
        let mut holidays: Vec<Date> = holidays.into_iter().collect();
        holidays.sort_unstable();
        holidays.dedup();
        let closed: Vec<(i64, i64)> = holidays
            .iter()
            .map(|day| day_number(*day))
            .map(|number| (number, week.secs(weekday_index(number))))
            .filter(|(_, secs)| *secs > 0)
            .collect();
        let first_closed = closed.first().map_or(0, |c| c.0);
        let last_closed = closed.last().map_or(-1, |c| c.0);
        let mut lost =
            Vec::with_capacity(usize::try_from(last_closed - first_closed + 2).unwrap_or(0));
        let (mut sum, mut next) = (0, closed.iter().peekable());
        for day in first_closed..=last_closed + 1 {
            lost.push(sum);
            if let Some((_, secs)) = next.next_if(|c| c.0 == day) {
                sum += secs;
            }
        }
        let mut week_secs = [0; 8];
        for i in 0..7 {
            week_secs[i + 1] = week_secs[i] + week.secs(i);
        }
        OfficeHours {
            week,
            offsets: Offsets::of(&tz),
            tz,
            holidays,
            first_closed,
            lost,
            week_secs,
        }
    }

    pub fn week(&self) -> &Week {
        &self.week
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The bank holidays the office is closed on, in order.
    pub fn holidays(&self) -> &[Date] {
        &self.holidays
    }

    /// Whether the office is open at `at` (opening times include their
    /// start and exclude their end).
    pub fn is_open(&self, at: OffsetDateTime) -> bool {
        let local = self.local(at.unix_timestamp()).0;
        let (day, secs) = (local.div_euclid(DAY), local.rem_euclid(DAY));
        self.week.0[weekday_index(day)]
            .is_some_and(|o| i64::from(o.open) <= secs && secs < i64::from(o.close))
            && !self.is_closed(day)
    }

    /// The first instant at or after `at` when the office is open; `None`
    /// when it does not open within a year (a week with every day closed).
    pub fn next_open(&self, at: OffsetDateTime) -> Option<OffsetDateTime> {
        if self.is_open(at) {
            return Some(at);
        }
        let local = self.local(at.unix_timestamp()).0;
        let (today, now) = (local.div_euclid(DAY), local.rem_euclid(DAY));
        (today..today + 370).find_map(|day| {
            let opening = self.week.0[weekday_index(day)]?;
            if (day == today && now >= i64::from(opening.open)) || self.is_closed(day) {
                return None;
            }
            let date = Date::from_julian_day((day + UNIX_EPOCH_JULIAN_DAY) as i32).ok()?;
            let open = Time::from_hms(
                (opening.open / 3600) as u8,
                (opening.open % 3600 / 60) as u8,
                0,
            )
            .ok()?;
            Some(tz::instant_in(&self.tz, date, open)).filter(|t| *t >= at)
        })
    }

    /// `unix` as seconds on the local clock since 1970-01-01 00:00 local,
    /// with the index of the zone's offset in force.
    fn local(&self, unix: i64) -> (i64, usize) {
        let index = self.offsets.index(unix);
        (unix + self.offsets.offset(index), index)
    }

    /// Open seconds from the local clock's day 0 to `local`, as if every
    /// day were 24 hours long: whole weeks, the days of this week, today,
    /// less the bank holidays.
    fn open_before(&self, local: i64) -> i64 {
        let (day, secs) = (local.div_euclid(DAY), local.rem_euclid(DAY));
        let weekday = weekday_index(day);
        let weeks = (day + 3).div_euclid(7);
        let today = self.week.0[weekday].map_or(0, |o| o.open_before(secs));
        let worked = weeks * self.week_secs[7] + self.week_secs[weekday] + today;
        let lost = self.lost_before(day) + if self.is_closed(day) { today } else { 0 };
        worked - lost
    }

    /// The open seconds lost to bank holidays before local day `day`.
    fn lost_before(&self, day: i64) -> i64 {
        let Some(last) = self.lost.last() else {
            return 0;
        };
        match usize::try_from(day - self.first_closed) {
            Err(_) => 0,
            Ok(k) => self.lost.get(k).copied().unwrap_or(*last),
        }
    }

    /// Whether local day `day` is a bank holiday on an open weekday.
    fn is_closed(&self, day: i64) -> bool {
        self.lost_before(day + 1) != self.lost_before(day)
    }
}

impl Elapsed for OfficeHours {
    /// The open seconds from `from` to `to`. The local-clock count is
    /// exact between changes of the clocks; at each change inside the span
    /// the clock jumps from `change + before` to `change + after`, so the
    /// open seconds of the skipped stretch are taken off (spring) or those
    /// of the stretch lived twice added (autumn).
    fn secs(&self, from: OffsetDateTime, to: OffsetDateTime) -> u64 {
        let (a, b) = (from.unix_timestamp(), to.unix_timestamp());
        if b <= a {
            return 0;
        }
        let (start, i) = self.local(a);
        let (end, j) = self.local(b);
        let mut secs = self.open_before(end) - self.open_before(start);
        for change in i..j {
            let at = self.offsets.change_at(change);
            let before = at + self.offsets.offset(change);
            let after = at + self.offsets.offset(change + 1);
            secs += self.open_before(before) - self.open_before(after);
        }
        u64::try_from(secs).unwrap_or(0)
    }
}

/// Days since 1970-01-01.
fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// The weekday of a day number, Monday 0 (1970-01-01 was a Thursday).
fn weekday_index(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}
