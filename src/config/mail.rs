//! `[mail]` validated: the SMTP host (a name or an address, no scheme or
//! port), plain SMTP only to loopback, the port, the login, the password's
//! variable name (checked with the `[x]` ones, so no two keys name the same
//! variable), the sender's address (lettre's `Address`) and name, the
//! timeout and an extra CA file.

use std::net::IpAddr;
use std::time::Duration;

use super::error::ConfigError;
use super::locate::Ctx;
use super::schema::{MailConfig, MailSecurity, RawMail, XConfig};
use super::validate::{check_env_names, int_in, resolve_path};
use crate::domain::mail::Address;
use crate::domain::mail::header::{NAME_MAX_CHARS, header_text};

type Result<T> = std::result::Result<T, ConfigError>;

pub(super) fn mail(raw: RawMail, council: &str, x: &XConfig, ctx: &Ctx<'_>) -> Result<MailConfig> {
    let smtp_host = smtp_host(&raw.smtp_host, ctx)?;
    if raw.security == MailSecurity::None && !is_loopback(&smtp_host) {
        return Err(ctx.invalid(
            "mail.security",
            format!(
                "\"none\" sends the messages (and any password) unencrypted, so it is only \
                 allowed to a loopback host (127.0.0.0/8, ::1, localhost), not {smtp_host:?}; \
                 use \"starttls\" (port 587) or \"tls\" (port 465)"
            ),
        ));
    }
    let smtp_port = match raw.smtp_port {
        Some(port) => int_in(ctx, "mail.smtp_port", port, 1, 65535)? as u16,
        None => raw.security.default_port(),
    };
    let username = raw.username.map(|u| u.trim().to_string());
    if let Some(user) = &username
        && (user.is_empty() || user.chars().any(char::is_control))
    {
        return Err(ctx.invalid(
            "mail.username",
            "must not be empty or hold control characters (leave it out for a relay \
             that needs no login)",
        ));
    }
    let env_keys = [
        ("x.client_secret_env", &x.client_secret_env),
        ("x.bearer_token_env", &x.bearer_token_env),
        ("x.api_key_env", &x.api_key_env),
        ("x.api_secret_env", &x.api_secret_env),
        ("mail.password_env", &raw.password_env),
    ];
    check_env_names(ctx, &env_keys)?;
    let from = from_address(&raw.from, ctx)?;
    let from_name = match raw.from_name {
        Some(name) => from_name(&name, ctx)?,
        None => header_text(&format!("{council} comms desk"), NAME_MAX_CHARS),
    };
    let timeout = int_in(ctx, "mail.timeout_secs", raw.timeout_secs, 1, 300)?;
    let ca_file = raw
        .ca_file
        .map(|file| resolve_path(ctx, "mail.ca_file", &file))
        .transpose()?;
    Ok(MailConfig {
        smtp_host,
        smtp_port,
        security: raw.security,
        username,
        password_env: raw.password_env,
        from,
        from_name,
        timeout: Duration::from_secs(timeout),
        ca_file,
    })
}

/// A host name or an IP address, as written (trimmed).
fn smtp_host(value: &str, ctx: &Ctx<'_>) -> Result<String> {
    let key = "mail.smtp_host";
    let host = value.trim();
    if host.is_empty() {
        return Err(ctx.invalid(key, "must not be empty"));
    }
    if host.contains("://") {
        return Err(ctx.invalid(
            key,
            format!("write the host name alone, without a scheme (e.g. \"smtp.office365.com\"), not {value:?}"),
        ));
    }
    if host.parse::<IpAddr>().is_ok() {
        return Ok(host.to_string());
    }
    if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        return Err(ctx.invalid(
            key,
            format!("put the port in mail.smtp_port, not in the host: {value:?}"),
        ));
    }
    match url::Host::parse(host) {
        Ok(url::Host::Domain(_)) if !host.contains(['/', '@', '[', ']']) => Ok(host.to_string()),
        _ => Err(ctx.invalid(key, format!("not a host name or IP address: {value:?}"))),
    }
}

/// `localhost` or a loopback address.
pub(super) fn is_loopback(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

fn from_address(value: &str, ctx: &Ctx<'_>) -> Result<Address> {
    let key = "mail.from";
    let value = value.trim();
    if value.contains('<') {
        return Err(ctx.invalid(
            key,
            format!(
                "write the address alone (e.g. \"comms@croydon.gov.uk\") and the name in \
                 mail.from_name, not {value:?}"
            ),
        ));
    }
    value
        .parse::<Address>()
        .map_err(|e| ctx.invalid(key, format!("{value:?} is not an email address ({e})")))
}

fn from_name(value: &str, ctx: &Ctx<'_>) -> Result<String> {
    let key = "mail.from_name";
    if value.chars().any(char::is_control) {
        return Err(ctx.invalid(key, "must be one line, with no control characters"));
    }
    let clean = header_text(value, usize::MAX);
    if clean.chars().count() > NAME_MAX_CHARS {
        return Err(ctx.invalid(key, format!("must be at most {NAME_MAX_CHARS} characters")));
    }
    Ok(clean)
}
