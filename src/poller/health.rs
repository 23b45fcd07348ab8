//! What the daemon knows about itself, shared with `/metrics`, `/healthz` and
//! the status output: per-monitor progress, the last rate limits, the budget
//! forecast, and Prometheus metrics.
//!
//! The poller and the lease loop set counters and gauges as things happen;
//! what lives elsewhere (the outbox's and referrals' backlog in the store,
//! the council account's stored tokens) is read when `/metrics` is scraped, by
//! `scrape`, so no domain code calls into metrics to keep those current.

mod scrape;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;
use time::OffsetDateTime;

use super::schedule::Forecast;
use crate::store::Store;
use crate::x::auth::TokenPlace;
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
    /// Unix time of each monitor's last poll that ended without an error.
    pub last_success: Family<MonitorLabel, Gauge<f64, AtomicU64>>,
    /// Polls of each monitor that failed since its last success; only while
    /// this process polls (see [`Health::set_lease_held`]).
    pub failures_in_a_row: Family<MonitorLabel, Gauge>,
    /// 1 while this process holds the work lease (polls and sends), else 0.
    pub work_lease_held: Gauge,
}

/// Where `/metrics` reads what the daemon does not hold in memory (see
/// `scrape`).
#[derive(Debug, Clone)]
pub struct Sources {
    /// The outbox's and the referrals' backlog.
    pub store: Store,
    /// Where the council account's tokens are kept (the data directory's
    /// token file, or the store shared by replicas): the stored tokens, not
    /// this process's copy, are what every process refreshes, marks refused
    /// and replaces on a new login.
    pub tokens: TokenPlace,
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
    /// Read at each scrape; `None` (benches, tests of the poller alone)
    /// leaves the backlog and token metrics out.
    pub sources: Option<Sources>,
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

    /// A poll of monitor `key` ended without an error.
    pub fn poll_succeeded(&self, key: &str) {
        let label = label(key);
        let now = OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
        self.metrics.last_success.get_or_create(&label).set(now);
        self.metrics.failures_in_a_row.get_or_create(&label).set(0);
    }

    /// A poll of monitor `key` failed, the `failures`th since its last
    /// success (the error itself is counted by [`Health::error`]).
    pub fn poll_failed(&self, key: &str, failures: u32) {
        self.metrics
            .failures_in_a_row
            .get_or_create(&label(key))
            .set(i64::from(failures));
    }

    /// Whether this process holds the work lease now. Without it, it polls
    /// nothing, so its monitors' failure streaks go (a streak left behind
    /// would read as polls still failing here).
    pub fn set_lease_held(&self, held: bool) {
        self.metrics.work_lease_held.set(i64::from(held));
        if !held {
            self.metrics.failures_in_a_row.clear();
        }
    }

    /// The Prometheus text exposition: the metrics kept in memory, then
    /// those read now from the store and the stored tokens (see `scrape`).
    pub async fn render_metrics(&self) -> String {
        let mut registry = Registry::with_prefix("placewatch");
        self.register_kept(&mut registry);
        let paused = self.snapshot.lock().expect("health lock").paused.is_some();
        scrape::register_read_now(&mut registry, self.sources.as_ref(), paused).await;
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)
            .expect("writing to a String");
        out
    }

    /// The metrics the daemon keeps up to date as it works.
    fn register_kept(&self, registry: &mut Registry) {
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
        registry.register(
            "last_successful_poll_timestamp_seconds",
            "Unix time of the monitor's last poll that ended without an error (since this process started)",
            m.last_success.clone(),
        );
        registry.register(
            "poll_consecutive_failures",
            "Polls of the monitor that failed since its last success (only while this process polls it)",
            m.failures_in_a_row.clone(),
        );
        registry.register(
            "work_lease_held",
            "1 while this process holds the work lease (polls X and sends), 0 while another replica does",
            m.work_lease_held.clone(),
        );
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

fn label(key: &str) -> MonitorLabel {
    MonitorLabel {
        monitor: key.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
        text.lines()
            .find(|l| l.rsplit_once(' ').is_some_and(|(s, _)| s == series))
    }

    #[tokio::test]
    async fn a_failure_streak_ends_with_a_success_and_goes_with_the_lease() {
        let health = Health::default();
        let series = "placewatch_poll_consecutive_failures{monitor=\"m\"}";
        health.set_lease_held(true);
        health.poll_failed("m", 1);
        health.poll_failed("m", 2);
        let text = health.render_metrics().await;
        assert_eq!(line(&text, series), Some(&*format!("{series} 2")), "{text}");
        assert_eq!(
            line(&text, "placewatch_work_lease_held"),
            Some("placewatch_work_lease_held 1")
        );

        let before = OffsetDateTime::now_utc().unix_timestamp() as f64;
        health.poll_succeeded("m");
        let text = health.render_metrics().await;
        assert_eq!(line(&text, series), Some(&*format!("{series} 0")), "{text}");
        let polled = line(
            &text,
            "placewatch_last_successful_poll_timestamp_seconds{monitor=\"m\"}",
        )
        .and_then(|l| l.rsplit_once(' '))
        .map(|(_, v)| v.parse::<f64>().unwrap())
        .expect("the success's time");
        assert!(polled >= before && polled < before + 60.0, "{polled}");

        // Another replica polls now: no streak is reported here.
        health.poll_failed("m", 1);
        health.set_lease_held(false);
        let text = health.render_metrics().await;
        assert_eq!(line(&text, series), None, "{text}");
        assert_eq!(
            line(&text, "placewatch_work_lease_held"),
            Some("placewatch_work_lease_held 0")
        );
    }

    #[tokio::test]
    async fn a_pause_is_reported_until_polling_resumes() {
        let health = Health::default();
        health.set_paused(Some("budget spent".into()));
        let text = health.render_metrics().await;
        assert_eq!(
            line(&text, "placewatch_polling_paused"),
            Some("placewatch_polling_paused 1")
        );
        health.set_paused(None);
        let text = health.render_metrics().await;
        assert_eq!(
            line(&text, "placewatch_polling_paused"),
            Some("placewatch_polling_paused 0")
        );
        assert!(
            !text.contains("placewatch_store_up"),
            "no store, no store metrics"
        );
    }
}
