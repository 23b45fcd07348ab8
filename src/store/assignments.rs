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

use sqlx::SqliteConnection;

use super::StoreError;

/// One item's assignment as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment<'a> {
    pub item_id: i64,
    /// The item's owner after the assignment (an officer's username).
    pub owner: Option<&'a str>,
    /// The item's team after the assignment (a team's id).
    pub team: Option<i64>,
    /// Who assigned it: an officer's username, or `placewatch` for a rule.
    pub by: &'a str,
    /// The audit entry recording it (`item.assigned`; `item.created` for a
    /// rule's, written in bulk without returning ids: `None`).
    pub audit_entry: Option<i64>,
}

/// Records that `made` were assigned, in the caller's transaction. Today the
/// assignment and its audit entry are all there is to record: this logs
/// them (at debug level) and is the hook for telling the assignees.
pub(crate) async fn recorded(
    _conn: &mut SqliteConnection,
    made: &[Assignment<'_>],
) -> Result<(), StoreError> {
    for a in made {
        tracing::debug!(
            item.id = a.item_id,
            item.owner = a.owner,
            item.team = a.team,
            by = a.by,
            "item assigned"
        );
    }
    Ok(())
}
