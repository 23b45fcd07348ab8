//! The inbox query: items filtered by status, place, tag, priority, reply
//! path, owner, conversation and full text, newest post first, one keyset page
//! at a time, with the number of items per status over the same filter.
//!
//! Every page walks an index in `post_id DESC` order and stops after one page,
//! so its cost does not grow with the number of items: the query is driven
//! from the most useful index (the conversation, the full-text index, the place
//! or tag side table, or an `items` index), and the other filters are checked
//! on the rows it yields. User search text is never parsed as FTS5 syntax:
//! each word becomes a quoted FTS5 string ([`fts_query`]).

use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::items::{ItemRow, items_by_ids};
use super::{Store, StoreError, codec};
use crate::domain::triage::{Priority, ReplyPath, Status};

/// The largest page [`Store::list_items`] returns.
const MAX_PAGE: u32 = 500;

/// Which items to list. `Default` lists everything, 50 at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFilter {
    pub status: Option<Status>,
    /// An exact place name, as configured.
    pub place: Option<String>,
    pub tag: Option<String>,
    pub priority: Option<Priority>,
    pub reply_path: Option<ReplyPath>,
    pub owner: Option<String>,
    /// Words the post text must all contain (accents and case folded).
    pub text: Option<String>,
    pub conversation_id: Option<u64>,
    /// The previous page's [`ItemPage::next_before`]: list items older than it.
    pub before: Option<i64>,
    /// Page size, 1 to 500.
    pub limit: u32,
}

impl Default for ItemFilter {
    fn default() -> Self {
        ItemFilter {
            status: None,
            place: None,
            tag: None,
            priority: None,
            reply_path: None,
            owner: None,
            text: None,
            conversation_id: None,
            before: None,
            limit: 50,
        }
    }
}

/// One page of the inbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemPage {
    /// Newest post first.
    pub items: Vec<ItemRow>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next_before: Option<i64>,
    /// Items per status (every status, in workflow order) over the filter
    /// without its status and page: the numbers on the inbox's status tabs.
    pub counts: Vec<(Status, u64)>,
}

/// Turns what a user typed into an FTS5 query that means "all these words":
/// each whitespace-separated word becomes a quoted string (`"` doubled inside),
/// so operators, parentheses and stray quotes are plain text and FTS5 never
/// sees a syntax error. `None` when nothing but whitespace was typed.
pub(super) fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The index a query walks, newest post first.
#[derive(Clone, Copy, PartialEq)]
enum Driver {
    Items,
    Text,
    Place,
    Tag,
}

/// A filter resolved for SQL: the driver, the FTS query and the keyset bound.
struct Plan<'a> {
    filter: &'a ItemFilter,
    driver: Driver,
    fts: Option<String>,
    conversation: Option<i64>,
}

impl<'a> Plan<'a> {
    fn new(filter: &'a ItemFilter) -> Result<Self, StoreError> {
        let fts = filter.text.as_deref().and_then(fts_query);
        let conversation = filter
            .conversation_id
            .map(|id| codec::id_to_db(id, "conversation id"))
            .transpose()?;
        // A conversation has a handful of items: nothing beats its index.
        let driver = if conversation.is_some() {
            Driver::Items
        } else if fts.is_some() {
            Driver::Text
        } else if filter.place.is_some() {
            Driver::Place
        } else if filter.tag.is_some() {
            Driver::Tag
        } else {
            Driver::Items
        };
        Ok(Plan {
            filter,
            driver,
            fts,
            conversation,
        })
    }

    /// The column the page is ordered by (a copy of `items.post_id` in the driver).
    fn key(&self) -> &'static str {
        match self.driver {
            Driver::Items => "i.post_id",
            Driver::Text => "posts_fts.rowid",
            Driver::Place | Driver::Tag => "d.post_id",
        }
    }

    /// `FROM … WHERE …` of the filter; the status only when `with_status`,
    /// the keyset bound only when `before` is given.
    fn push_from_where(
        &self,
        qb: &mut QueryBuilder<'_, Sqlite>,
        with_status: bool,
        before: Option<i64>,
    ) {
        let f = self.filter;
        // CROSS JOIN makes SQLite keep the driver as the outer loop.
        match self.driver {
            Driver::Items => qb.push(" FROM items i WHERE 1 = 1"),
            Driver::Text => qb.push(
                " FROM posts_fts CROSS JOIN items i WHERE i.post_id = posts_fts.rowid \
                 AND posts_fts MATCH ",
            ),
            Driver::Place => qb.push(
                " FROM item_places d CROSS JOIN items i WHERE i.id = d.item_id AND d.place = ",
            ),
            Driver::Tag => {
                qb.push(" FROM item_tags d CROSS JOIN items i WHERE i.id = d.item_id AND d.tag = ")
            }
        };
        match self.driver {
            Driver::Items => {}
            Driver::Text => {
                qb.push_bind(self.fts.clone());
            }
            Driver::Place => {
                qb.push_bind(f.place.clone());
            }
            Driver::Tag => {
                qb.push_bind(f.tag.clone());
            }
        }
        if let (Some(fts), false) = (&self.fts, self.driver == Driver::Text) {
            qb.push(" AND i.post_id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ");
            qb.push_bind(fts.clone()).push(")");
        }
        if let (Some(place), false) = (&f.place, self.driver == Driver::Place) {
            qb.push(
                " AND EXISTS (SELECT 1 FROM item_places x WHERE x.item_id = i.id AND x.place = ",
            );
            qb.push_bind(place.clone()).push(")");
        }
        if let (Some(tag), false) = (&f.tag, self.driver == Driver::Tag) {
            qb.push(" AND EXISTS (SELECT 1 FROM item_tags x WHERE x.item_id = i.id AND x.tag = ");
            qb.push_bind(tag.clone()).push(")");
        }
        if let Some(conversation) = self.conversation {
            qb.push(" AND i.conversation_id = ").push_bind(conversation);
        }
        if let (Some(status), true) = (f.status, with_status) {
            qb.push(" AND i.status = ").push_bind(status.as_str());
        }
        if let Some(priority) = f.priority {
            qb.push(" AND i.priority = ").push_bind(priority.as_str());
        }
        if let Some(path) = f.reply_path {
            qb.push(" AND i.reply_path = ").push_bind(path.as_str());
        }
        if let Some(owner) = &f.owner {
            qb.push(" AND i.owner = ").push_bind(owner.clone());
        }
        if let Some(before) = before {
            qb.push(format!(" AND {} < ", self.key())).push_bind(before);
        }
    }
}

impl Store {
    /// One page of items matching `filter`, newest post first, and the count of
    /// matching items per status. Page on with `filter.before =
    /// page.next_before`; a page is consistent with the items' order even
    /// while new items arrive (they sort before the first page).
    pub async fn list_items(&self, filter: &ItemFilter) -> Result<ItemPage, StoreError> {
        let plan = Plan::new(filter)?;
        let limit = filter.limit.clamp(1, MAX_PAGE);
        let mut conn = self.read.acquire().await?;

        let before = match filter.before {
            None => None,
            Some(id) => Some(
                sqlx::query_scalar::<_, i64>("SELECT post_id FROM items WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound { what: "item", id })?,
            ),
        };

        let mut qb = QueryBuilder::new("SELECT i.id AS id");
        plan.push_from_where(&mut qb, true, before);
        qb.push(format!(" ORDER BY {} DESC LIMIT ", plan.key()))
            .push_bind(i64::from(limit) + 1);
        let mut ids: Vec<i64> = qb
            .build()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, _>>()?;
        let more = ids.len() > limit as usize;
        ids.truncate(limit as usize);

        let mut items = items_by_ids(&mut conn, &ids).await?;
        items.sort_by_key(|item| ids.iter().position(|id| *id == item.id));
        let next_before = more.then(|| ids.last().copied()).flatten();

        let mut qb = QueryBuilder::new("SELECT i.status AS status, COUNT(*) AS n");
        plan.push_from_where(&mut qb, false, None);
        qb.push(" GROUP BY i.status");
        let mut counts: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for row in qb.build().fetch_all(&mut *conn).await? {
            let status = codec::status_from_db(row.try_get("status")?)?;
            let n = codec::count_from_db(row.try_get("n")?, "item count")?;
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == status) {
                slot.1 = n;
            }
        }
        Ok(ItemPage {
            items,
            next_before,
            counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn user_text_becomes_quoted_words() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("cafe croydon").unwrap(), r#""cafe" "croydon""#);
        assert_eq!(fts_query(r#""unbalanced"#).unwrap(), r#""""unbalanced""#);
        assert_eq!(
            fts_query("AND OR NOT (").unwrap(),
            r#""AND" "OR" "NOT" "(""#
        );
        assert_eq!(fts_query("a\0b").unwrap(), r#""a" "b""#);
    }
}
