//! `placewatch status`: what the daemon has done and will do, read from the
//! store, the token file and the running daemon's status file (so it works
//! whether or not the daemon runs). The same report feeds the desk's status page.

use crate::app::open_store;
use crate::config::Config;
use crate::domain::figures::{thousands, usd};
use crate::poller::health::{STATUS_FILE, Snapshot};
use crate::poller::report::StatusReport;

pub async fn run(config: Config, json: bool) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    // What the running daemon last wrote: next polls and rate limits.
    let daemon = Snapshot::read(&config.data.dir.join(STATUS_FILE));
    let report = StatusReport::gather(&config, &store, &daemon).await?;
    store.close().await;
    if json {
        let mut out = serde_json::to_value(&report)?;
        out["daemon"] = serde_json::to_value(&daemon)?;
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print(&config, &report);
    Ok(())
}

fn print(config: &Config, report: &StatusReport) {
    println!("Monitors ({}):", report.monitors.len());
    for m in &report.monitors {
        println!("  {}", m.name);
        println!("    {}", m.key);
        if let Some(next) = &m.next_poll {
            let limits = m.limits.as_ref().map_or(String::new(), |l| {
                format!(
                    ", rate limit: {} of {} requests left in the 15-minute window (resets {})",
                    thousands(l.remaining),
                    thousands(l.limit),
                    l.resets_at()
                        .unwrap_or_else(|| "at a time not yet known".to_owned())
                )
            });
            println!("    next poll {next}{limits}");
        }
        if let Some(err) = &m.last_error {
            println!("    last error: {}", super::terminal_safe(err));
        }
        match &m.cursor {
            Some(c) => println!(
                "    last poll {}, posts read {}, items filed {}{}, since_id {}{}",
                c.last_poll_at.as_deref().unwrap_or("never"),
                thousands(c.posts_read),
                thousands(c.items_filed),
                c.items_filed_since
                    .as_deref()
                    .map_or(String::new(), |at| format!(" (counted since {at})")),
                c.since_id
                    .map_or("none (backfill pending)".into(), |s| s.to_string()),
                c.pending.map_or(String::new(), |p| format!(
                    "; unfinished cycle resumes below {}",
                    p.until_id
                ))
            ),
            None => println!(
                "    never polled: the first poll backfills {} days",
                config.monitor.backfill_days
            ),
        }
    }
    println!(
        "Poll interval: {} (next polls: see /healthz of the running daemon)",
        report.interval
    );
    let budget = &report.forecast;
    println!(
        "Budget {}: {} post reads ({} search, {} owned), forecast {} for the month{}{}",
        report.month,
        thousands(budget.used),
        thousands(report.usage.post_reads),
        thousands(report.usage.owned_reads),
        thousands(budget.projected),
        budget
            .limit
            .map_or(String::new(), |l| format!(", limit {}", thousands(l))),
        if budget.exhausted {
            " — SPENT: polling paused"
        } else if budget.warn {
            " — WARNING: over the warning threshold"
        } else {
            ""
        }
    );
    let spend = &report.spend;
    println!(
        "Spent {} at the configured prices: {} so far (post reads {}, owned reads {}, {} {} \
         through the API {}), forecast {} for the month{}",
        report.month,
        usd(spend.usd),
        usd(spend.post_reads.usd),
        usd(spend.owned_reads.usd),
        thousands(spend.replies.count),
        if spend.replies.count == 1 {
            "reply"
        } else {
            "replies"
        },
        usd(spend.replies.usd),
        usd(spend.forecast_usd),
        spend
            .monthly_usd
            .map_or(String::new(), |cap| format!(", budget {}", usd(cap)))
    );
    if let Some(why) = &report.paused {
        println!("Polling paused: {}", super::terminal_safe(why));
    }
    match &report.token {
        None => println!(
            "Council account: not logged in — run `{}`",
            report.login_command
        ),
        Some(t) => println!(
            "Council account: @{} (id {}), token expires {}, refresh token {}{}",
            t.account.username,
            t.account.id,
            t.expires_at,
            if t.has_refresh_token {
                "held"
            } else {
                "not held"
            },
            t.refused.as_ref().map_or(String::new(), |r| format!(
                " — REFUSED: {r}; run `{}`",
                report.login_command
            ))
        ),
    }
    let counts: Vec<String> = report
        .items_by_status
        .iter()
        .map(|(s, n)| format!("{} {}", s.as_str(), thousands(*n)))
        .collect();
    println!("Items: {}", counts.join(", "));
    println!("Recent errors and events:");
    if report.events.is_empty() {
        println!("  none");
    }
    for e in &report.events {
        println!(
            "  {} {} {}: {}",
            e.at,
            e.level,
            e.kind,
            super::terminal_safe(&e.message)
        );
    }
}
