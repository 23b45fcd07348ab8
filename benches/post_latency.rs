//! Post → item latency: how long a resident's post waits before it is an item
//! in the desk, at the polling interval the daemon chooses for the reference
//! config (the floor X's search rate limit allows the configured monitors:
//! `poller::schedule::min_interval`, about 10 s for two searches and the
//! mentions timeline).
//!
//! The simulator generates posts live (about two a second, the reference
//! config's place names and mentions) while the poller runs as the daemon
//! runs it (`Poller::new`, `run_until_stopped`); afterwards every item whose
//! post was created during the run gives one latency: the item's `created_at`
//! less the post's. A post waits for the next poll of its monitor (half an
//! interval on average), then a page read and a commit.
//!
//! Run: `cargo bench --bench post_latency` (`POST_LATENCY_SECS` sets the run,
//! default 120). Loopback only.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use placewatch::poller::Poller;
use placewatch::sim::{SimOptions, SimServer};
use placewatch::store::{ItemFilter, Store};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;

/// Posts a minute the simulator writes while the poller runs.
const RATE_PER_MIN: f64 = 120.0;

fn parse(at: &str) -> OffsetDateTime {
    OffsetDateTime::parse(at, &Rfc3339).expect("an RFC 3339 timestamp")
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("POST_LATENCY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, reference) = common::reference_config("http://127.0.0.1:1", dir.path());
    let options = SimOptions {
        rate_per_min: RATE_PER_MIN,
        backlog_days: 1,
        backlog_per_day: 500,
        places: reference
            .monitor
            .places
            .iter()
            .map(|k| k.to_string())
            .collect(),
        council_handle: reference.council.handle.clone(),
        council_name: reference.council.name.clone(),
        limits: common::generous_limits(),
        ..SimOptions::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    let sim = SimServer::start(options, addr)
        .await
        .expect("simulator starts");
    let (_, config) = common::reference_config(&sim.base_url(), dir.path());
    let store = Store::open(&dir.path().join("placewatch.db"))
        .await
        .expect("store opens");
    let poller: Poller = common::poller(&sim, &config, store.clone());
    let interval = poller.settings.min_interval;
    println!(
        "poller: {} monitors, interval {} s (chosen from X's search rate limit); simulator writing {RATE_PER_MIN} posts a minute; running {secs} s",
        poller.monitors.len(),
        interval.as_secs_f64()
    );

    let stop = CancellationToken::new();
    let running = tokio::spawn(poller.run_until_stopped(stop.clone()));
    // The backfill first: latencies count only posts created after it.
    tokio::time::sleep(interval * 2).await;
    let started = OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let ended = OffsetDateTime::now_utc();
    // One more interval, so posts of the run's last seconds are read too.
    tokio::time::sleep(interval + Duration::from_secs(2)).await;
    stop.cancel();
    running.await.expect("the poller stops");

    let mut latencies = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .list_items(&ItemFilter {
                before,
                limit: 500,
                ..ItemFilter::default()
            })
            .await
            .expect("items");
        for item in &page.items {
            let Some(posted) = item.post.created_at.as_deref().map(parse) else {
                continue;
            };
            if posted >= started && posted < ended {
                let waited = parse(&item.created_at) - posted;
                latencies.push(waited.as_seconds_f64());
            }
        }
        match page.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert!(!latencies.is_empty(), "no post was created during the run");
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "post_latency: {} posts at a {} s interval: median {:.1} s, p90 {:.1} s, max {:.1} s (target: median about half the interval)",
        latencies.len(),
        interval.as_secs_f64(),
        at(0.5),
        at(0.9),
        at(1.0)
    );
    store.close().await;
    sim.stop().await;
}
