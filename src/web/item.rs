//! One item: its thread, author, why it matched, flags, owner, notes, replies
//! and history, the workflow buttons its status and the officer's role allow
//! (and their actions), and the reply composer (see `compose`): template
//! picker, the rendered text, the weighted length and cost checked by the
//! server's own rules, then Send on the API path or Open in X and Mark
//! replied on the manual path.

use askama::Template as _;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::Desk;
use super::changes;
use super::compose::{Check, find_template, render_template};
use super::error::WebError;
use super::guard::Me;
use super::ownership;
use super::referrals::{REASON_MAX_CHARS, ReferralView, TeamChoice};
use super::render::{Chrome, Marked, age, back, back_with_undo, local_path, wants_json, x_link};
use super::undo::ChangeList;
use crate::domain::officer::Permission;
use crate::domain::outbox::ReplyState;
use crate::domain::triage::{Action, ReplyPath, Status};
use crate::store::{AuditEntry, ItemRow, Note, Reply, ReplyFilter, StoreError};

/// A post of the item's conversation.
pub(crate) struct ThreadPost {
    pub author: String,
    pub handle: String,
    pub age: String,
    pub created_at: String,
    /// The text, with the words of the list's search marked.
    pub text: Marked,
    pub link: String,
    /// This item's own post.
    pub is_this: bool,
    /// Another item, when the post has one.
    pub item_id: Option<i64>,
}

/// A workflow button.
pub(crate) struct Button {
    pub action: &'static str,
    pub label: &'static str,
}

/// A template in the picker.
pub(crate) struct TemplateOption {
    pub name: String,
    pub suited: bool,
    pub selected: bool,
    pub needs_approval: bool,
}

/// A reply of this item as shown.
pub(crate) struct ReplyView {
    pub id: i64,
    pub text: String,
    pub state: String,
    pub officer: String,
    pub age: String,
    pub link: Option<String>,
    pub error: Option<String>,
    pub intent_url: Option<String>,
    pub can_retry: bool,
    pub manual_pending: bool,
}

/// A history line.
pub(crate) struct HistoryLine {
    pub at: String,
    pub age: String,
    pub actor: String,
    pub what: String,
}

#[derive(askama::Template)]
#[template(path = "item.html")]
struct ItemPage {
    chrome: Chrome,
    id: i64,
    body: String,
}

/// An item's conversation, facts, composer, replies, notes and history: the
/// item page's content, and the pane beside the inbox's list.
#[derive(askama::Template)]
#[template(path = "item_body.html")]
struct ItemBody {
    csrf: String,
    role: String,
    /// The item's heading level (1 on its page, 2 beside the list); its
    /// sections' headings are one below.
    h: u8,
    h2: u8,
    /// The list to go back to.
    list: String,
    item: ItemRow,
    author: String,
    handle: String,
    post_link: String,
    thread: Vec<ThreadPost>,
    buttons: Vec<Button>,
    /// "claimed by sam 5 min ago", "assigned to streets-team by rule bins", "nobody".
    owner_label: String,
    /// Another officer's claim (who, how long ago): replying asks first.
    claim: Option<(String, Option<String>)>,
    notes: Vec<(Note, String)>,
    replies: Vec<ReplyView>,
    history: Vec<HistoryLine>,
    templates: Vec<TemplateOption>,
    check: Check,
    composer_error: Option<String>,
    can_reply: bool,
    can_triage: bool,
    can_override: bool,
    /// A reply in flight or done holds the post: no second one without an override.
    live_reply: Option<String>,
    outbox_missing: bool,
    manual: bool,
    welsh: bool,
    here: String,
    summoned_reason: &'static str,
    /// The item's priority, tag and assignment forms: the officers and
    /// teams it can be assigned to and the tags the config knows.
    officers: Vec<crate::store::Officer>,
    teams: Vec<crate::store::Team>,
    known_tags: Vec<String>,
    /// The Refer form, when the item's status allows it: the teams.
    can_refer: bool,
    refer_teams: Vec<TeamChoice>,
    reason_max: usize,
    mail_missing: bool,
    referrals: Vec<ReferralView>,
    /// The holding reply the Refer form offers to write next.
    holding_template: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ItemQuery {
    /// Fill the composer from this template.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub welsh: Option<String>,
    /// The flash message after an action.
    #[serde(default)]
    pub done: Option<String>,
    /// `1`: the content alone, for the pane beside the inbox's list.
    #[serde(default)]
    pub pane: Option<String>,
    /// With `pane`, the inbox address the pane sits in (forms return there).
    #[serde(default)]
    pub list: Option<String>,
    /// The changes the flash offers to undo (audit entry ids).
    #[serde(default)]
    pub undo: Option<String>,
}

/// Where an item's content is shown.
pub(crate) struct Placement {
    /// The inbox list to go back to.
    pub list: String,
    /// Where the item's forms come back to.
    pub here: String,
    /// Beside the list (headings one level down) or on its own page.
    pub beside_list: bool,
}

/// `GET /items/{id}`: the item's page, or with `pane=1` its content alone
/// for the inbox's split view.
pub(crate) async fn page_of(
    desk: &Desk,
    me: &Me,
    id: i64,
    q: ItemQuery,
    composer: Option<(String, String)>,
) -> Result<Response, WebError> {
    let status = if composer.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if q.pane.as_deref() == Some("1") {
        let list = local_path(q.list.as_deref());
        let placement = Placement {
            here: list.clone(),
            list,
            beside_list: true,
        };
        let body = body_of(desk, me, id, &q, composer, &placement).await?;
        return Ok((status, axum::response::Html(body)).into_response());
    }
    let placement = Placement {
        list: "/".to_owned(),
        here: format!("/items/{id}"),
        beside_list: false,
    };
    let body = body_of(desk, me, id, &q, composer, &placement).await?;
    let chrome = Chrome::new(desk, me, "inbox")
        .await?
        .with_flash(q.done.clone())
        .with_undo(q.undo.as_deref(), &format!("/items/{id}"));
    let page = ItemPage { chrome, id, body }.render()?;
    Ok((status, axum::response::Html(page)).into_response())
}

/// The search of the list the item was opened from (its `q`), whose words
/// the item marks too.
fn list_search(q: &ItemQuery) -> String {
    let Some((_, query)) = q.list.as_deref().and_then(|l| l.split_once('?')) else {
        return String::new();
    };
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The item's content, placed on its page or beside the list.
pub(crate) async fn body_of(
    desk: &Desk,
    me: &Me,
    id: i64,
    q: &ItemQuery,
    composer: Option<(String, String)>,
    placement: &Placement,
) -> Result<String, WebError> {
    let item = desk.store.item(id).await?;
    let welsh = match q.welsh.as_deref() {
        Some(w) => w == "1" || w == "on",
        None => item.post.lang.as_deref() == Some("cy"),
    };
    let selected = q.template.clone().filter(|t| !t.is_empty());
    let (text, composer_error) = match (composer, &selected) {
        (Some((text, error)), _) => (text, Some(error)),
        (None, Some(name)) => {
            let t = find_template(desk, name)?;
            render_template(desk, &item, t, me, welsh).await?
        }
        (None, None) => (String::new(), None),
    };
    let check = Check::new(desk, &item, text);
    let thread = desk
        .store
        .thread(item.post.conversation_id.unwrap_or(item.post.id))
        .await?;
    // The council's own posts (its replies, read back from its timeline)
    // come without an author record: they are the council's.
    let council_id = desk.council.account().map(|a| a.id);
    let texts: Vec<&str> = thread.iter().map(|p| p.post.text.as_str()).collect();
    let hits = desk.store.highlights(&list_search(q), &texts).await?;
    let mut thread: Vec<ThreadPost> = thread
        .into_iter()
        .zip(hits)
        .map(|(p, hits)| {
            let (author, handle) = match (&p.author, p.post.author_id) {
                (Some(a), _) => (a.name.clone(), a.username.clone()),
                (None, Some(id)) if Some(id) == council_id => (
                    desk.config.council.name.clone(),
                    desk.council.handle().to_owned(),
                ),
                (None, _) => ("unknown author".to_owned(), String::new()),
            };
            (p, hits, author, handle)
        })
        .map(|(p, hits, author, handle)| ThreadPost {
            author,
            handle,
            age: p.post.created_at.as_deref().map(age).unwrap_or_default(),
            created_at: p.post.created_at.clone().unwrap_or_default(),
            link: x_link(p.post.id),
            is_this: p.post.id == item.post.id,
            item_id: p.item_id.filter(|i| *i != item.id),
            text: Marked::new(&p.post.text, &hits, usize::MAX),
        })
        .collect();
    let can_triage = me.can(Permission::Triage);
    let buttons = if can_triage {
        item.status
            .allowed_actions()
            .into_iter()
            .filter(|a| *a != Action::MarkReplied && *a != Action::Refer)
            .map(|a| Button {
                action: action_path(a),
                label: action_label(a),
            })
            .collect()
    } else {
        Vec::new()
    };
    let entries = desk.store.audit(Some(id), 100).await?;
    let owner_label = ownership::label(&item, &desk.config.rules, &entries);
    let claim = ownership::claim_by_other(&item, me.name(), &entries);
    let notes = desk
        .store
        .notes(id)
        .await?
        .into_iter()
        .map(|n| {
            let a = age(&n.created_at);
            (n, a)
        })
        .collect();
    let replies: Vec<Reply> = desk
        .store
        .list_replies(&ReplyFilter {
            item_id: Some(id),
            state: None,
            limit: 20,
        })
        .await?;
    let live_reply = replies
        .iter()
        .find(|r| r.state.holds_target())
        .map(|r| r.state.to_string());
    // The council's replies that reached X, in the conversation under the
    // post they answer (unless the thread already holds them as posts).
    for r in replies.iter().rev() {
        let Some(x_id) = r.x_post_id else { continue };
        if thread.iter().any(|p| p.link == x_link(x_id)) {
            continue;
        }
        let at = thread
            .iter()
            .position(|p| p.link == x_link(r.target_post_id))
            .map_or(thread.len(), |i| i + 1);
        let post = ThreadPost {
            author: desk.config.council.name.clone(),
            handle: desk.council.handle().to_owned(),
            age: age(&r.updated_at),
            created_at: r.updated_at.clone(),
            text: Marked::new(&r.text, &[], usize::MAX),
            link: x_link(x_id),
            is_this: false,
            item_id: None,
        };
        thread.insert(at, post);
    }
    let replies = replies
        .into_iter()
        .map(|r| ReplyView {
            id: r.id,
            // A manual reply the officer marked as posted waits only for its link.
            state: match (r.state, item.status) {
                (ReplyState::ManualPending, Status::Replied) => "replied in X".to_owned(),
                (state, _) => state.to_string(),
            },
            officer: r.officer,
            age: age(&r.updated_at),
            link: r.x_post_id.map(x_link),
            error: r.error,
            can_retry: r.state == ReplyState::Failed
                && r.path == ReplyPath::Api
                && me.can(Permission::Reply),
            manual_pending: r.state == ReplyState::ManualPending,
            intent_url: r.intent_url,
            text: r.text,
        })
        .collect();
    let team_names: std::collections::HashMap<i64, String> = desk
        .store
        .teams()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let history = entries
        .iter()
        .map(|e| history_line(e, &team_names))
        .collect();
    let can_refer = can_triage && item.status.apply(Action::Refer).is_ok();
    let refer_teams = if can_refer {
        TeamChoice::of(&desk.store.teams().await?)
    } else {
        Vec::new()
    };
    let referrals: Vec<ReferralView> = desk
        .store
        .referrals_of(id)
        .await?
        .into_iter()
        .map(|r| ReferralView::of(r, can_triage))
        .collect();
    // Templates for the item's tags; once it is referred, the holding
    // replies that quote the referral too.
    let referred = !referrals.is_empty();
    let suited: Vec<String> = desk
        .config
        .templates
        .suited_to(&item.tags)
        .iter()
        .map(|t| t.name().to_owned())
        .chain(
            desk.config
                .templates
                .list
                .iter()
                .filter(|t| referred && t.placeholders().contains(&"reference"))
                .map(|t| t.name().to_owned()),
        )
        .collect();
    let mut templates: Vec<TemplateOption> = desk
        .config
        .templates
        .list
        .iter()
        .map(|t| TemplateOption {
            name: t.name().to_owned(),
            suited: suited.iter().any(|s| s == t.name()),
            selected: selected.as_deref() == Some(t.name()),
            needs_approval: t.requires_approval(),
        })
        .collect();
    templates.sort_by_key(|t| !t.suited);
    let (author, handle) = item.author.as_ref().map_or_else(
        || ("unknown author".to_owned(), String::new()),
        |a| (a.name.clone(), a.username.clone()),
    );
    let summoned_reason = if item.flags.summoned {
        "The author mentioned or quoted the council (or replied to it), so placewatch can reply through the API."
    } else {
        "The author did not mention the council: since February 2026 X lets only a person reply to this post, in X."
    };
    let h = if placement.beside_list { 2 } else { 1 };
    let (officers, teams) = if can_triage {
        (changes::assignable(desk).await?, desk.store.teams().await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let body = ItemBody {
        csrf: me.csrf.clone(),
        role: me.officer.role.to_string(),
        h,
        h2: h + 1,
        list: placement.list.clone(),
        post_link: x_link(item.post.id),
        manual: item.reply_path == ReplyPath::Manual,
        can_reply: me.can(Permission::Reply),
        can_override: me.can(Permission::Administer),
        outbox_missing: desk.outbox.is_none(),
        here: placement.here.clone(),
        author,
        handle,
        thread,
        buttons,
        owner_label,
        claim,
        notes,
        replies,
        history,
        templates,
        check,
        composer_error,
        can_triage,
        live_reply,
        welsh,
        summoned_reason,
        officers,
        teams,
        known_tags: changes::known_tags(desk),
        can_refer,
        refer_teams,
        reason_max: REASON_MAX_CHARS,
        mail_missing: desk.config.mail.is_none(),
        holding_template: super::referrals::holding_template(desk),
        referrals,
        item,
    }
    .render()?;
    Ok(body)
}

pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, WebError> {
    page_of(&desk, &me, id, q, None).await
}

fn action_path(a: Action) -> &'static str {
    match a {
        Action::Claim => "claim",
        Action::Release => "release",
        Action::MarkReplied => "mark-replied",
        Action::Refer => "refer",
        Action::Dismiss => "dismiss",
        Action::Reopen => "reopen",
    }
}

fn action_label(a: Action) -> &'static str {
    match a {
        Action::Claim => "Claim",
        Action::Release => "Release",
        Action::MarkReplied => "Mark replied",
        Action::Refer => "Refer to another team",
        Action::Dismiss => "Dismiss",
        Action::Reopen => "Reopen",
    }
}

/// One entry of the item's history in words; `teams` names the teams by id.
fn history_line(e: &AuditEntry, teams: &std::collections::HashMap<i64, String>) -> HistoryLine {
    let taken_from = ownership::owner_before(e).filter(|o| *o != e.actor);
    let after = |key: &str| e.after.as_ref().and_then(|a| a.get(key));
    let said = match e.action.as_str() {
        "item.claimed" if taken_from.is_some() => {
            format!("took it over from {}", taken_from.unwrap_or_default())
        }
        "item.assigned" => {
            let owner = after("owner").and_then(|o| o.as_str());
            let team = after("team").and_then(|t| t.as_i64());
            let team_before = e
                .before
                .as_ref()
                .and_then(|b| b.get("team"))
                .and_then(|t| t.as_i64());
            let team_name = |id: i64| {
                teams
                    .get(&id)
                    .map_or_else(|| format!("team {id}"), |n| format!("{n} (team)"))
            };
            match (owner, team) {
                // To a team (the owner stays if a member).
                (owner, Some(t)) if team_before != Some(t) => match owner {
                    Some(o) => format!("assigned it to {}, kept by {o}", team_name(t)),
                    None => format!("assigned it to {}", team_name(t)),
                },
                (Some(owner), _) => format!("assigned it to {owner}"),
                (None, _) => "unassigned it".to_owned(),
            }
        }
        "item.referred" => match (after("referred_to"), after("referral")) {
            (Some(team), Some(reference)) => format!(
                "referred it to {} as {}",
                team.as_str().unwrap_or_default(),
                reference.as_str().unwrap_or_default()
            ),
            _ => describe_action("item.referred").to_owned(),
        },
        "referral.sent" | "referral.failed" | "referral.requeued" => {
            let reference = after("referral")
                .and_then(|r| r.as_str())
                .unwrap_or("the referral");
            let team = after("referred_to")
                .and_then(|t| t.as_str())
                .unwrap_or("the team");
            match e.action.as_str() {
                "referral.sent" => format!("emailed {reference} to {team}"),
                "referral.failed" => format!("could not email {reference} to {team}"),
                _ => format!("queued {reference} to be emailed again"),
            }
        }
        "item.priority_set" => match after("priority").and_then(|p| p.as_str()) {
            Some(p) => format!("set the priority to {p}"),
            None => "set the priority".to_owned(),
        },
        "item.tag_added" => {
            let before = e.before.as_ref().and_then(|b| b.get("tags"));
            let added = after("tags")
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
                .filter(|t| {
                    before
                        .and_then(|b| b.as_array())
                        .is_none_or(|b| !b.contains(t))
                })
                .filter_map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            format!("added the tag {added}")
        }
        // The store notes "undid ACTION (change N)": the officer reads
        // which step was taken back.
        "item.undone" => {
            let undid = e.detail.as_deref().and_then(|d| {
                let (action, _) = d.strip_prefix("undid ")?.split_once(" (change ")?;
                Some(describe_action(action))
            });
            match undid {
                Some(step) => format!("undid “{step}”"),
                None => describe_action("item.undone").to_owned(),
            }
        }
        action => describe_action(action).to_owned(),
    };
    let what = match (&e.detail, e.action.as_str()) {
        (Some(detail), action) if action != "item.undone" => format!("{said} — {detail}"),
        _ => said,
    };
    HistoryLine {
        age: age(&e.at),
        at: e.at.clone(),
        actor: e.actor.clone(),
        what,
    }
}

fn describe_action(action: &str) -> &str {
    match action {
        "item.created" => "filed",
        "item.merged" => "matched again",
        "item.claimed" => "claimed",
        "item.released" => "released",
        "item.marked_replied" => "marked replied",
        "item.referred" => "referred",
        "item.dismissed" => "dismissed",
        "item.reopened" => "reopened",
        "item.assigned" => "assigned",
        "item.priority_set" => "set the priority",
        "item.tag_added" => "added a tag",
        "item.note_added" => "added a note",
        "reply.recorded" => "recorded a reply",
        "reply.sent" => "reply sent",
        "reply.failed" => "reply failed",
        "reply.approved" => "approved the reply",
        "reply.rejected" => "rejected the reply",
        "reply.cancelled" => "cancelled the reply",
        "reply.retried" => "retried the reply",
        "reply.moved_to_manual" => "reply moved to the manual path",
        "reply.sent_manually" => "manual reply found in X",
        "reply.resent" => "sent the reply again after reconciling",
        "reply.submitted" => "submitted the draft",
        "reply.over_claim" => "replied over another officer's claim",
        "item.undone" => "undid a change",
        "referral.sent" => "emailed the referral",
        "referral.failed" => "could not email the referral",
        "referral.requeued" => "queued the referral to be emailed again",
        other => other,
    }
}

/// A workflow button's form: where to go back to.
#[derive(Debug, Default, Deserialize)]
struct BackForm {
    #[serde(default)]
    back: Option<String>,
}

/// Where a workflow action should return to: the `back` field of a form
/// post. The script's requests carry no form (they want JSON back).
pub(crate) struct BackTo(Option<String>);

impl<S: Send + Sync> FromRequest<S> for BackTo {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Ok(BackTo(None));
        }
        let Form(form) = Form::<BackForm>::from_request(request, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => WebError::TooLarge,
                status => WebError::Refused {
                    status,
                    message: e.body_text(),
                },
            })?;
        Ok(BackTo(form.back))
    }
}

/// Applies a workflow action and answers as the caller wants (JSON for the
/// script, a redirect with a message for a form).
async fn act(
    desk: Desk,
    me: Me,
    id: i64,
    action: Action,
    headers: HeaderMap,
    BackTo(to): BackTo,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let to = to.filter(|b| !b.is_empty());
    let (item, change) = match desk.store.transition_audited(id, action, me.name()).await {
        Ok(done) => done,
        // A refused action says why in the page; a claim on someone
        // else's item says whose it is.
        Err(StoreError::Transition(e)) => {
            let item = desk.store.item(id).await?;
            let entries = desk.store.audit(Some(id), 100).await?;
            let claim = ownership::claim_by_other(&item, me.name(), &entries)
                .filter(|_| action == Action::Claim);
            let message = match claim {
                Some((who, Some(ago))) => format!(
                    "Item {id} is not yours to claim: {who} claimed it {ago}. Ask {who} to release it."
                ),
                Some((who, None)) => format!(
                    "Item {id} is not yours to claim: {who} has it. Ask {who} to release it."
                ),
                None => format!("Item {id}: {e}."),
            };
            if wants_json(&headers) {
                return Err(WebError::Refused {
                    status: StatusCode::CONFLICT,
                    message,
                });
            }
            let fallback = format!("/items/{id}");
            return Ok(back(
                &local_path(to.as_deref().or(Some(&fallback))),
                &message,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let message = match action {
        Action::Claim => {
            let entries = desk.store.audit(Some(id), 1).await?;
            match entries.first().and_then(ownership::owner_before) {
                Some(from) if from != me.name() => {
                    format!("Item {id}: you took it over from {from} (now in progress).")
                }
                _ => format!("Item {id}: claimed (now {}).", item.status),
            }
        }
        // "(now …)" only where the status is not what the action says.
        Action::Release | Action::Reopen => format!(
            "Item {id}: {} (now {}).",
            changes::participle(action),
            item.status
        ),
        _ => format!("Item {id}: {}.", changes::participle(action)),
    };
    if wants_json(&headers) {
        let by_hand = desk.store.assigned_by_hand(&[id]).await?.contains(&id);
        return Ok(Json(serde_json::json!({
            "id": id,
            "status": item.status.as_str(),
            "status_label": item.status.to_string(),
            "owner": item.owner,
            "team": item.team,
            "owner_label": ownership::with_team(
                ownership::row_label(&item, &desk.config.rules, by_hand),
                item.team.as_deref(),
            ),
            "message": message,
            "undo": ChangeList::new(&[change]).to_string(),
        }))
        .into_response());
    }
    Ok(back_with_undo(
        &local_path(to.as_deref().or(Some(&format!("/items/{id}")))),
        &message,
        &[change],
    ))
}

macro_rules! workflow_handlers {
    ($($name:ident => $action:expr),* $(,)?) => {$(
        pub(crate) async fn $name(
            State(desk): State<Desk>,
            me: Me,
            Path(id): Path<i64>,
            headers: HeaderMap,
            to: BackTo,
        ) -> Result<Response, WebError> {
            act(desk, me, id, $action, headers, to).await
        }
    )*};
}

workflow_handlers! {
    claim => Action::Claim,
    release => Action::Release,
    dismiss => Action::Dismiss,
    reopen => Action::Reopen,
    mark_replied => Action::MarkReplied,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoteForm {
    text: String,
    /// Where to come back to (the item's page when absent).
    #[serde(default)]
    back: Option<String>,
}

/// `POST /items/{id}/note`.
pub(crate) async fn note(
    State(desk): State<Desk>,
    me: Me,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let to = form.back.as_deref().filter(|b| !b.is_empty());
    let to = local_path(to.or(Some(&format!("/items/{id}"))));
    if form.text.trim().is_empty() {
        return Ok(back(&to, "A note needs some text."));
    }
    desk.store.add_note(id, me.name(), &form.text).await?;
    Ok(back(&to, "Note added."))
}
