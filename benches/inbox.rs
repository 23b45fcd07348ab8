//! The inbox and its search in the store, on SQLite and on PostgreSQL side
//! by side: with 1,000,000 posts and 200,000 items stored, an inbox page
//! (`Store::list_items`: the page's ids, its items and the per-status
//! counts) within 20 ms at the 95th percentile, and a full-text search (the
//! same, plus `Store::highlights` of the page's texts, as the desk marks
//! them) within 50 ms; and the counts a bulk action starts with
//! (`Store::count_matching`). The filters are those of `benches/desk.rs`'s
//! pages, which time the same through HTTP on SQLite.
//!
//! 1. SQLite: the cached 1M-post store of `common::scale`, copied, with
//!    months of desk work spread over it (`scale::spread_work`).
//! 2. PostgreSQL (`-- --postgres URL`, a cluster such as
//!    `scripts/pg-test-cluster` starts): the same posts written through
//!    `Store::record_pages` into a database named for the hash of
//!    `migrations/postgres/` (`pw_bench_1m_<hash>`), the work spread the
//!    same way, then `ANALYZE`; kept in the cluster for later runs (a run
//!    finds it by name and a table `bench_seeded`).
//! 3. Per filter: 10 warm-up calls, then N timed ones (`--requests N`,
//!    default 200), one at a time; p50, p95 and p99 per engine.
//!
//! 4. A bulk action (`--bulk N`, default 10,000; 0 skips it): a priority set
//!    on N replied items of normal priority (`Store::apply_change`, as the
//!    desk's bulk form), then its undo, each timed once per engine. The undo
//!    puts the items back, so the cached PostgreSQL database keeps its
//!    figures (its audit log grows by 2N entries a run).
//!
//! Run: `cargo bench --bench inbox -- --postgres postgres://…` (without
//! `--postgres`, SQLite only). Loopback only.

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use common::scale::{ITEMS, POSTS, cached_store, migrations_hash, seed_store};
use placewatch::config::Config;
use placewatch::domain::triage::{ItemChange, Priority, Status};
use placewatch::store::{ItemFilter, Sort, Store};
use sqlx::ConnectOptions;

const INBOX_TARGET: Duration = Duration::from_millis(20);
const SEARCH_TARGET: Duration = Duration::from_millis(50);

/// What one line of the table times.
#[derive(Clone)]
enum Call {
    /// A page, and its highlights when it searches.
    Page(ItemFilter),
    /// The count a bulk action on a whole view starts with.
    Count(ItemFilter),
}

struct Timing {
    p50: Duration,
    p95: Duration,
    p99: Duration,
}

async fn once(store: &Store, call: &Call) -> usize {
    match call {
        Call::Page(filter) => {
            let page = store.list_items(filter).await.expect("a page");
            if let Some(q) = &filter.text {
                let texts: Vec<&str> = page.items.iter().map(|i| i.post.text.as_str()).collect();
                let marks = store.highlights(q, &texts).await.expect("highlights");
                assert!(
                    page.items.is_empty() || marks.iter().any(|m| !m.is_empty()),
                    "a page of matches has marks: {filter:?}"
                );
            }
            page.items.len()
        }
        Call::Count(filter) => store.count_matching(filter).await.expect("a count") as usize,
    }
}

async fn time(store: &Store, call: &Call, n: usize) -> (Timing, usize) {
    for _ in 0..10 {
        once(store, call).await;
    }
    let mut times = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        size = once(store, call).await;
        times.push(t.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    (
        Timing {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
        },
        size,
    )
}

/// The desk's pages as store calls (see `benches/desk.rs`), with their
/// targets. `mid` is an item in the middle of the store.
fn calls(mid: i64) -> Vec<(&'static str, Call, Duration)> {
    let open = ItemFilter {
        open: true,
        sort: Sort::Priority,
        ..ItemFilter::default()
    };
    let all = ItemFilter::default();
    let with = |base: &ItemFilter, f: &dyn Fn(&mut ItemFilter)| {
        let mut filter = base.clone();
        f(&mut filter);
        filter
    };
    let text = |q: &str| Some(q.to_owned());
    let page = |name, filter, target| (name, Call::Page(filter), target);
    vec![
        page("open queue, by priority", open.clone(), INBOX_TARGET),
        page(
            "open queue, longest waiting",
            with(&open, &|f| f.sort = Sort::OldestWaiting),
            INBOX_TARGET,
        ),
        page(
            "open queue, page in middle",
            with(&open, &|f| f.before = Some(mid)),
            INBOX_TARGET,
        ),
        page(
            "open queue, one place",
            with(&open, &|f| f.place = Some("Purley".into())),
            INBOX_TARGET,
        ),
        page("everything, newest first", all.clone(), INBOX_TARGET),
        page(
            "inbox, new",
            with(&all, &|f| f.status = Some(Status::New)),
            INBOX_TARGET,
        ),
        page(
            "inbox, in progress, mine",
            with(&all, &|f| {
                f.status = Some(Status::InProgress);
                f.owner = Some("sam".into());
            }),
            INBOX_TARGET,
        ),
        page(
            "inbox, one place",
            with(&all, &|f| f.place = Some("Purley".into())),
            INBOX_TARGET,
        ),
        page(
            "inbox, a tag, urgent",
            with(&all, &|f| {
                f.tag = Some("roads".into());
                f.priority = Some(Priority::Urgent);
            }),
            INBOX_TARGET,
        ),
        page(
            "everything, page in middle",
            with(&all, &|f| f.before = Some(mid)),
            INBOX_TARGET,
        ),
        page(
            "search, open, by priority",
            with(&open, &|f| f.text = text("bins")),
            SEARCH_TARGET,
        ),
        page(
            "search all, a common word",
            with(&all, &|f| f.text = text("bins")),
            SEARCH_TARGET,
        ),
        page(
            "search, two words",
            with(&open, &|f| f.text = text("pothole lights")),
            SEARCH_TARGET,
        ),
        page(
            "search, rare word",
            with(&open, &|f| f.text = text("w2718")),
            SEARCH_TARGET,
        ),
        page(
            "search, word forms",
            with(&all, &|f| f.text = text("potholes")),
            SEARCH_TARGET,
        ),
        page(
            "search, a prefix",
            with(&all, &|f| f.text = text("pot*")),
            SEARCH_TARGET,
        ),
        page(
            "search, a phrase",
            with(&all, &|f| f.text = text("\"missed tram\"")),
            SEARCH_TARGET,
        ),
        page(
            "search in replied items",
            with(&all, &|f| {
                f.status = Some(Status::Replied);
                f.text = text("litter");
            }),
            SEARCH_TARGET,
        ),
        page(
            "search + place",
            with(&all, &|f| {
                f.text = text("bins");
                f.place = Some("Croydon".into());
            }),
            SEARCH_TARGET,
        ),
        page(
            "search + place, open",
            with(&open, &|f| {
                f.text = text("bins");
                f.place = Some("Croydon".into());
            }),
            SEARCH_TARGET,
        ),
        (
            "bulk count: open, a place",
            Call::Count(with(&open, &|f| f.place = Some("Purley".into()))),
            INBOX_TARGET,
        ),
        (
            "bulk count: open, a search",
            Call::Count(with(&open, &|f| f.text = text("bins"))),
            SEARCH_TARGET,
        ),
        (
            "bulk count: search + place",
            Call::Count(with(&open, &|f| {
                f.text = text("bins");
                f.place = Some("Croydon".into());
            })),
            SEARCH_TARGET,
        ),
    ]
}

/// Times a bulk priority on `n` replied items of normal priority, and its
/// undo.
async fn bulk(store: &Store, n: usize) -> (usize, Duration, Duration) {
    let mut filter = ItemFilter {
        status: Some(Status::Replied),
        priority: Some(Priority::Normal),
        limit: 500,
        ..ItemFilter::default()
    };
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let page = store.list_items(&filter).await.expect("a page");
        ids.extend(page.items.iter().map(|i| i.id));
        match page.next_before {
            Some(before) => filter.before = Some(before),
            None => break,
        }
    }
    ids.truncate(n);
    let t = Instant::now();
    let applied = store
        .apply_change(&ids, &ItemChange::SetPriority(Priority::High), "sam", None)
        .await
        .expect("bulk priority");
    let apply = t.elapsed();
    assert_eq!(applied.changed.len(), ids.len(), "every item changed");
    let t = Instant::now();
    let undone = store
        .undo(&applied.entries(), "sam", Duration::from_secs(3600))
        .await
        .expect("undo");
    let undo = t.elapsed();
    assert_eq!(undone.items.len(), ids.len(), "every item put back");
    (ids.len(), apply, undo)
}

/// The SQLite store: the cache, copied, with the work spread.
async fn sqlite_store(places: &[String], dir: &std::path::Path) -> Store {
    let cache = cached_store(places).await;
    let db = dir.join("placewatch.db");
    std::fs::copy(&cache, &db).expect("copying the cached store");
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("raw connection");
        common::scale::spread_work(&mut conn, "sam").await;
        conn.close().await.expect("close");
    }
    Store::open(&db).await.expect("store opens")
}

/// The PostgreSQL store in the cluster at `cluster`: the cached database,
/// or a new one seeded and spread (once per schema).
async fn postgres_store(places: &[String], cluster: &str) -> Store {
    use sqlx::Connection;
    let options = sqlx::postgres::PgConnectOptions::from_str(cluster).expect("a PostgreSQL URL");
    let name = format!(
        "pw_bench_1m_{:016x}",
        migrations_hash("migrations/postgres")
    );
    let url = options.clone().database(&name).to_url_lossy().to_string();
    let mut admin = options.connect().await.expect("the cluster");
    let mut exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .expect("pg_database");
    if exists {
        let store = Store::connect(&url, None)
            .await
            .expect("the cached database");
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        let ready: bool = sqlx::query_scalar("SELECT to_regclass('bench_seeded') IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .expect("bench_seeded");
        if ready {
            println!("PostgreSQL: cached database {name}");
            return store;
        }
        store.close().await;
        let seeded: bool =
            sqlx::query_scalar("SELECT to_regclass('bench_posts_seeded') IS NOT NULL")
                .fetch_one(&mut conn)
                .await
                .expect("bench_posts_seeded");
        conn.close().await.expect("close");
        if !seeded {
            // Seeding was interrupted: start again.
            sqlx::raw_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .expect("dropping a partly seeded database");
            exists = false;
        }
    }
    let t = Instant::now();
    if !exists {
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
    }
    let store = Store::connect(&url, None).await.expect("the database");
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    let seeded: bool = sqlx::query_scalar("SELECT to_regclass('bench_posts_seeded') IS NOT NULL")
        .fetch_one(&mut conn)
        .await
        .expect("bench_posts_seeded");
    if !seeded {
        println!("PostgreSQL: seeding {POSTS} posts / {ITEMS} items into {name} (once)");
        seed_store(&store, places).await;
        println!("PostgreSQL: seeded in {:.0} s", t.elapsed().as_secs_f64());
        sqlx::raw_sql("CREATE TABLE bench_posts_seeded (at TEXT)")
            .execute(&mut conn)
            .await
            .expect("bench_posts_seeded");
    }
    // As `scale::spread_work` on SQLite: few items open, most replied or
    // dismissed. The derived rows (places' and tags' statuses, counters)
    // are then rebuilt set-based: through the per-row trigger, 200,000
    // updates of the same few counter rows in one statement would each
    // walk the rows' growing chain of versions.
    sqlx::raw_sql(
        "BEGIN; \
         ALTER TABLE items DISABLE TRIGGER items_derive_update; \
         UPDATE items SET \
         status = CASE WHEN random() < 0.02 THEN 'new' \
             WHEN random() < 0.02 THEN 'in_progress' \
             WHEN random() < 0.08 THEN 'referred' \
             WHEN random() < 0.25 THEN 'dismissed' ELSE 'replied' END, \
         owner = CASE WHEN random() < 0.25 THEN 'sam' ELSE NULL END, \
         priority = CASE WHEN random() < 0.01 THEN 'urgent' \
             WHEN random() < 0.1 THEN 'high' ELSE 'normal' END; \
         ALTER TABLE items ENABLE TRIGGER items_derive_update; \
         UPDATE item_places x SET status = i.status FROM items i WHERE i.id = x.item_id; \
         UPDATE item_tags x SET status = i.status FROM items i WHERE i.id = x.item_id; \
         DELETE FROM item_counts; \
         INSERT INTO item_counts (facet, value, status, n) \
             SELECT 'all', '', status, count(*) FROM items GROUP BY status \
             UNION ALL SELECT 'priority', priority, status, count(*) FROM items GROUP BY 2, 3 \
             UNION ALL SELECT 'reply_path', reply_path, status, count(*) FROM items GROUP BY 2, 3 \
             UNION ALL SELECT 'owner', owner, status, count(*) FROM items \
                 WHERE owner IS NOT NULL GROUP BY 2, 3 \
             UNION ALL SELECT 'team', team_id::text, status, count(*) FROM items \
                 WHERE team_id IS NOT NULL GROUP BY 2, 3 \
             UNION ALL SELECT 'place', place, status, count(*) FROM item_places GROUP BY 2, 3 \
             UNION ALL SELECT 'tag', tag, status, count(*) FROM item_tags GROUP BY 2, 3; \
         COMMIT;",
    )
    .execute(&mut conn)
    .await
    .expect("spreading statuses, owners and priorities");
    sqlx::raw_sql("VACUUM ANALYZE")
        .execute(&mut conn)
        .await
        .expect("VACUUM ANALYZE");
    sqlx::raw_sql("CREATE TABLE bench_seeded (at TEXT)")
        .execute(&mut conn)
        .await
        .expect("bench_seeded");
    println!("PostgreSQL: ready in {:.0} s", t.elapsed().as_secs_f64());
    store
}

#[tokio::main]
async fn main() {
    let n: usize = common::arg("--requests", 200);
    let postgres = Some(common::arg("--postgres", String::new())).filter(|url| !url.is_empty());
    let config = Config::load(&common::reference_config_path()).expect("the reference config");
    let places: Vec<String> = config
        .monitor
        .places
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut stores = vec![("SQLite", sqlite_store(&places, dir.path()).await)];
    if let Some(url) = &postgres {
        stores.push(("PostgreSQL", postgres_store(&places, url).await));
    }
    let mid = ITEMS as i64 / 2;
    println!("inbox in the store: {POSTS} posts, {ITEMS} items; {n} calls per line, one at a time");
    print!("{:<28}", "call");
    for (engine, _) in &stores {
        print!(
            " | {engine:<10} {:>8} {:>8} {:>8} {:>6}",
            "p50", "p95", "p99", "rows"
        );
    }
    println!("  target p95");
    let mut failed = Vec::new();
    for (name, call, target) in calls(mid) {
        print!("{name:<28}");
        for (engine, store) in &stores {
            let (t, size) = time(store, &call, n).await;
            let ok = t.p95 <= target;
            print!(
                " | {:<10} {:>8.2?} {:>8.2?} {:>8.2?} {size:>6}",
                if ok { "ok" } else { "MISSED" },
                t.p50,
                t.p95,
                t.p99
            );
            if !ok {
                failed.push(format!("{name} ({engine})"));
            }
        }
        println!("  {target:?}");
    }
    let n_bulk: usize = common::arg("--bulk", 10_000);
    if n_bulk > 0 {
        for (engine, store) in &stores {
            let (items, apply, undo) = bulk(store, n_bulk).await;
            println!(
                "bulk priority on {items} replied items, {engine}: {apply:.2?}; its undo {undo:.2?}"
            );
        }
    }
    println!("load average: {}", common::load_average());
    for (_, store) in &stores {
        store.close().await;
    }
    if failed.is_empty() {
        println!("all within target");
    } else {
        println!("missed the target: {}", failed.join(", "));
        std::process::exit(1);
    }
}
