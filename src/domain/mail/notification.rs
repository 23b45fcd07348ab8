//! Notification emails: one notification as it happens, or an officer's
//! daily digest of her unread ones. `NotificationMail` is plain data the
//! mail task fills in from the store; `NotificationMail::email` turns it
//! into an `Email`. The HTML part comes from `templates/mail/notification.html`
//! (askama escapes every value), the plain part from
//! `templates/mail/notification.txt`. Summaries quote what officers wrote
//! (a reason, a note), so they are cleaned like headers and kept in `<bdi>`.

use askama::Template;
use url::Url;

use super::email::{Email, EmailError, MessageId, NamedAddress};
use super::header::{NAME_MAX_CHARS, header_text};

/// The longest summary written, in characters.
const SUMMARY_MAX_CHARS: usize = 400;

/// One notification in an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationLine {
    pub id: i64,
    /// "Reply rejected" (`Kind::heading`).
    pub heading: &'static str,
    pub summary: String,
    pub item_id: Option<i64>,
}

/// An email telling an officer of one notification, or her digest.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationMail {
    /// `council.name`.
    pub council: String,
    /// The officer's display name.
    pub officer: String,
    /// Oldest first.
    pub lines: Vec<NotificationLine>,
    /// A digest ("Your daily digest"); otherwise one notification.
    pub digest: bool,
    /// More unread notifications than `lines` holds (a digest lists a few
    /// dozen at most).
    pub more: u64,
    /// The desk's address (`desk.public_url`); without it the email names
    /// items but cannot link to them.
    pub desk_url: Option<Url>,
}

impl NotificationMail {
    /// The Message-ID of notification `id`'s own email: the same every time
    /// it is sent, so a resend after a crash is recognised as the same one.
    pub fn message_id(id: i64) -> Result<MessageId, EmailError> {
        MessageId::new(&format!("notification.{id}"), "placewatch.invalid")
    }

    /// The Message-ID of `username`'s digest due at `due_unix` (seconds).
    pub fn digest_message_id(username: &str, due_unix: i64) -> Result<MessageId, EmailError> {
        let hex: String = username.bytes().map(|b| format!("{b:02x}")).collect();
        MessageId::new(&format!("digest.{due_unix}.{hex}"), "placewatch.invalid")
    }

    /// The email. Subject: `Reply rejected: priya rejected your reply…` for
    /// one, `Your placewatch digest: 3 unread notifications` for a digest.
    pub fn email(
        &self,
        from: NamedAddress,
        to: NamedAddress,
        message_id: MessageId,
    ) -> Result<Email, EmailError> {
        let lines: Vec<Line> = self
            .lines
            .iter()
            .map(|l| Line {
                heading: l.heading,
                summary: header_text(&l.summary, SUMMARY_MAX_CHARS),
                url: self.url(&format!("notifications/{}", l.id)),
                item_id: l.item_id,
            })
            .collect();
        let total = self.lines.len() as u64 + self.more;
        let subject = match (self.digest, lines.first()) {
            (false, Some(one)) => header_text(&format!("{}: {}", one.heading, one.summary), 150),
            _ => format!(
                "Your placewatch digest: {total} unread notification{}",
                if total == 1 { "" } else { "s" }
            ),
        };
        let view = View {
            council: header_text(&self.council, NAME_MAX_CHARS),
            officer: header_text(&self.officer, NAME_MAX_CHARS),
            lines,
            digest: self.digest,
            more: self.more,
            list_url: self.url("notifications"),
        };
        let render =
            |r: Result<String, askama::Error>| r.map_err(|e| EmailError::Build(e.to_string()));
        let text = render(TextPart { v: &view }.render())?;
        let html = render(
            HtmlPart {
                v: &view,
                subject: &subject,
            }
            .render(),
        )?;
        Email::new(from, vec![to], &subject, text, html, message_id)
    }

    fn url(&self, path: &str) -> Option<String> {
        let base = self.desk_url.as_ref()?;
        base.join(path).ok().map(String::from)
    }
}

struct Line {
    heading: &'static str,
    summary: String,
    url: Option<String>,
    item_id: Option<i64>,
}

struct View {
    council: String,
    officer: String,
    lines: Vec<Line>,
    digest: bool,
    more: u64,
    list_url: Option<String>,
}

#[derive(Template)]
#[template(path = "mail/notification.txt")]
struct TextPart<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "mail/notification.html")]
struct HtmlPart<'a> {
    v: &'a View,
    subject: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(a: &str) -> NamedAddress {
        NamedAddress::new("Sam", a.parse().unwrap())
    }

    fn mail(lines: Vec<NotificationLine>, digest: bool) -> NotificationMail {
        NotificationMail {
            council: "Croydon Council".into(),
            officer: "Sam \u{202E}Patel".into(),
            lines,
            digest,
            more: 0,
            desk_url: Some("https://desk.croydon.example/".parse().unwrap()),
        }
    }

    fn rejected() -> NotificationLine {
        NotificationLine {
            id: 7,
            heading: "Reply rejected",
            summary:
                "priya rejected your reply 3 on item 12: <b>wrong</b> team\r\nBcc: x@evil.example"
                    .into(),
            item_id: Some(12),
        }
    }

    #[test]
    fn one_notification_is_escaped_and_links_to_it() {
        let id = NotificationMail::message_id(7).unwrap();
        assert_eq!(id.as_str(), "<notification.7@placewatch.invalid>");
        let email = mail(vec![rejected()], false)
            .email(
                named("desk@croydon.example"),
                named("sam@croydon.example"),
                id,
            )
            .unwrap();
        assert!(
            email
                .subject()
                .starts_with("Reply rejected: priya rejected your reply 3")
        );
        assert!(!email.subject().contains('\n'));
        assert!(
            email.html().contains("&#60;b&#62;wrong&#60;/b&#62;"),
            "{}",
            email.html()
        );
        assert!(!email.html().contains("<b>wrong"));
        assert!(
            email
                .html()
                .contains("https://desk.croydon.example/notifications/7")
        );
        assert!(
            email
                .text()
                .contains("https://desk.croydon.example/notifications/7")
        );
        assert!(
            email.text().contains("Hello Sam Patel,"),
            "{}",
            email.text()
        );
        assert!(!email.text().contains("\r\nBcc:"));
    }

    #[test]
    fn a_digest_lists_each_and_counts_the_rest() {
        let mut second = rejected();
        second.id = 8;
        second.heading = "Mentioned";
        second.summary = "alex mentioned you in a note on item 13: “@sam look”".into();
        second.item_id = Some(13);
        let mut digest = mail(vec![rejected(), second], true);
        digest.more = 3;
        digest.desk_url = None;
        let id = NotificationMail::digest_message_id("sam.p", 1_796_630_400).unwrap();
        assert_eq!(
            id.as_str(),
            "<digest.1796630400.73616d2e70@placewatch.invalid>"
        );
        let email = digest
            .email(
                named("desk@croydon.example"),
                named("sam@croydon.example"),
                id,
            )
            .unwrap();
        assert_eq!(
            email.subject(),
            "Your placewatch digest: 5 unread notifications"
        );
        assert!(email.text().contains("Mentioned: alex mentioned you"));
        assert!(email.text().contains("and 3 more"), "{}", email.text());
        assert!(email.text().contains("(item 13)"), "{}", email.text());
        assert!(!email.html().contains("href"), "no desk address, no links");
    }
}
