//! The engines a store test runs on: SQLite always, PostgreSQL too when
//! `PLACEWATCH_PG_URL` names a cluster (see `tests/it/postgres.rs`; without
//! one it says SKIPPED, or fails under `PLACEWATCH_PG_TESTS=require`). A
//! test loops over [`engines`], so the same test code runs on both.

use placewatch::store::{Engine, Store};
use sqlx::Connection;
use tempfile::TempDir;

use crate::postgres::TestDatabase;

/// A fresh store on one engine; what backs it lives as long as the value.
pub struct EngineStore {
    pub store: Store,
    /// The store's URL, for a connection of another process's ([`EngineStore::raw`]).
    pub url: String,
    /// The SQLite file's directory, or the PostgreSQL database (dropped
    /// with the value).
    _dir: Option<TempDir>,
    _db: Option<TestDatabase>,
}

impl EngineStore {
    pub fn engine(&self) -> Engine {
        self.store.engine()
    }

    /// A plain connection to the same database, as another process would
    /// have: statements through it bypass the store.
    pub async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("raw connection to {}: {e}", self.engine()))
    }
}

/// A fresh store on each engine to test: a SQLite file, and a PostgreSQL
/// database of its own when there is a cluster. Both are opened through
/// `Store::connect`, as `[store] url` would name them.
pub async fn engines() -> Vec<EngineStore> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("placewatch.db").display());
    let store = Store::connect(&url, None)
        .await
        .expect("SQLite store opens");
    let mut out = vec![EngineStore {
        store,
        url,
        _dir: Some(dir),
        _db: None,
    }];
    if let Some(db) = TestDatabase::create().await {
        let store = Store::connect(&db.url, None)
            .await
            .expect("PostgreSQL store opens and migrates");
        out.push(EngineStore {
            store,
            url: db.url.clone(),
            _dir: None,
            _db: Some(db),
        });
    }
    out
}
