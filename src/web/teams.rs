//! The teams page: who items can be referred to, for every officer to see
//! before a hand-off (members, the addresses referrals go to, the channels a
//! team is told in, and whether the config defines it).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, html};
use crate::store::Team;

/// A team as the page shows it.
struct TeamRow {
    name: String,
    /// Members' display names (their usernames when not officers yet).
    members: Vec<String>,
    emails: Vec<String>,
    /// "Microsoft Teams", "Slack": the channels named for it.
    channels: Vec<&'static str>,
    from_config: bool,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    chrome: Chrome,
    teams: Vec<TeamRow>,
    config: String,
}

/// `GET /teams`.
pub(crate) async fn page(State(desk): State<Desk>, me: Me) -> Result<Response, WebError> {
    let chrome = Chrome::new(&desk, &me, "teams").await?;
    let officers = desk.store.officers().await?;
    let name_of = |username: &str| {
        officers
            .iter()
            .find(|o| o.username == username)
            .map_or_else(|| username.to_owned(), |o| o.display_name.clone())
    };
    let teams = desk
        .store
        .teams()
        .await?
        .into_iter()
        .map(|t: Team| TeamRow {
            members: t.members.iter().map(|m| name_of(m)).collect(),
            channels: [
                t.teams_webhook_env.as_ref().map(|_| "Microsoft Teams"),
                t.slack_webhook_env.as_ref().map(|_| "Slack"),
            ]
            .into_iter()
            .flatten()
            .collect(),
            name: t.name,
            emails: t.emails,
            from_config: t.from_config,
        })
        .collect();
    html(&TeamsPage {
        chrome,
        teams,
        config: desk.config.source.display().to_string(),
    })
}
