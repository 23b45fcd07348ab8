//! The same rows on both engines, the same statements run on each: the
//! derived rows PostgreSQL's triggers keep (places, tags, counters, report
//! times, place reads) and its full-text search end as SQLite's do.
//!
//! The items are filed by the real SQLite store and copied to PostgreSQL
//! row by row (as JSON, column by column), since PostgreSQL's store is not
//! there yet: what is compared is what the triggers do next.

use serde_json::Value;
use sqlx::{PgConnection, SqliteConnection};

use super::pg_store;
use crate::store::{TestStore, batch, matched, post};
use placewatch::domain::triage::Decision;
use placewatch::store::ItemFilter;

/// The tables a new item's rows live in, in an order their foreign keys allow.
const FILED: [&str; 8] = [
    "authors",
    "posts",
    "items",
    "item_places",
    "item_tags",
    "item_counts",
    "item_times",
    "place_reads",
];

/// Copies every row of `table` from SQLite to PostgreSQL.
async fn copy_table(lite: &mut SqliteConnection, pg: &mut PgConnection, table: &str) {
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
        .bind(table)
        .fetch_all(&mut *lite)
        .await
        .unwrap();
    let fields: Vec<String> = columns.iter().map(|c| format!("'{c}', \"{c}\"")).collect();
    let rows: String = sqlx::query_scalar(&format!(
        "SELECT json_group_array(json_object({})) FROM \"{table}\"",
        fields.join(", ")
    ))
    .fetch_one(&mut *lite)
    .await
    .unwrap();
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query(&format!(
        "INSERT INTO \"{table}\" ({list}) \
         SELECT {list} FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
    ))
    .bind(rows)
    .execute(&mut *pg)
    .await
    .unwrap_or_else(|e| panic!("copying {table}: {e}"));
}

/// The derived tables, each as a JSON array of rows in key order: SQLite's
/// ORDER BY, and PostgreSQL's (text in bytes' order, as SQLite's BINARY).
const DERIVED: [(&str, &str, &str); 6] = [
    (
        "item_places",
        "item_id, place",
        "item_id, place COLLATE \"C\"",
    ),
    ("item_tags", "item_id, tag", "item_id, tag COLLATE \"C\""),
    (
        "item_counts",
        "facet, value, status",
        "facet COLLATE \"C\", value COLLATE \"C\", status COLLATE \"C\"",
    ),
    ("item_times", "item_id", "item_id"),
    (
        "place_reads",
        "month, place",
        "month COLLATE \"C\", place COLLATE \"C\"",
    ),
    ("item_documents", "id", "id"),
];

async fn lite_rows(lite: &mut SqliteConnection, table: &str, order: &str) -> Value {
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
        .bind(table)
        .fetch_all(&mut *lite)
        .await
        .unwrap();
    let fields: Vec<String> = columns.iter().map(|c| format!("'{c}', \"{c}\"")).collect();
    let json: String = sqlx::query_scalar(&format!(
        "SELECT json_group_array(json_object({})) FROM \
         (SELECT * FROM \"{table}\" ORDER BY {order})",
        fields.join(", ")
    ))
    .fetch_one(&mut *lite)
    .await
    .unwrap();
    serde_json::from_str(&json).unwrap()
}

async fn pg_rows(pg: &mut PgConnection, table: &str, order: &str) -> Value {
    sqlx::query_scalar(&format!(
        "SELECT coalesce(json_agg(t ORDER BY {order}), '[]') FROM (SELECT * FROM \"{table}\") t"
    ))
    .fetch_one(&mut *pg)
    .await
    .unwrap()
}

async fn assert_same_derived_rows(lite: &mut SqliteConnection, pg: &mut PgConnection, when: &str) {
    for (table, lite_order, pg_order) in DERIVED {
        let l = lite_rows(lite, table, lite_order).await;
        let p = pg_rows(pg, table, pg_order).await;
        assert_eq!(l, p, "{table} {when}");
    }
}

/// Three items: 1 in Croydon, 2 in Purley and Croydon tagged "bins", 3 in
/// Thornton Heath. Returns the two engines with the same rows.
async fn three_items_on_both() -> Option<(
    TestStore,
    SqliteConnection,
    crate::postgres::TestDatabase,
    PgConnection,
)> {
    let (db, mut pg) = pg_store().await?;
    let t = TestStore::open().await;
    let mut second = matched(
        post(2, "Bins not collected again, Purley Way"),
        &["Purley", "Croydon"],
    );
    second.decision = Decision {
        tags: vec!["bins".into()],
        ..Decision::default()
    };
    let filed = batch(
        "m",
        vec![
            matched(
                post(1, "Potholes all down the Café road, Croydon"),
                &["Croydon"],
            ),
            second,
            matched(
                post(3, "Reporting fly-tipping by the naïve mural"),
                &["Thornton Heath"],
            ),
        ],
    );
    t.store.record_pages(&filed).await.unwrap();
    let mut lite = t.raw().await;
    sqlx::raw_sql("INSERT INTO teams (name, created_at, updated_at) VALUES ('Streets', 't', 't')")
        .execute(&mut lite)
        .await
        .unwrap();
    for table in FILED.iter().chain(&["teams"]) {
        copy_table(&mut lite, &mut pg, table).await;
    }
    Some((t, lite, db, pg))
}

#[tokio::test]
async fn the_triggers_keep_the_same_derived_rows_on_both_engines() {
    let Some((_t, mut lite, _db, mut pg)) = three_items_on_both().await else {
        return;
    };
    assert_same_derived_rows(&mut lite, &mut pg, "as filed").await;

    let steps = [
        // A claim, then an assignment to a team and a priority.
        "UPDATE items SET status = 'in_progress', owner = 'priya', \
             updated_at = '2026-11-26T11:00:00.000Z' WHERE id = 1",
        "UPDATE items SET team_id = 1, priority = 'high' WHERE id = 1",
        // A merge: another monitor's query read post 3 again, in December.
        "UPDATE items SET places = '[\"Thornton Heath\",\"Norbury\"]', \
             tags = '[\"fly-tipping\"]', updated_at = '2026-12-01T09:00:00.000Z' WHERE id = 3",
        // Places reordered and one dropped; the same value set again.
        "UPDATE items SET places = '[\"Croydon\"]', updated_at = '2026-12-02T09:00:00.000Z' \
             WHERE id = 2",
        "UPDATE items SET status = status, owner = owner WHERE id = 2",
        // A reply sent by the outbox for priya; its audit entry names it.
        "INSERT INTO replies (item_id, target_post_id, text, officer, state, path, \
             created_at, updated_at) VALUES (1, 1, 'Thanks, reported', 'priya', 'sent', 'api', \
             '2026-11-26T12:00:00.000Z', '2026-11-26T12:00:00.000Z')",
        "INSERT INTO audit (at, actor, action, item_id, state_after) VALUES \
             ('2026-11-26T12:00:01.000Z', 'outbox', 'reply.sent', 1, '{\"reply\":{\"id\":1}}')",
        "UPDATE items SET status = 'replied' WHERE id = 1",
        // Dismissed (resolved, no response), then referred (a response).
        "INSERT INTO audit (at, actor, action, item_id) VALUES \
             ('2026-11-27T08:00:00.000Z', 'sam', 'item.dismissed', 2)",
        "UPDATE items SET status = 'dismissed' WHERE id = 2",
        "INSERT INTO audit (at, actor, action, item_id) VALUES \
             ('2026-11-28T08:00:00.000Z', 'sam', 'item.referred', 2)",
        // Actions that set no time, and one about no item.
        "INSERT INTO audit (at, actor, action, item_id) VALUES \
             ('2026-11-28T09:00:00.000Z', 'sam', 'item.claimed', 3), \
             ('2026-11-28T09:01:00.000Z', 'sam', 'officer.login', NULL)",
        // A later response does not replace the first.
        "INSERT INTO audit (at, actor, action, item_id) VALUES \
             ('2026-11-29T08:00:00.000Z', 'sam', 'item.marked_replied', 1)",
    ];
    for (n, sql) in steps.iter().enumerate() {
        for result in [
            sqlx::raw_sql(sql).execute(&mut lite).await.map(drop),
            sqlx::raw_sql(sql).execute(&mut pg).await.map(drop),
        ] {
            result.unwrap_or_else(|e| panic!("step {n}: {sql}: {e}"));
        }
        assert_same_derived_rows(&mut lite, &mut pg, &format!("after step {n}: {sql}")).await;
    }
    // The steps did reach the triggers.
    let times: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT first_response_by, resolved_at FROM item_times WHERE item_id = 1")
            .fetch_one(&mut pg)
            .await
            .unwrap();
    assert_eq!(
        times,
        (
            Some("priya".into()),
            Some("2026-11-26T12:00:01.000Z".into())
        )
    );
}

/// Post ids (as i64) of the items whose search vector matches `tsquery`.
async fn pg_search(pg: &mut PgConnection, tsquery: &str, bind: &str) -> Vec<i64> {
    sqlx::query_scalar(&format!(
        "SELECT post_id FROM items WHERE search_vector @@ ({tsquery}) ORDER BY post_id"
    ))
    .bind(bind)
    .fetch_all(&mut *pg)
    .await
    .unwrap()
}

async fn lite_search(t: &TestStore, text: &str, place: Option<&str>) -> Vec<i64> {
    let filter = ItemFilter {
        text: Some(text.into()),
        place: place.map(Into::into),
        limit: 500,
        ..ItemFilter::default()
    };
    let mut ids: Vec<i64> = t
        .store
        .list_items(&filter)
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.post.id as i64)
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn postgres_search_finds_what_sqlite_search_finds() {
    let Some((t, _lite, _db, mut pg)) = three_items_on_both().await else {
        return;
    };
    let words = "plainto_tsquery('placewatch', $1)";
    let cases = [
        // Word forms (stemming), accents folded both ways, case folded.
        ("pothole", words, vec![1]),
        ("cafe", words, vec![1]),
        ("CAFÉ ROADS", words, vec![1]),
        ("naive", words, vec![3]),
        ("reported", words, vec![3]),
        ("collect bin", words, vec![2]),
        ("croydon", words, vec![1]),
        ("the", words, vec![1, 3]),
        // Hyphenated words: each part, and the whole.
        ("tipping", words, vec![3]),
        ("fly-tipping", words, vec![3]),
        ("fly-tipped", words, vec![3]),
        // A phrase, and words that are there but not together.
        (
            "\"purley way\"",
            "phraseto_tsquery('placewatch', trim(both '\"' from $1))",
            vec![2],
        ),
        (
            "\"way purley\"",
            "phraseto_tsquery('placewatch', trim(both '\"' from $1))",
            vec![],
        ),
        // A prefix.
        (
            "pot*",
            "to_tsquery('placewatch', rtrim($1, '*') || ':*')",
            vec![1],
        ),
    ];
    for (text, tsquery, expected) in cases {
        assert_eq!(
            lite_search(&t, text, None).await,
            expected,
            "SQLite: {text}"
        );
        assert_eq!(
            pg_search(&mut pg, tsquery, text).await,
            expected,
            "PostgreSQL: {text}"
        );
    }

    // Words and a place filter in one tsquery, through the place's marker;
    // the marker follows a change of places.
    let with_place = "plainto_tsquery('placewatch', 'collected') \
                      && quote_literal(placewatch_marker(1, $1))::tsquery";
    assert_eq!(lite_search(&t, "collected", Some("Purley")).await, vec![2]);
    assert_eq!(pg_search(&mut pg, with_place, "Purley").await, vec![2]);
    assert_eq!(pg_search(&mut pg, with_place, "Croydon").await, vec![2]);
    sqlx::raw_sql("UPDATE items SET places = '[\"Croydon\"]' WHERE id = 2")
        .execute(&mut pg)
        .await
        .unwrap();
    assert_eq!(
        pg_search(&mut pg, with_place, "Purley").await,
        Vec::<i64>::new()
    );
    assert_eq!(pg_search(&mut pg, with_place, "Croydon").await, vec![2]);
    // A marker is not a word of the text: post 3 is in Thornton Heath, and
    // its text does not say so.
    assert_eq!(lite_search(&t, "thornton", None).await, Vec::<i64>::new());
    assert_eq!(
        pg_search(&mut pg, words, "thornton").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        lite_search(&t, "mural", Some("Thornton Heath")).await,
        vec![3]
    );
}
