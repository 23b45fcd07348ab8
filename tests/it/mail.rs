//! Email through a real SMTP server: `tests/support/smtp_sink.py` (aiosmtpd)
//! started on an ephemeral loopback port for each test, with STARTTLS on a
//! certificate it makes at start (trusted through `mail.ca_file`), implicit
//! TLS or none, a login, and faults (451, 550, a connection dropped in the
//! middle of DATA). The tests read back what the server stored, parsed by
//! Python's own email package, and check what `MailError` says. XOAUTH2
//! against the sink and a token endpoint on loopback (`token_endpoint`).
//!
//! The sink needs Debian's python3-aiosmtpd and python3-cryptography. When
//! they are missing the tests fail saying what to install, unless
//! `PLACEWATCH_MAIL_TESTS=skip` (then they say SKIPPED and pass);
//! `.ci/run` sets `PLACEWATCH_MAIL_TESTS=require`.

mod cli;
mod failures;
mod notifications;
mod sending;
mod sink;
mod token_endpoint;
mod xoauth2;

use std::time::Duration;

use placewatch::config::{MailAuth, MailConfig, MailSecurity};
use placewatch::domain::mail::{
    Address, Addressing, Email, MessageId, NamedAddress, Reference, Referral,
};
use placewatch::mail::Mailer;
use secrecy::SecretString;

pub use sink::{Sink, SinkOptions, SinkTls, Xoauth2Style};

pub const FROM: &str = "comms-desk@croydon.example";
pub const USER: &str = "comms-desk@croydon.example";
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

/// `[mail]` for `sink`, as the config would give it.
pub fn mail_config(sink: &Sink, security: MailSecurity, login: bool) -> MailConfig {
    MailConfig {
        smtp_host: "127.0.0.1".into(),
        smtp_port: sink.port,
        security,
        username: login.then(|| USER.to_string()),
        password_env: "PLACEWATCH_TEST_SMTP_PASSWORD".into(),
        from: addr(FROM),
        from_name: "Croydon Council comms desk".into(),
        timeout: Duration::from_secs(20),
        ca_file: sink.ca_file.clone(),
        auth: MailAuth::Password,
    }
}

/// A mailer for `sink`, logging in with `password` when given.
pub fn mailer(sink: &Sink, security: MailSecurity, password: Option<&str>) -> Mailer {
    let config = mail_config(sink, security, password.is_some());
    let password = password.map(|p| SecretString::from(p.to_string()));
    Mailer::from_config(&config, password.as_ref()).unwrap()
}

/// Hostile text as a resident might post it.
pub const HOSTILE_POST: &str = "Fly-tipping on Cherry Orchard Road <script>alert('x')</script> \
     & \"quotes\" \u{202E}gnp.exe\u{200B}\u{2066} <img src=x onerror=alert(1)>\r\n\
     Bcc: evil@example.com";

/// A referral with hostile text and names, to `to` (name, address) pairs.
pub fn referral_email(to: &[(&str, &str)], n: u64) -> (Referral, Email) {
    let referral = Referral {
        reference: Reference::new(n),
        council: "Croydon Council".into(),
        team: "Streets team".into(),
        reason: "Large pile, blocking the pavement.\nPlease clear before Friday.".into(),
        officer: "Priya Shah".into(),
        post_id: 1_790_000_000_000_000_123,
        post_text: HOSTILE_POST.into(),
        posted_at: Some(time::macros::datetime!(2026-12-05 14:03:27 UTC)),
        author_name: "Siân \u{202E}Llŷr\r\nBcc: evil@example.com".into(),
        author_handle: "sian_llyr".into(),
        places: vec!["Cherry Orchard Road".into(), "East Croydon".into()],
        item_id: 42,
        desk_url: Some("https://desk.croydon.example/".parse().unwrap()),
    };
    let addressing = Addressing {
        from: NamedAddress::new("Croydon Council comms desk", addr(FROM)),
        to: to
            .iter()
            .map(|(name, a)| NamedAddress::new(name, addr(a)))
            .collect(),
        reply_to: Some(NamedAddress::new(
            "Priya Shah",
            addr("priya@croydon.example"),
        )),
        message_id: MessageId::new(&format!("{}.1", Reference::new(n)), "placewatch.invalid")
            .unwrap(),
    };
    let email = referral.email(addressing).unwrap();
    (referral, email)
}
