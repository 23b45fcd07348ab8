//! The referral sender: emails each referral's team once, after the referral
//! is committed ([`crate::store::Store::refer`]).
//!
//! One pass ([`Sender::send_due`]) takes the referrals that are due, marks
//! each `sending` (committed), sends its email on a connection of its own,
//! and records the outcome: `sent` with the server's reply; after a
//! temporary failure (refused for now, timed out, connection lost) `queued`
//! again with a growing wait (`domain::referral`); after a permanent one
//! `failed` with the server's reason, shown on the item and the status page
//! for a person to fix and send again.
//!
//! Exactly once: a referral is marked `sending` before its SMTP transaction
//! and `sent` right after the server's 250. A process killed between the
//! two leaves it `sending`; the next pass sends it again with the same
//! Message-ID, so the team's mailbox (Exchange Online, Gmail) keeps one
//! copy. SMTP cannot say whether a message was taken when the connection
//! drops after its last line; that window (the server's reply in flight) is
//! the only one in which two copies can reach the server, and they are the
//! same message.
//!
//! The daemon runs [`Sender::run_until_stopped`]: a pass every second (one
//! indexed query when nothing is due), so a referral leaves within a second
//! of the officer's click.

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;
use tracing::{info, instrument, warn};
use url::Url;

use crate::domain::mail::{Address, Addressing, MessageId, NamedAddress};
use crate::domain::referral::{ReferralState, after_temporary_failure};
use crate::failpoint::failpoint;
use crate::mail::{MailError, Mailer};
use crate::store::{Referral, Store, StoreError};

/// Referrals one pass takes at most (the rest wait for the next pass).
const PASS_LIMIT: u32 = 50;

/// Sends referral emails. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sender {
    pub store: Store,
    pub mailer: Arc<Mailer>,
    /// `council.name`, e.g. "Croydon Council".
    pub council: String,
    /// `desk.public_url`: the email links to the item when it is set.
    pub desk_url: Option<Url>,
}

/// Why a pass stopped.
#[derive(Debug, Error)]
pub enum SendError {
    #[error("reading or recording referrals failed")]
    Store(#[from] StoreError),
}

/// What one pass did, by reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub sent: Vec<String>,
    pub retrying: Vec<String>,
    pub failed: Vec<String>,
}

impl PassReport {
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty() && self.retrying.is_empty() && self.failed.is_empty()
    }
}

/// What became of one attempt.
enum Attempt {
    Sent,
    Retrying,
    Failed,
}

impl Sender {
    /// Sends what is due every `every` until `shutdown` fires; a send in
    /// progress finishes first.
    pub async fn run_until_stopped(self, every: Duration, shutdown: CancellationToken) {
        loop {
            match self.send_due().await {
                Ok(report) if !report.is_empty() => info!(?report, "referral emails"),
                Ok(_) => {}
                Err(e) => warn!(error = %e, "the referral sender's pass failed; trying again"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One pass over the referrals due now.
    pub async fn send_due(&self) -> Result<PassReport, SendError> {
        self.send_due_at(OffsetDateTime::now_utc()).await
    }

    /// One pass as if it were `now`: what is due by then is sent, and a
    /// temporary failure waits from then (the tests' way past a wait).
    pub async fn send_due_at(&self, now: OffsetDateTime) -> Result<PassReport, SendError> {
        let due = self.store.due_referrals(now, PASS_LIMIT).await?;
        let mut report = PassReport::default();
        for referral in due {
            let reference = referral.reference.to_string();
            match self.attempt(referral, now).await? {
                Attempt::Sent => report.sent.push(reference),
                Attempt::Retrying => report.retrying.push(reference),
                Attempt::Failed => report.failed.push(reference),
            }
        }
        Ok(report)
    }

    /// Sends one referral's email and records the outcome.
    #[instrument(skip_all, fields(referral = %referral.reference, attempt = referral.attempts + 1))]
    async fn attempt(&self, referral: Referral, now: OffsetDateTime) -> Result<Attempt, SendError> {
        if referral.state == ReferralState::Sending {
            info!(
                "sending again after an interrupted attempt, with the same Message-ID: the team's mailbox keeps one copy"
            );
        }
        let email = match self.email(&referral).await? {
            Ok(email) => email,
            Err(reason) => {
                self.store.referral_failed(referral.id, &reason).await?;
                return Ok(Attempt::Failed);
            }
        };
        let referral = self.store.referral_sending(referral.id).await?;
        // The kill tests stop a first attempt; the resend that follows a
        // restart passes, so each run moves on to the next referral.
        let first = referral.attempts == 1;
        if first {
            failpoint("referral_before_send");
        }
        let outcome = self.mailer.send(&email).await;
        match outcome {
            Ok(sent) => {
                if first {
                    failpoint("referral_after_send");
                }
                self.store
                    .referral_sent(referral.id, &sent.server_reply)
                    .await?;
                Ok(Attempt::Sent)
            }
            Err(e) => self.record_failure(&referral, &e, now).await,
        }
    }

    async fn record_failure(
        &self,
        referral: &Referral,
        error: &MailError,
        now: OffsetDateTime,
    ) -> Result<Attempt, SendError> {
        let reason = error.to_string();
        if !error.is_temporary() {
            warn!(error = %reason, "the mail server refused the referral");
            self.store.referral_failed(referral.id, &reason).await?;
            return Ok(Attempt::Failed);
        }
        let created = OffsetDateTime::parse(&referral.created_at, &Rfc3339).unwrap_or(now);
        let age = (now - created).try_into().unwrap_or(Duration::ZERO);
        match after_temporary_failure(referral.attempts, age) {
            Some(wait) => {
                warn!(error = %reason, wait_secs = wait.as_secs(), "not sent; will try again");
                self.store
                    .referral_retry(referral.id, &reason, now + wait)
                    .await?;
                Ok(Attempt::Retrying)
            }
            None => {
                let reason = format!(
                    "gave up after {} attempts over a day; the last: {reason}",
                    referral.attempts
                );
                warn!(error = %reason, "not sent");
                self.store.referral_failed(referral.id, &reason).await?;
                Ok(Attempt::Failed)
            }
        }
    }

    /// The referral's email, or why it cannot be built (an address that
    /// stopped being one, an item gone): a reason to fail it with.
    async fn email(
        &self,
        referral: &Referral,
    ) -> Result<Result<crate::domain::mail::Email, String>, StoreError> {
        let item = self.store.item(referral.item_id).await?;
        let officer = self
            .store
            .officers()
            .await?
            .into_iter()
            .find(|o| o.username == referral.officer);
        let officer_name = officer
            .as_ref()
            .map_or(referral.officer.clone(), |o| o.display_name.clone());
        let reply_to = match self.store.officer_contact(&referral.officer).await? {
            Some(contact) => contact
                .email
                .and_then(|e| e.parse::<Address>().ok())
                .map(|a| NamedAddress::new(&officer_name, a)),
            None => None,
        };
        let mut to = Vec::with_capacity(referral.recipients.len());
        for address in &referral.recipients {
            match address.parse::<Address>() {
                Ok(a) => to.push(NamedAddress::new(&referral.team_name, a)),
                Err(e) => return Ok(Err(format!("{address:?} is not an email address: {e}"))),
            }
        }
        let message_id = match MessageId::parse(&referral.message_id) {
            Ok(id) => id,
            Err(e) => return Ok(Err(format!("stored Message-ID unusable: {e}"))),
        };
        let (author_name, author_handle) = item
            .author
            .as_ref()
            .map_or((String::new(), String::new()), |a| {
                (a.name.clone(), a.username.clone())
            });
        let posted_at = item
            .post
            .created_at
            .as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        let facts = crate::domain::mail::Referral {
            reference: referral.reference,
            council: self.council.clone(),
            team: referral.team_name.clone(),
            reason: referral.reason.clone(),
            officer: officer_name,
            post_id: item.post.id,
            post_text: item.post.text.clone(),
            posted_at,
            author_name,
            author_handle,
            places: item.places.clone(),
            item_id: item.id,
            desk_url: self.desk_url.clone(),
        };
        let addressing = Addressing {
            from: self.mailer.sender().clone(),
            to,
            reply_to,
            message_id,
        };
        Ok(facts.email(addressing).map_err(|e| e.to_string()))
    }
}
