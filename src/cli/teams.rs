//! `placewatch teams`: `list` shows the teams in the store (the config's
//! `[[teams]]`, as loaded when placewatch last started, and those made in
//! the desk) with their members and the addresses referrals go to; it
//! changes nothing. `add`, `rename`, `members` and `emails` change a team
//! made in the desk (or here), as the desk's teams page does, audited as
//! `--actor`; the config's teams are changed in the file.

use std::path::PathBuf;

use serde_json::json;

use super::{Failure, block_on, terminal_safe};
use crate::app::open_store;
use crate::config::Config;
use crate::domain::team::{TeamEdit, TeamForm};
use crate::store::{Store, Team};

#[derive(Debug, clap::Args)]
pub struct TeamsArgs {
    #[command(subcommand)]
    command: TeamsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TeamsCommand {
    /// List the teams in the store: name, members, referral addresses, and
    /// whether the config defines them. Changes nothing: the config's
    /// [[teams]] are loaded when placewatch starts.
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// One JSON object per team, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Add a team (as the desk's teams page does).
    Add {
        #[command(flatten)]
        target: Target,
        /// An address referrals go to (repeat for several; at least one).
        #[arg(long = "email", value_name = "ADDRESS", required = true)]
        emails: Vec<String>,
        /// A member's username (repeat for several; none: an outside contact).
        #[arg(long = "member", value_name = "USERNAME")]
        members: Vec<String>,
        /// Name of the variable holding the Microsoft Teams webhook URL.
        #[arg(long, value_name = "VARIABLE")]
        teams_webhook_env: Option<String>,
        /// Name of the variable holding the Slack webhook URL.
        #[arg(long, value_name = "VARIABLE")]
        slack_webhook_env: Option<String>,
    },
    /// Rename a team made in the desk.
    Rename {
        #[command(flatten)]
        target: Target,
        new_name: String,
    },
    /// Set exactly who is in a team made in the desk (none: an outside contact).
    Members {
        #[command(flatten)]
        target: Target,
        #[arg(value_name = "USERNAME")]
        usernames: Vec<String>,
    },
    /// Set the addresses a team made in the desk is referred to.
    Emails {
        #[command(flatten)]
        target: Target,
        #[arg(value_name = "ADDRESS", required = true)]
        addresses: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
struct Target {
    /// The team's name (ignoring case).
    name: String,
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Who is acting (recorded in the audit log); defaults to $USER.
    #[arg(long, env = "USER", default_value = "admin")]
    actor: String,
}

pub fn run(args: TeamsArgs) -> Result<(), Failure> {
    match args.command {
        TeamsCommand::List { config, json } => {
            let config = Config::load(&config)?;
            block_on(async move {
                let store = open_store(&config).await?;
                let teams = store.teams().await;
                store.close().await;
                let teams = teams?;
                print!("{}", render(&teams, json));
                for pending in not_loaded(&teams, &config) {
                    eprintln!(
                        "note: {:?} is in the config but not in the store yet: it is loaded when placewatch starts",
                        terminal_safe(pending)
                    );
                }
                Ok(())
            })
        }
        TeamsCommand::Add {
            target,
            emails,
            members,
            teams_webhook_env,
            slack_webhook_env,
        } => {
            let form = TeamForm {
                name: target.name.clone(),
                emails: emails.join("\n"),
                members,
                teams_webhook_env: teams_webhook_env.unwrap_or_default(),
                slack_webhook_env: slack_webhook_env.unwrap_or_default(),
            };
            change(target, move |_| form, "added")
        }
        TeamsCommand::Rename { target, new_name } => change(
            target,
            move |mut form| {
                form.name = new_name;
                form
            },
            "renamed",
        ),
        TeamsCommand::Members { target, usernames } => change(
            target,
            move |mut form| {
                form.members = usernames;
                form
            },
            "members set",
        ),
        TeamsCommand::Emails { target, addresses } => change(
            target,
            move |mut form| {
                form.emails = addresses.join("\n");
                form
            },
            "addresses set",
        ),
    }
}

/// The config's teams the store does not have (by name, ignoring case).
fn not_loaded<'c>(teams: &[Team], config: &'c Config) -> Vec<&'c str> {
    config
        .teams
        .iter()
        .filter(|c| {
            !teams
                .iter()
                .any(|t| t.name.to_lowercase() == c.name.to_lowercase())
        })
        .map(|c| c.name.as_str())
        .collect()
}

/// Adds a team (`done` "added": `edit` gets an empty form) or changes the
/// one `target` names (`edit` gets its current form), then prints it.
fn change(
    target: Target,
    edit: impl FnOnce(TeamForm) -> TeamForm,
    done: &'static str,
) -> Result<(), Failure> {
    let config = Config::load(&target.config)?;
    block_on(async move {
        let store = open_store(&config).await?;
        let result = apply(&store, &config, &target, edit, done == "added").await;
        store.close().await;
        let team = result?;
        print!("{}", render(std::slice::from_ref(&team), false));
        eprintln!("{}: {done}", terminal_safe(&team.name));
        Ok(())
    })
}

async fn apply(
    store: &Store,
    config: &Config,
    target: &Target,
    edit: impl FnOnce(TeamForm) -> TeamForm,
    adding: bool,
) -> anyhow::Result<Team> {
    let old = if adding {
        None
    } else {
        let team = store
            .team(&target.name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no team called {:?}", target.name))?;
        Some(team)
    };
    let form = edit(match &old {
        Some(t) => TeamEdit::form_of(
            &t.name,
            &t.emails,
            &t.members,
            t.teams_webhook_env.as_deref(),
            t.slack_webhook_env.as_deref(),
        ),
        None => TeamForm::default(),
    });
    let parsed = TeamEdit::parse(&form, &config.secret_env_names()).map_err(|errors| {
        let why: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("not saved: {}", why.join("; "))
    })?;
    Ok(match old {
        Some(old) => store.update_team(old.id, &parsed, &target.actor).await?,
        None => store.add_team(&parsed, &target.actor).await?,
    })
}

/// The listing as printed: a paragraph per team, or a JSON object a line.
fn render(teams: &[Team], json: bool) -> String {
    let mut out = String::new();
    if json {
        for t in teams {
            let object = json!({
                "name": t.name,
                "members": t.members,
                "emails": t.emails,
                "from_config": t.from_config,
                "teams_webhook_env": t.teams_webhook_env,
                "slack_webhook_env": t.slack_webhook_env,
            });
            out.push_str(&format!("{object}\n"));
        }
        return out;
    }
    if teams.is_empty() {
        return "no teams (add [[teams]] to the config)\n".into();
    }
    for t in teams {
        let source = if t.from_config { "config" } else { "desk" };
        let members = if t.members.is_empty() {
            "none (an outside contact: referrals only)".to_string()
        } else {
            t.members.join(", ")
        };
        out.push_str(&terminal_safe(&format!(
            "{} (from the {source})\n  members: {members}\n  emails:  {}\n",
            t.name,
            t.emails.join(", ")
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(name: &str, members: &[&str], from_config: bool) -> Team {
        Team {
            id: 1,
            name: name.into(),
            emails: vec!["streets@croydon.gov.uk".into()],
            members: members.iter().map(|m| m.to_string()).collect(),
            from_config,
            teams_webhook_env: None,
            slack_webhook_env: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn teams_list_shows_members_addresses_and_where_a_team_comes_from() {
        let teams = [
            team("Streets team", &["priya", "sam"], true),
            team("CleanCo", &[], false),
        ];
        assert_eq!(
            render(&teams, false),
            "Streets team (from the config)\n  members: priya, sam\n  emails:  \
             streets@croydon.gov.uk\nCleanCo (from the desk)\n  members: none (an outside \
             contact: referrals only)\n  emails:  streets@croydon.gov.uk\n"
        );
        let json = render(&teams[..1], true);
        let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(v["members"], json!(["priya", "sam"]));
        assert_eq!(v["from_config"], true);
    }
}
