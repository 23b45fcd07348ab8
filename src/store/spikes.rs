//! Spikes: the counts a spike check needs, and the spikes on record.
//!
//! Counting uses post ids, which are X snowflakes carrying their creation
//! time: "posts about Thornton Heath in an hour" is a range of
//! `item_places_by_place (place, status, post_id)` per status (five short
//! index ranges), and "what was posted in the last hour" a range of the
//! items' unique `post_id` index. No table is scanned however big the
//! store grows (see `benches/desk.rs`).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::channels::{self, About};
use super::{Store, StoreError, codec, dialect};
use crate::domain::channel::{Notice, SpikeNotice};
use crate::domain::outbox::{TWEPOCH_MS, snowflake_floor};
use crate::domain::spike::{Facet, Window};

/// A spike on record.
#[derive(Debug, Clone, PartialEq)]
pub struct Spike {
    pub id: i64,
    pub facet: Facet,
    /// The place name or tag.
    pub value: String,
    /// The hour's most common tag when it began (places only).
    pub headline: Option<String>,
    pub started_at: String,
    /// Posts in the last hour, as of the latest check.
    pub count: u64,
    /// The usual level then.
    pub usual: f64,
    /// The most posts in an hour seen since.
    pub peak: u64,
    pub alerted_at: Option<String>,
    pub ended_at: Option<String>,
}

/// A place or tag with posts in the last hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub facet: Facet,
    pub value: String,
    pub count: u64,
}

const SPIKE_COLUMNS: &str =
    "id, facet, value, headline, started_at, count, usual, peak, alerted_at, ended_at";

fn decode(row: &AnyRow) -> Result<Spike, StoreError> {
    let facet: String = row.try_get("facet")?;
    Ok(Spike {
        id: row.try_get("id")?,
        facet: Facet::parse(&facet)
            .ok_or_else(|| StoreError::Corrupt(format!("spike facet {facet:?}")))?,
        value: row.try_get("value")?,
        headline: row.try_get("headline")?,
        started_at: row.try_get("started_at")?,
        count: codec::count_from_db(row.try_get("count")?, "spike count")?,
        usual: row.try_get("usual")?,
        peak: codec::count_from_db(row.try_get("peak")?, "spike peak")?,
        alerted_at: row.try_get("alerted_at")?,
        ended_at: row.try_get("ended_at")?,
    })
}

/// The post-id range of a time window.
fn ids(w: Window) -> Result<(i64, i64), StoreError> {
    let from = codec::id_to_db(snowflake_floor(w.from_ms), "post id")?;
    let to = codec::id_to_db(snowflake_floor(w.to_ms), "post id")?;
    Ok((from, to))
}

impl Store {
    /// When the oldest item's post was made (Unix ms), `None` with no items.
    pub async fn earliest_item_ms(&self) -> Result<Option<i64>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT min(post_id) FROM items")
            .fetch_one(&self.read)
            .await?;
        Ok(id.map(|id| (id >> 22) + TWEPOCH_MS))
    }

    /// Places and tags of items posted in `window`, with their counts,
    /// those with at least `min` posts only.
    pub async fn busy_subjects(
        &self,
        window: Window,
        min: u64,
    ) -> Result<Vec<Subject>, StoreError> {
        let (from, to) = ids(window)?;
        let (places, tags) = (
            dialect::json_values(self.engine, "i.places", "j"),
            dialect::json_values(self.engine, "i.tags", "j"),
        );
        let rows = sqlx::query(&format!(
            "SELECT 'place' AS facet, j.value AS value, count(*) AS n \
               FROM items i CROSS JOIN {places} \
               WHERE i.post_id >= $1 AND i.post_id < $2 GROUP BY j.value HAVING count(*) >= $3 \
             UNION ALL \
             SELECT 'tag', j.value, count(*) AS n \
               FROM items i CROSS JOIN {tags} \
               WHERE i.post_id >= $1 AND i.post_id < $2 GROUP BY j.value HAVING count(*) >= $3"
        ))
        .bind(from)
        .bind(to)
        .bind(codec::count_to_db(min))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let facet: String = r.try_get("facet")?;
                Ok(Subject {
                    facet: Facet::parse(&facet).expect("the query names the facets"),
                    value: r.try_get("value")?,
                    count: codec::count_from_db(r.try_get("n")?, "posts")?,
                })
            })
            .collect()
    }

    /// Items with place (or tag) `value` posted in `window`: one short
    /// index range per status.
    pub async fn subject_count(
        &self,
        facet: Facet,
        value: &str,
        window: Window,
    ) -> Result<u64, StoreError> {
        let (from, to) = ids(window)?;
        let sql = match facet {
            Facet::Place => {
                "SELECT count(*) FROM item_places WHERE place = $1 \
                 AND status IN ('new', 'in_progress', 'replied', 'referred', 'dismissed') \
                 AND post_id >= $2 AND post_id < $3"
            }
            Facet::Tag => {
                "SELECT count(*) FROM item_tags WHERE tag = $1 \
                 AND status IN ('new', 'in_progress', 'replied', 'referred', 'dismissed') \
                 AND post_id >= $2 AND post_id < $3"
            }
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(value)
            .bind(from)
            .bind(to)
            .fetch_one(&self.read)
            .await?;
        codec::count_from_db(n, "posts")
    }

    /// The most common tag of the items about `place` posted in `window`.
    pub async fn top_tag(&self, place: &str, window: Window) -> Result<Option<String>, StoreError> {
        let (from, to) = ids(window)?;
        Ok(sqlx::query_scalar(
            "SELECT t.tag FROM item_places p JOIN item_tags t ON t.item_id = p.item_id \
             WHERE p.place = $1 \
               AND p.status IN ('new', 'in_progress', 'replied', 'referred', 'dismissed') \
               AND p.post_id >= $2 AND p.post_id < $3 \
             GROUP BY t.tag ORDER BY count(*) DESC, t.tag LIMIT 1",
        )
        .bind(place)
        .bind(from)
        .bind(to)
        .fetch_optional(&self.read)
        .await?)
    }

    /// Spikes not yet over, oldest first.
    pub async fn open_spikes(&self) -> Result<Vec<Spike>, StoreError> {
        let sql = format!("SELECT {SPIKE_COLUMNS} FROM spikes WHERE ended_at IS NULL ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        rows.iter().map(decode).collect()
    }

    /// The newest `limit` spikes, open or over, newest first.
    pub async fn spikes(&self, limit: u32) -> Result<Vec<Spike>, StoreError> {
        let sql = format!("SELECT {SPIKE_COLUMNS} FROM spikes ORDER BY id DESC LIMIT $1");
        let rows = sqlx::query(&sql)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Records a spike beginning and, in the same transaction, queues its
    /// alert for the team's channels. `None` (and no alert) if the subject
    /// already has an open spike: one alert per spike, however many checks
    /// (or processes) see it.
    pub async fn begin_spike(
        &self,
        facet: Facet,
        notice: &SpikeNotice,
        alert: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let now = codec::now();
        let mut tx = self.begin_write().await?;
        let count = codec::count_to_db(notice.count);
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO spikes (facet, value, headline, started_at, count, usual, peak) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (facet, value) WHERE ended_at IS NULL DO NOTHING RETURNING id",
        )
        .bind(facet.as_str())
        .bind(&notice.subject)
        .bind(&notice.headline)
        .bind(&now)
        .bind(count)
        .bind(notice.usual)
        .bind(count)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(team_id) = alert {
            let queued = channels::enqueue(
                &mut tx,
                team_id,
                About::Spike,
                &Notice::Spike(notice.clone()),
            )
            .await?;
            if queued > 0 {
                sqlx::query("UPDATE spikes SET alerted_at = $1 WHERE id = $2")
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(Some(id))
    }

    /// A spike goes on with `count` posts in the last hour.
    pub async fn spike_continues(&self, id: i64, count: u64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let count = codec::count_to_db(count);
        sqlx::query(
            "UPDATE spikes SET count = $1, \
             peak = CASE WHEN peak > $2 THEN peak ELSE $2 END WHERE id = $3",
        )
        .bind(count)
        .bind(count)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A spike is over.
    pub async fn end_spike(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE spikes SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(codec::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
