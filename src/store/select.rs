//! Everything an inbox filter matches, on every page: how many items
//! ([`Store::count_matching`], from the same counts as the inbox's tabs) and
//! which ([`Store::matching_ids`], the page query without its page), for
//! the desk's bulk actions on a whole view; and every item of a filter a
//! page at a time without the counts ([`Store::items_page`]), for the
//! inbox's CSV download.

use sqlx::{Row, SqliteConnection};

use super::inbox::{ItemFilter, TimeBudget, counts, is_interrupt, page_query};
use super::items::ItemRow;
use super::plan::{Driver, Plan};
use super::{Engine, SEARCH_BUDGET, SearchError, Store, StoreError, pg_inbox};
use crate::domain::triage::Status;

/// Whether the store would run `filter` (a search neither too long nor of
/// too many words), without running it.
pub fn check_filter(filter: &ItemFilter) -> Result<(), StoreError> {
    Plan::new(filter).map(|_| ())
}

impl Store {
    /// How many items `filter` matches on all its pages: the count of its
    /// status (or of the open statuses, or of every status) that the inbox's
    /// tabs show. Its page (`before`, `limit`) is ignored.
    pub async fn count_matching(&self, filter: &ItemFilter) -> Result<u64, StoreError> {
        let plan = Plan::new(filter)?;
        if plan.matches_nothing {
            return Ok(0);
        }
        let counts = match self.engine {
            // Without a counter row to read, PostgreSQL counts only the
            // filter's statuses: the open items of a common word are a few
            // thousand rows of the table, all its statuses over a hundred
            // thousand.
            Engine::Postgres if plan.counter_facet().is_none() => {
                return self
                    .read_planned_pg(&plan, async |conn, pg| {
                        pg_inbox::count_matching(conn, pg).await
                    })
                    .await;
            }
            Engine::Sqlite => {
                self.read_planned(&plan, async |conn| counts(conn, &plan).await)
                    .await?
            }
            Engine::Postgres => {
                self.read_planned_pg(&plan, async |conn, pg| pg_inbox::counts(conn, pg).await)
                    .await?
            }
        };
        let counted = |s: Status| match filter.status {
            Some(status) => s == status,
            None if filter.open => s.is_open(),
            None => true,
        };
        Ok(counts
            .iter()
            .filter(|(s, _)| counted(*s))
            .map(|(_, n)| n)
            .sum())
    }

    /// The ids of the items `filter` matches, in its order from the first
    /// page on, at most `max` + 1 (more than `max` means there are more).
    pub async fn matching_ids(
        &self,
        filter: &ItemFilter,
        max: u32,
    ) -> Result<Vec<i64>, StoreError> {
        let filter = ItemFilter {
            before: None,
            ..filter.clone()
        };
        let plan = Plan::new(&filter)?;
        if plan.matches_nothing {
            return Ok(Vec::new());
        }
        if self.engine == Engine::Postgres {
            return self
                .read_planned_pg(&plan, async |conn, pg| {
                    pg_inbox::page(conn, pg, None, max).await
                })
                .await;
        }
        self.read_planned(&plan, async |conn| {
            let rows = page_query("", &plan, None, max)
                .build()
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|row| row.try_get("id").map_err(StoreError::from))
                .collect()
        })
        .await
    }

    /// One page of the items `filter` matches, in its order, without the
    /// per-status counts of [`Store::list_items`]; and where the next page
    /// starts (`filter.before`), `None` on the last. A page is at most 500.
    pub async fn items_page(
        &self,
        filter: &ItemFilter,
    ) -> Result<(Vec<ItemRow>, Option<i64>), StoreError> {
        let plan = Plan::new(filter)?;
        if plan.matches_nothing {
            return Ok((Vec::new(), None));
        }
        let limit = filter.limit.clamp(1, 500);
        let (ids, next) = if self.engine == Engine::Postgres {
            self.read_planned_pg(&plan, async |conn, pg| {
                let before = match filter.before {
                    None => None,
                    Some(id) => Some(pg_inbox::keyset_of(conn, id).await?),
                };
                let mut ids = pg_inbox::page(conn, pg, before, limit).await?;
                let more = ids.len() > limit as usize;
                ids.truncate(limit as usize);
                let next = more.then(|| ids.last().copied()).flatten();
                Ok((ids, next))
            })
            .await?
        } else {
            self.read_planned(&plan, async |conn| {
                let before = match filter.before {
                    None => None,
                    Some(id) => Some(super::inbox::keyset_of(conn, id).await?),
                };
                let rows = page_query("", &plan, before, limit)
                    .build()
                    .fetch_all(&mut *conn)
                    .await?;
                let mut ids: Vec<i64> = rows
                    .iter()
                    .map(|row| row.try_get("id"))
                    .collect::<Result<_, _>>()?;
                let more = ids.len() > limit as usize;
                ids.truncate(limit as usize);
                Ok((ids.clone(), more.then(|| ids.last().copied()).flatten()))
            })
            .await?
        };
        Ok((self.items_in_order(&ids).await?, next))
    }

    /// Runs `read` on a reader; a full-text search first takes one of the
    /// search places and runs within the search time budget (see
    /// [`Store::list_items`]).
    pub(super) async fn read_planned<T>(
        &self,
        plan: &Plan<'_>,
        read: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let readers = self.inbox_readers("the inbox")?;
        if plan.driver != Driver::Text {
            let mut conn = readers.acquire().await?;
            return read(&mut conn).await;
        }
        let _place = self
            .searches
            .acquire()
            .await
            .expect("the search semaphore is never closed");
        let mut conn = readers.acquire().await?;
        let budget = TimeBudget::start(&mut conn, SEARCH_BUDGET).await?;
        match read(&mut conn).await {
            Err(StoreError::Db(e)) if budget.ran_out() && is_interrupt(&e) => {
                Err(SearchError::TooSlow {
                    budget: SEARCH_BUDGET,
                }
                .into())
            }
            other => other,
        }
    }
}
