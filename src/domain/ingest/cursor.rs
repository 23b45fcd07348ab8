//! A monitor's cursor and how a poll cycle moves it, page by page.
//!
//! X's polling rule: a cycle's requests all carry the previous cycle's
//! `since_id` (or, for a backfill, `start_time`), through every `next_token`
//! page, and the cycle's first page's `newest_id` becomes the next
//! `since_id` once its last page is stored. A cycle cut short (a crash, a
//! shutdown, an error, the month's budget) is [`Pending`]: the resumed
//! cycle's requests also carry `until_id`, the oldest id it had stored, so
//! X sends only what is older. [`CycleState`] says which [`CursorMove`] each
//! page makes; the store makes it in the page's transaction.

use serde::Serialize;

/// Where a monitor stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cursor {
    pub monitor: String,
    /// The query the cursor belongs to.
    pub query: String,
    /// The first page's newest post id of the last complete cycle; `None`
    /// until a cycle completed with posts.
    pub since_id: Option<u64>,
    /// The cycle in progress, if the last one did not finish.
    pub pending: Option<Pending>,
    /// RFC 3339 UTC.
    pub last_poll_at: Option<String>,
    pub posts_read: u64,
    /// Triage items filed from its pages (posts no monitor had found
    /// before).
    pub items_filed: u64,
    /// When `items_filed` began counting (RFC 3339 UTC), for a cursor older
    /// than the count (schema 10); `None`: from the cursor's first page.
    pub items_filed_since: Option<String>,
    /// The number of the last spooled page stored (see `poller::spool`);
    /// 0 before any.
    pub spooled_through: u64,
}

/// An unfinished cycle: where it resumes and what it will move `since_id` to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// The cycle's first page's `newest_id` (`None` if that page was empty).
    pub newest_id: Option<u64>,
    /// The oldest post id read so far: the resumed cycle's `until_id`.
    pub until_id: u64,
}

/// How a stored page moves its monitor's cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorMove {
    /// The page completes its cycle: `since_id` becomes this (kept when
    /// `None`, a cycle that found nothing) and the pending cycle is cleared.
    Complete { since_id: Option<u64> },
    /// More pages of the cycle follow: `since_id` stays, the cycle is pending.
    /// `None` fields keep what the pending cycle already had.
    Pending {
        newest_id: Option<u64>,
        until_id: Option<u64>,
    },
}

/// One cycle of one monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleState {
    /// The last complete cycle's checkpoint; `None`: backfill with `start_time`.
    pub since_id: Option<u64>,
    /// Whether the cycle was left pending by an earlier run.
    resumed: bool,
    /// The cycle's first page's `newest_id`, once that page is in.
    newest_id: Option<u64>,
    /// The oldest post id read so far in the cycle.
    oldest_id: Option<u64>,
    /// Whether the cycle's first page is in (now, or before a restart).
    started: bool,
}

impl CycleState {
    /// A new cycle after `since_id`, or the pending one resumed.
    pub fn new(since_id: Option<u64>, pending: Option<Pending>) -> CycleState {
        match pending {
            None => CycleState {
                since_id,
                resumed: false,
                newest_id: None,
                oldest_id: None,
                started: false,
            },
            Some(p) => CycleState {
                since_id,
                resumed: true,
                newest_id: p.newest_id,
                oldest_id: Some(p.until_id),
                started: true,
            },
        }
    }

    /// The cycle a monitor's next page belongs to: the one `cursor` left
    /// pending, or a new one after its `since_id` (a backfill without a cursor).
    pub fn from_cursor(cursor: Option<&Cursor>) -> CycleState {
        CycleState::new(
            cursor.and_then(|c| c.since_id),
            cursor.and_then(|c| c.pending),
        )
    }

    /// Whether this run resumes a cycle an earlier run left unfinished.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// The `until_id` for a run's requests: the oldest post id of the cycle
    /// stored so far, so X sends only what is older; `None` before the
    /// cycle's first page. A run reads it once, before its first request:
    /// the `next_token` pages that follow carry the same one.
    pub fn until_id(&self) -> Option<u64> {
        self.oldest_id
    }

    /// Takes in a page (its `meta.newest_id` and `meta.oldest_id`) and says
    /// how the cursor moves when it is stored: pending while `more` pages
    /// follow, complete otherwise.
    pub fn page(&mut self, newest: Option<u64>, oldest: Option<u64>, more: bool) -> CursorMove {
        if !self.started {
            self.newest_id = newest;
            self.started = true;
        }
        self.oldest_id = match (self.oldest_id, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if more {
            CursorMove::Pending {
                newest_id: self.newest_id,
                until_id: self.oldest_id,
            }
        } else {
            CursorMove::Complete {
                since_id: self.newest_id,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_cycle_keeps_since_id_until_its_last_page() {
        let mut c = CycleState::new(Some(100), None);
        assert!(!c.resumed());
        assert_eq!(c.until_id(), None, "a new cycle reads from the newest");
        assert_eq!(
            c.page(Some(900), Some(800), true),
            CursorMove::Pending {
                newest_id: Some(900),
                until_id: Some(800)
            }
        );
        assert_eq!(
            c.until_id(),
            Some(800),
            "a run that resumed now reads below"
        );
        // Later pages never change the checkpoint, only the resume point.
        assert_eq!(
            c.page(Some(799), Some(500), true),
            CursorMove::Pending {
                newest_id: Some(900),
                until_id: Some(500)
            }
        );
        assert_eq!(
            c.page(Some(499), Some(101), false),
            CursorMove::Complete {
                since_id: Some(900)
            }
        );
        assert_eq!(c.since_id, Some(100), "requests keep the old since_id");
    }

    #[test]
    fn a_resumed_cycle_reads_below_its_resume_point_and_completes_with_its_first_newest() {
        let pending = Pending {
            newest_id: Some(900),
            until_id: 500,
        };
        let mut c = CycleState::new(Some(100), Some(pending));
        assert!(c.resumed());
        assert_eq!(c.until_id(), Some(500));
        assert_eq!(
            c.page(Some(499), Some(300), true),
            CursorMove::Pending {
                newest_id: Some(900),
                until_id: Some(300)
            }
        );
        assert_eq!(
            c.page(Some(299), Some(101), false),
            CursorMove::Complete {
                since_id: Some(900)
            }
        );
    }

    #[test]
    fn empty_cycles_keep_the_checkpoint() {
        let mut c = CycleState::new(Some(100), None);
        assert_eq!(
            c.page(None, None, false),
            CursorMove::Complete { since_id: None }
        );
        // A backfill whose first page is empty but has a token: nothing to
        // resume from yet, and no checkpoint to set.
        let mut b = CycleState::new(None, None);
        assert_eq!(
            b.page(None, None, true),
            CursorMove::Pending {
                newest_id: None,
                until_id: None
            }
        );
        assert_eq!(
            b.page(Some(50), Some(40), false),
            CursorMove::Complete { since_id: None }
        );
    }
}
