//! Filing matched posts as triage items inside a page's transaction: new
//! items in multi-row inserts with their `item.created` audit entries, and
//! merges into items that already exist (another monitor, or an earlier
//! page, found the post). `UNIQUE (post_id)` guarantees one item per post
//! whatever the callers do. New items' place and tag rows, counters and search
//! documents are written set-based by `derive`, in the same transaction; a
//! merge's are kept by the schema's `items_derive_update` trigger.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::audit::{self, AuditRow};
use super::chunks;
use super::derive::{NewItem, derive_new};
use crate::domain::ingest::TaggedPost;
use crate::domain::triage::Status;
use crate::store::StoreError;
use crate::store::assignments::{self, Assignment};
use crate::store::codec::{self, id_to_db, opt_id_to_db};

/// A matched post's item as it will be filed, prepared before the
/// transaction begins: its lists deduplicated and its JSON columns (and its
/// `item.created` audit entry) serialised, so that the transaction, which
/// every other write waits for, only binds them.
pub(super) struct Filing {
    post_id: i64,
    conversation_id: Option<i64>,
    status: Status,
    places: Vec<String>,
    tags: Vec<String>,
    places_json: String,
    tags_json: String,
    rules_json: String,
    flags_json: String,
    /// The `item.created` entry's state after.
    created_json: String,
}

impl Filing {
    pub(super) fn new(m: &TaggedPost) -> Result<Filing, StoreError> {
        let status = status_on_arrival(m);
        let places = codec::dedup(&m.places);
        let tags = codec::dedup(&m.decision.tags);
        let rules = codec::dedup(&m.decision.matched_rules);
        let created = json!({
            "status": status.as_str(),
            "priority": m.decision.priority.as_str(),
            "owner": m.decision.owner,
            "team_name": m.decision.team,
            "places": places,
            "tags": tags,
            "rules": rules,
            "reply_path": m.reply_path.as_str(),
        });
        Ok(Filing {
            post_id: id_to_db(m.post.id, "post id")?,
            conversation_id: opt_id_to_db(m.post.conversation_id, "conversation id")?,
            status,
            places_json: codec::to_json(&places),
            tags_json: codec::to_json(&tags),
            rules_json: codec::to_json(&rules),
            flags_json: codec::to_json(&m.flags),
            created_json: codec::to_json(&created),
            places: places.into_iter().map(str::to_owned).collect(),
            tags: tags.into_iter().map(str::to_owned).collect(),
        })
    }
}

/// Files an item for each matched post that has none (`filings` are the
/// matched posts prepared, in the same order). Returns, per matched post,
/// the new item's id, or `None` where the post already had an item (or
/// appeared earlier in `matched`).
pub(super) async fn create_items(
    conn: &mut AnyConnection,
    matched: &[TaggedPost],
    filings: &[Filing],
    at: &str,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut created: HashMap<i64, i64> = HashMap::new();
    let rows: Vec<(&TaggedPost, &Filing)> = matched.iter().zip(filings).collect();
    let teams = team_ids(conn, matched).await?;
    let team_of = |m: &TaggedPost| {
        m.decision
            .team
            .as_deref()
            .and_then(|name| teams.get(&name.to_lowercase()).copied())
    };
    for chunk in chunks::split(&rows) {
        let sql = format!(
            "INSERT INTO items (post_id, conversation_id, status, priority, owner, team_id, \
             reply_path, summoned, places, tags, rules, flags, created_at, updated_at) \
             VALUES {} ON CONFLICT (post_id) DO NOTHING RETURNING id, post_id",
            chunks::placeholders(conn, chunk.len(), 14)
        );
        let mut query = sqlx::query(&sql);
        for (m, f) in chunk {
            query = query
                .bind(f.post_id)
                .bind(f.conversation_id)
                .bind(f.status.as_str())
                .bind(m.decision.priority.as_str())
                .bind(m.decision.owner.as_deref())
                .bind(team_of(m))
                .bind(m.reply_path.as_str())
                .bind(m.flags.summoned)
                .bind(&f.places_json)
                .bind(&f.tags_json)
                .bind(&f.rules_json)
                .bind(&f.flags_json)
                .bind(at)
                .bind(at);
        }
        for row in query.fetch_all(&mut *conn).await? {
            created.insert(row.try_get("post_id")?, row.try_get("id")?);
        }
    }
    let mut ids = Vec::with_capacity(matched.len());
    let mut entries = Vec::with_capacity(created.len());
    let mut new_items = Vec::with_capacity(created.len());
    let mut assigned = Vec::new();
    for (m, f) in rows {
        // The first occurrence of a post takes the id; later ones merge.
        let id = created.remove(&f.post_id);
        if let Some(id) = id {
            entries.push(AuditRow {
                actor: "placewatch",
                action: "item.created",
                item_id: Some(id),
                before: None,
                after: Some(&f.created_json),
                detail: None,
            });
            new_items.push(NewItem {
                id,
                post_id: f.post_id,
                status: f.status,
                priority: m.decision.priority.as_str(),
                owner: m.decision.owner.as_deref(),
                team: team_of(m),
                reply_path: m.reply_path.as_str(),
                places: f.places.iter().map(String::as_str).collect(),
                tags: f.tags.iter().map(String::as_str).collect(),
            });
        }
        if let Some(id) = id.filter(|_| m.decision.owner.is_some() || team_of(m).is_some()) {
            assigned.push(Assignment {
                item_id: id,
                owner: m.decision.owner.as_deref(),
                team: team_of(m),
                owner_before: None,
                team_before: None,
                by: "placewatch",
                audit_entry: None,
            });
        }
        ids.push(id);
    }
    derive_new(conn, &new_items).await?;
    audit::insert_many(conn, &entries, at).await?;
    assignments::recorded(conn, &assigned, None).await?;
    Ok(ids)
}

/// The ids of the teams the rules named for these posts, by lower-cased
/// name: one read, and none when no rule named a team. A rule's team is one
/// of the config's, which start-up copied into the store (a team renamed in
/// the desk since is not found, and the item is filed without a team).
async fn team_ids(
    conn: &mut AnyConnection,
    matched: &[TaggedPost],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut out = HashMap::new();
    if matched.iter().all(|m| m.decision.team.is_none()) {
        return Ok(out);
    }
    for row in sqlx::query("SELECT id, name FROM teams")
        .fetch_all(&mut *conn)
        .await?
    {
        let name: String = row.try_get("name")?;
        out.insert(name.to_lowercase(), row.try_get("id")?);
    }
    Ok(out)
}

/// Merges each matched post that [`create_items`] did not file (`created`
/// is `None`: filed before, or earlier in this very batch) into its item:
/// every merge of the batch applied, each item written once, each merge
/// that changed something audited. Returns the merged items' ids, once
/// each, without the items this batch created.
pub(super) async fn merge_items(
    conn: &mut AnyConnection,
    matched: &[TaggedPost],
    filings: &[Filing],
    created: &[Option<i64>],
    at: &str,
) -> Result<Vec<i64>, StoreError> {
    let to_merge: Vec<i64> = filings
        .iter()
        .zip(created)
        .filter(|(_, created)| created.is_none())
        .map(|(f, _)| f.post_id)
        .collect();
    let mut existing = existing_items(conn, &to_merge).await?;
    let new_items: HashSet<i64> = created.iter().flatten().copied().collect();
    let (mut merged, mut merged_seen) = (Vec::new(), HashSet::new());
    let (mut changed, mut changed_seen, mut merges) = (Vec::new(), HashSet::new(), Vec::new());
    for ((m, f), created) in matched.iter().zip(filings).zip(created) {
        if created.is_some() {
            continue;
        }
        let item = existing
            .get_mut(&f.post_id)
            .ok_or_else(|| StoreError::Corrupt(format!("post {} has no item", f.post_id)))?;
        if let Some(merge) = merge_item(item, m) {
            merges.push(merge);
            if changed_seen.insert(f.post_id) {
                changed.push(f.post_id);
            }
        }
        if !new_items.contains(&item.id) && merged_seen.insert(item.id) {
            merged.push(item.id);
        }
    }
    let changed: Vec<&Existing> = changed.iter().filter_map(|p| existing.get(p)).collect();
    update_merged(conn, &changed, at).await?;
    let entries: Vec<AuditRow<'_>> = merges.iter().map(Merge::audit).collect();
    audit::insert_many(conn, &entries, at).await?;
    Ok(merged)
}

/// `new`, or `dismissed` when a rule dismissed the post.
fn status_on_arrival(matched: &TaggedPost) -> Status {
    if matched.decision.dismissed {
        Status::Dismissed
    } else {
        Status::New
    }
}

/// An existing item's id and the lists a merge extends.
struct Existing {
    id: i64,
    places: Vec<String>,
    tags: Vec<String>,
    rules: Vec<String>,
}

/// The existing items of these posts, by post id: one `SELECT … IN (…)` per
/// chunk instead of one per post.
async fn existing_items(
    conn: &mut AnyConnection,
    post_ids: &[i64],
) -> Result<HashMap<i64, Existing>, StoreError> {
    let mut found = HashMap::with_capacity(post_ids.len());
    for chunk in chunks::split(post_ids) {
        let sql = format!(
            "SELECT post_id, id, places, tags, rules FROM items WHERE post_id IN {}",
            // One "row" of as many values as the chunk: `(?, ?, …)`.
            chunks::placeholders(conn, 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let existing = Existing {
                id: row.try_get("id")?,
                places: codec::from_json(row.try_get("places")?, "item places")?,
                tags: codec::from_json(row.try_get("tags")?, "item tags")?,
                rules: codec::from_json(row.try_get("rules")?, "item rules")?,
            };
            found.insert(row.try_get("post_id")?, existing);
        }
    }
    Ok(found)
}

/// Adds a matched post's places, tags and rules to its existing item's (in
/// `existing`, so a later merge of the same post starts from them). Returns
/// the merge to audit when that changed anything, `None` when the item
/// already had them all. Status, priority, owner, flags and reply path
/// stay: officers may have acted on them. Nothing is written: see
/// [`update_merged`].
fn merge_item(existing: &mut Existing, matched: &TaggedPost) -> Option<Merge> {
    let places = union(&existing.places, &matched.places);
    let tags = union(&existing.tags, &matched.decision.tags);
    let rules = union(&existing.rules, &matched.decision.matched_rules);
    if (places.len(), tags.len(), rules.len())
        == (
            existing.places.len(),
            existing.tags.len(),
            existing.rules.len(),
        )
    {
        return None;
    }
    let merge = Merge {
        item_id: existing.id,
        before: codec::to_json(
            &json!({ "places": existing.places, "tags": existing.tags, "rules": existing.rules }),
        ),
        after: codec::to_json(&json!({ "places": places, "tags": tags, "rules": rules })),
    };
    let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
    existing.places = owned(places);
    existing.tags = owned(tags);
    existing.rules = owned(rules);
    Some(merge)
}

/// One merge that changed an item: its `item.merged` audit entry's states.
struct Merge {
    item_id: i64,
    before: String,
    after: String,
}

impl Merge {
    /// The `item.merged` audit entry.
    fn audit(&self) -> AuditRow<'_> {
        AuditRow {
            actor: "placewatch",
            action: "item.merged",
            item_id: Some(self.item_id),
            before: Some(&self.before),
            after: Some(&self.after),
            detail: None,
        }
    }
}

/// Writes the places, tags and rules of merged items, as [`merge_item`]
/// left them, in multi-row updates (the schema's `items_derive_update`
/// trigger keeps their derived rows).
async fn update_merged(
    conn: &mut AnyConnection,
    merged: &[&Existing],
    at: &str,
) -> Result<(), StoreError> {
    for chunk in chunks::split(merged) {
        let sql = format!(
            "UPDATE items SET places = m.column2, tags = m.column3, rules = m.column4, \
             updated_at = m.column5 FROM (VALUES {}) AS m WHERE items.id = m.column1",
            chunks::placeholders(conn, chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for item in chunk {
            query = query
                .bind(item.id)
                .bind(codec::to_json(&item.places))
                .bind(codec::to_json(&item.tags))
                .bind(codec::to_json(&item.rules))
                .bind(at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `existing` followed by the entries of `incoming` it lacks, in order, once each.
fn union<'a>(existing: &'a [String], incoming: &'a [String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for value in existing.iter().chain(incoming) {
        if !out.contains(&value.as_str()) {
            out.push(value);
        }
    }
    out
}
