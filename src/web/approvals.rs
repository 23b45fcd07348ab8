//! Approvals: replies that wait for an approver (their template or the
//! officer's role requires it), approved (and then sent) or rejected with a
//! reason; and retrying a failed reply.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::Desk;
use super::compose::describe_outcome;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, age, back, html, truncate};
use crate::domain::officer::Permission;
use crate::domain::outbox::ReplyState;
use crate::reply::{Outbox, ReplyError};
use crate::store::StoreError;

/// A reply awaiting approval, with what it answers.
pub(crate) struct Awaiting {
    pub id: i64,
    pub item_id: i64,
    pub text: String,
    pub officer: String,
    pub template: Option<String>,
    pub age: String,
    pub post_author: String,
    pub post_text: String,
    /// The officer looking wrote it, and may not approve it.
    pub own: bool,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    chrome: Chrome,
    awaiting: Vec<Awaiting>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// `GET /approvals`.
async fn render_page(desk: &Desk, me: &Me, done: Option<String>) -> Result<Response, WebError> {
    me.require(Permission::Approve)?;
    let mut awaiting = Vec::new();
    for reply in desk
        .store
        .replies_in_state(ReplyState::AwaitingApproval)
        .await?
    {
        let item = desk.store.item(reply.item_id).await?;
        awaiting.push(Awaiting {
            id: reply.id,
            item_id: reply.item_id,
            age: age(&reply.created_at),
            own: reply.officer == me.name() && !desk.config.desk.allow_self_approval,
            officer: reply.officer,
            template: reply.template,
            text: reply.text,
            post_author: item.author.map_or("unknown author".into(), |a| {
                format!("{} (@{})", a.name, a.username)
            }),
            post_text: truncate(&item.post.text, 400),
        });
    }
    let chrome = Chrome::new(desk, me, "approvals").await?.with_flash(done);
    html(&ApprovalsPage { chrome, awaiting })
}

pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    render_page(&desk, &me, q.done).await
}

fn outbox(desk: &Desk) -> Result<Outbox, WebError> {
    desk.outbox.clone().ok_or_else(|| {
        WebError::Unavailable(
            "The council account is not logged in, so replies cannot be sent. See the Status page."
                .into(),
        )
    })
}

/// `POST /replies/{id}/approve`: approves and sends.
pub(crate) async fn approve(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    me.require(Permission::Approve)?;
    let approved = outbox(&desk)?
        .approve(id, me.name(), desk.config.desk.allow_self_approval)
        .await;
    let outcome = match approved {
        Err(ReplyError::Store(e @ StoreError::SelfApproval { .. })) => {
            return Ok(back("/approvals", &format!("Not approved: {e}.")));
        }
        other => other?,
    };
    Ok(back(
        "/approvals",
        &format!("Reply {id} approved. {}", describe_outcome(&outcome)),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// `POST /replies/{id}/reject`: turns the reply down with a reason.
pub(crate) async fn reject(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> Result<Response, WebError> {
    me.require(Permission::Approve)?;
    let reason = form.reason.trim();
    if reason.is_empty() {
        return Ok(back(
            "/approvals",
            "Say why the reply is rejected: the officer sees the reason.",
        ));
    }
    desk.store.reject_reply(id, me.name(), reason).await?;
    Ok(back("/approvals", &format!("Reply {id} rejected.")))
}

/// `POST /replies/{id}/retry`: sends a failed reply again.
pub(crate) async fn retry(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    me.require(Permission::Reply)?;
    let outcome = outbox(&desk)?.retry(id, me.name()).await?;
    let item = outcome.reply().item_id;
    Ok(back(&format!("/items/{item}"), &describe_outcome(&outcome)))
}
