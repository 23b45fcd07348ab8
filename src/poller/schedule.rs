//! When to poll next, and whether the month's budget allows it: pure arithmetic
//! over what the last responses and the store said, so it is tested directly.
//!
//! Each monitor gets an even share of the 15-minute rate-limit window; the
//! interval is the window divided by the cycles that share allows, never below
//! `min_interval` nor above `max_interval`. The monthly post-read budget is
//! forecast linearly from what the month has used so far; when the forecast
//! exceeds the budget, polling slows in proportion, a warning is raised at the
//! configured percentage, and polling stops when the budget is spent: every
//! page is granted its size from what is left before it is asked for
//! ([`ReadLedger`]), so the budget is never passed.

use std::time::Duration;

use serde::Serialize;

/// X's rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The month's post reads against the budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Forecast {
    pub used: u64,
    pub limit: Option<u64>,
    /// Reads projected for the whole month at the pace so far.
    pub projected: u64,
    /// `used` as a percentage of `limit`.
    pub percent_used: Option<f64>,
    /// At or above the warning threshold.
    pub warn: bool,
    /// Nothing left to spend: polling must pause until the next month.
    pub exhausted: bool,
}

/// Forecasts the month. `elapsed` is the fraction of the month gone (0..=1).
pub fn forecast(used: u64, limit: Option<u64>, elapsed: f64, warn_at_percent: u8) -> Forecast {
    let elapsed = elapsed.clamp(1e-3, 1.0);
    let projected = (used as f64 / elapsed).round() as u64;
    let percent_used = limit.map(|l| {
        if l == 0 {
            100.0
        } else {
            used as f64 * 100.0 / l as f64
        }
    });
    Forecast {
        used,
        limit,
        projected,
        percent_used,
        warn: percent_used.is_some_and(|p| p >= f64::from(warn_at_percent)),
        exhausted: limit.is_some_and(|l| used >= l),
    }
}

/// X's smallest page: `max_results` below 10 is refused.
pub const MIN_PAGE: u64 = 10;

/// The month's post reads this process has asked X for, shared by every
/// monitor's cycle, so that cycles running at once never ask for more posts
/// than the budget has left. Each page is granted its `max_results` before
/// it is asked for, and what it came back without is returned when it
/// arrives, so the ledger never counts fewer reads than X will bill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadLedger {
    month: String,
    /// Reads stored before this process's first grant of the month (or by
    /// another process since: the CLI reads too).
    stored_before: u64,
    /// Reads granted since: pages asked for, less what they came back without.
    granted: u64,
}

impl ReadLedger {
    /// Brings the ledger up to date with the store, which has `stored` reads
    /// for `month` (`YYYY-MM`); a new month starts afresh.
    pub fn sync(&mut self, month: &str, stored: u64) {
        if self.month != month {
            *self = ReadLedger {
                month: month.to_owned(),
                stored_before: stored,
                granted: 0,
            };
        } else {
            // Grants this process stored are in `stored` too; reads another
            // process stored are not in `granted`.
            self.stored_before = self.stored_before.max(stored.saturating_sub(self.granted));
        }
    }

    /// Reads counted for the month: stored, plus granted to pages in flight.
    pub fn used(&self) -> u64 {
        self.stored_before + self.granted
    }

    /// Grants a page up to `page` reads within `limit`: its `max_results`,
    /// or `None` when fewer than [`MIN_PAGE`] are left.
    pub fn grant(&mut self, limit: Option<u64>, page: u64) -> Option<u64> {
        let n = match limit {
            Some(limit) => limit.saturating_sub(self.used()).min(page),
            None => page,
        };
        if n < MIN_PAGE {
            return None;
        }
        self.granted += n;
        Some(n)
    }

    /// A page granted `granted` reads came back with `read` posts: the rest
    /// is free again. (A page that failed is not settled: X may have
    /// served it.)
    pub fn settle(&mut self, granted: u64, read: u64) {
        self.granted -= granted.saturating_sub(read).min(self.granted);
    }
}

/// What the interval is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs {
    pub min: Duration,
    pub max: Duration,
    /// Monitors sharing the endpoint's window.
    pub monitors: usize,
    /// The endpoint's limit per window (from `x-rate-limit-limit`), if known.
    pub window_limit: Option<u64>,
    /// Remaining in the current window and time until it resets, if known.
    pub remaining: Option<(u64, Duration)>,
    /// Average requests (pages) per cycle of this monitor.
    pub requests_per_cycle: f64,
    pub forecast: Forecast,
}

/// Recent search's limit per app (x-api/FACTS.md §4, the pay-per-use
/// table): requests per 15-minute [`WINDOW`].
pub const SEARCH_REQUESTS_PER_WINDOW: u64 = 450;

/// Room for cycles of more than one page (a burst, a resumed backfill) when
/// the interval is derived from the limit.
const PAGES_HEADROOM: f64 = 2.5;

/// The shortest interval recent search's rate limit allows `searches`
/// monitors sharing the app's window, with room for cycles of a few pages:
/// 10 s for two searches, never under 5 s. The mentions timeline has an
/// endpoint (and a larger limit) of its own, so it is not counted.
pub fn rate_limited_interval(searches: usize) -> Duration {
    let share = searches.max(1) as f64 * PAGES_HEADROOM / SEARCH_REQUESTS_PER_WINDOW as f64;
    WINDOW.mul_f64(share).max(Duration::from_secs(5))
}

/// The shortest interval between polls: the configured one, else what the
/// rate limit allows `searches` search monitors (never over `max`).
pub fn min_interval(configured: Option<Duration>, max: Duration, searches: usize) -> Duration {
    configured.unwrap_or_else(|| rate_limited_interval(searches).min(max))
}

/// The pause before this monitor's next cycle.
pub fn next_interval(i: &Inputs) -> Duration {
    let per_cycle = i.requests_per_cycle.max(1.0);
    let mut interval = match i.window_limit {
        Some(limit) if limit > 0 => {
            let share = limit as f64 / i.monitors.max(1) as f64;
            WINDOW.mul_f64(per_cycle / share)
        }
        _ => i.min,
    };
    if let (Some(limit), Some(projected)) = (i.forecast.limit, Some(i.forecast.projected))
        && projected > limit
        && limit > 0
    {
        interval = interval.max(i.min).mul_f64(projected as f64 / limit as f64);
    }
    let mut interval = interval.clamp(i.min, i.max.max(i.min));
    // Not enough left in this window for a cycle: wait for the reset.
    if let Some((remaining, reset_in)) = i.remaining
        && (remaining as f64) < per_cycle
    {
        interval = interval.max(reset_in);
    }
    interval
}

/// Exponential backoff with full jitter for failed cycles: up to `base * 2^failures`, capped.
pub fn backoff(failures: u32, base: Duration, cap: Duration, unit_random: f64) -> Duration {
    let ceiling = base.saturating_mul(1 << failures.min(16)).min(cap);
    ceiling
        .mul_f64(unit_random.clamp(0.0, 1.0))
        .max(base.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_the_rate_limit_allows_grows_with_the_searches() {
        assert_eq!(rate_limited_interval(2), Duration::from_secs(10));
        assert_eq!(rate_limited_interval(4), Duration::from_secs(20));
        assert_eq!(rate_limited_interval(1), Duration::from_secs(5));
        assert_eq!(rate_limited_interval(0), Duration::from_secs(5));
    }

    fn inputs() -> Inputs {
        Inputs {
            min: Duration::from_secs(60),
            max: Duration::from_secs(900),
            monitors: 2,
            window_limit: Some(450),
            remaining: Some((400, Duration::from_secs(300))),
            requests_per_cycle: 1.0,
            forecast: forecast(0, None, 0.5, 80),
        }
    }

    #[test]
    fn a_generous_window_polls_at_the_minimum() {
        assert_eq!(next_interval(&inputs()), Duration::from_secs(60));
    }

    #[test]
    fn a_small_window_spreads_cycles_evenly() {
        // 15 requests per window shared by 3 monitors at 2 pages a cycle:
        // each may run 2.5 cycles a window, so one every 6 minutes.
        let i = Inputs {
            monitors: 3,
            window_limit: Some(15),
            requests_per_cycle: 2.0,
            ..inputs()
        };
        assert_eq!(next_interval(&i), Duration::from_secs(360));
    }

    #[test]
    fn an_empty_window_waits_for_the_reset_even_past_max() {
        let i = Inputs {
            remaining: Some((0, Duration::from_secs(1200))),
            ..inputs()
        };
        assert_eq!(next_interval(&i), Duration::from_secs(1200));
    }

    #[test]
    fn overspending_slows_down_in_proportion() {
        // Half the month gone, 60% used: projected 120% of the budget.
        let i = Inputs {
            forecast: forecast(600, Some(1000), 0.5, 80),
            ..inputs()
        };
        assert_eq!(next_interval(&i), Duration::from_secs(72));
    }

    #[test]
    fn forecast_warns_and_exhausts() {
        let f = forecast(800, Some(1000), 0.5, 80);
        assert!(f.warn && !f.exhausted);
        assert_eq!(f.projected, 1600);
        assert!(forecast(1000, Some(1000), 0.9, 80).exhausted);
        assert!(!forecast(10, None, 0.1, 80).warn);
    }

    #[test]
    fn the_ledger_grants_pages_within_the_budget_across_cycles() {
        let mut l = ReadLedger::default();
        l.sync("2026-11", 780);
        // Two cycles at once: each page is granted from what is left.
        assert_eq!(l.grant(Some(1000), 100), Some(100));
        assert_eq!(l.grant(Some(1000), 100), Some(100));
        assert_eq!(l.grant(Some(1000), 100), Some(20), "the last 20");
        assert_eq!(l.grant(Some(1000), 100), None);
        // A page came back with 37 posts: 63 are free again.
        l.settle(100, 37);
        assert_eq!(l.used(), 937);
        assert_eq!(l.grant(Some(1000), 100), Some(63));
        assert_eq!(l.grant(Some(1000), 100), None);
        // Fewer than X's smallest page left: nothing.
        l.settle(63, 55);
        assert_eq!(l.used(), 992);
        assert_eq!(l.grant(Some(1000), 100), None, "8 left, below 10");
        // The store caught up with what was granted: no change; another
        // process read 5 more: counted.
        l.sync("2026-11", 992);
        assert_eq!(l.used(), 992);
        l.sync("2026-11", 997);
        assert_eq!(l.used(), 997);
        // A new month starts from the store.
        l.sync("2026-12", 0);
        assert_eq!(l.grant(Some(1000), 100), Some(100));
        assert_eq!(l.grant(None, 100), Some(100), "no budget");
    }

    #[test]
    fn backoff_grows_and_caps() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        assert_eq!(backoff(0, base, cap, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(3, base, cap, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(30, base, cap, 1.0), cap);
        assert_eq!(backoff(30, base, cap, 0.0), base);
    }
}
