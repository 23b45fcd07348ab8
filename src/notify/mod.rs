//! Notifications by email: the mail task, started by the daemon when
//! `[mail]` is set. Each round ([`Delivery::run_once`], every minute) it
//! emails officers who want each notification at once (`notify =
//! immediately`) one email per unread notification not yet emailed, and
//! officers who take a digest (`notify = digest`) one email listing their
//! unread ones once their `digest_at` (UK time) has passed that day.
//! Officers without an address, or with `none`, get no email.
//!
//! Each notification is emailed at most once: the send is recorded in its
//! row (`emailed_at`) right after the server takes it. A crash between the
//! two sends it again next round with the same Message-ID
//! (`notification.ID`, or `digest.DUE.USER`), which mail clients show
//! once. A temporary failure (connection, timeout, 4xx) is tried again
//! next round; a permanent one (5xx: a bad address) is logged and given up
//! (recorded, so it is not sent every minute for ever).

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};
use url::Url;

use crate::domain::mail::{Address, EmailError, NamedAddress, NotificationLine, NotificationMail};
use crate::domain::notification::latest_digest_due;
use crate::mail::Mailer;
use crate::store::notifications::{DigestReader, ToEmail};
use crate::store::{Notification, Store, StoreError};

/// How often the task looks for notifications to email.
pub const ROUND_EVERY: Duration = Duration::from_secs(60);

/// An immediate email is sent only for notifications this recent (so
/// turning `immediately` on, or configuring `[mail]`, does not mail out
/// an old backlog: the digest and the desk's list have those).
pub const IMMEDIATE_WINDOW: time::Duration = time::Duration::DAY;

/// The most notifications emailed one by one in a round, and listed in a
/// digest.
const ROUND_LIMIT: u32 = 100;
const DIGEST_LIMIT: usize = 50;
/// A digest counts the rest up to this many ("and 12 more"); the rest
/// wait for the next digest.
const DIGEST_COUNTED: u32 = 1000;

/// What went wrong in a round.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("reading or recording notifications")]
    Store(#[from] StoreError),
    #[error("writing notification {what}")]
    Build {
        what: String,
        #[source]
        source: EmailError,
    },
}

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Emails the server took.
    pub sent: u32,
    /// Emails to try again next round.
    pub deferred: u32,
    /// Emails given up (refused for good, or an address that is not one).
    pub given_up: u32,
}

/// The mail task's settings and handles.
#[derive(Clone)]
pub struct Delivery {
    pub store: Store,
    pub mailer: Arc<Mailer>,
    /// `council.name`.
    pub council: String,
    /// `desk.public_url`, for links.
    pub desk_url: Option<Url>,
}

fn line(n: &Notification) -> NotificationLine {
    NotificationLine {
        id: n.id,
        heading: n.kind.heading(),
        summary: n.summary.clone(),
        item_id: n.item_id,
    }
}

/// How one send ended.
enum Outcome {
    Sent,
    Deferred,
    GivenUp,
}

impl Delivery {
    /// Runs a round every `every` until `shutdown`; a failed round is
    /// logged and the next one tries again.
    pub async fn run_until_stopped(self, every: Duration, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            match self.run_once(OffsetDateTime::now_utc()).await {
                Ok(round) if round != Round::default() => debug!(?round, "notification emails"),
                Ok(_) => {}
                Err(e) => {
                    warn!(error = %e, "emailing notifications failed; trying again next round")
                }
            }
        }
    }

    /// One round at `now`: immediate emails, then the digests due.
    pub async fn run_once(&self, now: OffsetDateTime) -> Result<Round, NotifyError> {
        let mut round = Round::default();
        let since = now - IMMEDIATE_WINDOW;
        for to in self
            .store
            .notifications_to_email(since, ROUND_LIMIT)
            .await?
        {
            self.count(&mut round, self.immediate(&to, now).await?);
        }
        for reader in self.store.digest_readers().await? {
            if let Some(outcome) = self.digest(&reader, now).await? {
                self.count(&mut round, outcome);
            }
        }
        Ok(round)
    }

    fn count(&self, round: &mut Round, outcome: Outcome) {
        match outcome {
            Outcome::Sent => round.sent += 1,
            Outcome::Deferred => round.deferred += 1,
            Outcome::GivenUp => round.given_up += 1,
        }
    }

    /// Sends `mail` to `address`; what came of it.
    async fn send(
        &self,
        mail: &NotificationMail,
        name: &str,
        address: &str,
        message_id: crate::domain::mail::MessageId,
    ) -> Result<Outcome, NotifyError> {
        let what = message_id.to_string();
        let Ok(address) = address.parse::<Address>() else {
            warn!(officer = %name, "an officer's email address is not one; not emailed");
            return Ok(Outcome::GivenUp);
        };
        let to = NamedAddress::new(name, address);
        let email = mail
            .email(self.mailer.sender().clone(), to, message_id)
            .map_err(|source| NotifyError::Build { what, source })?;
        Ok(match self.mailer.send(&email).await {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_temporary() => {
                debug!(error = %e, "notification email deferred");
                Outcome::Deferred
            }
            Err(e) => {
                warn!(error = %e, "a notification email was refused; not sent again");
                Outcome::GivenUp
            }
        })
    }

    async fn immediate(&self, to: &ToEmail, now: OffsetDateTime) -> Result<Outcome, NotifyError> {
        let n = &to.notification;
        let mail = NotificationMail {
            council: self.council.clone(),
            officer: to.display_name.clone(),
            lines: vec![line(n)],
            digest: false,
            more: 0,
            desk_url: self.desk_url.clone(),
        };
        let id = NotificationMail::message_id(n.id).map_err(|source| NotifyError::Build {
            what: format!("{}", n.id),
            source,
        })?;
        let outcome = self.send(&mail, &to.display_name, &to.email, id).await?;
        if !matches!(outcome, Outcome::Deferred) {
            self.store.mark_emailed(&[n.id], now).await?;
        }
        Ok(outcome)
    }

    /// `reader`'s digest, if one is due and not yet dealt with; `None`
    /// when none is due or there was nothing to list.
    async fn digest(
        &self,
        reader: &DigestReader,
        now: OffsetDateTime,
    ) -> Result<Option<Outcome>, NotifyError> {
        let due = latest_digest_due(now, reader.digest_at);
        let done = reader
            .last_due
            .as_deref()
            .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok())
            .is_some_and(|last| last >= due);
        if done {
            return Ok(None);
        }
        let listed = self
            .store
            .digest_notifications(&reader.username, DIGEST_COUNTED)
            .await?;
        if listed.is_empty() {
            self.store
                .record_digest(&reader.username, due, &[], now)
                .await?;
            return Ok(None);
        }
        let shown = &listed[..listed.len().min(DIGEST_LIMIT)];
        let mail = NotificationMail {
            council: self.council.clone(),
            officer: reader.display_name.clone(),
            lines: shown.iter().map(line).collect(),
            digest: true,
            more: (listed.len() - shown.len()) as u64,
            desk_url: self.desk_url.clone(),
        };
        let id = NotificationMail::digest_message_id(&reader.username, due.unix_timestamp())
            .map_err(|source| NotifyError::Build {
                what: format!("digest of {}", reader.username),
                source,
            })?;
        let outcome = self
            .send(&mail, &reader.display_name, &reader.email, id)
            .await?;
        if !matches!(outcome, Outcome::Deferred) {
            let ids: Vec<i64> = shown.iter().map(|n| n.id).collect();
            self.store
                .record_digest(&reader.username, due, &ids, now)
                .await?;
        }
        Ok(Some(outcome))
    }
}
