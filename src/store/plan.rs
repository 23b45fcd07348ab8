//! How an inbox filter becomes SQL: which index the query walks (the
//! "driver"), the FTS5 query made from the user's words, and the `FROM …
//! WHERE …` shared by the page and the count queries.
//!
//! Every page walks an index newest post first and stops after one page, so
//! its cost does not grow with the number of items: a conversation's index,
//! the full-text indexes, the place or tag side table, an `items` filter
//! index, or `items` by status or post id. The facet indexes lead with (value,
//! status): a page within one status walks one range; a page over every
//! status runs one arm per status, merged by `UNION ALL … ORDER BY`, which
//! SQLite executes as a merge of already ordered walks (no sort). The other
//! filters are checked on the rows the driver yields. `CROSS JOIN` keeps
//! SQLite from reordering the driver away.
//!
//! A date range (`from`/`to`, UK days) is a range of the key every driver
//! walks: X's post ids are snowflakes that carry their creation time (as
//! `store::spikes` counts them), so "posted in November" is `post_id` from
//! the first id of 1 November to the first id of 1 December, and the walk
//! starts and stops inside its index instead of reading `posts`. A language
//! is checked on the driver's rows (`posts.lang`).

use sqlx::{QueryBuilder, Sqlite};
use time::{Date, Time};

use super::inbox::{ItemFilter, Sort};
use super::{StoreError, codec};
use crate::domain::outbox::TWEPOCH_MS;
use crate::domain::search::{self, Term};
use crate::domain::triage::Status;

/// An item's priority as a number that sorts most urgent first: the
/// expression of the open queue's index (migration 0009), written the same
/// way so SQLite walks that index.
pub(crate) const PRIORITY_RANK: &str =
    "(CASE i.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END)";

/// The open statuses as the open queue's index names them.
pub(super) const OPEN: &str = "i.status IN ('new', 'in_progress')";

/// Where the previous page ended: its last item's post id and priority rank.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keyset {
    pub(super) post_id: i64,
    pub(super) rank: i64,
}

/// The full-text index of the items in `status`.
pub(super) fn fts_table(status: Status) -> &'static str {
    match status {
        Status::New => "items_fts_new",
        Status::InProgress => "items_fts_in_progress",
        Status::Replied => "items_fts_replied",
        Status::Referred => "items_fts_referred",
        Status::Dismissed => "items_fts_dismissed",
    }
}

/// The longest search the desk accepts, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// The most words a search may have.
pub const MAX_SEARCH_WORDS: usize = 12;

/// Why a search is refused before it runs, or was stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error(
        "That search is {chars} characters long; searches are limited to {MAX_SEARCH_CHARS}: \
         search for a few distinctive words"
    )]
    TooLong { chars: usize },
    #[error(
        "That search has {words} words; searches are limited to {MAX_SEARCH_WORDS}: \
         search for a few distinctive words"
    )]
    TooManyWords { words: usize },
    #[error(
        "That search took longer than {} s and was stopped: search for fewer or more \
         distinctive words, or narrow it with a status or place", budget.as_secs_f32()
    )]
    TooSlow { budget: std::time::Duration },
}

/// Refuses a search the desk will not run: too long, or too many words.
pub(super) fn check_search(text: &str) -> Result<(), SearchError> {
    let chars = text.chars().count();
    if chars > MAX_SEARCH_CHARS {
        return Err(SearchError::TooLong { chars });
    }
    let words = text.split_whitespace().count();
    if words > MAX_SEARCH_WORDS {
        return Err(SearchError::TooManyWords { words });
    }
    Ok(())
}

/// The tokenizer of the full-text indexes (migration 0012): the porter
/// stemmer over unicode61, accents folded. The desk's highlighting
/// ([`super::Store::highlights`]) tokenizes with it too, so what is marked is
/// what matched.
pub(super) const TOKENIZER: &str = "porter unicode61 remove_diacritics 2";

/// The officer's search (see [`crate::domain::search`]) as an FTS5 query:
/// each term a quoted string (`"` doubled inside), so FTS5 never sees its
/// operators and never a syntax error. A quoted string of several words is
/// an FTS5 phrase; a prefix gets FTS5's `*`. `None` when nothing in the
/// text can be searched for.
pub(super) fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = search::terms(text)
        .iter()
        .map(|term| {
            let quoted = format!("\"{}\"", term.text().replace('"', "\"\""));
            match term {
                Term::Prefix(_) => quoted + "*",
                Term::Word(_) | Term::Phrase(_) => quoted,
            }
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// A filter marker of the search documents (see the migration), as an FTS5
/// string: the facet's private-use character and the value (hex-encoded
/// UTF-8, as SQLite's `hex()` writes it, when `hex`).
fn marker(facet: char, value: &str, hex: bool) -> String {
    let value = if hex {
        value.bytes().map(|b| format!("{b:02X}")).collect()
    } else {
        value.to_owned()
    };
    format!("\"{facet}{value}\"")
}

/// When UK clocks showed midnight starting `day`, in Unix milliseconds.
fn uk_day_start_ms(day: Date) -> i128 {
    crate::domain::notification::uk_instant(day, Time::MIDNIGHT).unix_timestamp_nanos() / 1_000_000
}

/// The smallest post id X issues at or after `unix_ms` (ids are `(ms -
/// epoch) << 22` plus worker and sequence bits), within what the store
/// holds.
fn first_id_at(unix_ms: i128) -> i64 {
    let id = (unix_ms - i128::from(TWEPOCH_MS)).max(0) << 22;
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// The post ids of posts made from the start of `from` to the end of `to`
/// (UK days, both included), as `[low, high)`; `None` with neither.
pub(super) fn day_range(from: Option<Date>, to: Option<Date>) -> Option<(i64, i64)> {
    if from.is_none() && to.is_none() {
        return None;
    }
    let low = from.map_or(0, |d| first_id_at(uk_day_start_ms(d)));
    let high = match to.map(|d| d.next_day()) {
        None | Some(None) => i64::MAX,
        Some(Some(next)) => first_id_at(uk_day_start_ms(next)),
    };
    Some((low, high))
}

/// The index a query walks, newest post first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Driver {
    /// `items` by post id, or by status and post id.
    Items,
    /// The full-text index of each status, searched for words and filter
    /// markers.
    Text,
    /// The place or tag side table, by value, status and post id.
    Place,
    Tag,
    /// An `items` filter index (`owner`, `team_id`, `priority`, `reply_path`), by
    /// value, status and post id.
    Column(&'static str),
}

/// A filter resolved for SQL.
pub(super) struct Plan<'a> {
    pub(super) filter: &'a ItemFilter,
    pub(super) driver: Driver,
    /// The user's words as an FTS5 query, if any.
    pub(super) fts: Option<String>,
    /// The user typed something with no searchable word in it: nothing matches.
    pub(super) matches_nothing: bool,
    /// The order: the filter's, except that within one priority "priority"
    /// is "oldest waiting".
    pub(super) sort: Sort,
    conversation: Option<i64>,
    /// The post ids of the filter's days, `[low, high)`.
    range: Option<(i64, i64)>,
}

impl<'a> Plan<'a> {
    pub(super) fn new(filter: &'a ItemFilter) -> Result<Self, StoreError> {
        // Blank text is no filter; text without a searchable word matches nothing.
        let text = filter.text.as_deref().filter(|t| !t.trim().is_empty());
        if let Some(text) = text {
            check_search(text)?;
        }
        let fts = text.and_then(fts_query);
        let no_team = filter.teams.as_ref().is_some_and(Vec::is_empty);
        let range = day_range(filter.from, filter.to);
        let no_days = range.is_some_and(|(low, high)| low >= high);
        let matches_nothing = (text.is_some() && fts.is_none()) || no_team || no_days;
        let conversation = filter
            .conversation_id
            .map(|id| codec::id_to_db(id, "conversation id"))
            .transpose()?;
        let facets = [
            filter.place.is_some(),
            filter.tag.is_some(),
            filter.owner.is_some(),
            filter.teams.is_some(),
            filter.priority.is_some(),
            filter.reply_path.is_some(),
        ];
        // Several teams (an officer's teams) are one full-text query of
        // markers OR-ed: each status's index yields them newest first.
        let several_teams = filter.teams.as_ref().is_some_and(|t| t.len() > 1);
        let several = facets.iter().filter(|set| **set).count() > 1 || several_teams;
        // A conversation has a handful of items: nothing beats its index.
        // Words, or several filters at once, are one full-text query of words
        // and markers.
        let driver = if conversation.is_some() {
            Driver::Items
        } else if fts.is_some() || several {
            Driver::Text
        } else if filter.place.is_some() {
            Driver::Place
        } else if filter.tag.is_some() {
            Driver::Tag
        } else if filter.owner.is_some() {
            Driver::Column("owner")
        } else if filter.teams.is_some() {
            Driver::Column("team_id")
        } else if filter.priority.is_some() {
            Driver::Column("priority")
        } else if filter.reply_path.is_some() {
            Driver::Column("reply_path")
        } else {
            Driver::Items
        };
        let sort = match (filter.sort, filter.priority) {
            (Sort::Priority, Some(_)) => Sort::OldestWaiting,
            (sort, _) => sort,
        };
        Ok(Plan {
            filter,
            driver,
            fts,
            matches_nothing,
            sort,
            conversation,
            range,
        })
    }

    /// The conversation the filter names, as stored.
    pub(super) fn conversation(&self) -> Option<i64> {
        self.conversation
    }

    /// Whether the filter is a conversation's (counted by what its page walks).
    pub(super) fn is_conversation(&self) -> bool {
        self.conversation.is_some()
    }

    /// The full-text query of a text-driven query: the words, if any, and a
    /// marker for each place, tag, owner, team, priority and reply path filter, so
    /// the index alone answers it (pages and counts alike). `None` with
    /// neither words nor filters.
    pub(super) fn text_query(&self) -> Option<String> {
        let f = self.filter;
        let mut query = self.fts.clone().unwrap_or_default();
        let markers = [
            f.place.as_deref().map(|v| marker('\u{E001}', v, true)),
            f.tag.as_deref().map(|v| marker('\u{E002}', v, true)),
            f.owner.as_deref().map(|v| marker('\u{E003}', v, true)),
            f.priority.map(|v| marker('\u{E004}', v.as_str(), false)),
            f.reply_path.map(|v| marker('\u{E005}', v.as_str(), false)),
        ];
        for m in markers.into_iter().flatten() {
            if !query.is_empty() {
                query.push(' ');
            }
            query.push_str(&m);
        }
        // A team's marker is its id in decimal; several teams are OR-ed, a
        // group FTS5 takes only after an explicit AND.
        match f.teams.as_deref() {
            Some([one]) => {
                if !query.is_empty() {
                    query.push(' ');
                }
                query.push_str(&marker('\u{E006}', &one.to_string(), false));
            }
            Some(teams) if !teams.is_empty() => {
                let any: Vec<String> = teams
                    .iter()
                    .map(|t| marker('\u{E006}', &t.to_string(), false))
                    .collect();
                if !query.is_empty() {
                    query.push_str(" AND ");
                }
                query.push_str(&format!("({})", any.join(" OR ")));
            }
            _ => {}
        }
        (!query.is_empty()).then_some(query)
    }

    /// The arms of a page query, each walking one status's part of the
    /// driver's index (the filter's status, or all five, merged newest first);
    /// a single arm for the `items` driver, whose indexes need none.
    /// The open items by priority with no other index to walk: the open
    /// queue's own index (migration 0009) serves it, in order.
    fn is_open_queue(&self) -> bool {
        let f = self.filter;
        self.driver == Driver::Items
            && f.open
            && f.status.is_none()
            && self.sort == Sort::Priority
            && self.conversation.is_none()
    }

    pub(super) fn arms(&self) -> Vec<Option<Status>> {
        let f = self.filter;
        let open = f.open && f.status.is_none();
        let open_arms = || vec![Some(Status::New), Some(Status::InProgress)];
        match (self.driver, f.status) {
            // The open queue's own index, in priority order.
            (Driver::Items, None) if self.is_open_queue() => vec![None],
            // Each open status's part of `items_by_status`, merged.
            (Driver::Items, None) if open && self.conversation.is_none() => open_arms(),
            (Driver::Items, _) => vec![None],
            (_, Some(status)) => vec![Some(status)],
            (_, None) if open => open_arms(),
            (_, None) => Status::ALL.into_iter().map(Some).collect(),
        }
    }

    /// The column a page is ordered by in an arm (`items.post_id` or its copy
    /// in the driver).
    pub(super) fn key(&self, arm: Option<Status>) -> String {
        match (self.driver, arm) {
            (Driver::Text, Some(status)) => format!("{}.rowid", fts_table(status)),
            (Driver::Place | Driver::Tag, _) => "d.post_id".to_owned(),
            _ => "i.post_id".to_owned(),
        }
    }

    /// `FROM … WHERE …` of the filter, for one arm (see [`Plan::arms`]; `None`
    /// for the single arm of the `items` driver and for counting). The
    /// filter's status (or open statuses) applies only `with_status`, the
    /// keyset bound only when `before` is given.
    pub(super) fn push_from_where(
        &self,
        qb: &mut QueryBuilder<'_, Sqlite>,
        arm: Option<Status>,
        with_status: bool,
        before: Option<Keyset>,
    ) {
        let f = self.filter;
        let text = self.driver == Driver::Text;
        match (self.driver, arm) {
            (Driver::Text, Some(status)) => {
                let table = fts_table(status);
                qb.push(format!(
                    " FROM {table} CROSS JOIN items i WHERE i.post_id = {table}.rowid \
                     AND {table} MATCH "
                ))
                .push_bind(self.text_query());
            }
            (Driver::Place | Driver::Tag, _) => {
                let (table, column, value) = if self.driver == Driver::Place {
                    ("item_places", "place", &f.place)
                } else {
                    ("item_tags", "tag", &f.tag)
                };
                qb.push(format!(
                    " FROM {table} d CROSS JOIN items i WHERE i.id = d.item_id AND d.{column} = "
                ))
                .push_bind(value.clone());
                if let Some(status) = arm {
                    qb.push(" AND d.status = ").push_bind(status.as_str());
                }
            }
            // The open queue by priority: SQLite's planner, without
            // statistics, would rather read `items_by_status` and sort.
            _ if with_status && self.is_open_queue() => {
                qb.push(" FROM items i INDEXED BY items_open_by_priority WHERE 1 = 1");
            }
            _ => {
                qb.push(" FROM items i WHERE 1 = 1");
                if let Some(status) = arm {
                    qb.push(" AND i.status = ").push_bind(status.as_str());
                }
            }
        }
        if let (Some(words), false) = (&self.fts, text) {
            // Checked per row of a small driver (a conversation), in the index
            // of the row's status.
            qb.push(" AND (");
            for (n, status) in Status::ALL.into_iter().enumerate() {
                let table = fts_table(status);
                qb.push(if n == 0 { "" } else { " OR " })
                    .push("(i.status = ")
                    .push_bind(status.as_str())
                    .push(format!(
                        " AND EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH "
                    ))
                    .push_bind(words.clone())
                    .push(format!(" AND {table}.rowid = i.post_id))"));
            }
            qb.push(")");
        }
        // The text query's markers stand for these filters in a text arm.
        if let (Some(place), false) = (&f.place, self.driver == Driver::Place || text) {
            qb.push(" AND EXISTS (SELECT 1 FROM item_places x WHERE x.item_id = i.id")
                .push(" AND x.place = ")
                .push_bind(place.clone())
                .push(")");
        }
        if let (Some(tag), false) = (&f.tag, self.driver == Driver::Tag || text) {
            qb.push(" AND EXISTS (SELECT 1 FROM item_tags x WHERE x.item_id = i.id")
                .push(" AND x.tag = ")
                .push_bind(tag.clone())
                .push(")");
        }
        if let Some(conversation) = self.conversation {
            qb.push(" AND i.conversation_id = ").push_bind(conversation);
        }
        match (f.status, with_status, arm) {
            (Some(status), true, None) => {
                qb.push(" AND i.status = ").push_bind(status.as_str());
            }
            (None, true, None) if f.open => {
                qb.push(format!(" AND {OPEN}"));
            }
            _ => {}
        }
        if let (Some(owner), false) = (&f.owner, text) {
            qb.push(" AND i.owner = ").push_bind(owner.clone());
        }
        if let (Some(teams), false) = (&f.teams, text) {
            // One team (several make a text query): `= ?` implies NOT NULL,
            // so the partial index `items_by_team` serves it.
            match teams.as_slice() {
                [one] => {
                    qb.push(" AND i.team_id = ").push_bind(*one);
                }
                _ => {
                    qb.push(" AND i.team_id IN (");
                    let mut list = qb.separated(", ");
                    for t in teams {
                        list.push_bind(*t);
                    }
                    qb.push(")");
                }
            }
        }
        if let (Some(priority), false) = (f.priority, text) {
            qb.push(" AND i.priority = ").push_bind(priority.as_str());
        }
        if let (Some(path), false) = (f.reply_path, text) {
            qb.push(" AND i.reply_path = ").push_bind(path.as_str());
        }
        if let Some((low, high)) = self.range {
            let key = self.key(arm);
            qb.push(format!(" AND {key} >= "))
                .push_bind(low)
                .push(format!(" AND {key} < "))
                .push_bind(high);
        }
        if let Some(lang) = &f.lang {
            qb.push(" AND EXISTS (SELECT 1 FROM posts p WHERE p.id = i.post_id AND p.lang = ")
                .push_bind(lang.clone())
                .push(")");
        }
        if let Some(before) = before {
            let key = self.key(arm);
            match self.sort {
                Sort::Newest => qb.push(format!(" AND {key} < ")).push_bind(before.post_id),
                Sort::OldestWaiting => qb.push(format!(" AND {key} > ")).push_bind(before.post_id),
                // The first term lets an index on the rank start at it.
                Sort::Priority => qb
                    .push(format!(" AND {PRIORITY_RANK} >= "))
                    .push_bind(before.rank)
                    .push(format!(" AND ({PRIORITY_RANK}, {key}) > ("))
                    .push_bind(before.rank)
                    .push(", ")
                    .push_bind(before.post_id)
                    .push(")"),
            };
        }
    }

    /// The rowid bounds of a full-text count (`AND rowid >= ? AND rowid < ?`).
    pub(super) fn range(&self) -> Option<(i64, i64)> {
        self.range
    }

    /// The single facet of a filter without text, conversation, days or
    /// language, for the `item_counts` table: `("all", "")` with no facet,
    /// `None` with several.
    pub(super) fn counter_facet(&self) -> Option<(&'static str, String)> {
        let several_teams = self.filter.teams.as_ref().is_some_and(|t| t.len() != 1);
        let unkept = self.range.is_some() || self.filter.lang.is_some();
        if self.fts.is_some() || self.conversation.is_some() || several_teams || unkept {
            return None;
        }
        let f = self.filter;
        let facets = [
            f.place.as_ref().map(|v| ("place", v.clone())),
            f.tag.as_ref().map(|v| ("tag", v.clone())),
            f.owner.as_ref().map(|v| ("owner", v.clone())),
            match f.teams.as_deref() {
                Some([one]) => Some(("team", one.to_string())),
                _ => None,
            },
            f.priority.map(|v| ("priority", v.as_str().to_owned())),
            f.reply_path.map(|v| ("reply_path", v.as_str().to_owned())),
        ];
        let mut set = facets.into_iter().flatten();
        match (set.next(), set.next()) {
            (None, _) => Some(("all", String::new())),
            (Some(one), None) => Some(one),
            (Some(_), Some(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_become_quoted_strings() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("cafe croydon").unwrap(), r#""cafe" "croydon""#);
        assert_eq!(fts_query(r#"say "hi""#).unwrap(), r#""say" "hi""#);
        assert_eq!(
            fts_query(r#""cherry orchard" pothol*"#).unwrap(),
            r#""cherry orchard" "pothol"*"#
        );
        assert_eq!(fts_query(r#"it"s"#).unwrap(), r#""it" "s""#);
        assert_eq!(fts_query("AND OR NOT (").unwrap(), r#""AND" "OR" "NOT""#);
        assert_eq!(fts_query("( ) \u{7} 🙂 \u{E001}"), None);
        assert_eq!(fts_query("fly-tipping?").unwrap(), r#""fly-tipping?""#);
    }

    #[test]
    fn markers_hex_encode_names_like_sqlite() {
        assert_eq!(marker('\u{E001}', "Café", true), "\"\u{E001}436166C3A9\"");
        assert_eq!(marker('\u{E004}', "urgent", false), "\"\u{E004}urgent\"");
    }
}
