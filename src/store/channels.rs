//! The channel outbox: messages to teams' Microsoft Teams and Slack
//! channels, queued in the transaction that causes them and sent by
//! `channels::Sender` after commit, one at a time per team and channel.
//!
//! [`enqueue_assignment`] is the door for the assignment code: it queues
//! "Item 123 assigned to Streets by sam: …" for each channel the team has,
//! on the caller's transaction. Webhook URLs are never stored: a team holds
//! the names of the variables with them, looked up when sending.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use super::{Store, StoreError, codec};
use crate::domain::channel::{ChannelKind, Notice};

/// What a message is about (`channel_messages.about`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    Assignment,
    Spike,
}

impl About {
    fn as_str(self) -> &'static str {
        match self {
            About::Assignment => "assignment",
            About::Spike => "spike",
        }
    }
}

/// An item assigned to a team, as its channels are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentSummary<'a> {
    pub item_id: i64,
    /// The officer who assigned it (username).
    pub by: &'a str,
    pub post_text: &'a str,
    /// The item in the desk (the configured public URL + `/items/ID`).
    pub link: &'a str,
}

/// Team `team_id`'s name.
async fn team_name(tx: &mut AnyConnection, team_id: i64) -> Result<String, StoreError> {
    sqlx::query_scalar("SELECT name FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            what: "team",
            id: team_id,
        })
}

/// Queues "Item 123 assigned to Streets by sam: <post text> — <link>" for
/// each channel team `team_id` has a webhook variable for, on the caller's
/// transaction (so it is sent only if the assignment commits). Returns how
/// many messages were queued (0 for a team without channels).
pub async fn enqueue_assignment(
    tx: &mut AnyConnection,
    team_id: i64,
    summary: &AssignmentSummary<'_>,
) -> Result<usize, StoreError> {
    let team = team_name(tx, team_id).await?;
    let notice = Notice::Assignment {
        item_id: summary.item_id,
        team,
        by: summary.by.to_string(),
        post_text: summary.post_text.to_string(),
        link: summary.link.to_string(),
    };
    enqueue(tx, team_id, About::Assignment, &notice).await
}

/// Queues "12 items assigned to Streets by sam — <link>" for each channel
/// of team `team_id`, on the caller's transaction: a bulk assignment's one
/// message. `link` is the team's items in the desk.
pub async fn enqueue_assignments(
    tx: &mut AnyConnection,
    team_id: i64,
    by: &str,
    count: usize,
    link: &str,
) -> Result<usize, StoreError> {
    let team = team_name(tx, team_id).await?;
    let notice = Notice::Assignments {
        count,
        team,
        by: by.to_owned(),
        link: link.to_owned(),
    };
    enqueue(tx, team_id, About::Assignment, &notice).await
}

/// Queues `notice` for each channel team `team_id` has a webhook variable
/// for, due at once. Returns how many messages were queued.
pub(super) async fn enqueue(
    tx: &mut AnyConnection,
    team_id: i64,
    about: About,
    notice: &Notice,
) -> Result<usize, StoreError> {
    let row = sqlx::query("SELECT teams_webhook_env, slack_webhook_env FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            what: "team",
            id: team_id,
        })?;
    let mut kinds = Vec::new();
    if row
        .try_get::<Option<String>, _>("teams_webhook_env")?
        .is_some()
    {
        kinds.push(ChannelKind::Teams);
    }
    if row
        .try_get::<Option<String>, _>("slack_webhook_env")?
        .is_some()
    {
        kinds.push(ChannelKind::Slack);
    }
    let now = codec::now();
    for kind in &kinds {
        sqlx::query(
            "INSERT INTO channel_messages \
             (team_id, channel, about, payload, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(team_id)
        .bind(kind.as_str())
        .bind(about.as_str())
        .bind(kind.payload(notice).to_string())
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(kinds.len())
}

/// A queued message, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedMessage {
    pub id: i64,
    pub team_id: i64,
    pub team: String,
    pub channel: ChannelKind,
    /// The variable holding the webhook's URL (`None`: the team has no
    /// such channel any more).
    pub webhook_env: Option<String>,
    /// The JSON body to post.
    pub payload: Value,
    /// Tries so far.
    pub attempts: u32,
}

/// A message as the status page and the tests see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMessage {
    pub id: i64,
    pub team: String,
    pub channel: ChannelKind,
    pub about: String,
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub payload: Value,
}

/// The outbox at a glance (the status page).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelOutbox {
    pub queued: u64,
    pub failed: u64,
    pub sent: u64,
    /// The newest message with an error (queued for a retry, or failed).
    pub last_error: Option<ChannelMessage>,
}

const MESSAGE_COLUMNS: &str = "m.id, t.name AS team, m.channel, m.about, m.state, m.attempts, \
     m.last_error, m.created_at, m.sent_at, m.payload";

fn channel(s: &str) -> Result<ChannelKind, StoreError> {
    ChannelKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown channel {s:?}")))
}

fn attempts(row: &AnyRow) -> Result<u32, StoreError> {
    let n: i64 = row.try_get("attempts")?;
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("attempts {n}")))
}

fn decode_message(row: &AnyRow) -> Result<ChannelMessage, StoreError> {
    let payload: String = row.try_get("payload")?;
    Ok(ChannelMessage {
        id: row.try_get("id")?,
        team: row.try_get("team")?,
        channel: channel(row.try_get("channel")?)?,
        about: row.try_get("about")?,
        state: row.try_get("state")?,
        attempts: attempts(row)?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        payload: codec::from_json(&payload, "channel message payload")?,
    })
}

impl Store {
    /// [`enqueue_assignment`] in a transaction of its own (the CLI, tests).
    pub async fn queue_assignment(
        &self,
        team_id: i64,
        summary: &AssignmentSummary<'_>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin_write().await?;
        let queued = enqueue_assignment(&mut tx, team_id, summary).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// The oldest queued message of each team's channel, where it is due
    /// by `now`: one per webhook, so each is sent in order, one at a time,
    /// and a webhook waiting out a retry holds back its later messages.
    pub async fn due_channel_messages(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<QueuedMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.team_id, t.name AS team, m.channel, m.payload, m.attempts, \
                    CASE m.channel WHEN 'teams' THEN t.teams_webhook_env \
                                   ELSE t.slack_webhook_env END AS webhook_env \
             FROM channel_messages m JOIN teams t ON t.id = m.team_id \
             WHERE m.state = 'queued' AND m.next_attempt_at <= $1 \
               AND m.id = (SELECT min(id) FROM channel_messages h \
                           WHERE h.state = 'queued' AND h.team_id = m.team_id \
                             AND h.channel = m.channel) \
             ORDER BY m.id",
        )
        .bind(codec::format_timestamp(now))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(QueuedMessage {
                    id: r.try_get("id")?,
                    team_id: r.try_get("team_id")?,
                    team: r.try_get("team")?,
                    channel: channel(r.try_get("channel")?)?,
                    webhook_env: r.try_get("webhook_env")?,
                    payload: codec::from_json(&payload, "channel message payload")?,
                    attempts: attempts(r)?,
                })
            })
            .collect()
    }

    /// Records that message `id` is about to be posted: its tries go up by
    /// one, committed before the post, so a crash mid-post leaves it queued
    /// with the try counted (it goes again, with the same message id).
    /// Returns the try about to be made (1 for the first), or `None` for a
    /// message no longer queued.
    pub async fn channel_message_attempt(&self, id: i64) -> Result<Option<u32>, StoreError> {
        let mut tx = self.begin_write().await?;
        let tries: Option<i64> = sqlx::query_scalar(
            "UPDATE channel_messages SET attempts = attempts + 1 \
             WHERE id = $1 AND state = 'queued' RETURNING attempts",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(tries.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Message `id` was delivered.
    pub async fn channel_message_sent(&self, id: i64) -> Result<(), StoreError> {
        self.settle_message(id, "sent", None, None).await
    }

    /// Message `id` failed for now: try again at `next_at`.
    pub async fn channel_message_retry(
        &self,
        id: i64,
        error: &str,
        next_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.settle_message(id, "queued", Some(error), Some(next_at))
            .await
    }

    /// Message `id` failed for good, for `error`.
    pub async fn channel_message_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.settle_message(id, "failed", Some(error), None).await
    }

    /// Records how a try of a queued message ended (the try itself was
    /// counted by [`Store::channel_message_attempt`]): its new state, error
    /// and next try. A message no longer queued is left alone.
    async fn settle_message(
        &self,
        id: i64,
        state: &str,
        error: Option<&str>,
        next_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let now = codec::now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE channel_messages SET state = $1, \
                 last_error = coalesce($2, last_error), \
                 next_attempt_at = coalesce($3, next_attempt_at), \
                 sent_at = CASE WHEN $4 = 'sent' THEN $5 ELSE sent_at END \
             WHERE id = $6 AND state = 'queued'",
        )
        .bind(state)
        .bind(error)
        .bind(next_at.map(codec::format_timestamp))
        .bind(state)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` channel messages, newest first.
    pub async fn channel_messages(&self, limit: u32) -> Result<Vec<ChannelMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM channel_messages m JOIN teams t ON t.id = m.team_id \
             ORDER BY m.id DESC LIMIT $1"
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode_message).collect()
    }

    /// Counts by state and the newest error, for the status page.
    pub async fn channel_outbox(&self) -> Result<ChannelOutbox, StoreError> {
        let rows = sqlx::query("SELECT state, count(*) AS n FROM channel_messages GROUP BY state")
            .fetch_all(&self.read)
            .await?;
        let mut outbox = ChannelOutbox::default();
        for r in &rows {
            let n = codec::count_from_db(r.try_get("n")?, "channel messages")?;
            match r.try_get::<&str, _>("state")? {
                "queued" => outbox.queued = n,
                "failed" => outbox.failed = n,
                "sent" => outbox.sent = n,
                other => return Err(StoreError::Corrupt(format!("channel state {other:?}"))),
            }
        }
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM channel_messages m JOIN teams t ON t.id = m.team_id \
             WHERE m.state IN ('queued', 'failed') AND m.last_error IS NOT NULL \
             ORDER BY m.id DESC LIMIT 1"
        );
        outbox.last_error = sqlx::query(&sql)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(decode_message)
            .transpose()?;
        Ok(outbox)
    }
}
