//! Sending email over SMTP: a `Mailer` built once from `[mail]` (lettre's
//! async transport on tokio, TLS by rustls with ring and the webpki roots,
//! the stack reqwest uses), and `Mailer::send`, which sends one
//! `domain::mail::Email` on a connection of its own and says what the
//! server answered, or why it did not take the message (temporary or
//! permanent: see `error`).
//!
//! This module knows nothing of referrals or of the outbox that retries:
//! they build an `Email` and call `send`. It reads the password only from
//! the `Secrets` it is given, and never logs a message's text or a
//! recipient (personal data); its spans carry the server and a count.

mod error;

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};
use tracing::instrument;

use crate::config::{MailConfig, MailSecurity};
use crate::domain::mail::{Email, MessageId, NamedAddress};

pub use error::{MailError, MailSetupError};

/// What the server said when it took a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The message's own Message-ID (as the `Email` gave it).
    pub message_id: MessageId,
    /// The server's reply to the message, e.g. `250 2.0.0 OK <queue id>`.
    pub server_reply: String,
}

/// An SMTP client for the configured server. Cheap to share (`Arc` it);
/// each `send` opens, uses and closes a connection of its own, so one
/// message's failure never leaves another in doubt.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
    username: Option<String>,
    password_env: String,
    password: Option<SecretString>,
    timeout: Duration,
    sender: NamedAddress,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("username", &self.username)
            .field("password", &self.password.is_some())
            .finish()
    }
}

impl Mailer {
    /// The mailer `[mail]` describes. `password` is `Secrets::smtp_password`:
    /// required when `mail.username` is set, ignored otherwise. Reads
    /// `mail.ca_file`, if any.
    pub fn from_config(
        config: &MailConfig,
        password: Option<&SecretString>,
    ) -> Result<Mailer, MailSetupError> {
        let host = config.smtp_host.clone();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(config.smtp_port)
            .timeout(Some(config.timeout));
        builder = match config.security {
            MailSecurity::Starttls => builder.tls(Tls::Required(tls_parameters(config)?)),
            MailSecurity::Tls => builder.tls(Tls::Wrapper(tls_parameters(config)?)),
            MailSecurity::None => builder.tls(Tls::None),
        };
        let password = match &config.username {
            Some(user) => {
                let password = password
                    .filter(|p| !p.expose_secret().is_empty())
                    .ok_or_else(|| MailSetupError::NoPassword {
                        var: config.password_env.clone(),
                    })?;
                builder = builder.credentials(Credentials::new(
                    user.clone(),
                    password.expose_secret().to_string(),
                ));
                Some(password.clone())
            }
            None => None,
        };
        let server = match host.contains(':') {
            true => format!("[{host}]:{}", config.smtp_port),
            false => format!("{host}:{}", config.smtp_port),
        };
        Ok(Mailer {
            transport: builder.build(),
            server,
            username: config.username.clone(),
            password_env: config.password_env.clone(),
            password,
            timeout: config.timeout,
            sender: NamedAddress::new(&config.from_name, config.from.clone()),
        })
    }

    /// The configured sender (`mail.from_name <mail.from>`), for the
    /// `From` of every message.
    pub fn sender(&self) -> &NamedAddress {
        &self.sender
    }

    /// `host:port`, as errors name it.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends `email` on a new connection: TLS as configured, the login if
    /// any, one transaction, then QUIT. The whole exchange must finish
    /// within `mail.timeout_secs`. On success the server has taken
    /// responsibility for the message; on error it has not, except that a
    /// connection broken after the message's last line may have been
    /// delivered anyway (SMTP cannot tell): the outbox sends it again with
    /// the same Message-ID.
    #[instrument(skip_all, fields(mail.server = %self.server, mail.recipients = email.to().len()))]
    pub async fn send(&self, email: &Email) -> Result<Sent, MailError> {
        let context = error::Context {
            server: &self.server,
            recipients: email
                .to()
                .iter()
                .map(|to| to.address().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            username: self.username.as_deref(),
            password_env: &self.password_env,
            password: self.password.as_ref(),
            timeout: self.timeout,
        };
        let message = email
            .message()
            .map_err(|e| context.unsupported(e.to_string()))?;
        let sending = self.transport.send(message);
        let response = match tokio::time::timeout(self.timeout, sending).await {
            Err(_) => Err(context.timed_out()),
            Ok(result) => result.map_err(|e| context.classify(&e)),
        }
        .inspect_err(|e| tracing::debug!(error = %e, temporary = e.is_temporary(), "not sent"))?;
        let lines: Vec<&str> = response.message().collect();
        Ok(Sent {
            message_id: email.message_id().clone(),
            server_reply: format!("{} {}", response.code(), lines.join(" ")),
        })
    }
}

/// TLS for `smtp_host`: the webpki roots, plus `mail.ca_file`'s
/// certificates; TLS 1.2 at least (lettre's default, as Microsoft 365
/// requires).
fn tls_parameters(config: &MailConfig) -> Result<TlsParameters, MailSetupError> {
    let mut builder = TlsParameters::builder(config.smtp_host.clone())
        .certificate_store(CertificateStore::WebpkiRoots);
    if let Some(path) = &config.ca_file {
        let ca_error = |reason: String| MailSetupError::CaFile {
            path: path.clone(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
            return Err(ca_error("holds no PEM certificate".into()));
        }
        let certificate = Certificate::from_pem(&pem).map_err(|e| ca_error(e.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(|e| MailSetupError::Tls {
        host: config.smtp_host.clone(),
        reason: e.to_string(),
    })
}
