//! Sending email over SMTP: a `Mailer` built once from `[mail]` (lettre's
//! async transport on tokio, TLS by rustls with ring and the webpki roots,
//! the stack reqwest uses), and `Mailer::send`, which sends one
//! `domain::mail::Email` on a connection of its own and says what the
//! server answered, or why it did not take the message (temporary or
//! permanent: see `error`).
//!
//! It signs in with a password (AUTH PLAIN or LOGIN) or, with
//! `mail.auth = "xoauth2"`, with SASL XOAUTH2 and an OAuth 2.0 access
//! token (`oauth`): what Microsoft 365 requires once basic authentication
//! is off, and Google Workspace without app passwords. A token the server
//! refuses (535: expired, revoked) is dropped, and the message is tried
//! once more with a fresh one.
//!
//! This module knows nothing of referrals or of the outbox that retries:
//! they build an `Email` and call `send`. It reads secrets only from the
//! `MailSecrets` it is given, and never logs a message's text, a recipient
//! (personal data) or a secret; its spans carry the server and a count.

mod error;
mod oauth;

use std::time::Duration;

use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};
use tracing::instrument;

use crate::config::{MailAuth, MailConfig, MailSecurity, Secrets};
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

/// The secrets a `Mailer` may need, read from the variables `[mail]`
/// names (`Secrets` has them all).
#[derive(Default, Clone)]
pub struct MailSecrets {
    /// `mail.password_env`'s value (with `auth = "password"` and a
    /// `username`).
    pub password: Option<SecretString>,
    /// `mail.oauth_client_secret_env`'s value (with `auth = "xoauth2"`).
    pub oauth_client_secret: Option<SecretString>,
    /// `mail.oauth_refresh_token_env`'s value, when it names one.
    pub oauth_refresh_token: Option<SecretString>,
}

impl From<&Secrets> for MailSecrets {
    fn from(secrets: &Secrets) -> Self {
        MailSecrets {
            password: secrets.smtp_password.clone(),
            oauth_client_secret: secrets.smtp_oauth_client_secret.clone(),
            oauth_refresh_token: secrets.smtp_oauth_refresh_token.clone(),
        }
    }
}

impl std::fmt::Debug for MailSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSecrets")
            .field("password", &self.password.is_some())
            .field("oauth_client_secret", &self.oauth_client_secret.is_some())
            .field("oauth_refresh_token", &self.oauth_refresh_token.is_some())
            .finish()
    }
}

/// An SMTP client for the configured server. Cheap to share (`Arc` it);
/// each `send` opens, uses and closes a connection of its own, so one
/// message's failure never leaves another in doubt.
pub struct Mailer {
    /// The transport as configured, without XOAUTH2 credentials (each send
    /// adds the current token).
    builder: AsyncSmtpTransportBuilder,
    /// The transport with the password login (or none), for `password`.
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// With `xoauth2`: where tokens come from.
    tokens: Option<oauth::TokenSource>,
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
            .field(
                "xoauth2",
                &self.tokens.as_ref().map(|t| t.token_url().as_str()),
            )
            .finish()
    }
}

impl Mailer {
    /// The mailer `[mail]` describes, signing in with a password. `password`
    /// is `Secrets::smtp_password`: required when `mail.username` is set,
    /// ignored otherwise. Reads `mail.ca_file`, if any. (See `with_secrets`
    /// for XOAUTH2.)
    pub fn from_config(
        config: &MailConfig,
        password: Option<&SecretString>,
    ) -> Result<Mailer, MailSetupError> {
        let secrets = MailSecrets {
            password: password.cloned(),
            ..MailSecrets::default()
        };
        Mailer::with_secrets(config, &secrets)
    }

    /// The mailer `[mail]` describes, with the secrets its `auth` needs: the
    /// password for `password` with a `username`; the client secret (and
    /// the refresh token, if one is named) for `xoauth2`. No token is
    /// fetched until the first `send`.
    pub fn with_secrets(
        config: &MailConfig,
        secrets: &MailSecrets,
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
        let mut password = None;
        let mut tokens = None;
        let mut with_login = builder.clone();
        match (&config.auth, &config.username) {
            (MailAuth::Password, Some(user)) => {
                let secret = secrets
                    .password
                    .as_ref()
                    .filter(|p| !p.expose_secret().is_empty())
                    .ok_or_else(|| MailSetupError::NoPassword {
                        var: config.password_env.clone(),
                    })?;
                with_login = with_login.credentials(Credentials::new(
                    user.clone(),
                    secret.expose_secret().to_string(),
                ));
                password = Some(secret.clone());
            }
            (MailAuth::Password, None) => {}
            (MailAuth::Xoauth2(oauth), _) => {
                tokens = Some(oauth::TokenSource::new(
                    oauth,
                    secrets.oauth_client_secret.as_ref(),
                    secrets.oauth_refresh_token.as_ref(),
                    config.timeout,
                )?);
            }
        }
        let server = match host.contains(':') {
            true => format!("[{host}]:{}", config.smtp_port),
            false => format!("{host}:{}", config.smtp_port),
        };
        Ok(Mailer {
            builder,
            transport: with_login.build(),
            tokens,
            server,
            username: config.username.clone(),
            password_env: config.password_env.clone(),
            password,
            timeout: config.timeout,
            sender: NamedAddress::new(&config.from_name, config.from.clone()),
        })
    }

    /// How this mailer signs in, in words (for `placewatch mail test`):
    /// e.g. `XOAUTH2 as comms@croydon.gov.uk, with a token from
    /// https://login.microsoftonline.com/.../token (client_credentials grant)`.
    pub fn sign_in(&self) -> String {
        match (&self.tokens, &self.username) {
            (Some(tokens), user) => format!(
                "XOAUTH2 as {}, with an access token from {} ({} grant)",
                user.as_deref().unwrap_or_default(),
                tokens.token_url(),
                tokens.grant()
            ),
            (None, Some(user)) => format!(
                "a password as {user} (the password in {})",
                self.password_env
            ),
            (None, None) => "no login (a relay that trusts this host)".to_string(),
        }
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
    ///
    /// With XOAUTH2 the access token comes first (cached, or fetched: an
    /// endpoint that issues none fails the send before any SMTP); a token
    /// the server refuses is dropped and the message tried once more, on a
    /// new connection, with a fresh one.
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
            xoauth2: self.tokens.as_ref().map(|t| (t.token_url().as_str(), None)),
        };
        let Some(tokens) = &self.tokens else {
            return self.attempt(&self.transport, email, &context).await;
        };
        let token = tokens
            .token()
            .await
            .map_err(|e| context.no_token(tokens.grant(), e))?;
        let result = self
            .attempt(&self.xoauth2(&token), email, &context.with_token(&token))
            .await;
        match result {
            // Expired or revoked before its time: one more try with a new
            // token, then the server's answer stands.
            Err(MailError::TokenRefused { .. }) => {
                tracing::debug!("access token refused; fetching a new one");
                tokens.forget(&token).await;
                let token = tokens
                    .token()
                    .await
                    .map_err(|e| context.no_token(tokens.grant(), e))?;
                self.attempt(&self.xoauth2(&token), email, &context.with_token(&token))
                    .await
            }
            other => other,
        }
    }

    /// The transport signing in with `token` by XOAUTH2 only.
    fn xoauth2(&self, token: &SecretString) -> AsyncSmtpTransport<Tokio1Executor> {
        self.builder
            .clone()
            .credentials(Credentials::new(
                self.username.clone().unwrap_or_default(),
                token.expose_secret().to_string(),
            ))
            .authentication(vec![Mechanism::Xoauth2])
            .build()
    }

    /// One connection: the message sent or why not.
    async fn attempt(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        email: &Email,
        context: &error::Context<'_>,
    ) -> Result<Sent, MailError> {
        let message = email
            .message()
            .map_err(|e| context.unsupported(e.to_string()))?;
        let sending = transport.send(message);
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
