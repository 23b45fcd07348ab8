use time::macros::datetime;
use time::{Duration, OffsetDateTime, Weekday};

use super::*;
use crate::domain::report::WallClock;

const H: u64 = 3600;
const MIN: u64 = 60;

/// Monday to Friday 09:00–17:00 UK time, England and Wales's holidays.
fn england() -> OfficeHours {
    OfficeHours::default()
}

fn scotland() -> OfficeHours {
    let all = BankHolidays::embedded();
    let days = all.of(Division::Scotland).iter().map(|h| h.date);
    OfficeHours::new(Week::default(), tz::uk(), days)
}

fn open(s: &str) -> Option<Opening> {
    Opening::parse(s).unwrap()
}

#[test]
fn friday_evening_to_monday_morning_is_half_an_hour() {
    let h = england();
    // Winter: UK time is UTC.
    assert_eq!(
        h.secs(
            datetime!(2026-12-04 18:00 UTC),
            datetime!(2026-12-07 09:30 UTC)
        ),
        30 * MIN
    );
    // Summer: 18:00 BST is 17:00 UTC.
    assert_eq!(
        h.secs(
            datetime!(2026-07-03 17:00 UTC),
            datetime!(2026-07-06 08:30 UTC)
        ),
        30 * MIN
    );
}

#[test]
fn within_one_day() {
    let h = england();
    let s = |a, b| h.secs(a, b);
    assert_eq!(
        s(
            datetime!(2026-12-07 10:00 UTC),
            datetime!(2026-12-07 11:15 UTC)
        ),
        75 * MIN
    );
    assert_eq!(
        s(
            datetime!(2026-12-07 07:00 UTC),
            datetime!(2026-12-07 10:00 UTC)
        ),
        H,
        "before opening counts nothing"
    );
    assert_eq!(
        s(
            datetime!(2026-12-07 17:30 UTC),
            datetime!(2026-12-07 23:00 UTC)
        ),
        0
    );
    assert_eq!(
        s(
            datetime!(2026-12-07 00:00 UTC),
            datetime!(2026-12-08 00:00 UTC)
        ),
        8 * H
    );
    assert_eq!(
        s(
            datetime!(2026-12-07 10:00:00 UTC),
            datetime!(2026-12-07 10:00:59.9 UTC)
        ),
        59
    );
}

#[test]
fn backwards_or_empty_spans_count_nothing() {
    let h = england();
    let t = datetime!(2026-12-07 10:00 UTC);
    assert_eq!(h.secs(t, t), 0);
    assert_eq!(h.secs(t + Duration::hours(2), t), 0);
    assert_eq!(h.secs(t + Duration::days(40), t), 0);
}

#[test]
fn bank_holidays_are_closed_in_their_own_division() {
    // Summer bank holiday: Monday 31 August 2026 in England and Wales,
    // not in Scotland (whose is 3 August).
    let (fri, tue) = (
        datetime!(2026-08-28 15:00 UTC), // 16:00 BST
        datetime!(2026-09-01 08:30 UTC), // 09:30 BST
    );
    assert_eq!(england().secs(fri, tue), H + 30 * MIN);
    assert_eq!(scotland().secs(fri, tue), H + 8 * H + 30 * MIN);
    // Easter 2026: Good Friday 3 April, Easter Monday 6 April.
    assert_eq!(
        england().secs(
            datetime!(2026-04-02 15:30 UTC),
            datetime!(2026-04-07 08:15 UTC)
        ),
        45 * MIN
    );
    // Christmas 2026: Friday 25th, and Monday 28th for Boxing Day.
    assert_eq!(
        england().secs(
            datetime!(2026-12-24 16:00 UTC),
            datetime!(2026-12-29 09:10 UTC)
        ),
        H + 10 * MIN
    );
    assert!(!england().is_open(datetime!(2026-08-31 10:00 UTC)));
    assert!(scotland().is_open(datetime!(2026-08-31 10:00 UTC)));
}

#[test]
fn the_clocks_changing_over_a_weekend() {
    let h = england();
    // Forward on Sunday 29 March 2026: Friday 12:00 GMT to Monday 12:00 BST
    // is 71 hours on the wall and 5 + 3 office hours.
    let (fri, mon) = (
        datetime!(2026-03-27 12:00 UTC),
        datetime!(2026-03-30 11:00 UTC),
    );
    assert_eq!(WallClock.secs(fri, mon), 71 * H);
    assert_eq!(h.secs(fri, mon), 8 * H);
    // Back on Sunday 25 October 2026: Friday 16:00 BST to Monday 10:00 GMT.
    assert_eq!(
        h.secs(
            datetime!(2026-10-23 15:00 UTC),
            datetime!(2026-10-26 10:00 UTC)
        ),
        2 * H
    );
}

#[test]
fn an_office_open_through_the_night_counts_the_hour_the_clocks_skip_or_repeat() {
    let all_day = open("00:00-24:00");
    let mut week = Week::CLOSED;
    for day in [Weekday::Saturday, Weekday::Sunday, Weekday::Monday] {
        week = week.with(day, all_day);
    }
    let h = OfficeHours::new(week, tz::uk(), []);
    // Sunday 29 March 2026 lasts 23 hours, Sunday 25 October 25.
    let spring = (
        datetime!(2026-03-28 00:00 UTC),
        datetime!(2026-03-28 23:00 UTC),
    );
    assert_eq!(
        h.secs(spring.0 + Duration::DAY, spring.1 + Duration::DAY),
        23 * H
    );
    assert_eq!(
        h.secs(
            datetime!(2026-10-24 23:00 UTC),
            datetime!(2026-10-26 00:00 UTC)
        ),
        25 * H
    );
    // Within the repeated hour, from its first pass to its second.
    assert_eq!(
        h.secs(
            datetime!(2026-10-25 00:30 UTC),
            datetime!(2026-10-25 01:30 UTC)
        ),
        H
    );
    assert_eq!(
        h.secs(
            datetime!(2026-03-29 00:59 UTC),
            datetime!(2026-03-29 01:01 UTC)
        ),
        2 * MIN
    );
}

#[test]
fn open_every_hour_it_agrees_with_the_wall_clock() {
    let always = open("00:00-24:00");
    let mut week = Week::CLOSED;
    for day in [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ] {
        week = week.with(day, always);
    }
    for zone in ["Europe/London", "America/New_York", "Australia/Lord_Howe"] {
        let h = OfficeHours::new(week, jiff::tz::TimeZone::get(zone).unwrap(), []);
        for (a, b) in spans(500, 60 * 24 * 30) {
            assert_eq!(h.secs(a, b), WallClock.secs(a, b), "{zone} {a} {b}");
        }
    }
}

/// Pseudo-random spans in 2026–2027, up to `max_minutes` long (an LCG, so
/// runs repeat).
fn spans(n: usize, max_minutes: u64) -> Vec<(OffsetDateTime, OffsetDateTime)> {
    let mut seed: u64 = 0x5eed_1234_abcd;
    let mut next = move |m: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    let base = datetime!(2026-01-01 00:00 UTC);
    (0..n)
        .map(|_| {
            let a = base + Duration::minutes(next(2 * 365 * 24 * 60) as i64);
            (a, a + Duration::minutes(next(max_minutes) as i64))
        })
        .collect()
}

/// The same count the slow way: every quarter hour checked with jiff's own
/// conversion to UK time. Spans start and end on a quarter hour.
fn counted_by_quarter_hours(
    week: &Week,
    holidays: &[Date],
    a: OffsetDateTime,
    b: OffsetDateTime,
) -> u64 {
    let tz = tz::uk();
    let mut t = a;
    let mut secs = 0;
    while t < b {
        let zoned = tz.to_datetime(tz::timestamp(t));
        let date = Date::from_calendar_date(
            i32::from(zoned.year()),
            time::Month::try_from(zoned.month() as u8).unwrap(),
            zoned.day() as u8,
        )
        .unwrap();
        let secs_of_day = i64::from(zoned.hour()) * 3600 + i64::from(zoned.minute()) * 60;
        let is_open = week.day(date.weekday()).is_some_and(|o| {
            i64::from(o.open_secs()) <= secs_of_day && secs_of_day < i64::from(o.close_secs())
        }) && !holidays.contains(&date);
        if is_open {
            secs += 15 * MIN;
        }
        t += Duration::minutes(15);
    }
    secs
}

#[test]
fn agrees_with_counting_quarter_hours_around_holidays_and_clock_changes() {
    let week = Week::default()
        .with(Weekday::Wednesday, None)
        .with(Weekday::Saturday, open("10:00-13:30"))
        .with(Weekday::Sunday, open("00:30-02:45"));
    let holidays: Vec<Date> = BankHolidays::embedded()
        .of(Division::EnglandAndWales)
        .iter()
        .map(|h| h.date)
        .collect();
    let h = OfficeHours::new(week, tz::uk(), holidays.iter().copied());
    let quarter = |t: OffsetDateTime| t.replace_minute(t.minute() / 15 * 15).unwrap();
    let mut checked = 0;
    for (a, b) in spans(150, 60 * 24 * 9) {
        let (a, b) = (quarter(a), quarter(b));
        assert_eq!(
            h.secs(a, b),
            counted_by_quarter_hours(&week, &holidays, a, b),
            "{a} to {b}"
        );
        checked += 1;
    }
    // And spans chosen to cross each change of the clocks and Easter.
    for (a, b) in [
        (
            datetime!(2026-03-28 23:45 UTC),
            datetime!(2026-03-29 03:00 UTC),
        ),
        (
            datetime!(2026-10-24 23:00 UTC),
            datetime!(2026-10-25 02:15 UTC),
        ),
        (
            datetime!(2026-04-01 12:00 UTC),
            datetime!(2026-04-08 12:00 UTC),
        ),
    ] {
        assert_eq!(
            h.secs(a, b),
            counted_by_quarter_hours(&week, &holidays, a, b),
            "{a} to {b}"
        );
        checked += 1;
    }
    assert_eq!(checked, 153);
}

#[test]
fn spans_add_up() {
    let h = england();
    for (a, b) in spans(300, 60 * 24 * 60) {
        let mid = a + (b - a) / 3;
        assert_eq!(h.secs(a, mid) + h.secs(mid, b), h.secs(a, b), "{a} {b}");
    }
}

#[test]
fn a_year_is_its_working_days() {
    // 2026 has 261 weekdays; England and Wales's eight bank holidays all
    // fall on one.
    assert_eq!(
        england().secs(
            datetime!(2026-01-01 00:00 UTC),
            datetime!(2027-01-01 00:00 UTC)
        ),
        (261 - 8) * 8 * H
    );
    // Three months: January to March 2026 has 64 weekdays, one holiday.
    assert_eq!(
        england().secs(
            datetime!(2026-01-01 00:00 UTC),
            datetime!(2026-04-01 00:00 UTC)
        ),
        (64 - 1) * 8 * H
    );
}

#[test]
fn open_and_next_open() {
    let h = england();
    let monday = datetime!(2026-12-07 09:00 UTC);
    assert!(h.is_open(monday));
    assert!(!h.is_open(monday - Duration::SECOND));
    assert!(
        !h.is_open(datetime!(2026-12-07 17:00 UTC)),
        "closed at 17:00"
    );
    assert_eq!(h.next_open(monday), Some(monday));
    assert_eq!(h.next_open(datetime!(2026-12-04 17:00 UTC)), Some(monday));
    assert_eq!(h.next_open(datetime!(2026-12-07 06:00 UTC)), Some(monday));
    // Summer: 09:00 BST; the bank holiday Monday is skipped.
    assert_eq!(
        h.next_open(datetime!(2026-08-28 18:00 UTC)),
        Some(datetime!(2026-09-01 08:00 UTC))
    );
    // Over Christmas: closed from Thursday 24 December 17:00 to Tuesday 29th.
    assert_eq!(
        h.next_open(datetime!(2026-12-24 17:00 UTC)),
        Some(datetime!(2026-12-29 09:00 UTC))
    );
    let never = OfficeHours::new(Week::CLOSED, tz::uk(), []);
    assert_eq!(never.next_open(monday), None);
    assert_eq!(never.secs(monday, monday + Duration::days(30)), 0);
}

#[test]
fn openings_parse_and_print() {
    assert_eq!(open("09:00-17:00").unwrap().to_string(), "09:00-17:00");
    assert_eq!(open(" 08:30 - 24:00 ").unwrap().secs(), 15 * 3600 + 1800);
    assert_eq!(Opening::parse("closed"), Ok(None));
    assert_eq!(Opening::parse("Closed"), Ok(None));
    assert_eq!(Opening::parse("9-5"), Err(OpeningError::Time("9".into())));
    assert_eq!(
        Opening::parse("0900 to 1700"),
        Err(OpeningError::Shape("0900 to 1700".into()))
    );
    assert_eq!(
        Opening::parse("09:00-25:00"),
        Err(OpeningError::Time("25:00".into()))
    );
    assert_eq!(
        Opening::parse("09:60-17:00"),
        Err(OpeningError::Time("09:60".into()))
    );
    assert_eq!(
        Opening::parse("17:00-09:00").unwrap_err().to_string(),
        "the office must close after it opens (17:00 is not before 09:00)"
    );
    assert!(matches!(
        Opening::parse("09:00-09:00"),
        Err(OpeningError::EndBeforeStart { .. })
    ));
    assert_eq!(
        Week::default().day(Weekday::Saturday),
        None,
        "closed at weekends by default"
    );
    assert_eq!(Week::default().day(Weekday::Friday), open("09:00-17:00"));
}

#[test]
fn spans_beyond_the_holiday_list_count_every_working_day() {
    // 2015 to 2035: the list covers 2019 to 2028; outside it every weekday
    // is a working day. Counted here day by day.
    let holidays = BankHolidays::embedded().of(Division::EnglandAndWales);
    let (from, to) = (
        time::macros::date!(2015 - 06 - 01),
        time::macros::date!(2035 - 06 - 01),
    );
    let mut expected = 0;
    let mut day = from;
    while day < to {
        let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
        if !weekend && !holidays.iter().any(|h| h.date == day) {
            expected += 8 * H;
        }
        day = day.next_day().unwrap();
    }
    let at_midnight = |d: Date| d.midnight().assume_utc();
    assert_eq!(england().secs(at_midnight(from), at_midnight(to)), expected);
    // Far outside the offset table (1900 to 2200) the nearest offset holds.
    let far = datetime!(2300-07-01 10:00 UTC);
    assert!(england().secs(far - Duration::days(7), far) > 0);
}
