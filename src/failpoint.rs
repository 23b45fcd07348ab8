//! Test-only crash points, so the kill tests can stop the real binary at each
//! step between recording something and marking it done (replies to X,
//! referral emails).

#[cfg(feature = "failpoints")]
use std::sync::OnceLock;
#[cfg(feature = "failpoints")]
use std::time::Duration;

/// The environment variable that arms a failpoint. **Test-only**: it exists so
/// that the kill tests can crash the real binary at each step between
/// recording a reply and marking it sent. Failpoints are compiled only with
/// the `failpoints` feature, which only test builds turn on (the package's
/// dev-dependency on itself); a release build ignores the variable.
///
/// `PLACEWATCH_FAILPOINT=STEP` aborts the process (`std::process::abort`, as
/// abrupt as SIGKILL: no destructor, no flush) when it reaches `STEP`;
/// `STEP:wait` prints `failpoint STEP reached` to stderr and blocks, so the
/// test can SIGKILL it there. The reply outbox's steps, in order:
///
/// - `after_record`: the reply is committed as `sending`, nothing sent;
/// - `before_send`: about to POST (also before a resend by reconciliation);
/// - `after_send`: the POST returned, whatever X answered, nothing stored;
/// - `before_mark_sent`: X created the reply; about to mark it sent.
///
/// The referral sender's, on a referral's first attempt only (so a process
/// restarted after a kill sends the interrupted one and moves on):
///
/// - `referral_before_send`: marked `sending`, no SMTP transaction begun;
/// - `referral_after_send`: the server took the email; not marked sent.
///
/// The channel sender's, likewise on a message's first try only:
///
/// - `channel_before_send`: the try is counted, nothing posted;
/// - `channel_after_send`: the webhook answered; the answer not recorded.
pub const FAILPOINT_ENV: &str = "PLACEWATCH_FAILPOINT";

/// Crashes the process here if [`FAILPOINT_ENV`] names `step` (read once).
#[cfg(feature = "failpoints")]
pub fn failpoint(step: &str) {
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
pub fn failpoint(_step: &str) {}
