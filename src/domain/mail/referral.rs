//! The referral email: a post handed to a service team (or a contractor),
//! with everything the team needs to act without logging in to the desk.
//! `Referral` is plain data that the referral outbox fills in;
//! `Referral::email` turns it into an `Email`.
//!
//! The HTML part comes from `templates/mail/referral.html` (askama escapes
//! every value), the plain part from `templates/mail/referral.txt`. Text a
//! resident or an officer wrote at length (the post, the reason) is kept
//! exactly as written, in a paragraph of its own, and in the HTML inside
//! `<bdi>` so a right-to-left override in it cannot turn the words around
//! it. One-line values (names, places, the team) are cleaned like headers.

use std::fmt;

use askama::Template;
use time::OffsetDateTime;
use time::macros::format_description;
use url::Url;

use super::email::{Email, EmailError, MessageId, NamedAddress};
use super::header::{NAME_MAX_CHARS, header_text};
use crate::domain::figures::first_few;

/// A referral's reference, quoted by the team and the resident:
/// `PW-000123` (at least six digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(u64);

impl Reference {
    /// The reference of referral number `n`.
    pub fn new(n: u64) -> Reference {
        Reference(n)
    }

    /// `PW-000123` back to its number.
    pub fn parse(text: &str) -> Option<Reference> {
        let digits = text.strip_prefix("PW-")?;
        if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Reference)
    }

    /// The number.
    pub fn number(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PW-{:06}", self.0)
    }
}

/// Everything a referral email says. The outbox fills it in from the item,
/// its post and the officer's choice of team and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub reference: Reference,
    /// The council's name (`council.name`), e.g. "Croydon Council".
    pub council: String,
    /// The team referred to, e.g. "Streets team".
    pub team: String,
    /// Why the officer referred it, as she wrote it.
    pub reason: String,
    /// The referring officer's name.
    pub officer: String,
    /// The post, byte-exact.
    pub post_id: u64,
    pub post_text: String,
    /// When X says it was posted.
    pub posted_at: Option<OffsetDateTime>,
    /// The author's display name and username (without `@`).
    pub author_name: String,
    pub author_handle: String,
    /// The place names the post matched.
    pub places: Vec<String>,
    /// The item in the desk, and the desk's address (`desk.public_url`);
    /// without it the email names the item but cannot link to it.
    pub item_id: i64,
    pub desk_url: Option<Url>,
}

/// Who sends and receives a message, and its Message-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    pub from: NamedAddress,
    pub to: Vec<NamedAddress>,
    pub reply_to: Option<NamedAddress>,
    pub message_id: MessageId,
}

/// The longest piece of the post quoted in the subject, in characters.
const SUBJECT_QUOTE_CHARS: usize = 60;

impl Referral {
    /// The email to the team. Subject: `PW-000123 Referral to Streets team:
    /// Cherry Orchard Road – “litter all down…”` (the reference first, so a
    /// cut subject keeps it).
    pub fn email(&self, addressing: Addressing) -> Result<Email, EmailError> {
        let view = View::new(self);
        let subject = format!(
            "{} Referral to {}: {} – “{}”",
            view.reference,
            view.team,
            view.places,
            header_text(&self.post_text, SUBJECT_QUOTE_CHARS)
        );
        let text = TextPart { v: &view }
            .render()
            .map_err(|e| EmailError::Build(e.to_string()))?;
        let html = HtmlPart {
            v: &view,
            subject: &subject,
        }
        .render()
        .map_err(|e| EmailError::Build(e.to_string()))?;
        let email = Email::new(
            addressing.from,
            addressing.to,
            &subject,
            text,
            html,
            addressing.message_id,
        )?;
        Ok(match addressing.reply_to {
            Some(reply_to) => email.with_reply_to(reply_to),
            None => email,
        })
    }

    /// The post on x.com.
    pub fn post_url(&self) -> String {
        if crate::domain::query::is_username(&self.author_handle) {
            format!(
                "https://x.com/{}/status/{}",
                self.author_handle, self.post_id
            )
        } else {
            format!("https://x.com/i/web/status/{}", self.post_id)
        }
    }

    /// The item in the desk, when the desk's address is configured.
    pub fn item_url(&self) -> Option<String> {
        let base = self.desk_url.as_ref()?;
        base.join(&format!("items/{}", self.item_id))
            .ok()
            .map(String::from)
    }
}

/// What both templates show, one-line values cleaned.
struct View<'a> {
    reference: String,
    council: String,
    team: String,
    officer: String,
    author_name: String,
    author_handle: String,
    places: String,
    posted: Option<String>,
    post_text: &'a str,
    reason: &'a str,
    post_url: String,
    item_id: i64,
    item_url: Option<String>,
}

impl<'a> View<'a> {
    fn new(r: &'a Referral) -> View<'a> {
        let line = |s: &str| header_text(s, NAME_MAX_CHARS);
        let places: Vec<String> = r.places.iter().map(|p| line(p)).collect();
        View {
            reference: r.reference.to_string(),
            council: line(&r.council),
            team: line(&r.team),
            officer: line(&r.officer),
            author_name: line(&r.author_name),
            author_handle: line(&r.author_handle),
            places: first_few(&places, 3),
            posted: r.posted_at.map(posted),
            post_text: &r.post_text,
            reason: &r.reason,
            post_url: r.post_url(),
            item_id: r.item_id,
            item_url: r.item_url(),
        }
    }
}

/// "Saturday 5 December 2026, 14:03 UTC".
fn posted(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday] [day padding:none] [month repr:long] [year], [hour]:[minute] UTC"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_else(|_| at.to_string())
}

#[derive(Template)]
#[template(path = "mail/referral.txt")]
struct TextPart<'a> {
    v: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "mail/referral.html")]
struct HtmlPart<'a> {
    v: &'a View<'a>,
    subject: &'a str,
}
