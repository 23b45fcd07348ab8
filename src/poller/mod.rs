//! The monitoring daemon: `run_until_stopped` (schedule, backoff, rate-limit
//! waits, budget pauses, shutdown) around `poll_once` (fetch a monitor's new
//! posts page by page, tag them, and store each page's posts, items and the
//! cursor's move in one transaction).
//!
//! X's polling rule: `since_id` is the first page's `newest_id` of the previous
//! cycle, the same `since_id` is kept through the `next_token` pages, and the
//! `since_id` checkpoint moves only when the cycle's last page is stored. A
//! monitor without a checkpoint backfills the configured window with
//! `start_time` (recomputed from now when a cycle starts or resumes).
//!
//! Each page commits as it arrives, with a resume point in the cursor row:
//! the cycle's first page's `newest_id` (`pending_newest_id`) and the oldest
//! post id stored so far (`pending_until_id`). A cycle cut short (a crash,
//! SIGKILL, shutdown between pages, an error, the month's budget) stays
//! pending; the next poll resumes it with the same `since_id` (or
//! `start_time`) and `until_id = pending_until_id`, so X sends only what is
//! older than what is stored. When the resumed cycle's last page is stored,
//! `since_id` becomes `pending_newest_id` and the pending columns are cleared.
//!
//! Each page commits as soon as it is tagged, in the poll's own task, while
//! the next page (asked for as soon as its `next_token` is known) is fetched,
//! decoded and spooled in a task of its own: X prepares the next page while
//! this one is stored. `pages` is where a poll's pages come from: the spool's
//! first, then X's, asked for ahead, within the budget, and never a
//! `next_token` twice. Each page is written to the spool (`spool`) as it
//! arrives, so a crash (SIGKILL) loses neither of the up to
//! [`PAGES_IN_FLIGHT`] pages read and not committed: the next poll stores
//! them first, and only the page on the wire is read again. A shutdown or
//! an error between pages leaves the page on its way unread (its task is
//! aborted). Posts that arrive meanwhile are newer than `pending_newest_id`
//! and come with the next cycle. Items are keyed by post id and merging is
//! idempotent, so a page read twice never duplicates an item.

pub mod health;
mod pages;
pub mod plan;
pub mod report;
pub mod schedule;
pub mod spool;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;
use tracing::{info, instrument, warn};

use self::health::{ErrorLabel, Health, MonitorLabel};
use self::pages::{Pages, ReadPage};
use self::plan::Monitor;
use self::schedule::{Forecast, Inputs, ReadLedger, forecast, next_interval};
use self::spool::Spool;
use crate::config::Config;
use crate::domain::ingest::{CursorMove, CycleState, PageBatch, Tagger};
use crate::domain::query::PackError;
use crate::domain::triage::{Council, RuleError};
use crate::store::{Store, StoreError};
use crate::x::auth::TokenPlace;
use crate::x::ratelimit::RateLimits;
use crate::x::{Client, XError};

/// How the daemon polls.
#[derive(Debug, Clone)]
pub struct Settings {
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub backfill: Duration,
    pub monthly_post_reads: Option<u64>,
    pub warn_at_percent: u8,
    /// Where to write the status snapshot after each cycle, if anywhere.
    pub status_file: Option<std::path::PathBuf>,
}

impl Settings {
    /// The config's polling settings for `monitors`: the interval's floor
    /// is what X's search rate limit allows them unless the config sets one
    /// ([`schedule::min_interval`]).
    pub fn from_config(config: &Config, monitors: &[Monitor]) -> Settings {
        Settings {
            min_interval: schedule::min_interval(
                config.monitor.min_interval,
                config.monitor.max_interval,
                plan::searches(monitors),
            ),
            max_interval: config.monitor.max_interval,
            backfill: Duration::from_secs(u64::from(config.monitor.backfill_days) * 86_400),
            monthly_post_reads: config.budget.monthly_read_cap(),
            warn_at_percent: config.budget.warn_at_percent,
            status_file: Some(config.data.dir.join(health::STATUS_FILE)),
        }
    }
}

/// Why a poller could not be built from its config.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("packing the place names into queries: {0}")]
    Plan(#[from] PackError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("opening the page spool in {}: {source}", .dir.display())]
    Spool {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Posts per page the poller asks X for (its maximum).
pub const PAGE_SIZE: u8 = 100;

/// Pages of a monitor read but not yet committed, at most: the page being
/// stored and the next, already asked for. Both are in the spool once read.
pub const PAGES_IN_FLIGHT: u64 = 2;

/// What one cycle (or the part of it this run did) did.
#[derive(Debug, Clone, Default)]
pub struct PollOutcome {
    /// Pages stored (read from X, or from the spool).
    pub pages: usize,
    /// Whether it resumed a cycle an earlier run left unfinished.
    pub resumed: bool,
    /// Whether the cycle's last page was stored (else the cycle is pending).
    pub completed: bool,
    pub posts_read: u64,
    pub new_items: usize,
    /// The last rate limits X reported.
    pub limits: RateLimits,
    /// The monitor's `since_id` after this poll.
    pub since_id: Option<u64>,
}

impl PollOutcome {
    fn new(cycle: &CycleState, replays: bool) -> PollOutcome {
        PollOutcome {
            resumed: cycle.resumed() || replays,
            since_id: cycle.since_id,
            ..PollOutcome::default()
        }
    }

    /// Counts a stored page: `batch`, read as `read`, created `new_items`.
    fn add(&mut self, read: &ReadPage, batch: &PageBatch, new_items: usize) {
        self.pages += 1;
        self.posts_read += batch.reads;
        self.new_items += new_items;
        // Replayed pages carry no rate limits (X reported them to an earlier run).
        if read.page.limits != RateLimits::default() {
            self.limits = read.page.limits;
        }
        if let CursorMove::Complete { since_id } = batch.cursor {
            self.completed = true;
            self.since_id = since_id.or(self.since_id);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    X(#[from] XError),
    #[error("storing the cycle failed: {0}")]
    Store(#[from] StoreError),
    #[error("the monthly post-read budget is spent ({used} of {limit})")]
    BudgetSpent { used: u64, limit: u64 },
    #[error("reading the page spool failed: {0}")]
    Spool(std::io::Error),
}

impl PollError {
    /// The error and its causes, each once: "storing the cycle failed:
    /// database error: error returned from database: …".
    pub fn with_causes(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(e) = cause {
            let text = e.to_string();
            if !out.ends_with(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            cause = e.source();
        }
        out
    }

    /// Every [`PollError::kind`]: `placewatch_errors_total` starts each at
    /// 0, so a rate over it means something before the first error.
    pub const KINDS: [&'static str; 10] = [
        "rate_limited",
        "usage_cap",
        "credits",
        "transport",
        "server",
        "decode",
        "auth",
        "api",
        "store",
        "budget",
    ];

    fn kind(&self) -> &'static str {
        match self {
            PollError::X(XError::RateLimited { .. }) => "rate_limited",
            PollError::X(XError::UsageCapExceeded { .. }) => "usage_cap",
            PollError::X(XError::CreditsDepleted { .. }) => "credits",
            PollError::X(XError::Transport(_)) => "transport",
            PollError::X(XError::Server { .. }) => "server",
            PollError::X(XError::Decode { .. }) => "decode",
            PollError::X(XError::Unauthorized { .. } | XError::Auth(_)) => "auth",
            PollError::X(_) => "api",
            PollError::Store(_) | PollError::Spool(_) => "store",
            PollError::BudgetSpent { .. } => "budget",
        }
    }
}

/// Everything a cycle needs.
#[derive(Clone)]
pub struct Poller {
    pub client: Client,
    pub store: Store,
    pub tagger: std::sync::Arc<Tagger>,
    pub monitors: Vec<Monitor>,
    pub settings: Settings,
    pub health: Health,
    /// Where pages wait between being read and being stored; `None`: not
    /// spooled (a crash then re-reads the pages in flight).
    pub spool: Option<Spool>,
    /// The month's reads, granted page by page to every monitor's cycles.
    pub reads: Arc<Mutex<ReadLedger>>,
}

/// The read ledger, even if a thread panicked holding it (its counts stay
/// whole: every change is one arithmetic step).
fn lock(reads: &Mutex<ReadLedger>) -> std::sync::MutexGuard<'_, ReadLedger> {
    reads
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// This month as `YYYY-MM` and the fraction of it gone.
pub fn month_progress(now: OffsetDateTime) -> (String, f64) {
    let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let days = f64::from(now.month().length(now.year()));
    let elapsed = (f64::from(now.day()) - 1.0
        + f64::from(now.hour()) / 24.0
        + f64::from(now.minute()) / 1440.0)
        / days;
    (month, elapsed)
}

impl Poller {
    /// The poller of `config` for `council`, as `placewatch run` builds it
    /// (the tests and the benches too, changing a setting or two after):
    /// its monitors planned, its tagger, its settings, and the page spool in
    /// the data directory, rid of the pages of queries no longer configured.
    pub fn new(
        client: Client,
        store: Store,
        config: &Config,
        council: &Council,
    ) -> Result<Poller, SetupError> {
        let monitors = plan::plan(config, council)?;
        for m in &monitors {
            info!(monitor = %m.key, places = m.places.len(), "monitor planned");
        }
        let tagger = Tagger::from_config(config, council)?;
        let dir = &config.data.dir;
        let spool_error = |source| SetupError::Spool {
            dir: dir.clone(),
            source,
        };
        let spool = Spool::open(dir).map_err(spool_error)?;
        let keys: Vec<&str> = monitors.iter().map(|m| m.key.as_str()).collect();
        let dropped = spool.retain(&keys).map_err(spool_error)?;
        if dropped > 0 {
            info!(
                monitors = dropped,
                "dropped the spooled pages of queries no longer configured"
            );
        }
        let health = Health {
            sources: Some(health::Sources {
                store: store.clone(),
                tokens: TokenPlace::of(&config.data.dir, &store),
            }),
            ..Health::default()
        };
        for kind in PollError::KINDS {
            let _created = health.metrics.errors.get_or_create(&ErrorLabel {
                kind: kind.to_owned(),
            });
        }
        Ok(Poller {
            client,
            store,
            tagger: Arc::new(tagger),
            settings: Settings::from_config(config, &monitors),
            monitors,
            health,
            spool: Some(spool),
            reads: Default::default(),
        })
    }

    /// The month's budget forecast from the store.
    pub async fn forecast(&self) -> Result<Forecast, StoreError> {
        let (month, elapsed) = month_progress(OffsetDateTime::now_utc());
        let usage = self.store.usage(&month).await?;
        let used = {
            let mut reads = self.ledger();
            reads.sync(&month, usage.post_reads + usage.owned_reads);
            reads.used()
        };
        let f = forecast(
            used,
            self.settings.monthly_post_reads,
            elapsed,
            self.settings.warn_at_percent,
        );
        self.health.set_forecast(f);
        Ok(f)
    }

    /// Polls `monitor` once: from its cursor, asks X for its new posts,
    /// fetches them page by page, tags each page and records it with the
    /// cursor's move in one transaction, until the cycle's last page (see
    /// the module docs for the rule, and `pages` for where pages come from).
    /// If `shutdown` fires, it stops between pages: the cycle stays pending
    /// and the next poll resumes it.
    #[instrument(skip_all, fields(monitor = %monitor.key))]
    pub async fn poll_once(
        &self,
        monitor: &Monitor,
        shutdown: &CancellationToken,
    ) -> Result<PollOutcome, PollError> {
        let cursor = self.store.cursor(&monitor.key).await?;
        let mut cycle = CycleState::from_cursor(cursor.as_ref());
        let mut pages = Pages::new(self, monitor, cursor.as_ref())?;
        let mut outcome = PollOutcome::new(&cycle, pages.replays());
        let stopped = loop {
            let page = match pages.next(&cycle, shutdown).await {
                Ok(Some(page)) => page,
                Ok(None) => break None,
                Err(e) => break Some(e),
            };
            let batch = self.tag(monitor, &mut cycle, &page);
            match self.store.record_pages(&batch).await {
                Ok(stored) => outcome.add(&page, &batch, stored.new_items.len()),
                Err(e) => break Some(e.into()),
            }
            pages.stored(&page);
            if outcome.completed {
                break None;
            }
        };
        self.record_poll(monitor, &outcome);
        stopped.map_or(Ok(outcome), Err)
    }

    /// A page of `monitor`'s cycle tagged, as the store records it: with the
    /// cursor's move it makes (pending while more pages follow).
    fn tag(&self, monitor: &Monitor, cycle: &mut CycleState, read: &ReadPage) -> PageBatch {
        let page = &read.page;
        let oldest = page.meta.oldest_id.as_deref().and_then(|s| s.parse().ok());
        let cursor = cycle.page(page.newest_id(), oldest, read.more);
        let tagged = self
            .tagger
            .tag_page(&page.posts, &page.authors, &page.referenced);
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        monitor.batch(tagged, cursor, at, read.spooled)
    }

    /// The backfill's `start_time`: the configured window back from now.
    fn backfill_start(&self) -> String {
        // A little inside X's 7-day window, so the request is never refused.
        let from = OffsetDateTime::now_utc() - self.settings.backfill + Duration::from_secs(60);
        from.replace_nanosecond(0)
            .unwrap_or(from)
            .format(&Rfc3339)
            .unwrap_or_default()
    }

    /// The month's read ledger.
    fn ledger(&self) -> std::sync::MutexGuard<'_, ReadLedger> {
        lock(&self.reads)
    }

    /// Reads for one more page (its `max_results`), if the budget has room.
    fn grant(&self) -> Option<u64> {
        self.ledger()
            .grant(self.settings.monthly_post_reads, u64::from(PAGE_SIZE))
    }

    /// Counts what a poll stored in the metrics and the health snapshot:
    /// its reads and items whatever became of the cycle, and the poll
    /// itself (`placewatch_polls_total`) only when the cycle completed.
    fn record_poll(&self, monitor: &Monitor, outcome: &PollOutcome) {
        if outcome.pages == 0 {
            return;
        }
        let label = MonitorLabel {
            monitor: monitor.key.clone(),
        };
        let m = &self.health.metrics;
        let reads = outcome.posts_read;
        if outcome.completed {
            m.polls.get_or_create(&label).inc();
        }
        m.posts_read.get_or_create(&label).inc_by(reads);
        m.new_items.inc_by(outcome.new_items as u64);
        let limits = outcome.limits;
        if let Some(w) = limits.window {
            m.rate_limit_remaining
                .get_or_create(&label)
                .set(w.remaining as i64);
        }
        let now = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        self.health.update(&monitor.key, |s| {
            s.last_poll = Some(now);
            s.posts_read += reads;
            s.since_id = outcome.since_id;
            s.last_error = None;
            s.limits = Some(limits);
        });
        if reads > 0 {
            info!(
                monitor = %monitor.key,
                pages = outcome.pages,
                reads,
                new_items = outcome.new_items,
                resumed = outcome.resumed,
                completed = outcome.completed,
                "poll cycle stored"
            );
        }
    }

    /// Polls every monitor on its own schedule until `shutdown` fires. A cycle
    /// in flight finishes its transaction first.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        let tracker = tokio_util::task::TaskTracker::new();
        for (i, monitor) in self.monitors.iter().cloned().enumerate() {
            let poller = self.clone();
            let shutdown = shutdown.clone();
            // Stagger the first polls so monitors do not burst together.
            let offset = Duration::from_millis(250 * i as u64);
            tracker.spawn(async move { poller.run_monitor(monitor, offset, shutdown).await });
        }
        tracker.close();
        tracker.wait().await;
        info!("poller stopped");
    }

    async fn run_monitor(
        &self,
        monitor: Monitor,
        first_wait: Duration,
        shutdown: CancellationToken,
    ) {
        let mut wait = first_wait;
        let mut failures = 0u32;
        let mut pages_per_cycle = 1.0f64;
        loop {
            let next = OffsetDateTime::now_utc() + wait;
            self.health
                .update(&monitor.key, |s| s.next_poll = next.format(&Rfc3339).ok());
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
            let result = self.poll_once(&monitor, &shutdown).await;
            wait = match result {
                Ok(outcome) => {
                    failures = 0;
                    self.health.poll_succeeded(&monitor.key);
                    self.health.set_paused(None);
                    pages_per_cycle = 0.8 * pages_per_cycle + 0.2 * outcome.pages.max(1) as f64;
                    self.interval(&outcome.limits, pages_per_cycle).await
                }
                Err(e) => {
                    failures += 1;
                    self.health.poll_failed(&monitor.key, failures);
                    self.after_error(&monitor, e, failures).await
                }
            };
            let next = OffsetDateTime::now_utc() + wait;
            self.health
                .update(&monitor.key, |s| s.next_poll = next.format(&Rfc3339).ok());
            if let Some(path) = &self.settings.status_file {
                self.health.persist(path);
            }
        }
    }

    async fn interval(&self, limits: &RateLimits, pages_per_cycle: f64) -> Duration {
        let forecast = match self.forecast().await {
            Ok(f) => f,
            Err(_) => forecast(0, None, 0.5, 100),
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        next_interval(&Inputs {
            min: self.settings.min_interval,
            max: self.settings.max_interval,
            monitors: self.monitors.len(),
            window_limit: limits.window.map(|w| w.limit),
            remaining: limits.window.map(|w| {
                (
                    w.remaining,
                    Duration::from_secs((w.reset - now).max(0) as u64 + 1),
                )
            }),
            requests_per_cycle: pages_per_cycle,
            forecast,
        })
    }

    /// Logs and records an error once, and says how long to wait.
    async fn after_error(&self, monitor: &Monitor, e: PollError, failures: u32) -> Duration {
        let message = e.with_causes();
        self.health.error(&monitor.key, e.kind(), message.clone());
        let _ = self
            .store
            .record_event("warn", e.kind(), &format!("{}: {message}", monitor.key))
            .await;
        let backoff = schedule::backoff(
            failures,
            Duration::from_secs(2),
            self.settings.max_interval,
            rand::random(),
        );
        match e {
            PollError::X(XError::RateLimited { reset_at, .. }) => {
                let now = OffsetDateTime::now_utc().unix_timestamp();
                let until = reset_at.map_or(60, |r| (r - now).max(0) as u64 + 1);
                warn!(monitor = %monitor.key, wait_secs = until, "rate limited; waiting for the reset");
                Duration::from_secs(until)
            }
            PollError::X(XError::UsageCapExceeded { .. } | XError::CreditsDepleted { .. })
            | PollError::BudgetSpent { .. } => {
                warn!(monitor = %monitor.key, error = %message, "polling paused");
                self.health.set_paused(Some(message));
                Duration::from_secs(3600)
            }
            _ => {
                warn!(monitor = %monitor.key, error = %message, failures, "poll failed; backing off");
                backoff
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_is_one_the_metrics_start_at_zero() {
        let errors = [
            PollError::BudgetSpent {
                used: 10,
                limit: 10,
            },
            PollError::Spool(std::io::Error::other("disk full")),
            PollError::Store(StoreError::Corrupt("a bad row".into())),
            PollError::X(XError::Server {
                status: 503,
                detail: "over capacity".into(),
            }),
        ];
        for e in errors {
            assert!(PollError::KINDS.contains(&e.kind()), "{}", e.kind());
        }
        let mut kinds = PollError::KINDS.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), PollError::KINDS.len(), "each kind once");
    }
}
