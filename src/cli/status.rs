//! `placewatch status`: what the daemon has done and will do, read from the
//! store and the token file (so it works whether or not the daemon runs).

use time::OffsetDateTime;

use crate::app::open_store;
use crate::config::Config;
use crate::domain::triage::Council;
use crate::poller::month_progress;
use crate::poller::plan::plan;
use crate::poller::schedule::forecast;
use crate::x::auth::UserSession;

pub async fn run(config: Config, json: bool) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let session = UserSession::open(&config)?;
    let token = session.as_ref().map(UserSession::status);
    let council = match &token {
        Some(t) if t.refused.is_none() => Council {
            id: t.account.id.parse().unwrap_or_default(),
            handle: t.account.username.clone(),
        },
        _ => Council {
            id: 0,
            handle: config.council.handle.clone(),
        },
    };
    let monitors = plan(&config, &council, council.id != 0)?;
    let cursors = store.cursors().await?;
    let (month, elapsed) = month_progress(OffsetDateTime::now_utc());
    let usage = store.usage(&month).await?;
    let budget = forecast(
        usage.post_reads + usage.owned_reads,
        crate::app::read_budget(&config),
        elapsed,
        config.budget.warn_at_percent,
    );
    let events = store.recent_events(10).await?;
    // What the running daemon last wrote: next polls and rate limits.
    let daemon: serde_json::Value =
        std::fs::read(config.data.dir.join(crate::poller::health::STATUS_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
    let items = store
        .list_items(&crate::store::ItemFilter {
            limit: 1,
            ..Default::default()
        })
        .await?;
    if json {
        let monitors: Vec<_> = monitors
            .iter()
            .map(|m| {
                let c = cursors.iter().find(|c| c.monitor == m.key);
                serde_json::json!({"monitor": m.key, "places": m.places, "cursor": c})
            })
            .collect();
        let out = serde_json::json!({
            "monitors": monitors, "month": month, "usage": usage, "forecast": budget,
            "token": token, "events": events, "items_by_status": items.counts, "daemon": daemon,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("Monitors ({}):", monitors.len());
    for m in &monitors {
        let c = cursors.iter().find(|c| c.monitor == m.key);
        println!("  {}", m.key);
        let d = &daemon["monitors"][&m.key];
        if let Some(next) = d["next_poll"].as_str() {
            let window = &d["limits"]["window"];
            let limits = match (window["remaining"].as_u64(), window["limit"].as_u64()) {
                (Some(r), Some(l)) => {
                    format!(", rate limit {r}/{l} left until {}", window["reset"])
                }
                _ => String::new(),
            };
            println!("    next poll {next}{limits}");
        }
        if let Some(err) = d["last_error"].as_str() {
            println!("    last error: {}", super::terminal_safe(err));
        }
        match c {
            Some(c) => println!(
                "    last poll {}, posts read {}, since_id {}{}",
                c.last_poll_at.as_deref().unwrap_or("never"),
                c.posts_read,
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
        "Poll interval: between {:?} and {:?}, adapted to rate limits and budget (next polls: see /healthz of the running daemon)",
        config.monitor.min_interval, config.monitor.max_interval
    );
    println!(
        "Budget {month}: {} post reads ({} search, {} owned), forecast {} for the month{}{}",
        budget.used,
        usage.post_reads,
        usage.owned_reads,
        budget.projected,
        budget
            .limit
            .map_or(String::new(), |l| format!(", limit {l}")),
        if budget.exhausted {
            " — SPENT: polling paused"
        } else if budget.warn {
            " — WARNING: over the warning threshold"
        } else {
            ""
        }
    );
    match &token {
        None => println!(
            "Council account: not logged in — run `placewatch auth login --config {}`",
            config.source.display()
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
                " — REFUSED: {r}; run `placewatch auth login --config {}`",
                config.source.display()
            ))
        ),
    }
    let counts: Vec<String> = items
        .counts
        .iter()
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    println!("Items: {}", counts.join(", "));
    println!("Recent errors and events:");
    if events.is_empty() {
        println!("  none");
    }
    for e in &events {
        println!(
            "  {} {} {}: {}",
            e.at,
            e.level,
            e.kind,
            super::terminal_safe(&e.message)
        );
    }
    store.close().await;
    Ok(())
}
