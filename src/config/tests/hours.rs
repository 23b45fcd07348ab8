//! `[office_hours]`: defaults, openings per weekday, the division, a newer
//! holiday file beside the config, the clock; bad values named by key and line.

use time::Weekday;
use time::macros::{date, datetime};

use super::*;
use crate::domain::hours::{Division, Opening};
use crate::domain::report::Measure;

/// A GOV.UK-shaped file with one holiday per division.
fn holiday_file(dir: &Path, ew: &str) -> PathBuf {
    let event = |d: &str| {
        format!(r#"{{"title": "Test day", "date": "{d}", "notes": "", "bunting": true}}"#)
    };
    let json = format!(
        r#"{{"england-and-wales": {{"division": "england-and-wales", "events": [{}]}},
            "scotland": {{"division": "scotland", "events": [{}]}},
            "northern-ireland": {{"division": "northern-ireland", "events": [{}]}}}}"#,
        event(ew),
        event("2029-01-02"),
        event("2029-03-19")
    );
    let path = dir.join("holidays.json");
    std::fs::write(&path, json).unwrap();
    path
}

#[test]
fn office_hours_default_to_weekdays_nine_to_five_in_england_counting_office_hours() {
    let c = parse(MINIMAL).unwrap();
    let h = &c.office_hours;
    assert_eq!(c.measure(), Measure::OfficeHours);
    assert_eq!(h.division, Division::EnglandAndWales);
    assert_eq!(h.holidays_file, None);
    assert_eq!(
        h.holidays_range,
        Some((date!(2019 - 01 - 01), date!(2028 - 12 - 26)))
    );
    let week = c.office_hours().week();
    assert_eq!(
        week.day(Weekday::Monday),
        Opening::parse("09:00-17:00").unwrap()
    );
    assert_eq!(week.day(Weekday::Saturday), None);
    // Friday 18:00 to Monday 09:30, and the summer bank holiday.
    let (fri, mon) = (
        datetime!(2026-12-04 18:00 UTC),
        datetime!(2026-12-07 09:30 UTC),
    );
    assert_eq!(c.elapsed().secs(fri, mon), 30 * 60);
    assert!(!c.office_hours().is_open(datetime!(2026-08-31 10:00 UTC)));
}

#[test]
fn openings_division_and_clock_are_read_and_load_back() {
    let src = with_monitor(
        "[office_hours]\nmonday = \"08:30-18:00\"\nwednesday = \"closed\"\n\
         saturday = \"10:00-13:00\"\nbank_holidays = \"scotland\"\nclock = \"wall_clock\"",
    );
    let c = parse(&src).unwrap();
    let week = c.office_hours().week();
    assert_eq!(
        week.day(Weekday::Monday).unwrap().to_string(),
        "08:30-18:00"
    );
    assert_eq!(
        week.day(Weekday::Tuesday).unwrap().to_string(),
        "09:00-17:00"
    );
    assert_eq!(week.day(Weekday::Wednesday), None);
    assert_eq!(
        week.day(Weekday::Saturday).unwrap().to_string(),
        "10:00-13:00"
    );
    assert_eq!(c.office_hours.division, Division::Scotland);
    assert!(
        c.office_hours().is_open(datetime!(2026-08-31 10:00 UTC)),
        "England's summer bank holiday is a working day in Scotland"
    );
    assert_eq!(c.measure(), Measure::WallClock);
    let (fri, mon) = (
        datetime!(2026-12-04 18:00 UTC),
        datetime!(2026-12-07 09:30 UTC),
    );
    assert_eq!(c.elapsed().secs(fri, mon), (63 * 60 + 30) * 60);
    let rendered = c.render_effective_with_env(&|_| None);
    assert!(
        rendered.contains("[office_hours]  # UK time (Europe/London)\nmonday = \"08:30-18:00\"\n"),
        "{rendered}"
    );
    assert!(rendered.contains("wednesday = \"closed\"\n"), "{rendered}");
    assert_eq!(parse(&rendered).unwrap().office_hours, c.office_hours);
}

#[test]
fn a_newer_holiday_file_is_read_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    holiday_file(dir.path(), "2029-01-01");
    let config = dir.path().join("placewatch.toml");
    let src = with_monitor("[office_hours]\nbank_holidays_file = \"holidays.json\"");
    let c = Config::from_str_with_env(&src, &config, &no_env).unwrap();
    let h = &c.office_hours;
    assert_eq!(
        h.holidays_file.as_deref(),
        Some(dir.path().join("holidays.json").as_path())
    );
    assert_eq!(
        h.holidays_range,
        Some((date!(2029 - 01 - 01), date!(2029 - 01 - 01)))
    );
    assert_eq!(c.office_hours().holidays(), [date!(2029 - 01 - 01)]);
    assert!(!c.office_hours().is_open(datetime!(2029-01-01 10:00 UTC)));
    assert!(
        c.office_hours().is_open(datetime!(2026-08-31 10:00 UTC)),
        "the shipped list is not used"
    );
    let rendered = c.render_effective_with_env(&|_| None);
    let back = Config::from_str_with_env(&rendered, &config, &no_env).unwrap();
    assert_eq!(back.office_hours, c.office_hours);
}

#[test]
fn bad_office_hours_are_named_by_key_and_line() {
    let cases = [
        (
            "monday = \"9-5\"",
            "office_hours.monday",
            "\"9\" is not a time of day",
        ),
        (
            "tuesday = \"17:00-09:00\"",
            "office_hours.tuesday",
            "must close after it opens (17:00 is not before 09:00)",
        ),
        (
            "sunday = \"all day\"",
            "office_hours.sunday",
            "write \"HH:MM-HH:MM\"",
        ),
        (
            "bank_holidays = \"wales\"",
            "office_hours.bank_holidays",
            "not a GOV.UK division: use one of england-and-wales, scotland, northern-ireland",
        ),
        (
            "clock = \"business\"",
            "office_hours.clock",
            "use \"office_hours\" or \"wall_clock\"",
        ),
        (
            "bank_holidays_file = \"no-such-file.json\"",
            "office_hours.bank_holidays_file",
            "cannot read ",
        ),
    ];
    for (line, key, says) in cases {
        let src = with_monitor(&format!("[office_hours]\n{line}"));
        let at = src.lines().position(|l| l == line).unwrap() + 1;
        let e = parse(&src).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("config/placewatch.toml:{at}: {key}: ")),
            "{line}: {e}"
        );
        assert!(e.contains(says), "{line}: {e}");
    }
}

#[test]
fn an_invalid_holiday_file_is_named_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = holiday_file(dir.path(), "01/01/2029");
    let config = dir.path().join("placewatch.toml");
    let src = with_monitor("[office_hours]\nbank_holidays_file = \"holidays.json\"");
    let e = Config::from_str_with_env(&src, &config, &no_env)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{}:8: office_hours.bank_holidays_file: {}: england-and-wales: event 0: \"01/01/2029\" is not a date",
            config.display(),
            path.display()
        )),
        "{e}"
    );
    std::fs::write(&path, "{\"scotland\": {\"events\": []}}").unwrap();
    let e = Config::from_str_with_env(&src, &config, &no_env)
        .unwrap_err()
        .to_string();
    assert!(e.ends_with("it has no england-and-wales division"), "{e}");
}

#[test]
fn office_hours_can_be_overridden_from_the_environment() {
    let c = parse_env(
        MINIMAL,
        &[
            ("PLACEWATCH__OFFICE_HOURS__FRIDAY", "09:00-16:30"),
            ("PLACEWATCH__OFFICE_HOURS__CLOCK", "wall_clock"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.office_hours()
            .week()
            .day(Weekday::Friday)
            .unwrap()
            .to_string(),
        "09:00-16:30"
    );
    assert_eq!(c.measure(), Measure::WallClock);
    let e = env_err(MINIMAL, &[("PLACEWATCH__OFFICE_HOURS__MONDAY", "late")]);
    assert!(
        e.starts_with(
            "environment variable PLACEWATCH__OFFICE_HOURS__MONDAY: office_hours.monday: "
        ),
        "{e}"
    );
}
