//! Triage: what happens to a post once it matched a place name.
//!
//! - `status`: an item's [`Status`] and the [`Action`]s that move it, with every
//!   transition not in the workflow refused ([`Status::apply`]); its [`Priority`];
//! - `reply_path`: whether the council can answer through the API under X's 2026
//!   reply restriction ([`reply_path()`]) and whether the post [`summons`] the council;
//! - `flags`: abusive language ([`AbuseList`]), likely false friends (another Croydon),
//!   language and summons, computed once on arrival ([`flags()`]);
//! - `rules`: the configured [`Rule`]s, validated at load ([`validate_rules`]) and
//!   applied in order on arrival ([`decide`], [`RuleSet`]);
//! - `change`: what an officer's change (a workflow step, an assignment, a
//!   priority, a tag) does to an item's [`ItemState`], or why it skips it, one
//!   item or many alike; a [`Tag`]'s name;
//! - `waiting`: how long an open item may wait for an answer, per priority
//!   ([`WaitingTargets`]), and where a wait stands against it ([`Clock`]).
//!
//! Pure: std, serde, thiserror, [`crate::domain::query`] and [`crate::domain::post`];
//! no I/O, no tokio, sqlx or axum.

mod change;
mod flags;
mod reply_path;
mod rules;
mod status;
mod waiting;

pub use change::{Assignee, Field, ItemChange, ItemState, MAX_TAG_CHARS, Skip, Tag, TagError};
pub use flags::{AbuseList, FlagKind, Flags, default_false_friend_context, flags};
pub use reply_path::{Account, Council, ReplyPath, reply_path, summons};
pub use rules::{
    Conditions, Decision, Effects, Facts, Rule, RuleError, RuleProblem, RuleSet, decide,
    validate_rules,
};
pub use status::{Action, Priority, Status, TransitionError};
pub use waiting::{Clock, WaitingTargets, short_duration, waited};

/// A post by user 7 with `text`, in English, replying to nothing and mentioning no one.
#[cfg(test)]
fn test_post(text: &str) -> crate::domain::post::Post {
    crate::domain::post::Post {
        id: 1,
        text: text.into(),
        author_id: Some(7),
        created_at: None,
        conversation_id: Some(1),
        in_reply_to_user_id: None,
        replied_to: None,
        quoted: None,
        is_retweet: false,
        lang: Some("en".into()),
        reply_settings: None,
        mentions: Vec::new(),
        raw: "{}".into(),
    }
}
