//! Administrators manage the desk's teams: `POST /teams` adds one (the form
//! is on the teams page), `GET /teams/{id}` shows a team's edit page and
//! `POST /teams/{id}` saves it (name, referral addresses, members ticked from
//! the officers, the webhook variables' names). A refused form comes back
//! with each error beside its field and the values kept. Teams from the
//! config file are shown, not edited: the file would undo the change at the
//! next start. Teams are not deleted (items and referrals point at them).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, back, html};
use super::teams::{config_file_name, render_page};
use crate::domain::officer::Permission;
use crate::domain::team::{MAX_TEAM_NAME_CHARS, TeamEdit, TeamEditError, TeamField, TeamForm};
use crate::store::{Team, TeamChangeError};

/// A team form as a page shows it: where it goes, its values and errors,
/// and the officers to tick.
pub(crate) struct TeamFormView {
    pub action: String,
    pub submit: &'static str,
    pub form: TeamForm,
    pub errors: FieldErrors,
    pub officers: Vec<MemberChoice>,
    pub max_name: usize,
}

impl TeamFormView {
    pub fn has_errors(&self) -> bool {
        let e = &self.errors;
        e.name.is_some()
            || e.emails.is_some()
            || e.members.is_some()
            || e.teams_webhook_env.is_some()
            || e.slack_webhook_env.is_some()
    }
}

/// An officer who can be ticked as a member.
pub(crate) struct MemberChoice {
    pub username: String,
    pub display_name: String,
    pub checked: bool,
    pub disabled: bool,
}

/// Each field's errors, as one sentence to show beside it.
#[derive(Default)]
pub(crate) struct FieldErrors {
    pub name: Option<String>,
    pub emails: Option<String>,
    pub members: Option<String>,
    pub teams_webhook_env: Option<String>,
    pub slack_webhook_env: Option<String>,
}

impl FieldErrors {
    fn slot(&mut self, field: TeamField) -> &mut Option<String> {
        match field {
            TeamField::Name => &mut self.name,
            TeamField::Emails => &mut self.emails,
            TeamField::Members => &mut self.members,
            TeamField::TeamsWebhookEnv => &mut self.teams_webhook_env,
            TeamField::SlackWebhookEnv => &mut self.slack_webhook_env,
        }
    }

    fn add(&mut self, field: TeamField, message: String) {
        let slot = self.slot(field);
        *slot = Some(match slot.take() {
            Some(before) => format!("{before}; {message}"),
            None => message,
        });
    }

    fn of_edit(errors: &[TeamEditError]) -> FieldErrors {
        let mut out = FieldErrors::default();
        for e in errors {
            out.add(e.field(), capitalise(&e.to_string()));
        }
        out
    }

    /// The store's refusals that belong beside a field; the rest are errors.
    fn of_change(e: TeamChangeError) -> Result<FieldErrors, WebError> {
        let mut out = FieldErrors::default();
        match e {
            e @ TeamChangeError::NameTaken { .. } => {
                out.add(TeamField::Name, capitalise(&e.to_string()));
            }
            e @ TeamChangeError::UnknownMembers(_) => {
                out.add(TeamField::Members, capitalise(&e.to_string()));
            }
            e @ TeamChangeError::FromConfig { .. } => {
                return Err(WebError::Refused {
                    status: StatusCode::CONFLICT,
                    message: e.to_string(),
                });
            }
            TeamChangeError::NotFound(id) => {
                return Err(WebError::NotFound(format!("no team {id}")));
            }
            TeamChangeError::Store(e) => return Err(e.into()),
        }
        Ok(out)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The form's fields from the posted pairs (`members` repeats).
fn team_form(pairs: &[(String, String)]) -> TeamForm {
    let mut form = TeamForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => form.name = v.clone(),
            "emails" => form.emails = v.clone(),
            "members" => form.members.push(v.clone()),
            "teams_webhook_env" => form.teams_webhook_env = v.clone(),
            "slack_webhook_env" => form.slack_webhook_env = v.clone(),
            _ => {}
        }
    }
    form
}

fn parse(desk: &Desk, form: &TeamForm) -> Result<TeamEdit, Vec<TeamEditError>> {
    TeamEdit::parse(form, &desk.config.secret_env_names())
}

/// A form to fill in: `form`'s values, the active officers to tick (and any
/// disabled ones already members).
pub(crate) async fn form_view(
    desk: &Desk,
    action: String,
    submit: &'static str,
    form: TeamForm,
    errors: FieldErrors,
) -> Result<TeamFormView, WebError> {
    let officers = desk
        .store
        .officers()
        .await?
        .into_iter()
        .filter(|o| !o.disabled || form.members.contains(&o.username))
        .map(|o| MemberChoice {
            checked: form.members.contains(&o.username),
            username: o.username,
            display_name: o.display_name,
            disabled: o.disabled,
        })
        .collect();
    Ok(TeamFormView {
        action,
        submit,
        form,
        errors,
        officers,
        max_name: MAX_TEAM_NAME_CHARS,
    })
}

/// `POST /teams`.
pub(crate) async fn add(
    State(desk): State<Desk>,
    me: Me,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    me.require(Permission::Administer)?;
    let form = team_form(&pairs);
    let errors = match parse(&desk, &form) {
        Ok(edit) => match desk.store.add_team(&edit, me.name()).await {
            Ok(team) => return Ok(back("/teams", &format!("Team “{}” added.", team.name))),
            Err(e) => FieldErrors::of_change(e)?,
        },
        Err(errors) => FieldErrors::of_edit(&errors),
    };
    let view = form_view(&desk, "/teams".into(), "Add the team", form, errors).await?;
    let page = render_page(&desk, &me, None, Some(view)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template)]
#[template(path = "team_edit.html")]
struct EditPage {
    chrome: Chrome,
    team: Team,
    /// `None` for a team from the config, which is not edited here.
    f: Option<TeamFormView>,
    config: String,
}

async fn edit_page(
    desk: &Desk,
    me: &Me,
    team: Team,
    form: Option<(TeamForm, FieldErrors)>,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(desk, me, "teams").await?;
    let f = if team.from_config {
        None
    } else {
        let (form, errors) = form.unwrap_or_else(|| {
            let form = TeamEdit::form_of(
                &team.name,
                &team.emails,
                &team.members,
                team.teams_webhook_env.as_deref(),
                team.slack_webhook_env.as_deref(),
            );
            (form, FieldErrors::default())
        });
        let action = format!("/teams/{}", team.id);
        Some(form_view(desk, action, "Save the team", form, errors).await?)
    };
    html(&EditPage {
        chrome,
        team,
        f,
        config: config_file_name(desk),
    })
}

async fn find(desk: &Desk, id: i64) -> Result<Team, WebError> {
    desk.store
        .team_by_id(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no team {id}")))
}

/// `GET /teams/{id}`.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    me.require(Permission::Administer)?;
    let team = find(&desk, id).await?;
    edit_page(&desk, &me, team, None).await
}

/// `POST /teams/{id}`.
pub(crate) async fn save(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    me.require(Permission::Administer)?;
    let team = find(&desk, id).await?;
    if team.from_config {
        // The store refuses it too; say so before checking the form.
        let e = TeamChangeError::FromConfig { name: team.name };
        return Err(WebError::Refused {
            status: StatusCode::CONFLICT,
            message: e.to_string(),
        });
    }
    let form = team_form(&pairs);
    let errors = match parse(&desk, &form) {
        Ok(edit) => match desk.store.update_team(id, &edit, me.name()).await {
            Ok(saved) if saved.name != team.name => {
                let done = format!(
                    "Team “{}” renamed to “{}” and saved.",
                    team.name, saved.name
                );
                return Ok(back("/teams", &done));
            }
            Ok(saved) => return Ok(back("/teams", &format!("Team “{}” saved.", saved.name))),
            Err(e) => FieldErrors::of_change(e)?,
        },
        Err(errors) => FieldErrors::of_edit(&errors),
    };
    let page = edit_page(&desk, &me, team, Some((form, errors))).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
