//! `[[teams]]` validated: names (`domain::team::parse_team_name`, unique
//! ignoring case), one or more referral addresses (lettre's `Address`),
//! members (officers' usernames, checked like the desk checks them, no
//! repeats; whether they exist is the store's business, at start-up), and the
//! webhook variables' names, checked with every other `*_env` key so no two
//! keys name the same variable.

use crate::domain::mail::Address;
use crate::domain::officer::check_username;
use crate::domain::team::{TeamConfig, parse_team_address, parse_team_name};

use super::error::ConfigError;
use super::locate::Ctx;
use super::schema::{MailConfig, RawTeam, XConfig};
use super::validate::check_env_names;

type Result<T> = std::result::Result<T, ConfigError>;

pub(super) fn teams(
    raw: Vec<RawTeam>,
    x: &XConfig,
    mail: Option<&MailConfig>,
    ctx: &Ctx<'_>,
) -> Result<Vec<TeamConfig>> {
    let mut teams: Vec<TeamConfig> = Vec::with_capacity(raw.len());
    for (i, raw) in raw.into_iter().enumerate() {
        let team = team(i, raw, ctx)?;
        if let Some(j) = teams
            .iter()
            .position(|t| t.name.to_lowercase() == team.name.to_lowercase())
        {
            return Err(ctx.invalid(
                &format!("teams[{i}].name"),
                format!(
                    "{:?} is also the name of teams[{j}] (names are compared ignoring case)",
                    team.name
                ),
            ));
        }
        teams.push(team);
    }
    env_names(&teams, x, mail, ctx)?;
    Ok(teams)
}

fn team(i: usize, raw: RawTeam, ctx: &Ctx<'_>) -> Result<TeamConfig> {
    let key = |k: &str| format!("teams[{i}].{k}");
    let name = parse_team_name(&raw.name).map_err(|e| ctx.invalid(&key("name"), e.to_string()))?;
    if raw.emails.is_empty() {
        return Err(ctx.invalid(
            &key("emails"),
            "list at least one address referrals to this team go to",
        ));
    }
    let mut emails: Vec<Address> = Vec::with_capacity(raw.emails.len());
    for (j, value) in raw.emails.iter().enumerate() {
        let at = key(&format!("emails[{j}]"));
        let address = address(value, &at, ctx)?;
        if emails.contains(&address) {
            return Err(ctx.invalid(&at, format!("{value:?} is listed twice")));
        }
        emails.push(address);
    }
    let mut members: Vec<String> = Vec::with_capacity(raw.members.len());
    for (j, member) in raw.members.iter().enumerate() {
        let at = key(&format!("members[{j}]"));
        let member = member.trim();
        check_username(member)
            .map_err(|e| ctx.invalid(&at, format!("{member:?} is not a username: {e}")))?;
        if members.iter().any(|m| m == member) {
            return Err(ctx.invalid(&at, format!("{member:?} is listed twice")));
        }
        members.push(member.to_string());
    }
    Ok(TeamConfig {
        name,
        emails,
        members,
        teams_webhook_env: raw.teams_webhook_env,
        slack_webhook_env: raw.slack_webhook_env,
    })
}

fn address(value: &str, key: &str, ctx: &Ctx<'_>) -> Result<Address> {
    parse_team_address(value).map_err(|e| ctx.invalid(key, e.to_string()))
}

/// The webhook variables' names, after (and against) the `[x]` and `[mail]`
/// ones: each a variable name, no two keys naming the same variable.
fn env_names(
    teams: &[TeamConfig],
    x: &XConfig,
    mail: Option<&MailConfig>,
    ctx: &Ctx<'_>,
) -> Result<()> {
    let mut keys: Vec<(String, &String)> = vec![
        ("x.client_secret_env".into(), &x.client_secret_env),
        ("x.bearer_token_env".into(), &x.bearer_token_env),
        ("x.api_key_env".into(), &x.api_key_env),
        ("x.api_secret_env".into(), &x.api_secret_env),
    ];
    if let Some(mail) = mail {
        keys.push(("mail.password_env".into(), &mail.password_env));
        if let super::MailAuth::Xoauth2(oauth) = &mail.auth {
            keys.push((
                "mail.oauth_client_secret_env".into(),
                &oauth.client_secret_env,
            ));
            if let Some(var) = &oauth.refresh_token_env {
                keys.push(("mail.oauth_refresh_token_env".into(), var));
            }
        }
    }
    for (i, team) in teams.iter().enumerate() {
        for (k, value) in [
            ("teams_webhook_env", &team.teams_webhook_env),
            ("slack_webhook_env", &team.slack_webhook_env),
        ] {
            if let Some(value) = value {
                keys.push((format!("teams[{i}].{k}"), value));
            }
        }
    }
    let keys: Vec<(&str, &String)> = keys.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    check_env_names(ctx, &keys)
}

impl super::Config {
    /// The variables other keys name for secrets, as `(key, name)`: a team
    /// made in the desk or with `placewatch teams` may not use one for a
    /// webhook (the config's own teams are checked against them on load).
    pub fn secret_env_names(&self) -> Vec<(&'static str, &str)> {
        let x = &self.x;
        let mut taken = vec![
            ("x.client_secret_env", x.client_secret_env.as_str()),
            ("x.bearer_token_env", x.bearer_token_env.as_str()),
            ("x.api_key_env", x.api_key_env.as_str()),
            ("x.api_secret_env", x.api_secret_env.as_str()),
        ];
        if let Some(mail) = &self.mail {
            taken.push(("mail.password_env", mail.password_env.as_str()));
            if let super::MailAuth::Xoauth2(oauth) = &mail.auth {
                taken.push((
                    "mail.oauth_client_secret_env",
                    oauth.client_secret_env.as_str(),
                ));
                if let Some(var) = &oauth.refresh_token_env {
                    taken.push(("mail.oauth_refresh_token_env", var.as_str()));
                }
            }
        }
        taken
    }
}
