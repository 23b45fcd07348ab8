//! One page of a poll cycle, stored whole: [`Store::record_cycle`] writes the
//! authors, the posts (matched and context), the new or merged triage items
//! with their audit entries, the usage counter and the monitor's cursor (its
//! resume point, or its new `since_id` on the cycle's last page) in one
//! transaction. Either all of it is stored or none of it, so a crash anywhere
//! leaves the cursor where the stored posts are, and the next poll re-reads
//! exactly what was lost: at most the pages in flight (see `poller`).

use std::collections::HashSet;

use sqlx::SqliteConnection;

use super::audit;
use super::codec;
use super::cursors::{self, CursorMove};
use super::filing::{
    Existing, Filing, Merge, create_items, existing_items, merge_item, update_merged,
};
use super::posts::{insert_posts, upsert_authors};
use super::usage::{self, ReadKind};
use super::{Store, StoreError};
use crate::domain::post::{Author, Post};
use crate::domain::triage::{Decision, Flags, ReplyPath};

/// What one page of a poll cycle of one monitor read (or a whole cycle, for
/// callers that store one in a single step).
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// The monitor's name (its cursor's key).
    pub monitor: String,
    /// The query it ran.
    pub query: String,
    /// How the cursor moves: to the cycle's new `since_id` on its last page,
    /// or to a resume point while more pages follow.
    pub cursor: CursorMove,
    /// Posts that matched, each to become (or join) a triage item.
    pub matched: Vec<MatchedPost>,
    /// Authors of the matched and context posts.
    pub authors: Vec<Author>,
    /// Posts the matched ones reply to or quote: stored, never items.
    pub context: Vec<Post>,
    /// Billable reads of the page.
    pub reads: u64,
    pub read_kind: ReadKind,
    /// When the page was read, RFC 3339; also the month its reads count in.
    pub at: String,
    /// The spool number of the last page of this commit, when the poller
    /// spooled its pages (see `poller::spool`): stored with the cursor, so
    /// that a restart stores only the spooled pages after it.
    pub spooled_through: Option<u64>,
}

/// A post that matched, with what placewatch decided about it on arrival.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedPost {
    pub post: Post,
    /// The place names it matched.
    pub places: Vec<String>,
    /// What the rules decided (tags, priority, owner, dismissed).
    pub decision: Decision,
    pub flags: Flags,
    pub reply_path: ReplyPath,
}

/// What [`Store::record_cycle`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleOutcome {
    /// Items created by this cycle, in the order of `Cycle::matched`.
    pub new_items: Vec<i64>,
    /// Items that already existed (another monitor or an earlier cycle found
    /// the post) and took this cycle's places, tags and rules.
    pub merged_items: Vec<i64>,
    /// Posts stored for the first time, matched and context together.
    pub new_posts: u64,
}

impl Store {
    /// Stores one page of a poll cycle in ONE transaction: upserts the authors; inserts
    /// the matched and context posts byte-exact unless already stored; files a
    /// triage item for each matched post (status `new`, or `dismissed` when the
    /// rules dismissed it) with an `item.created` audit entry by `placewatch`,
    /// or merges the places, tags and rules into the post's existing item
    /// (never a second item for a post); adds the reads to the month's usage;
    /// and moves the monitor's cursor as `cycle.cursor` says. On any error
    /// nothing is stored and the cursor stays where it was. Storing the same
    /// page twice (a re-read after a crash) adds nothing but reads and usage.
    /// The items' rows are prepared ([`Filing`]) before the transaction
    /// begins, so it holds the write connection only to write.
    pub async fn record_cycle(&self, cycle: Cycle) -> Result<CycleOutcome, StoreError> {
        let filings = cycle
            .matched
            .iter()
            .map(Filing::new)
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.begin_write().await?;
        let outcome = write_cycle(&mut tx, &cycle, &filings).await?;
        tx.commit().await?;
        self.checkpoint_in_background();
        Ok(outcome)
    }
}

/// The body of [`Store::record_cycle`], inside its transaction; `filings`
/// are the matched posts' items, prepared.
async fn write_cycle(
    tx: &mut SqliteConnection,
    cycle: &Cycle,
    filings: &[Filing],
) -> Result<CycleOutcome, StoreError> {
    let (at, month) = codec::timestamp_and_month(&cycle.at)?;
    let mut outcome = CycleOutcome::default();
    upsert_authors(tx, &cycle.authors, &at).await?;
    let posts: Vec<&Post> = cycle
        .matched
        .iter()
        .map(|m| &m.post)
        .chain(&cycle.context)
        .collect();
    outcome.new_posts = insert_posts(tx, &posts, &at).await?;
    let created = create_items(tx, &cycle.matched, filings, &at).await?;
    // Filed before, or earlier in this very page: merge, looked up at once.
    let to_merge: Vec<i64> = filings
        .iter()
        .zip(&created)
        .filter(|(_, created)| created.is_none())
        .map(|(f, _)| f.post_id())
        .collect();
    let mut existing = existing_items(tx, &to_merge).await?;
    let new_items: HashSet<i64> = created.iter().flatten().copied().collect();
    let mut merged = HashSet::new();
    // Merges change the items in `existing`; each item is written once,
    // with every merge of this page applied, and each merge audited.
    let mut entries = Vec::new();
    let (mut changed, mut seen) = (Vec::new(), HashSet::new());
    for ((matched, filing), created) in cycle.matched.iter().zip(filings).zip(created) {
        if let Some(id) = created {
            outcome.new_items.push(id);
            continue;
        }
        let post_id = filing.post_id();
        let item = existing
            .get_mut(&post_id)
            .ok_or_else(|| StoreError::Corrupt(format!("post {post_id} has no item")))?;
        if let Some(entry) = merge_item(item, matched) {
            entries.push(entry);
            if seen.insert(post_id) {
                changed.push(post_id);
            }
        }
        if !new_items.contains(&item.id) && merged.insert(item.id) {
            outcome.merged_items.push(item.id);
        }
    }
    let changed: Vec<&Existing> = changed.iter().filter_map(|p| existing.get(p)).collect();
    update_merged(tx, &changed, &at).await?;
    let entries: Vec<_> = entries.iter().map(Merge::audit).collect();
    audit::insert_many(tx, &entries, &at).await?;
    usage::add(tx, &month, cycle.read_kind, cycle.reads).await?;
    let read = u64::try_from(cycle.matched.len()).unwrap_or(u64::MAX);
    let advance = cursors::Advance {
        monitor: &cycle.monitor,
        query: &cycle.query,
        movement: cycle.cursor,
        spooled_through: cycle.spooled_through,
        at: &at,
        read,
    };
    cursors::advance(tx, &advance).await?;
    Ok(outcome)
}
