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
use super::plan::plan;
use super::schedule::{Forecast, forecast};
use super::{Settings, month_progress};
use crate::config::Config;
use crate::domain::ingest::Cursor;
use crate::domain::triage::Status;
use crate::store::{Event, ItemFilter, Store, StoreError, Usage};
use crate::x::auth::{SessionStatus, council, stored_status};

/// One monitor's state.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorReport {
    pub key: String,
    pub places: Vec<String>,
    pub cursor: Option<Cursor>,
    pub next_poll: Option<String>,
    /// "12/450 left until …", when the daemon has seen the headers.
    pub limits: Option<String>,
    pub last_error: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub monitors: Vec<MonitorReport>,
    /// `YYYY-MM`.
    pub month: String,
    pub usage: Usage,
    pub forecast: Forecast,
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
        let token = stored_status(&config.data.dir)?;
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
        let monitors = planned
            .iter()
            .map(|m| {
                let d = daemon.monitors.get(&m.key);
                let window = d.and_then(|d| d.limits).and_then(|l| l.window);
                let limits = window.map(|w| {
                    let reset = OffsetDateTime::from_unix_timestamp(w.reset)
                        .ok()
                        .and_then(|t| t.format(&Rfc3339).ok())
                        .unwrap_or_else(|| "at an unknown time".to_owned());
                    format!(
                        "{} of {} requests left in the 15-minute window (resets {reset})",
                        w.remaining, w.limit
                    )
                });
                MonitorReport {
                    key: m.key.clone(),
                    places: m.places.clone(),
                    cursor: cursors.iter().find(|c| c.monitor == m.key).cloned(),
                    next_poll: d.and_then(|d| d.next_poll.clone()),
                    limits,
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
            token,
            items_by_status: items.counts,
            events: store.recent_events(10).await?,
            paused: daemon.paused.clone(),
            login_command: format!("placewatch auth login --config {}", config.source.display()),
            interval,
        })
    }
}
