//! Opening a store: the SQLite file ([`Store::open`]) or either engine by
//! URL ([`Store::connect`]), each with its connection settings, its
//! migrations and its pools (one writer, readers). sqlx's `Any` driver
//! carries every statement; SQLite also gets typed readers for the inbox
//! (see `Store::inbox`).

use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::time::Duration;

use super::{Engine, READERS, SEARCHES, Store, StoreError};

/// The SQLite schema migrations in `migrations/`, embedded in the binary.
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// The PostgreSQL schema migrations in `migrations/postgres/` (the same
/// tables and columns as SQLite's from schema 21 on).
static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// WAL pages (4 KiB) between automatic checkpoints: up to ~40 MB of WAL.
const WAL_AUTOCHECKPOINT: u32 = 10_000;

/// Prepared statements kept per typed (inbox) connection. The `Any`
/// connections keep sqlx's default of 100 (its URL has no setting for it):
/// the bulk writes of a page use a statement per table and chunk size (see
/// `ingest::chunks`), about seventy in all.
const STATEMENT_CACHE: usize = 128;

/// Connections for a PostgreSQL store's readers, as many as SQLite's.
const PG_READERS: u32 = READERS;

impl Store {
    /// Opens the store `url` names: `sqlite://PATH` (as [`Store::open`]) or
    /// `postgres://…`/`postgresql://…` (TLS as the URL's `sslmode` says, as
    /// libpq reads it; `password`, when given, replaces any in the URL).
    /// Brings the schema up to date either way.
    pub async fn connect(url: &str, password: Option<&SecretString>) -> Result<Store, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if password.is_some() {
                return Err(StoreError::BadUrl(
                    "a SQLite store has no password".to_owned(),
                ));
            }
            return Store::open(Path::new(path)).await;
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut parsed = url::Url::parse(url)
                .map_err(|e| StoreError::BadUrl(format!("the PostgreSQL URL is not valid: {e}")))?;
            if let Some(password) = password {
                parsed
                    .set_password(Some(password.expose_secret()))
                    .map_err(|()| {
                        StoreError::BadUrl("the PostgreSQL URL cannot hold a password".to_owned())
                    })?;
            }
            return Store::connect_postgres(&parsed).await;
        }
        Err(StoreError::BadUrl(
            "the store URL must start with sqlite://, postgres:// or postgresql://".to_owned(),
        ))
    }

    /// A PostgreSQL store at `url` (its password in it, if any).
    async fn connect_postgres(url: &url::Url) -> Result<Store, StoreError> {
        install_drivers();
        let connect_error = |source| StoreError::Connect {
            url: masked(url),
            source,
        };
        let options = AnyConnectOptions::from_url(url).map_err(connect_error)?;
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(connect_error)?;
        PG_MIGRATOR.run(&write).await?;
        let read = AnyPoolOptions::new()
            .max_connections(PG_READERS)
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(Store::with_pools(Engine::Postgres, write, read, None))
    }

    /// A store around its pools.
    fn with_pools(
        engine: Engine,
        write: AnyPool,
        read: AnyPool,
        inbox: Option<sqlx::SqlitePool>,
    ) -> Store {
        Store {
            engine,
            write,
            read,
            inbox,
            checkpointing: Arc::default(),
            searches: Arc::new(tokio::sync::Semaphore::new(SEARCHES)),
            desk_url: Arc::default(),
        }
    }

    /// Opens (creating) the SQLite file at `path` and brings its schema up to
    /// date; running it on an up-to-date file changes nothing. The file and
    /// its WAL are owner-only (0600).
    ///
    /// Every connection runs in WAL mode with foreign keys on, a 5 s busy
    /// timeout and `synchronous = NORMAL`; the writer checkpoints the WAL
    /// every [`WAL_AUTOCHECKPOINT`] pages. In WAL mode NORMAL is durable
    /// against a crash of the process (SIGKILL, panic): a committed
    /// transaction is in the WAL file, which the OS keeps even if the process
    /// dies. Only a power loss or OS crash can lose the last commits (never
    /// corrupt the file); FULL would fsync the WAL on every commit to cover
    /// that too, at a cost the daemon and the desk do not need.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        make_private(path).map_err(|e| open_error(sqlx::Error::Io(e)))?;
        install_drivers();
        let url = sqlite_url(path).map_err(open_error)?;
        // The writer checkpoints the WAL every WAL_AUTOCHECKPOINT pages: each
        // checkpoint syncs the WAL and the database (the only syncs in WAL
        // mode with NORMAL), so a backfill that commits page by page spends
        // far less time in fsync than with SQLite's default of 1,000 pages.
        let write = AnyPoolOptions::new()
            .max_connections(1)
            // A local file needs no ping before each transaction.
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlite_pragmas(conn).await?;
                    conn.execute(
                        format!("PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}").as_str(),
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(open_error)?;
        {
            let mut probe = connect_options(path).connect().await.map_err(open_error)?;
            super::schema::refuse_newer(&mut probe, path).await?;
            sqlx::Connection::close(probe).await?;
        }
        MIGRATOR.run(&write).await?;
        let read = AnyPoolOptions::new()
            .max_connections(READERS)
            .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
            .connect(&url)
            .await
            .map_err(open_error)?;
        let inbox = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(connect_options(path))
            .await
            .map_err(open_error)?;
        Ok(Store::with_pools(Engine::Sqlite, write, read, Some(inbox)))
    }
}

/// Creates the database file owner-only (0600) if it is missing, and makes
/// it and its WAL and shared-memory files owner-only if they exist: they
/// hold password hashes, sessions and residents' posts. SQLite creates the
/// `-wal` and `-shm` files with the database file's mode, whatever the umask.
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        crate::files::private_file_if_exists(Path::new(&name))?;
    }
    Ok(())
}

/// `url` with its password, if any, replaced by `****`, for messages.
fn masked(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("****"));
    }
    shown.to_string()
}

/// Registers sqlx's drivers for `Any` (SQLite and PostgreSQL), once per process.
fn install_drivers() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(sqlx::any::install_default_drivers);
}

/// `sqlite://PATH?mode=rwc` for the file at `path`, with the characters
/// sqlx decodes in a path (`%`, `?`, `#`) percent-encoded.
fn sqlite_url(path: &Path) -> Result<String, sqlx::Error> {
    let path = path.to_str().ok_or_else(|| {
        sqlx::Error::Configuration(format!("the path {} is not UTF-8", path.display()).into())
    })?;
    let encoded = path
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    Ok(format!("sqlite://{encoded}?mode=rwc"))
}

/// The settings of every SQLite connection of the `Any` pools (see
/// [`Store::open`] for why), as [`connect_options`] gives the inbox's.
async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 5000; PRAGMA temp_store = memory;",
    )
    .await?;
    Ok(())
}

/// How the inbox's typed connections to the file at `path` are set up (see
/// [`Store::open`] for why), the same settings as [`sqlite_pragmas`].
fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .statement_cache_capacity(STATEMENT_CACHE)
        .pragma("temp_store", "memory")
        .optimize_on_close(true, 400)
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::*;

    /// The settings `Store::open` documents, read back from each pool's
    /// connections.
    #[tokio::test]
    async fn every_sqlite_connection_gets_the_documented_settings() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("settings.db")).await.unwrap();
        let settings = async |pool: &AnyPool| {
            let mut conn = pool.acquire().await.unwrap();
            let mut out = Vec::new();
            for pragma in [
                "journal_mode",
                "synchronous",
                "foreign_keys",
                "busy_timeout",
                "temp_store",
                "wal_autocheckpoint",
            ] {
                let row = sqlx::query(&format!("PRAGMA {pragma}"))
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
                let value = row
                    .try_get::<String, _>(0)
                    .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
                    .unwrap();
                out.push(value);
            }
            out
        };
        // WAL, NORMAL (1), foreign keys on, 5 s, temp store in memory (2).
        assert_eq!(
            settings(&store.write).await,
            [
                "wal",
                "1",
                "1",
                "5000",
                "2",
                &WAL_AUTOCHECKPOINT.to_string()
            ]
        );
        assert_eq!(
            settings(&store.read).await,
            ["wal", "1", "1", "5000", "2", "1000"]
        );
    }
}
