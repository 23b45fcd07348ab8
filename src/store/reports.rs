//! The manager's report: the facts of a period read in one snapshot, and
//! [`Report::assemble`] over them.
//!
//! The period's items are found by their post's time through `item_times`
//! (migration 0018), which also holds each item's first response and
//! resolution, derived once from the audit log as it is written; the report
//! never scans the audit log. The month's spend comes from `usage`, the sent
//! replies and `place_reads`.

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::{Store, StoreError, codec};
use crate::domain::report::days::bounds;
use crate::domain::report::{
    ApiReply, Elapsed, Facts, ItemFacts, Measure, MonthFacts, Period, Report, ReportSettings,
    Response,
};

/// An instant the query gave as Unix seconds (`unixepoch()`, which parses
/// the stored RFC 3339 text in SQLite, far faster than row by row here).
fn instant(secs: Option<i64>, what: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    secs.map(|s| {
        OffsetDateTime::from_unix_timestamp(s)
            .map_err(|e| StoreError::Corrupt(format!("{what} {s}: {e}")))
    })
    .transpose()
}

fn decode_item(row: &SqliteRow) -> Result<ItemFacts, StoreError> {
    let first_at = instant(row.try_get("first_response_at")?, "first response time")?;
    let first_by: Option<String> = row.try_get("first_response_by")?;
    Ok(ItemFacts {
        posted_at: instant(row.try_get("posted_at")?, "post time")?
            .ok_or_else(|| StoreError::Corrupt("a post time that is not RFC 3339".into()))?,
        status: codec::status_from_db(row.try_get("status")?)?,
        priority: codec::priority_from_db(row.try_get("priority")?)?,
        reply_path: codec::reply_path_from_db(row.try_get("reply_path")?)?,
        places: codec::from_json(row.try_get("places")?, "item places")?,
        tags: codec::from_json(row.try_get("tags")?, "item tags")?,
        lang: row.try_get("lang")?,
        team: row.try_get("team")?,
        referred_to: row.try_get("referred_to")?,
        first_response: first_at.map(|at| Response {
            at,
            by: first_by.unwrap_or_default(),
        }),
        resolved_at: instant(row.try_get("resolved_at")?, "resolution time")?,
    })
}

/// The items whose post was created in `period` (UK days).
async fn items_of(
    conn: &mut SqliteConnection,
    period: &Period,
) -> Result<Vec<ItemFacts>, StoreError> {
    let (from, to) = bounds(period);
    let rows = sqlx::query(
        "SELECT unixepoch(t.posted_at) AS posted_at, \
         unixepoch(t.first_response_at) AS first_response_at, t.first_response_by, \
         unixepoch(t.resolved_at) AS resolved_at, t.lang, \
         i.status, i.priority, i.reply_path, i.places, i.tags, tm.name AS team, \
         CASE WHEN i.status = 'referred' THEN (SELECT r.team_name FROM referrals r \
             WHERE r.item_id = i.id ORDER BY r.id DESC LIMIT 1) END AS referred_to \
         FROM item_times t JOIN items i ON i.id = t.item_id \
         LEFT JOIN teams tm ON tm.id = i.team_id \
         WHERE t.posted_at >= ? AND t.posted_at < ?",
    )
    .bind(codec::format_timestamp(from))
    .bind(codec::format_timestamp(to))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(decode_item).collect()
}

/// Items per place whose post was created in `period`.
async fn places_of(
    conn: &mut SqliteConnection,
    period: &Period,
) -> Result<HashMap<String, u64>, StoreError> {
    let (from, to) = bounds(period);
    let rows = sqlx::query(
        "SELECT ip.place, count(*) AS n FROM item_times t \
         JOIN item_places ip ON ip.item_id = t.item_id \
         WHERE t.posted_at >= ? AND t.posted_at < ? GROUP BY ip.place",
    )
    .bind(codec::format_timestamp(from))
    .bind(codec::format_timestamp(to))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("place")?,
                codec::count_from_db(row.try_get("n")?, "items")?,
            ))
        })
        .collect()
}

/// The month's reads, API replies and reads per place (`month`: "2026-11").
async fn month_of(conn: &mut SqliteConnection, month: &str) -> Result<MonthFacts, StoreError> {
    let mut facts = MonthFacts::default();
    for row in sqlx::query("SELECT kind, reads FROM usage WHERE month = ?")
        .bind(month)
        .fetch_all(&mut *conn)
        .await?
    {
        let reads = codec::count_from_db(row.try_get("reads")?, "reads")?;
        match row.try_get::<&str, _>("kind")? {
            "post_read" => facts.post_reads = reads,
            "owned_read" => facts.owned_reads = reads,
            other => return Err(StoreError::Corrupt(format!("unknown read kind {other:?}"))),
        }
    }
    // As `Store::api_replies_sent_in`: the month they were marked sent.
    for row in sqlx::query(
        "SELECT r.text, i.summoned FROM replies r JOIN items i ON i.id = r.item_id \
         WHERE r.state = 'sent' AND r.path = 'api' AND substr(r.updated_at, 1, 7) = ? \
         ORDER BY r.id",
    )
    .bind(month)
    .fetch_all(&mut *conn)
    .await?
    {
        facts.replies.push(ApiReply {
            text: row.try_get("text")?,
            summoned: row.try_get("summoned")?,
        });
    }
    for row in sqlx::query("SELECT place, reads FROM place_reads WHERE month = ?")
        .bind(month)
        .fetch_all(&mut *conn)
        .await?
    {
        facts.place_reads.push((
            row.try_get("place")?,
            codec::count_from_db(row.try_get("reads")?, "place reads")?,
        ));
    }
    Ok(facts)
}

impl Store {
    /// What the report of `period` is made from, read in one snapshot.
    pub async fn report_facts(&self, period: Period) -> Result<Facts, StoreError> {
        let mut tx = self.read.begin().await?;
        let items = items_of(&mut tx, &period).await?;
        let previous_places = places_of(&mut tx, &period.previous()).await?;
        let month = format!("{:04}-{:02}", period.to.year(), period.to.month() as u8);
        let month = month_of(&mut tx, &month).await?;
        tx.commit().await?;
        Ok(Facts {
            items,
            previous_places,
            month,
        })
    }

    /// The manager's report of `period`: durations counted by `elapsed`
    /// (named by `measure`), targets, prices and the time from `settings`.
    pub async fn report(
        &self,
        period: Period,
        elapsed: &dyn Elapsed,
        measure: Measure,
        settings: &ReportSettings,
    ) -> Result<Report, StoreError> {
        let facts = self.report_facts(period).await?;
        Ok(Report::assemble(period, &facts, elapsed, measure, settings))
    }
}
