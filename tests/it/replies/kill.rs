//! Kill tests: the real `placewatch triage reply` process dies at every step
//! between recording a reply and marking it sent — by `abort()` at a
//! failpoint, or stopped at the failpoint and killed with SIGKILL by the test
//! — 24 times, plus kills during reconciliation's own resends. Afterwards the
//! simulator holds exactly one reply per intended reply, and the outbox
//! agrees: each sent, with that reply's X id.
//!
//! Failpoints are armed with `PLACEWATCH_FAILPOINT` (see `reply::FAILPOINT_ENV`).

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use placewatch::domain::outbox::ReplyState;
use placewatch::domain::triage::Status;
use serde_json::Value;

use super::{OFFICER, ReplyTest};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// Every step between recording and marking sent, in order.
const STEPS: [&str; 4] = [
    "after_record",
    "before_send",
    "after_send",
    "before_mark_sent",
];

/// Intended replies, one killed process each.
const REPLIES: usize = 24;

/// The real binary, against the test's config and simulator.
pub struct Bin {
    pub config: PathBuf,
    pub bearer: String,
}

impl Bin {
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_placewatch"));
        c.args(args)
            .arg("--config")
            .arg(&self.config)
            .env("PLACEWATCH_BEARER_TOKEN", &self.bearer)
            .env("RUST_LOG", "warn")
            .env_remove("PLACEWATCH_FAILPOINT")
            .stdin(Stdio::null());
        c
    }

    /// Runs to the end; stdout, stderr and status.
    pub fn run(&self, args: &[&str], failpoint: Option<&str>) -> (String, String, ExitStatus) {
        let mut c = self.command(args);
        if let Some(f) = failpoint {
            c.env("PLACEWATCH_FAILPOINT", f);
        }
        let out = c.output().expect("the placewatch binary runs");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status,
        )
    }

    /// Runs with `step` armed to wait, and SIGKILLs the process once it
    /// reports reaching it. The exit status, and whether it got there.
    fn run_and_sigkill(&self, args: &[&str], step: &str) -> (ExitStatus, bool) {
        let mut child = self
            .command(args)
            .env("PLACEWATCH_FAILPOINT", format!("{step}:wait"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the placewatch binary starts");
        let marker = format!("failpoint {step} reached");
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut reached = false;
        for line in stderr.lines() {
            if line.unwrap_or_default().contains(&marker) {
                reached = true;
                break;
            }
        }
        if reached {
            child.kill().unwrap();
        }
        (child.wait().unwrap(), reached)
    }
}

/// Died of SIGABRT (a failpoint's `abort()`) or SIGKILL.
fn killed(status: &ExitStatus) -> bool {
    const SIGABRT: i32 = 6;
    const SIGKILL: i32 = 9;
    matches!(status.signal(), Some(SIGABRT | SIGKILL))
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_between_recording_and_marking_sent_each_reply_goes_out_exactly_once(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let bin = std::sync::Arc::new(Bin {
        config: t.auth.config.source.clone(),
        bearer: t.auth.sim.creds().bearer_token.clone(),
    });
    let mut intended = Vec::new();
    let mut killed_at = Vec::new();
    let mut kills = 0;
    for i in 0..REPLIES {
        let (item, post) = t
            .summoned_item(&format!("report {i}: bins overflowing"))
            .await;
        let text = format!("Thanks for report {i}, our crews have it.");
        let step = STEPS[i % STEPS.len()];
        let sigkill = (i / STEPS.len()) % 2 == 1;
        let args: Vec<String> = ["triage", "reply", &item.to_string(), "--text", &text]
            .into_iter()
            .chain(["--officer", OFFICER])
            .map(String::from)
            .collect();
        let b = bin.clone();
        let (status, reached) = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if sigkill {
                b.run_and_sigkill(&args, step)
            } else {
                let (_, _, status) = b.run(&args, Some(step));
                (status, true)
            }
        })
        .await
        .unwrap();
        assert!(
            reached && killed(&status),
            "reply {i} at {step}: {status:?}"
        );
        kills += 1;
        let recorded = !t.replies_of(item).await.is_empty();
        if recorded {
            killed_at.push((item, step));
        } else {
            // The process died resending an older reply during its startup
            // reconciliation, before recording this one: record it now.
            let b = bin.clone();
            let item = item.to_string();
            let text = text.clone();
            let (out, err, status) = tokio::task::spawn_blocking(move || {
                b.run(
                    &[
                        "triage",
                        "reply",
                        &item,
                        "--text",
                        &text,
                        "--officer",
                        OFFICER,
                    ],
                    None,
                )
            })
            .await
            .unwrap();
            assert!(status.success(), "{out}{err}");
        }
        intended.push((item, post));
        if i % 6 == 5 {
            // A reconciliation killed while it resends, then a clean one.
            let b = bin.clone();
            let (_, _, status) = tokio::task::spawn_blocking(move || {
                b.run(&["outbox", "reconcile", "--grace", "0"], Some("after_send"))
            })
            .await
            .unwrap();
            if killed(&status) {
                kills += 1;
            }
            let b = bin.clone();
            let (out, err, status) = tokio::task::spawn_blocking(move || {
                b.run(&["outbox", "reconcile", "--grace", "0"], None)
            })
            .await
            .unwrap();
            assert!(status.success(), "{out}{err}");
        }
    }
    assert!(kills >= 24, "{kills} kills");

    let b = bin.clone();
    let (out, err, status) = tokio::task::spawn_blocking(move || {
        b.run(&["outbox", "reconcile", "--grace", "0", "--json"], None)
    })
    .await
    .unwrap();
    assert!(status.success(), "{out}{err}");

    // The simulator holds exactly one reply per intended reply…
    assert_eq!(t.replies_created().await, REPLIES as u64);
    for (item, post) in &intended {
        let on_x = t.council_replies_to(*post).await;
        assert_eq!(on_x.len(), 1, "item {item}: replies on X");
        // …and the outbox agrees.
        let replies = t.replies_of(*item).await;
        assert_eq!(replies.len(), 1, "item {item}: replies recorded");
        assert_eq!(replies[0].state, ReplyState::Sent, "item {item}");
        assert_eq!(replies[0].x_post_id, Some(on_x[0].id), "item {item}");
        assert_eq!(t.store().item(*item).await.unwrap().status, Status::Replied);
    }
    assert!(
        t.store()
            .replies_in_state(ReplyState::Sending)
            .await
            .unwrap()
            .is_empty()
    );

    // Each kill took the path its step implies: killed before the POST, the
    // reply was sent again by reconciliation; killed after it, the reply was
    // found on X and never sent again.
    for (item, step) in &killed_at {
        let actions: Vec<(String, String)> = t.audit_actions(*item).await;
        let resent = actions.iter().any(|(_, a)| a == "reply.resent");
        let found = actions.contains(&("placewatch".into(), "reply.sent".into()));
        match *step {
            "after_record" | "before_send" => assert!(resent, "item {item} at {step}: {actions:?}"),
            _ => assert!(found && !resent, "item {item} at {step}: {actions:?}"),
        }
    }
    assert!(
        killed_at.len() >= REPLIES - 2,
        "{} recorded before the kill",
        killed_at.len()
    );

    // The CLI agrees too.
    let b = bin.clone();
    let (out, err, status) = tokio::task::spawn_blocking(move || {
        b.run(&["outbox", "list", "--state", "sent", "--json"], None)
    })
    .await
    .unwrap();
    assert!(status.success(), "{err}");
    let listed: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), REPLIES);
    let (item, _) = intended[0];
    let b = bin.clone();
    let (out, err, status) = tokio::task::spawn_blocking(move || {
        b.run(&["audit", "--item", &item.to_string(), "--json"], None)
    })
    .await
    .unwrap();
    assert!(status.success(), "{err}");
    let actions: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        actions.contains(&"reply.recorded".to_string()),
        "{actions:?}"
    );
    assert!(actions.contains(&"reply.sent".to_string()), "{actions:?}");
}
