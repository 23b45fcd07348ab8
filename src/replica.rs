//! Replicas: every `placewatch run` on one store serves the desk, and the
//! one holding the work lease also does the work that must happen once
//! (polling X, sending replies, referrals, notifications, channel messages
//! and the weekly report). [`Lease::acquire`] waits for the lease and
//! starts a [`Term`], whose renewer keeps it and, if it cannot, stops the
//! work before another replica may start (the rules and their timing are
//! in `domain::lease`).
//!
//! A SQLite file has one daemon at a time (the daemon lock in its data
//! directory), so there the first claim takes the lease whoever held it: a
//! daemon restarted after a crash goes straight back to work.

use std::path::Path;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::domain::lease::{Claimant, Timing};
use crate::store::{Claimed, Engine, Store};

/// The lease's name in the store.
pub const WORK: &str = "work";

/// Who this process is, as the lease records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Stable across restarts: the host and the data directory, whose
    /// spool of read pages belongs to this replica.
    pub replica: String,
    /// This process: the host and its pid.
    pub process: String,
}

impl Identity {
    /// This process, serving from `data_dir`.
    pub fn of_this_process(data_dir: &Path) -> Identity {
        let host = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        Identity {
            replica: format!("{host}:{}", data_dir.display()),
            process: format!("{host} pid {}", std::process::id()),
        }
    }

    fn claimant(&self) -> Claimant<'_> {
        Claimant {
            replica: &self.replica,
            process: &self.process,
        }
    }
}

/// This replica's claim on the work lease.
#[derive(Debug, Clone)]
pub struct Lease {
    pub store: Store,
    pub me: Identity,
    pub timing: Timing,
}

/// A term of holding the lease: the work runs until `stop`.
#[derive(Debug)]
pub struct Term {
    pub term: i64,
    /// Whether the pages this replica spooled are still in step with the
    /// cursors: no other replica held the lease since this one did.
    pub keep_spool: bool,
    /// Cancelled when the work must stop: the lease is lost, or the daemon
    /// shuts down.
    pub stop: CancellationToken,
    /// Cancelled only when the lease is lost: whatever still runs must be
    /// abandoned within [`Timing::margin`].
    pub lost: CancellationToken,
    /// Ends the renewer ([`Term::end`]).
    done: CancellationToken,
    renewer: JoinHandle<()>,
}

impl Term {
    /// Stops renewing: the work has stopped.
    pub async fn end(self) {
        self.done.cancel();
        let _ = self.renewer.await;
    }
}

impl Lease {
    /// Waits until this replica holds the lease, trying every
    /// [`Timing::renew_every`]; `None` once `shutdown` fires.
    pub async fn acquire(&self, shutdown: &CancellationToken) -> Option<Term> {
        let mut force = self.store.engine() == Engine::Sqlite;
        let mut told = None;
        loop {
            if shutdown.is_cancelled() {
                return None;
            }
            let sent = Instant::now();
            let claim = self
                .store
                .claim_lease(WORK, &self.me.claimant(), self.timing.ttl, force)
                .await;
            force = false;
            match claim {
                Ok(claimed) if claimed.term.is_some() => {
                    return Some(self.start(claimed, sent, shutdown));
                }
                Ok(claimed) => {
                    if told.as_ref() != Some(&claimed.holding.process) {
                        info!(
                            lease.holder = %claimed.holding.process,
                            "another replica holds the work lease: serving the desk, ready to take over"
                        );
                        told = Some(claimed.holding.process);
                    }
                }
                Err(e) => warn!(error = format!("{e:#}"), "could not claim the work lease"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return None,
                () = tokio::time::sleep(self.timing.renew_every()) => {}
            }
        }
    }

    fn start(&self, claimed: Claimed, sent: Instant, shutdown: &CancellationToken) -> Term {
        let term = claimed.term.expect("held");
        let keep_spool = !claimed.new_term
            || claimed
                .previous
                .as_ref()
                .is_none_or(|previous| *previous == self.me.replica);
        info!(
            lease.term = term,
            lease.previous = claimed.previous.as_deref().unwrap_or("none"),
            "holding the work lease: polling X and sending"
        );
        let stop = shutdown.child_token();
        let (lost, done) = (CancellationToken::new(), CancellationToken::new());
        let renewer = tokio::spawn(self.clone().renew(
            term,
            sent + self.timing.stop_after(),
            stop.clone(),
            lost.clone(),
            done.clone(),
        ));
        Term {
            term,
            keep_spool,
            stop,
            lost,
            done,
            renewer,
        }
    }

    /// Renews the lease every [`Timing::renew_every`] until `done`; when it
    /// passes to another replica, or cannot be renewed before `deadline`,
    /// cancels `lost` and `stop`.
    async fn renew(
        self,
        term: i64,
        mut deadline: Instant,
        stop: CancellationToken,
        lost: CancellationToken,
        done: CancellationToken,
    ) {
        let give_up = |why: &str| {
            warn!(lease.term = term, "{why}: stopped polling and sending");
            lost.cancel();
            stop.cancel();
        };
        loop {
            let next = Instant::now() + self.timing.renew_every();
            tokio::select! {
                () = done.cancelled() => return,
                () = tokio::time::sleep_until(deadline) => {
                    return give_up("the work lease could not be renewed in time");
                }
                () = tokio::time::sleep_until(next) => {}
            }
            let sent = Instant::now();
            let me = self.me.claimant();
            let claim = self.store.claim_lease(WORK, &me, self.timing.ttl, false);
            match tokio::time::timeout_at(deadline, claim).await {
                Err(_) => return give_up("the work lease could not be renewed in time"),
                Ok(Ok(claimed)) if claimed.term == Some(term) && !claimed.new_term => {
                    deadline = sent + self.timing.stop_after();
                }
                Ok(Ok(claimed)) => {
                    let why = format!(
                        "the work lease passed to {} (term {})",
                        claimed.holding.process, claimed.holding.term
                    );
                    return give_up(&why);
                }
                Ok(Err(e)) => {
                    warn!(
                        error = format!("{e:#}"),
                        "could not renew the work lease; trying again"
                    );
                }
            }
        }
    }

    /// Gives the lease up (after a clean stop), so another replica takes
    /// over at once.
    pub async fn release(&self) {
        if let Err(e) = self.store.release_lease(WORK, &self.me.claimant()).await {
            warn!(error = format!("{e:#}"), "could not release the work lease");
        }
    }
}
