//! Who holds an item, in the desk's words: claimed by an officer (with
//! when, from the audit log), assigned by a rule or by a person, or nobody.
//! A claim is an officer's word that the item is hers; a rule's or a
//! colleague's assignment is not, and a claim over one takes the item over.

use crate::domain::triage::{Rule, Status};
use crate::store::{AuditEntry, ItemRow};

use super::render::age;

/// The item's holder for its row in the list (no audit log at hand; but
/// whether a colleague gave it its owner, [`Store::assigned_by_hand`]).
///
/// [`Store::assigned_by_hand`]: crate::store::Store::assigned_by_hand
pub(crate) fn row_label(item: &ItemRow, rules: &[Rule], by_hand: bool) -> Option<String> {
    let owner = item.owner.as_deref()?;
    Some(match (item.status, assigning_rule(item, rules)) {
        _ if by_hand => format!("assigned to {owner}"),
        (Status::InProgress, _) => format!("claimed by {owner}"),
        (_, Some(rule)) => format!("assigned to {owner} by rule {rule}"),
        _ => format!("assigned to {owner}"),
    })
}

/// Who holds the item and its team, as the list row shows it: "claimed by
/// sam, Streets", "Streets" (the team's name), "assigned to priya".
pub(crate) fn with_team(holder: Option<String>, team: Option<&str>) -> Option<String> {
    match (holder, team) {
        (Some(h), Some(t)) => Some(format!("{h}, {t}")),
        (None, Some(t)) => Some(t.to_owned()),
        (h, None) => h,
    }
}

/// The item's holder for its own page, with when and by whom from the
/// audit log (`entries`, newest first).
pub(crate) fn label(item: &ItemRow, rules: &[Rule], entries: &[AuditEntry]) -> String {
    let Some(owner) = item.owner.as_deref() else {
        return "nobody".to_owned();
    };
    // The last change that gave the item to its owner says how she got it.
    let given = entries.iter().find(|e| {
        matches!(
            e.action.as_str(),
            "item.claimed" | "reply.recorded" | "item.assigned"
        ) && owner_after(e) == Some(owner)
    });
    match given {
        Some(e) if e.action == "item.assigned" => {
            return format!("assigned to {owner} by {} {}", e.actor, age(&e.at));
        }
        // A claim, or a reply that claimed it, whatever the status since.
        Some(e) => return format!("claimed by {owner} {}", age(&e.at)),
        None => {}
    }
    if item.status == Status::InProgress {
        return match claimed_at(owner, entries) {
            Some(at) => format!("claimed by {owner} {}", age(at)),
            None => format!("claimed by {owner}"),
        };
    }
    if let Some(rule) = assigning_rule(item, rules) {
        return format!("assigned to {owner} by rule {rule}");
    }
    format!("assigned to {owner}")
}

/// Another officer's claim on the item: who, and how long ago.
pub(crate) fn claim_by_other(
    item: &ItemRow,
    me: &str,
    entries: &[AuditEntry],
) -> Option<(String, Option<String>)> {
    let owner = item.owner.as_deref()?;
    if item.status != Status::InProgress || owner == me {
        return None;
    }
    Some((owner.to_owned(), claimed_at(owner, entries).map(age)))
}

/// The last matched rule that sets the item's owner, if a rule did.
fn assigning_rule<'a>(item: &ItemRow, rules: &'a [Rule]) -> Option<&'a str> {
    let owner = item.owner.as_deref()?;
    item.rules.iter().rev().find_map(|name| {
        rules
            .iter()
            .find(|r| r.name == *name && r.then.owner.as_deref() == Some(owner))
            .map(|r| r.name.as_str())
    })
}

/// When `owner` last took the item (a claim, or a reply that claimed it).
fn claimed_at<'a>(owner: &str, entries: &'a [AuditEntry]) -> Option<&'a str> {
    entries
        .iter()
        .find(|e| {
            matches!(e.action.as_str(), "item.claimed" | "reply.recorded")
                && owner_after(e) == Some(owner)
        })
        .map(|e| e.at.as_str())
}

/// The item's owner in an entry's `after` (or `before`) state: workflow
/// entries hold the item's state itself, reply entries under `item`.
fn owner_in(state: Option<&serde_json::Value>) -> Option<&str> {
    let state = state?;
    state.get("item").unwrap_or(state).get("owner")?.as_str()
}

fn owner_after(e: &AuditEntry) -> Option<&str> {
    owner_in(e.after.as_ref())
}

/// The owner an entry's change took the item from, for "took it over".
pub(crate) fn owner_before(e: &AuditEntry) -> Option<&str> {
    owner_in(e.before.as_ref())
}
