//! Email as placewatch writes it, with no I/O (`mail::Mailer` sends): the
//! `Email` value (sender, one or more recipients, subject, plain and HTML
//! bodies, a caller-chosen Message-ID), the rules that make a header safe
//! whatever a post, a display name or a team name holds (`header`), and the
//! messages placewatch sends (`referral`, `notification`, `report`).
//!
//! lettre's message builder writes the MIME message (a pure function of the
//! `Email`): it encodes non-ASCII headers as RFC 2047 encoded words and
//! picks each body's transfer encoding. Nothing here depends on tokio or on
//! lettre's transports.

mod email;
pub mod header;
pub mod notification;
pub mod referral;
pub mod report;
mod test_message;

#[cfg(test)]
mod tests;

pub use email::{Attachment, Email, EmailError, MessageId, NamedAddress};
pub use lettre::Address;
pub use notification::{NotificationLine, NotificationMail};
pub use referral::{Addressing, Reference, Referral};
pub use test_message::TestMessage;
