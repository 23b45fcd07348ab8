//! The officers page (administrators): who has a desk account, with which
//! role, and disabling or re-enabling an account (which ends its sessions).
//! Accounts are created and passwords set with `placewatch officer`, which
//! reads passwords from a prompt, never from a web form or an argument.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::Desk;
use super::approvals::DoneQuery;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, back, html};
use crate::domain::officer::Permission;
use crate::store::Officer;

#[derive(Template)]
#[template(path = "officers.html")]
struct OfficersPage {
    chrome: Chrome,
    officers: Vec<Officer>,
    me: String,
    config: String,
}

/// `GET /officers`.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    me.require(Permission::Administer)?;
    let chrome = Chrome::new(&desk, &me, "officers")
        .await?
        .with_flash(q.done);
    html(&OfficersPage {
        chrome,
        officers: desk.store.officers().await?,
        me: me.officer.username.clone(),
        config: desk.config.source.display().to_string(),
    })
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
