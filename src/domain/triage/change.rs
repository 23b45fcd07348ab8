//! What an officer's change does to an item, the same for one item and for
//! each item of a bulk action: a workflow step ([`Action`]), an assignment,
//! a priority or a tag ([`ItemChange`]), applied to the item's
//! [`ItemState`]. An item that cannot take the change, or that it would not
//! change, is skipped with why ([`Skip`]); nothing here decides which items a
//! bulk action reaches.
//!
//! Also the one rule for a tag's name ([`Tag::parse`]).

use std::fmt;

use super::status::{Action, Priority, Status, TransitionError};

/// What an item's change can touch: its workflow status, owner, team,
/// priority and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    pub status: Status,
    /// The officer (username) who holds it.
    pub owner: Option<String>,
    /// The team (id) it is assigned to.
    pub team: Option<i64>,
    pub priority: Priority,
    /// Unique names, first added first.
    pub tags: Vec<String>,
}

/// A part of an [`ItemState`], as audit entries name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Status,
    Owner,
    Team,
    Priority,
    Tags,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Status,
        Field::Owner,
        Field::Team,
        Field::Priority,
        Field::Tags,
    ];

    /// The key in an audit entry's state: `status`, `owner`, `team` (the
    /// team's id), `priority`, `tags`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Owner => "owner",
            Field::Team => "team",
            Field::Priority => "priority",
            Field::Tags => "tags",
        }
    }
}

/// Whom an item is assigned to (see [`ItemChange::Assign`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// An officer, by username.
    Officer(String),
    /// A team, by id, with its members' usernames (whether the owner may
    /// stay depends on them).
    Team { id: i64, members: Vec<String> },
    /// Nobody: neither an officer nor a team.
    Nobody,
}

/// A change an officer makes to items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    /// A workflow step: claim (the officer becomes the owner), release (no
    /// owner), refer, dismiss, mark replied, reopen. None of them changes
    /// the item's team: a claimed item stays with its team, a released one
    /// goes back to its team's queue.
    Workflow(Action),
    /// Gives the item to an officer or a team, or to nobody, whatever its
    /// status:
    /// - to an officer: she becomes the owner; the team stays;
    /// - to a team: it becomes the team; the owner stays if she is a member
    ///   of it, else the item has no owner (the team decides who takes it);
    /// - to nobody: neither owner nor team.
    Assign(Assignee),
    SetPriority(Priority),
    AddTag(Tag),
}

/// Why an item was left as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Its status does not allow the workflow step.
    Refused(TransitionError),
    /// It already is as the change would leave it.
    Already,
}

impl ItemChange {
    /// The audit action of the change: `item.claimed`, …, `item.assigned`,
    /// `item.priority_set`, `item.tag_added`.
    pub fn audit_action(&self) -> &'static str {
        match self {
            ItemChange::Workflow(Action::Claim) => "item.claimed",
            ItemChange::Workflow(Action::Release) => "item.released",
            ItemChange::Workflow(Action::MarkReplied) => "item.marked_replied",
            ItemChange::Workflow(Action::Refer) => "item.referred",
            ItemChange::Workflow(Action::Dismiss) => "item.dismissed",
            ItemChange::Workflow(Action::Reopen) => "item.reopened",
            ItemChange::Assign(_) => "item.assigned",
            ItemChange::SetPriority(_) => "item.priority_set",
            ItemChange::AddTag(_) => "item.tag_added",
        }
    }

    /// The parts of the item the change can touch, which its audit entry
    /// records before and after (and an undo checks and puts back).
    pub fn fields(&self) -> &'static [Field] {
        match self {
            ItemChange::Workflow(_) => &[Field::Status, Field::Owner],
            ItemChange::Assign(_) => &[Field::Owner, Field::Team],
            ItemChange::SetPriority(_) => &[Field::Priority],
            ItemChange::AddTag(_) => &[Field::Tags],
        }
    }

    /// The item after the change made by `actor`, or why it is skipped.
    pub fn apply(&self, item: &ItemState, actor: &str) -> Result<ItemState, Skip> {
        let mut next = item.clone();
        match self {
            ItemChange::Workflow(action) => {
                next.status = item.status.apply(*action).map_err(Skip::Refused)?;
                match action {
                    Action::Claim => next.owner = Some(actor.to_owned()),
                    Action::Release => next.owner = None,
                    _ => {}
                }
                return Ok(next);
            }
            ItemChange::Assign(Assignee::Officer(owner)) => next.owner = Some(owner.clone()),
            ItemChange::Assign(Assignee::Team { id, members }) => {
                next.team = Some(*id);
                if !next.owner.as_ref().is_some_and(|o| members.contains(o)) {
                    next.owner = None;
                }
            }
            ItemChange::Assign(Assignee::Nobody) => {
                next.owner = None;
                next.team = None;
            }
            ItemChange::SetPriority(priority) => next.priority = *priority,
            ItemChange::AddTag(tag) => {
                if !next.tags.iter().any(|t| t == tag.as_str()) {
                    next.tags.push(tag.as_str().to_owned());
                }
            }
        }
        if next == *item {
            return Err(Skip::Already);
        }
        Ok(next)
    }
}

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// A tag an officer adds to items: 1 to [`MAX_TAG_CHARS`] letters, digits,
/// `-`, `_` or `.`, lower-cased (`fly-tipping`, `bins`); a leading `#` is
/// dropped, as people write tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(String);

/// A name that is not a tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a tag is 1 to {MAX_TAG_CHARS} letters, digits, '-', '_' or '.' with no spaces (such as fly-tipping)"
)]
pub struct TagError;

impl Tag {
    pub fn parse(name: &str) -> Result<Tag, TagError> {
        let name = name.trim();
        let name = name.strip_prefix('#').unwrap_or(name);
        let chars = name.chars().count();
        let ok = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
        if chars == 0 || chars > MAX_TAG_CHARS || !name.chars().all(ok) {
            return Err(TagError);
        }
        Ok(Tag(name.to_lowercase()))
    }

    /// A tag spelled as `known` spells it when it names the same tag
    /// ignoring case (a rule's `Lost-Property`), else as parsed.
    pub fn spelled_as<'a>(self, mut known: impl Iterator<Item = &'a str>) -> Tag {
        match known.find(|k| k.to_lowercase() == self.0) {
            Some(k) => Tag(k.to_owned()),
            None => self,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: Status, owner: Option<&str>) -> ItemState {
        ItemState {
            status,
            owner: owner.map(str::to_owned),
            team: None,
            priority: Priority::Normal,
            tags: vec!["bins".into()],
        }
    }

    #[test]
    fn workflow_steps_follow_the_status_rules_and_set_the_owner() {
        let claim = ItemChange::Workflow(Action::Claim);
        let claimed = claim
            .apply(&item(Status::New, Some("streets-team")), "sam")
            .unwrap();
        assert_eq!(claimed, item(Status::InProgress, Some("sam")));
        assert_eq!(
            claim.apply(&claimed, "priya"),
            Err(Skip::Refused(TransitionError {
                from: Status::InProgress,
                action: Action::Claim
            }))
        );
        let released = ItemChange::Workflow(Action::Release)
            .apply(&claimed, "sam")
            .unwrap();
        assert_eq!(released, item(Status::New, None));
        let dismissed = ItemChange::Workflow(Action::Dismiss)
            .apply(&claimed, "sam")
            .unwrap();
        assert_eq!(dismissed, item(Status::Dismissed, Some("sam")));
        assert!(matches!(
            ItemChange::Workflow(Action::Dismiss).apply(&dismissed, "sam"),
            Err(Skip::Refused(_))
        ));
    }

    #[test]
    fn assignments_priorities_and_tags_skip_items_already_so() {
        let new = item(Status::Dismissed, None);
        let assign = ItemChange::Assign(Assignee::Officer("priya".into()));
        let assigned = assign.apply(&new, "sam").unwrap();
        assert_eq!(
            (assigned.owner.as_deref(), assigned.status),
            (Some("priya"), Status::Dismissed)
        );
        assert_eq!(assign.apply(&assigned, "sam"), Err(Skip::Already));

        let urgent = ItemChange::SetPriority(Priority::Urgent);
        let up = urgent.apply(&new, "sam").unwrap();
        assert_eq!(up.priority, Priority::Urgent);
        assert_eq!(urgent.apply(&up, "sam"), Err(Skip::Already));

        let tag = ItemChange::AddTag(Tag::parse("#Roads").unwrap());
        let tagged = tag.apply(&new, "sam").unwrap();
        assert_eq!(tagged.tags, ["bins", "roads"]);
        assert_eq!(tag.apply(&tagged, "sam"), Err(Skip::Already));
        let again = ItemChange::AddTag(Tag::parse("bins").unwrap());
        assert_eq!(again.apply(&new, "sam"), Err(Skip::Already));
    }

    fn streets() -> Assignee {
        Assignee::Team {
            id: 3,
            members: vec!["sam".into(), "priya".into()],
        }
    }

    #[test]
    fn assigning_to_an_officer_keeps_the_team_and_to_a_team_keeps_only_its_members() {
        let with = |owner: Option<&str>, team: Option<i64>| ItemState {
            team,
            ..item(Status::New, owner)
        };
        let to_team = ItemChange::Assign(streets());
        // A member keeps the item when it goes to her team.
        assert_eq!(
            to_team.apply(&with(Some("sam"), None), "vic").unwrap(),
            with(Some("sam"), Some(3))
        );
        // Someone outside the team loses it: the team decides who takes it.
        assert_eq!(
            to_team.apply(&with(Some("alex"), Some(9)), "vic").unwrap(),
            with(None, Some(3))
        );
        assert_eq!(
            to_team.apply(&with(Some("sam"), Some(3)), "vic"),
            Err(Skip::Already)
        );
        // An officer takes the item within its team, even from outside it.
        let to_alex = ItemChange::Assign(Assignee::Officer("alex".into()));
        assert_eq!(
            to_alex.apply(&with(None, Some(3)), "vic").unwrap(),
            with(Some("alex"), Some(3))
        );
        // Nobody: neither owner nor team.
        let nobody = ItemChange::Assign(Assignee::Nobody);
        assert_eq!(
            nobody.apply(&with(Some("sam"), Some(3)), "vic").unwrap(),
            with(None, None)
        );
        assert_eq!(nobody.apply(&with(None, None), "vic"), Err(Skip::Already));
        // A claim keeps the team; so does a release.
        let claimed = ItemChange::Workflow(Action::Claim)
            .apply(&with(None, Some(3)), "alex")
            .unwrap();
        assert_eq!(
            (claimed.owner.as_deref(), claimed.team),
            (Some("alex"), Some(3))
        );
        let released = ItemChange::Workflow(Action::Release)
            .apply(&claimed, "alex")
            .unwrap();
        assert_eq!((released.owner, released.team), (None, Some(3)));
        assert_eq!(to_team.fields(), [Field::Owner, Field::Team]);
        assert_eq!(to_team.audit_action(), "item.assigned");
    }

    #[test]
    fn each_change_names_its_audit_action_and_fields() {
        assert_eq!(
            ItemChange::Workflow(Action::Refer).audit_action(),
            "item.referred"
        );
        assert_eq!(
            ItemChange::SetPriority(Priority::Low).fields(),
            [Field::Priority]
        );
        assert_eq!(
            ItemChange::Workflow(Action::Claim).fields(),
            [Field::Status, Field::Owner]
        );
    }

    #[test]
    fn tags_are_short_plain_names() {
        assert_eq!(
            Tag::parse(" #Fly-Tipping ").unwrap().as_str(),
            "fly-tipping"
        );
        assert_eq!(Tag::parse("café_2.0").unwrap().as_str(), "café_2.0");
        for bad in [
            "",
            "#",
            "two words",
            "a,b",
            "<b>",
            &"x".repeat(41),
            "tab\there",
        ] {
            assert_eq!(Tag::parse(bad), Err(TagError), "{bad:?}");
        }
        assert_eq!(Tag::parse(&"x".repeat(40)).unwrap().as_str().len(), 40);
        let known = ["Lost-Property", "bins"];
        assert_eq!(
            Tag::parse("lost-property")
                .unwrap()
                .spelled_as(known.into_iter())
                .as_str(),
            "Lost-Property"
        );
        assert_eq!(
            Tag::parse("roads")
                .unwrap()
                .spelled_as(known.into_iter())
                .as_str(),
            "roads"
        );
    }
}
