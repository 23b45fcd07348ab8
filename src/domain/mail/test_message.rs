//! The message `placewatch mail test` sends to check the email settings.

use askama::Template;
use time::OffsetDateTime;
use time::macros::format_description;

use super::email::{Email, EmailError, MessageId, NamedAddress};
use super::header::{NAME_MAX_CHARS, header_text};

/// Facts the test message states.
#[derive(Debug, Clone, PartialEq)]
pub struct TestMessage {
    /// `council.name`.
    pub council: String,
    /// The config file, as the admin named it.
    pub config: String,
    /// `host:port`.
    pub server: String,
    pub sent_at: OffsetDateTime,
}

impl TestMessage {
    /// The email, with a Message-ID made of the time it was sent.
    pub fn email(&self, from: NamedAddress, to: NamedAddress) -> Result<Email, EmailError> {
        let view = View {
            council: header_text(&self.council, NAME_MAX_CHARS),
            config: header_text(&self.config, 400),
            server: header_text(&self.server, NAME_MAX_CHARS),
            sent_at: self
                .sent_at
                .to_offset(time::UtcOffset::UTC)
                .format(format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
                ))
                .unwrap_or_default(),
        };
        let render =
            |r: Result<String, askama::Error>| r.map_err(|e| EmailError::Build(e.to_string()));
        let text = render(TextPart { v: &view }.render())?;
        let html = render(HtmlPart { v: &view }.render())?;
        let nanos = self.sent_at.unix_timestamp_nanos();
        let id = MessageId::new(&format!("placewatch-test.{nanos}"), "placewatch.invalid")?;
        let subject = format!(
            "placewatch test message from the {} comms desk",
            view.council
        );
        Email::new(from, vec![to], &subject, text, html, id)
    }
}

struct View {
    council: String,
    config: String,
    server: String,
    sent_at: String,
}

#[derive(Template)]
#[template(path = "mail/test.txt")]
struct TextPart<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "mail/test.html")]
struct HtmlPart<'a> {
    v: &'a View,
}
