//! UK calendar days as UTC instants: the one place the report converts
//! between them, so the rule (today `domain::notification`'s BST dates; a
//! time-zone crate later) is swapped here alone.

use time::{Date, OffsetDateTime, Time};

use crate::domain::notification::{uk_instant, uk_offset};

/// The instant UK day `date` begins (midnight, UK time).
pub fn day_start(date: Date) -> OffsetDateTime {
    uk_instant(date, Time::MIDNIGHT)
}

/// The UK calendar day `at` falls on.
pub fn uk_date(at: OffsetDateTime) -> Date {
    at.to_offset(uk_offset(at)).date()
}

/// The instants `period` covers: from the start of its first day up to
/// (not including) the start of the day after its last.
pub fn bounds(period: &super::Period) -> (OffsetDateTime, OffsetDateTime) {
    let end = period
        .to
        .next_day()
        .map(day_start)
        .unwrap_or_else(|| day_start(period.to) + time::Duration::DAY);
    (day_start(period.from), end)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::domain::report::Period;

    #[test]
    fn uk_days_follow_summer_time() {
        assert_eq!(
            day_start(date!(2026 - 07 - 01)),
            datetime!(2026-06-30 23:00 UTC)
        );
        assert_eq!(
            day_start(date!(2026 - 12 - 01)),
            datetime!(2026-12-01 00:00 UTC)
        );
        assert_eq!(
            uk_date(datetime!(2026-06-30 23:30 UTC)),
            date!(2026 - 07 - 01)
        );
        assert_eq!(
            uk_date(datetime!(2026-12-31 23:30 UTC)),
            date!(2026 - 12 - 31)
        );
        // The day the clocks go back lasts 25 hours.
        let october = Period::new(date!(2026 - 10 - 25), date!(2026 - 10 - 25)).unwrap();
        let (from, to) = bounds(&october);
        assert_eq!(
            (from, to),
            (
                datetime!(2026-10-24 23:00 UTC),
                datetime!(2026-10-26 00:00 UTC)
            )
        );
    }
}
