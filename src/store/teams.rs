//! Teams: service teams and outside contractors, their referral addresses,
//! webhook variables' names and members (officers' usernames).
//!
//! Teams from the config's `[[teams]]` are seeded by
//! [`Store::sync_config_teams`] at start-up, in one transaction with their
//! audit entries; teams made in the desk are left alone. Plain SQL with
//! bound parameters, one statement per step, on both engines. Names compare
//! and sort as `lower(name)`: SQLite's `name COLLATE NOCASE` and
//! PostgreSQL's unique index on `lower(name)` agree on it for ASCII names
//! (PostgreSQL folds other letters too).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::{self, NewAudit};
use super::{Store, StoreError, codec};
use crate::domain::team::TeamConfig;

/// The actor audited for changes the config file makes.
const CONFIG_ACTOR: &str = "config";

/// A team as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    /// Where referrals go.
    pub emails: Vec<String>,
    /// Officers' usernames, sorted; empty for an outside contact.
    pub members: Vec<String>,
    /// Defined by the config's `[[teams]]` (and reset from it at start-up).
    pub from_config: bool,
    /// Name of the variable holding the Microsoft Teams webhook URL.
    pub teams_webhook_env: Option<String>,
    /// Name of the variable holding the Slack webhook URL.
    pub slack_webhook_env: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC.
    pub updated_at: String,
}

/// What [`Store::sync_config_teams`] changed, by team name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamSync {
    /// Config teams not in the store before.
    pub added: Vec<String>,
    /// Config teams whose addresses, webhooks, members or marking changed.
    pub updated: Vec<String>,
    /// Teams no longer in the config: kept, no longer marked as from it.
    pub unmarked: Vec<String>,
    /// `(team, username)` for members no officer has (yet).
    pub unknown_members: Vec<(String, String)>,
}

pub(super) const TEAM_COLUMNS: &str = "id, name, emails, CASE WHEN from_config THEN 1 ELSE 0 END AS from_config, teams_webhook_env, \
     slack_webhook_env, created_at, updated_at";

pub(super) fn decode(row: &AnyRow, members: Vec<String>) -> Result<Team, StoreError> {
    let emails: String = row.try_get("emails")?;
    Ok(Team {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        emails: codec::from_json(&emails, "team emails")?,
        members,
        from_config: codec::flag(row, "from_config")?,
        teams_webhook_env: row.try_get("teams_webhook_env")?,
        slack_webhook_env: row.try_get("slack_webhook_env")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Every team, by name (ignoring case).
    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM teams ORDER BY lower(name), id");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        let mut members = self.members_by_team(None).await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                decode(r, members.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    /// The team called `name` (ignoring case), if there is one.
    pub async fn team(&self, name: &str) -> Result<Option<Team>, StoreError> {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE lower(name) = lower($1)");
        let Some(row) = sqlx::query(&sql)
            .bind(name.trim())
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let mut members = self.members_by_team(Some(id)).await?;
        decode(&row, members.remove(&id).unwrap_or_default()).map(Some)
    }

    /// The teams `username` is a member of, by name.
    pub async fn teams_of(&self, username: &str) -> Result<Vec<Team>, StoreError> {
        let mut teams = self.teams().await?;
        teams.retain(|t| t.members.iter().any(|m| m == username));
        Ok(teams)
    }

    /// Members of one team (`Some(id)`) or of all, sorted, by team id.
    async fn members_by_team(
        &self,
        team: Option<i64>,
    ) -> Result<BTreeMap<i64, Vec<String>>, StoreError> {
        let rows = sqlx::query(
            "SELECT team_id, username FROM team_members \
             WHERE $1 IS NULL OR team_id = $2 ORDER BY team_id, username",
        )
        .bind(team)
        .bind(team)
        .fetch_all(&self.read)
        .await?;
        let mut by_team: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for r in &rows {
            by_team
                .entry(r.try_get("team_id")?)
                .or_default()
                .push(r.try_get("username")?);
        }
        Ok(by_team)
    }

    /// Makes the store's teams agree with the config's `[[teams]]`: each is
    /// added, or updated (its name's spelling, addresses, webhook variables
    /// and exactly its members) and marked as from the config; a team the
    /// config no longer has is kept but unmarked. Teams made in the desk are
    /// left alone, unless the config now names one (ignoring case): the config
    /// then takes it over. Changes are audited as made by `config`, in the
    /// same transaction. Members no officer has are reported, not refused.
    pub async fn sync_config_teams(&self, teams: &[TeamConfig]) -> Result<TeamSync, StoreError> {
        let before: BTreeMap<String, Team> = self
            .teams()
            .await?
            .into_iter()
            .map(|t| (t.name.to_lowercase(), t))
            .collect();
        let mut sync = TeamSync::default();
        let mut tx = self.begin_write().await?;
        let at = codec::now();
        let mut seeded = BTreeSet::new();
        for team in teams {
            let old = before.get(&team.name.to_lowercase());
            seeded.insert(team.name.to_lowercase());
            let emails: Vec<String> = team.emails.iter().map(ToString::to_string).collect();
            let members: BTreeSet<&str> = team.members.iter().map(String::as_str).collect();
            let after = json!({
                "name": team.name,
                "emails": emails,
                "members": members,
                "teams_webhook_env": team.teams_webhook_env,
                "slack_webhook_env": team.slack_webhook_env,
            });
            let id = match old {
                Some(old) if same(old, team, &emails, &members) => continue,
                Some(old) => {
                    sqlx::query(
                        "UPDATE teams SET name = $1, emails = $2, from_config = TRUE, \
                         teams_webhook_env = $3, slack_webhook_env = $4, updated_at = $5 \
                         WHERE id = $6",
                    )
                    .bind(&team.name)
                    .bind(codec::to_json(&emails))
                    .bind(&team.teams_webhook_env)
                    .bind(&team.slack_webhook_env)
                    .bind(&at)
                    .bind(old.id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM team_members WHERE team_id = $1")
                        .bind(old.id)
                        .execute(&mut *tx)
                        .await?;
                    let before = json!({
                        "name": old.name,
                        "emails": old.emails,
                        "members": old.members,
                        "from_config": old.from_config,
                        "teams_webhook_env": old.teams_webhook_env,
                        "slack_webhook_env": old.slack_webhook_env,
                    });
                    audit_team(&mut tx, "team.updated", Some(before), Some(after), &at).await?;
                    sync.updated.push(team.name.clone());
                    old.id
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO teams (name, emails, from_config, teams_webhook_env, \
                         slack_webhook_env, created_at, updated_at) \
                         VALUES ($1, $2, TRUE, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(&team.name)
                    .bind(codec::to_json(&emails))
                    .bind(&team.teams_webhook_env)
                    .bind(&team.slack_webhook_env)
                    .bind(&at)
                    .bind(&at)
                    .fetch_one(&mut *tx)
                    .await?;
                    audit_team(&mut tx, "team.added", None, Some(after), &at).await?;
                    sync.added.push(team.name.clone());
                    id
                }
            };
            for username in &members {
                sqlx::query("INSERT INTO team_members (team_id, username) VALUES ($1, $2)")
                    .bind(id)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for (key, old) in &before {
            if old.from_config && !seeded.contains(key) {
                sqlx::query("UPDATE teams SET from_config = FALSE, updated_at = $1 WHERE id = $2")
                    .bind(&at)
                    .bind(old.id)
                    .execute(&mut *tx)
                    .await?;
                let detail = json!({ "name": old.name, "from_config": false });
                audit_team(&mut tx, "team.left_config", None, Some(detail), &at).await?;
                sync.unmarked.push(old.name.clone());
            }
        }
        let officers: BTreeSet<String> = sqlx::query_scalar("SELECT username FROM officers")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        tx.commit().await?;
        for team in teams {
            for member in &team.members {
                if !officers.contains(member) {
                    sync.unknown_members
                        .push((team.name.clone(), member.clone()));
                }
            }
        }
        Ok(sync)
    }
}

/// Whether the stored `old` already is the config's `team`, marked as such.
fn same(old: &Team, team: &TeamConfig, emails: &[String], members: &BTreeSet<&str>) -> bool {
    old.from_config
        && old.name == team.name
        && old.emails == emails
        && old.teams_webhook_env == team.teams_webhook_env
        && old.slack_webhook_env == team.slack_webhook_env
        && old
            .members
            .iter()
            .map(String::as_str)
            .eq(members.iter().copied())
}

async fn audit_team(
    tx: &mut sqlx::AnyConnection,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    at: &str,
) -> Result<(), StoreError> {
    let entry = NewAudit {
        actor: CONFIG_ACTOR.to_owned(),
        action: action.to_owned(),
        item_id: None,
        before,
        after,
        detail: None,
    };
    audit::insert(tx, &entry, at).await?;
    Ok(())
}
