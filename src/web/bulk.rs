//! Bulk actions from the inbox: one change (claim, assign, tag, priority,
//! refer, dismiss) to the ticked items, to the page shown, or to everything
//! the inbox's view matches on all its pages (`POST /items/bulk`).
//!
//! More than [`CONFIRM_ABOVE`] items are changed only once the officer has
//! confirmed the count: the script asks in the page (it previews the count
//! and the question with `preview=1` first), and without the script the
//! answer is a page that asks. A view that holds more than
//! `desk.bulk_max_items` is refused with a message to narrow it. Items that
//! cannot take the change are skipped and named in the notice, which offers
//! Undo for the whole action; nothing here answers with an error page for
//! what an officer can put right.

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Desk;
use super::changes::{self, Asked, ChangeFields, items};
use super::error::WebError;
use super::guard::Me;
use super::inbox::view_filter;
use super::render::{Chrome, back, back_with_undo, html, local_path, wants_json};
use super::undo::ChangeList;
use crate::domain::figures::thousands;
use crate::domain::officer::Permission;
use crate::store::NewReferral;

/// Bulk actions on more items than this ask first.
pub(crate) const CONFIRM_ABOVE: usize = 50;

/// Which items a bulk action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The items the officer ticked.
    Ticked,
    /// Every item on the page she sees.
    Page,
    /// Everything the view (filter and status) matches, on all its pages.
    View,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Ticked => "ticked",
            Scope::Page => "page",
            Scope::View => "view",
        }
    }
}

/// The bulk bar's form.
#[derive(Debug)]
struct BulkForm {
    fields: ChangeFields,
    scope: Scope,
    /// Ticked item ids.
    items: Vec<i64>,
    /// The page's item ids.
    page: Vec<i64>,
    /// The inbox's query string, for [`Scope::View`].
    view: String,
    /// How many items the officer agreed to change.
    confirmed: Option<usize>,
    /// Only count and word the action (the script's question).
    preview: bool,
    back: String,
}

fn read_form(pairs: Vec<(String, String)>) -> Result<BulkForm, WebError> {
    let bad = |message: String| WebError::Refused {
        status: StatusCode::BAD_REQUEST,
        message,
    };
    let id = |v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| bad(format!("not an item id: {v:?}")))
    };
    let mut form = BulkForm {
        fields: ChangeFields::default(),
        scope: Scope::Ticked,
        items: Vec::new(),
        page: Vec::new(),
        view: String::new(),
        confirmed: None,
        preview: false,
        back: "/".to_owned(),
    };
    for (key, value) in pairs {
        match key.as_str() {
            "action" => form.fields.action = value,
            "owner" => form.fields.owner = value,
            "tag" => form.fields.tag = value,
            "priority" => form.fields.priority = value,
            "team" => form.fields.team = value,
            "reason" => form.fields.reason = value,
            "item" => form.items.push(id(&value)?),
            "page" => form.page.push(id(&value)?),
            "view" => form.view = value,
            "back" => form.back = local_path(Some(&value)),
            "preview" => form.preview = value == "1",
            "confirmed" => form.confirmed = value.trim().parse().ok(),
            "scope" => {
                form.scope = match value.as_str() {
                    "" | "ticked" => Scope::Ticked,
                    "page" => Scope::Page,
                    "view" => Scope::View,
                    other => return Err(bad(format!("unknown scope {other:?}"))),
                }
            }
            _ => {}
        }
    }
    Ok(form)
}

/// Refuses with words for the notice.
fn refused(message: String) -> WebError {
    WebError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message,
    }
}

/// The items of a ticked or page scope, or how many a view holds (its ids
/// are read only when the action is made).
async fn count(desk: &Desk, me: &Me, form: &BulkForm) -> Result<usize, WebError> {
    let n = match form.scope {
        Scope::Ticked if form.items.is_empty() => {
            return Err(refused(
                "Nothing is ticked: tick the items to change, or act on this page or on everything in the view.".into(),
            ));
        }
        Scope::Ticked => form.items.len(),
        Scope::Page => form.page.len(),
        Scope::View => {
            let filter = view_filter(desk, &form.view, me).await?;
            usize::try_from(desk.store.count_matching(&filter).await?).unwrap_or(usize::MAX)
        }
    };
    let cap = desk.config.desk.bulk_max_items as usize;
    if n > cap {
        return Err(refused(format!(
            "This view holds {}; one bulk action changes at most {}. Narrow the view (a status, a place, a tag, an owner or a search) and try again.",
            items(n),
            thousands(cap as u64)
        )));
    }
    if n == 0 {
        return Err(refused("No items match this view.".into()));
    }
    Ok(n)
}

/// The ids the action changes.
async fn targets(desk: &Desk, me: &Me, form: &BulkForm) -> Result<Vec<i64>, WebError> {
    Ok(match form.scope {
        Scope::Ticked => form.items.clone(),
        Scope::Page => form.page.clone(),
        Scope::View => {
            let cap = desk.config.desk.bulk_max_items;
            let ids = desk
                .store
                .matching_ids(&view_filter(desk, &form.view, me).await?, cap)
                .await?;
            if ids.len() > cap as usize {
                return Err(refused(format!(
                    "This view now holds more than {}; one bulk action changes at most that many. Narrow the view and try again.",
                    items(cap as usize)
                )));
            }
            ids
        }
    })
}

/// The items a bulk action reaches, in words: "the 3 items you ticked".
fn reach(scope: Scope, n: usize) -> String {
    match scope {
        Scope::Ticked => format!("the {} you ticked", items(n)),
        Scope::Page => format!("the {} on this page", items(n)),
        Scope::View => format!(
            "everything this view matches, on all its pages: {}",
            items(n)
        ),
    }
}

/// The page that asks before a large bulk action (without the script).
#[derive(Template)]
#[template(path = "bulk_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    question: String,
    button: String,
    /// The items it reaches, in words.
    reach: String,
    /// Whether the notice after it offers Undo (a referral's email cannot
    /// be taken back).
    undoable: bool,
    /// When the view grew since the officer asked.
    grown: Option<String>,
    scope: &'static str,
    fields: Vec<(&'static str, String)>,
    ids: Vec<i64>,
    view: String,
    count: usize,
    back: String,
}

async fn ask(
    desk: &Desk,
    me: &Me,
    form: &BulkForm,
    asked: &Asked,
    n: usize,
) -> Result<Response, WebError> {
    let page = ConfirmPage {
        chrome: Chrome::new(desk, me, "inbox").await?,
        question: asked.question(n),
        button: asked.button(n),
        reach: reach(form.scope, n),
        grown: form
            .confirmed
            .filter(|c| *c < n)
            .map(|c| format!("The view holds {} now ({c} when you asked).", items(n))),
        scope: form.scope.as_str(),
        fields: vec![
            ("action", form.fields.action.clone()),
            ("owner", form.fields.owner.clone()),
            ("tag", form.fields.tag.clone()),
            ("priority", form.fields.priority.clone()),
            ("team", form.fields.team.clone()),
            ("reason", form.fields.reason.clone()),
        ],
        undoable: asked.referral.is_none(),
        ids: match form.scope {
            Scope::Ticked => form.items.clone(),
            Scope::Page => form.page.clone(),
            Scope::View => Vec::new(),
        },
        view: form.view.clone(),
        count: n,
        back: form.back.clone(),
    };
    html(&page)
}

/// `POST /items/bulk`: the bulk bar's action.
pub(crate) async fn bulk(
    State(desk): State<Desk>,
    me: Me,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let form = read_form(pairs)?;
    answer(&desk, &me, &headers, form).await
}

/// `POST /items/dismiss`: dismisses the ticked items (the bulk bar before it
/// had a choice of actions, kept for pages and scripts that post to it).
pub(crate) async fn dismiss(
    State(desk): State<Desk>,
    me: Me,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let mut form = read_form(pairs)?;
    form.fields.action = "dismiss".into();
    answer(&desk, &me, &headers, form).await
}

async fn answer(
    desk: &Desk,
    me: &Me,
    headers: &HeaderMap,
    form: BulkForm,
) -> Result<Response, WebError> {
    let json = wants_json(headers) || form.preview;
    match act(desk, me, &form, json).await {
        Err(WebError::Refused { status, message }) if status != StatusCode::FORBIDDEN => {
            if json {
                let body = Json(serde_json::json!({ "message": message }));
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response());
            }
            Ok(back(&form.back, &message))
        }
        other => other,
    }
}

async fn act(desk: &Desk, me: &Me, form: &BulkForm, json: bool) -> Result<Response, WebError> {
    let asked = changes::asked(desk, &form.fields).await?;
    if form.preview {
        let n = count(desk, me, form).await?;
        return Ok(Json(serde_json::json!({
            "count": n,
            "question": asked.question(n),
            "button": asked.button(n),
            "reach": reach(form.scope, n),
            "confirm": n > CONFIRM_ABOVE,
            "undoable": asked.referral.is_none(),
        }))
        .into_response());
    }
    count(desk, me, form).await?;
    let ids = targets(desk, me, form).await?;
    let n = ids.len();
    if n > CONFIRM_ABOVE && form.confirmed.is_none_or(|c| c < n) {
        if json {
            return Ok(Json(serde_json::json!({
                "confirm": { "count": n, "question": asked.question(n), "button": asked.button(n) },
            }))
            .into_response());
        }
        return ask(desk, me, form, &asked, n).await;
    }
    let detail = (n > 1).then(|| format!("bulk action on {}", items(n)));
    if let Some((team, reason)) = &asked.referral {
        return refer(desk, me, form, &asked, &ids, (team, reason), json).await;
    }
    let applied = desk
        .store
        .apply_change(&ids, &asked.change, me.name(), detail.as_deref())
        .await?;
    tracing::info!(
        officer.name = me.name(),
        bulk.action = asked.change.audit_action(),
        bulk.scope = form.scope.as_str(),
        bulk.changed = applied.changed.len(),
        bulk.skipped = applied.skipped.len(),
        "bulk action"
    );
    let message = asked.report(&applied);
    let entries = applied.entries();
    if json {
        let skipped: Vec<i64> = applied.skipped.iter().map(|(id, _)| *id).collect();
        return Ok(Json(serde_json::json!({
            "message": message,
            "changed": applied.changed.len(),
            "skipped": skipped,
            "undo": ChangeList::new(&entries).to_string(),
        }))
        .into_response());
    }
    Ok(back_with_undo(&form.back, &message, &entries))
}

/// Refers each of `ids` to `team`, each with its own email: a referral is
/// not undone (the team has been told), so no Undo is offered.
async fn refer(
    desk: &Desk,
    me: &Me,
    form: &BulkForm,
    asked: &changes::Asked,
    ids: &[i64],
    (team, reason): (&str, &str),
    json: bool,
) -> Result<Response, WebError> {
    let domain = desk.config.message_domain();
    let new = NewReferral {
        item_id: 0,
        team,
        reason,
        officer: me.name(),
        message_domain: &domain,
    };
    let (applied, referrals) = desk.store.refer_many(ids, &new).await?;
    tracing::info!(
        officer.name = me.name(),
        bulk.action = "item.referred",
        bulk.scope = form.scope.as_str(),
        bulk.changed = applied.changed.len(),
        bulk.skipped = applied.skipped.len(),
        "bulk referral"
    );
    let mut message = asked.report(&applied);
    if let (Some(first), Some(last)) = (referrals.first(), referrals.last()) {
        let references = match referrals.len() {
            1 => first.reference.to_string(),
            _ => format!("{} to {}", first.reference, last.reference),
        };
        message.push_str(&format!(" References {references}."));
    }
    if json {
        let skipped: Vec<i64> = applied.skipped.iter().map(|(id, _)| *id).collect();
        return Ok(Json(serde_json::json!({
            "message": message,
            "changed": applied.changed.len(),
            "skipped": skipped,
            "undo": "",
        }))
        .into_response());
    }
    Ok(back(&form.back, &message))
}
