//! The weekly report email's outbox (schema 21): one row per week,
//! written when the email falls due and before it is sent
//! ([`Store::report_email_due`]), then marked sent, tried again later, or
//! failed ([`Store::report_email_sent`], [`Store::report_email_retry`],
//! [`Store::report_email_failed`]). The Message-ID is fixed in the row, so
//! a crash between the send and its record resends the same message.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};

use super::{Store, StoreError, codec};
use crate::domain::report::Period;

/// A week's report email as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEmail {
    pub period: Period,
    /// When it fell due (RFC 3339 UTC).
    pub due_at: String,
    pub recipients: Vec<String>,
    /// As in the header: `<report.2026-11-30.2026-12-06@placewatch.invalid>`.
    pub message_id: String,
    /// `sending`, `sent` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub server_reply: Option<String>,
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "period_from, period_to, due_at, recipients, message_id, state, \
                       attempts, last_error, server_reply, sent_at";

fn decode(row: &AnyRow) -> Result<ReportEmail, StoreError> {
    let date = |column: &str| -> Result<Date, StoreError> {
        let text: String = row.try_get(column)?;
        Date::parse(&text, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|_| StoreError::Corrupt(format!("report_emails.{column} {text:?}")))
    };
    let recipients: String = row.try_get("recipients")?;
    Ok(ReportEmail {
        period: Period::new(date("period_from")?, date("period_to")?).ok_or_else(|| {
            StoreError::Corrupt("a report email's period ends before it starts".into())
        })?,
        due_at: row.try_get("due_at")?,
        recipients: codec::from_json(&recipients, "report_emails.recipients")?,
        message_id: row.try_get("message_id")?,
        state: row.try_get("state")?,
        attempts: codec::count_from_db(row.try_get("attempts")?, "attempts")? as u32,
        last_error: row.try_get("last_error")?,
        server_reply: row.try_get("server_reply")?,
        sent_at: row.try_get("sent_at")?,
    })
}

impl Store {
    /// Records that the report for `period` fell due at `due_at`, to
    /// `recipients`, with `message_id`, unless that week's row exists
    /// already (whatever its state). Returns whether it was new.
    pub async fn report_email_due(
        &self,
        period: Period,
        due_at: OffsetDateTime,
        recipients: &[String],
        message_id: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let due = codec::format_timestamp(due_at);
        let done = sqlx::query(
            "INSERT INTO report_emails (period_to, period_from, due_at, recipients, message_id, \
             state, next_attempt_at) VALUES ($1, $2, $3, $4, $5, 'sending', $6) \
             ON CONFLICT (period_to) DO NOTHING",
        )
        .bind(period.to.to_string())
        .bind(period.from.to_string())
        .bind(&due)
        .bind(codec::to_json(&recipients))
        .bind(message_id)
        .bind(&due)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The report emails to (re)send by `now`: due and not yet sent, oldest
    /// week first. Each try is counted here, before it is made.
    pub async fn report_emails_to_send(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<ReportEmail>, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "UPDATE report_emails SET attempts = attempts + 1 \
             WHERE state = 'sending' AND next_attempt_at <= $1 RETURNING {COLUMNS}"
        ))
        .bind(codec::format_timestamp(now))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut emails = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        emails.sort_by_key(|e| e.period.to);
        Ok(emails)
    }

    /// The week ending `period_to` was taken by the server.
    pub async fn report_email_sent(
        &self,
        period_to: Date,
        server_reply: &str,
    ) -> Result<(), StoreError> {
        self.settle_report_email(period_to, "sent", Some(server_reply), None, None)
            .await
    }

    /// A temporary failure: try again at `next`.
    pub async fn report_email_retry(
        &self,
        period_to: Date,
        error: &str,
        next: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.settle_report_email(period_to, "sending", None, Some(error), Some(next))
            .await
    }

    /// Given up, for `error`.
    pub async fn report_email_failed(
        &self,
        period_to: Date,
        error: &str,
    ) -> Result<(), StoreError> {
        self.settle_report_email(period_to, "failed", None, Some(error), None)
            .await
    }

    async fn settle_report_email(
        &self,
        period_to: Date,
        state: &str,
        server_reply: Option<&str>,
        error: Option<&str>,
        next: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let now = codec::now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE report_emails SET state = $1, server_reply = coalesce($2, server_reply), \
             last_error = coalesce($3, last_error), \
             next_attempt_at = coalesce($4, next_attempt_at), \
             sent_at = CASE WHEN $5 = 'sent' THEN $6 ELSE sent_at END \
             WHERE period_to = $7 AND state = 'sending'",
        )
        .bind(state)
        .bind(server_reply)
        .bind(error)
        .bind(next.map(codec::format_timestamp))
        .bind(state)
        .bind(&now)
        .bind(period_to.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` weeks' report emails, newest first (the status page).
    pub async fn report_emails(&self, limit: u32) -> Result<Vec<ReportEmail>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM report_emails ORDER BY period_to DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }
}
