//! The one place an assignment is recorded: every change of an item's owner
//! or team that someone (or a rule) made *for* others — an officer's
//! assignment of one item or of many ([`super::Store::apply_change`] with
//! [`ItemChange::Assign`](crate::domain::triage::ItemChange::Assign)), and a
//! rule's at ingest (`ingest::filing`) — passes through [`recorded`], in the
//! transaction that writes it, after the items and their audit entries are
//! written. Claims and releases are an officer's own doing and do not.
//!
//! This is where telling the assignee belongs (notifications for the
//! officer, or the team's members and channels): whatever is added here
//! commits or rolls back with the assignment itself.

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use super::{StoreError, channels, notifications};
use crate::domain::notification::Assignee;

/// The actor of a rule's assignment at ingest.
const RULE_ACTOR: &str = "placewatch";

/// One item's assignment as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment<'a> {
    pub item_id: i64,
    /// The item's owner after the assignment (an officer's username).
    pub owner: Option<&'a str>,
    /// The item's team after the assignment (a team's id).
    pub team: Option<i64>,
    /// The owner and team before it.
    pub owner_before: Option<&'a str>,
    pub team_before: Option<i64>,
    /// Who assigned it: an officer's username, or `placewatch` for a rule.
    pub by: &'a str,
    /// The audit entry recording it (`item.assigned`; `item.created` for a
    /// rule's, written in bulk without returning ids: `None`).
    pub audit_entry: Option<i64>,
}

/// Records that `made` were assigned, in the caller's transaction: a new
/// owner is told (her bell, and email as she chose), a new team's members
/// are told, and the team's Microsoft Teams and Slack channels get a
/// message linking to the item (when the desk's address, `desk_url`, is
/// known). Many items given to the same officer or team at once (a bulk
/// assignment) make one notice per person and one message per channel,
/// leading to the assignee's items, not one per item. Nobody is told of their own doing. A rule's assignments at
/// ingest tell nobody: a backfill would bury people in notices, and the
/// items wait in the team's "My teams" view.
pub(crate) async fn recorded(
    conn: &mut AnyConnection,
    made: &[Assignment<'_>],
    desk_url: Option<&str>,
) -> Result<(), StoreError> {
    // Who gets what, in the order assigned: one notice per assignee and
    // assigner however many items a bulk assignment moved.
    let mut to_officers: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    let mut to_teams: BTreeMap<(&str, i64), Vec<i64>> = BTreeMap::new();
    for a in made {
        tracing::debug!(
            item.id = a.item_id,
            item.owner = a.owner,
            item.team = a.team,
            by = a.by,
            "item assigned"
        );
        if a.by == RULE_ACTOR {
            continue;
        }
        if let Some(owner) = a.owner.filter(|o| Some(*o) != a.owner_before) {
            to_officers
                .entry((a.by, owner))
                .or_default()
                .push(a.item_id);
        }
        if let Some(team) = a.team.filter(|t| Some(*t) != a.team_before) {
            to_teams.entry((a.by, team)).or_default().push(a.item_id);
        }
    }
    for ((by, owner), items) in to_officers {
        notifications::assigned(conn, &items, &Assignee::Officer(owner.to_owned()), by).await?;
    }
    for ((by, team), items) in to_teams {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM teams WHERE id = $1")
            .bind(team)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(name) = name else { continue };
        notifications::assigned(conn, &items, &Assignee::Team(name.clone()), by).await?;
        let base = desk_url.unwrap_or_default();
        if let [item_id] = items[..] {
            let text: String = sqlx::query_scalar(
                "SELECT p.text FROM items i JOIN posts p ON p.id = i.post_id WHERE i.id = $1",
            )
            .bind(item_id)
            .fetch_one(&mut *conn)
            .await?;
            let link = desk_url
                .map(|_| format!("{base}/items/{item_id}"))
                .unwrap_or_default();
            let summary = channels::AssignmentSummary {
                item_id,
                by,
                post_text: &text,
                link: &link,
            };
            channels::enqueue_assignment(conn, team, &summary).await?;
        } else {
            let link = desk_url
                .map(|_| {
                    let query = form_urlencoded::Serializer::new(String::new())
                        .append_pair("team", &name)
                        .finish();
                    format!("{base}/?{query}")
                })
                .unwrap_or_default();
            channels::enqueue_assignments(conn, team, by, items.len(), &link).await?;
        }
    }
    Ok(())
}
