//! Officers' changes as the desk asks for them and reports them, for one
//! item (the item's "Priority, tag, assign" forms) and for many (`bulk`):
//! the form's fields read into an [`ItemChange`] (an officer to assign to
//! must be an active one who can triage; a tag must be a tag), and the
//! words the desk uses: the question before a large bulk action ("Assign
//! 137 items to Priya Shah?"), its button, and what was done and skipped.

use std::collections::BTreeMap;

use super::Desk;
use super::error::WebError;
use crate::domain::figures::{first_few, thousands};
use crate::domain::officer::Permission;
use crate::domain::triage::{Action, Assignee, ItemChange, Priority, Skip, Status, Tag};
use crate::store::{Applied, Officer};

/// A change an officer asked for, with the words the desk says it in.
pub(crate) struct Asked {
    pub change: ItemChange,
    /// The officer an assignment goes to, or the team a referral does, as
    /// people read it.
    whom: String,
    /// A referral's team (its name) and reason: each item is referred on
    /// its own, with its own email (`Store::refer_many`), not changed.
    pub referral: Option<(String, String)>,
}

/// The form fields of a change: `action` (`claim`, `assign`, `tag`,
/// `priority`, `refer`, `dismiss`) and the ones it needs (`owner`, `tag`,
/// `priority`; `team` and `reason` for a referral).
#[derive(Debug, Default)]
pub(crate) struct ChangeFields {
    pub action: String,
    pub owner: String,
    pub tag: String,
    pub priority: String,
    pub team: String,
    pub reason: String,
}

/// The officers items may be assigned to: those whose account is enabled
/// and whose role can triage, by username.
pub(crate) async fn assignable(desk: &Desk) -> Result<Vec<Officer>, WebError> {
    Ok(desk
        .store
        .officers()
        .await?
        .into_iter()
        .filter(|o| !o.disabled && o.role.can(Permission::Triage))
        .collect())
}

/// The value of the picker's choice of nobody (usernames have no `:`).
pub(crate) const NOBODY: &str = ":nobody";
/// The prefix of the picker's values for teams: `team:` and the team's id.
pub(crate) const TEAM_PREFIX: &str = "team:";

/// Reads the assignment picker's value (`owner`): an officer's username, a
/// team (`team:ID`) or nobody ([`NOBODY`]). An officer must be one who can
/// take items; a team must exist.
pub(crate) async fn assignee(desk: &Desk, wanted: &str) -> Result<Asked, WebError> {
    let refuse = |message: String| WebError::Refused {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        message,
    };
    if wanted.is_empty() {
        return Err(refuse("Choose the officer or team to assign to.".into()));
    }
    if wanted == NOBODY {
        return Ok(Asked {
            change: ItemChange::Assign(Assignee::Nobody),
            whom: "nobody".into(),
            referral: None,
        });
    }
    if let Some(id) = wanted.strip_prefix(TEAM_PREFIX) {
        let team = match id.trim().parse::<i64>() {
            Ok(id) => desk.store.teams().await?.into_iter().find(|t| t.id == id),
            Err(_) => None,
        };
        let team = team.ok_or_else(|| {
            refuse("That team does not exist (any more): choose one from the list.".into())
        })?;
        return Ok(Asked {
            whom: format!("{} (team)", team.name),
            change: ItemChange::Assign(Assignee::Team {
                id: team.id,
                members: team.members,
            }),
            referral: None,
        });
    }
    let officer = assignable(desk)
        .await?
        .into_iter()
        .find(|o| o.username == wanted)
        .ok_or_else(|| {
            refuse(format!(
                "{wanted:?} is not an officer who can take items: choose one from the list."
            ))
        })?;
    Ok(Asked {
        change: ItemChange::Assign(Assignee::Officer(officer.username)),
        whom: officer.display_name,
        referral: None,
    })
}

/// The tags the config knows (its rules' and its templates'), sorted.
pub(crate) fn known_tags(desk: &Desk) -> Vec<String> {
    let rules = desk
        .config
        .rules
        .iter()
        .flat_map(|r| r.then.tag.iter().chain(r.then.tags.iter()));
    let templates = desk.config.templates.list.iter().flat_map(|t| t.tags());
    let mut tags: Vec<String> = rules.chain(templates).cloned().collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Reads a change from its form fields, or says (in words for the notice)
/// what is missing or wrong.
pub(crate) async fn asked(desk: &Desk, fields: &ChangeFields) -> Result<Asked, WebError> {
    let refuse = |message: String| WebError::Refused {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        message,
    };
    let workflow = |action| Asked {
        change: ItemChange::Workflow(action),
        whom: String::new(),
        referral: None,
    };
    Ok(match fields.action.trim() {
        "claim" => workflow(Action::Claim),
        "refer" => {
            let reason = fields.reason.trim();
            let team = desk
                .store
                .team(fields.team.trim())
                .await?
                .ok_or_else(|| refuse("Choose the team to refer the items to.".into()))?;
            if reason.is_empty() {
                return Err(refuse("Say why the team should act.".into()));
            }
            if reason.chars().count() > super::referrals::REASON_MAX_CHARS {
                return Err(refuse(format!(
                    "The reason is longer than {} characters.",
                    super::referrals::REASON_MAX_CHARS
                )));
            }
            Asked {
                change: ItemChange::Workflow(Action::Refer),
                whom: team.name.clone(),
                referral: Some((team.name, reason.to_owned())),
            }
        }
        "dismiss" => workflow(Action::Dismiss),
        "assign" => assignee(desk, fields.owner.trim()).await?,
        "tag" => {
            let tag = Tag::parse(&fields.tag)
                .map_err(|e| refuse(format!("Not added: {e}.")))?
                .spelled_as(known_tags(desk).iter().map(String::as_str));
            Asked {
                change: ItemChange::AddTag(tag),
                whom: String::new(),
                referral: None,
            }
        }
        "priority" => {
            let priority = Priority::parse(&fields.priority)
                .ok_or_else(|| refuse("Choose a priority: urgent, high, normal or low.".into()))?;
            Asked {
                change: ItemChange::SetPriority(priority),
                whom: String::new(),
                referral: None,
            }
        }
        "" => return Err(refuse("Choose what to do to the items.".into())),
        other => return Err(refuse(format!("The desk cannot {other:?} items."))),
    })
}

/// "1 item", "137 items", "1,204 items".
pub(crate) fn items(n: usize) -> String {
    match n {
        1 => "1 item".to_owned(),
        n => format!("{} items", thousands(n as u64)),
    }
}

impl Asked {
    /// The question before the change is made to `n` items.
    pub fn question(&self, n: usize) -> String {
        let n = items(n);
        match &self.change {
            ItemChange::Workflow(Action::Refer) => format!(
                "Refer {n} to {}? Each is emailed to the team on its own.",
                self.whom
            ),
            ItemChange::Assign(_) => format!("Assign {n} to {}?", self.whom),
            ItemChange::SetPriority(p) => format!("Set {n} to {p} priority?"),
            ItemChange::AddTag(tag) => format!("Add the tag {tag} to {n}?"),
            ItemChange::Workflow(a) => format!("{} {n}?", verb(*a)),
        }
    }

    /// The button that makes the change to `n` items.
    pub fn button(&self, n: usize) -> String {
        let n = items(n);
        match &self.change {
            ItemChange::Workflow(a) => format!("{} {n}", verb(*a)),
            ItemChange::Assign(_) => format!("Assign {n}"),
            ItemChange::SetPriority(p) => format!("Set {n} to {p}"),
            ItemChange::AddTag(_) => format!("Tag {n}"),
        }
    }

    /// What was done to `n` items.
    pub fn done(&self, n: usize) -> String {
        let n = items(n);
        match &self.change {
            ItemChange::Workflow(Action::Refer) => format!("Referred {n} to {}", self.whom),
            ItemChange::Workflow(a) => format!("{} {n}", past(*a)),
            ItemChange::Assign(_) => format!("Assigned {n} to {}", self.whom),
            ItemChange::SetPriority(p) => format!("Set {n} to {p} priority"),
            ItemChange::AddTag(tag) => format!("Added the tag {tag} to {n}"),
        }
    }

    /// Why items already so were skipped: "already urgent".
    fn already(&self) -> String {
        match &self.change {
            ItemChange::Assign(_) => format!("already assigned to {}", self.whom),
            ItemChange::SetPriority(p) => format!("already {p}"),
            ItemChange::AddTag(tag) => format!("already tagged {tag}"),
            ItemChange::Workflow(_) => "already so".to_owned(),
        }
    }

    /// The notice after the change: what was done, and what was skipped
    /// and why, with the items' numbers.
    pub fn report(&self, applied: &Applied) -> String {
        let changed = applied.changed.len();
        let mut message = if changed == 0 {
            "Nothing changed.".to_owned()
        } else {
            format!("{}.", self.done(changed))
        };
        // Items refused by their status, counted per status in workflow order.
        let mut refused: BTreeMap<usize, (Status, usize)> = BTreeMap::new();
        let mut refused_action = None;
        let mut already = 0;
        for (_, skip) in &applied.skipped {
            match skip {
                Skip::Refused(e) => {
                    let at = Status::ALL.iter().position(|s| *s == e.from).unwrap_or(0);
                    refused.entry(at).or_insert((e.from, 0)).1 += 1;
                    refused_action = Some(e.action);
                }
                Skip::Already => already += 1,
            }
        }
        let mut why = Vec::new();
        if let Some(action) = refused_action {
            let statuses: Vec<String> = refused
                .values()
                .map(|(status, n)| format!("{n} {status}"))
                .collect();
            why.push(format!(
                "{} cannot be {}",
                first_few(&statuses, 4),
                participle(action)
            ));
        }
        if already > 0 {
            why.push(format!("{already} {}", self.already()));
        }
        let skipped: Vec<String> = applied
            .skipped
            .iter()
            .map(|(id, _)| id.to_string())
            .chain(
                applied
                    .missing
                    .iter()
                    .map(|id| format!("{id} (no such item)")),
            )
            .collect();
        if !skipped.is_empty() {
            message.push_str(&format!(
                " Skipped {}: {}; {} {}.",
                items(skipped.len()),
                why.join(", "),
                if skipped.len() == 1 { "item" } else { "items" },
                first_few(&skipped, 6),
            ));
        }
        message
    }
}

impl Asked {
    /// The notice after the change to one item.
    pub fn report_one(&self, id: i64, applied: &Applied) -> String {
        if let Some((_, skip)) = applied.skipped.first() {
            return match skip {
                Skip::Refused(e) => format!("Item {id}: {e}."),
                Skip::Already => format!("Item {id} is {}.", self.already()),
            };
        }
        match &self.change {
            ItemChange::Assign(_) => format!("Item {id}: assigned to {}.", self.whom),
            ItemChange::SetPriority(p) => format!("Item {id}: priority set to {p}."),
            ItemChange::AddTag(tag) => format!("Item {id}: tagged {tag}."),
            ItemChange::Workflow(a) => format!("Item {id}: {}.", participle(*a)),
        }
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Claim => "Claim",
        Action::Release => "Release",
        Action::MarkReplied => "Mark replied",
        Action::Refer => "Refer",
        Action::Dismiss => "Dismiss",
        Action::Reopen => "Reopen",
    }
}

fn past(action: Action) -> &'static str {
    match action {
        Action::Claim => "Claimed",
        Action::Release => "Released",
        Action::MarkReplied => "Marked replied",
        Action::Refer => "Referred",
        Action::Dismiss => "Dismissed",
        Action::Reopen => "Reopened",
    }
}

/// The action done, as the desk's notices say it ("Item 7: dismissed").
pub(crate) fn participle(action: Action) -> &'static str {
    match action {
        Action::Claim => "claimed",
        Action::Release => "released",
        Action::MarkReplied => "marked replied",
        Action::Refer => "referred",
        Action::Dismiss => "dismissed",
        Action::Reopen => "reopened",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triage::TransitionError;

    fn dismiss() -> Asked {
        Asked {
            change: ItemChange::Workflow(Action::Dismiss),
            whom: String::new(),
            referral: None,
        }
    }

    #[test]
    fn the_desk_asks_and_reports_in_plain_words() {
        let assign = Asked {
            change: ItemChange::Assign(Assignee::Officer("priya".into())),
            whom: "Priya Shah".into(),
            referral: None,
        };
        assert_eq!(assign.question(137), "Assign 137 items to Priya Shah?");
        assert_eq!(assign.button(1204), "Assign 1,204 items");
        assert_eq!(dismiss().question(51), "Dismiss 51 items?");
        let tag = Asked {
            change: ItemChange::AddTag(Tag::parse("bins").unwrap()),
            whom: String::new(),
            referral: None,
        };
        let refer = Asked {
            change: ItemChange::Workflow(Action::Refer),
            whom: "Streets team".into(),
            referral: Some(("Streets team".into(), "Bins".into())),
        };
        assert_eq!(
            refer.question(60),
            "Refer 60 items to Streets team? Each is emailed to the team on its own."
        );
        assert_eq!(tag.question(60), "Add the tag bins to 60 items?");

        let applied = Applied {
            changed: vec![(1, 10), (2, 11)],
            skipped: vec![(7, Skip::Already)],
            missing: vec![],
        };
        assert_eq!(
            assign.report(&applied),
            "Assigned 2 items to Priya Shah. Skipped 1 item: 1 already assigned to Priya Shah; item 7."
        );
        let refused = |from| {
            Skip::Refused(TransitionError {
                from,
                action: Action::Dismiss,
            })
        };
        let applied = Applied {
            changed: vec![],
            skipped: vec![
                (5, refused(Status::Replied)),
                (9, refused(Status::Dismissed)),
                (12, refused(Status::Replied)),
            ],
            missing: vec![40],
        };
        assert_eq!(
            dismiss().report(&applied),
            "Nothing changed. Skipped 4 items: 2 replied and 1 dismissed cannot be dismissed; \
             items 5, 9, 12 and 40 (no such item)."
        );
    }
}
