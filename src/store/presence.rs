//! Presence (`domain::presence` has the rule): each officer's last report
//! on an item, one row per item and officer in `presence`, stamped by the
//! database's clock, so every replica reads the same reports whichever one
//! an officer's page reports to. A report is one small write transaction
//! of two statements (the lapsed rows go in it, so the table stays the
//! size of this minute); the question is one query on a reader.

use std::time::Duration;

use sqlx::Row;

use super::dialect::now_ms;
use super::sql::Sql;
use super::{Store, StoreError};
use crate::domain::presence::{Activity, LAPSE, Present};

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Officer `officer_id` has item `item_id` open, doing `activity`, now.
    pub async fn report_presence(
        &self,
        item_id: i64,
        officer_id: i64,
        activity: Activity,
    ) -> Result<(), StoreError> {
        let now = now_ms(self.engine);
        let mut tx = self.begin_write().await?;
        // By the time index: usually nothing, at most the reports of the
        // tabs closed since the last report.
        sqlx::query(&format!("DELETE FROM presence WHERE at <= {now} - $1"))
            .bind(ms(LAPSE))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO presence (item_id, officer_id, activity, at) VALUES ($1, $2, $3, {now}) \
             ON CONFLICT (item_id, officer_id) DO UPDATE SET activity = excluded.activity, \
             at = excluded.at"
        ))
        .bind(item_id)
        .bind(officer_id)
        .bind(activity.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live reports on `items` of every officer but `except_officer`
    /// (the one asking), by item, then username.
    pub async fn presence(
        &self,
        items: &[i64],
        except_officer: i64,
    ) -> Result<Vec<Present>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = Sql::new(format!(
            "SELECT p.item_id, o.username, o.display_name, p.activity \
             FROM presence p JOIN officers o ON o.id = p.officer_id \
             WHERE p.at > {} - ",
            now_ms(self.engine)
        ));
        qb.push_bind(ms(LAPSE))
            .push(" AND p.officer_id <> ")
            .push_bind(except_officer)
            .push(" AND p.item_id IN (")
            .push_list(items.iter().copied())
            .push(") ORDER BY p.item_id, o.username");
        let rows = qb.build()?.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                let activity: String = row.try_get("activity")?;
                Ok(Present {
                    item_id: row.try_get("item_id")?,
                    officer: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    activity: Activity::parse(&activity).ok_or_else(|| {
                        StoreError::Corrupt(format!("presence activity {activity:?}"))
                    })?,
                })
            })
            .collect()
    }
}
