//! The officer's notifications: her list (newest first, unread marked in
//! words as well as by colour, each linking to its item), opening one
//! (which marks it read and goes to the item), and "Mark all read". The
//! bell in every page's header counts her unread ones; `live` updates it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Desk;
use super::approvals::DoneQuery;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, age, back, html};
use crate::store::Which;

/// How many notifications the list shows.
const LIST_LIMIT: u32 = 200;

/// "3 unread notifications", "1 unread notification", "No unread notifications".
pub(crate) fn unread_words(n: u64) -> String {
    match n {
        0 => "No unread notifications".to_owned(),
        1 => "1 unread notification".to_owned(),
        n => format!("{n} unread notifications"),
    }
}

/// One notification as the list shows it.
struct Row {
    id: i64,
    heading: &'static str,
    summary: String,
    age: String,
    created_at: String,
    unread: bool,
    /// About no item and leading nowhere but this list.
    itemless: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

/// `GET /notifications`.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(&desk, &me, "notifications")
        .await?
        .with_flash(q.done);
    let rows = desk
        .store
        .notifications(me.name(), LIST_LIMIT)
        .await?
        .into_iter()
        .map(|n| Row {
            id: n.id,
            heading: n.kind.heading(),
            age: age(&n.created_at),
            created_at: n.created_at,
            summary: n.summary,
            unread: n.read_at.is_none(),
            itemless: n.item_id.is_none() && n.link.is_none(),
        })
        .collect();
    html(&NotificationsPage { chrome, rows })
}

/// `GET /notifications/{id}`: marks it read and goes to its item (or back
/// to the list for one without an item).
pub(crate) async fn open(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let Some(n) = desk.store.notification(me.name(), id).await? else {
        return Err(WebError::NotFound(format!("no notification {id}")));
    };
    desk.store.mark_read(me.name(), Which::Ids(&[id])).await?;
    let to = match (n.item_id, n.link) {
        (Some(item), _) => format!("/items/{item}"),
        // Only the desk's own paths: a stored link never leads off the desk.
        (None, Some(link)) if link.starts_with('/') && !link.starts_with("//") => link,
        (None, _) => "/notifications".to_owned(),
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReadForm {
    /// One notification; without it, all of them.
    #[serde(default)]
    id: Option<i64>,
}

/// `POST /notifications/read`: marks one (`id`) or all read.
pub(crate) async fn read(
    State(desk): State<Desk>,
    me: Me,
    Form(form): Form<ReadForm>,
) -> Result<Response, WebError> {
    let n = match form.id {
        Some(id) => desk.store.mark_read(me.name(), Which::Ids(&[id])).await?,
        None => desk.store.mark_read(me.name(), Which::All).await?,
    };
    let message = match n {
        0 => "Nothing was unread.".to_owned(),
        1 => "1 notification marked read.".to_owned(),
        n => format!("{n} notifications marked read."),
    };
    Ok(back("/notifications", &message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_counts_read_as_words() {
        assert_eq!(unread_words(0), "No unread notifications");
        assert_eq!(unread_words(1), "1 unread notification");
        assert_eq!(unread_words(3), "3 unread notifications");
    }
}
