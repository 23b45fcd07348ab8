//! How the outbox commands print replies, outcomes, reconciliations and the
//! audit log: one line each for people, one JSON object per line with `--json`.

use anyhow::anyhow;

use crate::cli::terminal_safe;
use crate::reply::{ReconcileReport, ReplyOutcome};
use crate::store::{AuditEntry, Reply};

/// Says on stderr what reconciliation settled, if anything.
pub(super) fn report_reconcile(report: &ReconcileReport) {
    for reply in &report.found {
        eprintln!(
            "reconciled: reply {} was already on X as post {}",
            reply.id,
            reply.x_post_id.unwrap_or_default()
        );
    }
    for outcome in &report.resent {
        eprintln!("reconciled: {}", outcome_line(outcome));
    }
    for reply in &report.in_flight {
        eprintln!(
            "reply {} may still be being sent by another process; left for later",
            reply.id
        );
    }
}

/// Prints an outcome; X refusing the reply, or no answer, is a failure
/// (exit 1) whose message says what happened, so people see it once.
pub(super) fn print_outcome(outcome: &ReplyOutcome, json: bool) -> anyhow::Result<()> {
    let failure = matches!(
        outcome,
        ReplyOutcome::Failed { .. } | ReplyOutcome::Unknown { .. }
    );
    if json {
        println!("{}", serde_json::to_string(outcome)?);
    } else if !failure {
        println!("{}", outcome_line(outcome));
    }
    match outcome {
        ReplyOutcome::Failed { reply, reason } => Err(anyhow!(
            "reply {} failed: {} (`placewatch outbox retry {}` sends it again)",
            reply.id,
            terminal_safe(reason),
            reply.id
        )),
        ReplyOutcome::Unknown { reply, cause } => Err(anyhow!(
            "reply {}: X's answer did not arrive ({cause}); a running `placewatch run` \
             reconciles it within a couple of minutes (found on X: marked sent; absent: sent \
             again once), or run `placewatch outbox reconcile`",
            reply.id
        )),
        _ => Ok(()),
    }
}

fn outcome_line(outcome: &ReplyOutcome) -> String {
    match outcome {
        ReplyOutcome::Sent { reply } => format!(
            "reply {} to post {} sent as X post {}",
            reply.id,
            reply.target_post_id,
            reply.x_post_id.unwrap_or_default()
        ),
        ReplyOutcome::Manual {
            reply,
            intent_url,
            reason,
        } => format!(
            "reply {} must be posted by hand on x.com{}. Open this link signed in as the \
             council, post it, then run `placewatch outbox reconcile` to link it:\n{}",
            reply.id,
            reason
                .as_deref()
                .map(|r| format!(" ({})", terminal_safe(r)))
                .unwrap_or_default(),
            intent_url
        ),
        ReplyOutcome::AwaitingApproval { reply } => format!(
            "reply {} awaits approval: `placewatch outbox approve {}`",
            reply.id, reply.id
        ),
        ReplyOutcome::Draft { reply } => format!("reply {} saved as a draft", reply.id),
        ReplyOutcome::Failed { reply, reason } => {
            format!("reply {} failed: {}", reply.id, terminal_safe(reason))
        }
        ReplyOutcome::Unknown { reply, .. } => {
            format!("reply {} is still sending (outcome unknown)", reply.id)
        }
    }
}

pub(super) fn print_reply(reply: &Reply, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(reply)?);
    } else {
        println!("{}", reply_line(reply));
    }
    Ok(())
}

/// One reply on one line: id, item, state, path, attempts, X id, officer, error or text.
pub(super) fn reply_line(reply: &Reply) -> String {
    let note = reply.error.as_deref().unwrap_or(&reply.text);
    let note: String = note.chars().take(100).collect();
    format!(
        "#{:<5} item {:<6} {:<17} {:<6} tries {} x:{} by {} · {}",
        reply.id,
        reply.item_id,
        reply.state.as_str(),
        reply.path.as_str(),
        reply.attempts,
        reply.x_post_id.map_or("-".to_string(), |id| id.to_string()),
        terminal_safe(&reply.officer),
        terminal_safe(&note.replace('\n', " ")),
    )
}

pub(super) fn audit_line(entry: &AuditEntry) -> String {
    let show = |v: &Option<serde_json::Value>| v.as_ref().map_or("-".into(), |v| v.to_string());
    format!(
        "{} {} {} item {} {} → {}{}",
        entry.at,
        terminal_safe(&entry.actor),
        entry.action,
        entry.item_id.map_or("-".into(), |i| i.to_string()),
        show(&entry.before),
        show(&entry.after),
        entry
            .detail
            .as_deref()
            .map(|d| format!(" ({})", terminal_safe(d)))
            .unwrap_or_default(),
    )
}
