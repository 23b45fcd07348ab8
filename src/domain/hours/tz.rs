//! The council's time zone (Europe/London) from jiff's bundled IANA
//! database, and a zone's offset changes as a table that answers "what was
//! the offset at this instant" with a binary search, so counting office
//! hours does no time-zone work per call.

use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The IANA name of UK time.
pub const UK_ZONE: &str = "Europe/London";

static UK: LazyLock<TimeZone> = LazyLock::new(|| {
    // The database is compiled in (`tzdb-bundle-always`), so the zone is
    // always there; a test checks it.
    TimeZone::get(UK_ZONE).unwrap_or(TimeZone::UTC)
});

/// UK time: Europe/London.
pub fn uk() -> TimeZone {
    UK.clone()
}

/// `at` as a jiff timestamp (whole seconds).
pub(crate) fn timestamp(at: OffsetDateTime) -> Timestamp {
    Timestamp::from_second(at.unix_timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `tz`'s offset from UTC at `at`.
pub fn offset_in(tz: &TimeZone, at: OffsetDateTime) -> UtcOffset {
    UtcOffset::from_whole_seconds(tz.to_offset(timestamp(at)).seconds()).unwrap_or(UtcOffset::UTC)
}

/// The instant when clocks in `tz` show `time` on `date`. In a gap (the
/// hour the clocks go forward) it is as far past the gap as `time` is into
/// it, as a clock set then would show; in a fold (the hour that happens
/// twice) it is the first.
pub fn instant_in(tz: &TimeZone, date: Date, time: Time) -> OffsetDateTime {
    let civil = jiff::civil::DateTime::new(
        date.year() as i16,
        u8::from(date.month()) as i8,
        date.day() as i8,
        time.hour() as i8,
        time.minute() as i8,
        time.second() as i8,
        0,
    );
    let instant = civil
        .ok()
        .and_then(|dt| tz.to_ambiguous_timestamp(dt).compatible().ok())
        .and_then(|ts| OffsetDateTime::from_unix_timestamp(ts.as_second()).ok());
    // Only a date at the very ends of jiff's range gets here.
    instant.unwrap_or_else(|| PrimitiveDateTime::new(date, time).assume_utc())
}

/// [`Offsets`] tabulates the changes from the start of `FIRST_YEAR` to the
/// start of `END_YEAR`; outside them the offset of the nearest end holds.
const FIRST_YEAR: i32 = 1900;
const END_YEAR: i32 = 2200;

/// A zone's offset changes between 1900 and 2200, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offsets {
    /// The offset before the first change, in seconds.
    initial: i32,
    /// (unix second of the change, offset from then on in seconds).
    changes: Vec<(i64, i32)>,
    /// The unix second the buckets start at (1900-01-01).
    base: i64,
    /// `buckets[b]`: how many changes come before `base + b << BUCKET_BITS`,
    /// so finding an instant's offset is a look-up and a step or two.
    buckets: Vec<u32>,
}

/// A bucket is 2^22 seconds (48.5 days): at most two changes a year fall in
/// one, so a look-up steps over at most a couple.
const BUCKET_BITS: u32 = 22;

impl Offsets {
    pub(crate) fn of(tz: &TimeZone) -> Offsets {
        let second = |year: i32| {
            let day = Date::from_ordinal_date(year, 1).unwrap_or(Date::MIN);
            PrimitiveDateTime::new(day, Time::MIDNIGHT)
                .assume_utc()
                .unix_timestamp()
        };
        let start = Timestamp::from_second(second(FIRST_YEAR)).unwrap_or(Timestamp::MIN);
        let end = Timestamp::from_second(second(END_YEAR)).unwrap_or(Timestamp::MAX);
        let initial = tz.to_offset(start).seconds();
        let mut changes: Vec<(i64, i32)> = Vec::new();
        let mut last = initial;
        for change in tz.following(start) {
            if change.timestamp() > end {
                break;
            }
            let offset = change.offset().seconds();
            // Some transitions change only the abbreviation.
            if offset != last {
                changes.push((change.timestamp().as_second(), offset));
                last = offset;
            }
        }
        let base = start.as_second();
        let count = ((end.as_second() - base) >> BUCKET_BITS) + 1;
        let buckets = (0..count)
            .map(|b| {
                let from = base + (b << BUCKET_BITS);
                changes.partition_point(|(at, _)| *at < from) as u32
            })
            .collect();
        Offsets {
            initial,
            changes,
            base,
            buckets,
        }
    }

    /// How many changes happened at or before `unix`: the index to give
    /// [`Offsets::offset`] and where the changes after `unix` start.
    pub(crate) fn index(&self, unix: i64) -> usize {
        let bucket = unix
            .checked_sub(self.base)
            .filter(|d| *d >= 0)
            .and_then(|d| usize::try_from(d >> BUCKET_BITS).ok())
            .and_then(|b| self.buckets.get(b));
        let Some(&first) = bucket else {
            return self.changes.partition_point(|(at, _)| *at <= unix);
        };
        let mut i = first as usize;
        while self.changes.get(i).is_some_and(|(at, _)| *at <= unix) {
            i += 1;
        }
        i
    }

    /// The offset in force after `index` changes.
    pub(crate) fn offset(&self, index: usize) -> i64 {
        match index.checked_sub(1) {
            None => i64::from(self.initial),
            Some(i) => self.changes.get(i).map_or(0, |c| i64::from(c.1)),
        }
    }

    /// The instant of change `index` (0-based).
    pub(crate) fn change_at(&self, index: usize) -> i64 {
        self.changes.get(index).map_or(i64::MAX, |c| c.0)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime, time};

    use super::*;

    #[test]
    fn the_bundled_database_has_uk_time() {
        assert_eq!(TimeZone::get(UK_ZONE).unwrap().iana_name(), Some(UK_ZONE));
        assert_eq!(uk().iana_name(), Some(UK_ZONE));
    }

    #[test]
    fn the_offset_table_agrees_with_jiff() {
        let tz = uk();
        let table = Offsets::of(&tz);
        // Two changes a year, and the odd wartime double summer time.
        assert!(table.changes.len() > 2 * 150, "{}", table.changes.len());
        let mut at = datetime!(1950-01-01 00:00 UTC);
        while at < datetime!(2060-01-01 00:00 UTC) {
            let unix = at.unix_timestamp();
            assert_eq!(
                table.offset(table.index(unix)),
                i64::from(offset_in(&tz, at).whole_seconds()),
                "{at}"
            );
            at += time::Duration::hours(31 * 24 + 7);
        }
        // Before and after the buckets, the search gives the same answer.
        for at in [
            datetime!(1850-06-01 00:00 UTC),
            datetime!(2250-06-01 00:00 UTC),
        ] {
            let unix = at.unix_timestamp();
            assert_eq!(
                table.index(unix),
                table.changes.partition_point(|(t, _)| *t <= unix)
            );
        }
        // Right at a change: 2026-03-29 01:00 UTC clocks go forward.
        let change = datetime!(2026-03-29 01:00 UTC).unix_timestamp();
        assert_eq!(table.offset(table.index(change - 1)), 0);
        assert_eq!(table.offset(table.index(change)), 3600);
        assert_eq!(table.change_at(table.index(change - 1)), change);
    }

    #[test]
    fn instants_in_a_gap_and_a_fold() {
        let tz = uk();
        assert_eq!(
            instant_in(&tz, date!(2026 - 06 - 01), time!(08:00)),
            datetime!(2026-06-01 07:00 UTC)
        );
        assert_eq!(
            instant_in(&tz, date!(2026 - 03 - 29), time!(01:30)),
            datetime!(2026-03-29 01:30 UTC)
        );
        assert_eq!(
            instant_in(&tz, date!(2026 - 10 - 25), time!(01:30)),
            datetime!(2026-10-25 00:30 UTC)
        );
    }
}
