//! The engines a test runs on: `#[apply(engines)]` on a `#[tokio::test]`
//! taking `#[case] engine: Engine` makes it two tests, `name::case_1_sqlite`
//! and `name::case_2_postgres`. A PostgreSQL case gets a database of its own
//! on the cluster `PLACEWATCH_PG_URL` names (`tests/it/postgres.rs`); without
//! one it says SKIPPED and passes, unless `PLACEWATCH_PG_TESTS=require`.
//!
//! ```ignore
//! #[apply(engines)]
//! #[tokio::test]
//! async fn a_test(#[case] engine: Engine) {
//!     let Some(t) = TestStore::on(engine).await else { return };
//!     …
//! }
//! ```

use placewatch::store::Engine;
use rstest_reuse::template;

use crate::postgres::TestDatabase;

#[template]
#[rstest::rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
pub fn engines(#[case] engine: Engine) {}

/// Where a test's store lives: a SQLite file in `dir`, or a PostgreSQL
/// database of its own (dropped with the value). `dir` is a temp dir on
/// both, for the test's other files (configs, spools, keys).
pub struct TestDb {
    /// The store's URL, as `[store] url` names it.
    pub url: String,
    /// The SQLite file (on PostgreSQL: where it would be; nothing is there).
    pub path: std::path::PathBuf,
    pub dir: tempfile::TempDir,
    pub db: Option<TestDatabase>,
}

impl TestDb {
    /// A fresh place for a store on `engine`, or `None` when PostgreSQL is
    /// skipped (see the module's doc).
    pub async fn on(engine: Engine) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("placewatch.db");
        match engine {
            Engine::Sqlite => Some(TestDb {
                url: format!("sqlite://{}", path.display()),
                path,
                dir,
                db: None,
            }),
            Engine::Postgres => {
                let db = TestDatabase::create().await?;
                Some(TestDb {
                    url: db.url.clone(),
                    path,
                    dir,
                    db: Some(db),
                })
            }
        }
    }

    /// The `[store]` table a config file needs for this store, to append
    /// at its end: nothing on SQLite (the default, `placewatch.db` in the
    /// data directory), the database's URL on PostgreSQL.
    pub fn store_section(&self) -> String {
        match self.db {
            None => String::new(),
            Some(_) => format!("\n[store]\nurl = {}\n", toml_string(&self.url)),
        }
    }
}

/// A TOML basic string holding `s`.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
