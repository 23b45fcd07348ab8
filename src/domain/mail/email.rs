//! `Email`: one message as placewatch sends it, safe by construction, and
//! the MIME message lettre writes from it (no I/O: `mail::Mailer` sends).

use std::fmt;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as Part, Mailbox, MultiPart};
use lettre::{Address, Message};

use super::header::{NAME_MAX_CHARS, SUBJECT_MAX_CHARS, header_text};

/// Why an email cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// No recipient was given.
    #[error("an email needs at least one recipient")]
    NoRecipient,
    /// A Message-ID that is not `<left@right>` of letters, digits and `.-_+=`.
    #[error("{0:?} is not a Message-ID such as <PW-000123.1@placewatch.invalid>")]
    MessageId(String),
    /// lettre refused the message (not expected: every part is checked first).
    #[error("the message could not be built: {0}")]
    Build(String),
}

/// An address with an optional display name, the name made safe for a
/// header (`header::header_text`, at most 100 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAddress {
    name: Option<String>,
    address: Address,
}

impl NamedAddress {
    /// `name <address>`; a name that is empty once cleaned is left out.
    pub fn new(name: &str, address: Address) -> NamedAddress {
        let name = header_text(name, NAME_MAX_CHARS);
        NamedAddress {
            name: (!name.is_empty()).then_some(name),
            address,
        }
    }

    /// The address alone.
    pub fn bare(address: Address) -> NamedAddress {
        NamedAddress {
            name: None,
            address,
        }
    }

    /// The display name, as cleaned.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    fn mailbox(&self) -> Mailbox {
        Mailbox::new(self.name.clone(), self.address.clone())
    }
}

impl fmt::Display for NamedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.mailbox().fmt(f)
    }
}

/// A Message-ID the caller chooses, so that a message sent again can be
/// recognised: `<PW-000123.1@placewatch.invalid>`. Each side is letters,
/// digits and `.-_+=` (no leading, trailing or doubled dot), 250 characters
/// in all at most.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(String);

impl MessageId {
    /// `<left@right>` from its two sides.
    pub fn new(left: &str, right: &str) -> Result<MessageId, EmailError> {
        Self::parse(&format!("<{left}@{right}>"))
    }

    /// A Message-ID as written in the header, angle brackets included.
    pub fn parse(text: &str) -> Result<MessageId, EmailError> {
        let bad = || EmailError::MessageId(text.to_string());
        let inner = text
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .ok_or_else(bad)?;
        let (left, right) = inner.split_once('@').ok_or_else(bad)?;
        let side_ok = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && !s.ends_with('.')
                && !s.contains("..")
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_+=".contains(c))
        };
        if text.len() > 250 || !side_ok(left) || !side_ok(right) {
            return Err(bad());
        }
        Ok(MessageId(text.to_string()))
    }

    /// The header value, `<left@right>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file sent with an email: its name (chosen by placewatch, never from
/// what a post says), its MIME type and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// `text/csv; charset=utf-8`.
    pub content_type: String,
    pub body: Vec<u8>,
}

/// One email: sender, recipients, subject, a plain-text and an HTML body
/// (sent as multipart/alternative, plain first), any attachments, and the
/// caller's Message-ID. The subject and names are cleaned when it is built, so no
/// text that reaches an `Email` can add a header or a recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    from: NamedAddress,
    to: Vec<NamedAddress>,
    reply_to: Option<NamedAddress>,
    subject: String,
    text: String,
    html: String,
    attachments: Vec<Attachment>,
    message_id: MessageId,
}

impl Email {
    /// An email to one or more recipients. The subject is cleaned like a
    /// display name and cut to 200 characters; the bodies are kept as they
    /// are (the HTML must already be escaped: see `referral`).
    pub fn new(
        from: NamedAddress,
        to: Vec<NamedAddress>,
        subject: &str,
        text: String,
        html: String,
        message_id: MessageId,
    ) -> Result<Email, EmailError> {
        if to.is_empty() {
            return Err(EmailError::NoRecipient);
        }
        Ok(Email {
            from,
            to,
            reply_to: None,
            subject: header_text(subject, SUBJECT_MAX_CHARS),
            text,
            html,
            attachments: Vec::new(),
            message_id,
        })
    }

    /// Sends `attachment` with it.
    pub fn with_attachment(mut self, attachment: Attachment) -> Email {
        self.attachments.push(attachment);
        self
    }

    pub fn attachments(&self) -> &[Attachment] {
        &self.attachments
    }

    /// Replies go to `reply_to` instead of the sender.
    pub fn with_reply_to(mut self, reply_to: NamedAddress) -> Email {
        self.reply_to = Some(reply_to);
        self
    }

    pub fn from(&self) -> &NamedAddress {
        &self.from
    }

    pub fn to(&self) -> &[NamedAddress] {
        &self.to
    }

    pub fn reply_to(&self) -> Option<&NamedAddress> {
        self.reply_to.as_ref()
    }

    /// The subject, as cleaned.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn html(&self) -> &str {
        &self.html
    }

    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }

    /// The MIME message: headers (non-ASCII as RFC 2047 encoded words, by
    /// lettre), `multipart/alternative` with `text/plain` then `text/html`,
    /// both UTF-8 (inside `multipart/mixed` after them, the attachments). lettre adds `Date` and `MIME-Version`; the envelope's
    /// recipients are exactly `to`.
    pub fn message(&self) -> Result<Message, EmailError> {
        let mut builder = Message::builder()
            .message_id(Some(self.message_id.0.clone()))
            .from(self.from.mailbox())
            .subject(self.subject.clone());
        for to in &self.to {
            builder = builder.to(to.mailbox());
        }
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.mailbox());
        }
        let mut body = MultiPart::alternative_plain_html(self.text.clone(), self.html.clone());
        if !self.attachments.is_empty() {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in &self.attachments {
                let content_type = ContentType::parse(&a.content_type)
                    .map_err(|e| EmailError::Build(format!("{}: {e}", a.content_type)))?;
                mixed = mixed
                    .singlepart(Part::new(a.filename.clone()).body(a.body.clone(), content_type));
            }
            body = mixed;
        }
        builder
            .multipart(body)
            .map_err(|e| EmailError::Build(e.to_string()))
    }
}
