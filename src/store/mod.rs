//! The triage store: one SQLite file (or a PostgreSQL database) holding posts, authors, triage items with
//! their places, tags and notes, the append-only audit log, the pollers'
//! cursors, monthly usage and operational events.
//!
//! [`Store`] speaks domain: its verbs take and return the types of
//! [`crate::domain`] ([`Post`](crate::domain::post::Post),
//! [`Status`](crate::domain::triage::Status), …), and every SQL statement of
//! placewatch lives in this module. Queries are built at run time (`sqlx::query`
//! with `.bind`), so building needs no database; the schema is in
//! `migrations/`, embedded at compile time and applied on [`Store::open`].
//!
//! Writes that belong together commit together: [`Store::record_pages`], the
//! one door for ingest (`ingest`), stores a page a monitor read (posts,
//! authors, items, audit, usage and the cursor's move) in one transaction,
//! and every item change writes its audit entry in the same transaction as
//! the change.
//!
//! An item's row is the truth about it; its place and tag rows, the inbox
//! counters and its full-text document are derived from it: for new items by
//! `ingest::derive`, set-based in the transaction that files them, and for changes by
//! a trigger in the schema, so every write path keeps them exact. See `inbox` and `plan` for how the
//! inbox stays within milliseconds at 200,000 items.
//!
//! Depends on `domain`, sqlx, serde_json and time; never on `x`, `poller`
//! or `web`. Every write, the poller's pages and the desk's changes alike,
//! goes through one sqlx connection ([`Store::begin_write`]).
//!
//! One code path serves both engines: statements go through sqlx's `Any`
//! driver, written once with `$1, $2, …` placeholders (`sql` builds the
//! dynamic ones), and branch on [`Engine`] only where the dialects really
//! differ (the write lock, SQLite's checkpoints and PRAGMAs). The SQL is
//! portable (`ON CONFLICT`, `RETURNING`, multi-row `VALUES`). The inbox's
//! queries (`inbox`, `plan`, `select`, `highlight`) use SQLite's FTS5 and its
//! progress handler, which `Any` cannot reach: they run on typed SQLite
//! readers. On PostgreSQL the same verbs run `pg_inbox`'s statements
//! (`items.search_vector`, the planner's own choice of index) through `Any`.
//! [`Store::connect`] opens either engine by URL.

mod assignments;
mod audit;
mod changes;
pub mod channels;
mod codec;
mod connect;
mod contact;
pub mod copy;
mod cursors;
mod dialect;
mod events;
mod highlight;
mod inbox;
mod ingest;
mod items;
mod lease;
mod logins;
mod notes;
pub mod notifications;
mod officers;
mod pg_inbox;
mod plan;
mod posts;
mod presence;
mod referrals;
mod replies;
mod report_emails;
mod reports;
pub mod schema;
mod select;
mod spikes;
mod sql;
mod team_edit;
mod teams;
mod tokens;
mod usage;
mod views;
mod waiting;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::sqlite::SqlitePool;
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::domain::outbox::{ReplyState, ReplyTransitionError};
use crate::domain::triage::TransitionError;

pub use audit::{AuditEntry, NewAudit};
pub use changes::{Applied, Undone};
pub use channels::{
    AssignmentSummary, ChannelMessage, ChannelOutbox, QueuedMessage, enqueue_assignment,
};
pub use contact::OfficerContact;
pub use events::Event;
pub use inbox::{ItemFilter, ItemPage, Sort};
pub use ingest::PageOutcome;
pub use items::ItemRow;
pub use lease::Claimed;
pub use logins::LoginAttempt;
pub use notes::Note;
pub use notifications::{Notification, Which};
pub use officers::{NewOfficer, Officer, Session};
pub use plan::{MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, SearchError};
pub use posts::ThreadPost;
pub use referrals::{NewReferral, Referral, ReferralCounts, SENDER_ACTOR};
pub use replies::{NewReply, Reply, ReplyFilter, SentReply};
pub use report_emails::ReportEmail;
pub use select::check_filter;
pub use spikes::{Spike, Subject};
pub use team_edit::TeamChangeError;
pub use teams::{Team, TeamSync};
pub use tokens::TokenLock;
pub use usage::Usage;
pub use views::SavedView;
pub use waiting::{Backlog, WAITING_REFERRALS, WAITING_REPLIES, Waiting};

/// Runs `write` (store verbs, awaited in this task) as if it were `at`:
/// every time the store stamps on what it writes (the audit log's, the
/// items', the replies' and referrals' times) reads `at`, not the system
/// clock. The demo uses it to seed its officers' past week, so that its
/// Reports page has history to show; nothing else should.
pub async fn backdated<F: std::future::Future>(at: time::OffsetDateTime, write: F) -> F::Output {
    codec::at(at, write).await
}

/// Connections for reads. WAL lets them read while the one writer writes.
const READERS: u32 = 4;

/// Full-text searches running at once: at most half the readers, so a slow
/// search never holds every reader while others wait for the inbox.
const SEARCHES: usize = READERS as usize / 2;

/// How long one full-text search may run before SQLite interrupts it (on
/// PostgreSQL: each statement of the search, `statement_timeout`).
const SEARCH_BUDGET: Duration = Duration::from_millis(1500);

/// The PostgreSQL advisory lock every write transaction takes (see
/// [`Store::begin_write`]): "placewat" in ASCII, so that it is recognisable
/// in `pg_locks` and unlikely to meet another application's key.
const WRITE_LOCK: i64 = 0x706c_6163_6577_6174;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("could not open the database {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    /// The database server could not be reached or refused the login.
    /// `url` is the store URL with any password masked.
    #[error("could not connect to the database {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// The store URL is not one placewatch can use.
    #[error("{0}")]
    BadUrl(String),
    /// The schema could not be brought up to date.
    #[error("could not migrate the database schema")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A newer placewatch has migrated the store: this one leaves it alone.
    #[error(
        "{} was written by a newer placewatch (schema {version}; this one knows up to {known}): install that version or newer, or restore a backup made for this one; the store is untouched",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        version: i64,
        known: i64,
    },
    /// The database refused or failed a statement.
    #[error("database error")]
    Db(#[from] sqlx::Error),
    /// No such row.
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
    /// The item's workflow does not allow that action from its status.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The outbox does not allow that event from the reply's state.
    #[error(transparent)]
    ReplyTransition(#[from] ReplyTransitionError),
    /// The target post already has a live reply (the idempotency key); only
    /// an administrator's override records a second. `next` says what
    /// becomes of that reply and what, if anything, to do (written where the
    /// error is produced, `store::replies`).
    #[error("post {target} already has reply {reply_id} ({state}); {next}")]
    ReplyExists {
        target: u64,
        reply_id: i64,
        state: ReplyState,
        next: String,
    },
    /// The request cannot be stored as given: an X id beyond `i64::MAX`, a time
    /// that is not RFC 3339, or a contradiction with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// Another officer has claimed the item: a reply over her claim needs
    /// the replying officer's say-so (`NewReply::over_claim`).
    #[error(
        "{owner} has claimed item {item_id}: reply over the claim only if you have agreed it with them (tick \"Reply over {owner}'s claim\" in the desk, or give --over-claim)"
    )]
    Claimed { item_id: i64, owner: String },
    /// An officer tried to approve her own reply (see `Store::approve_reply`).
    #[error(
        "{officer} wrote reply {reply_id}, so another approver must approve it: approval is a second pair of eyes"
    )]
    SelfApproval { reply_id: i64, officer: String },
    /// A search the store will not run, or stopped when it ran too long.
    #[error(transparent)]
    Search(#[from] plan::SearchError),
    /// A verb that has not landed on this engine yet.
    #[error("{verb} is not available on {engine} yet")]
    Unsupported { verb: &'static str, engine: Engine },
    /// Stored data that cannot be read back as domain values (an unknown
    /// status, malformed JSON, a negative id).
    #[error("corrupt data in the store: {0}")]
    Corrupt(String),
}

/// The database engine a store runs on: the SQL is written once for both,
/// and branches on this only where the dialects really differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine `conn` speaks to (sqlx's `Any` connections know theirs).
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Engine {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}

/// The triage store. Cheap to clone: clones share the connection pools.
#[derive(Clone, Debug)]
pub struct Store {
    /// Which engine `write` and `read` speak to.
    engine: Engine,
    /// Whether a background checkpoint is running (see [`Store::checkpoint_in_background`]).
    checkpointing: Arc<AtomicBool>,
    /// One connection for every write, the poller's and the desk's: writes
    /// queue here in process, in the order they asked (the pool is fair),
    /// instead of spinning on SQLite's busy handler. Other processes (the
    /// CLI) are covered by `BEGIN IMMEDIATE` and the busy timeout.
    write: AnyPool,
    /// Readers, concurrent with the writer thanks to WAL.
    read: AnyPool,
    /// SQLite only: typed readers for the inbox's queries (`inbox`, `plan`,
    /// `select`, `highlight`), whose full-text searches run within a time
    /// budget that needs SQLite's progress handler, out of `Any`'s reach.
    inbox: Option<SqlitePool>,
    /// Places for full-text searches (see [`SEARCHES`]).
    searches: Arc<tokio::sync::Semaphore>,
    /// The desk's address, for links in what the store queues for people
    /// (team channel messages): set once by the daemon at start-up.
    desk_url: Arc<std::sync::OnceLock<String>>,
}

impl Store {
    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The typed SQLite readers of the inbox's queries, or a refusal on
    /// PostgreSQL, whose inbox queries (`pg_inbox`) need none.
    pub(super) fn inbox_readers(&self, verb: &'static str) -> Result<&SqlitePool, StoreError> {
        self.inbox.as_ref().ok_or(StoreError::Unsupported {
            verb,
            engine: self.engine,
        })
    }

    /// The desk's address (`desk.public_url`, or where it listens), for
    /// the links in team channel messages about assignments. The first
    /// setting stays.
    pub fn set_desk_url(&self, url: &url::Url) {
        let _ = self
            .desk_url
            .set(url.as_str().trim_end_matches('/').to_owned());
    }

    /// The desk's address without a trailing `/`, once it is known.
    pub(crate) fn desk_url(&self) -> Option<&str> {
        self.desk_url.get().map(String::as_str)
    }

    /// Closes both pools, waiting for connections in use to come back. Optional:
    /// dropping the store closes them too, only less tidily.
    ///
    /// On SQLite the writer first runs `PRAGMA optimize` (with
    /// `analysis_limit = 400`), as sqlx's `optimize_on_close` did before the
    /// store moved to sqlx's `Any` driver, which has no such hook.
    pub async fn close(&self) {
        if self.engine == Engine::Sqlite
            && let Err(e) = self
                .write
                .execute("PRAGMA analysis_limit = 400; PRAGMA optimize;")
                .await
        {
            tracing::debug!(error = %e, "PRAGMA optimize on close failed");
        }
        if let Some(inbox) = &self.inbox {
            inbox.close().await;
        }
        self.read.close().await;
        self.write.close().await;
    }

    /// Copies the WAL's committed pages into the database file from a reader
    /// connection, in a task of its own, at most once a second. Each poll
    /// commit calls this: SQLite would otherwise checkpoint on the write
    /// connection, in the middle of a later commit, while a passive checkpoint
    /// runs beside the writer and never blocks it or the readers. The
    /// writer's own automatic checkpoint stays as the backstop.
    fn checkpoint_in_background(&self) {
        if self.engine != Engine::Sqlite || self.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (read, running) = (self.read.clone(), self.checkpointing.clone());
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&read)
                .await
            {
                tracing::debug!(error = %e, "background checkpoint failed");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            running.store(false, Ordering::Release);
        });
    }

    /// A write transaction that holds the store's write lock from its first
    /// statement. Every write of the store starts here, on the one write
    /// connection, so the store's read-modify-write code sees no other
    /// writer between its read and its write, on either engine.
    ///
    /// SQLite: a deferred `BEGIN` that reads first and writes later fails
    /// with `SQLITE_BUSY` (no busy wait) when another process wrote in
    /// between; `IMMEDIATE` waits for the lock up front instead.
    ///
    /// PostgreSQL: the transaction first takes the advisory lock
    /// [`WRITE_LOCK`], held until it ends, so writes are serialised across
    /// processes (replicas, the CLI) exactly as SQLite's single writer
    /// serialises them. At the ~50 posts a second X sends one app this
    /// costs nothing.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.engine {
            Engine::Sqlite => Ok(self.write.begin_with("BEGIN IMMEDIATE").await?),
            Engine::Postgres => {
                let mut tx = self.write.begin().await?;
                sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }
}
