//! Messages to a team's chat channels: what is said (an assignment, a spike
//! alert), how it is shaped for each service (a Microsoft Teams Workflows
//! webhook takes an Adaptive Card 1.4 in a `message` envelope; a Slack
//! incoming webhook takes `text` and `blocks` in mrkdwn), and what a
//! webhook's answer means for the outbox (delivered, try again later, or
//! failed for good) with the backoff between tries.
//!
//! Pure: no HTTP, no SQL. `channels` sends, `store::channels` keeps the
//! outbox.

use std::time::Duration;

use serde_json::{Value, json};

/// The chat service a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelKind {
    /// Microsoft Teams, through a Workflows "When a Teams webhook request is
    /// received" trigger.
    Teams,
    /// A Slack incoming webhook.
    Slack,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 2] = [ChannelKind::Teams, ChannelKind::Slack];

    /// The name stored in `channel_messages.channel`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Teams => "teams",
            ChannelKind::Slack => "slack",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How people name it: "Microsoft Teams", "Slack".
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Teams => "Microsoft Teams",
            ChannelKind::Slack => "Slack",
        }
    }

    /// The message in this service's shape.
    pub fn payload(self, notice: &Notice) -> Value {
        match self {
            ChannelKind::Teams => teams_payload(notice),
            ChannelKind::Slack => slack_payload(notice),
        }
    }
}

/// Post text quoted in a message is cut to this many characters: Teams
/// refuses messages over about 28 KB, and a channel wants the gist.
pub const QUOTE_CHARS: usize = 500;

/// What a channel is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// An item was assigned to the team.
    Assignment {
        item_id: i64,
        team: String,
        /// The officer who assigned it (username).
        by: String,
        post_text: String,
        /// The item in the desk.
        link: String,
    },
    /// Several items were assigned to the team at once (a bulk assignment):
    /// one message, not one per item.
    Assignments {
        count: usize,
        team: String,
        by: String,
        /// The team's items in the desk.
        link: String,
    },
    /// Posts about a place or tag spiked.
    Spike(SpikeNotice),
}

/// A spike as a channel (and the desk's banner) tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeNotice {
    /// "Thornton Heath" (a place) or "flooding" (a tag).
    pub subject: String,
    pub is_tag: bool,
    /// The most common tag of the hour's posts, as a headline ("Flooding").
    pub headline: Option<String>,
    /// Posts in the last hour.
    pub count: u64,
    /// The same hour's average over the baseline weeks.
    pub usual: f64,
    /// The inbox filtered to the subject.
    pub link: String,
}

impl SpikeNotice {
    /// "Flooding: 34 posts about Thornton Heath in the last hour, usually 3".
    pub fn sentence(&self) -> String {
        let head = match &self.headline {
            Some(h) => capitalise(h),
            None => "Spike".to_string(),
        };
        let about = if self.is_tag {
            format!("tagged {}", self.subject)
        } else {
            format!("about {}", self.subject)
        };
        let posts = if self.count == 1 { "post" } else { "posts" };
        format!(
            "{head}: {} {posts} {about} in the last hour, {}",
            self.count,
            usually(self.usual)
        )
    }
}

/// "usually 3", "usually none", "usually under 1".
pub fn usually(usual: f64) -> String {
    if usual <= 0.0 {
        "usually none".to_string()
    } else if usual < 0.5 {
        "usually under 1".to_string()
    } else {
        format!("usually {}", usual.round() as u64)
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `text` cut to [`QUOTE_CHARS`] characters, with an ellipsis when cut.
pub fn quote(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= QUOTE_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(QUOTE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

impl Notice {
    /// The one-line summary (Slack's notification text, the card's title).
    pub fn title(&self) -> String {
        match self {
            Notice::Assignment {
                item_id, team, by, ..
            } => format!("Item {item_id} assigned to {team} by {by}"),
            Notice::Assignments {
                count, team, by, ..
            } => format!("{count} items assigned to {team} by {by}"),
            Notice::Spike(s) => s.sentence(),
        }
    }

    /// "Item 123 assigned to Streets by sam: <post text> — <desk link>".
    pub fn plain(&self) -> String {
        match self {
            Notice::Assignment {
                post_text, link, ..
            } => format!("{}: {} — {link}", self.title(), quote(post_text)),
            Notice::Assignments { link, .. } => format!("{} — {link}", self.title()),
            Notice::Spike(s) => format!("{} — {}", s.sentence(), s.link),
        }
    }

    fn link(&self) -> (&str, &'static str) {
        match self {
            Notice::Assignment { link, .. } => (link, "Open in placewatch"),
            Notice::Assignments { link, .. } => (link, "Open the team's items"),
            Notice::Spike(s) => (&s.link, "Open the inbox"),
        }
    }
}

/// Slack's mrkdwn needs only `&`, `<` and `>` escaped (as HTML entities);
/// everything else is shown as written.
pub fn slack_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A Slack link `<url|label>`; the URL's own `|`, `<`, `>` are percent-encoded
/// so they cannot end the link early.
fn slack_link(url: &str, label: &str) -> String {
    let url = url
        .replace('|', "%7C")
        .replace('<', "%3C")
        .replace('>', "%3E");
    format!("<{url}|{}>", slack_escape(label))
}

/// A Slack incoming-webhook body: `text` (the notification's fallback) and
/// `blocks` (what the channel shows), all text escaped.
pub fn slack_payload(notice: &Notice) -> Value {
    let (url, label) = notice.link();
    let mut blocks = vec![json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": format!("*{}*", slack_escape(&notice.title())) }
    })];
    if let Notice::Assignment { post_text, .. } = notice {
        let quoted: String = quote(post_text)
            .lines()
            .map(|l| format!("&gt; {}", slack_escape(l)))
            .collect::<Vec<_>>()
            .join("\n");
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": quoted }
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": slack_link(url, label) }]
    }));
    json!({ "text": slack_escape(&notice.plain()), "blocks": blocks })
}

/// A Microsoft Teams Workflows webhook body: the `message` envelope around
/// one Adaptive Card 1.4 (1.5 cards fail when the flow bot posts them).
/// Card text blocks are plain strings in JSON, so nothing needs escaping
/// beyond what serde does.
pub fn teams_payload(notice: &Notice) -> Value {
    let (url, label) = notice.link();
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": notice.title(),
        "weight": "bolder",
        "size": "medium",
        "wrap": true
    })];
    match notice {
        Notice::Assignment { post_text, .. } => body.push(json!({
            "type": "TextBlock",
            "text": quote(post_text),
            "wrap": true
        })),
        Notice::Assignments { .. } => {}
        Notice::Spike(s) => {
            let mut facts = vec![
                json!({ "title": if s.is_tag { "Tag:" } else { "Place:" }, "value": s.subject }),
                json!({ "title": "Last hour:", "value": s.count.to_string() }),
                json!({ "title": "Usual:", "value": usually(s.usual) }),
            ];
            if let Some(h) = &s.headline {
                facts.insert(1, json!({ "title": "Topic:", "value": h }));
            }
            body.push(json!({ "type": "FactSet", "facts": facts }));
        }
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": [{ "type": "Action.OpenUrl", "title": label, "url": url }]
            }
        }]
    })
}

/// What a webhook's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Taken (any 2xx).
    Delivered,
    /// Try again: after `after` if the service said when (429's
    /// `Retry-After`), else after the backoff.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Refused for good (4xx other than 408 and 429): sending the same
    /// again will not help.
    Failed { reason: String },
}

/// The longest `Retry-After` honoured; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Classifies a webhook's HTTP answer. `body` is the start of the
/// response's body, quoted in the reason (webhooks explain refusals there).
pub fn classify(status: u16, retry_after: Option<Duration>, body: &str) -> Delivery {
    let body = body.trim();
    let said = if body.is_empty() {
        String::new()
    } else {
        format!(": {}", body.chars().take(200).collect::<String>())
    };
    match status {
        200..=299 => Delivery::Delivered,
        429 => Delivery::Retry {
            reason: format!("HTTP 429 (rate limited){said}"),
            after: retry_after.map(|d| d.min(MAX_RETRY_AFTER)),
        },
        408 | 500..=599 => Delivery::Retry {
            reason: format!("HTTP {status}{said}"),
            after: None,
        },
        _ => Delivery::Failed {
            reason: format!("HTTP {status}{said}"),
        },
    }
}

/// `Retry-After` as a delay: whole seconds, or an HTTP date (`now_unix` is
/// the current time in Unix seconds). `None` when it is neither.
pub fn retry_after(value: &str, now_unix: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822)
        .ok()?
        .unix_timestamp();
    Some(Duration::from_secs(
        u64::try_from(at - now_unix).unwrap_or(0),
    ))
}

/// Tries before a message that keeps failing temporarily is given up.
pub const MAX_ATTEMPTS: u32 = 12;

/// Waits between tries: `base` doubling with each attempt, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// 10 s, 20 s, 40 s … at most an hour: twelve tries span about six hours.
    pub const DEFAULT: Backoff = Backoff {
        base: Duration::from_secs(10),
        cap: Duration::from_secs(3600),
    };

    /// The wait after the `attempts`-th failed try (1 = the first).
    pub fn after(self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        self.base.saturating_mul(1 << doublings).min(self.cap)
    }
}

#[cfg(test)]
mod tests;
