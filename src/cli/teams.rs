//! `placewatch teams list`: the teams in the store (the config's `[[teams]]`,
//! copied in first, and those made in the desk) with their members and the
//! addresses referrals go to.

use std::path::PathBuf;

use serde_json::json;

use super::{Failure, block_on, terminal_safe};
use crate::app::{open_store, sync_teams};
use crate::config::Config;
use crate::store::Team;

#[derive(Debug, clap::Args)]
pub struct TeamsArgs {
    #[command(subcommand)]
    command: TeamsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TeamsCommand {
    /// List the teams: name, members, referral addresses, and whether the
    /// config defines them. The config's [[teams]] are copied into the
    /// store first, as `placewatch run` does at start-up.
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// One JSON object per team, one per line.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: TeamsArgs) -> Result<(), Failure> {
    match args.command {
        TeamsCommand::List { config, json } => {
            let config = Config::load(&config)?;
            block_on(async move {
                let store = open_store(&config).await?;
                let teams = match sync_teams(&store, &config).await {
                    Ok(()) => store.teams().await.map_err(anyhow::Error::from),
                    Err(e) => Err(e),
                };
                store.close().await;
                print!("{}", render(&teams?, json));
                Ok(())
            })
        }
    }
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
