//! The metrics read at each scrape of `/metrics`, from what the daemon does
//! not hold in memory: the replies and referrals waiting to go out (two
//! small grouped queries on the store), the council account's stored
//! tokens (the token file, or the store on PostgreSQL), each given
//! [`READ_TIMEOUT`] so a slow store cannot hang the scrape, and whether
//! polling is paused. Each scrape builds these gauges afresh, so a
//! value is never older than the scrape that reports it.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use time::OffsetDateTime;
use tracing::warn;

use super::Sources;
use crate::store::{Backlog, Waiting};
use crate::x::auth::{SessionStatus, stored_status};

/// How long a scrape waits for the store before reporting it down.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

type Seconds = Gauge<f64, AtomicU64>;

/// Registers the metrics read now: `polling_paused` always; the store's
/// and the token's only with `sources` (the running daemon has them).
pub(super) async fn register_read_now(
    registry: &mut Registry,
    sources: Option<&Sources>,
    paused: bool,
) {
    registry.register(
        "polling_paused",
        "1 while polling is paused (the read budget, X's usage cap or credits; /healthz says why)",
        gauge(i64::from(paused)),
    );
    let Some(sources) = sources else {
        return;
    };
    let backlog = match tokio::time::timeout(READ_TIMEOUT, sources.store.backlog()).await {
        Ok(Ok(backlog)) => Some(backlog),
        Ok(Err(e)) => {
            warn!(error = %e, "/metrics: could not read the outbox and referrals");
            None
        }
        Err(_) => {
            warn!(
                timeout_secs = READ_TIMEOUT.as_secs(),
                "/metrics: the store did not answer in time"
            );
            None
        }
    };
    registry.register(
        "store_up",
        "1 if the store answered this scrape's queries in time; 0 leaves the outbox and referral metrics out",
        gauge(i64::from(backlog.is_some())),
    );
    let now = OffsetDateTime::now_utc();
    if let Some(backlog) = &backlog {
        register_backlog(registry, backlog, now);
    }
    match tokio::time::timeout(READ_TIMEOUT, stored_status(&sources.tokens)).await {
        Ok(Ok(status)) => register_token(registry, status.as_ref()),
        Ok(Err(e)) => warn!(error = %e, "/metrics: could not read the council account's tokens"),
        Err(_) => warn!(
            timeout_secs = READ_TIMEOUT.as_secs(),
            "/metrics: the council account's tokens could not be read in time"
        ),
    }
}

/// The replies and referrals waiting to go out: how many in each state,
/// and how long the oldest has waited (0 when none does).
fn register_backlog(registry: &mut Registry, backlog: &Backlog, now: OffsetDateTime) {
    let (count, age) = families(backlog.replies.iter().map(|(s, w)| (s.as_str(), w)), now);
    registry.register(
        "replies_waiting",
        "Replies waiting to be posted, by state: sending (the outbox), awaiting_approval and manual_pending (people)",
        count,
    );
    registry.register(
        "replies_oldest_waiting_seconds",
        "How long the oldest reply in the state has been in it (sending: since its send began); 0 when none",
        age,
    );
    let (count, age) = families(backlog.referrals.iter().map(|(s, w)| (s.as_str(), w)), now);
    registry.register(
        "referrals_waiting",
        "Referrals whose email is not sent yet, by state (queued, sending)",
        count,
    );
    registry.register(
        "referrals_oldest_waiting_seconds",
        "How long since the oldest referral in the state was made; 0 when none",
        age,
    );
}

fn families<'a>(
    waiting: impl Iterator<Item = (&'a str, &'a Waiting)>,
    now: OffsetDateTime,
) -> (Family<StateLabel, Gauge>, Family<StateLabel, Seconds>) {
    let count = Family::<StateLabel, Gauge>::default();
    let age = Family::<StateLabel, Seconds>::default();
    for (state, w) in waiting {
        let label = StateLabel {
            state: state.to_owned(),
        };
        count
            .get_or_create(&label)
            .set(i64::try_from(w.count).unwrap_or(i64::MAX));
        age.get_or_create(&label).set(age_seconds(w.oldest, now));
    }
    (count, age)
}

/// Seconds from `oldest` to `now`; 0 with nothing waiting, and never below
/// 0 (a replica whose clock runs behind the one that wrote the row).
fn age_seconds(oldest: Option<OffsetDateTime>, now: OffsetDateTime) -> f64 {
    oldest.map_or(0.0, |at| (now - at).as_seconds_f64().max(0.0))
}

/// The council account's login as stored: present or not
/// and, when present, whether X refused it, whether a refresh token is
/// held (without one, the login ends when the access token expires) and
/// when the access token expires (refreshed as it nears that, while a
/// refresh token is held). Never a token.
fn register_token(registry: &mut Registry, status: Option<&SessionStatus>) {
    registry.register(
        "x_user_token_present",
        "1 if the council account is logged in (its tokens are stored), else 0",
        gauge(i64::from(status.is_some())),
    );
    let Some(status) = status else {
        return;
    };
    registry.register(
        "x_user_token_refused",
        "1 if X refused the council account's refresh token: replies stop until `placewatch auth login`",
        gauge(i64::from(status.refused.is_some())),
    );
    registry.register(
        "x_user_refresh_token_present",
        "1 if a refresh token is held (offline.access), so the access token is renewed automatically",
        gauge(i64::from(status.has_refresh_token)),
    );
    let expiry = Seconds::default();
    expiry.set(status.expires_at.unix_timestamp() as f64);
    registry.register(
        "x_user_token_expiry_timestamp_seconds",
        "Unix time the council account's current access token expires",
        expiry,
    );
}

fn gauge(value: i64) -> Gauge {
    let g = Gauge::default();
    g.set(value);
    g
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::domain::outbox::ReplyState;
    use crate::domain::referral::ReferralState;
    use crate::x::auth::Account;

    fn encode(registry: &Registry) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, registry).unwrap();
        out
    }

    fn status(refused: Option<&str>, refresh: bool) -> SessionStatus {
        SessionStatus {
            account: Account {
                id: "1".into(),
                username: "yourcroydon".into(),
            },
            scopes: vec!["tweet.read".into()],
            expires_at: datetime!(2026-12-07 09:00 UTC),
            has_refresh_token: refresh,
            refused: refused.map(str::to_owned),
        }
    }

    #[test]
    fn the_oldest_waiting_is_aged_from_now_and_nothing_waiting_is_zero() {
        let now = datetime!(2026-12-07 08:00:30 UTC);
        let backlog = Backlog {
            replies: vec![
                (
                    ReplyState::Sending,
                    Waiting {
                        count: 2,
                        oldest: Some(datetime!(2026-12-07 07:50 UTC)),
                    },
                ),
                (ReplyState::AwaitingApproval, Waiting::default()),
            ],
            referrals: vec![(
                ReferralState::Queued,
                Waiting {
                    count: 1,
                    // Written by a replica whose clock runs ahead.
                    oldest: Some(datetime!(2026-12-07 08:00:31 UTC)),
                },
            )],
        };
        let mut registry = Registry::with_prefix("placewatch");
        register_backlog(&mut registry, &backlog, now);
        let text = encode(&registry);
        for line in [
            "placewatch_replies_waiting{state=\"sending\"} 2",
            "placewatch_replies_waiting{state=\"awaiting_approval\"} 0",
            "placewatch_replies_oldest_waiting_seconds{state=\"sending\"} 630.0",
            "placewatch_replies_oldest_waiting_seconds{state=\"awaiting_approval\"} 0.0",
            "placewatch_referrals_waiting{state=\"queued\"} 1",
            "placewatch_referrals_oldest_waiting_seconds{state=\"queued\"} 0.0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn a_refused_login_without_a_refresh_token_says_so_and_never_a_token() {
        let mut registry = Registry::with_prefix("placewatch");
        register_token(&mut registry, Some(&status(Some("invalid_grant"), false)));
        let text = encode(&registry);
        for line in [
            "placewatch_x_user_token_present 1",
            "placewatch_x_user_token_refused 1",
            "placewatch_x_user_refresh_token_present 0",
            "placewatch_x_user_token_expiry_timestamp_seconds 1796634000.0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(!text.contains("invalid_grant"), "{text}");
    }

    #[test]
    fn no_login_is_reported_as_absent_with_no_expiry() {
        let mut registry = Registry::with_prefix("placewatch");
        register_token(&mut registry, None);
        let text = encode(&registry);
        assert!(
            text.lines()
                .any(|l| l == "placewatch_x_user_token_present 0")
        );
        assert!(!text.contains("expiry"), "{text}");
        assert!(!text.contains("refused"), "{text}");
    }
}
