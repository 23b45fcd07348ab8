//! What sending can fail with, classified for the outbox: a **temporary**
//! failure (the server could not be reached, the connection broke, no
//! answer in time, a 4xx reply) is worth trying again later; a
//! **permanent** one (a 5xx reply, a refused login, TLS that cannot be
//! trusted, a message the server cannot take) is not, until someone changes
//! the message or the settings.
//!
//! Every error names the server and the recipients (or the login name). No
//! error ever holds the password: lettre's errors do not, and a server
//! reply that quotes it has it replaced by `[password]`.

use std::error::Error as _;
use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::response::Severity;
use secrecy::{ExposeSecret as _, SecretString};

/// A message that was not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Temporary: the connection could not be made or broke (refused,
    /// reset, closed in the middle of the message, name not resolved).
    #[error("sending to {recipients} through {server}: the connection failed: {reason}")]
    Connection {
        server: String,
        recipients: String,
        reason: String,
    },
    /// Temporary: no answer within `mail.timeout_secs`.
    #[error("sending to {recipients} through {server}: no answer within {} s", .timeout.as_secs())]
    Timeout {
        server: String,
        recipients: String,
        timeout: Duration,
    },
    /// Temporary: the server answered 4xx (busy, greylisting, a quota).
    #[error("sending to {recipients} through {server}: deferred by the server: {code} {reply}")]
    Deferred {
        server: String,
        recipients: String,
        code: u16,
        reply: String,
    },
    /// Permanent: the server answered 5xx to the message or a recipient.
    #[error("sending to {recipients} through {server}: refused by the server: {code} {reply}")]
    Refused {
        server: String,
        recipients: String,
        code: u16,
        reply: String,
    },
    /// Permanent: the server refused the login (or wants one and none is
    /// configured).
    #[error(
        "logging in to {server} as {}: refused: {code} {reply} (check mail.username, and \
         the password in {password_env}, the variable mail.password_env names)",
        .username.as_deref().unwrap_or("nobody (no mail.username)")
    )]
    LoginRefused {
        server: String,
        username: Option<String>,
        /// The variable that holds the password (its name, never its value).
        password_env: String,
        code: u16,
        reply: String,
    },
    /// Permanent: TLS failed (a certificate not trusted or for another
    /// name, STARTTLS not offered). Nothing was sent.
    #[error("sending to {recipients} through {server}: TLS failed: {reason}")]
    Tls {
        server: String,
        recipients: String,
        reason: String,
    },
    /// Permanent: the server cannot take this message (no login mechanism
    /// placewatch speaks, non-ASCII addresses without SMTPUTF8), or the
    /// message could not be built.
    #[error("sending to {recipients} through {server}: {reason}")]
    Unsupported {
        server: String,
        recipients: String,
        reason: String,
    },
}

impl MailError {
    /// Worth trying again later (with backoff): the message was not
    /// accepted, but may be next time.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            MailError::Connection { .. } | MailError::Timeout { .. } | MailError::Deferred { .. }
        )
    }

    /// Not worth trying again as it is: mark it failed and say why.
    pub fn is_permanent(&self) -> bool {
        !self.is_temporary()
    }
}

/// Where an error happened, to name in it.
pub(crate) struct Context<'a> {
    pub(crate) server: &'a str,
    pub(crate) recipients: String,
    pub(crate) username: Option<&'a str>,
    pub(crate) password_env: &'a str,
    pub(crate) password: Option<&'a SecretString>,
    pub(crate) timeout: Duration,
}

impl Context<'_> {
    /// The server's words, without the password should it quote it.
    fn scrub(&self, text: &str) -> String {
        match self.password.map(|p| p.expose_secret()) {
            Some(p) if !p.is_empty() => text.replace(p, "[password]"),
            _ => text.to_string(),
        }
    }

    pub(crate) fn timed_out(&self) -> MailError {
        MailError::Timeout {
            server: self.server.to_string(),
            recipients: self.recipients.clone(),
            timeout: self.timeout,
        }
    }

    pub(crate) fn unsupported(&self, reason: String) -> MailError {
        MailError::Unsupported {
            server: self.server.to_string(),
            recipients: self.recipients.clone(),
            reason: self.scrub(&reason),
        }
    }

    /// Classifies lettre's error.
    pub(crate) fn classify(&self, e: &SmtpError) -> MailError {
        let server = self.server.to_string();
        let recipients = self.recipients.clone();
        // lettre keeps the server's reply as the error's source.
        let reply = self.scrub(&e.source().map(ToString::to_string).unwrap_or_default());
        if let Some(code) = e.status() {
            let number = u16::from(code);
            return match code.severity {
                Severity::TransientNegativeCompletion => MailError::Deferred {
                    server,
                    recipients,
                    code: number,
                    reply,
                },
                _ if matches!(number, 530 | 534 | 535 | 538) => MailError::LoginRefused {
                    server,
                    username: self.username.map(str::to_string),
                    password_env: self.password_env.to_string(),
                    code: number,
                    reply,
                },
                _ => MailError::Refused {
                    server,
                    recipients,
                    code: number,
                    reply,
                },
            };
        }
        if e.is_timeout() {
            return self.timed_out();
        }
        let reason = self.scrub(&chain(e));
        if e.is_tls() || tls_failure(e) || reason.contains("STARTTLS") {
            return MailError::Tls {
                server,
                recipients,
                reason,
            };
        }
        if e.is_client() {
            return MailError::Unsupported {
                server,
                recipients,
                reason,
            };
        }
        // Network, connection, a broken reply, a closed transport.
        MailError::Connection {
            server,
            recipients,
            reason,
        }
    }
}

/// rustls reports a failed handshake (an untrusted certificate, a name
/// mismatch, no common protocol) as an I/O error of kind `InvalidData`;
/// a connection that breaks is `ConnectionReset`, `UnexpectedEof` and such.
fn tls_failure(e: &SmtpError) -> bool {
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::InvalidData;
        }
        source = err.source();
    }
    false
}

/// The error and its causes, `: `-separated.
fn chain(e: &SmtpError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(err) = source {
        let more = err.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = err.source();
    }
    text
}

/// Why a `Mailer` could not be built from the config.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    /// A login name without a password.
    #[error(
        "mail.username is set, but the environment variable {var} (named by \
         mail.password_env) is not set or is empty"
    )]
    NoPassword { var: String },
    /// The extra CA certificates could not be read.
    #[error("mail.ca_file {}: {reason}", .path.display())]
    CaFile {
        path: std::path::PathBuf,
        reason: String,
    },
    /// lettre refused the TLS settings.
    #[error("TLS settings for {host}: {reason}")]
    Tls { host: String, reason: String },
}
