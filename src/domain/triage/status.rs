//! An item's [`Status`], the [`Action`]s officers take on it, and the only transitions
//! allowed between them; plus the item's [`Priority`].
//!
//! ```text
//!            claim            mark replied / refer / dismiss
//!   new  ───────────►  in progress  ───────────────────────►  replied | referred | dismissed
//!    ▲  ◄───────────                                                     │
//!    │     release                                                       │
//!    └──────────────────────────── reopen ◄──────────────────────────────┘
//! ```
//!
//! `new` may also be marked replied, referred or dismissed directly (an officer need
//! not claim a post to dismiss it). Every other combination is refused with a
//! [`TransitionError`], so the store and the desk never need to re-check.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a triage item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Filed and not yet picked up.
    New,
    /// An officer has claimed it.
    InProgress,
    /// The council has answered it (through the API or by hand).
    Replied,
    /// Passed to another team or body.
    Referred,
    /// Needs no action.
    Dismissed,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::InProgress,
        Status::Replied,
        Status::Referred,
        Status::Dismissed,
    ];

    /// The stored and serialised name: `new`, `in_progress`, `replied`, `referred`,
    /// `dismissed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::Replied => "replied",
            Status::Referred => "referred",
            Status::Dismissed => "dismissed",
        }
    }

    /// Reads a status name, ignoring case and surrounding space and accepting `-` or a
    /// space for `_` (so `In Progress` and `in-progress` both work on the command line).
    pub fn parse(s: &str) -> Option<Status> {
        let wanted = normalise_name(s);
        Status::ALL.into_iter().find(|st| st.as_str() == wanted)
    }

    /// True while the item still needs work (`new` or `in progress`).
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::InProgress)
    }

    /// The status after `action`, or why it is not allowed from here.
    pub fn apply(self, action: Action) -> Result<Status, TransitionError> {
        use Action::*;
        use Status::*;
        let to = match (self, action) {
            (New, Claim) => Some(InProgress),
            (InProgress, Release) => Some(New),
            (New | InProgress, MarkReplied) => Some(Replied),
            (New | InProgress, Refer) => Some(Referred),
            (New | InProgress, Dismiss) => Some(Dismissed),
            (Replied | Referred | Dismissed, Reopen) => Some(New),
            _ => None,
        };
        to.ok_or(TransitionError { from: self, action })
    }

    /// The actions allowed from this status, in [`Action::ALL`] order.
    pub fn allowed_actions(self) -> Vec<Action> {
        Action::ALL
            .into_iter()
            .filter(|a| self.apply(*a).is_ok())
            .collect()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::InProgress => "in progress",
            other => other.as_str(),
        })
    }
}

/// Something an officer does to an item, changing its [`Status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `new` → `in progress`.
    Claim,
    /// `in progress` → `new`.
    Release,
    /// `new` or `in progress` → `replied`.
    MarkReplied,
    /// `new` or `in progress` → `referred`.
    Refer,
    /// `new` or `in progress` → `dismissed`.
    Dismiss,
    /// `replied`, `referred` or `dismissed` → `new`.
    Reopen,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::Claim,
        Action::Release,
        Action::MarkReplied,
        Action::Refer,
        Action::Dismiss,
        Action::Reopen,
    ];

    /// The serialised name: `claim`, `release`, `mark_replied`, `refer`, `dismiss`,
    /// `reopen`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Release => "release",
            Action::MarkReplied => "mark_replied",
            Action::Refer => "refer",
            Action::Dismiss => "dismiss",
            Action::Reopen => "reopen",
        }
    }

    /// Reads an action name as [`Status::parse`] reads statuses.
    pub fn parse(s: &str) -> Option<Action> {
        let wanted = normalise_name(s);
        Action::ALL.into_iter().find(|a| a.as_str() == wanted)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::MarkReplied => "mark as replied",
            other => other.as_str(),
        })
    }
}

/// An action that is not allowed from the item's current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an item that is {from}")]
pub struct TransitionError {
    /// The status the item was in.
    pub from: Status,
    /// The refused action.
    pub action: Action,
}

/// How urgently an item wants attention. Ordered: `Low < Normal < High < Urgent`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Can wait.
    Low,
    /// The default for every new item.
    #[default]
    Normal,
    /// Look at it soon.
    High,
    /// Look at it now.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// The stored and serialised name: `low`, `normal`, `high`, `urgent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Reads a priority name, ignoring case and surrounding space.
    pub fn parse(s: &str) -> Option<Priority> {
        let wanted = normalise_name(s);
        Priority::ALL.into_iter().find(|p| p.as_str() == wanted)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lower-cases, trims and turns `-` and inner spaces into `_`.
fn normalise_name(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Status::*;

    /// Every (status, action) pair and where it leads; `None` is refused.
    const TABLE: [(Status, [Option<Status>; 6]); 5] = [
        //            Claim             Release    MarkReplied    Refer           Dismiss          Reopen
        (
            New,
            [
                Some(InProgress),
                None,
                Some(Replied),
                Some(Referred),
                Some(Dismissed),
                None,
            ],
        ),
        (
            InProgress,
            [
                None,
                Some(New),
                Some(Replied),
                Some(Referred),
                Some(Dismissed),
                None,
            ],
        ),
        (Replied, [None, None, None, None, None, Some(New)]),
        (Referred, [None, None, None, None, None, Some(New)]),
        (Dismissed, [None, None, None, None, None, Some(New)]),
    ];

    #[test]
    fn every_transition_is_allowed_or_refused_as_the_table_says() {
        let mut checked = 0;
        for (from, row) in TABLE {
            for (action, expected) in Action::ALL.into_iter().zip(row) {
                let got = from.apply(action);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{from:?} {action:?}"),
                    None => assert_eq!(got, Err(TransitionError { from, action })),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 30);
        assert_eq!(TABLE.map(|(s, _)| s), Status::ALL);
    }

    #[test]
    fn refusals_read_as_plain_words() {
        let e = InProgress.apply(Claim).unwrap_err();
        assert_eq!(e.to_string(), "cannot claim an item that is in progress");
        let e = Dismissed.apply(MarkReplied).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot mark as replied an item that is dismissed"
        );
        let e = New.apply(Reopen).unwrap_err();
        assert_eq!(e.to_string(), "cannot reopen an item that is new");
    }

    #[test]
    fn allowed_actions_and_openness() {
        assert_eq!(New.allowed_actions(), [Claim, MarkReplied, Refer, Dismiss]);
        assert_eq!(
            InProgress.allowed_actions(),
            [Release, MarkReplied, Refer, Dismiss]
        );
        assert_eq!(Replied.allowed_actions(), [Reopen]);
        assert!(New.is_open() && InProgress.is_open());
        assert!(!Replied.is_open() && !Referred.is_open() && !Dismissed.is_open());
    }

    #[test]
    fn names_round_trip_through_parse_and_serde() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), s);
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.as_str())
            );
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        assert_eq!(Status::parse(" In Progress "), Some(InProgress));
        assert_eq!(Status::parse("in-progress"), Some(InProgress));
        assert_eq!(Status::parse("closed"), None);
        assert_eq!(Status::parse(""), None);
        assert_eq!(Action::parse("Mark-Replied"), Some(MarkReplied));
        assert_eq!(Priority::parse("URGENT"), Some(Priority::Urgent));
        assert_eq!(Priority::parse("critical"), None);
    }

    #[test]
    fn priorities_are_ordered_and_default_to_normal() {
        assert!(Priority::Low < Priority::Normal);
        assert!(Priority::Normal < Priority::High);
        assert!(Priority::High < Priority::Urgent);
        assert_eq!(Priority::default(), Priority::Normal);
        assert_eq!(Priority::Urgent.to_string(), "urgent");
    }
}
