//! PostgreSQL for the tests: a fresh database per test on the cluster that
//! `PLACEWATCH_PG_URL` names (`eval "$(scripts/pg-test-cluster)"` starts a
//! throwaway one), dropped when the test is done.
//!
//! Without `PLACEWATCH_PG_URL` a PostgreSQL test says SKIPPED and passes,
//! unless `PLACEWATCH_PG_TESTS=require` (`.ci/run` sets it): then it fails.

use std::io::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

/// The cluster's URL, or `None` (after saying SKIPPED on stderr) when there
/// is none and the PostgreSQL tests are not required.
fn cluster_url() -> Option<String> {
    match std::env::var("PLACEWATCH_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("PLACEWATCH_PG_TESTS").as_deref() == Ok("require") {
                panic!(
                    "the PostgreSQL tests are required (PLACEWATCH_PG_TESTS=require), but \
                     PLACEWATCH_PG_URL is not set: start a cluster with \
                     `eval \"$(scripts/pg-test-cluster)\"`"
                );
            }
            // Straight to the process's stderr: libtest hides eprintln!'s
            // output of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED PostgreSQL tests: PLACEWATCH_PG_URL is not set \
                 (eval \"$(scripts/pg-test-cluster)\" starts a cluster)"
            );
            None
        }
    }
}

/// A database of its own for one test, dropped with the value.
pub struct TestDatabase {
    /// Its URL, as `[store] url` would name it.
    pub url: String,
    name: String,
    cluster: PgConnectOptions,
}

impl TestDatabase {
    /// A new, empty database, or `None` when the PostgreSQL tests are
    /// skipped (see the module's doc).
    pub async fn create() -> Option<TestDatabase> {
        let url = cluster_url()?;
        let cluster = PgConnectOptions::from_str(&url)
            .unwrap_or_else(|e| panic!("PLACEWATCH_PG_URL is not a PostgreSQL URL ({e})"));
        let name = unique_name();
        let mut admin = cluster
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to PLACEWATCH_PG_URL {url}: {e}"));
        // A name of [a-z0-9_] only, so quoting it is enough.
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        admin.close().await.ok();
        let url = cluster.clone().database(&name).to_url_lossy().to_string();
        Some(TestDatabase { url, name, cluster })
    }

    /// One connection to this database, through its URL.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test database {}: {e}", self.url))
    }
}

impl Drop for TestDatabase {
    /// Drops the database (closing any connection left open), on a thread
    /// of its own: Drop cannot await, and the test's runtime may be the
    /// current-thread one. A failure is only reported: the cluster is
    /// throwaway.
    fn drop(&mut self) {
        let cluster = self.cluster.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut admin = cluster.connect().await.map_err(std::io::Error::other)?;
                sqlx::raw_sql(&sql)
                    .execute(&mut admin)
                    .await
                    .map_err(std::io::Error::other)?;
                admin.close().await.map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop the test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

/// `pw_test_<pid>_<n>_<nanos>`: unique across the tests of this process and
/// across processes sharing the cluster.
fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "pw_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
