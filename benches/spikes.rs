//! The spike check at scale: with 1,000,000 posts and 200,000 items stored,
//! one check (`channels::spikes::SpikeWatch::check`: the last hour's busy
//! places and tags, each against the same hour in the last four weeks)
//! within 20 ms at the 95th percentile, because every count is an index
//! range (the query plans are printed) and nothing scans a table.
//!
//! 1. The cached 1M-post store of `common::scale` (or `--store PATH`), copied.
//! 2. Recent traffic filed through `Store::record_pages` at real snowflake
//!    times: 30 posts about the first place in this hour of each of the last
//!    four weeks, 10 about others; this hour, a burst of 300 about the first
//!    place and 100 spread over the others, a third of them tagged.
//! 3. The first check (which records the spike and queues its alert), then
//!    `--checks N` (default 100) more, one at a time: p50, p95, max.
//!
//! Run: `cargo bench --bench spikes` (`-- --store PATH --checks N`).

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::scale::{ITEMS, POSTS, cached_store};
use placewatch::channels::spikes::SpikeWatch;
use placewatch::config::Config;
use placewatch::domain::ingest::{CursorMove, PageBatch, ReadKind, TaggedPost};
use placewatch::domain::outbox::snowflake_floor;
use placewatch::domain::post::{Author, Post};
use placewatch::domain::spike::WEEK_MS;
use placewatch::domain::triage::{Decision, Flags, ReplyPath};
use placewatch::store::Store;
use time::OffsetDateTime;

const CHECK_TARGET: Duration = Duration::from_millis(20);
const MINUTE_MS: i64 = 60_000;

fn post(id: u64, text: String) -> Post {
    Post {
        id,
        raw: serde_json::json!({ "id": id.to_string(), "text": text }).to_string(),
        text,
        author_id: Some(77),
        created_at: None,
        conversation_id: Some(id),
        in_reply_to_user_id: None,
        replied_to: None,
        quoted: None,
        is_retweet: false,
        lang: Some("en".into()),
        reply_settings: Some("everyone".into()),
        mentions: vec![],
    }
}

/// Files one post per `(ms, place)` as a page of its own monitor.
async fn file(store: &Store, monitor: &str, posts: &[(i64, &str)]) {
    let matched: Vec<TaggedPost> = posts
        .iter()
        .enumerate()
        .map(|(i, (ms, place))| TaggedPost {
            post: post(snowflake_floor(*ms) + i as u64, format!("{place} flooded")),
            places: vec![(*place).to_owned()],
            decision: Decision {
                tags: if i % 3 == 0 {
                    vec!["flooding".into()]
                } else {
                    vec![]
                },
                ..Decision::default()
            },
            flags: Flags::default(),
            reply_path: ReplyPath::Manual,
        })
        .collect();
    let batch = PageBatch {
        monitor: monitor.into(),
        query: "benches/spikes.rs".into(),
        cursor: CursorMove::Complete {
            since_id: matched.iter().map(|m| m.post.id).max(),
        },
        reads: matched.len() as u64,
        matched,
        authors: vec![Author {
            id: 77,
            username: "bench".into(),
            name: "Bench".into(),
        }],
        context: vec![],
        read_kind: ReadKind::PostRead,
        at: "2025-06-14T10:00:00Z".into(),
        spooled_through: None,
    };
    store.record_pages(&batch).await.expect("filed");
}

#[tokio::main]
async fn main() {
    let checks: usize = common::arg("--checks", 100);
    let config = Config::load(&common::reference_config_path()).expect("the reference config");
    let places: Vec<String> = config
        .monitor
        .places
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    let cache = match common::arg::<String>("--store", String::new()) {
        s if s.is_empty() => cached_store(&places).await,
        s => PathBuf::from(s),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("placewatch.db");
    std::fs::copy(&cache, &db).expect("copying the cached store");
    let store = Store::open(&db).await.expect("store opens");

    let now = OffsetDateTime::now_utc();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let (hot, others) = (places[0].as_str(), &places[1..]);
    for week in 1..=4 {
        let base = now_ms - week * WEEK_MS - 50 * MINUTE_MS;
        let mut posts: Vec<(i64, &str)> = (0..30).map(|i| (base + i * MINUTE_MS, hot)).collect();
        posts.extend((0..10).map(|i| {
            (
                base + i * MINUTE_MS,
                others[i as usize % others.len()].as_str(),
            )
        }));
        file(&store, &format!("week{week}"), &posts).await;
    }
    let base = now_ms - 30 * MINUTE_MS;
    let mut posts: Vec<(i64, &str)> = (0..300).map(|i| (base + i * 5_000, hot)).collect();
    posts.extend((0..100).map(|i| {
        (
            base + i * 15_000,
            others[i as usize % others.len()].as_str(),
        )
    }));
    file(&store, "now", &posts).await;

    let watch = SpikeWatch::new(
        store.clone(),
        &config.alerts,
        "https://desk.example/".parse().unwrap(),
    );
    println!(
        "spike check: {POSTS} posts, {ITEMS} items, + 560 recent; {checks} checks, one at a time"
    );
    let t = Instant::now();
    let first = watch.check(now).await.expect("check");
    println!(
        "first check (records the spikes, queues no alert without a team): {:.1?}, began {:?}",
        t.elapsed(),
        first.begun
    );
    let mut times = Vec::with_capacity(checks);
    for _ in 0..checks {
        let t = Instant::now();
        let c = watch.check(now).await.expect("check");
        times.push(t.elapsed());
        assert!(c.begun.is_empty(), "one alert per spike");
    }
    times.sort();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    let p95 = pct(0.95);
    println!(
        "later checks: p50 {:.2?}, p95 {:.2?}, max {:.2?} (target p95 {:?})",
        pct(0.5),
        p95,
        times[times.len() - 1],
        CHECK_TARGET
    );
    plans(&db, hot).await;
    println!("load average: {}", common::load_average());
    if p95 <= CHECK_TARGET {
        println!("within target");
    } else {
        println!("missed the target");
    }
}

/// The query plans of the check's counts: each a SEARCH on an index.
async fn plans(db: &std::path::Path, place: &str) {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("raw connection");
    for (what, sql) in [
        (
            "busy places",
            "EXPLAIN QUERY PLAN SELECT j.value, count(*) AS n FROM items i, json_each(i.places) j \
             WHERE i.post_id >= ?1 AND i.post_id < ?2 GROUP BY j.value HAVING n >= 10",
        ),
        (
            "one place's hour",
            "EXPLAIN QUERY PLAN SELECT count(*) FROM item_places WHERE place = ?3 \
             AND status IN ('new', 'in_progress', 'replied', 'referred', 'dismissed') \
             AND post_id >= ?1 AND post_id < ?2",
        ),
    ] {
        let rows = sqlx::query(sql)
            .bind(1_i64)
            .bind(2_i64)
            .bind(place)
            .fetch_all(&mut conn)
            .await
            .expect("plan");
        let plan: Vec<String> = rows.iter().map(|r| r.get::<String, _>("detail")).collect();
        println!("plan, {what}: {}", plan.join("; "));
    }
}
