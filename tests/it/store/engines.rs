//! SQLite and PostgreSQL side by side: the store's SQLite schema (made by
//! the real `Store::open`) and `migrations/postgres` on a fresh PostgreSQL
//! database have the same tables and columns, and PostgreSQL's triggers keep
//! the same rules and derived rows as SQLite's. Skipped without a cluster
//! (see `tests/it/postgres.rs`).

mod derived;

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgConnection, Row, SqliteConnection};

use super::TestStore;
use crate::postgres::TestDatabase;

static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A fresh PostgreSQL database with the PostgreSQL schema, or `None` when
/// the PostgreSQL tests are skipped.
async fn pg_store() -> Option<(TestDatabase, PgConnection)> {
    let db = TestDatabase::create().await?;
    let mut conn = db.connect().await;
    PG_MIGRATOR
        .run(&mut conn)
        .await
        .expect("the PostgreSQL migrations apply");
    Some((db, conn))
}

/// A column's type, in families both engines share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    Integer,
    Text,
    Blob,
    Real,
    Boolean,
}

/// (type family, NOT NULL) of each (table, column).
type Columns = BTreeMap<(String, String), (Family, bool)>;

/// SQLite's declared types, by its affinity rules (BOOLEAN apart).
fn sqlite_family(declared: &str) -> Family {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Family::Integer
    } else if t == "BOOLEAN" {
        Family::Boolean
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Family::Text
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Family::Real
    } else if t.contains("BLOB") {
        Family::Blob
    } else {
        panic!("a SQLite column of type {declared:?} has no PostgreSQL counterpart here")
    }
}

fn pg_family(data_type: &str) -> Family {
    match data_type {
        "bigint" | "integer" | "smallint" => Family::Integer,
        "text" | "character varying" => Family::Text,
        "bytea" => Family::Blob,
        "double precision" | "real" => Family::Real,
        "boolean" => Family::Boolean,
        other => panic!("a PostgreSQL column of type {other} has no SQLite counterpart"),
    }
}

/// Every table's columns, without the FTS5 tables (virtual and shadow) and
/// sqlx's bookkeeping. A primary key column counts as NOT NULL (SQLite
/// allows NULL in a non-INTEGER key only by an old quirk).
async fn sqlite_columns(conn: &mut SqliteConnection) -> Columns {
    let tables: Vec<(String, String)> =
        sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let virtual_tables: Vec<&str> = tables
        .iter()
        .filter(|(_, sql)| sql.starts_with("CREATE VIRTUAL TABLE"))
        .map(|(name, _)| name.as_str())
        .collect();
    let mut columns = Columns::new();
    for (table, _) in &tables {
        let fts = virtual_tables
            .iter()
            .any(|v| table == v || table.starts_with(&format!("{v}_")));
        if fts || table == "_sqlx_migrations" || table.starts_with("sqlite_") {
            continue;
        }
        let rows = sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        for row in rows {
            let not_null = row.get::<i64, _>(2) != 0 || row.get::<i64, _>(3) != 0;
            columns.insert(
                (table.clone(), row.get(0)),
                (sqlite_family(row.get(1)), not_null),
            );
        }
    }
    columns
}

/// Every base table's columns in schema public, without sqlx's bookkeeping
/// and the search vector (PostgreSQL's counterpart of the FTS5 tables).
async fn pg_columns(conn: &mut PgConnection) -> Columns {
    let rows = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
                c.is_nullable::text = 'NO' \
         FROM information_schema.columns c \
         JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '_sqlx_migrations' AND c.data_type <> 'tsvector'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    rows.iter()
        .map(|row| {
            (
                (row.get(0), row.get(1)),
                (pg_family(row.get::<&str, _>(2)), row.get(3)),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_two_engines_have_the_same_tables_and_columns() {
    let Some((_db, mut pg)) = pg_store().await else {
        return;
    };
    let t = TestStore::open().await;
    let mut lite = t.raw().await;

    let sqlite = sqlite_columns(&mut lite).await;
    let postgres = pg_columns(&mut pg).await;
    assert!(sqlite.len() > 100, "{} SQLite columns", sqlite.len());
    let only_sqlite: Vec<_> = sqlite
        .keys()
        .filter(|k| !postgres.contains_key(*k))
        .collect();
    let only_pg: Vec<_> = postgres
        .keys()
        .filter(|k| !sqlite.contains_key(*k))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only on SQLite: {only_sqlite:?}; only on PostgreSQL: {only_pg:?}"
    );
    let differ: Vec<_> = sqlite
        .iter()
        .filter(|(k, v)| postgres[*k] != **v)
        .map(|(k, v)| (k, v, postgres[k]))
        .collect();
    assert!(
        differ.is_empty(),
        "(table, column), SQLite's (type, NOT NULL), PostgreSQL's: {differ:?}"
    );

    // Both report the same schema version.
    let version = "SELECT max(version) FROM _sqlx_migrations";
    let lite_version: i64 = sqlx::query_scalar(version)
        .fetch_one(&mut lite)
        .await
        .unwrap();
    let pg_version: i64 = sqlx::query_scalar(version)
        .fetch_one(&mut pg)
        .await
        .unwrap();
    assert_eq!(lite_version, pg_version);
}

#[tokio::test]
async fn the_two_engines_have_the_same_indexes() {
    let Some((_db, mut pg)) = pg_store().await else {
        return;
    };
    let t = TestStore::open().await;
    let mut lite = t.raw().await;
    // Indexes made by CREATE INDEX (not those of PRIMARY KEY and UNIQUE).
    let lite_indexes: BTreeSet<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .fetch_all(&mut lite)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let pg_indexes: BTreeSet<String> = sqlx::query_scalar(
        "SELECT i.indexname::text FROM pg_indexes i \
         WHERE i.schemaname = 'public' AND NOT EXISTS ( \
             SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .fetch_all(&mut pg)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let only_pg: BTreeSet<&str> = pg_indexes
        .iter()
        .filter(|i| !lite_indexes.contains(*i))
        .map(String::as_str)
        .collect();
    let missing: Vec<&String> = lite_indexes.difference(&pg_indexes).collect();
    assert!(missing.is_empty(), "not on PostgreSQL: {missing:?}");
    // The search index, and teams' case-insensitive unique name (SQLite's
    // COLLATE NOCASE UNIQUE, an automatic index there).
    assert_eq!(
        only_pg,
        BTreeSet::from(["items_search", "teams_name_nocase"])
    );
}

/// `sql` on PostgreSQL fails with a message containing `says`.
async fn refused(pg: &mut PgConnection, sql: &str, says: &str) {
    let err = sqlx::raw_sql(sql).execute(&mut *pg).await.unwrap_err();
    assert!(err.to_string().contains(says), "{sql}: {err}");
}

#[tokio::test]
async fn audit_rows_cannot_be_updated_or_deleted_on_postgres() {
    let Some((_db, mut pg)) = pg_store().await else {
        return;
    };
    sqlx::raw_sql(
        "INSERT INTO audit (at, actor, action, detail) VALUES \
             ('2026-11-26T10:00:00.000Z', 'priya', 'officer.login', NULL), \
             ('2026-11-26T10:01:00.000Z', 'sam', 'officer.login', 'again')",
    )
    .execute(&mut pg)
    .await
    .unwrap();
    let rows = "SELECT id, at, actor, action, detail FROM audit ORDER BY id";
    type AuditRow = (i64, String, String, String, Option<String>);
    let before: Vec<AuditRow> = sqlx::query_as(rows).fetch_all(&mut pg).await.unwrap();
    assert_eq!(before.len(), 2);

    for sql in [
        "UPDATE audit SET actor = 'someone else'",
        "UPDATE audit SET detail = NULL WHERE id = 2",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE id = 1",
        "TRUNCATE audit",
    ] {
        refused(&mut pg, sql, "the audit log is append-only").await;
    }
    let after: Vec<AuditRow> = sqlx::query_as(rows).fetch_all(&mut pg).await.unwrap();
    assert_eq!(after, before);
}

#[tokio::test]
async fn posts_id_text_and_raw_cannot_change_on_postgres() {
    let Some((_db, mut pg)) = pg_store().await else {
        return;
    };
    sqlx::raw_sql(
        "INSERT INTO posts (id, text, is_retweet, mentions, raw, stored_at) \
         VALUES (1790000000000000123, 'Fly-tipping on Cherry Orchard Road', false, '[]', \
                 '{\"id\":\"1790000000000000123\"}', '2026-11-26T10:00:00.000Z')",
    )
    .execute(&mut pg)
    .await
    .unwrap();
    for sql in [
        "UPDATE posts SET text = 'edited'",
        "UPDATE posts SET raw = '{}'",
        "UPDATE posts SET id = 1",
        // Refused when set at all, as on SQLite, even to the same value.
        "UPDATE posts SET text = text",
    ] {
        refused(&mut pg, sql, "never change").await;
    }
    let (id, text): (i64, String) = sqlx::query_as("SELECT id, text FROM posts")
        .fetch_one(&mut pg)
        .await
        .unwrap();
    assert_eq!(id, 1_790_000_000_000_000_123);
    assert_eq!(text, "Fly-tipping on Cherry Orchard Road");
    // Columns other than id, text and raw may change (nothing changes
    // them today, but the trigger is about those three).
    sqlx::raw_sql("UPDATE posts SET lang = 'cy'")
        .execute(&mut pg)
        .await
        .unwrap();
}
