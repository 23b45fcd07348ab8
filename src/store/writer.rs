//! The ingest writer: the connection that stores poll cycles
//! ([`Store::record_cycle`](super::Store::record_cycle)) and counts reads,
//! driven synchronously through rusqlite on a thread of its own.
//!
//! A cycle's transaction is some fifty multi-row statements. Through sqlx
//! each is a round trip between the async task that binds it and the
//! connection's worker thread, and the worker sat idle for a quarter of every
//! commit waiting for the next one (`benches/ingest.rs`: 4.7 s of commits
//! for 3.6 s of SQLite work). Here the whole transaction runs on one thread,
//! binding borrowed values straight into cached prepared statements: one
//! hand-off per commit. The connection lives on a thread of its own, named
//! `store-writer` (so profiles and the ingest bench show its time apart).
//!
//! Everything else (the desk's writes, migrations, every read) stays on
//! sqlx. Both writers take SQLite's write lock with `BEGIN IMMEDIATE` and wait
//! for each other through the busy timeout, as two processes would. During a
//! backfill this thread queues transaction after transaction, and SQLite's
//! busy handler, which polls, would rarely find the lock free between two:
//! an officer's claim could wait seconds, then fail. So the desk announces
//! its writes ([`Writer::desk_turn`]) and this thread lets them go first.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection, OpenFlags, TransactionBehavior};
use tokio::sync::oneshot;

use super::{StoreError, WAL_AUTOCHECKPOINT};

/// Prepared statements kept per connection: a statement per table and chunk
/// size (see `batch`), about seventy in all.
const STATEMENT_CACHE: usize = 128;

/// The longest the writer waits for the desk's writes before its next
/// transaction: SQLite's busy handler retries at most every 100 ms.
const DESK_TURN: Duration = Duration::from_millis(250);

/// A transaction for the writer's thread to run.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The ingest connection, owned by a thread of its own (`store-writer`)
/// that runs one transaction at a time. Cheap to clone; the thread closes
/// the connection and ends when the last clone is dropped.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    /// Desk writes waiting for SQLite's write lock.
    desk_waiting: Arc<AtomicUsize>,
}

/// A desk write waiting for the write lock; dropped once it has it (or gave up).
pub(super) struct DeskTurn(Arc<AtomicUsize>);

impl Drop for DeskTurn {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Writer {
    /// Opens the (migrated) database at `path` with the settings of the
    /// store's sqlx connections (see [`Store::open`](super::Store::open)).
    pub(super) async fn open(path: &Path) -> Result<Writer, StoreError> {
        let path = path.to_owned();
        let (opened, open_result) = oneshot::channel();
        let (jobs, queue) = mpsc::channel::<Job>();
        let desk_waiting = Arc::new(AtomicUsize::new(0));
        let waiting = desk_waiting.clone();
        std::thread::Builder::new()
            .name("store-writer".to_owned())
            .spawn(move || {
                let mut conn = match connect(&path) {
                    Ok(conn) => {
                        let _ = opened.send(Ok(()));
                        conn
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                        return;
                    }
                };
                for job in queue {
                    let since = Instant::now();
                    while waiting.load(Ordering::Acquire) > 0 && since.elapsed() < DESK_TURN {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("could not start the ingest writer: {e}")))?;
        open_result.await.map_err(|_| stopped())??;
        Ok(Writer { jobs, desk_waiting })
    }

    /// Announces a desk write about to take SQLite's write lock: until the
    /// returned turn is dropped, this writer starts no transaction (for up
    /// to [`DESK_TURN`] each).
    pub(super) fn desk_turn(&self) -> DeskTurn {
        self.desk_waiting.fetch_add(1, Ordering::AcqRel);
        DeskTurn(self.desk_waiting.clone())
    }

    /// Queues `write`, to run in one `BEGIN IMMEDIATE` transaction on the
    /// writer's thread and commit, or roll back if `write` fails (or panics:
    /// the panic is resumed in the returned future). The future only waits
    /// for the outcome, so the caller can work meanwhile.
    pub(super) fn submit<T, F>(
        &self,
        write: F,
    ) -> Result<impl Future<Output = Result<T, StoreError>> + use<T, F>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let run = std::panic::AssertUnwindSafe(|| -> Result<T, StoreError> {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = write(&tx)?;
                tx.commit()?;
                Ok(out)
            });
            let _ = done.send(std::panic::catch_unwind(run));
        });
        self.jobs.send(job).map_err(|_| stopped())?;
        Ok(async move {
            match result.await.map_err(|_| stopped())? {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

fn stopped() -> StoreError {
    StoreError::Corrupt("the ingest writer stopped".to_owned())
}

/// The writer's connection, set up as `Store::open` sets up sqlx's.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Binds a statement's parameters in order, row after row of a multi-row
/// statement, then runs it.
pub(super) struct Params<'s, 'c> {
    stmt: &'s mut CachedStatement<'c>,
    next: usize,
}

impl<'s, 'c> Params<'s, 'c> {
    pub(super) fn new(stmt: &'s mut CachedStatement<'c>) -> Self {
        Params { stmt, next: 0 }
    }

    /// Binds the next parameter.
    pub(super) fn bind(&mut self, value: impl ToSql) -> Result<&mut Self, StoreError> {
        self.next += 1;
        self.stmt.raw_bind_parameter(self.next, value)?;
        Ok(self)
    }

    /// Runs the statement; the number of rows it changed.
    pub(super) fn execute(self) -> Result<usize, StoreError> {
        Ok(self.stmt.raw_execute()?)
    }

    /// Runs the statement and collects its rows.
    pub(super) fn collect<T>(
        self,
        mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut rows = self.stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(row(r)?);
        }
        Ok(out)
    }
}
