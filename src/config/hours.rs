//! `[office_hours]` validated: an opening (`"09:00-17:00"`) or `"closed"`
//! per weekday (`domain::hours::Opening::parse`), the bank holidays of a
//! GOV.UK division from the list shipped with placewatch or a newer file
//! (`bank_holidays_file`, relative to the config file's directory), and the
//! clock durations are counted by (`office_hours` or `wall_clock`).

use std::path::PathBuf;

use serde::Deserialize;
use time::{Date, Weekday};

use crate::domain::hours::{BankHolidays, Division, OfficeHours, Opening, Week, tz};
use crate::domain::report::{Elapsed, Measure, WallClock};

use super::error::ConfigError;
use super::locate::Ctx;
use super::validate::resolve_path;

/// `[office_hours]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawOfficeHours {
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
    bank_holidays: String,
    bank_holidays_file: Option<String>,
    clock: String,
}

impl Default for RawOfficeHours {
    /// Monday to Friday 09:00–17:00, England and Wales, office hours.
    fn default() -> Self {
        let day = "09:00-17:00".to_owned();
        RawOfficeHours {
            monday: day.clone(),
            tuesday: day.clone(),
            wednesday: day.clone(),
            thursday: day.clone(),
            friday: day,
            saturday: "closed".into(),
            sunday: "closed".into(),
            bank_holidays: Division::default().as_str().into(),
            bank_holidays_file: None,
            clock: Measure::default().as_str().into(),
        }
    }
}

/// `[office_hours]`: when the team is at work and how durations count.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeHoursConfig {
    /// The opening times, UK time, closed on the division's bank holidays.
    pub hours: OfficeHours,
    /// Whose bank holidays (`bank_holidays`).
    pub division: Division,
    /// A GOV.UK file used instead of the shipped list, made absolute.
    pub holidays_file: Option<PathBuf>,
    /// The first and last bank holiday the list has for the division.
    pub holidays_range: Option<(Date, Date)>,
    /// How the waiting clock and the reports count durations (`clock`).
    pub clock: Measure,
}

impl Default for OfficeHoursConfig {
    fn default() -> Self {
        let division = Division::default();
        OfficeHoursConfig {
            hours: OfficeHours::default(),
            division,
            holidays_file: None,
            holidays_range: BankHolidays::embedded().range(division),
            clock: Measure::default(),
        }
    }
}

impl OfficeHoursConfig {
    /// The rule durations are counted by: office hours or every second.
    pub fn elapsed(&self) -> &(dyn Elapsed + Sync) {
        match self.clock {
            Measure::OfficeHours => &self.hours,
            Measure::WallClock => &WallClock,
        }
    }
}

impl super::Config {
    /// The council's office hours (whatever `clock` says).
    pub fn office_hours(&self) -> &OfficeHours {
        &self.office_hours.hours
    }

    /// How the waiting clock and the reports count durations.
    pub fn measure(&self) -> Measure {
        self.office_hours.clock
    }

    /// The seconds between two instants that count under [`Config::measure`].
    ///
    /// [`Config::measure`]: super::Config::measure
    pub fn elapsed(&self) -> &(dyn Elapsed + Sync) {
        self.office_hours.elapsed()
    }
}

/// The weekdays with their keys, Monday first.
pub(super) const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
    (Weekday::Sunday, "sunday"),
];

pub(super) fn office_hours(
    raw: RawOfficeHours,
    ctx: &Ctx<'_>,
) -> Result<OfficeHoursConfig, ConfigError> {
    let written = [
        &raw.monday,
        &raw.tuesday,
        &raw.wednesday,
        &raw.thursday,
        &raw.friday,
        &raw.saturday,
        &raw.sunday,
    ];
    let mut week = Week::CLOSED;
    for ((day, key), value) in DAYS.into_iter().zip(written) {
        let opening = Opening::parse(value)
            .map_err(|e| ctx.invalid(&format!("office_hours.{key}"), e.to_string()))?;
        week = week.with(day, opening);
    }
    let division = Division::parse(&raw.bank_holidays).ok_or_else(|| {
        let known: Vec<&str> = Division::ALL.iter().map(|d| d.as_str()).collect();
        ctx.invalid(
            "office_hours.bank_holidays",
            format!(
                "{:?} is not a GOV.UK division: use one of {}",
                raw.bank_holidays,
                known.join(", ")
            ),
        )
    })?;
    let clock = [Measure::OfficeHours, Measure::WallClock]
        .into_iter()
        .find(|m| m.as_str() == raw.clock.trim())
        .ok_or_else(|| {
            ctx.invalid(
                "office_hours.clock",
                format!(
                    "{:?} is not a clock: use \"office_hours\" or \"wall_clock\"",
                    raw.clock
                ),
            )
        })?;
    let (holidays, holidays_file) = match raw.bank_holidays_file {
        None => (BankHolidays::embedded().clone(), None),
        Some(file) => {
            let key = "office_hours.bank_holidays_file";
            let path = resolve_path(ctx, key, &file)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ctx.invalid(key, format!("cannot read {}: {e}", path.display())))?;
            let list = BankHolidays::parse(&text)
                .map_err(|e| ctx.invalid(key, format!("{}: {e}", path.display())))?;
            (list, Some(path))
        }
    };
    let days = holidays.of(division).iter().map(|h| h.date);
    Ok(OfficeHoursConfig {
        hours: OfficeHours::new(week, tz::uk(), days),
        division,
        holidays_file,
        holidays_range: holidays.range(division),
        clock,
    })
}
