//! What the daemon knows about itself, shared with `/metrics`, `/healthz` and
//! the status output: per-monitor progress, the last rate limits, the budget
//! forecast, and Prometheus counters.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;

use super::schedule::Forecast;
use crate::x::ratelimit::RateLimits;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MonitorLabel {
    pub monitor: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabel {
    pub kind: String,
}

/// Prometheus metrics of the daemon.
#[derive(Debug, Default)]
pub struct Metrics {
    pub polls: Family<MonitorLabel, Counter>,
    pub posts_read: Family<MonitorLabel, Counter>,
    pub new_items: Counter,
    pub errors: Family<ErrorLabel, Counter>,
    pub rate_limit_remaining: Family<MonitorLabel, Gauge>,
    pub budget_used: Gauge,
    pub budget_limit: Gauge,
}

/// The state of one monitor.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MonitorState {
    pub query: String,
    pub last_poll: Option<String>,
    pub next_poll: Option<String>,
    pub posts_read: u64,
    pub since_id: Option<u64>,
    pub last_error: Option<String>,
    pub limits: Option<RateLimits>,
}

/// What the running daemon knows about its monitors: served by `/healthz`,
/// written to [`STATUS_FILE`] for `placewatch status`, read by the desk.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub monitors: BTreeMap<String, MonitorState>,
    pub forecast: Option<Forecast>,
    /// Why polling is paused (budget, usage cap, credits), if it is.
    pub paused: Option<String>,
}

/// The daemon's status snapshot in the data directory.
pub const STATUS_FILE: &str = "daemon-status.json";

/// Shared between the poller and whoever reports on it.
#[derive(Clone, Default)]
pub struct Health {
    pub metrics: Arc<Metrics>,
    pub snapshot: Arc<Mutex<Snapshot>>,
}

impl Health {
    pub fn update(&self, key: &str, f: impl FnOnce(&mut MonitorState)) {
        let mut s = self.snapshot.lock().expect("health lock");
        f(s.monitors.entry(key.to_string()).or_default());
    }

    pub fn set_paused(&self, why: Option<String>) {
        self.snapshot.lock().expect("health lock").paused = why;
    }

    pub fn set_forecast(&self, forecast: Forecast) {
        self.metrics.budget_used.set(forecast.used as i64);
        self.metrics
            .budget_limit
            .set(forecast.limit.map_or(-1, |l| l as i64));
        self.snapshot.lock().expect("health lock").forecast = Some(forecast);
    }

    pub fn error(&self, key: &str, kind: &str, message: String) {
        self.metrics
            .errors
            .get_or_create(&ErrorLabel {
                kind: kind.to_string(),
            })
            .inc();
        self.update(key, |m| m.last_error = Some(message));
    }

    /// The Prometheus text exposition.
    pub fn render_metrics(&self) -> String {
        let mut registry = Registry::with_prefix("placewatch");
        let m = &self.metrics;
        registry.register("polls", "Poll cycles completed", m.polls.clone());
        registry.register("posts_read", "Posts read from X", m.posts_read.clone());
        registry.register("new_items", "Triage items created", m.new_items.clone());
        registry.register("errors", "Poll errors by kind", m.errors.clone());
        registry.register(
            "rate_limit_remaining",
            "Requests left in the current 15-minute window",
            m.rate_limit_remaining.clone(),
        );
        registry.register(
            "budget_used_post_reads",
            "Post reads this month",
            m.budget_used.clone(),
        );
        registry.register(
            "budget_limit_post_reads",
            "Monthly post-read budget (-1: none)",
            m.budget_limit.clone(),
        );
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)
            .expect("writing to a String");
        out
    }

    /// Writes the snapshot to `path` (atomically) for `placewatch status`.
    pub fn persist(&self, path: &std::path::Path) {
        let json = serde_json::to_vec_pretty(&self.snapshot_json()).unwrap_or_default();
        if let Err(e) = crate::files::write_private(path, &json) {
            tracing::debug!(error = %e, "could not write the status snapshot");
        }
    }

    pub fn snapshot_json(&self) -> serde_json::Value {
        serde_json::to_value(self.current()).unwrap_or_default()
    }

    /// A copy of the snapshot as it is now.
    pub fn current(&self) -> Snapshot {
        self.snapshot.lock().expect("health lock").clone()
    }
}

impl Snapshot {
    /// What a daemon last wrote to `path` ([`STATUS_FILE`]); empty when no
    /// daemon has run or the file is unreadable.
    pub fn read(path: &std::path::Path) -> Snapshot {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }
}
