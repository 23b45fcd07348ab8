//! Ingest throughput: posts fetched, parsed, tagged and committed per second,
//! end to end from the simulator over loopback HTTP into a fresh SQLite store
//! (and, with `--postgres URL`, into a fresh PostgreSQL database as well).
//!
//! The simulator (in this process, sharing the cores, so the figure is a lower
//! bound) holds 7 days × 15,000 posts/day written about the reference Croydon
//! config's place names. The timed run is `Poller::poll_once` for every
//! monitor at once, as the daemon polls them (`Poller::run_until_stopped`
//! gives each monitor a task), each backfilling its whole window in one
//! cycle, repeated until a round reads nothing. Target: at least 5,000
//! posts/s on a 2-core machine, a hundred times what X sends one app (about
//! 50 posts/s): every page is stored in a transaction of its own through the
//! store's one sqlx write connection. The same backlog is then polled one
//! monitor at a time into a fresh store, for comparison (`--sequential 0`
//! skips it): a lone cycle leaves the write connection idle while it tags a
//! page.
//!
//! A last run, not part of the headline figure, repeats the same work one
//! step at a time into another fresh store (HTTP, JSON decoding, tagging, and
//! each page's commit with its cursor move) to show where the time goes. The
//! poller overlaps these steps (a page is tagged and committed while the
//! next is fetched), so the headline can beat their sum.
//!
//! PostgreSQL (`-- --postgres URL`, a cluster such as `scripts/pg-test-cluster
//! durable` starts): every run is repeated into a fresh database of that
//! cluster (`pw_bench_ingest_*`, dropped at the end), through the same
//! `Store` code, each page one transaction on the store's one write
//! connection, as on SQLite. The server's own CPU is in its processes, not
//! in the per-thread figures.
//!
//! Run: `cargo bench --bench ingest` (optional: `-- --days 7 --per-day 15000`;
//! `--breakdown 0` skips the step-by-step run; `--postgres URL`).
//! Loopback only; the runs take under a minute (building the bench, several).

mod common;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use placewatch::domain::ingest::CycleState;
use placewatch::poller::Poller;
use placewatch::poller::plan::{Monitor, Source};
use placewatch::store::Store;
use placewatch::x::client::{EXPANSIONS, TWEET_FIELDS, USER_FIELDS, decode_page};
use sqlx::ConnectOptions;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;

const TARGET: f64 = 5_000.0;

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

/// One monitor's backfill as the poller does it, page by page (each page
/// committed with its cursor move), each step timed.
async fn timed_backfill(
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
        let tagged = poller
            .tagger
            .tag_page(&page.posts, &page.authors, &page.referenced);
        steps.tag += t.elapsed();
        steps.posts += tagged.reads;
        steps.pages += 1;
        // 4. Commit: the page's transaction, as `poll_once` stores it.
        let t = Instant::now();
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let batch = monitor.batch(tagged, cursor, at, None);
        let outcome = poller
            .store
            .record_pages(&batch)
            .await
            .expect("page stored");
        steps.stored += outcome.new_posts;
        steps.commit += t.elapsed();
        if next.is_none() {
            return;
        }
    }
}

/// Where the runs' fresh stores are made.
enum Engine {
    /// A file per run in this directory.
    Sqlite(PathBuf),
    /// A database per run in the cluster at this URL.
    Postgres(String),
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite(_) => "SQLite",
            Engine::Postgres(_) => "PostgreSQL",
        }
    }

    /// A fresh, empty store called `name`.
    async fn fresh_store(&self, name: &str) -> Store {
        match self {
            Engine::Sqlite(dir) => Store::open(&dir.join(format!("{name}.db")))
                .await
                .expect("store opens"),
            Engine::Postgres(cluster) => {
                let options =
                    sqlx::postgres::PgConnectOptions::from_str(cluster).expect("a PostgreSQL URL");
                let db = format!("pw_bench_ingest_{name}");
                let mut admin = options.connect().await.expect("the cluster");
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .expect("DROP DATABASE");
                sqlx::raw_sql(&format!("CREATE DATABASE \"{db}\""))
                    .execute(&mut admin)
                    .await
                    .expect("CREATE DATABASE");
                let url = options.database(&db).to_url_lossy().to_string();
                Store::connect(&url, None).await.expect("store connects")
            }
        }
    }

    /// Drops the databases the runs made (SQLite's files go with the
    /// temporary directory).
    async fn clean_up(&self) {
        let Engine::Postgres(cluster) = self else {
            return;
        };
        let options =
            sqlx::postgres::PgConnectOptions::from_str(cluster).expect("a PostgreSQL URL");
        let mut admin = options.connect().await.expect("the cluster");
        for name in ["placewatch", "sequential", "breakdown"] {
            sqlx::raw_sql(&format!(
                "DROP DATABASE IF EXISTS \"pw_bench_ingest_{name}\" WITH (FORCE)"
            ))
            .execute(&mut admin)
            .await
            .expect("DROP DATABASE");
        }
    }
}

/// How a timed run polls the monitors.
#[derive(Clone, Copy, PartialEq)]
enum Polling {
    /// Every monitor's cycle at once, as `Poller::run_until_stopped` runs
    /// them (a task per monitor).
    AllAtOnce,
    /// One monitor's cycle after another.
    OneAtATime,
}

/// What a timed run did.
struct Run {
    monitors: usize,
    rounds: u32,
    posts: u64,
    items: u64,
    stored: u64,
    secs: f64,
    cpu: Vec<(String, Duration)>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.posts as f64 / self.secs
    }

    /// The run's counts and its CPU per post by thread: SQLite on sqlx's
    /// connection workers (`sqlx-sqlite-worker`, the write connection's and
    /// the readers' background checkpoints); the simulator, HTTP and
    /// decoding on the runtime's workers; tagging and binding on the main
    /// thread, which runs `poll_once`. (PostgreSQL's work is in the
    /// server's processes, not among these.)
    fn print(&self, polling: &str) {
        println!(
            "{} monitors ({polling}), {} rounds of poll_once; {} posts read, {} items, {} posts stored (with context)",
            self.monitors, self.rounds, self.posts, self.items, self.stored
        );
        let total: Duration = self.cpu.iter().map(|(_, t)| *t).sum();
        let per_post = |t: Duration| t.as_secs_f64() * 1e6 / self.posts.max(1) as f64;
        let threads: Vec<String> = self
            .cpu
            .iter()
            .take(6)
            .map(|(name, t)| format!("{name} {:.1}", per_post(*t)))
            .collect();
        println!(
            "CPU: {:.1} µs per post in all ({:.2} s over {:.2} s on 2 cores); by thread, µs per post: {}",
            per_post(total),
            total.as_secs_f64(),
            self.secs,
            threads.join(", ")
        );
    }
}

/// Polls the simulator's backlog into a fresh store `name` of `engine`
/// until a round of `poll_once` over every monitor reads nothing.
async fn timed_run(
    sim: &placewatch::sim::SimServer,
    config: &placewatch::config::Config,
    engine: &Engine,
    name: &str,
    polling: Polling,
) -> Run {
    let store = engine.fresh_store(name).await;
    let poller = common::poller(sim, config, store.clone());
    let never = CancellationToken::new();
    let cpu_before = common::cpu_by_thread();
    let started = Instant::now();
    let (mut posts, mut items, mut rounds) = (0u64, 0u64, 0);
    loop {
        rounds += 1;
        let outcomes = match polling {
            Polling::AllAtOnce => {
                let cycles = poller.monitors.iter().map(|m| poller.poll_once(m, &never));
                futures::future::join_all(cycles).await
            }
            Polling::OneAtATime => {
                let mut outcomes = Vec::new();
                for m in &poller.monitors {
                    outcomes.push(poller.poll_once(m, &never).await);
                }
                outcomes
            }
        };
        let mut read = 0;
        for outcome in outcomes {
            let outcome = outcome.expect("poll cycle");
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
    Run {
        monitors: poller.monitors.len(),
        rounds,
        posts,
        items,
        stored,
        secs,
        cpu,
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
    let mut engines = vec![Engine::Sqlite(dir.path().to_owned())];
    if let Some(url) = Some(common::arg("--postgres", String::new())).filter(|u| !u.is_empty()) {
        engines.push(Engine::Postgres(url));
    }
    let mut summary = Vec::new();
    for engine in &engines {
        println!("== {}", engine.name());
        let rate = ingest(&sim, &config, engine).await;
        engine.clean_up().await;
        summary.push(format!(
            "{} {rate:.0} posts/s ({})",
            engine.name(),
            if rate >= TARGET { "met" } else { "NOT met" }
        ));
    }
    println!(
        "ingest, every monitor at once — target ≥ {TARGET:.0} posts/s: {}; load average {}",
        summary.join(", "),
        common::load_average()
    );
    sim.stop().await;
}

/// The timed runs of the backlog into fresh stores of `engine`, printed;
/// returns the headline rate (every monitor at once).
async fn ingest(
    sim: &placewatch::sim::SimServer,
    config: &placewatch::config::Config,
    engine: &Engine,
) -> f64 {
    // The measurement: every monitor's cycle at once, as the daemon polls
    // (each monitor in its own task), until a round reads nothing.
    let run = timed_run(sim, config, engine, "placewatch", Polling::AllAtOnce).await;
    run.print("every monitor at once, as the daemon polls");
    let rate = run.rate();
    // The same backlog with one monitor at a time: one cycle's pipeline
    // alone, which leaves the write connection idle while it tags a page.
    if common::arg("--sequential", 1) == 1 {
        let one = timed_run(sim, config, engine, "sequential", Polling::OneAtATime).await;
        one.print("one monitor at a time");
        println!("one monitor at a time: {:.0} posts/s", one.rate());
    }

    if common::arg("--breakdown", 1) == 0 {
        println!(
            "ingest: {rate:.0} posts/s ({} posts in {:.2} s)",
            run.posts, run.secs
        );
        return rate;
    }
    // Where the time goes: the same work, step by step, into another store.
    let store2 = engine.fresh_store("breakdown").await;
    let breakdown = common::poller(sim, config, store2.clone());
    let base = sim.base_url();
    let http = reqwest::Client::new();
    let mut steps = Steps::default();
    for m in &breakdown.monitors {
        timed_backfill(
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
    println!("  commit (a transaction per page) {}", share(steps.commit));
    println!(
        "ingest: {rate:.0} posts/s fetched, parsed, tagged and committed ({} posts in {:.2} s, every monitor at once) — target ≥ {TARGET:.0}: {}",
        run.posts,
        run.secs,
        if rate >= TARGET { "met" } else { "NOT met" }
    );
    rate
}
