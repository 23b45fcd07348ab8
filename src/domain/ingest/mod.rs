//! The ingest vocabulary: what the poller reads, decides and hands to the
//! store, page by page.
//!
//! - `cursor`: a monitor's [`Cursor`] (its `since_id` checkpoint and the
//!   [`Pending`] resume point of a cycle cut short), the [`CursorMove`] a
//!   stored page makes, and [`CycleState`], X's polling rule that says which
//!   move each page of a cycle makes;
//! - `tagger`: the [`Tagger`], which tags each post of a page with the place
//!   names it matched, its flags, reply path and the rules' decision
//!   ([`TaggedPost`], [`TaggedPage`]);
//! - `batch`: the [`PageBatch`] the store records in one transaction (a
//!   page's tagged posts, its authors and context, its reads and the cursor's
//!   move) and the [`ReadKind`] its reads are billed as.
//!
//! Pure: no I/O, no clock (a batch carries the time it was read, from the
//! caller); the rest of `domain` and serde only.

mod batch;
mod cursor;
mod tagger;

pub use batch::{PageBatch, ReadKind};
pub use cursor::{Cursor, CursorMove, CycleState, Pending};
pub use tagger::{TaggedPage, TaggedPost, Tagger};
