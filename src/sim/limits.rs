//! Rate limits, usage caps, credits and billing, as X applies them.
//!
//! Limits are per endpoint, per app (app-only tokens) or per user (user
//! tokens), in fixed 15-minute windows; `POST /2/tweets` also has 24-hour
//! limits. Post reads are billed per app once per post per UTC day, which is how
//! X deduplicates pay-per-use charges and counts the monthly cap.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::auth::Caller;

const WINDOW_MS: i64 = 15 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The endpoints the simulator limits separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Search,
    CreatePost,
    UsersMe,
    UserPosts,
    UserMentions,
}

/// Requests allowed per window, per app and per user (FACTS.md §4, pay-per-use table).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub per_app: Option<u32>,
    pub per_user: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    pub search: Limit,
    pub create_post: Limit,
    pub users_me: Limit,
    pub user_posts: Limit,
    pub user_mentions: Limit,
    /// 24-hour limits on `POST /2/tweets`.
    pub create_post_app_day: u32,
    pub create_post_user_day: u32,
    /// Monthly post-read cap per app (pay-per-use: 3,000,000).
    pub monthly_post_reads: u64,
    /// Credits in USD; `None` means unlimited, `Some(x)` answers 402 once spent.
    pub credits_usd: Option<f64>,
    /// Answer 429s with the v1.1 `{"errors":[{"code":88,…}]}` body instead of problem details.
    pub legacy_429_body: bool,
}

impl Default for LimitSettings {
    fn default() -> Self {
        let l = |a, u| Limit {
            per_app: a,
            per_user: u,
        };
        LimitSettings {
            search: l(Some(450), Some(300)),
            create_post: l(None, Some(100)),
            users_me: l(None, Some(75)),
            user_posts: l(Some(10_000), Some(900)),
            user_mentions: l(Some(450), Some(300)),
            create_post_app_day: 10_000,
            create_post_user_day: 2_400,
            monthly_post_reads: 3_000_000,
            credits_usd: None,
            legacy_429_body: false,
        }
    }
}

impl LimitSettings {
    fn limit(&self, endpoint: Endpoint) -> Limit {
        match endpoint {
            Endpoint::Search => self.search,
            Endpoint::CreatePost => self.create_post,
            Endpoint::UsersMe => self.users_me,
            Endpoint::UserPosts => self.user_posts,
            Endpoint::UserMentions => self.user_mentions,
        }
    }
}

/// One window's state as sent in headers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowState {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds.
    pub reset: i64,
}

/// The rate-limit headers a response carries.
#[derive(Debug, Clone, Default)]
pub struct RateHeaders {
    pub window: Option<WindowState>,
    pub app_day: Option<WindowState>,
    pub user_day: Option<WindowState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    App(usize),
    User(usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    used: u32,
}

/// Prices used for the billing figures in `/_sim/stats` (pay-per-use, FACTS.md §4).
pub const POST_READ_USD: f64 = 0.005;
pub const OWNED_READ_USD: f64 = 0.001;
pub const USER_READ_USD: f64 = 0.010;
pub const POST_CREATE_USD: f64 = 0.015;
pub const POST_CREATE_URL_USD: f64 = 0.20;
pub const SUMMONED_REPLY_USD: f64 = 0.010;

/// Billing per app.
#[derive(Debug, Default, Clone, Serialize)]
pub struct AppUsage {
    pub posts_served: u64,
    pub posts_served_twice: u64,
    pub billable_post_reads: u64,
    pub billable_owned_reads: u64,
    pub billable_user_reads: u64,
    pub posts_created: u64,
    pub cost_usd: f64,
    #[serde(skip)]
    ever_served: HashSet<u64>,
    #[serde(skip)]
    billed_today: HashSet<(i64, u64)>,
    #[serde(skip)]
    users_billed_today: HashSet<(i64, u64)>,
}

#[derive(Debug, Default)]
pub struct Limits {
    pub settings: LimitSettings,
    windows: HashMap<(Endpoint, Scope, bool), Window>,
    pub usage: HashMap<usize, AppUsage>,
}

/// Why a request was refused before it ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    RateLimited,
    UsageCapped,
    CreditsDepleted,
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Limits {
        Limits {
            settings,
            ..Limits::default()
        }
    }

    /// Counts one request against the caller's windows. On refusal the headers
    /// still describe the windows, as X's do.
    pub fn admit(
        &mut self,
        endpoint: Endpoint,
        caller: &Caller,
        now_ms: i64,
    ) -> (RateHeaders, Option<Refusal>) {
        let limit = self.settings.limit(endpoint);
        let (scope, per_window) = match caller {
            Caller::App { app } => (Scope::App(*app), limit.per_app),
            Caller::User { app, user, .. } => {
                (Scope::User(*app, *user), limit.per_user.or(limit.per_app))
            }
        };
        let mut headers = RateHeaders::default();
        let mut refused = None;
        if let Some(max) = per_window {
            let (state, ok) = self.take(endpoint, scope, false, max, WINDOW_MS, now_ms);
            headers.window = Some(state);
            refused = refused.or((!ok).then_some(Refusal::RateLimited));
        }
        if endpoint == Endpoint::CreatePost {
            let app_max = self.settings.create_post_app_day;
            let (state, ok) = self.take(
                endpoint,
                Scope::App(caller.app()),
                true,
                app_max,
                DAY_MS,
                now_ms,
            );
            headers.app_day = Some(state);
            refused = refused.or((!ok).then_some(Refusal::RateLimited));
            if let Scope::User(..) = scope {
                let user_max = self.settings.create_post_user_day;
                let (state, ok) = self.take(endpoint, scope, true, user_max, DAY_MS, now_ms);
                headers.user_day = Some(state);
                refused = refused.or((!ok).then_some(Refusal::RateLimited));
            }
        }
        if refused.is_none() && is_read(endpoint) {
            refused = self.read_refusal(caller.app());
        }
        (headers, refused)
    }

    fn take(
        &mut self,
        endpoint: Endpoint,
        scope: Scope,
        daily: bool,
        max: u32,
        len_ms: i64,
        now_ms: i64,
    ) -> (WindowState, bool) {
        let window = self
            .windows
            .entry((endpoint, scope, daily))
            .or_insert(Window {
                start_ms: now_ms,
                used: 0,
            });
        if now_ms >= window.start_ms + len_ms {
            *window = Window {
                start_ms: now_ms,
                used: 0,
            };
        }
        let ok = window.used < max;
        if ok {
            window.used += 1;
        }
        let state = WindowState {
            limit: max,
            remaining: max - window.used,
            reset: (window.start_ms + len_ms).div_euclid(1000),
        };
        (state, ok)
    }

    fn read_refusal(&self, app: usize) -> Option<Refusal> {
        let usage = self.usage.get(&app)?;
        let reads = usage.billable_post_reads + usage.billable_owned_reads;
        if reads >= self.settings.monthly_post_reads {
            return Some(Refusal::UsageCapped);
        }
        match self.settings.credits_usd {
            Some(credits) if usage.cost_usd >= credits => Some(Refusal::CreditsDepleted),
            _ => None,
        }
    }

    /// Records posts served to an app: duplicates, daily-deduplicated billing.
    pub fn bill_posts(&mut self, app: usize, ids: &[u64], owned: bool, now_ms: i64) {
        let day = now_ms.div_euclid(DAY_MS);
        let usage = self.usage.entry(app).or_default();
        for &id in ids {
            usage.posts_served += 1;
            if !usage.ever_served.insert(id) {
                usage.posts_served_twice += 1;
            }
            if usage.billed_today.insert((day, id)) {
                if owned {
                    usage.billable_owned_reads += 1;
                    usage.cost_usd += OWNED_READ_USD;
                } else {
                    usage.billable_post_reads += 1;
                    usage.cost_usd += POST_READ_USD;
                }
            }
        }
    }

    pub fn bill_users(&mut self, app: usize, ids: &[u64], now_ms: i64) {
        let day = now_ms.div_euclid(DAY_MS);
        let usage = self.usage.entry(app).or_default();
        for &id in ids {
            if usage.users_billed_today.insert((day, id)) {
                usage.billable_user_reads += 1;
                usage.cost_usd += USER_READ_USD;
            }
        }
    }

    pub fn bill_create(&mut self, app: usize, has_url: bool, summoned: bool) {
        let usage = self.usage.entry(app).or_default();
        usage.posts_created += 1;
        usage.cost_usd += if has_url {
            POST_CREATE_URL_USD
        } else if summoned {
            SUMMONED_REPLY_USD
        } else {
            POST_CREATE_USD
        };
    }

    /// Forgets every window (for tests that change limits mid-run).
    pub fn reset_windows(&mut self) {
        self.windows.clear();
    }
}

fn is_read(endpoint: Endpoint) -> bool {
    !matches!(endpoint, Endpoint::CreatePost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_down_and_resets() {
        let mut l = Limits::new(LimitSettings {
            search: Limit {
                per_app: Some(2),
                per_user: Some(1),
            },
            ..LimitSettings::default()
        });
        let app = Caller::App { app: 0 };
        let (h, r) = l.admit(Endpoint::Search, &app, 0);
        assert_eq!(h.window.unwrap().remaining, 1);
        assert!(r.is_none());
        l.admit(Endpoint::Search, &app, 1);
        let (h, r) = l.admit(Endpoint::Search, &app, 2);
        assert_eq!(r, Some(Refusal::RateLimited));
        assert_eq!(h.window.unwrap().reset, 900);
        let (_, r) = l.admit(Endpoint::Search, &app, WINDOW_MS);
        assert!(r.is_none());
    }

    #[test]
    fn billing_deduplicates_per_day_and_counts_repeats() {
        let mut l = Limits::default();
        l.bill_posts(0, &[1, 2], false, 0);
        l.bill_posts(0, &[2], false, 10);
        l.bill_posts(0, &[2], false, DAY_MS);
        let u = &l.usage[&0];
        assert_eq!(u.posts_served, 4);
        assert_eq!(u.posts_served_twice, 2);
        assert_eq!(u.billable_post_reads, 3);
    }

    #[test]
    fn usage_cap_refuses_reads_with_healthy_windows() {
        let mut l = Limits::new(LimitSettings {
            monthly_post_reads: 2,
            ..LimitSettings::default()
        });
        l.bill_posts(0, &[1, 2], false, 0);
        let (h, r) = l.admit(Endpoint::Search, &Caller::App { app: 0 }, 0);
        assert_eq!(r, Some(Refusal::UsageCapped));
        assert!(h.window.unwrap().remaining > 0);
    }
}
