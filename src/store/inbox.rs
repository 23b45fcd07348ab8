//! The inbox query: items filtered by status, place, tag, priority, reply
//! path, owner, team, conversation and full text, newest post first, one keyset page
//! at a time, with the number of items per status over the same filter.
//!
//! A page costs one walk of an index that stops after the page (see `plan`).
//! The per-status counts come from the cheapest exact source: the
//! trigger-kept `item_counts` table for no filter or a single place, tag,
//! owner, team, priority or reply path (one indexed read); one index-only count per
//! status's full-text index for words or several filters (words and filter
//! markers, no join); a counting query for a conversation (a handful of items).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::items::{ItemRow, items_by_ids};
use super::plan::{Driver, Keyset, PRIORITY_RANK, Plan, fts_table};
use super::{Engine, Store, StoreError, codec, pg_inbox};
use crate::domain::triage::{Priority, ReplyPath, Status};
use time::Date;

/// The largest page [`Store::list_items`] returns.
const MAX_PAGE: u32 = 500;

/// The order of an inbox page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest post first.
    #[default]
    Newest,
    /// The post that has waited longest first.
    OldestWaiting,
    /// Most urgent first; within a priority, the post that has waited longest.
    Priority,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Priority, Sort::OldestWaiting, Sort::Newest];

    /// The name in URLs: `newest`, `oldest_waiting`, `priority`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::OldestWaiting => "oldest_waiting",
            Sort::Priority => "priority",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Which items to list. `Default` lists everything, 50 at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFilter {
    pub status: Option<Status>,
    /// Only open items (new and in progress); ignored when `status` is set.
    pub open: bool,
    pub sort: Sort,
    /// An exact place name, as configured.
    pub place: Option<String>,
    pub tag: Option<String>,
    pub priority: Option<Priority>,
    pub reply_path: Option<ReplyPath>,
    pub owner: Option<String>,
    /// Items assigned to one of these teams (ids); `Some` of none matches
    /// nothing (the "My teams" of an officer in no team).
    pub teams: Option<Vec<i64>>,
    /// Words the post text must all contain (accents and case folded).
    pub text: Option<String>,
    pub conversation_id: Option<u64>,
    /// Items whose post was made on or after this day (UK time).
    pub from: Option<Date>,
    /// Items whose post was made on or before this day (UK time).
    pub to: Option<Date>,
    /// Items whose post X gave this language code (`en`, `cy`, `pl`).
    pub lang: Option<String>,
    /// The previous page's [`ItemPage::next_before`] (its last item): list
    /// the items that come after it in the sort order.
    pub before: Option<i64>,
    /// Page size, 1 to 500.
    pub limit: u32,
}

impl Default for ItemFilter {
    fn default() -> Self {
        ItemFilter {
            status: None,
            open: false,
            sort: Sort::Newest,
            place: None,
            tag: None,
            priority: None,
            reply_path: None,
            owner: None,
            teams: None,
            text: None,
            conversation_id: None,
            from: None,
            to: None,
            lang: None,
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

impl Store {
    /// One page of items matching `filter`, newest post first, and the count of
    /// matching items per status. Page on with `filter.before =
    /// page.next_before`; pages stay consistent while new items arrive (new
    /// posts sort before the first page). Search text is words, never FTS5
    /// syntax; text with no searchable word matches nothing.
    pub async fn list_items(&self, filter: &ItemFilter) -> Result<ItemPage, StoreError> {
        let plan = Plan::new(filter)?;
        let limit = filter.limit.clamp(1, MAX_PAGE);
        let (ids, next_before, counts) = match self.engine {
            Engine::Sqlite => {
                self.read_planned(&plan, async |conn| list(conn, &plan, filter, limit).await)
                    .await?
            }
            Engine::Postgres => {
                self.read_planned_pg(&plan, async |conn, pg| {
                    let before = match filter.before {
                        None => None,
                        Some(id) => Some(pg_inbox::keyset_of(conn, id).await?),
                    };
                    let mut ids = pg_inbox::page(conn, pg, before, limit).await?;
                    let more = ids.len() > limit as usize;
                    ids.truncate(limit as usize);
                    let next_before = more.then(|| ids.last().copied()).flatten();
                    Ok((ids, next_before, pg_inbox::counts(conn, pg).await?))
                })
                .await?
            }
        };
        let items = self.items_in_order(&ids).await?;
        Ok(ItemPage {
            items,
            next_before,
            counts,
        })
    }

    /// The items `ids` names, in that order, read through the store's
    /// readers (the inbox's typed connections found the ids).
    pub(super) async fn items_in_order(&self, ids: &[i64]) -> Result<Vec<ItemRow>, StoreError> {
        let mut conn = self.read.acquire().await?;
        let mut items = items_by_ids(&mut conn, ids).await?;
        items.sort_by_key(|item| ids.iter().position(|id| *id == item.id));
        Ok(items)
    }
}

/// Whether SQLite stopped a statement because its progress handler said so.
pub(super) fn is_interrupt(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "9")
}

/// A deadline for the statements of one connection, enforced by SQLite's
/// progress handler (checked every few thousand virtual-machine steps), so
/// a search that would run for seconds is interrupted instead of holding
/// its connection. Dropping the budget lifts it, even when the request is
/// abandoned mid-query and the connection goes back to the pool.
pub(super) struct TimeBudget {
    active: Arc<AtomicBool>,
    expired: Arc<AtomicBool>,
}

impl TimeBudget {
    pub(super) async fn start(
        conn: &mut SqliteConnection,
        budget: Duration,
    ) -> Result<TimeBudget, StoreError> {
        let deadline = Instant::now() + budget;
        let active = Arc::new(AtomicBool::new(true));
        let expired = Arc::new(AtomicBool::new(false));
        let (on, out) = (active.clone(), expired.clone());
        conn.lock_handle()
            .await?
            .set_progress_handler(10_000, move || {
                if !on.load(Ordering::Relaxed) || Instant::now() < deadline {
                    return true;
                }
                out.store(true, Ordering::Relaxed);
                false
            });
        Ok(TimeBudget { active, expired })
    }

    pub(super) fn ran_out(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }
}

impl Drop for TimeBudget {
    fn drop(&mut self) {
        self.active.store(false, Ordering::Relaxed);
    }
}

/// The ids of a page of [`Store::list_items`], where the next starts, and
/// the counts per status, on one connection.
async fn list(
    conn: &mut SqliteConnection,
    plan: &Plan<'_>,
    filter: &ItemFilter,
    limit: u32,
) -> Result<(Vec<i64>, Option<i64>, Vec<(Status, u64)>), StoreError> {
    let before = match filter.before {
        None => None,
        Some(id) => Some(keyset_of(conn, id).await?),
    };
    if plan.matches_nothing {
        return Ok((
            Vec::new(),
            None,
            Status::ALL.iter().map(|s| (*s, 0)).collect(),
        ));
    }

    let mut qb = page_query("", plan, before, limit);
    let mut ids: Vec<i64> = qb
        .build()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
    let more = ids.len() > limit as usize;
    ids.truncate(limit as usize);
    let next_before = more.then(|| ids.last().copied()).flatten();
    let counts = counts(conn, plan).await?;
    Ok((ids, next_before, counts))
}

/// Where a page that ends with item `id` ends, in every order.
pub(super) async fn keyset_of(conn: &mut SqliteConnection, id: i64) -> Result<Keyset, StoreError> {
    sqlx::query_as::<_, (i64, i64)>(&format!(
        "SELECT post_id, {PRIORITY_RANK} FROM items i WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|(post_id, rank)| Keyset { post_id, rank })
    .ok_or(StoreError::NotFound { what: "item", id })
}

/// The ids of a page's items (and one more, to tell whether a page follows),
/// in the filter's order: one arm per part of the driver's index, merged.
/// `prefix` goes before it (`EXPLAIN QUERY PLAN` in the tests).
pub(super) fn page_query<'q>(
    prefix: &str,
    plan: &Plan<'_>,
    before: Option<Keyset>,
    limit: u32,
) -> QueryBuilder<'q, Sqlite> {
    let mut qb = QueryBuilder::new(prefix);
    for (n, arm) in plan.arms().into_iter().enumerate() {
        qb.push(if n == 0 {
            "SELECT "
        } else {
            " UNION ALL SELECT "
        })
        .push(format!(
            "i.id AS id, {} AS k, {PRIORITY_RANK} AS r",
            plan.key(arm)
        ));
        plan.push_from_where(&mut qb, arm, true, before);
    }
    qb.push(match plan.sort {
        Sort::Newest => " ORDER BY k DESC",
        Sort::OldestWaiting => " ORDER BY k ASC",
        Sort::Priority => " ORDER BY r ASC, k ASC",
    })
    .push(" LIMIT ")
    .push_bind(i64::from(limit) + 1);
    qb
}

/// Items per status over the plan's filter without its status and page.
pub(super) async fn counts(
    conn: &mut SqliteConnection,
    plan: &Plan<'_>,
) -> Result<Vec<(Status, u64)>, StoreError> {
    let mut counts: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    let rows = if let Some((facet, value)) = plan.counter_facet() {
        sqlx::query("SELECT status, n FROM item_counts WHERE facet = $1 AND value = $2")
            .bind(facet)
            .bind(value)
            .fetch_all(&mut *conn)
            .await?
    } else if let (Driver::Text, Some(query), None) =
        (plan.driver, plan.text_query(), &plan.filter.lang)
    {
        // Each status's index counts its own matches: every match read once,
        // no join (the query's markers stand for the other filters, the
        // rowid range for the days).
        let mut qb = QueryBuilder::new("");
        for (n, status) in Status::ALL.into_iter().enumerate() {
            let table = fts_table(status);
            qb.push(if n == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            })
            .push_bind(status.as_str())
            .push(format!(
                " AS status, COUNT(*) AS n FROM {table} WHERE {table} MATCH "
            ))
            .push_bind(query.clone());
            if let Some((low, high)) = plan.range() {
                qb.push(" AND rowid >= ")
                    .push_bind(low)
                    .push(" AND rowid < ")
                    .push_bind(high);
            }
        }
        qb.build().fetch_all(&mut *conn).await?
    } else if !plan.is_conversation() {
        // Days or a language: each status's part of the driver's index,
        // counted within the days' range of post ids (index-only but for a
        // language, checked per row).
        let mut qb = QueryBuilder::new("");
        for (n, status) in Status::ALL.into_iter().enumerate() {
            qb.push(if n == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            })
            .push_bind(status.as_str())
            .push(" AS status, COUNT(*) AS n");
            plan.push_from_where(&mut qb, Some(status), false, None);
        }
        qb.build().fetch_all(&mut *conn).await?
    } else {
        // A conversation: count what the page query walks.
        let mut qb = QueryBuilder::new("SELECT i.status AS status, COUNT(*) AS n");
        plan.push_from_where(&mut qb, None, false, None);
        qb.push(" GROUP BY i.status");
        qb.build().fetch_all(&mut *conn).await?
    };
    for row in rows {
        let status = codec::status_from_db(row.try_get("status")?)?;
        let n = codec::count_from_db(row.try_get("n")?, "item count")?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == status) {
            slot.1 = n;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triage::{Priority, ReplyPath};
    use crate::store::SearchError;

    /// Counts to `n` the slow way: a statement whose running time is its size.
    fn count_to(n: u64) -> String {
        format!(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) \
             SELECT count(*) FROM c"
        )
    }

    #[tokio::test]
    async fn a_statement_past_its_time_budget_is_interrupted_and_the_connection_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("budget.db")).await.unwrap();
        let mut conn = store
            .inbox_readers("test")
            .unwrap()
            .acquire()
            .await
            .unwrap();
        {
            let budget = TimeBudget::start(&mut conn, Duration::from_millis(20))
                .await
                .unwrap();
            // Minutes of work without the budget.
            let error = sqlx::query_scalar::<_, i64>(&count_to(10_000_000_000))
                .fetch_one(&mut *conn)
                .await
                .unwrap_err();
            assert!(budget.ran_out(), "{error}");
            assert!(is_interrupt(&error), "{error}");
        }
        // The budget is gone with its guard: the same connection (its
        // deadline long past) runs a statement of its own to the end.
        let n: i64 = sqlx::query_scalar(&count_to(300_000))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 300_000);
    }

    #[tokio::test]
    async fn searches_past_the_limits_are_refused_before_they_run() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("limits.db")).await.unwrap();
        let search = |text: String| ItemFilter {
            text: Some(text),
            ..Default::default()
        };
        let huge = "a ".repeat(30_000);
        assert!(matches!(
            store.list_items(&search(huge)).await,
            Err(StoreError::Search(SearchError::TooLong { chars: 60_000 }))
        ));
        let many = "bins ".repeat(super::super::MAX_SEARCH_WORDS + 1);
        assert!(matches!(
            store.list_items(&search(many)).await,
            Err(StoreError::Search(SearchError::TooManyWords { .. }))
        ));
        let fine = "bins ".repeat(super::super::MAX_SEARCH_WORDS);
        assert!(store.list_items(&search(fine)).await.is_ok());
    }

    /// Every filter shape's page walks indexes in order: no sort of the
    /// matches (which would grow with the items), whatever the statuses,
    /// newest or oldest first; the open queue by priority walks its own
    /// index. (By priority within a place, tag, owner, path or search, the
    /// matches are sorted: such filters hold a fraction of the items.)
    #[tokio::test]
    async fn pages_never_sort() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("plan.db")).await.unwrap();
        let mut conn = store
            .inbox_readers("test")
            .unwrap()
            .acquire()
            .await
            .unwrap();
        let words = Some("bins".to_owned());
        let shapes = [
            ItemFilter::default(),
            ItemFilter {
                place: Some("Croydon".into()),
                ..Default::default()
            },
            ItemFilter {
                tag: Some("roads".into()),
                ..Default::default()
            },
            ItemFilter {
                owner: Some("sam".into()),
                ..Default::default()
            },
            ItemFilter {
                priority: Some(Priority::Urgent),
                ..Default::default()
            },
            ItemFilter {
                reply_path: Some(ReplyPath::Api),
                ..Default::default()
            },
            ItemFilter {
                text: words.clone(),
                ..Default::default()
            },
            ItemFilter {
                text: words.clone(),
                place: Some("Purley".into()),
                ..Default::default()
            },
            ItemFilter {
                conversation_id: Some(7),
                text: words.clone(),
                ..Default::default()
            },
            ItemFilter {
                place: Some("Purley".into()),
                owner: Some("jo".into()),
                ..Default::default()
            },
            ItemFilter {
                teams: Some(vec![3]),
                ..Default::default()
            },
            ItemFilter {
                teams: Some(vec![3, 4]),
                ..Default::default()
            },
            ItemFilter {
                teams: Some(vec![3]),
                text: words.clone(),
                ..Default::default()
            },
            // A report's drill-down: days alone, and with a facet or words.
            ItemFilter {
                from: Some(time::macros::date!(2026 - 11 - 01)),
                to: Some(time::macros::date!(2026 - 11 - 30)),
                ..Default::default()
            },
            ItemFilter {
                from: Some(time::macros::date!(2026 - 11 - 01)),
                to: Some(time::macros::date!(2026 - 11 - 30)),
                place: Some("Croydon".into()),
                ..Default::default()
            },
            ItemFilter {
                from: Some(time::macros::date!(2026 - 11 - 01)),
                owner: Some("sam".into()),
                ..Default::default()
            },
            ItemFilter {
                to: Some(time::macros::date!(2026 - 11 - 30)),
                text: words.clone(),
                lang: Some("cy".into()),
                ..Default::default()
            },
        ];
        let mut cases = Vec::new();
        for shape in shapes {
            for (status, open) in [(None, false), (Some(Status::New), false), (None, true)] {
                for sort in [Sort::Newest, Sort::OldestWaiting] {
                    cases.push(ItemFilter {
                        status,
                        open,
                        sort,
                        ..shape.clone()
                    });
                }
            }
        }
        for priority in [None, Some(Priority::High)] {
            cases.push(ItemFilter {
                open: true,
                sort: Sort::Priority,
                priority,
                ..Default::default()
            });
        }
        for filter in cases {
            {
                let plan = Plan::new(&filter).unwrap();
                let keysets = [
                    None,
                    Some(Keyset {
                        post_id: 1,
                        rank: 2,
                    }),
                ];
                for before in keysets {
                    let mut explain = page_query("EXPLAIN QUERY PLAN ", &plan, before, 50);
                    let rows = explain.build().fetch_all(&mut *conn).await.unwrap();
                    let steps: Vec<String> =
                        rows.iter().map(|r| r.get::<String, _>("detail")).collect();
                    assert!(
                        !steps.iter().any(|s| s.contains("TEMP B-TREE")),
                        "{filter:?} sorts: {steps:#?}"
                    );
                }
            }
        }
    }
}
