//! The inbox's drill-down filters, which a report's figures link to: the
//! days a post was made (`from`, `to`: UK calendar days, both included) and
//! its language (`lang`). Read from the query string here, and shown to the
//! officer as removable chips ("Posted 1–30 Nov 2026 ×"), so a list narrowed
//! by a link is never narrowed silently.

use time::Date;
use time::macros::format_description;

/// A day as the query string writes it: `2026-11-30`.
const ISO_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// Why a drill-down filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NarrowError {
    #[error("{key}={value:?} is not a day: write it as YYYY-MM-DD, for example 2026-11-30")]
    Day { key: &'static str, value: String },
    #[error("the days run from {from} to {to}: the first day comes after the last")]
    Backwards { from: Date, to: Date },
    #[error("lang={0:?} is not a language code such as en, cy or pt-BR")]
    Language(String),
}

/// The drill-down filters of one inbox query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Narrow {
    pub(crate) from: Option<Date>,
    pub(crate) to: Option<Date>,
    pub(crate) lang: Option<String>,
}

/// One chip: what narrows the list, and the list without it.
pub(crate) struct Chip {
    pub(crate) label: String,
    /// The inbox's address without this filter.
    pub(crate) remove: String,
    /// What the remove link says to a screen reader.
    pub(crate) remove_label: String,
}

fn day(key: &'static str, value: &str) -> Result<Option<Date>, NarrowError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    Date::parse(value, ISO_DAY)
        .map(Some)
        .map_err(|_| NarrowError::Day {
            key,
            value: value.to_owned(),
        })
}

/// A BCP 47 tag as X writes it (`en`, `cy`, `und`, `zh-CN`): letters,
/// digits and hyphens, at most 16.
fn language(value: &str) -> Result<Option<String>, NarrowError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let ok = value.len() <= 16
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(Some(value.to_owned()))
    } else {
        Err(NarrowError::Language(value.to_owned()))
    }
}

impl Narrow {
    /// Reads `from`, `to` and `lang` as the query string gives them (empty
    /// is none).
    pub(crate) fn parse(from: &str, to: &str, lang: &str) -> Result<Narrow, NarrowError> {
        let narrow = Narrow {
            from: day("from", from)?,
            to: day("to", to)?,
            lang: language(lang)?,
        };
        if let (Some(from), Some(to)) = (narrow.from, narrow.to)
            && from > to
        {
            return Err(NarrowError::Backwards { from, to });
        }
        Ok(narrow)
    }

    /// How many of the three are set (for "More filters (2 set)").
    pub(crate) fn set(&self) -> usize {
        usize::from(self.from.is_some() || self.to.is_some()) + usize::from(self.lang.is_some())
    }

    /// The chips of the set filters; `without(keys)` is the inbox's address
    /// without those query keys.
    pub(crate) fn chips(&self, without: impl Fn(&[&str]) -> String) -> Vec<Chip> {
        let mut chips = Vec::new();
        if let Some(label) = days_label(self.from, self.to) {
            chips.push(Chip {
                remove_label: format!("Remove the filter {label}"),
                label,
                remove: without(&["from", "to"]),
            });
        }
        if let Some(lang) = &self.lang {
            let label = format!("Language: {}", language_name(lang));
            chips.push(Chip {
                remove_label: format!("Remove the filter {label}"),
                label,
                remove: without(&["lang"]),
            });
        }
        chips
    }
}

/// "1 Nov 2026".
fn day_text(d: Date) -> String {
    format!("{} {} {}", d.day(), month_short(d.month()), d.year())
}

fn month_short(m: time::Month) -> &'static str {
    use time::Month::*;
    match m {
        January => "Jan",
        February => "Feb",
        March => "Mar",
        April => "Apr",
        May => "May",
        June => "Jun",
        July => "Jul",
        August => "Aug",
        September => "Sep",
        October => "Oct",
        November => "Nov",
        December => "Dec",
    }
}

/// The days as a person reads them: "Posted 1–30 Nov 2026", "Posted 28 Oct
/// – 3 Nov 2026", "Posted 1 Nov 2026", "Posted from 1 Nov 2026", "Posted up
/// to 30 Nov 2026".
pub(crate) fn days_label(from: Option<Date>, to: Option<Date>) -> Option<String> {
    Some(match (from, to) {
        (None, None) => return None,
        (Some(f), None) => format!("Posted from {}", day_text(f)),
        (None, Some(t)) => format!("Posted up to {}", day_text(t)),
        (Some(f), Some(t)) if f == t => format!("Posted {}", day_text(f)),
        (Some(f), Some(t)) if (f.year(), f.month()) == (t.year(), t.month()) => {
            format!("Posted {}–{}", f.day(), day_text(t))
        }
        (Some(f), Some(t)) if f.year() == t.year() => format!(
            "Posted {} {} – {}",
            f.day(),
            month_short(f.month()),
            day_text(t)
        ),
        (Some(f), Some(t)) => format!("Posted {} – {}", day_text(f), day_text(t)),
    })
}

/// A language's English name for the codes residents of a UK borough
/// write in most, else the code itself.
pub(crate) fn language_name(code: &str) -> String {
    let name = match code.to_ascii_lowercase().as_str() {
        "en" => "English",
        "cy" => "Welsh",
        "gd" => "Scottish Gaelic",
        "ga" => "Irish",
        "pl" => "Polish",
        "ro" => "Romanian",
        "pa" => "Punjabi",
        "ur" => "Urdu",
        "bn" => "Bengali",
        "gu" => "Gujarati",
        "ta" => "Tamil",
        "ar" => "Arabic",
        "pt" => "Portuguese",
        "es" => "Spanish",
        "fr" => "French",
        "it" => "Italian",
        "de" => "German",
        "tr" => "Turkish",
        "so" => "Somali",
        "und" => "undetermined",
        _ => return code.to_owned(),
    };
    format!("{name} ({code})")
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn days_and_language_are_read_and_checked() {
        let n = Narrow::parse("2026-11-01", " 2026-11-30 ", "cy").unwrap();
        assert_eq!(n.from, Some(date!(2026 - 11 - 01)));
        assert_eq!(n.to, Some(date!(2026 - 11 - 30)));
        assert_eq!(n.lang.as_deref(), Some("cy"));
        assert_eq!(n.set(), 2);
        assert_eq!(Narrow::parse("", "", "").unwrap(), Narrow::default());
        assert_eq!(Narrow::default().set(), 0);
        assert!(matches!(
            Narrow::parse("1/11/2026", "", ""),
            Err(NarrowError::Day { key: "from", .. })
        ));
        assert!(matches!(
            Narrow::parse("", "2026-02-30", ""),
            Err(NarrowError::Day { key: "to", .. })
        ));
        assert!(matches!(
            Narrow::parse("2026-11-02", "2026-11-01", ""),
            Err(NarrowError::Backwards { .. })
        ));
        for bad in ["e n", "<b>", "-en", &"x".repeat(17)] {
            assert!(
                matches!(Narrow::parse("", "", bad), Err(NarrowError::Language(_))),
                "{bad}"
            );
        }
        assert!(Narrow::parse("", "", "pt-BR").is_ok());
    }

    #[test]
    fn days_read_as_people_write_them() {
        let (a, b) = (date!(2026 - 11 - 01), date!(2026 - 11 - 30));
        assert_eq!(days_label(None, None), None);
        assert_eq!(
            days_label(Some(a), Some(b)).unwrap(),
            "Posted 1–30 Nov 2026"
        );
        assert_eq!(days_label(Some(a), Some(a)).unwrap(), "Posted 1 Nov 2026");
        assert_eq!(
            days_label(Some(date!(2026 - 10 - 28)), Some(date!(2026 - 11 - 03))).unwrap(),
            "Posted 28 Oct – 3 Nov 2026"
        );
        assert_eq!(
            days_label(Some(date!(2025 - 12 - 28)), Some(date!(2026 - 01 - 03))).unwrap(),
            "Posted 28 Dec 2025 – 3 Jan 2026"
        );
        assert_eq!(days_label(Some(a), None).unwrap(), "Posted from 1 Nov 2026");
        assert_eq!(
            days_label(None, Some(b)).unwrap(),
            "Posted up to 30 Nov 2026"
        );
    }

    #[test]
    fn each_chip_removes_its_own_filter() {
        let n = Narrow::parse("2026-11-01", "2026-11-30", "pl").unwrap();
        let chips = n.chips(|keys| format!("/?without={}", keys.join("+")));
        assert_eq!(chips.len(), 2);
        assert_eq!(chips[0].label, "Posted 1–30 Nov 2026");
        assert_eq!(chips[0].remove, "/?without=from+to");
        assert_eq!(chips[1].label, "Language: Polish (pl)");
        assert_eq!(chips[1].remove, "/?without=lang");
        assert_eq!(
            chips[1].remove_label,
            "Remove the filter Language: Polish (pl)"
        );
    }
}
