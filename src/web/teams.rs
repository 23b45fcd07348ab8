//! The teams page: who items can be referred to, for every officer to see
//! before a hand-off (members, the addresses referrals go to, the channels a
//! team is told in, and whether the config defines it). Administrators also
//! get an "Add a team" form and an Edit link for each team made in the desk
//! (`team_edit`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::Desk;
use super::approvals::DoneQuery;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, html};
use super::team_edit::{FieldErrors, TeamFormView, form_view};
use crate::domain::officer::Permission;
use crate::domain::team::TeamForm;
use crate::store::Team;

/// A team as the page shows it.
struct TeamRow {
    id: i64,
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
    /// The config file's name, for "Defined in placewatch.toml".
    config_name: String,
    /// The "Add a team" form, for administrators.
    f: Option<TeamFormView>,
}

/// The config file's name (not its path), as the desk mentions it.
pub(crate) fn config_file_name(desk: &Desk) -> String {
    desk.config.source.file_name().map_or_else(
        || desk.config.source.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `GET /teams`.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let add = if me.can(Permission::Administer) {
        let form = TeamForm::default();
        Some(
            form_view(
                &desk,
                "/teams".into(),
                "Add the team",
                form,
                FieldErrors::default(),
            )
            .await?,
        )
    } else {
        None
    };
    render_page(&desk, &me, q.done, add).await
}

/// The teams page, with `add` (the "Add a team" form, as filled in) for
/// administrators.
pub(crate) async fn render_page(
    desk: &Desk,
    me: &Me,
    done: Option<String>,
    add: Option<TeamFormView>,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(desk, me, "teams").await?.with_flash(done);
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
            id: t.id,
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
        config_name: config_file_name(desk),
        f: add,
    })
}
