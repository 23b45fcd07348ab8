//! `placewatch store copy`: the demo's store (a week of officers' work:
//! replies, referrals, notes, the audit log) copied to PostgreSQL and back
//! to a new SQLite file is the same store, table by table, row by row; its
//! full-text search finds what the original's finds; and a copy into a
//! store that is not empty is refused, leaving it as it was.
//!
//! Needs a PostgreSQL cluster (SKIPPED without one, see `postgres`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use placewatch::store::copy::TABLES;
use placewatch::store::{ItemFilter, Store};
use sqlx::{Connection, SqliteConnection};

use crate::postgres::TestDatabase;

fn placewatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(args)
        .output()
        .expect("placewatch runs")
}

/// Runs the demo with its seeded week into `dir` until it is ready, then
/// stops it with Ctrl-C.
fn demo_store(dir: &std::path::Path) {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["demo", "--listen", "127.0.0.1:0", "--rate", "0", "--data"])
        .arg(dir)
        .env("PLACEWATCH__DESK__MONITORING_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo starts");
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.starts_with("Press Ctrl-C"));
    assert!(ready, "the demo never got ready");
    // Keep draining, so the demo never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let pid = demo.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let status = demo.wait().unwrap();
    assert!(status.success(), "the demo stops cleanly: {status:?}");
}

async fn matches(store: &Store, text: &str) -> u64 {
    store
        .count_matching(&ItemFilter {
            text: Some(text.to_owned()),
            ..ItemFilter::default()
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_store_copied_to_postgresql_and_back_is_the_same_store() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    demo_store(dir.path());
    let original = dir.path().join("placewatch.db");
    let back = dir.path().join("back.db");
    let from = format!("sqlite://{}", original.display());
    let out = placewatch(&["store", "copy", "--from", &from, "--to", &db.url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("every table's rows counted again"), "{said}");
    // Into a store that is not empty: refused, and nothing changes.
    let again = placewatch(&["store", "copy", "--from", &from, "--to", &db.url]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not empty"), "{err}");
    // And back, into a new SQLite file.
    let to = format!("sqlite://{}", back.display());
    let out = placewatch(&["store", "copy", "--from", &db.url, "--to", &to]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every copied table: the same rows, every column, both ways.
    let mut conn = SqliteConnection::connect(&from).await.unwrap();
    sqlx::query(&format!("ATTACH DATABASE '{}' AS back", back.display()))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut compared = 0;
    for table in TABLES
        .iter()
        .filter(|t| !["_sqlx_migrations", "leases", "presence"].contains(t))
    {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM main.{table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        for (a, b) in [("main", "back"), ("back", "main")] {
            let differ: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM (SELECT * FROM {a}.{table} EXCEPT SELECT * FROM {b}.{table})"
            ))
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(differ, 0, "{table}: rows of {a} not in {b}");
        }
        compared += rows;
    }
    for (table, at_least) in [
        ("items", 1_000),
        ("replies", 50),
        ("audit", 1_000),
        ("referrals", 50),
    ] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM back.{table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(rows >= at_least, "the demo's week has {table}: {rows}");
    }
    eprintln!("store copy: {compared} rows the same after SQLite → PostgreSQL → SQLite");
    conn.close().await.unwrap();
    // The copy's full-text index was built: searches find the same items.
    let (original, back) = (
        Store::open(&original).await.unwrap(),
        Store::open(&back).await.unwrap(),
    );
    for text in ["bins", "pothole", "Croydon", "fly*"] {
        let want = matches(&original, text).await;
        assert!(want > 0, "the demo has posts about {text}");
        assert_eq!(matches(&back, text).await, want, "{text}");
    }
}
