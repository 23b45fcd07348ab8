//! The store's one door for ingest: [`Store::record_pages`] writes a
//! [`PageBatch`] (a page a monitor read, tagged) whole: the authors, the
//! posts (matched and context), the new or merged triage items with their
//! audit entries, the usage counter and the monitor's cursor (its resume
//! point, or its new `since_id` on the cycle's last page) in one
//! transaction. Either all of it is stored or none of it, so a crash
//! anywhere leaves the cursor where the stored posts are, and the next poll
//! re-reads exactly what was lost: at most the pages in flight (see
//! `poller`).
//!
//! Its parts: `posts` (authors and posts), `filing` (new items and merges
//! into existing ones), `derive` (the rows derived from new items), `cursor`
//! (the cursor's move), `audit` (the entries ingest appends) and `chunks`
//! (the multi-row statements they all use).

mod audit;
mod chunks;
mod cursor;
mod derive;
mod filing;
mod posts;

use sqlx::AnyConnection;

use self::filing::{Filing, create_items, merge_items};
use self::posts::{insert_posts, upsert_authors};
use super::usage;
use super::{Store, StoreError, codec};
use crate::domain::ingest::PageBatch;
use crate::domain::post::Post;

/// What [`Store::record_pages`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageOutcome {
    /// Items created, in the order of [`PageBatch::matched`].
    pub new_items: Vec<i64>,
    /// Items that already existed (another monitor or an earlier page found
    /// the post) and took this batch's places, tags and rules.
    pub merged_items: Vec<i64>,
    /// Posts stored for the first time, matched and context together.
    pub new_posts: u64,
}

impl Store {
    /// Stores a page batch in ONE transaction: upserts the authors; inserts
    /// the matched and context posts byte-exact unless already stored; files a
    /// triage item for each matched post (status `new`, or `dismissed` when the
    /// rules dismissed it) with an `item.created` audit entry by `placewatch`,
    /// or merges the places, tags and rules into the post's existing item
    /// (never a second item for a post); adds the reads to the month's usage;
    /// and moves the monitor's cursor as `batch.cursor` says. On any error
    /// nothing is stored and the cursor stays where it was. Storing the same
    /// page twice (a re-read after a crash) adds nothing but reads and usage.
    /// The items' rows are prepared ([`Filing`]) before the transaction
    /// begins, so it holds the write connection only to write.
    pub async fn record_pages(&self, batch: &PageBatch) -> Result<PageOutcome, StoreError> {
        let filings = batch
            .matched
            .iter()
            .map(Filing::new)
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.begin_write().await?;
        let outcome = write_pages(&mut tx, batch, &filings).await?;
        tx.commit().await?;
        self.checkpoint_in_background();
        Ok(outcome)
    }
}

/// The body of [`Store::record_pages`], inside its transaction; `filings`
/// are the matched posts' items, prepared.
async fn write_pages(
    tx: &mut AnyConnection,
    batch: &PageBatch,
    filings: &[Filing],
) -> Result<PageOutcome, StoreError> {
    let (at, month) = codec::timestamp_and_month(&batch.at)?;
    upsert_authors(tx, &batch.authors, &at).await?;
    let posts: Vec<&Post> = batch
        .matched
        .iter()
        .map(|m| &m.post)
        .chain(&batch.context)
        .collect();
    let new_posts = insert_posts(tx, &posts, &at).await?;
    let created = create_items(tx, &batch.matched, filings, &at).await?;
    let merged_items = merge_items(tx, &batch.matched, filings, &created, &at).await?;
    usage::add(tx, &month, batch.read_kind, batch.reads).await?;
    let advance = cursor::Advance {
        monitor: &batch.monitor,
        query: &batch.query,
        movement: batch.cursor,
        spooled_through: batch.spooled_through,
        at: &at,
        read: u64::try_from(batch.matched.len()).unwrap_or(u64::MAX),
        filed: created.iter().flatten().count() as u64,
    };
    cursor::advance(tx, &advance).await?;
    Ok(PageOutcome {
        new_items: created.into_iter().flatten().collect(),
        merged_items,
        new_posts,
    })
}
