//! A reply whose send is killed in flight is settled by the running daemon,
//! with no second restart and no manual command: the real `placewatch run`
//! is SIGKILLed while the simulator is still answering its `POST /2/tweets`,
//! restarted at once, and the restarted daemon's outbox loop (not only its
//! start-up pass, which must leave a send that began within the in-flight
//! grace alone) reconciles the reply against the council's timeline: found →
//! marked sent; absent → sent again once. 24 times (20 with X slow before
//! acting, so nothing was posted, as reported; 4 with X slow to answer after
//! posting); each time X holds exactly one reply to the post.
//!
//! The outbox loop never takes a reply its own process is sending for stuck,
//! however slow X is and however short the grace. And a second reply to a
//! post whose reply is `sending` is refused with why and what happens next.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use placewatch::domain::outbox::ReplyState;
use placewatch::domain::triage::Status;
use placewatch::reply::{ReplyError, ReplyRequest, Schedule};
use placewatch::store::{Reply, StoreError};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::kill::Bin;
use super::{OFFICER, ReplyTest};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// Killed sends, one item each: every sixth with X acting before it is slow
/// to answer, the other 20 with X slow before acting.
const ITEMS: usize = 24;

/// `replies.in_flight_grace_secs` in the test's config: short, so the test is
/// quick; the simulator's slow answer is cut off by the kill, not by it.
const GRACE: Duration = Duration::from_secs(2);

/// How long the simulator takes over each slow `POST /2/tweets`: far longer
/// than the test takes to SIGKILL the daemon once the POST has arrived, so
/// the kill always lands while it is in flight. (The killed connection
/// cancels the simulator's handler, as a client going away does.)
const SLOW_MS: u64 = 60_000;

/// Generous upper bounds, never expected to be reached.
const POST_ARRIVES_WITHIN: Duration = Duration::from_secs(60);
const SENT_WITHIN: Duration = Duration::from_secs(120);

/// The daemon's stderr, across every run.
const LOG: &str = "daemon.log";

/// A running `placewatch run`, SIGKILLed when dropped.
struct Daemon(Child);

impl Daemon {
    fn start(bin: &Bin, log: &Path) -> Daemon {
        let log = File::options().create(true).append(true).open(log).unwrap();
        let child = bin
            .command(&["run", "--listen", "127.0.0.1:0"])
            .env("PLACEWATCH__DESK__MONITORING_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the placewatch daemon starts");
        Daemon(child)
    }

    /// SIGKILL, and wait for it to be gone.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` every 50 ms until it gives a value; panics with `what`
/// after `bound` (a generous upper bound).
async fn wait_for<T, F, Fut>(bound: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `reply`'s send began more than the grace ago, as the daemon
/// reckons it (from the stored `updated_at`), so its start-up pass sends it.
async fn past_the_grace(reply: &Reply) {
    let began = OffsetDateTime::parse(&reply.updated_at, &Rfc3339).unwrap();
    let due = began + GRACE + Duration::from_millis(100);
    let left = due - OffsetDateTime::now_utc();
    if left.is_positive() {
        tokio::time::sleep(left.unsigned_abs()).await;
    }
}

fn count(stats: &Value, key: &str) -> u64 {
    stats[key].as_u64().unwrap()
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_killed_while_sending_is_sent_exactly_once_by_the_restarted_daemon_without_another_restart(
    #[case] engine: Engine,
) {
    let started = Instant::now();
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let config: PathBuf = t.auth.config.source.clone();
    writeln!(
        File::options().append(true).open(&config).unwrap(),
        "\n[replies]\nin_flight_grace_secs = {}\nreconcile_interval_secs = 1",
        GRACE.as_secs()
    )
    .unwrap();
    let bin = Bin {
        config,
        bearer: t.auth.sim.creds().bearer_token.clone(),
    };
    let log = t.auth.config.data.dir.join(LOG);
    let (mut resent, mut found) = (0, 0);

    for i in 0..ITEMS {
        let (item, post) = t
            .summoned_item(&format!("report {i}: streetlight out"))
            .await;
        // Mostly X slow before acting (the killed POST never creates the
        // reply: reconciliation sends it again); every sixth, X acts, then is
        // slow to answer (the reply exists: reconciliation finds it).
        let x_acts_first = i % 6 == 5;
        let kind = if x_acts_first {
            "slow_answer"
        } else {
            "latency"
        };
        t.auth
            .sim
            .control(
                "/_sim/faults",
                json!({"kind": kind, "route": "/2/tweets", "method": "POST",
                       "count": 1, "latency_ms": SLOW_MS}),
            )
            .await;
        let before = t.auth.sim.stats().await;

        // The reply is committed as `sending` and its process dies before the
        // POST; the daemon, started once that send is past the grace, sends
        // it at start-up, and X is slow.
        let text = format!("Thanks for report {i}, a crew is on the way.");
        let reply = t.record_sending(item, &text).await;
        past_the_grace(&reply).await;
        let daemon = Daemon::start(&bin, &log);

        // Killed while the POST is in flight: the simulator has the request
        // (and, when X acts first, has created the reply) but has not answered.
        let (tr, before) = (&t, &before);
        wait_for(
            POST_ARRIVES_WITHIN,
            &format!("item {item}: the daemon's POST arrives"),
            || async move {
                let now = tr.auth.sim.stats().await;
                let arrived = count(&now, "faults_injected") > count(before, "faults_injected");
                let created = count(&now, "replies_created") > count(before, "replies_created");
                (arrived && (created || !x_acts_first)).then_some(())
            },
        )
        .await;
        daemon.kill();
        let in_flight = t.store().reply(reply.id).await.unwrap();
        assert_eq!(in_flight.state, ReplyState::Sending, "item {item}");

        // Restarted at once. A reply X has is found at start-up; one it lacks
        // began its send within the grace, so the start-up pass leaves it
        // (another process may still be sending it) and only the running
        // daemon's outbox loop can settle it: before this fix, nothing did.
        let daemon = Daemon::start(&bin, &log);
        let settled = wait_for(
            SENT_WITHIN,
            &format!("item {item}: the reply is sent"),
            || async move {
                let r = tr.store().reply(reply.id).await.unwrap();
                (r.state == ReplyState::Sent).then_some(r)
            },
        )
        .await;
        daemon.kill();

        // X holds exactly one reply to the post, and it is this one.
        let on_x = t.council_replies_to(post).await;
        assert_eq!(on_x.len(), 1, "item {item}: replies on X: {on_x:?}");
        assert_eq!(settled.x_post_id, Some(on_x[0].id), "item {item}");
        assert_eq!(on_x[0].text, text);
        assert_eq!(t.store().item(item).await.unwrap().status, Status::Replied);
        let actions = t.audit_actions(item).await;
        let resends = actions.iter().filter(|(_, a)| a == "reply.resent").count();
        if x_acts_first {
            // Sent at start-up (killed), then found on X: never sent again.
            assert_eq!(resends, 1, "item {item}: {actions:?}");
            found += 1;
        } else {
            // Sent at start-up (killed, nothing created), then sent again once.
            assert_eq!(resends, 2, "item {item}: {actions:?}");
            resent += 1;
        }
        assert_eq!(
            actions.last().unwrap(),
            &("placewatch".to_owned(), "reply.sent".to_owned())
        );
    }

    assert_eq!(t.replies_created().await, ITEMS as u64);
    assert!(
        t.store()
            .replies_in_state(ReplyState::Sending)
            .await
            .unwrap()
            .is_empty()
    );
    // The daemon said so when it settled a stuck reply (at least once: a
    // restart slower than the grace would let the start-up pass do it).
    let logged = std::fs::read_to_string(&log).unwrap();
    let stuck = logged
        .lines()
        .filter(|l| l.contains("stuck in `sending`"))
        .count();
    assert!(stuck >= 1, "no stuck reply logged:\n{logged}");
    eprintln!(
        "{ITEMS} killed sends settled ({resent} sent again, {found} found on X; \
         {stuck} stuck-reply log lines) in {:?}",
        started.elapsed()
    );
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_reply_while_the_first_is_sending_is_refused_saying_what_happens_next(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("graffiti on the underpass").await;
    // A send interrupted (or still in flight in another process).
    let first = t.record_sending(item, "Thanks, we'll clean it.").await;

    let err = t
        .outbox
        .submit(item, "Thanks, a crew is coming.", None, OFFICER, false)
        .await
        .unwrap_err();

    assert!(
        matches!(&err, ReplyError::Store(StoreError::ReplyExists { reply_id, state, .. })
            if *reply_id == first.id && *state == ReplyState::Sending),
        "{err}"
    );
    let message = err.to_string();
    for expected in [
        format!("post {post} already has reply {} (sending)", first.id),
        format!("its send began at {}", first.updated_at),
        "was interrupted or is still in flight".to_owned(),
        "placewatch checks the council's timeline and marks it sent, or sends it once, \
         within about 2 minutes"
            .to_owned(),
        "nothing more to do".to_owned(),
    ] {
        assert!(message.contains(&expected), "{expected:?} in {message}");
    }
    assert!(!message.contains("cancel it first"), "{message}");
    assert_eq!(t.replies_of(item).await.len(), 1);
    assert_eq!(t.posts_tried().await, 0);

    // Through the CLI too (its own reconciliation leaves a send that began
    // within the grace alone), with exit status 1.
    let bin = Bin {
        config: t.auth.config.source.clone(),
        bearer: t.auth.sim.creds().bearer_token.clone(),
    };
    let id = item.to_string();
    let (_, err, status) = tokio::task::spawn_blocking(move || {
        bin.run(&["triage", "reply", &id, "--text", "Hello again"], None)
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("(sending); it is being sent"), "{err}");
    assert!(err.contains("nothing more to do"), "{err}");
    assert_eq!(t.posts_tried().await, 0);

    // Any other state keeps the old advice.
    let (draft_item, _) = t.summoned_item("bins not collected").await;
    t.outbox
        .submit_request(&ReplyRequest {
            draft: true,
            ..ReplyRequest::new(draft_item, "Thanks, we'll look.", OFFICER)
        })
        .await
        .unwrap();
    let err = t
        .outbox
        .submit(draft_item, "Thanks again.", None, OFFICER, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("(draft); cancel it first, or override as an administrator"),
        "{err}"
    );
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_loop_never_takes_a_reply_its_own_process_is_sending_for_stuck(
    #[case] engine: Engine,
) {
    // No grace at all (`ReplyTest`): only the outbox's held targets keep the
    // loop, which looks every 20 ms, off the reply the desk is sending.
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("broken bench in the park").await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let every = Schedule {
        stuck: Duration::from_millis(20),
        manual: Duration::from_secs(3600),
    };
    let running = tokio::spawn(t.outbox.clone().run_until_stopped(every, shutdown.clone()));
    t.auth
        .sim
        .control(
            "/_sim/faults",
            json!({"kind": "latency", "route": "/2/tweets", "method": "POST",
                   "count": 1, "latency_ms": 1500}),
        )
        .await;

    let reply = super::sent(
        t.outbox
            .submit(item, "Thanks, we'll fix the bench.", None, OFFICER, false)
            .await
            .unwrap(),
    );
    shutdown.cancel();
    running.await.unwrap();

    assert_eq!(t.posts_tried().await, 1, "one POST, never a resend");
    let on_x = t.council_replies_to(post).await;
    assert_eq!(on_x.len(), 1);
    assert_eq!(reply.x_post_id, Some(on_x[0].id));
    let actions = t.audit_actions(item).await;
    assert!(
        !actions.iter().any(|(_, a)| a == "reply.resent"),
        "{actions:?}"
    );
}
