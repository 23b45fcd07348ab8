//! Where a poll's pages come from, one at a time ([`Pages::next`]): first the
//! pages an earlier run read and spooled but did not store (it was killed
//! first), replayed from the spool in order; then X's, each asked for as
//! soon as the previous page's `next_token` is known, so X prepares it while
//! the previous page is tagged and stored (fetch-ahead), each within the
//! month's read budget and spooled as it arrives.
//!
//! Paging stops after the cycle's last page, when the budget has no room for
//! another page, when a `next_token` comes back that this poll followed
//! already (X would serve the same pages for ever), or on shutdown. Stopping
//! early leaves the cycle pending: the next poll resumes it with `until_id`.
//! The page asked for and not taken is dropped with the `Pages` (its task is
//! aborted): nothing of it is stored, and if it was spooled already the next
//! poll stores it from the spool.

use std::collections::HashSet;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::plan::{Monitor, Source};
use super::spool::SpooledPage;
use super::{PAGE_SIZE, PollError, Poller, lock};
use crate::domain::ingest::{Cursor, CycleState};
use crate::x::client::{SearchRequest, TimelineRequest};
use crate::x::{Page, XError};

/// A page read (from X, or from the spool), with what the cycle needs to know.
pub(super) struct ReadPage {
    pub page: Page,
    /// Its spool number, if it is in the spool.
    pub spooled: Option<u64>,
    /// Whether the cycle has more pages (`next_token`), followed or not.
    pub more: bool,
}

/// What every request of a poll to X carries (X's rule: the `next_token`
/// pages keep the first request's parameters).
#[derive(Clone)]
struct Window {
    since_id: Option<u64>,
    until_id: Option<u64>,
    start_time: Option<String>,
}

/// A page on its way from X: fetched, decoded and spooled in a task.
type Fetching = JoinHandle<Result<(Page, Option<u64>), XError>>;

/// The pages of one poll of one monitor (see the module docs).
pub(super) struct Pages<'a> {
    poller: &'a Poller,
    monitor: &'a Monitor,
    /// Spooled pages still to replay, in order.
    spooled: std::vec::IntoIter<(u64, SpooledPage)>,
    /// The highest spool number found, replayed or not.
    spooled_last: u64,
    /// Whether this poll replays spooled pages.
    replays: bool,
    /// The spool number of the last page read: the next is numbered after it.
    number: u64,
    /// Set by the first request to X.
    window: Option<Window>,
    /// The page asked for ahead.
    ahead: Option<Fetching>,
    /// The `next_token`s this poll followed.
    tokens: HashSet<String>,
    /// No more pages this poll.
    done: bool,
}

impl Drop for Pages<'_> {
    fn drop(&mut self) {
        if let Some(ahead) = self.ahead.take() {
            ahead.abort();
        }
    }
}

impl<'a> Pages<'a> {
    /// The pages of `monitor`'s next poll, its cursor being `cursor`.
    pub(super) fn new(
        poller: &'a Poller,
        monitor: &'a Monitor,
        cursor: Option<&Cursor>,
    ) -> Result<Pages<'a>, PollError> {
        let stored_through = cursor.map_or(0, |c| c.spooled_through);
        let spooled = match &poller.spool {
            Some(spool) => spool
                .pages(&monitor.key, stored_through)
                .map_err(PollError::Spool)?,
            None => Default::default(),
        };
        if !spooled.pages.is_empty() {
            info!(
                monitor = %monitor.key,
                pages = spooled.pages.len(),
                "storing the pages an earlier run read and did not store"
            );
        }
        Ok(Pages {
            poller,
            monitor,
            replays: !spooled.pages.is_empty(),
            spooled_last: spooled.last,
            spooled: spooled.pages.into_iter(),
            number: stored_through,
            window: None,
            ahead: None,
            tokens: HashSet::new(),
            done: false,
        })
    }

    /// Whether this poll stores pages an earlier run read.
    pub(super) fn replays(&self) -> bool {
        self.replays
    }

    /// The next page of the cycle `cycle` (as the pages before it left it),
    /// or `None` when this poll reads no more.
    pub(super) async fn next(
        &mut self,
        cycle: &CycleState,
        shutdown: &CancellationToken,
    ) -> Result<Option<ReadPage>, PollError> {
        if self.done {
            return Ok(None);
        }
        if let Some(replayed) = self.replay() {
            return Ok(Some(replayed));
        }
        if self.window.is_none() {
            self.first_request(cycle).await?;
        }
        let Some(ahead) = self.ahead.as_mut() else {
            return Ok(None);
        };
        let fetched = tokio::select! {
            fetched = ahead => fetched,
            () = shutdown.cancelled() => return Ok(self.stop()),
        };
        self.ahead = None;
        let (page, spooled) = match fetched {
            Ok(fetched) => fetched?,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return Ok(self.stop()), // The runtime is shutting down.
        };
        let more = page.meta.next_token.is_some();
        self.ask_ahead(page.meta.next_token.as_deref());
        Ok(Some(ReadPage {
            page,
            spooled,
            more,
        }))
    }

    /// The page is stored: its spool file goes.
    pub(super) fn stored(&self, page: &ReadPage) {
        if let (Some(spool), Some(number)) = (&self.poller.spool, page.spooled) {
            spool.remove(&self.monitor.key, number, number);
        }
    }

    fn stop(&mut self) -> Option<ReadPage> {
        self.done = true;
        None
    }

    /// The next spooled page, if any is left. After the cycle's last page,
    /// nothing spooled belongs to it (none should exist): it is dropped,
    /// never replayed into the next cycle.
    fn replay(&mut self) -> Option<ReadPage> {
        let (number, spooled) = self.spooled.next()?;
        self.number = number;
        let page = spooled.into_page();
        let more = page.meta.next_token.is_some();
        if !more {
            self.done = true;
            if number < self.spooled_last {
                warn!(monitor = %self.monitor.key, "dropping spooled pages after a cycle's last page");
                if let Some(spool) = &self.poller.spool {
                    spool.remove(&self.monitor.key, number + 1, self.spooled_last);
                }
            }
        }
        Some(ReadPage {
            page,
            spooled: Some(number),
            more,
        })
    }

    /// Asks X for the poll's first page, if the month's budget allows: after
    /// `cycle`'s `since_id` (or, backfilling, from `start_time`) and below
    /// what the cycle stored so far (`until_id`).
    async fn first_request(&mut self, cycle: &CycleState) -> Result<(), PollError> {
        let budget = self.poller.forecast().await?;
        let granted = (!budget.exhausted).then(|| self.poller.grant()).flatten();
        let Some(max_results) = granted else {
            return Err(PollError::BudgetSpent {
                used: lock(&self.poller.reads).used(),
                limit: budget.limit.unwrap_or_default(),
            });
        };
        let window = Window {
            since_id: cycle.since_id,
            until_id: cycle.until_id(),
            start_time: cycle
                .since_id
                .is_none()
                .then(|| self.poller.backfill_start()),
        };
        if let Some(until_id) = window.until_id {
            info!(monitor = %self.monitor.key, until_id, "resuming an unfinished cycle");
        }
        self.ahead = Some(self.fetch(&window, None, max_results));
        self.window = Some(window);
        Ok(())
    }

    /// Asks for the page after the one just read, if there is one to follow
    /// and the budget has room; otherwise this poll reads no more.
    fn ask_ahead(&mut self, next_token: Option<&str>) {
        let Some(token) = next_token else {
            self.done = true;
            return;
        };
        if !self.tokens.insert(token.to_owned()) {
            warn!(monitor = %self.monitor.key, "X sent a next_token this poll followed already: paging stops, and the next poll resumes below what is stored");
            self.done = true;
            return;
        }
        let Some(window) = self.window.clone() else {
            self.done = true;
            return;
        };
        match self.poller.grant() {
            Some(max_results) => {
                self.ahead = Some(self.fetch(&window, Some(token.to_owned()), max_results));
            }
            None => {
                info!(monitor = %self.monitor.key, "the month's read budget is spent: the cycle resumes when it allows more");
                self.done = true;
            }
        }
    }

    /// Asks for one page of the cycle, the first (`token` is `None`) or the
    /// next, of at most `max_results` posts (granted by the ledger, which
    /// gets back what the page came without), in a task of its own: it is
    /// fetched, decoded and spooled as the next page number (the `Some`
    /// beside it says it was) while the caller goes on.
    fn fetch(&mut self, window: &Window, token: Option<String>, max_results: u64) -> Fetching {
        self.number += 1;
        let number = self.number;
        let window = window.clone();
        let client = self.poller.client.clone();
        let (spool, reads) = (self.poller.spool.clone(), self.poller.reads.clone());
        let key = self.monitor.key.clone();
        let spooled = move |fetched: Result<Page, XError>| {
            // What X did not serve is free again. A body cut short may have
            // been billed whole: its grant stays spent.
            let served = match &fetched {
                Ok(page) => Some(page.posts.len() as u64),
                Err(XError::Transport(_) | XError::Decode { .. }) => None,
                Err(_) => Some(0),
            };
            if let Some(served) = served {
                lock(&reads).settle(max_results, served);
            }
            let page = fetched?;
            let Some(spool) = spool else {
                return Ok((page, None));
            };
            // A failure only costs a re-read after a crash: go on without.
            match spool.write(&key, number, &page) {
                Ok(()) => Ok((page, Some(number))),
                Err(e) => {
                    warn!(monitor = %key, error = %e, "could not spool a page");
                    Ok((page, None))
                }
            }
        };
        let max_results = Some(page_size(max_results));
        match &self.monitor.source {
            Source::Search { query } => {
                let req = SearchRequest {
                    query: query.clone(),
                    since_id: window.since_id,
                    until_id: window.until_id,
                    start_time: window.start_time,
                    max_results,
                    next_token: token,
                };
                tokio::spawn(async move { spooled(client.search_recent(&req).await) })
            }
            Source::Mentions { user_id } => {
                let req = TimelineRequest {
                    since_id: window.since_id,
                    until_id: window.until_id,
                    max_results,
                    pagination_token: token,
                    ..TimelineRequest::default()
                };
                let user_id = *user_id;
                tokio::spawn(async move { spooled(client.user_mentions(user_id, &req).await) })
            }
        }
    }
}

/// A granted page size as `max_results` (at most [`PAGE_SIZE`]).
fn page_size(granted: u64) -> u8 {
    u8::try_from(granted).map_or(PAGE_SIZE, |n| n.min(PAGE_SIZE))
}
