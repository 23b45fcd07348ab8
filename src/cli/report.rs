//! `placewatch report --from DATE --to DATE [--json|--csv] [--table ID]
//! [--wall-clock]`: the manager's report of those UK days, as the desk's
//! Reports page shows it. Text tables by default; `--json` the whole
//! report; `--csv` every table as one CSV stream (each table a one-cell
//! title record, its header, its rows and an empty record), or with
//! `--table ID` that one table alone, a plain RFC 4180 document. Cells that
//! would start a spreadsheet formula are made inert (`domain::csv`).

use std::path::PathBuf;

use time::{
    Date, OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description,
};

use super::{Failure, block_on, terminal_safe};
use crate::app::open_store;
use crate::config::Config;
use crate::domain::csv::document;
use crate::domain::report::{Measure, Period, Prices, Report, ReportSettings, Table, WallClock};

const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

fn date(s: &str) -> Result<Date, String> {
    Date::parse(s, DATE).map_err(|e| format!("{s:?} is not a date as YYYY-MM-DD: {e}"))
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The first day (UK time), as YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = date)]
    from: Date,
    /// The last day (UK time, included), as YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = date)]
    to: Date,
    /// The whole report as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// The tables as CSV (RFC 4180, formulas made inert).
    #[arg(long)]
    csv: bool,
    /// Only this table (its id, such as volume-by-place).
    #[arg(long, value_name = "ID", conflicts_with = "json")]
    table: Option<String>,
    /// Count durations in wall-clock time rather than office hours (until
    /// office hours are configurable, every duration is wall-clock time).
    #[arg(long)]
    wall_clock: bool,
}

pub fn run(args: ReportArgs) -> Result<(), Failure> {
    let period = Period::new(args.from, args.to).ok_or_else(|| {
        Failure::Usage(format!(
            "--from {} is after --to {}: the period would be empty",
            args.from, args.to
        ))
    })?;
    let config = Config::load(&args.config)?;
    let report = block_on_report(&config, period, args.wall_clock)?;
    let tables = report.tables();
    let chosen: Vec<&Table> = match &args.table {
        None => tables.iter().collect(),
        Some(id) => match tables.iter().find(|t| t.id == id) {
            Some(t) => vec![t],
            None => {
                let ids: Vec<&str> = tables.iter().map(|t| t.id).collect();
                return Err(Failure::Usage(format!(
                    "no table {id:?}; the tables are {}",
                    ids.join(", ")
                )));
            }
        },
    };
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
        println!("{json}");
    } else if args.csv {
        print!("{}", csv(&chosen, args.table.is_some()));
    } else {
        print!("{}", text(&report, &chosen));
    }
    Ok(())
}

fn block_on_report(config: &Config, period: Period, wall_clock: bool) -> Result<Report, Failure> {
    let mut out = None;
    block_on(async {
        let store = open_store(config).await?;
        let settings = ReportSettings {
            targets: config.desk.waiting_targets,
            prices: Prices {
                post_read_usd: config.budget.post_read_usd,
                owned_read_usd: config.budget.owned_read_usd,
                replies: config.budget.reply_prices(),
                monthly_usd: config.budget.monthly_usd,
            },
            now: OffsetDateTime::now_utc(),
        };
        // Office hours (`domain::hours`) are not wired yet: every duration
        // is wall-clock time, whichever is asked for, and says so.
        let _ = wall_clock;
        let report = store
            .report(period, &WallClock, Measure::WallClock, &settings)
            .await;
        store.close().await;
        out = Some(report?);
        Ok(())
    })?;
    out.ok_or_else(|| Failure::Runtime(anyhow::anyhow!("the report was not made")))
}

/// One table alone as its CSV document; several as one stream, each a
/// one-cell title record, its header and rows, then an empty record.
fn csv(tables: &[&Table], alone: bool) -> String {
    if alone {
        return tables.iter().map(|t| t.to_csv()).collect();
    }
    let mut out = String::new();
    for t in tables {
        out.push_str(&document(
            &[t.title.as_str()],
            std::iter::empty::<Vec<&str>>(),
        ));
        out.push_str(&t.to_csv());
        out.push_str("\r\n");
    }
    out
}

/// The tables as aligned text, each under its title; cells made safe for a
/// terminal.
fn text(report: &Report, tables: &[&Table]) -> String {
    let mut out = format!(
        "Report for {} to {} (durations {})\n",
        report.period.from,
        report.period.to,
        report.speed.measure.words()
    );
    for t in tables {
        out.push_str(&format!("\n{}\n", terminal_safe(&t.title)));
        let rows: Vec<Vec<String>> = std::iter::once(t.columns.clone())
            .chain(
                t.rows
                    .iter()
                    .map(|r| r.iter().map(|c| c.text.clone()).collect()),
            )
            .map(|r| {
                r.iter()
                    .map(|c| terminal_safe(c).replace('\n', " "))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = (0..t.columns.len())
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &rows {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str(&format!("  {}\n", line.join("  ").trim_end()));
        }
        if t.rows.is_empty() {
            out.push_str("  (none)\n");
        }
    }
    out
}
