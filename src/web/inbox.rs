//! The inbox: items newest first with their thread context, filters, full-text
//! search, counts per status, keyset pages and bulk dismiss. `/inbox/rows`
//! serves the first page's rows alone, for the script to merge new arrivals
//! in without moving the officer's selection.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::render::{Chrome, age, back, html, local_path, truncate, wants_json};
use crate::domain::officer::Permission;
use crate::domain::triage::{Action, Priority, ReplyPath, Status};
use crate::store::{ItemFilter, ItemPage, ItemRow, MAX_SEARCH_CHARS, StoreError};

/// Inbox pages show this many items.
const PAGE: u32 = 50;
/// Characters of a post shown in the list (the item page shows all of it).
const LIST_TEXT_CHARS: usize = 400;

/// The inbox's query string. Empty values mean "any".
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InboxQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    conversation: String,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    done: Option<String>,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl InboxQuery {
    fn filter(&self, me: &Me) -> Result<ItemFilter, WebError> {
        let bad = |what: &str, value: &str| WebError::Refused {
            status: axum::http::StatusCode::BAD_REQUEST,
            message: format!("unknown {what} {value:?}"),
        };
        Ok(ItemFilter {
            status: match some(&self.status) {
                None => None,
                Some(s) => Some(Status::parse(&s).ok_or_else(|| bad("status", &s))?),
            },
            place: some(&self.place),
            tag: some(&self.tag),
            priority: match some(&self.priority) {
                None => None,
                Some(p) => Some(Priority::parse(&p).ok_or_else(|| bad("priority", &p))?),
            },
            reply_path: match some(&self.path).as_deref() {
                None => None,
                Some("api") => Some(ReplyPath::Api),
                Some("manual") => Some(ReplyPath::Manual),
                Some(p) => return Err(bad("reply path", p)),
            },
            owner: some(&self.owner).map(|o| {
                if o == "me" {
                    me.officer.username.clone()
                } else {
                    o
                }
            }),
            text: some(&self.q),
            conversation_id: match some(&self.conversation) {
                None => None,
                Some(c) => Some(c.parse().map_err(|_| bad("conversation", &c))?),
            },
            before: self.before,
            limit: PAGE,
        })
    }

    /// The query string of this filter, without the page or flash, so links
    /// (status tabs, the next page) keep the other filters.
    fn keep(&self, status: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let status = status.unwrap_or(&self.status);
        for (k, v) in [
            ("status", status),
            ("place", &self.place),
            ("tag", &self.tag),
            ("priority", &self.priority),
            ("path", &self.path),
            ("owner", &self.owner),
            ("q", &self.q),
            ("conversation", &self.conversation),
        ] {
            if !v.trim().is_empty() {
                out.append_pair(k, v.trim());
            }
        }
        out.finish()
    }
}

/// One item as a row of the inbox.
pub(crate) struct Row {
    pub id: i64,
    pub author_name: String,
    pub author_handle: String,
    pub age: String,
    pub created_at: String,
    pub text: String,
    pub places: Vec<String>,
    pub tags: Vec<String>,
    pub flags: Vec<&'static str>,
    pub language: Option<String>,
    pub priority: &'static str,
    pub status: &'static str,
    pub status_label: String,
    pub owner: Option<String>,
    pub api_path: bool,
    /// "Replying to @x: …" when the post answers a stored post.
    pub context: Option<String>,
    /// The conversation, when the post is part of one.
    pub conversation: Option<u64>,
    pub can_claim: bool,
    pub can_dismiss: bool,
}

impl Row {
    fn new(item: &ItemRow, parents: &HashMap<u64, String>, me: &Me) -> Row {
        let (author_name, author_handle) = item.author.as_ref().map_or_else(
            || ("unknown author".to_owned(), String::new()),
            |a| (a.name.clone(), a.username.clone()),
        );
        let mut flags = Vec::new();
        if item.flags.summoned {
            flags.push("mentions the council");
        }
        if item.flags.abusive {
            flags.push("abusive language");
        }
        if item.flags.false_friend {
            flags.push("maybe another place");
        }
        let allowed = item.status.allowed_actions();
        let triage = me.can(Permission::Triage);
        Row {
            id: item.id,
            author_name,
            author_handle,
            age: item.post.created_at.as_deref().map(age).unwrap_or_default(),
            created_at: item.post.created_at.clone().unwrap_or_default(),
            text: truncate(&item.post.text, LIST_TEXT_CHARS),
            places: item.places.clone(),
            tags: item.tags.clone(),
            flags,
            language: item.flags.language.clone().filter(|l| l != "en"),
            priority: item.priority.as_str(),
            status: item.status.as_str(),
            status_label: item.status.to_string(),
            owner: item.owner.clone(),
            api_path: item.reply_path == ReplyPath::Api,
            context: item
                .post
                .replied_to
                .and_then(|parent| parents.get(&parent).cloned()),
            conversation: item
                .post
                .conversation_id
                .filter(|c| *c != item.post.id || item.post.replied_to.is_some()),
            can_claim: triage && allowed.contains(&Action::Claim),
            can_dismiss: triage && allowed.contains(&Action::Dismiss),
        }
    }
}

/// The rows of a page, with the posts they reply to as context.
async fn rows_of(desk: &Desk, items: &[ItemRow], me: &Me) -> Result<Vec<Row>, WebError> {
    let parent_ids: Vec<u64> = items.iter().filter_map(|i| i.post.replied_to).collect();
    let parents: HashMap<u64, String> = desk
        .store
        .posts_by_ids(&parent_ids)
        .await?
        .into_iter()
        .map(|p| {
            let who = p
                .author
                .map_or_else(|| "a post".to_owned(), |a| format!("@{}", a.username));
            (p.post.id, format!("{who}: {}", truncate(&p.post.text, 140)))
        })
        .collect();
    Ok(items.iter().map(|i| Row::new(i, &parents, me)).collect())
}

/// A status tab.
pub(crate) struct Tab {
    pub label: String,
    pub href: String,
    pub count: u64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    rows: Vec<Row>,
    tabs: Vec<Tab>,
    /// Why the search was not run, shown beside the search field.
    search_error: Option<String>,
    max_search_chars: usize,
    q: InboxQuery,
    places: Vec<String>,
    tags: Vec<String>,
    next: Option<String>,
    /// This page's address, for forms to come back to.
    here: String,
    first_page: bool,
    can_triage: bool,
    heading: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "rows.html")]
struct RowsFragment {
    rows: Vec<Row>,
    can_triage: bool,
    csrf: String,
    here: String,
}

/// `GET /`: the inbox.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    let mut q = q;
    let filter = q.filter(&me)?;
    // A search the store refuses (too long, too many words, too slow) shows
    // the inbox empty with the reason beside the search field.
    let (list, search_error) = match desk.store.list_items(&filter).await {
        Ok(list) => (list, None),
        Err(StoreError::Search(e)) => {
            q.q = truncate(&q.q, MAX_SEARCH_CHARS);
            let empty = ItemPage {
                items: Vec::new(),
                next_before: None,
                counts: Status::ALL.iter().map(|s| (*s, 0)).collect(),
            };
            (empty, Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let rows = rows_of(&desk, &list.items, &me).await?;
    let keep_all = q.keep(Some(""));
    let total: u64 = list.counts.iter().map(|(_, n)| n).sum();
    let mut tabs = vec![Tab {
        label: "All".into(),
        href: format!("/?{keep_all}"),
        count: total,
        current: filter.status.is_none(),
    }];
    for (status, n) in &list.counts {
        tabs.push(Tab {
            label: capitalise(&status.to_string()),
            href: format!("/?{}", q.keep(Some(status.as_str()))),
            count: *n,
            current: filter.status == Some(*status),
        });
    }
    let keep = q.keep(None);
    let next = list.next_before.map(|b| {
        format!(
            "/?{keep}{}before={b}",
            if keep.is_empty() { "" } else { "&" }
        )
    });
    let mut tags: Vec<String> = desk
        .config
        .rules
        .iter()
        .flat_map(|r| r.then.tag.iter().chain(r.then.tags.iter()).cloned())
        .collect();
    tags.sort();
    tags.dedup();
    let heading = match filter.status {
        Some(s) => format!("Inbox: {s}"),
        None => "Inbox".to_owned(),
    };
    let mut here = keep.clone();
    if let Some(b) = q.before {
        if !here.is_empty() {
            here.push('&');
        }
        here.push_str(&format!("before={b}"));
    }
    let here = if here.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{here}")
    };
    let chrome = Chrome::new(&desk, &me, "inbox")
        .await?
        .with_flash(q.done.clone());
    let status = if search_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = html(&InboxPage {
        chrome,
        rows,
        tabs,
        search_error,
        max_search_chars: MAX_SEARCH_CHARS,
        places: desk
            .config
            .monitor
            .places
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        tags,
        next,
        here,
        first_page: q.before.is_none(),
        can_triage: me.can(Permission::Triage),
        heading,
        csrf: me.csrf.clone(),
        q,
    })?;
    Ok((status, page).into_response())
}

/// `GET /inbox/rows`: the first page's rows alone (same filters), for the
/// script to merge in items that arrived.
pub(crate) async fn rows(
    State(desk): State<Desk>,
    me: Me,
    Query(mut q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    q.before = None;
    let list = desk.store.list_items(&q.filter(&me)?).await?;
    let rows = rows_of(&desk, &list.items, &me).await?;
    let here = match q.keep(None) {
        keep if keep.is_empty() => "/".to_owned(),
        keep => format!("/?{keep}"),
    };
    html(&RowsFragment {
        rows,
        can_triage: me.can(Permission::Triage),
        csrf: me.csrf.clone(),
        here,
    })
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `POST /items/dismiss`: dismisses the ticked items; each is its own audited
/// change, and one that cannot be dismissed (already closed) is reported.
pub(crate) async fn bulk_dismiss(
    State(desk): State<Desk>,
    me: Me,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let mut ids = Vec::new();
    let mut to = None;
    for (key, value) in &form {
        match key.as_str() {
            "item" => ids.push(value.parse::<i64>().map_err(|_| WebError::Refused {
                status: axum::http::StatusCode::BAD_REQUEST,
                message: format!("not an item id: {value:?}"),
            })?),
            "back" => to = Some(value.clone()),
            _ => {}
        }
    }
    let mut dismissed = 0;
    let mut skipped = Vec::new();
    for id in &ids {
        match desk.store.transition(*id, Action::Dismiss, me.name()).await {
            Ok(_) => dismissed += 1,
            Err(crate::store::StoreError::Transition(_)) => skipped.push(*id),
            Err(e) => return Err(e.into()),
        }
    }
    let message = match (dismissed, skipped.is_empty()) {
        (0, true) => "Nothing was selected.".to_owned(),
        (n, true) => format!("Dismissed {n} item(s)."),
        (n, false) => format!(
            "Dismissed {n} item(s); {} could not be dismissed from their status: {:?}.",
            skipped.len(),
            skipped
        ),
    };
    if wants_json(&headers) {
        return Ok(axum::Json(serde_json::json!({
            "dismissed": dismissed, "skipped": skipped, "message": message
        }))
        .into_response());
    }
    Ok(back(&local_path(to.as_deref()), &message))
}
