//! The weekly report email: when `[reports] weekly_to` names anyone, the
//! daemon sends the week's report on `weekly_day` at `weekly_at` (UK time)
//! through `[mail]`, once per week. The week's row is recorded before the
//! send with its Message-ID (`store::report_emails`), so a crash mid-send
//! sends the same message again and a week is never reported twice;
//! temporary failures are tried again with the referral sender's backoff
//! for a day, then given up with the reason (shown on the status page).
//!
//! A week whose time came while placewatch was not running is sent when
//! it starts, if that is within a day; an older one is skipped with a
//! warning (`placewatch report` prints any week on demand).

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use url::Url;

use crate::config::Config;
use crate::domain::mail::report::{ReportMail, latest_weekly_due};
use crate::domain::mail::{Email, NamedAddress};
use crate::domain::referral::after_temporary_failure;
use crate::mail::Mailer;
use crate::store::{ReportEmail, Store, StoreError};

/// How often the sender looks whether a report is due.
pub const CHECK_EVERY: Duration = Duration::from_secs(60);

/// How late a week's report may still go out after its time.
const LATE_BY_AT_MOST: time::Duration = time::Duration::DAY;

/// Sends the weekly report email.
#[derive(Debug, Clone)]
pub struct Weekly {
    pub store: Store,
    pub mailer: Arc<Mailer>,
    pub config: Arc<Config>,
    /// Where the email links to (the Reports page for the week).
    pub desk_url: Option<Url>,
}

/// What one check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Check {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
}

impl Weekly {
    /// Checks every [`CHECK_EVERY`] until `shutdown`; a send in progress
    /// finishes first.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        loop {
            match self.check_at(OffsetDateTime::now_utc()).await {
                Ok(check) if check != Check::default() => info!(?check, "weekly report email"),
                Ok(_) => {}
                Err(e) => warn!(
                    error = format!("{:#}", anyhow::Error::new(e)),
                    "the weekly report check failed; trying again"
                ),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(CHECK_EVERY) => {}
            }
        }
    }

    /// One check as if it were `now`: records the week due by then (if it
    /// is not too late), then sends every week waiting to go.
    pub async fn check_at(&self, now: OffsetDateTime) -> Result<Check, StoreError> {
        let reports = &self.config.reports;
        if reports.weekly_to.is_empty() {
            return Ok(Check::default());
        }
        let (due, week) = latest_weekly_due(now, reports.weekly_day, reports.weekly_at);
        let recipients: Vec<String> = reports.weekly_to.iter().map(ToString::to_string).collect();
        let message_id = ReportMail::message_id(week)
            .map(|m| m.to_string())
            .unwrap_or_else(|e| unreachable!("a date makes a Message-ID: {e}"));
        if now - due <= LATE_BY_AT_MOST {
            self.store
                .report_email_due(week, due, &recipients, &message_id)
                .await?;
        } else if self
            .store
            .report_emails(1)
            .await?
            .first()
            .map(|e| e.period.to)
            != Some(week.to)
        {
            warn!(
                week.from = %week.from,
                week.to = %week.to,
                "the weekly report's time passed over a day ago while placewatch was not running; not sent (`placewatch report --from {} --to {}` prints it)",
                week.from,
                week.to
            );
        }
        let mut check = Check::default();
        for email in self.store.report_emails_to_send(now).await? {
            match self.send(&email, now).await? {
                Outcome::Sent => check.sent += 1,
                Outcome::Retrying => check.retrying += 1,
                Outcome::Failed => check.failed += 1,
            }
        }
        Ok(check)
    }

    async fn send(&self, row: &ReportEmail, now: OffsetDateTime) -> Result<Outcome, StoreError> {
        let week = row.period.to;
        if row.attempts > 1 {
            info!(week = %week, "sending the weekly report again, with the same Message-ID");
        }
        let email = match self.email(row).await? {
            Ok(email) => email,
            Err(reason) => {
                warn!(week = %week, error = %reason, "the weekly report email cannot be built");
                self.store.report_email_failed(week, &reason).await?;
                return Ok(Outcome::Failed);
            }
        };
        let error = match self.mailer.send(&email).await {
            Ok(sent) => {
                self.store
                    .report_email_sent(week, &sent.server_reply)
                    .await?;
                return Ok(Outcome::Sent);
            }
            Err(e) => e,
        };
        let reason = error.to_string();
        let due = OffsetDateTime::parse(&row.due_at, &Rfc3339).unwrap_or(now);
        let age = (now - due).try_into().unwrap_or(Duration::ZERO);
        match after_temporary_failure(row.attempts, age).filter(|_| error.is_temporary()) {
            Some(wait) => {
                warn!(week = %week, error = %reason, wait_secs = wait.as_secs(), "weekly report not sent; will try again");
                self.store
                    .report_email_retry(week, &reason, now + wait)
                    .await?;
                Ok(Outcome::Retrying)
            }
            None => {
                warn!(week = %week, error = %reason, "weekly report not sent; given up");
                self.store.report_email_failed(week, &reason).await?;
                Ok(Outcome::Failed)
            }
        }
    }

    /// The week's email, or why it cannot be built.
    async fn email(&self, row: &ReportEmail) -> Result<Result<Email, String>, StoreError> {
        let report = super::report(
            &self.store,
            &self.config,
            row.period,
            None,
            OffsetDateTime::now_utc(),
        )
        .await?;
        let tables = report.tables();
        let mail = ReportMail {
            council: self.config.council.name.clone(),
            report,
            tables,
            desk_url: self.desk_url.clone(),
        };
        let mut to = Vec::new();
        for address in &row.recipients {
            match address.parse() {
                Ok(a) => to.push(NamedAddress::new("", a)),
                Err(_) => return Ok(Err(format!("{address:?} is not an email address"))),
            }
        }
        let message_id = match crate::domain::mail::MessageId::parse(&row.message_id) {
            Ok(id) => id,
            Err(e) => return Ok(Err(e.to_string())),
        };
        Ok(mail
            .email(self.mailer.sender().clone(), to, message_id)
            .map_err(|e| e.to_string()))
    }
}

enum Outcome {
    Sent,
    Retrying,
    Failed,
}
