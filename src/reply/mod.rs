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
//! - test-only crash points for the kill tests: see `crate::failpoint`
//!   (steps `after_record`, `before_send`, `after_send`, `before_mark_sent`).
//!
//! Depends on `domain`, `x` and `store`; never on `poller`, `web` or `cli`.
//!
//! [`ReplyText`]: crate::domain::text::ReplyText

mod delivering;
mod manual;
mod outbox;
mod reconcile;
mod run;

pub use outbox::{Outbox, ReplyError, ReplyOutcome, ReplyRequest};
pub use reconcile::ReconcileReport;
pub use run::Schedule;

pub use crate::failpoint::FAILPOINT_ENV;
