//! Copying a whole store into an empty one, either way between SQLite and
//! PostgreSQL (`placewatch store copy`): every table in an order its
//! foreign keys accept, row by row as stored (posts' text and raw JSON
//! byte-exact, the audit log whole, ids kept), read from one snapshot of
//! the source and written in one transaction of the target, so a copy that
//! fails leaves the target empty. Afterwards PostgreSQL's id sequences are
//! moved past the copied ids, SQLite's full-text indexes are built from the
//! copied items (PostgreSQL's search vectors are kept by its trigger as
//! rows arrive), and every table's rows are counted on both sides.
//!
//! Values cross by the target column's type: SQLite keeps booleans as
//! integers, PostgreSQL as booleans.

use futures::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::plan::fts_table;
use super::{Engine, Store, StoreError};
use crate::domain::triage::Status;

/// Every table copied, parents before children (the lease and presence are
/// the running deployment's and are not copied).
pub const TABLES: [&str; 31] = [
    "authors",
    "posts",
    "teams",
    "team_members",
    "items",
    "item_places",
    "item_tags",
    "item_counts",
    "notes",
    // Before `item_times`: its insert trigger updates their rows.
    "audit",
    "cursors",
    "usage",
    "events",
    "replies",
    "officers",
    "sessions",
    "saved_views",
    "referrals",
    "notifications",
    "notification_digests",
    "channel_messages",
    "spikes",
    "item_times",
    "place_reads",
    "report_emails",
    "login_attempts",
    "login_good_addresses",
    // The council's X tokens (PostgreSQL keeps them here; with SQLite
    // they are in the data directory's token file and this is empty).
    "x_tokens",
    // Kept for the record of which migrations made the schema; both
    // stores are at the same version, so the target's rows stay.
    "_sqlx_migrations",
    "leases",
    "presence",
];

/// Tables whose target rows stay as they are.
const NOT_COPIED: [&str; 3] = ["_sqlx_migrations", "leases", "presence"];

/// Rows per multi-row insert.
const BATCH: usize = 200;

/// What a column holds, as the copy converts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Real,
    Text,
    Blob,
    /// Derived in the target (PostgreSQL's search vector): not copied.
    Derived,
}

/// A value read from the source.
enum Value {
    /// NULL, typed as the target column wants it (PostgreSQL checks).
    Null(Kind),
    Int(i64),
    Bool(bool),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// One table's copy, for the progress report and the final check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: &'static str,
    pub rows: u64,
}

async fn columns(
    conn: &mut AnyConnection,
    engine: Engine,
    table: &str,
) -> Result<Vec<(String, Kind)>, StoreError> {
    let sql = match engine {
        Engine::Sqlite => {
            "SELECT name, upper(type) AS type FROM pragma_table_info($1) ORDER BY cid"
        }
        Engine::Postgres => {
            "SELECT CAST(column_name AS TEXT) AS name, upper(CAST(data_type AS TEXT)) AS type \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("name")?;
            let declared: String = row.try_get("type")?;
            let kind = if declared.contains("INT") {
                Kind::Int
            } else if declared.contains("BOOL") {
                Kind::Bool
            } else if declared.contains("REAL") || declared.contains("DOUBLE") {
                Kind::Real
            } else if declared.contains("BLOB") || declared.contains("BYTEA") {
                Kind::Blob
            } else if declared.contains("TSVECTOR") {
                Kind::Derived
            } else {
                Kind::Text
            };
            Ok((name, kind))
        })
        .collect()
}

/// The value of column `i` of `row`, read as the target's `kind` wants it.
fn read(row: &AnyRow, i: usize, kind: Kind) -> Result<Value, StoreError> {
    let int = || -> Result<Option<i64>, sqlx::Error> {
        match row.try_get::<Option<i64>, _>(i) {
            Ok(v) => Ok(v),
            Err(_) => Ok(row.try_get::<Option<bool>, _>(i)?.map(i64::from)),
        }
    };
    let value = match kind {
        Kind::Int => int()?.map(Value::Int),
        Kind::Bool => match row.try_get::<Option<bool>, _>(i) {
            Ok(v) => v.map(Value::Bool),
            Err(_) => int()?.map(|n| Value::Bool(n != 0)),
        },
        Kind::Real => row.try_get::<Option<f64>, _>(i)?.map(Value::Real),
        Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
        Kind::Blob => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Blob),
        Kind::Derived => None,
    };
    Ok(value.unwrap_or(Value::Null(kind)))
}

async fn count(conn: &mut AnyConnection, table: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await?)
}

async fn insert(
    conn: &mut AnyConnection,
    engine: Engine,
    table: &str,
    names: &str,
    width: usize,
    rows: &mut Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = format!("INSERT INTO {table} ({names}) VALUES ");
    let mut n = 0;
    for r in 0..rows.len() {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            match engine {
                Engine::Sqlite => sql.push('?'),
                Engine::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for row in rows.drain(..) {
        for value in row {
            query = match value {
                Value::Null(Kind::Int) => query.bind(None::<i64>),
                Value::Null(Kind::Bool) => query.bind(None::<bool>),
                Value::Null(Kind::Real) => query.bind(None::<f64>),
                Value::Null(Kind::Blob) => query.bind(None::<Vec<u8>>),
                Value::Null(Kind::Text | Kind::Derived) => query.bind(None::<String>),
                Value::Int(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::Real(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::Blob(v) => query.bind(v),
            };
        }
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

impl Store {
    /// Copies this store into `target`, which must be empty (no post,
    /// item, officer or audit entry): see the module's doc. `progress` is
    /// told each table's rows as they go.
    pub async fn copy_into(
        &self,
        target: &Store,
        mut progress: impl FnMut(&'static str, u64, u64),
    ) -> Result<Vec<Copied>, StoreError> {
        let mut tx = target.begin_write().await?;
        for table in ["posts", "items", "officers", "audit"] {
            if count(&mut tx, table).await? > 0 {
                return Err(StoreError::Conflict(format!(
                    "the target store is not empty ({table} has rows): store copy only writes \
                     into an empty store"
                )));
            }
        }
        let mut source = self.read.begin().await?;
        if self.engine == Engine::Postgres {
            // One snapshot for every table (SQLite's read transaction is one).
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *source)
                .await?;
        }
        let mut copied = Vec::new();
        for table in TABLES {
            if NOT_COPIED.contains(&table) {
                continue;
            }
            let wanted: Vec<(String, Kind)> = columns(&mut tx, target.engine, table)
                .await?
                .into_iter()
                .filter(|(_, kind)| *kind != Kind::Derived)
                .collect();
            let have = columns(&mut source, self.engine, table).await?;
            let cols: Vec<(String, Kind)> = wanted
                .into_iter()
                .filter(|(name, _)| have.iter().any(|(h, _)| h == name))
                .collect();
            let names = cols
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let total = u64::try_from(count(&mut source, table).await?).unwrap_or(0);
            if total > 0 {
                progress(table, 0, total);
            }
            // sqlx's Any driver cannot carry SQLite's BOOLEAN-declared
            // columns: they are read as the integers SQLite stores.
            let selected = cols
                .iter()
                .map(|(name, _)| {
                    let boolean = have.iter().any(|(h, k)| h == name && *k == Kind::Bool);
                    if boolean && self.engine == Engine::Sqlite {
                        format!("CAST({name} AS INTEGER) AS {name}")
                    } else {
                        name.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let select = format!("SELECT {selected} FROM {table}");
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
            let mut done = 0_u64;
            {
                let mut rows = sqlx::query(&select).fetch(&mut *source);
                while let Some(row) = rows.try_next().await? {
                    let values = cols
                        .iter()
                        .enumerate()
                        .map(|(i, (_, kind))| read(&row, i, *kind))
                        .collect::<Result<Vec<_>, _>>()?;
                    batch.push(values);
                    if batch.len() == BATCH {
                        insert(
                            &mut tx,
                            target.engine,
                            table,
                            &names,
                            cols.len(),
                            &mut batch,
                        )
                        .await?;
                        done += BATCH as u64;
                        progress(table, done, total);
                    }
                }
            }
            done += batch.len() as u64;
            insert(
                &mut tx,
                target.engine,
                table,
                &names,
                cols.len(),
                &mut batch,
            )
            .await?;
            progress(table, done, total);
            copied.push(Copied { table, rows: done });
        }
        source.rollback().await?;
        match target.engine {
            Engine::Postgres => {
                // Identity columns go on from the copied ids.
                let identities: Vec<(String, String)> = sqlx::query_as(
                    "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND is_identity = 'YES'",
                )
                .fetch_all(&mut *tx)
                .await?;
                for (table, column) in identities {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                         coalesce(max({column}), 1), max({column}) IS NOT NULL) FROM {table}"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            Engine::Sqlite => {
                // The full-text indexes, from the copied items.
                for status in Status::ALL {
                    sqlx::query(&format!(
                        "INSERT INTO {} (rowid, document) SELECT id, document FROM item_documents \
                         WHERE status = $1 ORDER BY id",
                        fts_table(status)
                    ))
                    .bind(status.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        // Every table holds what the source held.
        for c in &copied {
            let rows = u64::try_from(count(&mut tx, c.table).await?).unwrap_or(0);
            if rows != c.rows {
                return Err(StoreError::Conflict(format!(
                    "the copy of {} has {rows} rows where the source had {}: nothing was copied",
                    c.table, c.rows
                )));
            }
        }
        tx.commit().await?;
        Ok(copied)
    }
}
