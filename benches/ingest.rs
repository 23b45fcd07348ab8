//! Ingest throughput: posts fetched, parsed, tagged and committed per second,
//! end to end from the simulator over loopback HTTP into a fresh SQLite store.
//!
//! The simulator (in this process, sharing the cores, so the figure is a lower
//! bound) holds 7 days × 15,000 posts/day written about the reference Croydon
//! config's place names. The timed run is `Poller::poll_once` over every
//! monitor (each backfills its whole window in one cycle), repeated until a
//! round reads nothing. Target: at least 20,000 posts/s on a 2-core machine.
//!
//! A second run, not part of the headline figure, repeats the same work step
//! by step into another fresh store (HTTP, JSON decoding, tagging, committing)
//! to show where the time goes, and commits the same cycles once more with
//! each cycle's matched posts in ascending id order (X sends them newest
//! first): FTS5 flushes its pending index data to a new segment whenever a
//! document's rowid is not above the previous one, so the order alone changes
//! the cost of the commit.
//!
//! Run: `cargo bench --bench ingest` (optional: `-- --days 7 --per-day 15000`).
//! Loopback only; under a minute.

mod common;

use std::time::{Duration, Instant};

use placewatch::poller::Poller;
use placewatch::poller::plan::{Monitor, Source};
use placewatch::store::{CursorMove, Cycle, ReadKind, Store};
use placewatch::x::Page;
use placewatch::x::client::{EXPANSIONS, TWEET_FIELDS, USER_FIELDS, decode_page};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;

const TARGET: f64 = 20_000.0;

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The step-by-step timings of the breakdown run.
#[derive(Default)]
struct Steps {
    http: Duration,
    decode: Duration,
    tag: Duration,
    commit: Duration,
    posts: u64,
    stored: u64,
    bytes: u64,
}

/// One monitor's backfill as the poller does it, with each step timed.
/// Returns the cycle it stored.
async fn timed_cycle(
    http: &reqwest::Client,
    base: &str,
    poller: &Poller,
    monitor: &Monitor,
    bearer: &str,
    user_token: &str,
    steps: &mut Steps,
) -> Cycle {
    let start_time = {
        let from = OffsetDateTime::now_utc() - poller.settings.backfill + Duration::from_secs(60);
        from.replace_nanosecond(0)
            .unwrap_or(from)
            .format(&Rfc3339)
            .unwrap_or_default()
    };
    let (path, token) = match &monitor.source {
        Source::Search { .. } => ("/2/tweets/search/recent".to_owned(), bearer),
        Source::Mentions { user_id } => (format!("/2/users/{user_id}/mentions"), user_token),
    };
    // 1. HTTP: the simulator renders the page, loopback carries it.
    let t = Instant::now();
    let mut bodies = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Source::Search { query } = &monitor.source {
            q.push(("query", query.clone()));
            q.push(("start_time", start_time.clone()));
        }
        q.push(("max_results", "100".into()));
        q.push(("tweet.fields", TWEET_FIELDS.into()));
        q.push(("expansions", EXPANSIONS.into()));
        q.push(("user.fields", USER_FIELDS.into()));
        if let Some(n) = &next {
            let name = match monitor.source {
                Source::Search { .. } => "next_token",
                Source::Mentions { .. } => "pagination_token",
            };
            q.push((name, n.clone()));
        }
        let body = http
            .get(format!("{base}{path}"))
            .query(&q)
            .bearer_auth(token)
            .send()
            .await
            .expect("page request")
            .error_for_status()
            .expect("page status")
            .bytes()
            .await
            .expect("page body");
        let meta: Value = serde_json::from_slice(&body).expect("page JSON");
        next = meta["meta"]["next_token"].as_str().map(String::from);
        steps.bytes += body.len() as u64;
        bodies.push(body);
        if next.is_none() {
            break;
        }
    }
    steps.http += t.elapsed();
    // 2. Parse: the client's decoder (raw JSON kept per post).
    let t = Instant::now();
    let pages: Vec<Page> = bodies
        .iter()
        .map(|b| decode_page(b).expect("page decodes"))
        .collect();
    steps.decode += t.elapsed();
    // 3. Tag: places, flags, reply path and rules for every post.
    let t = Instant::now();
    let batch = poller.tagger.batch(&pages);
    steps.tag += t.elapsed();
    // 4. Commit: one transaction, as `poll_once` does.
    let t = Instant::now();
    let cycle = Cycle {
        monitor: monitor.key.clone(),
        query: monitor.key.clone(),
        cursor: CursorMove::Complete {
            since_id: pages.first().and_then(Page::newest_id),
        },
        matched: batch.matched,
        authors: batch.authors,
        context: batch.context,
        reads: batch.reads,
        read_kind: match monitor.source {
            Source::Search { .. } => ReadKind::PostRead,
            Source::Mentions { .. } => ReadKind::OwnedRead,
        },
        at: now_rfc3339(),
    };
    let outcome = poller
        .store
        .record_cycle(&cycle)
        .await
        .expect("cycle stored");
    steps.commit += t.elapsed();
    steps.posts += cycle.reads;
    steps.stored += outcome.new_posts;
    cycle
}

#[tokio::main]
async fn main() {
    let days = common::arg("--days", 7);
    let per_day = common::arg("--per-day", 15_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, reference) = common::reference_config("http://127.0.0.1:1", dir.path());
    let t = Instant::now();
    let sim = common::start_sim(&reference, days, per_day).await;
    let base = sim.base_url();
    println!(
        "simulator: {} posts of backlog ({days} days × {per_day}/day) built in {:.1} s; load average {}",
        sim.state.post_count(),
        t.elapsed().as_secs_f64(),
        common::load_average()
    );
    let (_, config) = common::reference_config(&base, dir.path());

    // The measurement: poll_once over every monitor until a round reads nothing.
    let store = Store::open(&dir.path().join("placewatch.db"))
        .await
        .expect("store opens");
    let poller = common::poller(&sim, &config, store.clone());
    let never = CancellationToken::new();
    let started = Instant::now();
    let (mut posts, mut items, mut rounds) = (0u64, 0u64, 0);
    loop {
        rounds += 1;
        let mut read = 0;
        for m in &poller.monitors {
            let outcome = poller.poll_once(m, &never).await.expect("poll cycle");
            read += outcome.posts_read;
            items += outcome.new_items as u64;
        }
        posts += read;
        if read == 0 {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let stored = store.post_count().await.expect("post count");
    store.close().await;
    let rate = posts as f64 / secs;
    println!(
        "{} monitors, {rounds} rounds of poll_once; {posts} posts read, {items} items, {stored} posts stored (with context)",
        poller.monitors.len()
    );

    // Where the time goes: the same work, step by step, into another store.
    let store2 = Store::open(&dir.path().join("breakdown.db"))
        .await
        .expect("store opens");
    let breakdown = common::poller(&sim, &config, store2.clone());
    let http = reqwest::Client::new();
    let mut steps = Steps::default();
    let mut cycles = Vec::new();
    for m in &breakdown.monitors {
        let cycle = timed_cycle(
            &http,
            &base,
            &breakdown,
            m,
            &sim.credentials.bearer_token,
            &sim.credentials.user_access_token,
            &mut steps,
        )
        .await;
        cycles.push(cycle);
    }
    store2.close().await;

    // What-if: the same cycles committed with each cycle's matched posts in
    // ascending id order (X sends them newest first). FTS5 flushes its
    // pending index data whenever a rowid is not above the previous one.
    let store3 = Store::open(&dir.path().join("ascending.db"))
        .await
        .expect("store opens");
    let t = Instant::now();
    for mut cycle in cycles {
        cycle.matched.sort_by_key(|m| m.post.id);
        store3.record_cycle(&cycle).await.expect("cycle stored");
    }
    let ascending = t.elapsed();
    store3.close().await;
    let total = steps.http + steps.decode + steps.tag + steps.commit;
    let share = |d: Duration| {
        format!(
            "{:.2} s ({:.0}%, {:.0} posts/s)",
            d.as_secs_f64(),
            100.0 * d.as_secs_f64() / total.as_secs_f64(),
            steps.posts as f64 / d.as_secs_f64()
        )
    };
    println!(
        "breakdown of {} posts ({:.1} MB of JSON, {} stored with context) in {:.2} s:",
        steps.posts,
        steps.bytes as f64 / 1e6,
        steps.stored,
        total.as_secs_f64()
    );
    println!("  http (sim renders + loopback)  {}", share(steps.http));
    println!("  decode (JSON → Post)           {}", share(steps.decode));
    println!("  tag (places, flags, rules)     {}", share(steps.tag));
    println!("  commit (one SQLite tx)         {}", share(steps.commit));
    println!(
        "  what-if: the same commits with matched posts in ascending id order: {:.2} s ({:.0} posts/s)",
        ascending.as_secs_f64(),
        steps.posts as f64 / ascending.as_secs_f64()
    );
    println!(
        "ingest: {rate:.0} posts/s fetched, parsed, tagged and committed ({posts} posts in {secs:.2} s) — target ≥ {TARGET:.0}: {}",
        if rate >= TARGET { "met" } else { "NOT met" }
    );
    sim.stop().await;
}
