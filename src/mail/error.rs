//! What sending can fail with, classified for the outbox: a **temporary**
//! failure (the server could not be reached, the connection broke, no
//! answer in time, a 4xx reply) is worth trying again later; a
//! **permanent** one (a 5xx reply, a refused login, TLS that cannot be
//! trusted, a message the server cannot take) is not, until someone changes
//! the message or the settings.
//!
//! Every error names the server and the recipients (or the login name). No
//! error ever holds the password or an access token: lettre's errors do
//! not, and a server reply that quotes one has it replaced by `[password]`
//! or `[token]`. A token endpoint's refusal is quoted (it holds no secret).

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
    /// Permanent: the server refused the XOAUTH2 access token (also after
    /// one fresh token was fetched and tried).
    #[error(
        "logging in to {server} as {username} with XOAUTH2: the access token from \
         {token_url} was refused: {code} {reply} (check that the app may send as this \
         mailbox, e.g. Exchange Online's SMTP.SendAsApp permission and the mailbox \
         permission for the app's service principal, and that SMTP AUTH is on for it)"
    )]
    TokenRefused {
        server: String,
        username: String,
        token_url: String,
        code: u16,
        reply: String,
    },
    /// The OAuth 2.0 token endpoint issued no token for XOAUTH2, so the
    /// server was not contacted. Temporary when the endpoint could not be
    /// reached or said it was busy; permanent when it refused the request
    /// (`invalid_client`: a wrong client ID or secret, `invalid_grant`: a
    /// dead refresh token, `invalid_scope`, ...).
    #[error(
        "signing in to {server} as {username}: the token endpoint {token_url} issued no \
         token ({grant} grant): {reason}{}",
        if *.temporary { "" } else {
            " (check mail.oauth_client_id, the secret in the variable \
             mail.oauth_client_secret_env names, and mail.oauth_scope)"
        }
    )]
    Token {
        server: String,
        username: String,
        token_url: String,
        grant: String,
        reason: String,
        temporary: bool,
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
            MailError::Connection { .. }
                | MailError::Timeout { .. }
                | MailError::Deferred { .. }
                | MailError::Token {
                    temporary: true,
                    ..
                }
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
    /// With XOAUTH2: the token endpoint and the token in use (to scrub).
    pub(crate) xoauth2: Option<(&'a str, Option<&'a SecretString>)>,
}

impl Context<'_> {
    /// The server's words, without the password (or token) should it
    /// quote it.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        if let Some(p) = self.password.map(|p| p.expose_secret())
            && !p.is_empty()
        {
            text = text.replace(p, "[password]");
        }
        if let Some((_, Some(token))) = self.xoauth2
            && !token.expose_secret().is_empty()
        {
            text = text.replace(token.expose_secret(), "[token]");
        }
        text
    }

    /// The token endpoint issued no token.
    pub(crate) fn no_token(&self, grant: &str, e: super::oauth::TokenError) -> MailError {
        MailError::Token {
            server: self.server.to_string(),
            username: self.username.unwrap_or_default().to_string(),
            token_url: self
                .xoauth2
                .map(|(url, _)| url)
                .unwrap_or_default()
                .to_string(),
            grant: grant.to_string(),
            reason: e.reason,
            temporary: e.temporary,
        }
    }

    /// The same context, scrubbing `token` too.
    pub(crate) fn with_token<'b>(&'b self, token: &'b SecretString) -> Context<'b> {
        Context {
            server: self.server,
            recipients: self.recipients.clone(),
            username: self.username,
            password_env: self.password_env,
            password: self.password,
            timeout: self.timeout,
            xoauth2: self.xoauth2.map(|(url, _)| (url, Some(token))),
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
                _ if matches!(number, 530 | 534 | 535 | 538) && self.xoauth2.is_some() => {
                    MailError::TokenRefused {
                        server,
                        username: self.username.unwrap_or_default().to_string(),
                        token_url: self.xoauth2.map(|(url, _)| url).unwrap_or_default().into(),
                        code: number,
                        reply,
                    }
                }
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
        // Google refuses an XOAUTH2 token with a 334 challenge (a JSON
        // error) before its 535; lettre gives up at the challenge.
        if e.is_client()
            && let Some((token_url, _)) = self.xoauth2
            && reason.contains("does not expect a challenge")
        {
            return MailError::TokenRefused {
                server,
                username: self.username.unwrap_or_default().to_string(),
                token_url: token_url.to_string(),
                code: 334,
                reply: "an error challenge instead of 235 (the token was refused)".into(),
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
    /// `mail.auth = "xoauth2"` without the client secret or the refresh
    /// token its `*_env` key names.
    #[error(
        "mail.auth is \"xoauth2\", but the environment variable {var} (named by {key}) \
         is not set or is empty"
    )]
    NoOAuthSecret { key: &'static str, var: String },
    /// The HTTP client for the token endpoint could not be built.
    #[error("the HTTP client for mail.oauth_token_url: {reason}")]
    Http { reason: String },
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
