//! Teams as administrators change them in the desk: add one, or change its
//! name, addresses, members and webhook variables' names. Each change is
//! audited in its transaction with the before and after of what changed
//! (`team.added`, `team.renamed`, `team.emails_changed`,
//! `team.members_changed`, `team.webhooks_changed`).
//!
//! Names are unique ignoring case (Unicode case, not only SQLite's ASCII
//! `NOCASE`); members must be officers; teams from the config's `[[teams]]`
//! are refused ([`TeamChangeError::FromConfig`]), since the file would
//! overwrite the change at the next start. Teams are never deleted: items,
//! referrals and audit entries point at them.

use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

use super::audit::{self, NewAudit};
use super::teams::{TEAM_COLUMNS, decode};
use super::{Store, StoreError, Team, codec};
use crate::domain::team::TeamEdit;

/// Why a team change is refused.
#[derive(Debug, thiserror::Error)]
pub enum TeamChangeError {
    #[error("there is already a team called {other:?} (names are compared ignoring case)")]
    NameTaken { other: String },
    #[error("{name:?} is defined in the config file's [[teams]]: change it there")]
    FromConfig { name: String },
    #[error("not officers: {}", .0.join(", "))]
    UnknownMembers(Vec<String>),
    #[error("no team with id {0}")]
    NotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TeamChangeError {
    fn from(e: sqlx::Error) -> Self {
        TeamChangeError::Store(StoreError::Db(e))
    }
}

impl Store {
    /// The team with `id`, if there is one.
    pub async fn team_by_id(&self, id: i64) -> Result<Option<Team>, StoreError> {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM teams WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        match name {
            Some(name) => self.team(&name).await,
            None => Ok(None),
        }
    }

    /// Adds a team made in the desk, audited as `actor`'s `team.added`.
    pub async fn add_team(&self, edit: &TeamEdit, actor: &str) -> Result<Team, TeamChangeError> {
        let mut tx = self.begin_write().await?;
        check_name(&mut tx, &edit.name, None).await?;
        check_members(&mut tx, &edit.members).await?;
        let at = codec::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO teams (name, emails, from_config, teams_webhook_env, \
             slack_webhook_env, created_at, updated_at) \
             VALUES ($1, $2, FALSE, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&edit.name)
        .bind(codec::to_json(&emails(edit)))
        .bind(&edit.teams_webhook_env)
        .bind(&edit.slack_webhook_env)
        .bind(&at)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        set_members(&mut tx, id, &edit.members).await?;
        let after = json!({
            "id": id,
            "name": edit.name,
            "emails": emails(edit),
            "members": edit.members,
            "teams_webhook_env": edit.teams_webhook_env,
            "slack_webhook_env": edit.slack_webhook_env,
        });
        audit_change(&mut tx, actor, "team.added", None, after, &at).await?;
        tx.commit().await?;
        self.team_by_id(id)
            .await?
            .ok_or(TeamChangeError::NotFound(id))
    }

    /// Makes team `id` what `edit` says, audited as `actor`'s: one entry for
    /// each thing that changed (none when nothing did). Refused for a team
    /// from the config.
    pub async fn update_team(
        &self,
        id: i64,
        edit: &TeamEdit,
        actor: &str,
    ) -> Result<Team, TeamChangeError> {
        let mut tx = self.begin_write().await?;
        // Read under the write lock, so the audit's "before" is what was
        // changed (and a team the config has just taken over is refused).
        let old = load(&mut tx, id)
            .await?
            .ok_or(TeamChangeError::NotFound(id))?;
        if old.from_config {
            return Err(TeamChangeError::FromConfig { name: old.name });
        }
        check_name(&mut tx, &edit.name, Some(id)).await?;
        let at = codec::now();
        let new_emails = emails(edit);
        let mut changes: Vec<(&str, Value, Value)> = Vec::new();
        if old.name != edit.name {
            changes.push((
                "team.renamed",
                json!({ "name": old.name }),
                json!({ "name": edit.name }),
            ));
        }
        if old.emails != new_emails {
            changes.push((
                "team.emails_changed",
                json!({ "emails": old.emails }),
                json!({ "emails": new_emails }),
            ));
        }
        if old.members != edit.members {
            // Members who left may stay (even disabled); new ones must be officers.
            let joining: Vec<String> = edit
                .members
                .iter()
                .filter(|m| !old.members.contains(m))
                .cloned()
                .collect();
            check_members(&mut tx, &joining).await?;
            set_members(&mut tx, id, &edit.members).await?;
            changes.push((
                "team.members_changed",
                json!({ "members": old.members }),
                json!({ "members": edit.members }),
            ));
        }
        if old.teams_webhook_env != edit.teams_webhook_env
            || old.slack_webhook_env != edit.slack_webhook_env
        {
            changes.push((
                "team.webhooks_changed",
                json!({
                    "teams_webhook_env": old.teams_webhook_env,
                    "slack_webhook_env": old.slack_webhook_env,
                }),
                json!({
                    "teams_webhook_env": edit.teams_webhook_env,
                    "slack_webhook_env": edit.slack_webhook_env,
                }),
            ));
        }
        if changes.is_empty() {
            return Ok(old);
        }
        sqlx::query(
            "UPDATE teams SET name = $1, emails = $2, teams_webhook_env = $3, \
             slack_webhook_env = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&edit.name)
        .bind(codec::to_json(&new_emails))
        .bind(&edit.teams_webhook_env)
        .bind(&edit.slack_webhook_env)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for (action, mut before, mut after) in changes {
            for v in [&mut before, &mut after] {
                v["id"] = json!(id);
            }
            after["team"] = json!(edit.name);
            audit_change(&mut tx, actor, action, Some(before), after, &at).await?;
        }
        tx.commit().await?;
        self.team_by_id(id)
            .await?
            .ok_or(TeamChangeError::NotFound(id))
    }
}

/// Team `id` as the transaction sees it.
async fn load(tx: &mut AnyConnection, id: i64) -> Result<Option<Team>, TeamChangeError> {
    let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1");
    let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
        return Ok(None);
    };
    let members: Vec<String> = sqlx::query_scalar(
        "SELECT username FROM team_members WHERE team_id = $1 ORDER BY username",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(Some(decode(&row, members)?))
}

fn emails(edit: &TeamEdit) -> Vec<String> {
    edit.emails.iter().map(ToString::to_string).collect()
}

/// Refuses `name` when another team (not `except`) has it, ignoring case.
async fn check_name(
    tx: &mut AnyConnection,
    name: &str,
    except: Option<i64>,
) -> Result<(), TeamChangeError> {
    let rows = sqlx::query("SELECT id, name FROM teams")
        .fetch_all(&mut *tx)
        .await?;
    let wanted = name.to_lowercase();
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let other: String = row.try_get("name")?;
        if Some(id) != except && other.to_lowercase() == wanted {
            return Err(TeamChangeError::NameTaken { other });
        }
    }
    Ok(())
}

/// Refuses usernames no officer has.
async fn check_members(tx: &mut AnyConnection, members: &[String]) -> Result<(), TeamChangeError> {
    let mut unknown = Vec::new();
    for username in members {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM officers WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            unknown.push(username.clone());
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(TeamChangeError::UnknownMembers(unknown))
    }
}

async fn set_members(
    tx: &mut AnyConnection,
    id: i64,
    members: &[String],
) -> Result<(), TeamChangeError> {
    sqlx::query("DELETE FROM team_members WHERE team_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for username in members {
        sqlx::query("INSERT INTO team_members (team_id, username) VALUES ($1, $2)")
            .bind(id)
            .bind(username)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

async fn audit_change(
    tx: &mut AnyConnection,
    actor: &str,
    action: &str,
    before: Option<Value>,
    after: Value,
    at: &str,
) -> Result<(), TeamChangeError> {
    let entry = NewAudit {
        actor: actor.to_owned(),
        action: action.to_owned(),
        item_id: None,
        before,
        after: Some(after),
        detail: None,
    };
    audit::insert(tx, &entry, at).await?;
    Ok(())
}
