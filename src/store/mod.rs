//! The triage store: one SQLite file holding posts, authors, triage items with
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
//! The SQL is portable where SQLite allows (`ON CONFLICT`, `RETURNING`,
//! multi-row `VALUES`); full-text search (FTS5) and the triggers are SQLite's
//! own and will get PostgreSQL counterparts with that backend.

mod assignments;
mod audit;
mod changes;
pub mod channels;
mod codec;
mod contact;
mod cursors;
mod events;
mod highlight;
mod inbox;
mod ingest;
mod items;
mod notes;
pub mod notifications;
mod officers;
mod plan;
mod posts;
mod referrals;
mod replies;
mod report_emails;
mod reports;
pub mod schema;
mod select;
mod spikes;
mod team_edit;
mod teams;
mod usage;
mod views;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

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
pub use usage::Usage;
pub use views::SavedView;

/// Runs `write` (store verbs, awaited in this task) as if it were `at`:
/// every time the store stamps on what it writes (the audit log's, the
/// items', the replies' and referrals' times) reads `at`, not the system
/// clock. The demo uses it to seed its officers' past week, so that its
/// Reports page has history to show; nothing else should.
pub async fn backdated<F: std::future::Future>(at: time::OffsetDateTime, write: F) -> F::Output {
    codec::at(at, write).await
}

/// The schema migrations in `migrations/`, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Connections for reads. WAL lets them read while the one writer writes.
const READERS: u32 = 4;

/// Full-text searches running at once: at most half the readers, so a slow
/// search never holds every reader while others wait for the inbox.
const SEARCHES: usize = READERS as usize / 2;

/// How long one full-text search may run before SQLite interrupts it.
const SEARCH_BUDGET: Duration = Duration::from_millis(1500);

/// WAL pages (4 KiB) between automatic checkpoints: up to ~40 MB of WAL.
const WAL_AUTOCHECKPOINT: u32 = 10_000;

/// Prepared statements kept per connection: the bulk writes of a page use
/// a statement per table and chunk size (see `ingest::chunks`), about
/// seventy in all.
const STATEMENT_CACHE: usize = 128;

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
    /// Stored data that cannot be read back as domain values (an unknown
    /// status, malformed JSON, a negative id).
    #[error("corrupt data in the store: {0}")]
    Corrupt(String),
}

/// The triage store. Cheap to clone: clones share the connection pools.
#[derive(Clone, Debug)]
pub struct Store {
    /// Whether a background checkpoint is running (see [`Store::checkpoint_in_background`]).
    checkpointing: Arc<AtomicBool>,
    /// One connection for every write, the poller's and the desk's: writes
    /// queue here in process, in the order they asked (the pool is fair),
    /// instead of spinning on SQLite's busy handler. Other processes (the
    /// CLI) are covered by `BEGIN IMMEDIATE` and the busy timeout.
    write: SqlitePool,
    /// Readers, concurrent with the writer thanks to WAL.
    read: SqlitePool,
    /// Places for full-text searches (see [`SEARCHES`]).
    searches: Arc<tokio::sync::Semaphore>,
    /// The desk's address, for links in what the store queues for people
    /// (team channel messages): set once by the daemon at start-up.
    desk_url: Arc<std::sync::OnceLock<String>>,
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

impl Store {
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
        let options = connect_options(path);
        // The writer checkpoints the WAL every WAL_AUTOCHECKPOINT pages: each
        // checkpoint syncs the WAL and the database (the only syncs in WAL
        // mode with NORMAL), so a backfill that commits page by page spends
        // far less time in fsync than with SQLite's default of 1,000 pages.
        let write_options = options
            .clone()
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT.to_string());
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            // A local file needs no ping before each transaction.
            .test_before_acquire(false)
            .connect_with(write_options)
            .await
            .map_err(open_error)?;
        schema::refuse_newer(&mut *write.acquire().await?, path).await?;
        MIGRATOR.run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        Ok(Store {
            write,
            read,
            checkpointing: Arc::default(),
            searches: Arc::new(tokio::sync::Semaphore::new(SEARCHES)),
            desk_url: Arc::default(),
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
    pub async fn close(&self) {
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
        if self.checkpointing.swap(true, Ordering::AcqRel) {
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

    /// A write transaction that holds SQLite's write lock from its first
    /// statement. A deferred `BEGIN` that reads first and writes later fails
    /// with `SQLITE_BUSY` (no busy wait) when another process wrote in
    /// between; `IMMEDIATE` waits for the lock up front instead.
    /// Every write of the store starts here, on the one write connection.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// How every connection to the file at `path` is set up (see [`Store::open`]
/// for why): the one place for connection options and pragmas.
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
