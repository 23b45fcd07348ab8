//! The inbox: items newest first with their thread context, filters, full-text
//! search, counts per status, keyset pages and bulk dismiss. `/inbox/rows`
//! serves the first page's rows alone, for the script to merge new arrivals
//! in without moving the officer's selection.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use super::item::{ItemQuery, Placement, body_of};
use super::narrow::{Chip, Narrow};
use super::render::{Chrome, Marked, age, back, html, truncate};
use crate::domain::officer::Permission;
use crate::domain::report::{Elapsed, Measure};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::triage::{
    Action, Clock, Priority, ReplyPath, Status, WaitingTargets, short_duration, waited,
};
use crate::store::{ItemFilter, ItemPage, ItemRow, MAX_SEARCH_CHARS, Sort, StoreError};

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
    /// A team's name, or `mine`: the teams the officer is a member of.
    #[serde(default)]
    team: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    conversation: String,
    /// The first and last day posted (UK days, `2026-11-30`), and the
    /// post's language: the drill-down filters of a report's figures.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    lang: String,
    /// `newest`, `oldest_waiting` or `priority`; empty: the view's own order.
    #[serde(default)]
    sort: String,
    #[serde(default)]
    before: Option<i64>,
    /// The item open beside the list (the split view).
    #[serde(default)]
    item: Option<i64>,
    #[serde(default)]
    done: Option<String>,
    /// The changes the flash offers to undo (audit entry ids).
    #[serde(default)]
    undo: Option<String>,
}

/// What the inbox shows by status: the open items (new and in progress, the
/// landing view), one status, or everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Open,
    One(Status),
    All,
}

impl View {
    /// The order a view has unless the officer picks another: the open queue
    /// by priority, then by how long posts have waited; the rest newest first.
    fn default_sort(self) -> Sort {
        match self {
            View::Open => Sort::Priority,
            _ => Sort::Newest,
        }
    }
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn bad(what: &str, value: &str) -> WebError {
    WebError::Refused {
        status: axum::http::StatusCode::BAD_REQUEST,
        message: format!("unknown {what} {value:?}"),
    }
}

impl InboxQuery {
    /// The status view: open items unless the query names a status or
    /// `all`; a conversation shows all its items.
    fn view(&self) -> Result<View, WebError> {
        Ok(match some(&self.status).as_deref() {
            None if !self.conversation.trim().is_empty() => View::All,
            None | Some("open") => View::Open,
            Some("all") => View::All,
            Some(s) => View::One(Status::parse(s).ok_or_else(|| bad("status", s))?),
        })
    }

    fn sort(&self) -> Result<Sort, WebError> {
        match some(&self.sort) {
            None => Ok(self.view()?.default_sort()),
            Some(s) => Sort::parse(&s).ok_or_else(|| bad("sort", &s)),
        }
    }

    /// The teams of the `team` filter: one by name (ignoring case), or
    /// `mine`, the officer's (none when she is in no team).
    async fn teams(&self, desk: &Desk, me: &Me) -> Result<Option<Vec<i64>>, WebError> {
        let Some(team) = some(&self.team) else {
            return Ok(None);
        };
        if team == "mine" {
            let mine = desk.store.teams_of(me.name()).await?;
            return Ok(Some(mine.iter().map(|t| t.id).collect()));
        }
        match desk.store.team(&team).await? {
            Some(t) => Ok(Some(vec![t.id])),
            None => Err(bad("team", &team)),
        }
    }

    /// A chip for each filter set behind "More filters" (place, tag,
    /// priority, reply path, owner, team), so the list says what narrows it
    /// while the filters stay folded; `without` is the inbox's address
    /// without the named keys.
    fn facet_chips(&self, without: &impl Fn(&[&str]) -> String) -> Vec<Chip> {
        [
            ("place", "Place", &self.place),
            ("tag", "Tag", &self.tag),
            ("priority", "Priority", &self.priority),
            ("path", "Reply", &self.path),
            ("owner", "Owner", &self.owner),
            ("team", "Team", &self.team),
        ]
        .into_iter()
        .filter(|(_, _, value)| !value.trim().is_empty())
        .map(|(key, name, value)| {
            let value = match (key, value.trim()) {
                ("path", "api") => "through the API",
                ("path", "manual") => "by hand on x.com",
                ("owner", "me") => "you",
                ("team", "mine") => "your teams",
                (_, value) => value,
            };
            let label = format!("{name}: {value}");
            Chip {
                remove_label: format!("Remove the filter {label}"),
                label,
                remove: without(&[key]),
            }
        })
        .collect()
    }

    /// The drill-down filters (days and language), checked.
    pub(crate) fn narrow(&self) -> Result<Narrow, WebError> {
        Narrow::parse(&self.from, &self.to, &self.lang).map_err(|e| WebError::Refused {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
        })
    }

    pub(crate) async fn filter(&self, desk: &Desk, me: &Me) -> Result<ItemFilter, WebError> {
        let teams = self.teams(desk, me).await?;
        let view = self.view()?;
        let narrow = self.narrow()?;
        Ok(ItemFilter {
            status: match view {
                View::One(status) => Some(status),
                _ => None,
            },
            open: view == View::Open,
            sort: self.sort()?,
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
            teams,
            text: some(&self.q),
            conversation_id: match some(&self.conversation) {
                None => None,
                Some(c) => Some(c.parse().map_err(|_| bad("conversation", &c))?),
            },
            from: narrow.from,
            to: narrow.to,
            lang: narrow.lang,
            before: self.before,
            limit: PAGE,
        })
    }

    /// The query string of this filter, without the page, the open item or
    /// the flash, so links (status tabs, the next page) keep the other
    /// filters. A tab (`status` given) keeps no sort: each view has its own
    /// order.
    fn keep(&self, status: Option<&str>) -> String {
        self.keep_with(status, true)
    }

    /// As [`InboxQuery::keep`], with the search words or without them.
    fn keep_with(&self, status: Option<&str>, words: bool) -> String {
        self.keep_without(status, words, &[])
    }

    /// As [`InboxQuery::keep_with`], leaving out the keys `drop`.
    fn keep_without(&self, status: Option<&str>, words: bool, drop: &[&str]) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let tab = status.is_some();
        let status = status.unwrap_or(&self.status);
        let sort = if tab { "" } else { self.sort.as_str() };
        for (k, v) in [
            ("status", status),
            ("sort", sort),
            ("place", &self.place),
            ("tag", &self.tag),
            ("priority", &self.priority),
            ("path", &self.path),
            ("owner", &self.owner),
            ("team", &self.team),
            ("q", if words { &self.q } else { "" }),
            ("conversation", &self.conversation),
            ("from", &self.from),
            ("to", &self.to),
            ("lang", &self.lang),
        ] {
            if !v.trim().is_empty() && !drop.contains(&k) {
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
    /// The post's first characters, with the search's words marked.
    pub text: Marked,
    pub places: Vec<String>,
    pub tags: Vec<String>,
    pub flags: Vec<&'static str>,
    pub language: Option<String>,
    pub priority: &'static str,
    pub status: &'static str,
    pub status_label: String,
    /// Who holds it, and its team: "claimed by sam, Streets",
    /// "assigned to priya by rule bins", "Streets".
    pub owner: Option<String>,
    pub api_path: bool,
    /// "Replying to @x: …" when the post answers a stored post.
    pub context: Option<String>,
    /// The conversation, when the post is part of one.
    pub conversation: Option<u64>,
    pub can_claim: bool,
    pub can_dismiss: bool,
    /// How long an open item's post has waited, and where that stands
    /// against its priority's target.
    pub waiting: Option<Waiting>,
    /// The item open beside the list.
    pub current: bool,
}

/// An open item's waiting clock.
pub(crate) struct Waiting {
    /// "waited 3 h 5 min", or "office closed" for a post no office hour
    /// has passed on yet while the office is closed.
    pub label: String,
    pub clock: &'static str,
    /// The words beside the clock for those who cannot see its colour.
    pub state: &'static str,
    pub target: String,
    /// While the office is closed and waits count office hours: why the
    /// clock stands still ("; the clock stops until the office opens on
    /// Monday 7 December at 09:00"); empty otherwise.
    pub note: String,
}

impl Waiting {
    /// The clock of an open item, its wait counted as the config says
    /// (`office_hours.clock`: office hours by default).
    fn of(item: &ItemRow, cx: &RowContext<'_>) -> Option<Waiting> {
        if !item.status.is_open() {
            return None;
        }
        let posted = item.post.created_at.as_deref()?;
        let posted = OffsetDateTime::parse(posted, &Rfc3339).ok()?;
        let targets = cx.targets;
        let waited = waited(cx.elapsed, posted, cx.now);
        let clock = targets.clock(item.priority, waited);
        Some(Waiting {
            label: wait_label(waited, cx.paused.is_some()),
            clock: clock.as_str(),
            state: match clock {
                Clock::Within => "",
                Clock::Near => "near target",
                Clock::Over => "over target",
            },
            target: format!(
                "{} {}",
                short_duration(targets.target(item.priority)),
                cx.measure.words()
            ),
            note: cx.paused.clone().unwrap_or_default(),
        })
    }
}

/// An open item's clock as the row shows it: "waited 3 h 5 min", or, for a
/// post made since the office closed (`paused`: it is still closed, and no
/// office minute has passed on it), "office closed" instead of a wait of
/// "under 1 min" that would read as if it had just come in.
fn wait_label(waited: std::time::Duration, paused: bool) -> String {
    if paused && waited.as_secs() < 60 {
        "office closed".to_owned()
    } else {
        format!("waited {}", short_duration(waited))
    }
}

/// Why waits stand still at `now`, when they count office hours and the
/// office is closed: "; the clock stops until the office opens on Monday
/// 7 December at 09:00" (UK time).
fn paused_words(config: &crate::config::Config, now: OffsetDateTime) -> Option<String> {
    let hours = config.office_hours();
    if config.measure() != Measure::OfficeHours || hours.is_open(now) {
        return None;
    }
    let Some(opens) = hours.next_open(now) else {
        return Some("; the office is closed (no opening hours set)".to_owned());
    };
    let offset = crate::domain::hours::tz::offset_in(hours.time_zone(), opens);
    let local = opens.to_offset(offset);
    Some(format!(
        "; the clock stops until the office opens on {} {} {} at {:02}:{:02}",
        local.weekday(),
        local.day(),
        local.month(),
        local.hour(),
        local.minute()
    ))
}

/// What every row of a page is made with.
struct RowContext<'a> {
    /// The posts the rows reply to, as "@who: text".
    parents: HashMap<u64, String>,
    me: &'a Me,
    targets: &'a WaitingTargets,
    /// How waits count (office hours or the wall clock), and its name.
    elapsed: &'a (dyn Elapsed + Sync),
    measure: Measure,
    /// While the office is closed: why the clocks stand still.
    paused: Option<String>,
    now: OffsetDateTime,
    rules: &'a [crate::domain::triage::Rule],
}

impl Row {
    /// `hits`: the search's matches in the post's text; `by_hand`: a
    /// colleague gave the item its owner.
    fn new(
        item: &ItemRow,
        cx: &RowContext<'_>,
        hits: &[std::ops::Range<usize>],
        by_hand: bool,
    ) -> Row {
        let RowContext {
            parents, me, rules, ..
        } = cx;
        let (author_name, author_handle) = item.author.as_ref().map_or_else(
            || ("unknown author".to_owned(), String::new()),
            |a| (a.name.clone(), a.username.clone()),
        );
        let mut flags = Vec::new();
        if item.flags.summoned {
            flags.push("mentions council");
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
            text: Marked::snippet(&item.post.text, hits, LIST_TEXT_CHARS),
            places: item.places.clone(),
            tags: item.tags.clone(),
            flags,
            language: item.flags.language.clone().filter(|l| l != "en"),
            priority: item.priority.as_str(),
            status: item.status.as_str(),
            status_label: item.status.to_string(),
            owner: super::ownership::with_team(
                super::ownership::row_label(item, rules, by_hand),
                item.team.as_deref(),
            ),
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
            waiting: Waiting::of(item, cx),
            current: false,
        }
    }
}

/// The rows of a page, with the posts they reply to as context and the
/// words of `search` marked.
async fn rows_of(
    desk: &Desk,
    items: &[ItemRow],
    me: &Me,
    search: &str,
) -> Result<Vec<Row>, WebError> {
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
    let now = OffsetDateTime::now_utc();
    let cx = RowContext {
        parents,
        me,
        targets: &desk.config.desk.waiting_targets,
        elapsed: desk.config.elapsed(),
        measure: desk.config.measure(),
        paused: paused_words(&desk.config, now),
        now,
        rules: &desk.config.rules,
    };
    let texts: Vec<&str> = items.iter().map(|i| i.post.text.as_str()).collect();
    let hits = desk.store.highlights(search, &texts).await?;
    let owned: Vec<i64> = items
        .iter()
        .filter(|i| i.owner.is_some())
        .map(|i| i.id)
        .collect();
    let by_hand = desk.store.assigned_by_hand(&owned).await?;
    Ok(items
        .iter()
        .zip(&hits)
        .map(|(i, hits)| Row::new(i, &cx, hits, by_hand.contains(&i.id)))
        .collect())
}

/// A status tab.
pub(crate) struct Tab {
    pub label: String,
    pub href: String,
    /// `None` when the search was refused: the list is empty for a reason
    /// other than the filter, so no count would be true of it.
    pub count: Option<u64>,
    pub current: bool,
}

impl Tab {
    /// The count as the tab shows it ("1,234").
    pub fn count_text(&self) -> Option<String> {
        self.count.map(crate::domain::figures::thousands)
    }
}

/// A view in the list of views: built in ("Open", "Mine") or saved.
pub(crate) struct ViewLink {
    pub label: String,
    pub href: String,
    pub current: bool,
    /// A saved view's id, when it is the officer's own (she may delete it).
    pub own_id: Option<i64>,
    /// Saved by someone else and shared: whose.
    pub shared_by: Option<String>,
}

/// A sort in the picker.
pub(crate) struct SortOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    rows: Vec<Row>,
    tabs: Vec<Tab>,
    sorts: Vec<SortOption>,
    /// Why the search was not run, shown beside the search field.
    search_error: Option<String>,
    max_search_chars: usize,
    q: InboxQuery,
    places: Vec<String>,
    tags: Vec<String>,
    /// How many filters beyond status, search and sort are set.
    filters_set: usize,
    /// The drill-down filters (days, language) narrowing the list, each
    /// with a link that removes it.
    chips: Vec<Chip>,
    /// This list as CSV: every matching item, not just this page.
    csv_href: String,
    next: Option<String>,
    /// This page's address, for forms to come back to.
    here: String,
    /// This page's address without the open item.
    list: String,
    first_page: bool,
    can_triage: bool,
    heading: String,
    /// New items under this filter, for the browser tab's title.
    new_items: u64,
    csrf: String,
    /// The item open beside the list, rendered.
    pane: Option<String>,
    /// Built-in and saved views.
    views: Vec<ViewLink>,
    /// This page's filter and order, for "Save this view".
    view_query: String,
    /// The bulk bar: the items on this page, how many the view holds
    /// (none when the search was refused), the officers items can be
    /// assigned to, the tags the config knows, and above how many items an
    /// action asks first.
    page_ids: Vec<i64>,
    view_count: Option<u64>,
    officers: Vec<crate::store::Officer>,
    /// Every team: items can be assigned to any, and filtered by any.
    teams: Vec<crate::store::Team>,
    known_tags: Vec<String>,
    confirm_above: usize,
    /// Spikes going on, as banners.
    spikes: Vec<SpikeBanner>,
}

/// A spike going on: "Flooding: 34 posts about Thornton Heath in the last
/// hour, usually 3", linking to the inbox filtered to it.
pub(crate) struct SpikeBanner {
    pub(crate) text: String,
    pub(crate) href: String,
}

/// The banners of the spikes going on.
pub(crate) async fn spike_banners(desk: &Desk) -> Result<Vec<SpikeBanner>, WebError> {
    let spikes = desk.store.open_spikes().await?;
    Ok(spikes
        .into_iter()
        .map(|s| {
            let href = format!(
                "/?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair(s.facet.as_str(), &s.value)
                    .finish()
            );
            let notice = crate::domain::channel::SpikeNotice {
                is_tag: s.facet == crate::domain::spike::Facet::Tag,
                subject: s.value,
                headline: s.headline,
                count: s.count,
                usual: s.usual,
                link: href.clone(),
            };
            SpikeBanner {
                text: notice.sentence(),
                href,
            }
        })
        .collect())
}

impl InboxPage {
    /// A count as the page shows it ("1,234").
    fn shown(n: impl TryInto<u64>) -> String {
        crate::domain::figures::thousands(n.try_into().unwrap_or(u64::MAX))
    }

    /// The view's count as the bulk bar shows it.
    fn view_count_text(&self) -> String {
        self.view_count.map(Self::shown).unwrap_or_default()
    }

    /// The new items' count, for the browser tab's title.
    fn new_items_text(&self) -> String {
        Self::shown(self.new_items)
    }

    /// The items on this page, for the bulk bar.
    fn page_count_text(&self) -> String {
        Self::shown(self.page_ids.len())
    }
}

#[derive(Template)]
#[template(path = "rows.html")]
struct RowsFragment {
    rows: Vec<Row>,
    can_triage: bool,
    csrf: String,
    here: String,
}

/// The tabs: the open queue, each status, everything; with counts over the
/// other filters. `None` for a refused search: the tabs then show no counts
/// and lead to their views without the refused words.
fn tabs(q: &InboxQuery, view: View, counts: Option<&[(Status, u64)]>) -> Vec<Tab> {
    let count = |s: Status| {
        counts.map(|counts| counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n))
    };
    let href = |status: &str| match q.keep_with(Some(status), counts.is_some()) {
        keep if keep.is_empty() => "/".to_owned(),
        keep => format!("/?{keep}"),
    };
    let mut tabs = vec![Tab {
        label: "Open".into(),
        href: href(""),
        count: count(Status::New)
            .zip(count(Status::InProgress))
            .map(|(n, p)| n + p),
        current: view == View::Open,
    }];
    for status in Status::ALL {
        tabs.push(Tab {
            label: capitalise(&status.to_string()),
            href: href(status.as_str()),
            count: count(status),
            current: view == View::One(status),
        });
    }
    tabs.push(Tab {
        label: "All".into(),
        href: href("all"),
        count: counts.map(|counts| counts.iter().map(|(_, n)| n).sum()),
        current: view == View::All,
    });
    tabs
}

/// The views an officer can go to beside the status tabs (whose first is
/// the open queue): her own items, then the views she saved and those
/// others shared; `current` is this page's query.
async fn view_links(desk: &Desk, me: &Me, current: &str) -> Result<Vec<ViewLink>, WebError> {
    let mut links = vec![ViewLink {
        label: "Mine".into(),
        href: "/?owner=me".into(),
        current: current == "owner=me",
        own_id: None,
        shared_by: None,
    }];
    links.push(ViewLink {
        label: "My teams".into(),
        href: "/?team=mine".into(),
        current: current == "team=mine",
        own_id: None,
        shared_by: None,
    });
    for v in desk.store.saved_views(me.name()).await? {
        let own = v.owner == me.name();
        links.push(ViewLink {
            label: v.name,
            href: at(&v.query),
            current: v.query == current,
            own_id: own.then_some(v.id),
            shared_by: (!own).then_some(v.owner),
        });
    }
    Ok(links)
}

#[derive(Debug, Deserialize)]
pub(crate) struct SaveViewForm {
    name: String,
    /// The inbox's query string to save.
    #[serde(default)]
    query: String,
    #[serde(default)]
    shared: Option<String>,
}

/// `POST /views`: saves the inbox's filter and order under a name (replacing
/// the officer's view of that name), for her or, shared, for everyone.
pub(crate) async fn save_view(
    State(desk): State<Desk>,
    me: Me,
    Form(form): Form<SaveViewForm>,
) -> Result<Response, WebError> {
    let name = form.name.trim();
    let refuse = |message: String| WebError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message,
    };
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(refuse("A view needs a name of 1 to 60 characters.".into()));
    }
    // Only a query the inbox understands, kept as the inbox writes it.
    let q = view_query(&form.query)?;
    q.filter(&desk, &me).await?;
    let query = q.keep(None);
    desk.store
        .save_view(me.name(), name, &query, form.shared.is_some())
        .await?;
    let message = if form.shared.is_some() {
        format!("View \"{name}\" saved and shared with everyone.")
    } else {
        format!("View \"{name}\" saved.")
    };
    Ok(back(&at(&query), &message))
}

/// An inbox address's query string (as "Save this view" and the bulk bar
/// send it) read as the inbox reads it.
fn view_query(query: &str) -> Result<InboxQuery, WebError> {
    let refuse = |message: String| WebError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message,
    };
    let uri: axum::http::Uri = format!("/?{query}")
        .parse()
        .map_err(|_| refuse("That is not an inbox address.".into()))?;
    let Query(q) = Query::<InboxQuery>::try_from_uri(&uri)
        .map_err(|e| refuse(format!("That is not an inbox view: {e}")))?;
    Ok(q)
}

/// The filter of an inbox view (its query string) over all its pages.
pub(crate) async fn view_filter(desk: &Desk, query: &str, me: &Me) -> Result<ItemFilter, WebError> {
    let mut q = view_query(query)?;
    q.before = None;
    q.filter(desk, me).await
}

/// `POST /views/{id}/delete`: deletes one of the officer's saved views.
pub(crate) async fn delete_view(
    State(desk): State<Desk>,
    me: Me,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, WebError> {
    if !desk.store.delete_view(id, me.name()).await? {
        return Err(WebError::NotFound(format!("no view {id} of yours")));
    }
    Ok(back("/", "View deleted."))
}

/// `/?…`, or `/` for no query.
fn at(query: &str) -> String {
    if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{query}")
    }
}

/// `query` and one more pair.
fn and(query: &str, key: &str, value: impl std::fmt::Display) -> String {
    if query.is_empty() {
        format!("{key}={value}")
    } else {
        format!("{query}&{key}={value}")
    }
}

/// `GET /`: the inbox. With `item`, that item is open beside the list.
pub(crate) async fn page(
    State(desk): State<Desk>,
    me: Me,
    Query(q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    let mut q = q;
    let view = q.view()?;
    let sort = q.sort()?;
    let filter = q.filter(&desk, &me).await?;
    // A search the store refuses (too long, too many words, too slow) shows
    // the inbox empty with the reason beside the search field, and the
    // views without counts (none would be true of an empty list that is
    // empty for another reason) leading to their lists without the words.
    let (list, search_error) = match desk.store.list_items(&filter).await {
        Ok(list) => (list, None),
        Err(StoreError::Search(e)) => {
            q.q = truncate(&q.q, MAX_SEARCH_CHARS);
            let empty = ItemPage {
                items: Vec::new(),
                next_before: None,
                counts: Vec::new(),
            };
            (empty, Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let mut rows = rows_of(&desk, &list.items, &me, &q.q).await?;
    for row in &mut rows {
        row.current = Some(row.id) == q.item;
    }
    let counts = search_error.is_none().then_some(list.counts.as_slice());
    let tabs = tabs(&q, view, counts);
    let sorts = Sort::ALL
        .into_iter()
        .map(|s| SortOption {
            value: s.as_str(),
            label: match s {
                Sort::Priority => "Priority, then longest waiting",
                Sort::OldestWaiting => "Longest waiting",
                Sort::Newest => "Newest",
            },
            selected: s == sort,
        })
        .collect();
    let keep = q.keep(None);
    let next = list.next_before.map(|b| at(&and(&keep, "before", b)));
    let mut tags: Vec<String> = desk
        .config
        .rules
        .iter()
        .flat_map(|r| r.then.tag.iter().chain(r.then.tags.iter()).cloned())
        .collect();
    tags.sort();
    tags.dedup();
    let heading = match view {
        View::Open => "Inbox: open items".to_owned(),
        View::One(s) => format!("Inbox: {s}"),
        View::All => "Inbox: everything".to_owned(),
    };
    let list_query = match q.before {
        Some(b) => and(&keep, "before", b),
        None => keep.clone(),
    };
    let list_here = at(&list_query);
    let here = match q.item {
        Some(id) => at(&and(&list_query, "item", id)),
        None => list_here.clone(),
    };
    let pane = match q.item {
        Some(id) => {
            let placement = Placement {
                list: list_here.clone(),
                here: here.clone(),
                beside_list: true,
            };
            Some(body_of(&desk, &me, id, &ItemQuery::default(), None, &placement).await?)
        }
        None => None,
    };
    let view_query = keep.clone();
    let views = view_links(&desk, &me, &view_query).await?;
    let view_count = tabs.iter().find(|t| t.current).and_then(|t| t.count);
    let can_triage = me.can(Permission::Triage);
    let officers = if can_triage {
        super::changes::assignable(&desk).await?
    } else {
        Vec::new()
    };
    let teams = desk.store.teams().await?;
    let narrow = q.narrow()?;
    let filters_set = [&q.place, &q.tag, &q.priority, &q.path, &q.owner, &q.team]
        .iter()
        .filter(|v| !v.trim().is_empty())
        .count()
        + narrow.set();
    let without = |drop: &[&str]| at(&q.keep_without(None, true, drop));
    let mut chips = q.facet_chips(&without);
    chips.extend(narrow.chips(without));
    let csv_href = match keep.as_str() {
        "" => "/inbox.csv".to_owned(),
        keep => format!("/inbox.csv?{keep}"),
    };
    let new_items = list
        .counts
        .iter()
        .find(|(s, _)| *s == Status::New)
        .map_or(0, |(_, n)| *n);
    let chrome = Chrome::new(&desk, &me, "inbox")
        .await?
        .with_flash(q.done.clone())
        .with_undo(q.undo.as_deref(), &here);
    let status = if search_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = html(&InboxPage {
        chrome,
        rows,
        tabs,
        sorts,
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
        filters_set,
        chips,
        csv_href,
        next,
        here,
        list: list_here,
        first_page: q.before.is_none(),
        can_triage,
        heading,
        new_items,
        csrf: me.csrf.clone(),
        pane,
        views,
        view_query,
        page_ids: list.items.iter().map(|i| i.id).collect(),
        view_count,
        officers,
        teams,
        known_tags: super::changes::known_tags(&desk),
        confirm_above: super::bulk::CONFIRM_ABOVE,
        spikes: spike_banners(&desk).await?,
        q,
    })?;
    Ok((status, page).into_response())
}

/// `GET /inbox/rows`: the first page's rows alone (same filters), for the
/// script to merge in items that arrived. The counts per view come in the
/// `X-Counts` header (`open=12,new=9,in_progress=3,…,all=40`).
pub(crate) async fn rows(
    State(desk): State<Desk>,
    me: Me,
    Query(mut q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    q.before = None;
    let list = desk.store.list_items(&q.filter(&desk, &me).await?).await?;
    let mut rows = rows_of(&desk, &list.items, &me, &q.q).await?;
    for row in &mut rows {
        row.current = Some(row.id) == q.item;
    }
    let here = at(&q.keep(None));
    let counts: Vec<String> = tabs(&q, q.view()?, Some(&list.counts))
        .iter()
        .filter_map(|t| {
            let n = t.count?;
            Some(format!("{}={n}", t.label.to_lowercase().replace(' ', "_")))
        })
        .collect();
    let fragment = html(&RowsFragment {
        rows,
        can_triage: me.can(Permission::Triage),
        csrf: me.csrf.clone(),
        here,
    })?;
    Ok((
        [(
            axum::http::HeaderName::from_static("x-counts"),
            counts.join(","),
        )],
        fragment,
    )
        .into_response())
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use time::macros::datetime;

    use std::time::Duration;

    use super::{paused_words, wait_label};
    use crate::config::Config;

    fn config(extra: &str) -> Config {
        let src = format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\
             [monitor]\nplaces = [\"Croydon\"]\n{extra}"
        );
        Config::from_str_with_env(&src, Path::new("placewatch.toml"), &|_| None).unwrap()
    }

    #[test]
    fn out_of_hours_the_clock_says_when_it_starts_again() {
        let c = config("");
        assert_eq!(
            paused_words(&c, datetime!(2026-12-05 12:00 UTC)).as_deref(),
            Some("; the clock stops until the office opens on Monday 7 December at 09:00")
        );
        // The summer bank holiday weekend, in British Summer Time.
        assert_eq!(
            paused_words(&c, datetime!(2026-08-28 16:30 UTC)).as_deref(),
            Some("; the clock stops until the office opens on Tuesday 1 September at 09:00")
        );
        assert_eq!(paused_words(&c, datetime!(2026-12-07 10:00 UTC)), None);
        let wall = config("[office_hours]\nclock = \"wall_clock\"\n");
        assert_eq!(paused_words(&wall, datetime!(2026-12-05 12:00 UTC)), None);
    }

    #[test]
    fn a_post_made_while_the_office_is_closed_says_so_instead_of_under_a_minute() {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(wait_label(minutes(0), true), "office closed");
        assert_eq!(wait_label(minutes(0), false), "waited under 1 min");
        // Posted on Friday afternoon, read on Saturday: the office hours it waited.
        assert_eq!(wait_label(minutes(95), true), "waited 1 h 35 min");
    }
}
