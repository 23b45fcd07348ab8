//! What the store records in one transaction: a [`PageBatch`].

use serde::Serialize;

use super::{CursorMove, TaggedPost};
use crate::domain::post::{Author, Post};

/// What kind of read a page was billed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadKind {
    /// Posts read through search.
    PostRead,
    /// Posts read from the council's own timelines (mentions, own posts).
    OwnedRead,
}

impl ReadKind {
    /// The stored name: `post_read` or `owned_read`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadKind::PostRead => "post_read",
            ReadKind::OwnedRead => "owned_read",
        }
    }
}

/// One page a monitor read (or several, for callers that store many posts
/// in one step), tagged, with the cursor move it makes: stored whole or not
/// at all.
#[derive(Debug, Clone, PartialEq)]
pub struct PageBatch {
    /// The monitor's name (its cursor's key).
    pub monitor: String,
    /// The query it ran.
    pub query: String,
    /// How the cursor moves: to the cycle's new `since_id` on its last page,
    /// or to a resume point while more pages follow.
    pub cursor: CursorMove,
    /// Posts that matched, each to become (or join) a triage item.
    pub matched: Vec<TaggedPost>,
    /// Authors of the matched and context posts.
    pub authors: Vec<Author>,
    /// Posts the matched ones reply to or quote: stored, never items.
    pub context: Vec<Post>,
    /// Billable reads of the page.
    pub reads: u64,
    pub read_kind: ReadKind,
    /// When the page was read, RFC 3339; also the month its reads count in.
    pub at: String,
    /// The spool number of the page, when the poller spooled it (see
    /// `poller::spool`): stored with the cursor, so that a restart stores
    /// only the spooled pages after it.
    pub spooled_through: Option<u64>,
}
