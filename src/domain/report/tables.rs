//! Every section of a [`Report`] as [`Table`]s: what the Reports page shows
//! beside its charts, `placewatch report` prints, and the CSV exports hold.
//! Each table has a stable `id`; durations read as people say them
//! ("2 h 05 min") and their headings name the measure ("Median first
//! response (office hours)").

use super::{Cell, Count, Measure, Report, SpeedLine, Table, Times};

/// A duration as people read it: "40 s", "7 min", "2 h 05 min", "50 h 00 min".
pub fn duration_text(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}

/// What a heading says of the measure: "office hours" or "wall-clock time".
fn measure_words(measure: Measure) -> &'static str {
    match measure {
        Measure::OfficeHours => "office hours",
        Measure::WallClock => "wall-clock time",
    }
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn usd(amount: f64) -> String {
    format!("{amount:.2}")
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0.0%".to_owned()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn count_row(c: &Count) -> Vec<Cell> {
    vec![
        Cell::text(c.label.clone()),
        Cell::linked(c.n.to_string(), c.query.clone()),
    ]
}

fn counts(id: &'static str, title: &str, what: &str, rows: &[Count]) -> Table {
    Table {
        id,
        title: title.to_owned(),
        columns: columns(&[what, "Items"]),
        rows: rows.iter().map(count_row).collect(),
    }
}

fn times_cells(t: &Times) -> [Cell; 3] {
    let text = |s: Option<u64>| Cell::text(s.map(duration_text).unwrap_or_else(|| "–".into()));
    [
        Cell::text(t.count.to_string()),
        text(t.median_secs),
        text(t.p90_secs),
    ]
}

fn speed(id: &'static str, title: String, group: &str, m: Measure, lines: &[&SpeedLine]) -> Table {
    let w = measure_words(m);
    let columns = vec![
        group.to_owned(),
        "Items answered".to_owned(),
        format!("Median first response ({w})"),
        format!("90th percentile first response ({w})"),
        "Items resolved".to_owned(),
        format!("Median resolution ({w})"),
        format!("90th percentile resolution ({w})"),
        format!("Missed target ({w})"),
    ];
    let rows = lines
        .iter()
        .map(|l| {
            let mut row = vec![Cell::linked(l.label.clone(), l.query.clone())];
            row.extend(times_cells(&l.first_response));
            row.extend(times_cells(&l.resolution));
            row.push(Cell::text(l.missed_target.to_string()));
            row
        })
        .collect();
    Table {
        id,
        title,
        columns,
        rows,
    }
}

impl Report {
    /// Every section as tables, in the order the page shows them.
    pub fn tables(&self) -> Vec<Table> {
        let (v, o, s, p) = (&self.volume, &self.outcomes, &self.speed, &self.spend);
        let period = format!("{} to {}", self.period.from, self.period.to);
        let previous = format!("{} to {}", self.previous.from, self.previous.to);
        let mut tables = vec![
            Table {
                id: "volume-per-day",
                title: format!("Items per day, {period}"),
                columns: columns(&["Day", "Items"]),
                rows: v
                    .per_day
                    .iter()
                    .map(|(day, n)| {
                        let one = super::Period {
                            from: *day,
                            to: *day,
                        };
                        vec![
                            Cell::text(day.to_string()),
                            Cell::linked(
                                n.to_string(),
                                Some(super::build::inbox_query(&one, "all", &[])),
                            ),
                        ]
                    })
                    .collect(),
            },
            counts("volume-by-place", "Items by place", "Place", &v.by_place),
            counts("volume-by-tag", "Items by tag", "Tag", &v.by_tag),
            counts(
                "volume-by-reply-path",
                "Items by reply path",
                "Reply path",
                &v.by_reply_path,
            ),
            counts(
                "volume-by-language",
                "Items by language",
                "Language",
                &v.by_language,
            ),
            Table {
                id: "top-places",
                title: "Top places against the previous period".to_owned(),
                columns: vec![
                    "Place".to_owned(),
                    format!("Items {period}"),
                    format!("Items {previous}"),
                    "Change".to_owned(),
                ],
                rows: v
                    .top_places
                    .iter()
                    .map(|t| {
                        let change = t.this_period as i64 - t.previous_period as i64;
                        vec![
                            Cell::text(t.label.clone()),
                            Cell::linked(t.this_period.to_string(), t.query.clone()),
                            Cell::text(t.previous_period.to_string()),
                            // Words, not a sign: a spreadsheet reads "+3" as a formula.
                            Cell::text(match change {
                                0 => "no change".to_owned(),
                                1.. => format!("{change} more"),
                                _ => format!("{} fewer", -change),
                            }),
                        ]
                    })
                    .collect(),
            },
        ];
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let mut push = |label: &str, c: &Count| {
            rows.push(vec![
                Cell::text(label),
                Cell::linked(c.n.to_string(), c.query.clone()),
                Cell::text(percent(c.n, o.total)),
            ])
        };
        push("Replied through the API", &o.replied_api);
        push("Replied manually", &o.replied_manual);
        for c in &o.referred {
            match &c.query {
                Some(_) => push(&format!("Referred to {}", c.label), c),
                // Referred before placewatch recorded the team.
                None => push("Referred, team not recorded", c),
            }
        }
        push("Dismissed", &o.dismissed);
        push("Still open", &o.open);
        rows.push(vec![
            Cell::text("Answered (replied or referred)"),
            Cell::text(
                (o.replied_api.n
                    + o.replied_manual.n
                    + o.referred.iter().map(|c| c.n).sum::<u64>())
                .to_string(),
            ),
            Cell::text(format!("{:.1}%", o.answered_percent)),
        ]);
        tables.push(Table {
            id: "outcomes",
            title: format!("What became of the {} items", o.total),
            columns: columns(&["Outcome", "Items", "Share"]),
            rows,
        });
        let w = measure_words(s.measure);
        tables.push(speed(
            "speed-overall",
            format!("Speed, all items ({w})"),
            "Items",
            s.measure,
            &[&s.overall],
        ));
        for (id, by, group, lines) in [
            ("speed-by-priority", "priority", "Priority", &s.by_priority),
            (
                "speed-by-officer",
                "officer who answered first",
                "Officer",
                &s.by_officer,
            ),
            ("speed-by-team", "team", "Team", &s.by_team),
        ] {
            let lines: Vec<&SpeedLine> = lines.iter().collect();
            tables.push(speed(
                id,
                format!("Speed by {by} ({w})"),
                group,
                s.measure,
                &lines,
            ));
        }
        let money = |label: &str, count: String, amount: String| {
            vec![Cell::text(label), Cell::text(count), Cell::text(amount)]
        };
        let mut spend_rows = vec![
            money(
                "Post reads",
                p.post_reads.to_string(),
                usd(p.post_reads_usd),
            ),
            money(
                "Owned reads",
                p.owned_reads.to_string(),
                usd(p.owned_reads_usd),
            ),
            money(
                "Replies through the API",
                p.replies.to_string(),
                usd(p.replies_usd),
            ),
            money("Spent so far", String::new(), usd(p.usd)),
            money("Forecast for the month", String::new(), usd(p.forecast_usd)),
        ];
        if let Some(budget) = p.budget_usd {
            spend_rows.push(money("Monthly budget", String::new(), usd(budget)));
        }
        tables.push(Table {
            id: "spend",
            title: format!("X spending in {}", p.month),
            columns: columns(&["What", "Count", "US dollars"]),
            rows: spend_rows,
        });
        tables.push(Table {
            id: "spend-by-place",
            title: format!("Post reads per place in {}", p.month),
            columns: columns(&["Place", "Post reads", "US dollars"]),
            rows: p
                .by_place
                .iter()
                .map(|r| {
                    vec![
                        Cell::text(r.label.clone()),
                        Cell::text(r.reads.to_string()),
                        Cell::text(usd(r.usd)),
                    ]
                })
                .collect(),
        });
        tables
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::domain::report::{
        Facts, ItemFacts, Period, Prices, ReportSettings, Response, WallClock,
    };
    use crate::domain::text::ReplyPrices;
    use crate::domain::triage::{Priority, ReplyPath, Status, WaitingTargets};

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_text(0), "0 s");
        assert_eq!(duration_text(59), "59 s");
        assert_eq!(duration_text(7 * 60 + 59), "7 min");
        assert_eq!(duration_text(2 * 3600 + 5 * 60 + 10), "2 h 05 min");
        assert_eq!(duration_text(50 * 3600), "50 h 00 min");
    }

    #[test]
    fn every_section_is_a_table_with_the_measure_in_its_headings() {
        let period = Period::new(date!(2026 - 11 - 02), date!(2026 - 11 - 02)).unwrap();
        let posted = datetime!(2026-11-02 09:00 UTC);
        let item = ItemFacts {
            posted_at: posted,
            status: Status::Replied,
            priority: Priority::Normal,
            reply_path: ReplyPath::Api,
            places: vec!["=HYPERLINK(\"x\")".into()],
            tags: vec![],
            lang: Some("en".into()),
            team: None,
            first_response: Some(Response {
                at: posted + time::Duration::minutes(125),
                by: "sam".into(),
            }),
            resolved_at: Some(posted + time::Duration::minutes(125)),
        };
        let facts = Facts {
            items: vec![item],
            ..Facts::default()
        };
        let settings = ReportSettings {
            targets: WaitingTargets::default(),
            prices: Prices {
                post_read_usd: 0.005,
                owned_read_usd: 0.001,
                replies: ReplyPrices::X_2026_04_20,
                monthly_usd: None,
            },
            now: datetime!(2026-11-03 00:00 UTC),
        };
        let report = Report::assemble(period, &facts, &WallClock, Measure::WallClock, &settings);
        let tables = report.tables();
        let ids: Vec<&str> = tables.iter().map(|t| t.id).collect();
        assert_eq!(
            ids,
            [
                "volume-per-day",
                "volume-by-place",
                "volume-by-tag",
                "volume-by-reply-path",
                "volume-by-language",
                "top-places",
                "outcomes",
                "speed-overall",
                "speed-by-priority",
                "speed-by-officer",
                "speed-by-team",
                "spend",
                "spend-by-place",
            ]
        );
        let overall = &tables[7];
        assert_eq!(
            overall.columns[2],
            "Median first response (wall-clock time)"
        );
        assert_eq!(overall.rows[0][2].text, "2 h 05 min");
        assert_eq!(overall.rows[0][3].text, "2 h 05 min");
        // The hostile place name is kept as it is in the table and made
        // inert in its CSV.
        assert_eq!(tables[1].rows[0][0].text, "=HYPERLINK(\"x\")");
        assert!(tables[1].to_csv().contains("\"'=HYPERLINK(\"\"x\"\")\""));
        let outcomes = &tables[6];
        assert_eq!(outcomes.rows[0][1].text, "1");
        assert_eq!(outcomes.rows[0][2].text, "100.0%");
    }
}
