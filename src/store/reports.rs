//! The manager's report: the facts of a period read in one snapshot, and
//! [`Report::assemble_tallied`] over them.
//!
//! The period's items are found by their post's time through `item_times`
//! (migration 0018), which also holds each item's first response and
//! resolution, derived once from the audit log as it is written; the report
//! never scans the audit log. The month's spend comes from `usage`, the sent
//! replies and `place_reads`.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use super::{Engine, Store, StoreError, codec};
use crate::domain::report::days::bounds;
use crate::domain::report::{
    ApiReply, Elapsed, Facts, ItemFacts, Measure, MonthFacts, Period, Report, ReportSettings,
    Response, Tally,
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

/// One item of the period, its columns in the order `items_of` selects
/// them. The volume's groupings are counted in SQL ([`tally_of`]), so its
/// places, tags and language are left empty.
fn decode_item(row: &AnyRow) -> Result<ItemFacts, StoreError> {
    let first_at = instant(row.try_get(1)?, "first response time")?;
    let first_by: Option<String> = row.try_get(2)?;
    Ok(ItemFacts {
        posted_at: instant(row.try_get(0)?, "post time")?
            .ok_or_else(|| StoreError::Corrupt("a post time that is not RFC 3339".into()))?,
        resolved_at: instant(row.try_get(3)?, "resolution time")?,
        status: codec::status_from_db(row.try_get(4)?)?,
        priority: codec::priority_from_db(row.try_get(5)?)?,
        reply_path: codec::reply_path_from_db(row.try_get(6)?)?,
        team: row.try_get(7)?,
        first_response: first_at.map(|at| Response {
            at,
            by: first_by.unwrap_or_default(),
        }),
        places: Vec::new(),
        tags: Vec::new(),
        lang: None,
    })
}

/// The items whose post was created in `period` (UK days), without their
/// places, tags and language (see [`decode_item`]): only the columns the
/// outcomes and the durations need, times as Unix seconds.
async fn items_of(conn: &mut AnyConnection, period: &Period) -> Result<Vec<ItemFacts>, StoreError> {
    let (from, to) = bounds(period);
    // Unix seconds of a stored RFC 3339 time: SQLite's `unixepoch()` has no
    // PostgreSQL namesake, nor `extract(epoch …)` a SQLite one.
    let engine = Engine::of(conn);
    let seconds = |column: &str| match engine {
        Engine::Sqlite => format!("unixepoch({column})"),
        Engine::Postgres => {
            format!("CAST(floor(extract(epoch FROM CAST({column} AS timestamptz))) AS bigint)")
        }
    };
    let sql = format!(
        "SELECT {}, {}, t.first_response_by, \
         {}, i.status, i.priority, i.reply_path, tm.name \
         FROM item_times t JOIN items i ON i.id = t.item_id \
         LEFT JOIN teams tm ON tm.id = i.team_id \
         WHERE t.posted_at >= $1 AND t.posted_at < $2",
        seconds("t.posted_at"),
        seconds("t.first_response_at"),
        seconds("t.resolved_at"),
    );
    let rows = sqlx::query(&sql)
        .bind(codec::format_timestamp(from))
        .bind(codec::format_timestamp(to))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(decode_item).collect()
}

/// A count per key: `sql` selects the key and the count, its two parameters
/// the period's bounds.
async fn counts_of(
    conn: &mut AnyConnection,
    period: &Period,
    sql: &'static str,
    what: &str,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let (from, to) = bounds(period);
    let rows = sqlx::query(sql)
        .bind(codec::format_timestamp(from))
        .bind(codec::format_timestamp(to))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0)?,
                codec::count_from_db(row.try_get(1)?, what)?,
            ))
        })
        .collect()
}

/// Items per place whose post was created in `period`.
async fn places_of(
    conn: &mut AnyConnection,
    period: &Period,
) -> Result<BTreeMap<String, u64>, StoreError> {
    counts_of(
        conn,
        period,
        "SELECT ip.place, count(*) FROM item_times t \
         JOIN item_places ip ON ip.item_id = t.item_id \
         WHERE t.posted_at >= $1 AND t.posted_at < $2 GROUP BY ip.place",
        "items",
    )
    .await
}

/// The items of `period` counted per place, tag, reply path and language.
async fn tally_of(conn: &mut AnyConnection, period: &Period) -> Result<Tally, StoreError> {
    Ok(Tally {
        places: places_of(conn, period).await?,
        tags: counts_of(
            conn,
            period,
            "SELECT it.tag, count(*) FROM item_times t \
             JOIN item_tags it ON it.item_id = t.item_id \
             WHERE t.posted_at >= $1 AND t.posted_at < $2 GROUP BY it.tag",
            "items",
        )
        .await?,
        paths: counts_of(
            conn,
            period,
            "SELECT i.reply_path, count(*) FROM item_times t JOIN items i ON i.id = t.item_id \
             WHERE t.posted_at >= $1 AND t.posted_at < $2 GROUP BY i.reply_path",
            "items",
        )
        .await?,
        langs: counts_of(
            conn,
            period,
            "SELECT coalesce(t.lang, ''), count(*) FROM item_times t \
             WHERE t.posted_at >= $1 AND t.posted_at < $2 GROUP BY 1",
            "items",
        )
        .await?,
    })
}

/// The month's reads, API replies and reads per place (`month`: "2026-11").
async fn month_of(conn: &mut AnyConnection, month: &str) -> Result<MonthFacts, StoreError> {
    let mut facts = MonthFacts::default();
    for row in sqlx::query("SELECT kind, reads FROM usage WHERE month = $1")
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
        "SELECT r.text, CASE WHEN i.summoned THEN 1 ELSE 0 END AS summoned FROM replies r JOIN items i ON i.id = r.item_id \
         WHERE r.state = 'sent' AND r.path = 'api' AND substr(r.updated_at, 1, 7) = $1 \
         ORDER BY r.id",
    )
    .bind(month)
    .fetch_all(&mut *conn)
    .await?
    {
        facts.replies.push(ApiReply {
            text: row.try_get("text")?,
            summoned: codec::flag(&row, "summoned")?,
        });
    }
    for row in sqlx::query("SELECT place, reads FROM place_reads WHERE month = $1")
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
    /// What the report of `period` is made from, read in one snapshot: the
    /// items (without their places, tags and language) and the volume's
    /// groupings counted.
    pub async fn report_facts(&self, period: Period) -> Result<(Facts, Tally), StoreError> {
        let mut tx = self.read.begin().await?;
        let items = items_of(&mut tx, &period).await?;
        let tally = tally_of(&mut tx, &period).await?;
        let previous_places = places_of(&mut tx, &period.previous()).await?;
        let month = format!("{:04}-{:02}", period.to.year(), period.to.month() as u8);
        let month = month_of(&mut tx, &month).await?;
        tx.commit().await?;
        let facts = Facts {
            items,
            previous_places: previous_places.into_iter().collect(),
            month,
        };
        Ok((facts, tally))
    }

    /// The manager's report of `period`: durations counted by `elapsed`
    /// (named by `measure`), targets, prices and the time from `settings`.
    pub async fn report(
        &self,
        period: Period,
        elapsed: &(dyn Elapsed + Sync),
        measure: Measure,
        settings: &ReportSettings,
    ) -> Result<Report, StoreError> {
        let (facts, tally) = self.report_facts(period).await?;
        Ok(Report::assemble_tallied(
            period, &facts, &tally, elapsed, measure, settings,
        ))
    }
}
