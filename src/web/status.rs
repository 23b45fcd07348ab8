//! The status page: the council account and its token (and how to fix it),
//! the month's reads and what they and the replies cost against the budget
//! with the forecast, each query under its place names with its last and
//! next poll and rate limit, item counts and recent errors — the same report
//! as `placewatch status`, written for people: counts with thousands
//! separators, money in dollars, times relative and as clock times (in UTC
//! here; desk.js shows them in the browser's time zone and keeps them
//! current).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use time::OffsetDateTime;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, When, due, html, when, when_at};
use crate::domain::figures::{thousands, usd, usd_price};
use crate::domain::triage::Status;
use crate::poller::report::{MonitorReport, SpendLine, StatusReport};

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    chrome: Chrome,
    report: StatusReport,
    /// "December 2026".
    month: String,
    token_expires: Option<When>,
    monitors: Vec<MonitorView>,
    spend: Vec<SpendRow>,
    spend_total: String,
    spend_forecast: String,
    /// The post-read cap and where the month stands against it.
    reads: String,
    /// The money cap, if one is set, and where the month stands against it.
    money_cap: Option<String>,
    prices: String,
    items: Vec<ItemCount>,
    items_total: String,
    events: Vec<EventView>,
    referrals: ReferralsView,
    channels: ChannelsView,
    lease: LeaseView,
}

/// Which replica polls X and sends (the work lease, see `replica`).
struct LeaseView {
    /// This process, as the lease names its holder.
    me: String,
    holder: Option<LeaseHolder>,
    /// How soon a running replica takes over from a dead holder.
    takeover_secs: u64,
}

struct LeaseHolder {
    process: String,
    /// This process holds it.
    mine: bool,
    /// It has not expired.
    live: bool,
    term: i64,
    since: When,
    renewed: When,
}

impl LeaseView {
    async fn gather(desk: &Desk, now: OffsetDateTime) -> Result<LeaseView, WebError> {
        let me = crate::replica::Identity::of_this_process(&desk.config.data.dir);
        let at = |ms: i64| {
            let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap_or(now);
            when_at(at, now, true)
        };
        let holder = desk
            .store
            .lease(crate::replica::WORK)
            .await?
            .map(|(held, db_now)| LeaseHolder {
                mine: held.process == me.process,
                live: held.expires_at_ms > db_now,
                term: held.term,
                since: at(held.acquired_at_ms),
                renewed: at(held.renewed_at_ms),
                process: held.process,
            });
        Ok(LeaseView {
            me: me.process,
            holder,
            // Rounded up: "within 3 s" must not promise less than 3.6 s.
            takeover_secs: desk
                .config
                .store
                .lease
                .takeover_within()
                .as_secs_f64()
                .ceil() as u64,
        })
    }
}

/// The referral emails: where they go from, and any that need a person.
struct ReferralsView {
    /// `host:port` of `[mail]`, `None` when email is not configured.
    server: Option<String>,
    /// "3 waiting · 120 sent · 1 failed".
    tally: String,
    failed: Vec<crate::store::Referral>,
}

impl ReferralsView {
    async fn gather(desk: &Desk) -> Result<ReferralsView, WebError> {
        let counts = desk.store.referral_counts().await?;
        let failed = desk
            .store
            .referrals_in_state(crate::domain::referral::ReferralState::Failed, 20)
            .await?;
        let waiting = counts.queued + counts.sending;
        Ok(ReferralsView {
            server: desk
                .config
                .mail
                .as_ref()
                .map(|m| format!("{}:{}", m.smtp_host, m.smtp_port)),
            tally: format!(
                "{} waiting · {} sent · {} failed",
                thousands(waiting),
                thousands(counts.sent),
                thousands(counts.failed)
            ),
            failed,
        })
    }
}

/// The channel outbox: messages to teams' Microsoft Teams and Slack channels.
struct ChannelsView {
    queued: String,
    failed: String,
    sent: String,
    /// The newest error: "Slack, team Streets: HTTP 400: invalid_blocks".
    last_error: Option<(Option<When>, String)>,
}

impl ChannelsView {
    fn new(outbox: &crate::store::ChannelOutbox, now: OffsetDateTime) -> ChannelsView {
        ChannelsView {
            queued: thousands(outbox.queued),
            failed: thousands(outbox.failed),
            sent: thousands(outbox.sent),
            last_error: outbox.last_error.as_ref().map(|m| {
                let state = if m.state == "failed" {
                    "failed"
                } else {
                    "will retry"
                };
                (
                    when(&m.created_at, now, false),
                    format!(
                        "{}, team {} ({}, {state}): {}",
                        m.channel.label(),
                        m.team,
                        m.about,
                        m.last_error.as_deref().unwrap_or("")
                    ),
                )
            }),
        }
    }
}

/// A monitor as the page shows it.
struct MonitorView {
    name: String,
    /// Every place name, in full.
    places: String,
    place_count: usize,
    query: Option<String>,
    mentions_timeline: bool,
    last_poll: Option<When>,
    next_poll: Option<When>,
    /// No cursor yet: the first poll backfills.
    backfill_pending: bool,
    posts_read: String,
    items_filed: String,
    /// When the count began, if after the cursor did (an upgraded store).
    items_filed_since: Option<When>,
    limit: Option<LimitView>,
    last_error: Option<String>,
}

struct LimitView {
    remaining: String,
    limit: String,
    /// `None` when X's reset time is not a time.
    resets: Option<When>,
}

/// A line of the month's spending.
struct SpendRow {
    what: &'static str,
    /// "at $0.005 each"
    price: String,
    unit: &'static str,
    count: String,
    usd: String,
    forecast_count: String,
    forecast_usd: String,
}

struct ItemCount {
    label: String,
    href: String,
    count: String,
}

struct EventView {
    at: Option<When>,
    raw_at: String,
    level: String,
    kind: String,
    message: String,
}

/// `GET /status`.
pub(crate) async fn page(State(desk): State<Desk>, me: Me) -> Result<Response, WebError> {
    let daemon = desk.health.current();
    let report = StatusReport::gather(&desk.config, &desk.store, &daemon)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let now = OffsetDateTime::now_utc();
    let chrome = Chrome::new(&desk, &me, "status").await?;
    let referrals = ReferralsView::gather(&desk).await?;
    let channels = ChannelsView::new(&desk.store.channel_outbox().await?, now);
    let lease = LeaseView::gather(&desk, now).await?;
    html(&StatusPage::new(
        chrome, report, referrals, now, channels, lease,
    ))
}

impl StatusPage {
    fn new(
        chrome: Chrome,
        report: StatusReport,
        referrals: ReferralsView,
        now: OffsetDateTime,
        channels: ChannelsView,
        lease: LeaseView,
    ) -> StatusPage {
        let s = &report.spend;
        let prices = &s.reply_prices;
        let spend = vec![
            SpendRow::new(
                "Post reads (searches)",
                format!("at {} each", usd_price(s.post_read_usd)),
                ("read", "reads"),
                &s.post_reads,
            ),
            SpendRow::new(
                "Owned reads (the council's timelines)",
                format!("at {} each", usd_price(s.owned_read_usd)),
                ("read", "reads"),
                &s.owned_reads,
            ),
            SpendRow::new(
                "Replies posted through the API",
                format!(
                    "at {} each, {} with a link",
                    usd_price(prices.post_create_usd),
                    usd_price(prices.post_create_with_url_usd)
                ),
                ("reply", "replies"),
                &s.replies,
            ),
        ];
        let f = &report.forecast;
        let reads = match f.limit {
            Some(limit) => {
                let mut text = format!(
                    "{} of the month's {} post reads used ({:.1}%); at this pace the month \
                     ends at {}.",
                    thousands(f.used),
                    thousands(limit),
                    f.percent_used.unwrap_or_default(),
                    thousands(f.projected)
                );
                if f.projected > limit && !f.exhausted {
                    text.push_str(
                        " That is past the cap: placewatch polls less often to stay within it.",
                    );
                }
                text
            }
            None => format!(
                "{} post reads used, with no monthly cap; at this pace the month ends at {}.",
                thousands(f.used),
                thousands(f.projected)
            ),
        };
        let money_cap = s.monthly_usd.map(|cap| {
            format!(
                "Monthly budget {} (budget.monthly_usd): {} spent ({:.1}%), {} forecast. \
                 It caps post reads at what it buys at {} each.",
                usd(cap),
                usd(s.usd),
                if cap > 0.0 {
                    s.usd * 100.0 / cap
                } else {
                    100.0
                },
                usd(s.forecast_usd),
                usd_price(s.post_read_usd)
            )
        });
        let prices = format!(
            "Prices from the config's [budget], in US dollars: a post read {}, an owned read \
             {}, a reply {} ({} to a post that mentioned or quoted the council, {} with a link).",
            usd_price(s.post_read_usd),
            usd_price(s.owned_read_usd),
            usd_price(prices.post_create_usd),
            usd_price(prices.summoned_reply_usd),
            usd_price(prices.post_create_with_url_usd),
        );
        let count = |status: Status| {
            report
                .items_by_status
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n)
        };
        let items = Status::ALL
            .iter()
            .map(|&status| ItemCount {
                label: capitalise(&status.to_string()),
                href: format!("/?status={}", status.as_str()),
                count: thousands(count(status)),
            })
            .collect();
        let items_total = thousands(report.items_by_status.iter().map(|(_, n)| n).sum());
        let events = report
            .events
            .iter()
            .map(|e| EventView {
                at: when(&e.at, now, false),
                raw_at: e.at.clone(),
                level: e.level.clone(),
                kind: e.kind.clone(),
                message: with_short_names(&e.message, &report.monitors),
            })
            .collect();
        StatusPage {
            chrome,
            month: month_name(&report.month),
            token_expires: report
                .token
                .as_ref()
                .map(|t| when_at(t.expires_at, now, false)),
            monitors: report
                .monitors
                .iter()
                .map(|m| MonitorView::new(m, now))
                .collect(),
            spend,
            spend_total: usd(s.usd),
            spend_forecast: usd(s.forecast_usd),
            reads,
            money_cap,
            prices,
            items,
            items_total,
            events,
            referrals,
            channels,
            lease,
            report,
        }
    }
}

impl MonitorView {
    fn new(m: &MonitorReport, now: OffsetDateTime) -> MonitorView {
        let cursor = m.cursor.as_ref();
        MonitorView {
            name: m.name.clone(),
            places: m.places.join(", "),
            place_count: m.places.len(),
            query: m.query.clone(),
            mentions_timeline: m.query.is_none(),
            last_poll: cursor
                .and_then(|c| c.last_poll_at.as_deref())
                .and_then(|at| when(at, now, true)),
            next_poll: m.next_poll.as_deref().and_then(|at| due(at, now)),
            backfill_pending: cursor.is_none(),
            posts_read: thousands(cursor.map_or(0, |c| c.posts_read)),
            items_filed: thousands(cursor.map_or(0, |c| c.items_filed)),
            items_filed_since: cursor
                .and_then(|c| c.items_filed_since.as_deref())
                .and_then(|at| when(at, now, false)),
            limit: m.limits.map(|l| LimitView {
                remaining: thousands(l.remaining),
                limit: thousands(l.limit),
                resets: l.resets_at().and_then(|at| when(&at, now, false)),
            }),
            last_error: m.last_error.clone(),
        }
    }
}

impl SpendRow {
    fn new(
        what: &'static str,
        price: String,
        (one, many): (&'static str, &'static str),
        line: &SpendLine,
    ) -> SpendRow {
        let unit = |n: u64| if n == 1 { one } else { many };
        SpendRow {
            what,
            price,
            unit: unit(line.count),
            count: thousands(line.count),
            usd: usd(line.usd),
            forecast_count: format!(
                "{} {}",
                thousands(line.forecast_count),
                unit(line.forecast_count)
            ),
            forecast_usd: usd(line.forecast_usd),
        }
    }
}

/// An event's message with each monitor's key (its whole X query) written as
/// the monitor's short name, as the page names it above.
fn with_short_names(message: &str, monitors: &[MonitorReport]) -> String {
    monitors.iter().fold(message.to_owned(), |text, m| {
        text.replace(&m.key, &format!("“{}”", m.name))
    })
}

/// "2026-12" → "December 2026".
fn month_name(month: &str) -> String {
    let name = |m: u8| time::Month::try_from(m).ok().map(|m| m.to_string());
    match month.split_once('-') {
        Some((year, m)) => match m.parse().ok().and_then(name) {
            Some(name) => format!("{name} {year}"),
            None => month.to_owned(),
        },
        None => month.to_owned(),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_messages_name_monitors_by_their_short_names() {
        let monitor = MonitorReport {
            key: "search:(Croydon OR Purley) -is:retweet".into(),
            name: "Croydon and Purley".into(),
            places: vec!["Croydon".into(), "Purley".into()],
            query: Some("(Croydon OR Purley) -is:retweet".into()),
            cursor: None,
            next_poll: None,
            limits: None,
            last_error: None,
        };
        assert_eq!(
            with_short_names(
                "search:(Croydon OR Purley) -is:retweet: X server error 503",
                &[monitor]
            ),
            "“Croydon and Purley”: X server error 503"
        );
    }

    #[test]
    fn months_have_their_names() {
        assert_eq!(month_name("2026-12"), "December 2026");
        assert_eq!(month_name("2027-01"), "January 2027");
        assert_eq!(month_name("2027-13"), "2027-13");
    }
}
