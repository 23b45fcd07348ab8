//! Ingest throughput: posts fetched, parsed, tagged and committed per second,
//! end to end from the simulator over loopback HTTP into a fresh SQLite store.
//!
//! The simulator (in this process, sharing the cores, so the figure is a lower
//! bound) holds 7 days × 15,000 posts/day written about the reference Croydon
//! config's place names. The timed run is `Poller::poll_once` over every
//! monitor (each backfills its whole window in one cycle), repeated until a
//! round reads nothing. Target: at least 20,000 posts/s on a 2-core machine.
//!
//! A second run, not part of the headline figure, repeats the same work one
//! step at a time into another fresh store (HTTP, JSON decoding, tagging, and
//! the commits with their cursor moves, grouped as the poller groups them
//! while the store is the bottleneck) to show
//! where the time goes. The poller overlaps these steps (a page commits while
//! the next is fetched and tagged), so the headline can beat their sum.
//!
//! Run: `cargo bench --bench ingest` (optional: `-- --days 7 --per-day 15000`;
//! `--breakdown 0` skips the second run).
//! Loopback only; under a minute.

mod common;

use std::time::{Duration, Instant};

use placewatch::poller::cycle::CycleState;
use placewatch::poller::ingest::Batch;
use placewatch::poller::plan::{Monitor, Source};
use placewatch::poller::{PAGES_PER_COMMIT, Poller};
use placewatch::store::Store;
use placewatch::x::client::{EXPANSIONS, TWEET_FIELDS, USER_FIELDS, decode_page};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;

const TARGET: f64 = 20_000.0;

/// The placewatch binary's allocator (see src/main.rs), so the figure is the
/// daemon's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The step-by-step timings of the breakdown run.
#[derive(Default)]
struct Steps {
    http: Duration,
    decode: Duration,
    tag: Duration,
    commit: Duration,
    posts: u64,
    pages: u64,
    stored: u64,
    bytes: u64,
}

/// One monitor's backfill as the poller does it, page by page (commits of
/// up to `PAGES_PER_COMMIT` pages with their cursor move), each step timed.
async fn timed_cycle(
    http: &reqwest::Client,
    base: &str,
    poller: &Poller,
    monitor: &Monitor,
    bearer: &str,
    user_token: &str,
    steps: &mut Steps,
) {
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
    let mut state = CycleState::new(None, None);
    let mut next: Option<String> = None;
    let mut waiting = Batch::default();
    let mut waiting_pages = 0;
    loop {
        // 1. HTTP: the simulator renders the page, loopback carries it.
        let t = Instant::now();
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
        steps.http += t.elapsed();
        steps.bytes += body.len() as u64;
        // 2. Parse: the client's decoder (raw JSON kept per post).
        let t = Instant::now();
        let page = decode_page(&body).expect("page decodes");
        steps.decode += t.elapsed();
        next = page.meta.next_token.clone();
        let oldest = page.meta.oldest_id.as_deref().and_then(|s| s.parse().ok());
        let cursor = state.page(page.newest_id(), oldest, next.is_some());
        // 3. Tag: places, flags, reply path and rules for every post.
        let t = Instant::now();
        let batch = poller.tagger.batch(std::slice::from_ref(&page));
        steps.tag += t.elapsed();
        steps.posts += batch.reads;
        steps.pages += 1;
        // 4. Commit: the pages' transaction, grouped as `poll_once` groups
        // them when the store is the bottleneck.
        let t = Instant::now();
        waiting.absorb(batch);
        waiting_pages += 1;
        if waiting_pages == PAGES_PER_COMMIT || next.is_none() {
            let cycle = std::mem::take(&mut waiting).into_cycle(monitor, cursor);
            waiting_pages = 0;
            let outcome = poller
                .store
                .record_cycle(cycle)
                .await
                .expect("pages stored");
            steps.stored += outcome.new_posts;
        }
        steps.commit += t.elapsed();
        if next.is_none() {
            return;
        }
    }
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
    let cpu_before = common::cpu_by_thread();
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
    let cpu = common::cpu_spent(&cpu_before, &common::cpu_by_thread());
    let stored = store.post_count().await.expect("post count");
    store.close().await;
    let rate = posts as f64 / secs;
    println!(
        "{} monitors, {rounds} rounds of poll_once; {posts} posts read, {items} items, {stored} posts stored (with context)",
        poller.monitors.len()
    );
    // CPU per post by thread: SQLite's ingest writer on `store-writer`
    // (checkpoints on sqlx's worker threads); the simulator, HTTP and
    // decoding on the runtime's workers; tagging on the main thread, which
    // runs `poll_once`.
    let total: Duration = cpu.iter().map(|(_, t)| *t).sum();
    let per_post = |t: Duration| t.as_secs_f64() * 1e6 / posts.max(1) as f64;
    let threads: Vec<String> = cpu
        .iter()
        .take(6)
        .map(|(name, t)| format!("{name} {:.1}", per_post(*t)))
        .collect();
    println!(
        "CPU: {:.1} µs per post in all ({:.2} s over {secs:.2} s on 2 cores); by thread, µs per post: {}",
        per_post(total),
        total.as_secs_f64(),
        threads.join(", ")
    );

    if common::arg("--breakdown", 1) == 0 {
        println!("ingest: {rate:.0} posts/s ({posts} posts in {secs:.2} s)");
        sim.stop().await;
        return;
    }
    // Where the time goes: the same work, step by step, into another store.
    let store2 = Store::open(&dir.path().join("breakdown.db"))
        .await
        .expect("store opens");
    let breakdown = common::poller(&sim, &config, store2.clone());
    let http = reqwest::Client::new();
    let mut steps = Steps::default();
    for m in &breakdown.monitors {
        timed_cycle(
            &http,
            &base,
            &breakdown,
            m,
            &sim.credentials.bearer_token,
            &sim.credentials.user_access_token,
            &mut steps,
        )
        .await;
    }
    store2.close().await;

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
        "breakdown of {} posts in {} pages ({:.1} MB of JSON, {} stored with context) in {:.2} s:",
        steps.posts,
        steps.pages,
        steps.bytes as f64 / 1e6,
        steps.stored,
        total.as_secs_f64()
    );
    println!("  http (sim renders + loopback)  {}", share(steps.http));
    println!("  decode (JSON → Post)           {}", share(steps.decode));
    println!("  tag (places, flags, rules)     {}", share(steps.tag));
    println!("  commit (grouped SQLite txs)    {}", share(steps.commit));
    println!(
        "ingest: {rate:.0} posts/s fetched, parsed, tagged and committed ({posts} posts in {secs:.2} s) — target ≥ {TARGET:.0}: {}",
        if rate >= TARGET { "met" } else { "NOT met" }
    );
    sim.stop().await;
}
