//! UK bank holidays as GOV.UK publishes them (`https://www.gov.uk/bank-holidays.json`):
//! `{division: {division, events: [{title, date, notes, bunting}]}}` for
//! England and Wales, Scotland and Northern Ireland. placewatch ships a copy
//! (`calendar/uk-bank-holidays.json`, see `calendar/README.md`) embedded in
//! the binary; `office_hours.bank_holidays_file` points to a newer one.
//!
//! Pure: parses text it is given; reading a file is the caller's business.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;
use time::Date;

/// The GOV.UK file shipped with placewatch (2019 to 2028), as text.
pub const EMBEDDED_JSON: &str = include_str!("../../../calendar/uk-bank-holidays.json");

/// The parts of the UK with a bank holiday list of their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Division {
    #[default]
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Division {
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// The GOV.UK key: `england-and-wales`, `scotland`, `northern-ireland`.
    pub fn as_str(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    /// The division named by its GOV.UK key.
    pub fn parse(s: &str) -> Option<Division> {
        Division::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bank holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHoliday {
    pub date: Date,
    /// "Easter Monday", "Christmas Day"…
    pub title: String,
}

/// Why a bank holiday file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HolidayError {
    #[error("not a GOV.UK bank holidays file: {0}")]
    Shape(String),
    #[error("{division}: event {index}: {date:?} is not a date (YYYY-MM-DD)")]
    BadDate {
        division: String,
        index: usize,
        date: String,
    },
    #[error("it has no {0} division")]
    MissingDivision(Division),
    #[error("its {0} division lists no bank holidays")]
    Empty(Division),
}

/// Every division's bank holidays, in date order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHolidays {
    divisions: BTreeMap<Division, Vec<BankHoliday>>,
}

#[derive(Deserialize)]
struct RawDivision {
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    title: String,
    date: String,
}

impl BankHolidays {
    /// The list shipped with placewatch (parsed once).
    pub fn embedded() -> &'static BankHolidays {
        static EMBEDDED: LazyLock<BankHolidays> = LazyLock::new(|| {
            // The shipped file is checked by a test; it always parses.
            BankHolidays::parse(EMBEDDED_JSON).unwrap_or(BankHolidays {
                divisions: BTreeMap::new(),
            })
        });
        &EMBEDDED
    }

    /// Parses GOV.UK's JSON. Every division must be there with at least one
    /// event; divisions placewatch does not know are ignored.
    pub fn parse(json: &str) -> Result<BankHolidays, HolidayError> {
        let raw: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| HolidayError::Shape(e.to_string()))?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let mut divisions = BTreeMap::new();
        for division in Division::ALL {
            let value = raw
                .get(division.as_str())
                .ok_or(HolidayError::MissingDivision(division))?;
            let list = RawDivision::deserialize(value)
                .map_err(|e| HolidayError::Shape(format!("{division}: {e}")))?;
            let mut days = Vec::with_capacity(list.events.len());
            for (index, event) in list.events.into_iter().enumerate() {
                let date =
                    Date::parse(event.date.trim(), &format).map_err(|_| HolidayError::BadDate {
                        division: division.to_string(),
                        index,
                        date: event.date.clone(),
                    })?;
                days.push(BankHoliday {
                    date,
                    title: event.title,
                });
            }
            if days.is_empty() {
                return Err(HolidayError::Empty(division));
            }
            days.sort_by_key(|d| d.date);
            days.dedup_by_key(|d| d.date);
            divisions.insert(division, days);
        }
        Ok(BankHolidays { divisions })
    }

    /// The bank holidays of `division`, in date order.
    pub fn of(&self, division: Division) -> &[BankHoliday] {
        self.divisions.get(&division).map_or(&[], Vec::as_slice)
    }

    /// The first and last dates the file covers for `division`.
    pub fn range(&self, division: Division) -> Option<(Date, Date)> {
        let days = self.of(division);
        Some((days.first()?.date, days.last()?.date))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_shipped_file_covers_2019_to_2028_in_every_division() {
        let all = BankHolidays::parse(EMBEDDED_JSON).unwrap();
        assert_eq!(&all, BankHolidays::embedded());
        let dates = |d| all.of(d).iter().map(|h| h.date).collect::<Vec<_>>();
        for division in Division::ALL {
            assert_eq!(
                all.range(division),
                Some((date!(2019 - 01 - 01), date!(2028 - 12 - 26)))
            );
        }
        let ew = dates(Division::EnglandAndWales);
        assert_eq!(ew.len(), 83);
        assert!(ew.contains(&date!(2026 - 08 - 31)), "summer bank holiday");
        assert!(!ew.contains(&date!(2026 - 08 - 03)), "Scotland's is not");
        let scotland = dates(Division::Scotland);
        assert_eq!(scotland.len(), 94);
        assert!(scotland.contains(&date!(2026 - 08 - 03)));
        assert!(
            scotland.contains(&date!(2026 - 06 - 15)),
            "World Cup holiday"
        );
        assert!(scotland.contains(&date!(2026 - 01 - 02)));
        let ni = dates(Division::NorthernIreland);
        assert_eq!(ni.len(), 103);
        assert!(ni.contains(&date!(2026 - 03 - 17)), "St Patrick's Day");
        assert!(
            ni.contains(&date!(2026 - 07 - 13)),
            "the Boyne, substitute day"
        );
        let good_friday = all
            .of(Division::EnglandAndWales)
            .iter()
            .find(|h| h.date == date!(2026 - 04 - 03))
            .unwrap();
        assert_eq!(good_friday.title, "Good Friday");
    }

    #[test]
    fn divisions_round_trip_and_unknown_ones_are_none() {
        for d in Division::ALL {
            assert_eq!(Division::parse(d.as_str()), Some(d));
        }
        assert_eq!(Division::parse("wales"), None);
        assert_eq!(Division::default(), Division::EnglandAndWales);
    }

    #[test]
    fn a_file_missing_a_division_or_with_a_bad_date_is_refused() {
        let one = |key: &str, date: &str| {
            format!(
                r#""{key}": {{"division": "{key}", "events": [{{"title": "X", "date": "{date}", "notes": "", "bunting": true}}]}}"#
            )
        };
        let ok = format!(
            "{{{}, {}, {}}}",
            one("england-and-wales", "2030-01-01"),
            one("scotland", "2030-01-02"),
            one("northern-ireland", "2030-03-18")
        );
        let parsed = BankHolidays::parse(&ok).unwrap();
        assert_eq!(
            parsed.range(Division::Scotland),
            Some((date!(2030 - 01 - 02), date!(2030 - 01 - 02)))
        );
        let missing = format!(
            "{{{}, {}}}",
            one("england-and-wales", "2030-01-01"),
            one("scotland", "2030-01-02")
        );
        assert_eq!(
            BankHolidays::parse(&missing),
            Err(HolidayError::MissingDivision(Division::NorthernIreland))
        );
        let bad = ok.replace("2030-01-02", "02/01/2030");
        assert_eq!(
            BankHolidays::parse(&bad).unwrap_err().to_string(),
            "scotland: event 0: \"02/01/2030\" is not a date (YYYY-MM-DD)"
        );
        assert!(matches!(
            BankHolidays::parse("[1, 2]"),
            Err(HolidayError::Shape(_))
        ));
        let empty = ok.replace(
            r#"[{"title": "X", "date": "2030-01-01", "notes": "", "bunting": true}]"#,
            "[]",
        );
        assert_eq!(
            BankHolidays::parse(&empty),
            Err(HolidayError::Empty(Division::EnglandAndWales))
        );
    }
}
