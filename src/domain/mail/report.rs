//! The weekly report email: the manager's figures for the week, the
//! headline first, then every report table with a bar beside each count,
//! and each table attached as a CSV file.
//!
//! Email clients do not agree on SVG (Outlook and Gmail do not show it),
//! so the email draws its bars as table cells of a width in proportion to
//! the count, which every client shows; the desk's Reports page has the
//! SVG charts. Everything a post, a place or a name holds is escaped by
//! askama in the HTML part.

use askama::Template;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time, Weekday};
use url::Url;

use super::email::{Attachment, Email, EmailError, MessageId, NamedAddress};
use super::header::{NAME_MAX_CHARS, header_text};
use crate::domain::figures::{thousands, usd};
use crate::domain::notification::{uk_instant, uk_offset};
use crate::domain::report::{Period, Report, Table};
use crate::domain::team::DigestAt;
use crate::domain::triage::short_duration;

/// The widest bar, in pixels.
const BAR_PX: u64 = 160;

/// One week's report, to its recipients.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMail {
    /// `council.name`.
    pub council: String,
    pub report: Report,
    /// The report's tables (`Report::tables`), in the order shown.
    pub tables: Vec<Table>,
    /// The desk's address (`desk.public_url`): the email links to the
    /// Reports page for the same period.
    pub desk_url: Option<Url>,
}

impl ReportMail {
    /// The Message-ID of the report for `period`: the same every time it
    /// is sent, so a resend after a crash is recognised as the same one.
    pub fn message_id(period: Period) -> Result<MessageId, EmailError> {
        MessageId::new(
            &format!("report.{}.{}", period.from, period.to),
            "placewatch.invalid",
        )
    }

    /// The email: "Croydon Council comms report, 30 Nov – 6 Dec 2026".
    pub fn email(
        &self,
        from: NamedAddress,
        to: Vec<NamedAddress>,
        message_id: MessageId,
    ) -> Result<Email, EmailError> {
        let council = header_text(&self.council, NAME_MAX_CHARS);
        let dates = period_words(self.report.period);
        let subject = format!("{council} comms report, {dates}");
        let view = View {
            council,
            dates,
            headline: headline(&self.report),
            tables: self.tables.iter().map(TableView::new).collect(),
            link: self.desk_url.as_ref().and_then(|base| {
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair("from", &self.report.period.from.to_string())
                    .append_pair("to", &self.report.period.to.to_string())
                    .finish();
                base.join(&format!("reports?{query}"))
                    .ok()
                    .map(String::from)
            }),
        };
        let render =
            |r: Result<String, askama::Error>| r.map_err(|e| EmailError::Build(e.to_string()));
        let text = render(TextPart { v: &view }.render())?;
        let html = render(
            HtmlPart {
                v: &view,
                subject: &subject,
            }
            .render(),
        )?;
        let mut email = Email::new(from, to, &subject, text, html, message_id)?;
        for table in &self.tables {
            email = email.with_attachment(Attachment {
                filename: format!("{}-{}.csv", table.id, self.report.period.to),
                content_type: "text/csv; charset=utf-8".to_owned(),
                body: table.to_csv().into_bytes(),
            });
        }
        Ok(email)
    }
}

/// The most recent time at or before `now` when the weekly report was due
/// (`day` at `at`, UK time), and the week it reports: the seven days
/// before that day.
pub fn latest_weekly_due(
    now: OffsetDateTime,
    day: Weekday,
    at: DigestAt,
) -> (OffsetDateTime, Period) {
    let time = Time::from_hms(at.hour(), at.minute(), 0).unwrap_or(Time::MIDNIGHT);
    let mut date = now.to_offset(uk_offset(now)).date();
    while date.weekday() != day || uk_instant(date, time) > now {
        date = date.previous_day().unwrap_or(Date::MIN);
    }
    let to = date.previous_day().unwrap_or(date);
    let from = to - time::Duration::days(6);
    (uk_instant(date, time), Period { from, to })
}

/// "30 Nov – 6 Dec 2026", or "1 – 30 Nov 2026" within a month.
pub fn period_words(period: Period) -> String {
    let day_month = format_description!("[day padding:none] [month repr:short]");
    let full = format_description!("[day padding:none] [month repr:short] [year]");
    let to = period.to.format(&full).unwrap_or_default();
    if period.from == period.to {
        return to;
    }
    let from = if (period.from.year(), period.from.month()) == (period.to.year(), period.to.month())
    {
        period.from.day().to_string()
    } else if period.from.year() == period.to.year() {
        period.from.format(&day_month).unwrap_or_default()
    } else {
        period.from.format(&full).unwrap_or_default()
    };
    format!("{from} – {to}")
}

/// The figures a manager reads first.
fn headline(r: &Report) -> Vec<String> {
    let mut lines = vec![format!(
        "{} items came in; {:.0}% were answered (replied to or referred).",
        thousands(r.volume.total),
        r.outcomes.answered_percent
    )];
    let speed = &r.speed.overall;
    if let (Some(median), Some(p90)) = (
        speed.first_response.median_secs,
        speed.first_response.p90_secs,
    ) {
        let time = |s: u64| short_duration(std::time::Duration::from_secs(s));
        lines.push(format!(
            "First response: half within {}, 9 in 10 within {} ({}).",
            time(median),
            time(p90),
            r.speed.measure.words()
        ));
    }
    if speed.missed_target > 0 {
        lines.push(format!(
            "{} items missed their response target.",
            thousands(speed.missed_target)
        ));
    }
    let budget = r
        .spend
        .budget_usd
        .map(|b| format!(" of a {} budget", usd(b)))
        .unwrap_or_default();
    lines.push(format!(
        "X spend in {}: {}{budget}, forecast {} for the month.",
        r.spend.month,
        usd(r.spend.usd),
        usd(r.spend.forecast_usd)
    ));
    lines
}

struct View {
    council: String,
    dates: String,
    headline: Vec<String>,
    tables: Vec<TableView>,
    link: Option<String>,
}

struct TableView {
    title: String,
    columns: Vec<String>,
    rows: Vec<RowView>,
}

struct RowView {
    cells: Vec<String>,
    /// The bar for the row's count (the second column, when every row's is
    /// a whole number), in pixels; none for other tables.
    bar: Option<u64>,
}

impl TableView {
    fn new(table: &Table) -> TableView {
        let counts: Option<Vec<u64>> = table
            .rows
            .iter()
            .map(|row| {
                row.get(1)
                    .and_then(|c| c.text.replace(',', "").parse().ok())
            })
            .collect();
        let most = counts
            .as_ref()
            .and_then(|c| c.iter().copied().max())
            .unwrap_or(0);
        let rows = table
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| RowView {
                cells: row.iter().map(|c| c.text.clone()).collect(),
                bar: counts
                    .as_ref()
                    .filter(|_| most > 0)
                    .map(|c| (c[i] * BAR_PX).div_ceil(most)),
            })
            .collect();
        TableView {
            title: table.title.clone(),
            columns: table.columns.clone(),
            rows,
        }
    }

    fn charted(&self) -> bool {
        self.rows.iter().any(|r| r.bar.is_some())
    }
}

#[derive(Template)]
#[template(path = "mail/report.txt")]
struct TextPart<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "mail/report.html")]
struct HtmlPart<'a> {
    v: &'a View,
    subject: &'a str,
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::domain::mail::Address;
    use crate::domain::report::{Cell, Measure, Outcomes, Speed, SpeedLine, Spend, Times, Volume};

    fn report() -> Report {
        let period = Period::new(date!(2026 - 11 - 30), date!(2026 - 12 - 06)).unwrap();
        let line = |label: &str| SpeedLine {
            label: label.to_owned(),
            first_response: Times {
                count: 40,
                median_secs: Some(65 * 60),
                p90_secs: Some(250 * 60),
            },
            resolution: Times::default(),
            missed_target: 3,
            query: None,
        };
        Report {
            period,
            previous: period.previous(),
            volume: Volume {
                total: 1234,
                ..Volume::default()
            },
            outcomes: Outcomes {
                answered_percent: 67.6,
                ..Outcomes::default()
            },
            speed: Speed {
                measure: Measure::OfficeHours,
                overall: line("All items"),
                by_priority: vec![],
                by_officer: vec![],
                by_team: vec![],
            },
            spend: Spend {
                month: "2026-12".to_owned(),
                post_reads: 1000,
                post_reads_usd: 5.0,
                owned_reads: 10,
                owned_reads_usd: 0.01,
                replies: 4,
                replies_usd: 0.49,
                usd: 5.5,
                forecast_usd: 30.0,
                budget_usd: Some(200.0),
                by_place: vec![],
            },
        }
    }

    fn mail() -> ReportMail {
        ReportMail {
            council: "Croydon Council".to_owned(),
            report: report(),
            tables: vec![Table {
                id: "volume-by-place",
                title: "Items by place".to_owned(),
                columns: vec!["Place".to_owned(), "Items".to_owned()],
                rows: vec![
                    vec![Cell::text("Thornton Heath"), Cell::text("1,200")],
                    vec![Cell::text("<script>alert(1)</script>"), Cell::text("300")],
                    vec![Cell::text("=HYPERLINK(\"x\")"), Cell::text("0")],
                ],
            }],
            desk_url: Some("https://desk.croydon.example/".parse().unwrap()),
        }
    }

    fn to() -> Vec<NamedAddress> {
        vec![NamedAddress::new(
            "Manager",
            "manager@croydon.example".parse::<Address>().unwrap(),
        )]
    }

    fn from() -> NamedAddress {
        NamedAddress::new("Desk", "desk@croydon.example".parse::<Address>().unwrap())
    }

    #[test]
    fn the_weekly_report_is_due_on_its_day_and_reports_the_week_before() {
        use time::macros::datetime;
        let at = DigestAt::parse("08:00").unwrap();
        let monday = |now| latest_weekly_due(now, Weekday::Monday, at);
        // Sunday 6 December 2026: last due Monday 30 November, 08:00 GMT.
        let (due, week) = monday(datetime!(2026-12-06 20:00 UTC));
        assert_eq!(due, datetime!(2026-11-30 08:00 UTC));
        assert_eq!(
            week,
            Period::new(date!(2026 - 11 - 23), date!(2026 - 11 - 29)).unwrap()
        );
        // Monday 7 December: before eight, still last week's; at eight, this one.
        assert_eq!(
            monday(datetime!(2026-12-07 07:59 UTC)).0,
            datetime!(2026-11-30 08:00 UTC)
        );
        let (due, week) = monday(datetime!(2026-12-07 08:00 UTC));
        assert_eq!(due, datetime!(2026-12-07 08:00 UTC));
        assert_eq!(
            (week.from, week.to),
            (date!(2026 - 11 - 30), date!(2026 - 12 - 06))
        );
        // In summer time, 08:00 in London is 07:00 UTC.
        let (due, _) = monday(datetime!(2026-06-10 12:00 UTC));
        assert_eq!(due, datetime!(2026-06-08 07:00 UTC));
    }

    #[test]
    fn periods_read_as_people_write_them() {
        let p = |a, b| period_words(Period::new(a, b).unwrap());
        assert_eq!(
            p(date!(2026 - 11 - 30), date!(2026 - 12 - 06)),
            "30 Nov – 6 Dec 2026"
        );
        assert_eq!(
            p(date!(2026 - 11 - 01), date!(2026 - 11 - 30)),
            "1 – 30 Nov 2026"
        );
        assert_eq!(
            p(date!(2026 - 12 - 28), date!(2027 - 01 - 03)),
            "28 Dec 2026 – 3 Jan 2027"
        );
        assert_eq!(
            p(date!(2026 - 12 - 06), date!(2026 - 12 - 06)),
            "6 Dec 2026"
        );
    }

    #[test]
    fn the_email_leads_with_the_headline_and_draws_bars_to_scale() {
        let period = report().period;
        let email = mail()
            .email(from(), to(), ReportMail::message_id(period).unwrap())
            .unwrap();
        assert_eq!(
            email.subject(),
            "Croydon Council comms report, 30 Nov – 6 Dec 2026"
        );
        assert_eq!(
            email.message_id().as_str(),
            "<report.2026-11-30.2026-12-06@placewatch.invalid>"
        );
        let text = email.text();
        assert!(
            text.contains("1,234 items came in; 68% were answered"),
            "{text}"
        );
        assert!(
            text.contains("First response: half within 1 h 5 min, 9 in 10 within 4 h 10 min (in office hours)."),
            "{text}"
        );
        assert!(
            text.contains("3 items missed their response target."),
            "{text}"
        );
        assert!(
            text.contains("X spend in 2026-12: $5.50 of a $200.00 budget, forecast $30.00"),
            "{text}"
        );
        let html = email.html();
        assert!(html.contains("&#60;script&#62;alert(1)"), "{html}");
        assert!(!html.contains("<script>"));
        assert!(
            html.contains("width=\"160\""),
            "the largest count's bar is full: {html}"
        );
        assert!(
            html.contains("width=\"40\""),
            "300 of 1,200 is a quarter: {html}"
        );
        assert!(
            html.contains("https://desk.croydon.example/reports?from=2026-11-30&#38;to=2026-12-06"),
            "{html}"
        );
    }

    #[test]
    fn each_table_is_attached_as_csv_with_formulas_made_inert() {
        let period = report().period;
        let email = mail()
            .email(from(), to(), ReportMail::message_id(period).unwrap())
            .unwrap();
        let [csv] = email.attachments() else {
            panic!("one table, one file: {:?}", email.attachments());
        };
        assert_eq!(csv.filename, "volume-by-place-2026-12-06.csv");
        assert_eq!(csv.content_type, "text/csv; charset=utf-8");
        let body = String::from_utf8(csv.body.clone()).unwrap();
        assert!(
            body.starts_with("Place,Items\r\nThornton Heath,\"1,200\"\r\n"),
            "{body}"
        );
        assert!(body.contains("\"'=HYPERLINK(\"\"x\"\")\",0"), "{body}");
        let message = String::from_utf8(email.message().unwrap().formatted()).unwrap();
        assert!(
            message.contains("Content-Type: multipart/mixed"),
            "{message}"
        );
        assert!(
            message.contains("filename=\"volume-by-place-2026-12-06.csv\""),
            "{message}"
        );
    }
}
