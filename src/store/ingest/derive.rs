//! The rows derived from new items, written set-based in the transaction that
//! creates the items: their `item_places` and `item_tags` rows, one
//! aggregated upsert of the inbox counters per page, the report's rows
//! (`item_times`, `place_reads`: migration 0018), and their search
//! documents, one multi-row insert per status.
//!
//! Migration 0005 dropped the `items_derive_insert` trigger, which ran about
//! ten statements per new item; this module writes exactly what it wrote.
//! Every path that inserts items must call [`derive_new`] (today there is one:
//! `filing::create_items`). Changes to existing items still go through the
//! `items_derive_update` trigger, which also keeps these rows.
//!
//! A document is built as the `item_documents` view builds it: the post's
//! text as stored, then one marker token per filter value (U+E001 place,
//! U+E002 tag, U+E003 owner, each hex-encoded as SQLite's `hex()` writes it;
//! U+E006 team, its id in decimal; U+E004 priority and U+E005 reply path as
//! they are). The text is joined in
//! from `posts`, so a post stored earlier keeps its first copy's text.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use sqlx::AnyConnection;

use super::chunks;
use crate::domain::triage::Status;
use crate::store::dialect::{json_int, json_values};
use crate::store::plan::fts_table;
use crate::store::{Engine, StoreError, codec};

/// A new item, as its derived rows need it.
pub(super) struct NewItem<'a> {
    pub id: i64,
    pub post_id: i64,
    pub status: Status,
    pub priority: &'a str,
    pub owner: Option<&'a str>,
    /// The team's id.
    pub team: Option<i64>,
    pub reply_path: &'a str,
    /// Deduplicated, in order (as in `items.places`).
    pub places: Vec<&'a str>,
    /// Deduplicated, in order (as in `items.tags`).
    pub tags: Vec<&'a str>,
}

/// Writes the place and tag rows, counters and search documents of `items`,
/// which were just inserted in the caller's transaction.
pub(super) async fn derive_new(
    conn: &mut AnyConnection,
    items: &[NewItem<'_>],
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    facet_rows(conn, "item_places", "place", items, |i| &i.places).await?;
    facet_rows(conn, "item_tags", "tag", items, |i| &i.tags).await?;
    counts(conn, items).await?;
    report_rows(conn, items).await?;
    match Engine::of(conn) {
        Engine::Sqlite => documents(conn, items).await,
        // `items.search_vector` is kept by the schema's trigger.
        Engine::Postgres => Ok(()),
    }
}

/// The report's rows of new items (migration 0018): each item's time
/// (`item_times`, its post's `created_at` and language), and its places' reads this month
/// (`place_reads`, the month the item was filed in, UTC). One statement each,
/// the ids bound as one JSON array: its rows are SQLite's `json_each` and
/// PostgreSQL's `json_array_elements_text`, which share no spelling.
async fn report_rows(conn: &mut AnyConnection, items: &[NewItem<'_>]) -> Result<(), StoreError> {
    let engine = Engine::of(conn);
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let ids = codec::to_json(&ids);
    let (new, new_id) = (
        json_values(engine, "$1", "new"),
        json_int(engine, "new.value"),
    );
    sqlx::query(&format!(
        "INSERT INTO item_times (item_id, posted_at, lang) \
         SELECT i.id, coalesce(p.created_at, i.created_at), p.lang \
         FROM {new} JOIN items i ON i.id = {new_id} JOIN posts p ON p.id = i.post_id \
         WHERE true ON CONFLICT (item_id) DO NOTHING"
    ))
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    let places = json_values(engine, "i.places", "place");
    sqlx::query(&format!(
        "INSERT INTO place_reads (month, place, reads) \
         SELECT substr(i.created_at, 1, 7), place.value, count(*) \
         FROM {new} JOIN items i ON i.id = {new_id} CROSS JOIN {places} \
         WHERE true GROUP BY 1, 2 \
         ON CONFLICT (month, place) DO UPDATE SET reads = place_reads.reads + excluded.reads"
    ))
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `(item_id, value, position, status, post_id)` for each value of each item.
async fn facet_rows<'a>(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    items: &'a [NewItem<'_>],
    values: impl Fn(&'a NewItem<'_>) -> &'a Vec<&'a str>,
) -> Result<(), StoreError> {
    let rows: Vec<(&NewItem, usize, &str)> = items
        .iter()
        .flat_map(|item| {
            values(item)
                .iter()
                .enumerate()
                .map(move |(position, value)| (item, position, *value))
        })
        .collect();
    for chunk in chunks::split(&rows) {
        let sql = format!(
            "INSERT INTO {table} (item_id, {column}, position, status, post_id) VALUES {} \
             ON CONFLICT (item_id, {column}) DO NOTHING",
            chunks::placeholders(conn, chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for (item, position, value) in chunk {
            query = query
                .bind(item.id)
                .bind(*value)
                .bind(i64::try_from(*position).unwrap_or(i64::MAX))
                .bind(item.status.as_str())
                .bind(item.post_id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Adds the items to the counters: one row per (facet, value, status).
async fn counts<'a>(conn: &mut AnyConnection, items: &'a [NewItem<'a>]) -> Result<(), StoreError> {
    let mut n: BTreeMap<(&str, Cow<'a, str>, &str), i64> = BTreeMap::new();
    for item in items {
        let status = item.status.as_str();
        let mut add =
            |facet, value: Cow<'a, str>| *n.entry((facet, value, status)).or_default() += 1;
        add("all", "".into());
        add("priority", item.priority.into());
        add("reply_path", item.reply_path.into());
        if let Some(owner) = item.owner {
            add("owner", owner.into());
        }
        if let Some(team) = item.team {
            add("team", team.to_string().into());
        }
        for place in &item.places {
            add("place", (*place).into());
        }
        for tag in &item.tags {
            add("tag", (*tag).into());
        }
    }
    let rows: Vec<_> = n.into_iter().collect();
    for chunk in chunks::split(&rows) {
        let sql = format!(
            "INSERT INTO item_counts (facet, value, status, n) VALUES {} \
             ON CONFLICT (facet, value, status) DO UPDATE SET n = item_counts.n + excluded.n",
            chunks::placeholders(conn, chunk.len(), 4)
        );
        let mut query = sqlx::query(&sql);
        for ((facet, value, status), n) in chunk {
            query = query
                .bind(*facet)
                .bind(value.as_ref())
                .bind(*status)
                .bind(*n);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts each item's document into the index of its status: one statement
/// per status, ascending post ids. FTS5 flushes its pending index data to a
/// new segment whenever a statement opens a savepoint in the transaction
/// and whenever a rowid is not above the previous one, so the documents of
/// a page go in together, as one JSON array, to become one segment.
async fn documents(conn: &mut AnyConnection, items: &[NewItem<'_>]) -> Result<(), StoreError> {
    if Engine::of(conn) == Engine::Postgres {
        // PostgreSQL keeps `items.search_vector` by a trigger (migrations/postgres).
        return Ok(());
    }
    for status in Status::ALL {
        let mut docs: Vec<(i64, String)> = items
            .iter()
            .filter(|i| i.status == status)
            .map(|i| (i.post_id, markers(i)))
            .collect();
        if docs.is_empty() {
            continue;
        }
        docs.sort_unstable_by_key(|(post_id, _)| *post_id);
        let sql = format!(
            "INSERT INTO {} (rowid, document) \
             SELECT p.id, p.text || (doc.value ->> 1) \
             FROM json_each($1) AS doc JOIN posts p ON p.id = (doc.value ->> 0) \
             ORDER BY doc.key",
            fts_table(status)
        );
        sqlx::query(&sql)
            .bind(codec::to_json(&docs))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What the `item_documents` view appends to the post's text.
pub(super) fn markers(item: &NewItem<'_>) -> String {
    let mut out = String::with_capacity(64);
    for place in &item.places {
        hex_marker(&mut out, '\u{E001}', place);
    }
    for tag in &item.tags {
        hex_marker(&mut out, '\u{E002}', tag);
    }
    if let Some(owner) = item.owner {
        hex_marker(&mut out, '\u{E003}', owner);
    }
    if let Some(team) = item.team {
        let _ = write!(out, " \u{E006}{team}");
    }
    out.push(' ');
    out.push('\u{E004}');
    out.push_str(item.priority);
    out.push(' ');
    out.push('\u{E005}');
    out.push_str(item.reply_path);
    out
}

/// ` ` + `marker` + the value's UTF-8 bytes in upper-case hex (SQLite's `hex()`).
fn hex_marker(out: &mut String, marker: char, value: &str) {
    out.push(' ');
    out.push(marker);
    for byte in value.bytes() {
        let _ = write!(out, "{byte:02X}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_follow_the_view() {
        let item = NewItem {
            id: 1,
            post_id: 2,
            status: Status::New,
            priority: "high",
            owner: Some("sam"),
            team: Some(12),
            reply_path: "api",
            places: vec!["Purley", "Café"],
            tags: vec!["bins"],
        };
        assert_eq!(
            markers(&item),
            " \u{E001}5075726C6579 \u{E001}436166C3A9 \u{E002}62696E73 \u{E003}73616D \
             \u{E006}12 \u{E004}high \u{E005}api"
        );
        let bare = NewItem {
            owner: None,
            team: None,
            places: vec![],
            tags: vec![],
            ..item
        };
        assert_eq!(markers(&bare), " \u{E004}high \u{E005}api");
    }
}
