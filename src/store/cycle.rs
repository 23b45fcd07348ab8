//! One poll cycle, stored whole: [`Store::record_cycle`] writes the authors,
//! the posts (matched and context), the new or merged triage items with their
//! audit entries, the usage counter and the monitor's cursor in one
//! transaction. Either all of it is stored or none of it, so a crash anywhere
//! leaves the cursor where the stored posts are, and the next poll re-reads
//! exactly what was lost.

use serde_json::json;
use sqlx::SqliteConnection;

use super::audit::{self, NewAudit};
use super::codec::{self, id_to_db, opt_id_to_db};
use super::items::labels;
use super::posts::{insert_post, upsert_author};
use super::usage::{self, ReadKind};
use super::{Store, StoreError, cursors};
use crate::domain::post::{Author, Post};
use crate::domain::triage::{Decision, Flags, ReplyPath, Status};

/// What one poll cycle of one monitor read.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// The monitor's name (its cursor's key).
    pub monitor: String,
    /// The query it ran.
    pub query: String,
    /// The first page's `newest_id`; `None` when the cycle found nothing (the
    /// cursor keeps its `since_id`).
    pub new_since_id: Option<u64>,
    /// Posts that matched, each to become (or join) a triage item.
    pub matched: Vec<MatchedPost>,
    /// Authors of the matched and context posts.
    pub authors: Vec<Author>,
    /// Posts the matched ones reply to or quote: stored, never items.
    pub context: Vec<Post>,
    /// Billable reads of the cycle.
    pub reads: u64,
    pub read_kind: ReadKind,
    /// When the cycle ran, RFC 3339; also the month its reads count in.
    pub at: String,
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
    /// Stores one poll cycle in ONE transaction: upserts the authors; inserts
    /// the matched and context posts byte-exact unless already stored; files a
    /// triage item for each matched post (status `new`, or `dismissed` when the
    /// rules dismissed it) with an `item.created` audit entry by `placewatch`,
    /// or merges the places, tags and rules into the post's existing item
    /// (never a second item for a post); adds the reads to the month's usage;
    /// and advances the monitor's cursor. On any error nothing is stored and
    /// the cursor stays where it was.
    pub async fn record_cycle(&self, cycle: &Cycle) -> Result<CycleOutcome, StoreError> {
        let (at, month) = codec::timestamp_and_month(&cycle.at)?;
        let mut tx = self.begin_write().await?;
        let mut outcome = CycleOutcome::default();
        for author in &cycle.authors {
            upsert_author(&mut tx, author, &at).await?;
        }
        let posts = cycle.matched.iter().map(|m| &m.post).chain(&cycle.context);
        for post in posts {
            if insert_post(&mut tx, post, &at).await? {
                outcome.new_posts += 1;
            }
        }
        for matched in &cycle.matched {
            if let Some(id) = create_item(&mut tx, matched, &at).await? {
                outcome.new_items.push(id);
                continue;
            }
            let id = merge_item(&mut tx, matched, &at).await?;
            if !outcome.new_items.contains(&id) && !outcome.merged_items.contains(&id) {
                outcome.merged_items.push(id);
            }
        }
        usage::add(&mut tx, &month, cycle.read_kind, cycle.reads).await?;
        let read = u64::try_from(cycle.matched.len()).unwrap_or(u64::MAX);
        cursors::advance(
            &mut tx,
            &cycle.monitor,
            &cycle.query,
            cycle.new_since_id,
            &at,
            read,
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

/// Files the item of a matched post; `None` if the post already has one.
async fn create_item(
    conn: &mut SqliteConnection,
    matched: &MatchedPost,
    at: &str,
) -> Result<Option<i64>, StoreError> {
    let post_id = id_to_db(matched.post.id, "post id")?;
    let decision = &matched.decision;
    let status = if decision.dismissed {
        Status::Dismissed
    } else {
        Status::New
    };
    let places = codec::dedup(&matched.places);
    let tags = codec::dedup(&decision.tags);
    let rules = codec::dedup(&decision.matched_rules);
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO items (post_id, conversation_id, status, priority, owner, reply_path, \
         summoned, rules, flags, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (post_id) DO NOTHING RETURNING id",
    )
    .bind(post_id)
    .bind(opt_id_to_db(
        matched.post.conversation_id,
        "conversation id",
    )?)
    .bind(status.as_str())
    .bind(decision.priority.as_str())
    .bind(&decision.owner)
    .bind(matched.reply_path.as_str())
    .bind(matched.flags.summoned)
    .bind(codec::to_json(&rules))
    .bind(codec::to_json(&matched.flags))
    .bind(at)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    insert_labels(conn, Label::Place, id, post_id, 0, &places).await?;
    insert_labels(conn, Label::Tag, id, post_id, 0, &tags).await?;
    let entry = NewAudit {
        actor: "placewatch".to_owned(),
        action: "item.created".to_owned(),
        item_id: Some(id),
        before: None,
        after: Some(json!({
            "status": status.as_str(),
            "priority": decision.priority.as_str(),
            "owner": decision.owner,
            "places": places,
            "tags": tags,
            "rules": rules,
            "reply_path": matched.reply_path.as_str(),
        })),
        detail: None,
    };
    audit::insert(conn, &entry, at).await?;
    Ok(Some(id))
}

/// Adds a matched post's places, tags and rules to its existing item; audits
/// `item.merged` when that changed anything. Status, priority, owner, flags
/// and reply path stay: officers may have acted on them.
async fn merge_item(
    conn: &mut SqliteConnection,
    matched: &MatchedPost,
    at: &str,
) -> Result<i64, StoreError> {
    let post_id = id_to_db(matched.post.id, "post id")?;
    let (id, rules_json): (i64, String) =
        sqlx::query_as("SELECT id, rules FROM items WHERE post_id = ?")
            .bind(post_id)
            .fetch_one(&mut *conn)
            .await?;
    let old_rules: Vec<String> = codec::from_json(&rules_json, "item rules")?;
    let old_places = labels(conn, "item_places", "place", &[id])
        .await?
        .remove(&id);
    let old_tags = labels(conn, "item_tags", "tag", &[id]).await?.remove(&id);
    let (old_places, old_tags) = (old_places.unwrap_or_default(), old_tags.unwrap_or_default());

    let new_places = missing(&old_places, &matched.places);
    let new_tags = missing(&old_tags, &matched.decision.tags);
    let new_rules = missing(&old_rules, &matched.decision.matched_rules);
    if new_places.is_empty() && new_tags.is_empty() && new_rules.is_empty() {
        return Ok(id);
    }
    insert_labels(
        conn,
        Label::Place,
        id,
        post_id,
        old_places.len(),
        &new_places,
    )
    .await?;
    insert_labels(conn, Label::Tag, id, post_id, old_tags.len(), &new_tags).await?;
    let rules: Vec<&str> = old_rules
        .iter()
        .map(String::as_str)
        .chain(new_rules)
        .collect();
    sqlx::query("UPDATE items SET rules = ?, updated_at = ? WHERE id = ?")
        .bind(codec::to_json(&rules))
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let places: Vec<&str> = old_places
        .iter()
        .map(String::as_str)
        .chain(new_places)
        .collect();
    let tags: Vec<&str> = old_tags
        .iter()
        .map(String::as_str)
        .chain(new_tags)
        .collect();
    let entry = NewAudit {
        actor: "placewatch".to_owned(),
        action: "item.merged".to_owned(),
        item_id: Some(id),
        before: Some(json!({ "places": old_places, "tags": old_tags, "rules": old_rules })),
        after: Some(json!({ "places": places, "tags": tags, "rules": rules })),
        detail: None,
    };
    audit::insert(conn, &entry, at).await?;
    Ok(id)
}

/// The entries of `incoming` not in `existing`, deduplicated, in order.
fn missing<'a>(existing: &[String], incoming: &'a [String]) -> Vec<&'a str> {
    codec::dedup(incoming)
        .into_iter()
        .filter(|v| !existing.iter().any(|e| e == v))
        .collect()
}

/// The two label side tables of an item.
#[derive(Clone, Copy)]
enum Label {
    Place,
    Tag,
}

/// Appends `values` (already deduplicated and new to the item) to an item's
/// places or tags, numbering them from `start`.
async fn insert_labels(
    conn: &mut SqliteConnection,
    label: Label,
    item_id: i64,
    post_id: i64,
    start: usize,
    values: &[&str],
) -> Result<(), StoreError> {
    let sql = match label {
        Label::Place => {
            "INSERT INTO item_places (item_id, place, position, post_id) VALUES (?, ?, ?, ?)"
        }
        Label::Tag => "INSERT INTO item_tags (item_id, tag, position, post_id) VALUES (?, ?, ?, ?)",
    };
    for (i, value) in values.iter().enumerate() {
        let position = i64::try_from(start + i).unwrap_or(i64::MAX);
        sqlx::query(sql)
            .bind(item_id)
            .bind(*value)
            .bind(position)
            .bind(post_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
