//! `[mail]` validated: the SMTP host (a name or an address, no scheme or
//! port), plain SMTP only to loopback, the port, the login, the password's
//! variable name (checked with the `[x]` ones, so no two keys name the same
//! variable), the sender's address (lettre's `Address`) and name, the
//! timeout and an extra CA file; and how it signs in: a password, or
//! XOAUTH2 with a token from an OAuth 2.0 token endpoint (`oauth_*` keys).

use std::net::IpAddr;
use std::time::Duration;

use super::error::ConfigError;
use super::locate::Ctx;
use super::schema::{
    MailAuth, MailAuthKind, MailConfig, MailOAuth, MailSecurity, RawMail, XConfig, defaults,
};
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
    let username = raw.username.as_deref().map(|u| u.trim().to_string());
    if let Some(user) = &username
        && (user.is_empty() || user.chars().any(char::is_control))
    {
        return Err(ctx.invalid(
            "mail.username",
            "must not be empty or hold control characters (leave it out for a relay \
             that needs no login)",
        ));
    }
    let auth = auth(&raw, username.as_deref(), ctx)?;
    let mut env_keys = vec![
        ("x.client_secret_env", &x.client_secret_env),
        ("x.bearer_token_env", &x.bearer_token_env),
        ("x.api_key_env", &x.api_key_env),
        ("x.api_secret_env", &x.api_secret_env),
        ("mail.password_env", &raw.password_env),
    ];
    if let MailAuth::Xoauth2(oauth) = &auth {
        env_keys.push(("mail.oauth_client_secret_env", &oauth.client_secret_env));
        if let Some(var) = &oauth.refresh_token_env {
            env_keys.push(("mail.oauth_refresh_token_env", var));
        }
    }
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
        auth,
    })
}

/// `mail.auth` and the `oauth_*` keys that go with `xoauth2`.
fn auth(raw: &RawMail, username: Option<&str>, ctx: &Ctx<'_>) -> Result<MailAuth> {
    let oauth_keys = [
        ("mail.oauth_token_url", raw.oauth_token_url.is_some()),
        ("mail.oauth_client_id", raw.oauth_client_id.is_some()),
        (
            "mail.oauth_client_secret_env",
            raw.oauth_client_secret_env.is_some(),
        ),
        ("mail.oauth_scope", raw.oauth_scope.is_some()),
        (
            "mail.oauth_refresh_token_env",
            raw.oauth_refresh_token_env.is_some(),
        ),
    ];
    if raw.auth == MailAuthKind::Password {
        if let Some((key, _)) = oauth_keys.iter().find(|(_, set)| *set) {
            return Err(ctx.invalid(
                key,
                "is only used with mail.auth = \"xoauth2\" (mail.auth is \"password\", \
                 the default)",
            ));
        }
        return Ok(MailAuth::Password);
    }
    if username.is_none() {
        return Err(ctx.invalid(
            "mail.username",
            "auth = \"xoauth2\" signs in as a mailbox: set mail.username to its address \
             (e.g. \"comms-desk@croydon.gov.uk\")",
        ));
    }
    let token_url = token_url(raw.oauth_token_url.as_deref(), ctx)?;
    let client_id = match raw.oauth_client_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() && !id.chars().any(char::is_control) => id.to_string(),
        Some(_) => {
            return Err(ctx.invalid(
                "mail.oauth_client_id",
                "must not be empty or hold control characters",
            ));
        }
        None => {
            return Err(ctx.invalid(
                "mail.oauth_client_id",
                "auth = \"xoauth2\" needs the app's client (application) ID from Microsoft \
                 Entra or Google Cloud",
            ));
        }
    };
    let scope = match raw.oauth_scope.as_deref().map(str::trim) {
        Some(scope) if !scope.is_empty() && !scope.chars().any(char::is_control) => {
            Some(scope.to_string())
        }
        Some(_) => {
            return Err(ctx.invalid(
                "mail.oauth_scope",
                "must not be empty or hold control characters (leave it out for the default)",
            ));
        }
        // A refresh token carries the scopes it was granted.
        None if raw.oauth_refresh_token_env.is_some() => None,
        None => Some(defaults::SMTP_OAUTH_SCOPE_M365.to_string()),
    };
    Ok(MailAuth::Xoauth2(MailOAuth {
        token_url,
        client_id,
        client_secret_env: raw
            .oauth_client_secret_env
            .clone()
            .unwrap_or_else(|| defaults::SMTP_OAUTH_CLIENT_SECRET_ENV.to_string()),
        scope,
        refresh_token_env: raw.oauth_refresh_token_env.clone(),
    }))
}

/// The token endpoint: an absolute https URL (plain http only to loopback,
/// for a local test endpoint), with no user or password in it.
fn token_url(value: Option<&str>, ctx: &Ctx<'_>) -> Result<url::Url> {
    let key = "mail.oauth_token_url";
    let Some(value) = value.map(str::trim) else {
        return Err(ctx.invalid(
            key,
            "auth = \"xoauth2\" needs the token endpoint, e.g. \
             \"https://login.microsoftonline.com/TENANT/oauth2/v2.0/token\" (Microsoft 365) \
             or \"https://oauth2.googleapis.com/token\" (Google)",
        ));
    };
    let url = url::Url::parse(value)
        .map_err(|e| ctx.invalid(key, format!("not a URL ({e}): {value:?}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ctx.invalid(
            key,
            "must not hold a user name or password (the client secret goes in the variable \
             mail.oauth_client_secret_env names)",
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => is_loopback(d),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(ctx.invalid(
            key,
            format!(
                "must be https (the client secret goes to it); plain http is only allowed \
                 to a loopback host, not {value:?}"
            ),
        )),
        _ => Err(ctx.invalid(key, format!("must be an https URL, not {value:?}"))),
    }
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
