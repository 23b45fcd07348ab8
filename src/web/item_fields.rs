//! An item's priority, tag and assignment forms (`POST /items/{id}/priority`,
//! `/tag`, `/assign`): one item changed as a bulk action changes each of
//! its items (see `changes`), answered as the workflow buttons are (a
//! redirect with a notice offering Undo, or JSON for the script).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::Desk;
use super::changes::{self, ChangeFields};
use super::error::WebError;
use super::guard::Me;
use super::ownership;
use super::render::{back, back_with_undo, local_path, wants_json};
use super::undo::ChangeList;
use crate::domain::officer::Permission;

/// The fields of an item's priority, tag and assignment forms.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ChangeForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    back: Option<String>,
}

/// Assigns, prioritises or tags one item, answering as the workflow buttons do; a
/// missing or wrong field, or an item already so, is said in the notice.
async fn change_one(
    desk: Desk,
    me: Me,
    id: i64,
    action: &str,
    headers: HeaderMap,
    form: ChangeForm,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let fallback = format!("/items/{id}");
    let to = local_path(
        form.back
            .as_deref()
            .filter(|b| !b.is_empty())
            .or(Some(&fallback)),
    );
    let fields = ChangeFields {
        action: action.to_owned(),
        owner: form.owner,
        tag: form.tag,
        priority: form.priority,
        ..ChangeFields::default()
    };
    desk.store.item(id).await?;
    let asked = match changes::asked(&desk, &fields).await {
        Ok(asked) => asked,
        Err(WebError::Refused { message, .. }) if !wants_json(&headers) => {
            return Ok(back(&to, &message));
        }
        Err(e) => return Err(e),
    };
    let applied = desk
        .store
        .apply_change(&[id], &asked.change, me.name(), None)
        .await?;
    let message = asked.report_one(id, &applied);
    let entries = applied.entries();
    if wants_json(&headers) {
        let item = desk.store.item(id).await?;
        let by_hand = desk.store.assigned_by_hand(&[id]).await?.contains(&id);
        return Ok(Json(serde_json::json!({
            "id": id,
            "priority": item.priority.as_str(),
            "tags": item.tags,
            "owner": item.owner,
            "team": item.team,
            "owner_label": ownership::with_team(
                ownership::row_label(&item, &desk.config.rules, by_hand),
                item.team.as_deref(),
            ),
            "message": message,
            "undo": ChangeList::new(&entries).to_string(),
        }))
        .into_response());
    }
    Ok(back_with_undo(&to, &message, &entries))
}

macro_rules! change_handlers {
    ($($name:ident => $action:expr),* $(,)?) => {$(
        pub(crate) async fn $name(
            State(desk): State<Desk>,
            me: Me,
            Path(id): Path<i64>,
            headers: HeaderMap,
            Form(form): Form<ChangeForm>,
        ) -> Result<Response, WebError> {
            change_one(desk, me, id, $action, headers, form).await
        }
    )*};
}

change_handlers! {
    assign => "assign",
    priority => "priority",
    tag => "tag",
}
