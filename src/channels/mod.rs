//! Team channels: the sender that posts the channel outbox's messages to
//! Microsoft Teams and Slack webhooks, and the spike watch (`spikes`) that
//! queues spike alerts.
//!
//! The sender is a loop around one step, [`Sender::send_due`]: take the
//! oldest due message of each webhook, post them (webhooks in parallel,
//! one message in flight per webhook), record each answer. Temporary
//! failures (5xx, 408, 429 with its `Retry-After`, timeouts, connection
//! errors) are retried with backoff; refusals (other 4xx, a webhook
//! variable not set) fail the message with the reason, shown on the status
//! page. It runs beside the desk and never holds the desk up: messages are
//! queued in the desk's transaction and sent here, after commit.
//!
//! Each try is counted before its post, and every post of a message names
//! it (`X-Placewatch-Message-Id`). A crash after the webhook took a post
//! but before its answer was recorded posts it again on restart: Slack and
//! Teams webhooks take no idempotency key, so there (and only then) the
//! channel shows that message twice; a message is never lost.
//!
//! Webhook URLs are secrets (they carry their own signature): they are read
//! from `Secrets::webhooks`, never logged, never stored, and cut from
//! reqwest's errors before those are recorded.

pub mod spikes;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::domain::channel::{self, Backoff, Delivery, MAX_ATTEMPTS};
use crate::failpoint::failpoint;
use crate::store::{QueuedMessage, Store, StoreError};

pub use crate::store::{AssignmentSummary, enqueue_assignment};

/// Sent with every webhook post.
pub const USER_AGENT: &str = concat!("placewatch/", env!("CARGO_PKG_VERSION"));

/// The header naming the message a post carries, the same on every try.
/// Slack and Microsoft Teams ignore it (neither deduplicates webhook posts:
/// a crash between a post and its record shows that message twice there);
/// a Power Automate flow or a relay can use it to drop repeats.
pub const MESSAGE_ID_HEADER: &str = "X-Placewatch-Message-Id";

/// How long one post to a webhook may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long connecting to a webhook may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the sender looks for due messages.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Webhook URLs by the name of the variable that held each.
pub type Webhooks = Arc<BTreeMap<String, SecretString>>;

/// What one round of sending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Posts the channel outbox's messages.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    http: reqwest::Client,
    webhooks: Webhooks,
    /// Waits between tries (tests shorten it).
    pub backoff: Backoff,
}

/// Why the sender could not start.
#[derive(Debug, thiserror::Error)]
#[error("could not build the webhook HTTP client")]
pub struct BuildError(#[from] reqwest::Error);

impl Sender {
    pub fn new(store: Store, webhooks: Webhooks) -> Result<Sender, BuildError> {
        Sender::with_timeout(store, webhooks, REQUEST_TIMEOUT)
    }

    /// A sender whose posts may take `timeout` each ([`REQUEST_TIMEOUT`]
    /// for [`Sender::new`]).
    pub fn with_timeout(
        store: Store,
        webhooks: Webhooks,
        timeout: Duration,
    ) -> Result<Sender, BuildError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout)
            // A webhook that redirects is misconfigured; following it could
            // hand the signed URL's message to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Sender {
            store,
            http,
            webhooks,
            backoff: Backoff::DEFAULT,
        })
    }

    /// Sends until nothing more is due: each webhook's oldest due message,
    /// then the next, in rounds, all webhooks in parallel. A webhook that
    /// failed in a round waits for its retry time, so a round with nothing
    /// delivered or failed ends the step.
    pub async fn send_due(&self) -> Result<Round, StoreError> {
        let mut total = Round::default();
        loop {
            let mut due = self
                .store
                .due_channel_messages(OffsetDateTime::now_utc())
                .await?;
            // Two teams may share one webhook (the same variable): still one
            // message in flight to it.
            let mut webhooks = std::collections::BTreeSet::new();
            due.retain(|m| {
                m.webhook_env
                    .as_ref()
                    .is_none_or(|v| webhooks.insert(v.clone()))
            });
            if due.is_empty() {
                return Ok(total);
            }
            let outcomes = join_all(due.iter().map(|m| self.send_one(m))).await;
            let mut progressed = false;
            for outcome in outcomes {
                match outcome? {
                    Settled::Delivered => total.delivered += 1,
                    Settled::Retrying => {
                        total.retrying += 1;
                        continue;
                    }
                    Settled::Failed => total.failed += 1,
                }
                progressed = true;
            }
            if !progressed {
                return Ok(total);
            }
        }
    }

    /// Counts the try, posts one message and records the answer.
    async fn send_one(&self, m: &QueuedMessage) -> Result<Settled, StoreError> {
        let Some(tries) = self.store.channel_message_attempt(m.id).await? else {
            return Ok(Settled::Retrying); // settled meanwhile: nothing to do
        };
        let delivery = match self.url(m) {
            Ok(url) => {
                // A message's first try only, so a process restarted after a
                // kill sends the interrupted one and moves on.
                let first = tries == 1;
                if first {
                    failpoint("channel_before_send");
                }
                let delivery = self.post(&url, m.id, &m.payload).await;
                if first {
                    failpoint("channel_after_send");
                }
                delivery
            }
            Err(reason) => Delivery::Failed { reason },
        };
        match delivery {
            Delivery::Delivered => {
                self.store.channel_message_sent(m.id).await?;
                info!(
                    channel.message = m.id,
                    team.name = %m.team,
                    channel.kind = m.channel.as_str(),
                    "channel message delivered"
                );
                Ok(Settled::Delivered)
            }
            Delivery::Retry { reason, .. } if tries >= MAX_ATTEMPTS => {
                let reason = format!("gave up after {tries} tries: {reason}");
                self.fail(m, &reason).await
            }
            Delivery::Retry { reason, after } => {
                let wait = after.unwrap_or_else(|| self.backoff.after(tries));
                let next = OffsetDateTime::now_utc() + wait;
                warn!(
                    channel.message = m.id,
                    team.name = %m.team,
                    channel.kind = m.channel.as_str(),
                    error = %reason,
                    retry_in_secs = wait.as_secs_f64(),
                    "channel message not delivered; will retry"
                );
                self.store
                    .channel_message_retry(m.id, &reason, next)
                    .await?;
                Ok(Settled::Retrying)
            }
            Delivery::Failed { reason } => self.fail(m, &reason).await,
        }
    }

    async fn fail(&self, m: &QueuedMessage, reason: &str) -> Result<Settled, StoreError> {
        warn!(
            channel.message = m.id,
            team.name = %m.team,
            channel.kind = m.channel.as_str(),
            error = %reason,
            "channel message failed"
        );
        self.store.channel_message_failed(m.id, reason).await?;
        Ok(Settled::Failed)
    }

    /// The message's webhook URL, or why there is none (a reason that names
    /// the variable, never its value).
    fn url(&self, m: &QueuedMessage) -> Result<reqwest::Url, String> {
        let label = m.channel.label();
        let Some(var) = &m.webhook_env else {
            return Err(format!("team {} has no {label} webhook any more", m.team));
        };
        let Some(url) = self.webhooks.get(var) else {
            return Err(format!(
                "{var} (team {}'s {label} webhook) is not set in placewatch's environment",
                m.team
            ));
        };
        let url = reqwest::Url::parse(url.expose_secret())
            .map_err(|_| format!("{var} (team {}'s {label} webhook) is not a URL", m.team))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(format!(
                "{var} (team {}'s {label} webhook) is not an http(s) URL",
                m.team
            ));
        }
        Ok(url)
    }

    /// Posts `payload` and classifies the answer. The post names the
    /// message ([`MESSAGE_ID_HEADER`]): the same on every try, so a receiver
    /// that keeps track can tell a repeat after a crash from a new message.
    async fn post(&self, url: &reqwest::Url, id: i64, payload: &serde_json::Value) -> Delivery {
        let request = self
            .http
            .post(url.clone())
            .header(
                MESSAGE_ID_HEADER,
                format!("placewatch-channel-message-{id}"),
            )
            .json(payload);
        let response = match request.send().await {
            Ok(r) => r,
            // Without the URL: it is a secret.
            Err(e) => return transport_error(e.without_url()),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| channel::retry_after(v, OffsetDateTime::now_utc().unix_timestamp()));
        let body = match response.bytes().await {
            Ok(b) => String::from_utf8_lossy(&b[..b.len().min(1024)]).into_owned(),
            Err(_) => String::new(),
        };
        channel::classify(status, retry_after, &body)
    }

    /// Sends what is due every `every` until `stop`.
    pub async fn run_until_stopped(self, every: Duration, stop: CancellationToken) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => return,
                _ = ticker.tick() => {}
            }
            // A send in flight finishes (within REQUEST_TIMEOUT) before
            // stopping, so its answer is recorded and it is not sent twice.
            if let Err(e) = self.send_due().await {
                warn!(
                    error = format!("{:#}", anyhow::Error::new(e)),
                    "channel sender: store error"
                );
            }
        }
    }
}

/// A message's fate after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    Delivered,
    Retrying,
    Failed,
}

/// A request that got no answer: timeouts, refused or dropped connections
/// are worth another try; a request that could not even be built is not.
fn transport_error(e: reqwest::Error) -> Delivery {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_builder() {
        return Delivery::Failed {
            reason: format!("could not build the request: {}", error_chain(e)),
        };
    } else {
        "no answer"
    };
    Delivery::Retry {
        reason: format!("{what}: {}", error_chain(e)),
        after: None,
    }
}

/// An error and its causes on one line.
fn error_chain(e: reqwest::Error) -> String {
    format!("{:#}", anyhow::Error::new(e))
}
