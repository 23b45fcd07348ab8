//! [`Outbox::run_until_stopped`]: the outbox's part of `placewatch run`.
//!
//! At start-up it reconciles every reply left in `sending`, before anything
//! else. Then, on every tick ([`Schedule::stuck`], 20 s by default), it looks
//! for replies that have been `sending` longer than the in-flight grace — a
//! process killed mid-send (this daemon's previous run, or the CLI), or an
//! answer X never gave — and reconciles them against the council's timeline
//! ([`Outbox::reconcile_stuck`]: found → sent; absent → sent again once). The
//! look is one local query; the timeline is read only when a reply is past
//! the grace. Replies this process is sending are never touched (the
//! outbox's held targets), so the grace only has to cover other processes.
//! On a slower schedule ([`Schedule::manual`]) it links officers' manual
//! replies posted on x.com.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Outbox;

/// How often the outbox loop of `placewatch run` looks at the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// How often to look for replies stuck in `sending` past the in-flight
    /// grace (`replies.reconcile_interval_secs`).
    pub stuck: Duration,
    /// How often to look for officers' manual replies in the council's
    /// timeline (the monitor's longest interval).
    pub manual: Duration,
}

impl Outbox {
    /// Reconciles the replies left in `sending` before anything else, then
    /// reconciles stuck ones every [`Schedule::stuck`] and links manual
    /// replies every [`Schedule::manual`], until `shutdown` fires. A pass in
    /// progress (a send, a timeline read) finishes first.
    pub async fn run_until_stopped(self, every: Schedule, shutdown: CancellationToken) {
        match self.reconcile().await {
            Ok(report) => info!(?report, "replies reconciled"),
            Err(e) => warn!(
                error = %e,
                "reconciling replies failed; trying again every {}s",
                every.stuck.as_secs()
            ),
        }
        let mut manual_due = Instant::now() + every.manual;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every.stuck) => {}
            }
            match self.reconcile_stuck().await {
                Ok(report) if !report.is_empty() => {
                    info!(?report, "replies stuck in `sending` reconciled");
                }
                Ok(_) => {}
                Err(e) => warn!(error = %e, "reconciling replies stuck in `sending` failed"),
            }
            if Instant::now() < manual_due {
                continue;
            }
            manual_due = Instant::now() + every.manual;
            match self.detect_manual_replies().await {
                Ok(found) if !found.is_empty() => {
                    info!(count = found.len(), "manual replies linked");
                }
                Ok(_) => {}
                Err(e) => warn!(error = %e, "looking for manual replies failed"),
            }
        }
    }
}
