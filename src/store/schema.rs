//! The store file as a whole, for operators: which schema it is at, what
//! this build would migrate, its size (`placewatch store status`); a
//! consistent copy while the daemon runs (`placewatch backup`, SQLite's
//! `VACUUM INTO`); and the checks before a copy is put back
//! (`placewatch restore`). None of these migrate: they open the file as it
//! is, so a backup taken before an upgrade is of the old schema.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::StoreError;
use super::connect::MIGRATOR;

/// Where a store file's schema stands against this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaStatus {
    /// The newest migration applied; 0 for an empty file.
    pub version: i64,
    /// Migrations this build has and the file has not: applied on the
    /// next start.
    pub pending: Vec<i64>,
    /// Migrations the file has and this build does not know: a newer
    /// placewatch wrote it, and this one must not touch it.
    pub unknown: Vec<i64>,
    /// The database file and its write-ahead log, in bytes.
    pub bytes: u64,
}

impl SchemaStatus {
    /// The newest migration this build knows.
    pub fn known() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

/// A read-only connection to the file at `path`, which must exist.
async fn read_only(path: &Path) -> Result<SqliteConnection, StoreError> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .connect()
        .await
        .map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })
}

/// The schema of the store at `path` (see [`SchemaStatus`]).
pub async fn status(path: &Path) -> Result<SchemaStatus, StoreError> {
    let mut conn = read_only(path).await?;
    let status = status_on(&mut conn).await?;
    conn.close().await?;
    let size = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::fs::metadata(PathBuf::from(name)).map_or(0, |m| m.len())
    };
    Ok(SchemaStatus {
        bytes: size("") + size("-wal"),
        ..status
    })
}

async fn status_on(conn: &mut SqliteConnection) -> Result<SchemaStatus, StoreError> {
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let applied: Vec<i64> = if has_table {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    Ok(SchemaStatus {
        version: applied.iter().copied().max().unwrap_or(0),
        pending: known
            .iter()
            .copied()
            .filter(|v| !applied.contains(v))
            .collect(),
        unknown: applied
            .iter()
            .copied()
            .filter(|v| !known.contains(v))
            .collect(),
        bytes: 0,
    })
}

/// Refuses a store a newer placewatch has migrated (see [`Store::open`]).
///
/// [`Store::open`]: super::Store::open
pub(super) async fn refuse_newer(
    conn: &mut SqliteConnection,
    path: &Path,
) -> Result<(), StoreError> {
    let status = status_on(conn).await?;
    if status.unknown.is_empty() {
        return Ok(());
    }
    Err(StoreError::NewerSchema {
        path: path.to_owned(),
        version: status.version,
        known: SchemaStatus::known(),
    })
}

/// Writes a consistent copy of the store at `path` to `to` (which must not
/// exist) while others may be writing it: one read transaction's snapshot,
/// compacted, with no WAL beside it, owner-only (0600).
pub async fn backup(path: &Path, to: &Path) -> Result<SchemaStatus, StoreError> {
    if to.exists() {
        return Err(StoreError::Conflict(format!(
            "{} already exists: a backup never overwrites a file",
            to.display()
        )));
    }
    let mut conn = read_only(path).await?;
    let status = status_on(&mut conn).await?;
    let target = to
        .to_str()
        .ok_or_else(|| StoreError::Conflict(format!("{} is not a UTF-8 path", to.display())))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    crate::files::private_file_if_exists(to)
        .map_err(|e| StoreError::Conflict(format!("making {} private: {e}", to.display())))?;
    Ok(SchemaStatus {
        bytes: std::fs::metadata(to).map_or(0, |m| m.len()),
        ..status
    })
}

/// Checks a backup before it is put in place: a sound SQLite file
/// (`PRAGMA integrity_check`), of a schema this build knows.
pub async fn check_backup(from: &Path) -> Result<SchemaStatus, StoreError> {
    let mut conn = read_only(from).await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt(format!(
            "{} fails SQLite's integrity check: {verdict}",
            from.display()
        )));
    }
    refuse_newer(&mut conn, from).await?;
    let status = status_on(&mut conn).await?;
    conn.close().await?;
    Ok(status)
}
