//! The reply outbox: an officer's reply is checked ([`ReplyText`]), recorded
//! with its idempotency key (the target post) in the same transaction as its
//! item's change and audit entry, sent to X after that commit, then marked
//! sent or failed — so it goes out exactly once, or visibly not at all.
//!
//! - `outbox`: [`Outbox::submit`] and the send itself, with what each of X's
//!   answers leads to (sent; the manual path when X refuses an API reply;
//!   reconciliation on duplicate content or an unknown outcome; failed, with
//!   the reason, for everything else);
//! - `reconcile`: [`Outbox::reconcile`], run before anything else at startup
//!   and after an unknown outcome: a reply found in `sending` is looked for in
//!   the council's own timeline (owned reads) and marked sent if it is there;
//!   only if it is not may it be sent again, at most once per pass;
//!   [`Outbox::reconcile_stuck`] does the same for replies `sending` longer
//!   than the in-flight grace;
//! - `run`: [`Outbox::run_until_stopped`], the daemon's outbox loop:
//!   reconciles at start-up, then settles stuck replies on a short tick
//!   (a killed process's send is settled within a couple of minutes, with
//!   no restart) and links manual replies;
//! - `manual`: posts only a person can answer (X's 2026 reply restriction,
//!   conversation controls) get X's web intent link, and
//!   [`Outbox::detect_manual_replies`] links the officer's reply on x.com
//!   when it appears in the council's timeline;
//! - [`FAILPOINT_ENV`]: test-only crash points for the kill tests.
//!
//! Depends on `domain`, `x` and `store`; never on `poller`, `web` or `cli`.
//!
//! [`ReplyText`]: crate::domain::text::ReplyText

mod delivering;
mod manual;
mod outbox;
mod reconcile;
mod run;

#[cfg(feature = "failpoints")]
use std::sync::OnceLock;
#[cfg(feature = "failpoints")]
use std::time::Duration;

pub use outbox::{Outbox, ReplyError, ReplyOutcome, ReplyRequest};
pub use reconcile::ReconcileReport;
pub use run::Schedule;

/// The environment variable that arms a failpoint. **Test-only**: it exists so
/// that the kill tests can crash the real binary at each step between
/// recording a reply and marking it sent. Failpoints are compiled only with
/// the `failpoints` feature, which only test builds turn on (the package's
/// dev-dependency on itself); a release build ignores the variable.
///
/// `PLACEWATCH_FAILPOINT=STEP` aborts the process (`std::process::abort`, as
/// abrupt as SIGKILL: no destructor, no flush) when it reaches `STEP`;
/// `STEP:wait` prints `failpoint STEP reached` to stderr and blocks, so the
/// test can SIGKILL it there. Steps, in order:
///
/// - `after_record`: the reply is committed as `sending`, nothing sent;
/// - `before_send`: about to POST (also before a resend by reconciliation);
/// - `after_send`: the POST returned, whatever X answered, nothing stored;
/// - `before_mark_sent`: X created the reply; about to mark it sent.
pub const FAILPOINT_ENV: &str = "PLACEWATCH_FAILPOINT";

/// Crashes the process here if [`FAILPOINT_ENV`] names `step` (read once).
#[cfg(feature = "failpoints")]
pub(crate) fn failpoint(step: &str) {
    static ARMED: OnceLock<Option<(String, bool)>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| {
        std::env::var(FAILPOINT_ENV)
            .ok()
            .map(|spec| match spec.split_once(':') {
                Some((at, "wait")) => (at.to_owned(), true),
                _ => (spec, false),
            })
    });
    let Some((at, wait)) = armed else { return };
    if at != step {
        return;
    }
    if *wait {
        eprintln!("failpoint {step} reached");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    std::process::abort();
}

/// Without the `failpoints` feature (every build but the tests'), nothing.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub(crate) fn failpoint(_step: &str) {}
