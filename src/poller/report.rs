//! What the daemon has done and will do, gathered for `placewatch status` and
//! the desk's status page: per monitor its query, cursor, last and next poll,
//! rate limits and last error; the month's reads against the budget with the
//! forecast; the council account's token; item counts; recent events.
//!
//! The running daemon's own view (next polls, limits, why it is paused) comes
//! in as its health snapshot: in process for the desk, from the status file
//! for the CLI.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::health::Snapshot;
use super::plan::{Source, plan};
use super::schedule::{Forecast, forecast};
use super::{Settings, month_progress};
use crate::config::{Budget, Config};
use crate::domain::figures::first_few;
use crate::domain::ingest::Cursor;
use crate::domain::text::{ReplyCost, ReplyPrices};
use crate::domain::triage::Status;
use crate::store::{Event, ItemFilter, SentReply, Store, StoreError, Usage};
use crate::x::auth::{SessionStatus, TokenPlace, council, stored_status};

/// One monitor's state.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorReport {
    pub key: String,
    /// What officers call it: its place names, the first few of them
    /// ("Croydon, Fieldway, Addiscombe and 16 more"), or "Mentions of
    /// @handle".
    pub name: String,
    pub places: Vec<String>,
    /// The X query behind it; `None` for the mentions timeline.
    pub query: Option<String>,
    pub cursor: Option<Cursor>,
    /// RFC 3339 UTC, when the running daemon has scheduled it.
    pub next_poll: Option<String>,
    /// The 15-minute rate-limit window, when the daemon has seen its headers.
    pub limits: Option<LimitWindow>,
    pub last_error: Option<String>,
}

/// Place names shown in a monitor's name before "and N more".
const NAMED_PLACES: usize = 3;

/// A monitor's 15-minute rate-limit window as X last reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LimitWindow {
    pub remaining: u64,
    pub limit: u64,
    /// When the window resets, Unix seconds.
    pub reset: i64,
}

impl LimitWindow {
    /// When the window resets, RFC 3339 UTC; `None` when X's reset time is
    /// not a time (out of range).
    pub fn resets_at(&self) -> Option<String> {
        OffsetDateTime::from_unix_timestamp(self.reset)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
    }
}

/// The month's spending at the configured prices (`[budget]`), so far and
/// forecast for the whole month at the pace so far.
#[derive(Debug, Clone, Serialize)]
pub struct Spend {
    /// Recent-search post reads, at `post_read_usd`.
    pub post_reads: SpendLine,
    /// Owned reads (the council's mentions and timeline), at `owned_read_usd`.
    pub owned_reads: SpendLine,
    /// Replies placewatch posted through the API, each at its price
    /// (`domain::text::ReplyCost`: with a link, to a summoning post, or plain).
    pub replies: SpendLine,
    /// The three together, US dollars.
    pub usd: f64,
    pub forecast_usd: f64,
    /// The configured monthly money cap (`budget.monthly_usd`), if any.
    pub monthly_usd: Option<f64>,
    /// The unit prices used.
    pub post_read_usd: f64,
    pub owned_read_usd: f64,
    pub reply_prices: ReplyPrices,
}

/// One kind of spending: how many, at what cost, and the month's forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpendLine {
    pub count: u64,
    pub usd: f64,
    /// `count` and `usd` at the pace so far, for the whole month.
    pub forecast_count: u64,
    pub forecast_usd: f64,
}

impl SpendLine {
    fn new(count: u64, usd: f64, elapsed: f64) -> SpendLine {
        let elapsed = elapsed.clamp(1e-3, 1.0);
        SpendLine {
            count,
            usd,
            forecast_count: (count as f64 / elapsed).round() as u64,
            forecast_usd: usd / elapsed,
        }
    }
}

impl Spend {
    /// The month so far: `usage` priced at `budget`'s prices, and the replies
    /// sent through the API; `elapsed` is the fraction of the month gone.
    pub fn new(budget: &Budget, usage: &Usage, replies: &[SentReply], elapsed: f64) -> Spend {
        let prices = budget.reply_prices();
        let replies_usd: f64 = replies
            .iter()
            .map(|r| ReplyCost::for_text(&r.text, r.summoned, &prices).usd)
            .sum();
        let post_reads = SpendLine::new(
            usage.post_reads,
            usage.post_reads as f64 * budget.post_read_usd,
            elapsed,
        );
        let owned_reads = SpendLine::new(
            usage.owned_reads,
            usage.owned_reads as f64 * budget.owned_read_usd,
            elapsed,
        );
        let replies = SpendLine::new(replies.len() as u64, replies_usd, elapsed);
        let lines = [post_reads, owned_reads, replies];
        Spend {
            post_reads,
            owned_reads,
            replies,
            usd: lines.iter().map(|l| l.usd).sum(),
            forecast_usd: lines.iter().map(|l| l.forecast_usd).sum(),
            monthly_usd: budget.monthly_usd,
            post_read_usd: budget.post_read_usd,
            owned_read_usd: budget.owned_read_usd,
            reply_prices: prices,
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub monitors: Vec<MonitorReport>,
    /// `YYYY-MM`.
    pub month: String,
    pub usage: Usage,
    pub forecast: Forecast,
    /// What the month has cost so far at the configured prices, and its forecast.
    pub spend: Spend,
    /// `None` when the council account is not logged in.
    pub token: Option<SessionStatus>,
    pub items_by_status: Vec<(Status, u64)>,
    pub events: Vec<Event>,
    /// Why polling is paused, if the daemon says it is.
    pub paused: Option<String>,
    /// The command that logs the council account in.
    pub login_command: String,
    /// How often the monitors poll at most and at least, and whether the
    /// shortest interval comes from the rate limit (no `min_interval_secs`).
    pub interval: PollInterval,
}

/// The bounds of the polling interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PollInterval {
    pub min_secs: u64,
    pub max_secs: u64,
    pub min_from_rate_limit: bool,
}

impl std::fmt::Display for PollInterval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "every {} s at most often ({}), every {} s when quiet; adapted to the rate \
             limits and the budget",
            self.min_secs,
            if self.min_from_rate_limit {
                "what X's search rate limit allows the planned queries"
            } else {
                "monitor.min_interval_secs"
            },
            self.max_secs
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the council account's token: {0}")]
    Token(#[from] crate::x::auth::AuthError),
    #[error("planning the monitors: {0}")]
    Plan(String),
}

impl StatusReport {
    /// Gathers the report; `daemon` is the running daemon's health snapshot
    /// (empty when none runs).
    pub async fn gather(
        config: &Config,
        store: &Store,
        daemon: &Snapshot,
    ) -> Result<StatusReport, ReportError> {
        let token = stored_status(&TokenPlace::of(&config.data.dir, store)).await?;
        let council = council(token.as_ref(), &config.council.handle);
        let planned = plan(config, &council).map_err(|e| ReportError::Plan(e.to_string()))?;
        let settings = Settings::from_config(config, &planned);
        let interval = PollInterval {
            min_secs: settings.min_interval.as_secs(),
            max_secs: settings.max_interval.as_secs(),
            min_from_rate_limit: config.monitor.min_interval.is_none(),
        };
        let cursors = store.cursors().await?;
        let (month, elapsed) = month_progress(OffsetDateTime::now_utc());
        let usage = store.usage(&month).await?;
        let forecast = forecast(
            usage.post_reads + usage.owned_reads,
            settings.monthly_post_reads,
            elapsed,
            settings.warn_at_percent,
        );
        let replies = store.api_replies_sent_in(&month).await?;
        let spend = Spend::new(&config.budget, &usage, &replies, elapsed);
        let monitors = planned
            .iter()
            .map(|m| {
                let d = daemon.monitors.get(&m.key);
                let window = d.and_then(|d| d.limits).and_then(|l| l.window);
                let (name, query) = match &m.source {
                    Source::Mentions { .. } => (format!("Mentions of @{}", council.handle()), None),
                    // Without the council's login, its mentions are searched.
                    Source::Search { query } if m.places.iter().all(|p| p.starts_with('@')) => (
                        format!("Mentions of {}", m.places.join(", ")),
                        Some(query.clone()),
                    ),
                    Source::Search { query } => {
                        (first_few(&m.places, NAMED_PLACES), Some(query.clone()))
                    }
                };
                MonitorReport {
                    key: m.key.clone(),
                    name,
                    places: m.places.clone(),
                    query,
                    cursor: cursors.iter().find(|c| c.monitor == m.key).cloned(),
                    next_poll: d.and_then(|d| d.next_poll.clone()),
                    limits: window.map(|w| LimitWindow {
                        remaining: w.remaining,
                        limit: w.limit,
                        reset: w.reset,
                    }),
                    last_error: d.and_then(|d| d.last_error.clone()),
                }
            })
            .collect();
        let items = store
            .list_items(&ItemFilter {
                limit: 1,
                ..Default::default()
            })
            .await?;
        Ok(StatusReport {
            monitors,
            month,
            usage,
            forecast,
            spend,
            token,
            items_by_status: items.counts,
            events: store.recent_events(10).await?,
            paused: daemon.paused.clone(),
            login_command: format!("placewatch auth login --config {}", config.source.display()),
            interval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(monthly_usd: Option<f64>) -> Budget {
        Budget {
            monthly_post_reads: None,
            post_read_usd: 0.005,
            owned_read_usd: 0.001,
            user_read_usd: 0.010,
            post_create_usd: 0.015,
            post_create_with_url_usd: 0.20,
            summoned_reply_usd: 0.010,
            monthly_usd,
            warn_at_percent: 80,
        }
    }

    fn reply(text: &str, summoned: bool) -> SentReply {
        SentReply {
            text: text.into(),
            summoned,
        }
    }

    #[test]
    fn the_months_spend_prices_reads_and_each_reply_and_forecasts_the_month() {
        let usage = Usage {
            post_reads: 1_000,
            owned_reads: 500,
        };
        let replies = [
            reply("Thanks, passed on.", false),
            reply("Thanks, passed on.", true),
            reply("Report it at croydon.gov.uk/report", true),
        ];
        // A quarter of the month gone.
        let s = Spend::new(&budget(Some(50.0)), &usage, &replies, 0.25);
        assert_eq!((s.post_reads.count, s.post_reads.usd), (1_000, 5.0));
        assert_eq!(s.owned_reads.usd, 0.5);
        assert_eq!(s.replies.count, 3);
        assert!((s.replies.usd - (0.015 + 0.010 + 0.20)).abs() < 1e-9);
        assert!((s.usd - 5.725).abs() < 1e-9);
        assert_eq!(s.post_reads.forecast_count, 4_000);
        assert_eq!(s.replies.forecast_count, 12);
        assert!((s.forecast_usd - 4.0 * 5.725).abs() < 1e-9);
        assert_eq!(s.monthly_usd, Some(50.0));
    }

    #[test]
    fn the_first_moments_of_a_month_do_not_forecast_infinity() {
        let usage = Usage {
            post_reads: 10,
            owned_reads: 0,
        };
        let s = Spend::new(&budget(None), &usage, &[], 0.0);
        assert_eq!(s.post_reads.forecast_count, 10_000);
        assert!(s.forecast_usd.is_finite());
        assert_eq!(s.replies.forecast_usd, 0.0);
    }
}
