//! New items' derived rows (place and tag rows, counters, search documents),
//! written by the store since migration 0005, are exactly what the dropped
//! `items_derive_insert` trigger wrote for the same items.
//!
//! SQLite-only: the reference is the old SQLite trigger; PostgreSQL's
//! derived rows are compared with SQLite's in `engines::derived`.

use placewatch::domain::triage::{Decision, Priority, ReplyPath};
use sqlx::{Connection, Row, SqliteConnection};

use super::counts::busy_desk;
use super::{TestStore, batch, matched, post};

/// The old trigger, as migration 0001 created it.
fn old_insert_trigger() -> &'static str {
    let schema = include_str!("../../../migrations/0001_init.sql");
    let start = schema
        .find("CREATE TRIGGER items_derive_insert")
        .expect("0001 creates items_derive_insert");
    let end = start + schema[start..].find("\nEND;").expect("the trigger ends") + "\nEND;".len();
    &schema[start..end]
}

/// Items with every kind of filter value: accented and repeated places, tags,
/// owners or none, each priority and reply path, dismissed ones, and a post
/// stored earlier as context with other text (its first copy is indexed).
async fn varied_items(t: &TestStore) {
    let mut context = batch("ctx", vec![]);
    context.context = vec![post(107, "the first copy: Thornton Heath pond")];
    t.store.record_pages(&context).await.unwrap();
    let places = [
        "Croydon",
        "Café Nero",
        "Thornton Heath",
        "Purley",
        "Ñuñoa 🍒",
    ];
    // Ids 101..=160, clear of `busy_desk`'s.
    let posts_in = (101..=160u64)
        .map(|n| {
            let mut chosen: Vec<&str> = places
                .iter()
                .copied()
                .skip((n % 5) as usize)
                .take((n % 4) as usize)
                .collect();
            if n % 6 == 0 {
                chosen.push("Croydon"); // repeated: stored once
            }
            let mut m = matched(post(n, &format!("post {n}: bins, café and roads")), &chosen);
            m.decision = Decision {
                tags: ["bins", "roads", "fly-tipping", "bins"]
                    .iter()
                    .take((n % 5) as usize)
                    .map(|t| t.to_string())
                    .collect(),
                priority: Priority::ALL[(n % 4) as usize],
                owner: (n % 3 == 0).then(|| ["sam", "José"][(n % 2) as usize].to_owned()),
                dismissed: n % 7 == 0,
                ..Decision::default()
            };
            m.reply_path = if n % 2 == 0 {
                ReplyPath::Api
            } else {
                ReplyPath::Manual
            };
            m
        })
        .collect();
    // Newest first, as X sends them.
    let mut posts_in: Vec<_> = posts_in;
    posts_in.reverse();
    t.store.record_pages(&batch("a", posts_in)).await.unwrap();
}

/// A fresh store with the old trigger back, fed the same posts and items
/// (their final state): the rows it derives are the reference.
async fn replay_with_old_trigger(t: &TestStore) -> (tempfile::TempDir, SqliteConnection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reference.db");
    placewatch::store::Store::open(&path)
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql(old_insert_trigger())
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("ATTACH DATABASE ? AS a")
        .bind(t.path.display().to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO posts SELECT * FROM a.posts",
        "INSERT INTO items SELECT * FROM a.items ORDER BY id",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    (dir, conn)
}

/// Rows of `select` in one database and not the other, both ways.
async fn difference(conn: &mut SqliteConnection, mine: &str, reference: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (left, right) in [(mine, reference), (reference, mine)] {
        let sql = format!("SELECT * FROM ({left} EXCEPT {right})");
        for row in sqlx::query(&sql).fetch_all(&mut *conn).await.unwrap() {
            let cells: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<String, _>(i)
                        .or_else(|_| row.try_get::<i64, _>(i).map(|n| n.to_string()))
                        .unwrap_or_default()
                })
                .collect();
            out.push(format!("{left:.30}…: {}", cells.join(" | ")));
        }
    }
    out
}

/// Compares every derived row of the store under test (attached as `a`)
/// with the reference's (`main`).
async fn assert_same_derived_rows(t: &TestStore) {
    let (_dir, mut conn) = replay_with_old_trigger(t).await;
    let tables = [
        "SELECT item_id, place, position, status, post_id FROM {db}.item_places",
        "SELECT item_id, tag, position, status, post_id FROM {db}.item_tags",
        // Counters that fell back to zero are kept by the update trigger only.
        "SELECT facet, value, status, n FROM {db}.item_counts WHERE n > 0",
    ];
    let mut rows = 0i64;
    for select in tables {
        let mine = select.replace("{db}", "a");
        let reference = select.replace("{db}", "main");
        let diff = difference(&mut conn, &mine, &reference).await;
        assert!(diff.is_empty(), "{select}: {diff:#?}");
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM ({mine})"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        rows += n;
    }
    assert!(rows > 100, "the items have derived rows: {rows}");
    // Every token instance of every search index: term, document, offset.
    for status in ["new", "in_progress", "replied", "referred", "dismissed"] {
        for (db, vocab) in [("a", "mine"), ("main", "reference")] {
            let sql = format!(
                "CREATE VIRTUAL TABLE temp.{vocab}_{status} \
                 USING fts5vocab({db}, items_fts_{status}, instance)"
            );
            sqlx::query(&sql).execute(&mut conn).await.unwrap();
        }
        let diff = difference(
            &mut conn,
            &format!("SELECT term, doc, offset FROM temp.mine_{status}"),
            &format!("SELECT term, doc, offset FROM temp.reference_{status}"),
        )
        .await;
        assert!(diff.is_empty(), "items_fts_{status}: {diff:#?}");
    }
    let indexed: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(DISTINCT doc) FROM temp.mine_new) \
         + (SELECT COUNT(DISTINCT doc) FROM temp.mine_dismissed)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(indexed > 0);
}

#[tokio::test]
async fn new_items_get_the_rows_the_old_trigger_derived() {
    let t = TestStore::open().await;
    varied_items(&t).await;
    assert_same_derived_rows(&t).await;
}

#[tokio::test]
async fn derived_rows_stay_exact_through_merges_transitions_and_assignments() {
    let t = TestStore::open().await;
    varied_items(&t).await;
    busy_desk(&t.store).await;
    assert_same_derived_rows(&t).await;
}
