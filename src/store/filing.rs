//! Filing matched posts as triage items inside a cycle's transaction: new
//! items in multi-row inserts with their `item.created` audit entries, and
//! merges into items that already exist (another monitor, or an earlier
//! cycle, found the post). `UNIQUE (post_id)` guarantees one item per post
//! whatever the callers do. New items' place and tag rows, counters and search
//! documents are written set-based by `derive`, in the same transaction; a
//! merge's are kept by the schema's `items_derive_update` trigger.

use std::collections::HashMap;

use rusqlite::Connection;
use serde_json::json;

use super::audit::{self, NewAudit};
use super::codec::{self, id_to_db, opt_id_to_db};
use super::cycle::MatchedPost;
use super::derive::{NewItem, derive_new};
use super::writer::Params;
use super::{StoreError, batch};
use crate::domain::triage::Status;

/// Files an item for each matched post that has none. Returns, per matched
/// post, the new item's id, or `None` where the post already had an item
/// (or appeared earlier in `matched`).
pub(super) fn create_items(
    conn: &Connection,
    matched: &[MatchedPost],
    at: &str,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut created: HashMap<i64, i64> = HashMap::new();
    for chunk in batch::split(matched) {
        let sql = format!(
            "INSERT INTO items (post_id, conversation_id, status, priority, owner, reply_path, \
             summoned, places, tags, rules, flags, created_at, updated_at) VALUES {} \
             ON CONFLICT (post_id) DO NOTHING RETURNING id, post_id",
            batch::placeholders(chunk.len(), 13)
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut params = Params::new(&mut stmt);
        for m in chunk {
            let decision = &m.decision;
            params
                .bind(id_to_db(m.post.id, "post id")?)?
                .bind(opt_id_to_db(m.post.conversation_id, "conversation id")?)?
                .bind(status_on_arrival(m).as_str())?
                .bind(decision.priority.as_str())?
                .bind(decision.owner.as_deref())?
                .bind(m.reply_path.as_str())?
                .bind(m.flags.summoned)?
                .bind(codec::to_json(&codec::dedup(&m.places)))?
                .bind(codec::to_json(&codec::dedup(&decision.tags)))?
                .bind(codec::to_json(&codec::dedup(&decision.matched_rules)))?
                .bind(codec::to_json(&m.flags))?
                .bind(at)?
                .bind(at)?;
        }
        for (id, post_id) in params.collect(|row| Ok((row.get(0)?, row.get(1)?)))? {
            created.insert(post_id, id);
        }
    }
    let mut ids = Vec::with_capacity(matched.len());
    let mut entries = Vec::with_capacity(created.len());
    let mut new_items = Vec::with_capacity(created.len());
    for m in matched {
        // The first occurrence of a post takes the id; later ones merge.
        let post_id = id_to_db(m.post.id, "post id")?;
        let id = created.remove(&post_id);
        if let Some(id) = id {
            entries.push(created_entry(id, m));
            new_items.push(NewItem {
                id,
                post_id,
                status: status_on_arrival(m),
                priority: m.decision.priority.as_str(),
                owner: m.decision.owner.as_deref(),
                reply_path: m.reply_path.as_str(),
                places: codec::dedup(&m.places),
                tags: codec::dedup(&m.decision.tags),
            });
        }
        ids.push(id);
    }
    derive_new(conn, &new_items)?;
    audit::insert_many(conn, &entries, at)?;
    Ok(ids)
}

/// `new`, or `dismissed` when a rule dismissed the post.
fn status_on_arrival(matched: &MatchedPost) -> Status {
    if matched.decision.dismissed {
        Status::Dismissed
    } else {
        Status::New
    }
}

/// The `item.created` audit entry of a new item.
fn created_entry(id: i64, m: &MatchedPost) -> NewAudit {
    NewAudit {
        actor: "placewatch".to_owned(),
        action: "item.created".to_owned(),
        item_id: Some(id),
        before: None,
        after: Some(json!({
            "status": status_on_arrival(m).as_str(),
            "priority": m.decision.priority.as_str(),
            "owner": m.decision.owner,
            "places": codec::dedup(&m.places),
            "tags": codec::dedup(&m.decision.tags),
            "rules": codec::dedup(&m.decision.matched_rules),
            "reply_path": m.reply_path.as_str(),
        })),
        detail: None,
    }
}

/// An existing item's id and the lists a merge extends.
pub(super) struct Existing {
    pub id: i64,
    places: Vec<String>,
    tags: Vec<String>,
    rules: Vec<String>,
}

/// The existing items of these posts, by post id: one `SELECT … IN (…)` per
/// chunk instead of one per post.
pub(super) fn existing_items(
    conn: &Connection,
    post_ids: &[i64],
) -> Result<HashMap<i64, Existing>, StoreError> {
    let mut found = HashMap::with_capacity(post_ids.len());
    for chunk in batch::split(post_ids) {
        let sql = format!(
            "SELECT post_id, id, places, tags, rules FROM items WHERE post_id IN ({})",
            vec!["?"; chunk.len()].join(", ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut params = Params::new(&mut stmt);
        for id in chunk {
            params.bind(id)?;
        }
        let rows = params.collect(|row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        for (post_id, id, places, tags, rules) in rows {
            let existing = Existing {
                id,
                places: codec::from_json(&places, "item places")?,
                tags: codec::from_json(&tags, "item tags")?,
                rules: codec::from_json(&rules, "item rules")?,
            };
            found.insert(post_id, existing);
        }
    }
    Ok(found)
}

/// Adds a matched post's places, tags and rules to its existing item's (in
/// `existing`, so a later merge of the same post starts from them). Returns
/// the `item.merged` audit entry when that changed anything, `None` when the
/// item already had them all. Status, priority, owner, flags and reply path
/// stay: officers may have acted on them. Nothing is written: see
/// [`update_merged`].
pub(super) fn merge_item(existing: &mut Existing, matched: &MatchedPost) -> Option<NewAudit> {
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
    let entry = NewAudit {
        actor: "placewatch".to_owned(),
        action: "item.merged".to_owned(),
        item_id: Some(existing.id),
        before: Some(
            json!({ "places": existing.places, "tags": existing.tags, "rules": existing.rules }),
        ),
        after: Some(json!({ "places": places, "tags": tags, "rules": rules })),
        detail: None,
    };
    let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
    existing.places = owned(places);
    existing.tags = owned(tags);
    existing.rules = owned(rules);
    Some(entry)
}

/// Writes the places, tags and rules of merged items, as [`merge_item`]
/// left them, in multi-row updates (the schema's `items_derive_update`
/// trigger keeps their derived rows).
pub(super) fn update_merged(
    conn: &Connection,
    merged: &[&Existing],
    at: &str,
) -> Result<(), StoreError> {
    for chunk in batch::split(merged) {
        let sql = format!(
            "UPDATE items SET places = m.column2, tags = m.column3, rules = m.column4, \
             updated_at = m.column5 FROM (VALUES {}) AS m WHERE items.id = m.column1",
            batch::placeholders(chunk.len(), 5)
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut params = Params::new(&mut stmt);
        for item in chunk {
            params
                .bind(item.id)?
                .bind(codec::to_json(&item.places))?
                .bind(codec::to_json(&item.tags))?
                .bind(codec::to_json(&item.rules))?
                .bind(at)?;
        }
        params.execute()?;
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
