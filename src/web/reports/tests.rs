//! The Reports page rendered from a report built by hand: periods read
//! from the picker, each table beside its chart with a caption and header
//! scopes, counts linked to the inbox, CSV links, and the measure named.

use askama::Template;
use time::macros::date;

use super::*;
use crate::domain::report::{
    Cell, Outcomes, PlaceReads, Speed, SpeedLine, Spend, Times, Trend, Volume,
};

fn chrome() -> Chrome {
    Chrome {
        csrf: "token".into(),
        username: "priya".into(),
        display_name: "Priya Tester".into(),
        role: "approver",
        council: "@yourcroydon".into(),
        section: "reports",
        can_approve: true,
        can_admin: false,
        can_report: true,
        awaiting: 0,
        unread: 0,
        flash: None,
        undo: None,
    }
}

fn linked(label: &str, n: u64, query: &str) -> Count {
    Count {
        label: label.into(),
        n,
        query: Some(query.into()),
    }
}

fn line(label: &str) -> SpeedLine {
    SpeedLine {
        label: label.into(),
        first_response: Times {
            count: 3,
            median_secs: Some(1800),
            p90_secs: Some(7200),
        },
        resolution: Times::default(),
        missed_target: 1,
        query: None,
    }
}

/// November 2026: 5 items, 3 in Croydon and 2 in "Purley & <Kenley>".
fn november() -> Report {
    let period = Period::new(date!(2026 - 11 - 01), date!(2026 - 11 - 30)).unwrap();
    let q = "status=all&from=2026-11-01&to=2026-11-30";
    let per_day = (0..30)
        .map(|i| {
            (
                period.from + Duration::days(i),
                u64::from(i == 3) * 3 + u64::from(i == 9) * 2,
            )
        })
        .collect();
    Report {
        period,
        previous: period.previous(),
        volume: Volume {
            total: 5,
            per_day,
            by_place: vec![
                linked("Croydon", 3, &format!("{q}&place=Croydon")),
                linked(
                    "Purley & <Kenley>",
                    2,
                    &format!("{q}&place=Purley+%26+%3CKenley%3E"),
                ),
            ],
            by_tag: vec![],
            by_reply_path: vec![linked("Manual", 5, &format!("{q}&path=manual"))],
            by_language: vec![linked("en", 5, &format!("{q}&lang=en"))],
            top_places: vec![Trend {
                label: "Croydon".into(),
                this_period: 3,
                previous_period: 1,
                query: None,
            }],
        },
        outcomes: Outcomes {
            total: 5,
            replied_api: linked("API", 1, "status=replied"),
            replied_manual: linked("Manual", 1, "status=replied&path=manual"),
            referred: vec![linked("Streets", 1, "status=referred&team=Streets")],
            dismissed: linked("Dismissed", 1, "status=dismissed"),
            open: linked("Open", 1, "status=open"),
            answered_percent: 60.0,
        },
        speed: Speed {
            measure: Measure::WallClock,
            overall: line("All items"),
            by_priority: vec![line("normal")],
            by_officer: vec![],
            by_team: vec![],
        },
        spend: Spend {
            month: "2026-11".into(),
            post_reads: 500,
            post_reads_usd: 2.5,
            owned_reads: 10,
            owned_reads_usd: 0.01,
            replies: 2,
            replies_usd: 0.1,
            usd: 2.61,
            forecast_usd: 2.61,
            budget_usd: Some(100.0),
            by_place: vec![PlaceReads {
                label: "Croydon".into(),
                reads: 400,
                usd: 2.0,
            }],
        },
    }
}

/// Tables as `Report::tables` makes them, a few by hand.
fn tables(r: &Report) -> Vec<Table> {
    let counts = |id: &'static str, title: &str, c: &[Count]| Table {
        id,
        title: title.into(),
        columns: vec!["What".into(), "Items".into()],
        rows: c
            .iter()
            .map(|c| {
                vec![
                    Cell::text(c.label.clone()),
                    Cell::linked(c.n.to_string(), c.query.clone()),
                ]
            })
            .collect(),
    };
    vec![
        Table {
            id: "volume-per-day",
            title: "Items per day".into(),
            columns: vec!["Day".into(), "Items".into()],
            rows: r
                .volume
                .per_day
                .iter()
                .map(|(d, n)| vec![Cell::text(d.to_string()), Cell::text(n.to_string())])
                .collect(),
        },
        counts("volume-by-place", "Items by place", &r.volume.by_place),
        counts("volume-by-tag", "Items by tag", &r.volume.by_tag),
        Table {
            id: "outcomes",
            title: "What became of the 5 items".into(),
            columns: vec!["Outcome".into(), "Items".into()],
            rows: vec![vec![
                Cell::text("Replied through the API"),
                Cell::linked("1", Some("status=replied".into())),
            ]],
        },
        Table {
            id: "speed-overall",
            title: "First response and resolution (wall-clock time)".into(),
            columns: vec!["Items".into(), "Median first response".into()],
            rows: vec![vec![Cell::text("All items"), Cell::text("30 min")]],
        },
        counts("spend-by-place", "Post reads by place", &[]),
    ]
}

fn render(q: &ReportsQuery) -> String {
    let today = date!(2026 - 12 - 06);
    let (choice, _) = q.period(today).unwrap();
    let report = november();
    let page = ReportsPage::new(chrome(), q, choice, today, &report, tables(&report)).unwrap();
    page.render().unwrap()
}

#[test]
fn periods_are_read_from_the_picker() {
    let today = date!(2026 - 12 - 06);
    let q = |period: &str, month: &str, from: &str, to: &str| ReportsQuery {
        period: period.into(),
        month: month.into(),
        from: from.into(),
        to: to.into(),
        table: String::new(),
        clock: String::new(),
    };
    let days = |from, to| Period::new(from, to).unwrap();
    let period = |q: ReportsQuery| q.period(today).map(|(_, p)| p);
    assert_eq!(
        period(q("", "", "", "")).unwrap(),
        days(date!(2026 - 11 - 30), today)
    );
    assert_eq!(
        period(q("last30", "", "", "")).unwrap(),
        days(date!(2026 - 11 - 07), today)
    );
    assert_eq!(
        period(q("month", "2026-02", "", "")).unwrap(),
        days(date!(2026 - 02 - 01), date!(2026 - 02 - 28))
    );
    assert_eq!(
        period(q("custom", "", "2026-10-24", "2026-10-26")).unwrap(),
        days(date!(2026 - 10 - 24), date!(2026 - 10 - 26))
    );
    for bad in [
        q("fortnight", "", "", ""),
        q("month", "2026-13", "", ""),
        q("month", "", "", ""),
        q("custom", "", "2026-11-02", "2026-11-01"),
        q("custom", "", "2026-11-02", ""),
        q("custom", "", "2024-01-01", "2026-01-01"),
    ] {
        assert!(period(bad.clone()).is_err(), "{bad:?}");
    }
    assert_eq!(
        q("custom", "", "2026-10-24", "2026-10-26").keep(Choice::Custom, Measure::WallClock),
        "period=custom&clock=wall_clock&from=2026-10-24&to=2026-10-26"
    );
    assert_eq!(
        q("month", "2026-11", "x", "y").keep(Choice::Month, Measure::OfficeHours),
        "period=month&clock=office_hours&month=2026-11"
    );
}

#[test]
fn durations_count_as_asked_or_as_configured() {
    let q = |clock: &str| ReportsQuery {
        period: String::new(),
        month: String::new(),
        from: String::new(),
        to: String::new(),
        table: String::new(),
        clock: clock.into(),
    };
    assert_eq!(
        q("").measure(Measure::OfficeHours).unwrap(),
        Measure::OfficeHours
    );
    assert_eq!(
        q("").measure(Measure::WallClock).unwrap(),
        Measure::WallClock
    );
    assert_eq!(
        q("wall_clock").measure(Measure::OfficeHours).unwrap(),
        Measure::WallClock
    );
    assert_eq!(
        q("office_hours").measure(Measure::WallClock).unwrap(),
        Measure::OfficeHours
    );
    assert!(q("minutes").measure(Measure::WallClock).is_err());
}

#[test]
fn the_page_shows_each_table_beside_its_chart_with_links_to_the_items() {
    let q = ReportsQuery {
        period: "month".into(),
        month: "2026-11".into(),
        ..ReportsQuery::default()
    };
    let html = render(&q);
    // The picker keeps the choice, the month offered and chosen.
    assert!(html.contains("value=\"month\" checked"), "{html}");
    assert!(html.contains("<option value=\"2026-11\" selected>November 2026</option>"));
    assert!(html.contains("<option value=\"2026-12\">December 2026</option>"));
    assert!(html.contains("<strong>1–30 Nov 2026</strong>"), "{html}");
    assert!(html.contains("compared with 2–31 Oct 2026"), "{html}");
    assert!(html.contains("Durations are counted in wall-clock time"));
    // Four sections, in order.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(
        at("<h2 id=\"volume-heading\">Volume</h2>")
            < at("<h2 id=\"outcomes-heading\">Outcomes</h2>")
    );
    assert!(at("<h2 id=\"outcomes-heading\">") < at("<h2 id=\"speed-heading\">Speed</h2>"));
    assert!(at("<h2 id=\"speed-heading\">") < at("<h2 id=\"spend-heading\">Spend</h2>"));
    // A chart with its title and description, then its table.
    let place = &html[at("<div class=\"figure\" id=\"volume-by-place\">")..];
    let place = &place[..place.find("</table>").unwrap()];
    assert!(place.contains("role=\"img\""), "{place}");
    assert!(place.contains("<title id=\"chart-volume-by-place-title\">Items by place</title>"));
    assert!(place.contains(
        "<desc id=\"chart-volume-by-place-desc\">5 items in 2 groups; most: Croydon with 3.</desc>"
    ));
    assert!(place.contains("<caption>Items by place</caption>"));
    assert!(place.contains("<th scope=\"col\">What</th>"));
    assert!(
        place.contains("<th scope=\"row\">Purley &#38; &#60;Kenley&#62;</th>"),
        "{place}"
    );
    // Counts lead to the inbox's drill-down.
    assert!(
        place.contains(
            "<a href=\"/?status=all&#38;from=2026-11-01&#38;to=2026-11-30&#38;place=Croydon\">3</a>"
        ),
        "{place}"
    );
    // The per-day chart, and every table's CSV with the period.
    assert!(html.contains("<title id=\"chart-volume-per-day-title\">Items per day</title>"));
    assert!(html.contains(
        "<a href=\"/reports.csv?table=volume-by-place&#38;period=month&#38;clock=wall_clock&#38;month=2026-11\">"
    ));
    // A table with no rows says so and draws no chart; Speed has no chart.
    let tags = &html[at("id=\"volume-by-tag\"")..at("id=\"outcomes\"")];
    assert!(tags.contains("None in this period."), "{tags}");
    assert!(!tags.contains("<svg"));
    let speed = &html[at("id=\"speed\"")..at("id=\"spend\"")];
    assert!(!speed.contains("<svg"));
    assert!(speed.contains("<caption>First response and resolution (wall-clock time)</caption>"));
    // The outcomes chart draws each outcome.
    let outcomes = &html[at("id=\"outcomes\"")..at("id=\"speed\"")];
    assert_eq!(
        outcomes.matches("fill=\"#1D4ED8\"").count(),
        5,
        "{outcomes}"
    );
    // The navigation shows Reports as the current page.
    assert!(html.contains("<a href=\"/reports\" aria-current=\"page\">Reports</a>"));
}
