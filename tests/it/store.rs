//! The triage store on both engines (`crate::engine`): a real SQLite file
//! in a temp dir (never `:memory:`, so WAL, locking and reopening behave as
//! in production) and a PostgreSQL database of its own. Tests of SQLite-only
//! things (the file, WAL, backups, upgrades from old SQLite schemas, FTS5)
//! use [`TestStore::open`].

mod assign;
mod backup;
mod cli;
mod copy;
mod counts;
mod derive;
mod desk;
mod drill;
mod engines;
mod ingest;
mod integrity;
mod lease;
mod logins;
mod officers;
mod perf;
mod presence;
mod queue;
mod release_fixture;
mod report;
mod report_calendar;
mod search;
mod team_edit;
mod teams;
mod upgrade;
mod waiting;

use std::path::{Path, PathBuf};

use placewatch::domain::ingest::{CursorMove, PageBatch, ReadKind, TaggedPost};
use placewatch::domain::post::{Author, Post};
use placewatch::domain::triage::{Decision, Flags, ReplyPath};
use placewatch::store::{Engine, ItemFilter, Store};
use serde_json::json;

use crate::engine::TestDb;

/// A fresh store on one engine ([`TestStore::on`]) or on a SQLite file
/// ([`TestStore::open`]); what backs it lives as long as the value.
pub struct TestStore {
    pub store: Store,
    /// The SQLite file: SQLite-only tests read it (on PostgreSQL nothing is
    /// there).
    pub path: PathBuf,
    /// Where the store is, its temp dir and, on PostgreSQL, its database.
    pub db: TestDb,
}

impl TestStore {
    /// A store on a fresh SQLite file, for the tests of SQLite-only things.
    pub async fn open() -> TestStore {
        TestStore::on(Engine::Sqlite)
            .await
            .expect("SQLite is never skipped")
    }

    /// A store on `engine`, opened through `Store::connect` as `[store] url`
    /// would name it, or `None` when the PostgreSQL tests are skipped (see
    /// `tests/it/engine.rs`).
    pub async fn on(engine: Engine) -> Option<TestStore> {
        let db = TestDb::on(engine).await?;
        let store = Store::connect(&db.url, None)
            .await
            .unwrap_or_else(|e| panic!("the {engine} store opens: {e:?}"));
        Some(TestStore {
            store,
            path: db.path.clone(),
            db,
        })
    }

    pub fn engine(&self) -> Engine {
        self.store.engine()
    }

    /// The test's temp dir (the SQLite file's, on SQLite).
    pub fn dir(&self) -> &Path {
        self.db.dir.path()
    }

    /// See [`TestDb::store_section`].
    pub fn store_section(&self) -> String {
        self.db.store_section()
    }

    /// The same store opened again, as another process would.
    pub async fn reopen(&self) -> Store {
        Store::connect(&self.db.url, None)
            .await
            .expect("the store opens again")
    }

    /// A plain connection to the same database on either engine, as another
    /// process would have: statements through it bypass the store.
    pub async fn conn(&self) -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.db.url)
            .await
            .unwrap_or_else(|e| panic!("raw connection to {}: {e}", self.engine()))
    }

    /// A plain SQLite connection to the file, for SQLite-only tests
    /// ([`TestStore::conn`] on both engines).
    pub async fn raw(&self) -> sqlx::SqliteConnection {
        use sqlx::Connection;
        assert_eq!(self.engine(), Engine::Sqlite, "a SQLite-only test");
        let url = format!("sqlite://{}", self.path.display());
        sqlx::SqliteConnection::connect(&url)
            .await
            .expect("raw connection")
    }

    /// Every item (up to 500), newest first.
    pub async fn all_items(&self) -> Vec<placewatch::store::ItemRow> {
        let filter = ItemFilter {
            limit: 500,
            ..ItemFilter::default()
        };
        self.store.list_items(&filter).await.unwrap().items
    }
}

pub const AUTHOR_ID: u64 = 5_000;

pub fn author() -> Author {
    Author {
        id: AUTHOR_ID,
        username: "resident_a".into(),
        name: "Ada Resident".into(),
    }
}

/// A post as the poller would build it, with its raw JSON.
pub fn post(id: u64, text: &str) -> Post {
    Post {
        id,
        text: text.to_owned(),
        author_id: Some(AUTHOR_ID),
        created_at: Some("2026-11-26T09:00:00.000Z".into()),
        conversation_id: Some(id),
        in_reply_to_user_id: None,
        replied_to: None,
        quoted: None,
        is_retweet: false,
        lang: Some("en".into()),
        reply_settings: Some("everyone".into()),
        mentions: vec![],
        raw: json!({ "id": id.to_string(), "text": text }).to_string(),
    }
}

pub fn matched(post: Post, places: &[&str]) -> TaggedPost {
    TaggedPost {
        post,
        places: places.iter().map(|p| p.to_string()).collect(),
        decision: Decision::default(),
        flags: Flags::default(),
        reply_path: ReplyPath::Manual,
    }
}

/// A page of `monitor` that read `matched` (one read each) at `at`, the
/// last of its cycle.
pub fn batch_at(monitor: &str, matched: Vec<TaggedPost>, at: &str) -> PageBatch {
    PageBatch {
        monitor: monitor.to_owned(),
        query: format!("({monitor}) -is:retweet"),
        cursor: CursorMove::Complete {
            since_id: matched.iter().map(|m| m.post.id).max(),
        },
        reads: matched.len() as u64,
        matched,
        authors: vec![author()],
        context: vec![],
        read_kind: ReadKind::PostRead,
        at: at.to_owned(),
        spooled_through: None,
    }
}

pub fn batch(monitor: &str, matched: Vec<TaggedPost>) -> PageBatch {
    batch_at(monitor, matched, "2026-11-26T10:00:00Z")
}

/// Every item's id by its post's id (up to 500 items).
pub async fn ids_by_post(store: &Store) -> std::collections::HashMap<u64, i64> {
    let all = ItemFilter {
        limit: 500,
        ..ItemFilter::default()
    };
    store
        .list_items(&all)
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| (i.post.id, i.id))
        .collect()
}

/// "Thanks, we're on it" to `item` by `officer`, recorded in `state` on `path`.
pub fn thanks(
    item: i64,
    officer: &str,
    state: placewatch::domain::outbox::ReplyState,
    path: ReplyPath,
) -> placewatch::store::NewReply {
    placewatch::store::NewReply {
        item_id: item,
        text: placewatch::domain::text::ReplyText::parse("Thanks, we're on it").unwrap(),
        template: None,
        officer: officer.into(),
        state,
        path,
        override_by: None,
        intent_url: None,
        over_claim: false,
    }
}
