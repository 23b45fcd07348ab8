//! The Reports page (`/reports`, approvers and admins): for a period (the
//! last 7 or 30 days, a calendar month, or days of one's choosing; a GET
//! form, so it works without the script), the report's sections — Volume,
//! Outcomes, Speed, Spend — each table with its chart beside it (the table
//! is the accessible alternative), every count a link to the items behind
//! it (the inbox's drill-down filters), and every table as CSV
//! (`/reports.csv?table=ID&…`).
//!
//! The page renders a [`Report`] and its [`Table`]s; where they come from
//! (the store) is the handler's business alone.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::{Date, Duration, Month, OffsetDateTime};

use super::Desk;
use super::charts;
use super::error::WebError;
use super::guard::Me;
use super::narrow::days_label;
use super::render::{Chrome, html};
use crate::domain::officer::Permission;
use crate::domain::report::{Count, Measure, Period, Report, Table};

/// How many past months the month picker offers.
const MONTHS_OFFERED: u32 = 13;

/// The Reports page's query string. Empty values mean the default.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct ReportsQuery {
    /// `last7` (the default), `last30`, `month` or `custom`.
    #[serde(default)]
    pub(crate) period: String,
    /// With `month`: `2026-11`.
    #[serde(default)]
    pub(crate) month: String,
    /// With `custom`: the first and last day, `2026-11-30`.
    #[serde(default)]
    pub(crate) from: String,
    #[serde(default)]
    pub(crate) to: String,
    /// With `/reports.csv`: which table.
    #[serde(default)]
    pub(crate) table: String,
    /// How durations count: `office_hours` or `wall_clock`; empty: as
    /// `office_hours.clock` says.
    #[serde(default)]
    pub(crate) clock: String,
}

/// The period picker's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Last7,
    Last30,
    Month,
    Custom,
}

impl Choice {
    fn parse(s: &str) -> Option<Choice> {
        Some(match s.trim() {
            "" | "last7" => Choice::Last7,
            "last30" => Choice::Last30,
            "month" => Choice::Month,
            "custom" => Choice::Custom,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Choice::Last7 => "last7",
            Choice::Last30 => "last30",
            Choice::Month => "month",
            Choice::Custom => "custom",
        }
    }
}

fn refused(message: String) -> WebError {
    WebError::Refused {
        status: StatusCode::BAD_REQUEST,
        message,
    }
}

/// `2026-11`, read.
fn parse_month(s: &str) -> Option<(i32, Month)> {
    let (y, m) = s.trim().split_once('-')?;
    let year: i32 = y.parse().ok().filter(|y| (2006..=9998).contains(y))?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Some((year, month))
}

fn parse_day(key: &str, s: &str) -> Result<Date, WebError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), format).map_err(|_| {
        refused(format!(
            "{key}={s:?} is not a day: write it as YYYY-MM-DD, for example 2026-11-30"
        ))
    })
}

/// The first and last day of a month.
fn month_days(year: i32, month: Month) -> Option<Period> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let last = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    Period::new(first, last)
}

impl ReportsQuery {
    /// The period asked for, `today` being the UK's date now.
    pub(crate) fn period(&self, today: Date) -> Result<(Choice, Period), WebError> {
        let choice = Choice::parse(&self.period)
            .ok_or_else(|| refused(format!("unknown period {:?}", self.period)))?;
        let last = |days: i64| {
            let from = today - Duration::days(days - 1);
            Period::new(from, today).expect("from is before today")
        };
        let period = match choice {
            Choice::Last7 => last(7),
            Choice::Last30 => last(30),
            Choice::Month => {
                let (year, month) = parse_month(&self.month).ok_or_else(|| {
                    refused(format!(
                        "month={:?} is not a month: write it as YYYY-MM, for example 2026-11",
                        self.month
                    ))
                })?;
                month_days(year, month).ok_or_else(|| refused("no such month".into()))?
            }
            Choice::Custom => {
                let from = parse_day("from", &self.from)?;
                let to = parse_day("to", &self.to)?;
                let period = Period::new(from, to).ok_or_else(|| {
                    refused(format!(
                        "the days run from {from} to {to}: the first day comes after the last"
                    ))
                })?;
                if period.days() > 366 {
                    return Err(refused(
                        "a report covers at most 366 days: choose fewer".into(),
                    ));
                }
                period
            }
        };
        Ok((choice, period))
    }

    /// How the durations are to count: as asked, else `default`.
    pub(crate) fn measure(&self, default: Measure) -> Result<Measure, WebError> {
        match self.clock.trim() {
            "" => Ok(default),
            "office_hours" => Ok(Measure::OfficeHours),
            "wall_clock" => Ok(Measure::WallClock),
            other => Err(refused(format!(
                "{other:?} is not a way to count durations: office_hours or wall_clock"
            ))),
        }
    }

    /// The query string of the period and clock alone (for the CSV links).
    pub(crate) fn keep(&self, choice: Choice, measure: Measure) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("period", choice.as_str());
        out.append_pair("clock", measure.as_str());
        match choice {
            Choice::Month => {
                out.append_pair("month", self.month.trim());
            }
            Choice::Custom => {
                out.append_pair("from", self.from.trim());
                out.append_pair("to", self.to.trim());
            }
            Choice::Last7 | Choice::Last30 => {}
        }
        out.finish()
    }
}

/// The UK's date now.
pub(crate) fn uk_today(now: OffsetDateTime) -> Date {
    now.to_offset(crate::domain::notification::uk_offset(now))
        .date()
}

/// A month in the picker.
pub(crate) struct MonthOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The months the picker offers, this month first.
fn months(today: Date, chosen: &str) -> Vec<MonthOption> {
    let (mut year, mut month) = (today.year(), today.month());
    let mut out = Vec::new();
    for _ in 0..MONTHS_OFFERED {
        let value = format!("{year}-{:02}", month as u8);
        out.push(MonthOption {
            selected: value == chosen.trim(),
            label: format!("{month} {year}"),
            value,
        });
        if month == Month::January {
            year -= 1;
        }
        month = month.previous();
    }
    out
}

/// One table of the page, with its chart and its CSV link.
pub(crate) struct Figure {
    pub table: Table,
    /// The chart's SVG (drawn by [`charts`], text escaped there).
    pub chart: Option<String>,
    pub csv: String,
}

/// A section of the page: Volume, Outcomes, Speed or Spend.
pub(crate) struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// What the section counts, in a sentence.
    pub intro: String,
    pub figures: Vec<Figure>,
}

/// Which section a table belongs to, by its id.
fn section_of(table_id: &str) -> &'static str {
    match table_id {
        id if id.starts_with("volume") || id == "top-places" => "volume",
        id if id.starts_with("outcome") => "outcomes",
        id if id.starts_with("speed") => "speed",
        _ => "spend",
    }
}

/// The chart of a table, when it has one: counts as bars, days as columns.
fn chart_of(report: &Report, table: &Table) -> Result<Option<String>, charts::ChartError> {
    let v = &report.volume;
    let o = &report.outcomes;
    let counts = |c: &[Count]| -> Vec<Count> { c.iter().filter(|c| c.n > 0).cloned().collect() };
    let bars = |counts: Vec<Count>, what: &str| -> Result<Option<String>, charts::ChartError> {
        if counts.is_empty() {
            return Ok(None);
        }
        let description = describe(&counts, what);
        charts::bars(
            &format!("chart-{}", table.id),
            &table.title,
            &description,
            &counts,
        )
        .map(Some)
    };
    match table.id {
        "volume-per-day" if v.total > 0 => {
            let busiest = v
                .per_day
                .iter()
                .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)));
            let description = match busiest {
                Some((day, n)) => format!(
                    "{} items over {} days; the busiest day was {day} with {n}.",
                    v.total,
                    v.per_day.len()
                ),
                None => format!("{} items.", v.total),
            };
            let id = format!("chart-{}", table.id);
            charts::per_day(&id, &table.title, &description, &v.per_day).map(Some)
        }
        "volume-by-place" => bars(counts(&v.by_place), "items"),
        "volume-by-tag" => bars(counts(&v.by_tag), "items"),
        "volume-by-reply-path" => bars(counts(&v.by_reply_path), "items"),
        "volume-by-language" => bars(counts(&v.by_language), "items"),
        "outcomes" => {
            let mut all = vec![
                Count {
                    label: "Replied (API)".into(),
                    ..o.replied_api.clone()
                },
                Count {
                    label: "Replied (manual)".into(),
                    ..o.replied_manual.clone()
                },
            ];
            all.extend(o.referred.iter().map(|c| Count {
                label: format!("Referred: {}", c.label),
                ..c.clone()
            }));
            all.push(Count {
                label: "Dismissed".into(),
                ..o.dismissed.clone()
            });
            all.push(Count {
                label: "Still open".into(),
                ..o.open.clone()
            });
            bars(counts(&all), "items")
        }
        "spend-by-place" => {
            let reads: Vec<Count> = report
                .spend
                .by_place
                .iter()
                .map(|p| Count {
                    label: p.label.clone(),
                    n: p.reads,
                    query: None,
                })
                .collect();
            bars(counts(&reads), "post reads")
        }
        _ => Ok(None),
    }
}

/// A chart's description: how many bars, and the largest.
fn describe(counts: &[Count], what: &str) -> String {
    let total: u64 = counts.iter().map(|c| c.n).sum();
    match counts.first() {
        Some(first) if counts.len() > charts::MAX_BARS => format!(
            "{total} {what} in {} groups, the {} largest drawn; most: {} with {}.",
            counts.len(),
            charts::MAX_BARS,
            first.label,
            first.n
        ),
        Some(first) => format!(
            "{total} {what} in {} groups; most: {} with {}.",
            counts.len(),
            first.label,
            first.n
        ),
        None => format!("No {what}."),
    }
}

/// The page's sections from a report and its tables (in the order given).
pub(crate) fn sections(
    report: &Report,
    tables: Vec<Table>,
    period_query: &str,
) -> Result<Vec<Section>, charts::ChartError> {
    let period = days_label(Some(report.period.from), Some(report.period.to))
        .unwrap_or_default()
        .replacen("Posted ", "", 1);
    let mut sections = vec![
        Section {
            id: "volume",
            title: "Volume",
            intro: format!(
                "{} items from posts made {period} (UK days), by day, place, tag, reply path and language.",
                report.volume.total
            ),
            figures: Vec::new(),
        },
        Section {
            id: "outcomes",
            title: "Outcomes",
            intro: format!(
                "What became of those items: {:.1}% were answered (replied to or referred).",
                report.outcomes.answered_percent
            ),
            figures: Vec::new(),
        },
        Section {
            id: "speed",
            title: "Speed",
            intro: format!(
                "First response (the first reply or referral) and resolution (replied, referred or dismissed), from the post's time, {}.",
                report.speed.measure.words()
            ),
            figures: Vec::new(),
        },
        Section {
            id: "spend",
            title: "Spend",
            intro: format!(
                "What X cost in {}, at the configured prices.",
                report.spend.month
            ),
            figures: Vec::new(),
        },
    ];
    for table in tables {
        let chart = if table.rows.is_empty() {
            None
        } else {
            chart_of(report, &table)?
        };
        let csv = format!("/reports.csv?table={}&{period_query}", table.id);
        let section = section_of(table.id);
        if let Some(s) = sections.iter_mut().find(|s| s.id == section) {
            s.figures.push(Figure { table, chart, csv });
        }
    }
    Ok(sections)
}

#[derive(Template)]
#[template(path = "reports.html")]
pub(crate) struct ReportsPage {
    pub chrome: Chrome,
    pub choice: &'static str,
    pub months: Vec<MonthOption>,
    /// The custom days, as the form shows them.
    pub from: String,
    pub to: String,
    /// "1–30 Nov 2026", and the previous period likewise.
    pub period_words: String,
    pub previous_words: String,
    pub measure: Measure,
    pub sections: Vec<Section>,
}

impl ReportsPage {
    /// The page for `report` and its `tables`, as asked for by `q`.
    pub(crate) fn new(
        chrome: Chrome,
        q: &ReportsQuery,
        choice: Choice,
        today: Date,
        report: &Report,
        tables: Vec<Table>,
    ) -> Result<ReportsPage, charts::ChartError> {
        let words = |p: &Period| {
            days_label(Some(p.from), Some(p.to))
                .unwrap_or_default()
                .replacen("Posted ", "", 1)
        };
        let from = if choice == Choice::Custom {
            q.from.trim().to_owned()
        } else {
            report.period.from.to_string()
        };
        let to = if choice == Choice::Custom {
            q.to.trim().to_owned()
        } else {
            report.period.to.to_string()
        };
        let chosen_month = if choice == Choice::Month {
            q.month.clone()
        } else {
            String::new()
        };
        Ok(ReportsPage {
            chrome,
            choice: choice.as_str(),
            months: months(today, &chosen_month),
            from,
            to,
            period_words: words(&report.period),
            previous_words: words(&report.previous),
            measure: report.speed.measure,
            sections: sections(report, tables, &q.keep(choice, report.speed.measure))?,
        })
    }
}

/// The report `q` asks for and its tables, its durations counted as `q`
/// asks (by default as `office_hours.clock` says).
async fn report_of(
    desk: &Desk,
    q: &ReportsQuery,
) -> Result<(Choice, Date, Report, Vec<Table>), WebError> {
    let now = OffsetDateTime::now_utc();
    let today = uk_today(now);
    let (choice, period) = q.period(today)?;
    let measure = q.measure(desk.config.measure())?;
    let report =
        crate::reports::report(&desk.store, &desk.config, period, Some(measure), now).await?;
    let tables = report.tables();
    Ok((choice, today, report, tables))
}

/// `GET /reports`: the report of the period asked for.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<ReportsQuery>,
) -> Result<Response, WebError> {
    me.require(Permission::Report)?;
    let (choice, today, report, tables) = report_of(&desk, &q).await?;
    let chrome = Chrome::new(&desk, &me, "reports").await?;
    let page = ReportsPage::new(chrome, &q, choice, today, &report, tables)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    html(&page)
}

/// `GET /reports.csv?table=ID&…`: one table of the report as CSV.
pub(crate) async fn csv(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<ReportsQuery>,
) -> Result<Response, WebError> {
    me.require(Permission::Report)?;
    let (_, today, report, tables) = report_of(&desk, &q).await?;
    let table = tables
        .into_iter()
        .find(|t| t.id == q.table.trim())
        .ok_or_else(|| WebError::NotFound(format!("no report table {:?}", q.table)))?;
    let name = super::export::file_name(
        &format!(
            "{}-{}-to-{}",
            table.id, report.period.from, report.period.to
        ),
        today,
    );
    Ok((super::export::csv_headers(&name), table.to_csv()).into_response())
}

#[cfg(test)]
mod tests;
