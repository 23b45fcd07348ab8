//! The officers page (administrators): who has a desk account, with which
//! role and email address; setting that address (the officer sets how she
//! is notified herself, on `/settings`), and disabling or re-enabling an
//! account (which ends its sessions).
//! Accounts are created and passwords set with `placewatch officer`, which
//! reads passwords from a prompt, never from a web form or an argument.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Desk;
use super::approvals::DoneQuery;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, back, html};
use super::settings::parse_email;
use crate::domain::officer::Permission;
use crate::store::Officer;

#[derive(Template)]
#[template(path = "officers.html")]
struct OfficersPage {
    chrome: Chrome,
    officers: Vec<OfficerRow>,
    me: String,
    config: String,
}

/// An officer as the page shows her: her email address field's value, and
/// why it was refused.
struct OfficerRow {
    officer: Officer,
    email: String,
    error: Option<String>,
}

/// The page; `typed` is a refused email form: `(username, value, error)`.
async fn render(
    desk: &Desk,
    me: &Me,
    done: Option<String>,
    typed: Option<(&str, String, String)>,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(desk, me, "officers").await?.with_flash(done);
    let mut officers = Vec::new();
    for officer in desk.store.officers().await? {
        let row = match &typed {
            Some((username, value, error)) if *username == officer.username => OfficerRow {
                officer,
                email: value.clone(),
                error: Some(error.clone()),
            },
            _ => {
                let contact = desk.store.officer_contact(&officer.username).await?;
                OfficerRow {
                    email: contact.and_then(|c| c.email).unwrap_or_default(),
                    officer,
                    error: None,
                }
            }
        };
        officers.push(row);
    }
    html(&OfficersPage {
        chrome,
        officers,
        me: me.officer.username.clone(),
        config: desk.config.source.display().to_string(),
    })
}

/// `GET /officers`.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    me.require(Permission::Administer)?;
    render(&desk, &me, q.done, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmailForm {
    #[serde(default)]
    email: String,
}

/// `POST /officers/{username}/email`: sets (or, blank, removes) an
/// officer's email address, keeping how she chose to be notified.
pub(crate) async fn set_email(
    State(desk): State<Desk>,
    me: Me,
    Path(username): Path<String>,
    Form(form): Form<EmailForm>,
) -> Result<Response, WebError> {
    me.require(Permission::Administer)?;
    let mut contact = desk
        .store
        .officer_contact(&username)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no officer {username}")))?;
    match parse_email(&form.email) {
        Ok(email) => {
            let done = match &email {
                Some(e) => format!("{username}'s email address is now {e}."),
                None => format!("{username} has no email address now."),
            };
            contact.email = email;
            desk.store
                .set_officer_contact(&username, &contact, me.name())
                .await?;
            Ok(back("/officers", &done))
        }
        Err(error) => {
            let typed = Some((username.as_str(), form.email.clone(), error));
            let page = render(&desk, &me, None, typed).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn set_disabled(
    desk: &Desk,
    me: &Me,
    username: &str,
    disabled: bool,
) -> Result<Response, WebError> {
    me.require(Permission::Administer)?;
    if disabled && username == me.officer.username {
        return Ok(back(
            "/officers",
            "You cannot disable your own account; ask another administrator.",
        ));
    }
    let officer = desk
        .store
        .set_officer_disabled(username, disabled, me.name())
        .await?;
    let what = if disabled { "disabled" } else { "enabled" };
    Ok(back(
        "/officers",
        &format!("{} is {what}.", officer.username),
    ))
}

/// `POST /officers/{username}/disable`.
pub(crate) async fn disable(
    State(desk): State<Desk>,
    me: Me,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    set_disabled(&desk, &me, &username, true).await
}

/// `POST /officers/{username}/enable`.
pub(crate) async fn enable(
    State(desk): State<Desk>,
    me: Me,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    set_disabled(&desk, &me, &username, false).await
}
