//! `placewatch auth login|status|logout`: the one-time login of the council
//! account (Authorization Code with PKCE), what is stored, and undoing it.
//!
//! The CLI passes its terminal as `out` and `input`; tests pass buffers and
//! play the browser themselves.

use std::fmt;
use std::io::{BufRead, Write};

use oauth2::PkceCodeVerifier;
use secrecy::SecretString;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::{info, instrument, warn};
use url::Url;

use super::callback::{self, LOGIN_TIMEOUT};
use super::oauth::{OAuthClient, TokenKind};
use super::session::SessionStatus;
use super::settings::{AuthSettings, OAuthClientKind};
use super::store::{StoredTokens, TokenStore};
use super::{Account, AuthError, unix_now};

/// Opens a URL in the user's browser, or says why it could not.
pub type OpenBrowser = fn(&str) -> Result<(), String>;

/// How `login` receives the redirect.
#[derive(Debug, Clone, Copy)]
pub struct LoginOptions {
    /// Do not listen on the callback; ask for the redirect URL on `input`
    /// (headless servers).
    pub paste: bool,
    /// Opens the authorize URL in a browser (the CLI's; `None`: print it only).
    pub open_browser: Option<OpenBrowser>,
}

/// Logs the council account in: prints the authorize URL (and opens a
/// browser when asked and possible), receives the redirect on the loopback
/// callback or as a pasted URL, checks `state`, exchanges the code, asks X
/// who logged in, and stores the tokens and the account.
#[instrument(skip_all, fields(paste = options.paste))]
pub async fn login(
    settings: &AuthSettings,
    options: LoginOptions,
    out: &mut (dyn Write + Send),
    input: &mut (dyn BufRead + Send),
) -> Result<Account, AuthError> {
    let oauth = OAuthClient::new(settings)?;
    let redirect_uri = &settings.redirect_uri;
    let listener = match options.paste {
        true => None,
        false => Some(callback::bind(redirect_uri).await?),
    };
    let (url, state, verifier) = oauth.authorize_url();
    say(
        out,
        &format!(
            "Log in to X as @{handle} and authorize placewatch at:\n\n  {url}\n",
            handle = settings.council_handle
        ),
    )?;
    if let Some(open_browser) = options.open_browser {
        match open_browser(url.as_str()) {
            Ok(()) => say(out, "(opened in your browser)")?,
            Err(why) => say(out, &format!("(open it yourself: {why})"))?,
        }
    }
    let code = match listener {
        Some(listener) => {
            say(
                out,
                &format!("Waiting for X to send the browser back to {redirect_uri} …"),
            )?;
            callback::receive(listener, redirect_uri, &state, LOGIN_TIMEOUT).await?
        }
        None => callback::read_pasted(out, input, redirect_uri, &state)?,
    };
    let (account, store) = finish(settings, &oauth, code, verifier).await?;
    say(
        out,
        &format!(
            "Logged in as @{} (id {}). Tokens saved to {}.",
            account.username,
            account.id,
            store.describe()
        ),
    )?;
    if !account
        .username
        .eq_ignore_ascii_case(&settings.council_handle)
    {
        say(
            out,
            &format!(
                "Note: [council].handle is @{}, but X says you logged in as @{}; replies \
                 will come from @{}. Log in again as @{} if that is wrong.",
                settings.council_handle,
                account.username,
                account.username,
                settings.council_handle
            ),
        )?;
    }
    Ok(account)
}

/// Exchanges the code, asks X who logged in, and stores the tokens.
async fn finish(
    settings: &AuthSettings,
    oauth: &OAuthClient,
    code: SecretString,
    verifier: PkceCodeVerifier,
) -> Result<(Account, TokenStore), AuthError> {
    let issued = oauth.exchange_code(code, verifier).await?;
    let account = oauth.users_me(&issued.access_token).await?;
    let store = TokenStore::new(&settings.tokens);
    let tokens = StoredTokens::from_login(issued, account.clone());
    {
        let _lock = store.lock().await?;
        store.save(&tokens).await?;
    }
    info!(account.id = %account.id, account.username = %account.username, "logged in");
    Ok((account, store))
}

/// Logs in where the consent page approves on its own — the simulator with
/// `auto_approve`, as `placewatch demo` runs it: the same authorization-code
/// flow with PKCE and `state` as [`login`], with placewatch following the
/// authorize URL's redirect itself instead of a browser. Against the real X
/// this fails (a person must consent), and nothing is stored.
pub async fn login_auto_approved(settings: &AuthSettings) -> Result<Account, AuthError> {
    let oauth = OAuthClient::new(settings)?;
    let (url, state, verifier) = oauth.authorize_url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| AuthError::Transport(e.to_string()))?;
    let response = http
        .get(url.as_str())
        .send()
        .await
        .map_err(|e| AuthError::Transport(e.to_string()))?;
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(|l| Url::parse(l).ok())
        .ok_or_else(|| {
            AuthError::Login(format!(
                "the consent page did not approve on its own (HTTP {}); log in with \
                 `placewatch auth login`",
                response.status()
            ))
        })?;
    let params = callback::parse_query(location.query().unwrap_or_default());
    let code = callback::code_from(&params, state.secret())?;
    let (account, _) = finish(settings, &oauth, code, verifier).await?;
    Ok(account)
}

fn say(out: &mut (dyn Write + Send), line: &str) -> Result<(), AuthError> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| AuthError::Login(format!("terminal: {e}")))
}

/// What `logout` did. `Display` is the sentence to show the user.
#[derive(Debug, Clone, PartialEq)]
pub struct LogoutOutcome {
    /// The account that was logged out; `None` when nobody was logged in
    /// (or the token file was unreadable, then deleted: see `revoke_errors`).
    pub account: Option<Account>,
    /// Where the tokens were kept: the token file or the store (deleted,
    /// or never there).
    pub tokens: String,
    /// Tokens X could not revoke, and why (the file is deleted anyway).
    pub revoke_errors: Vec<String>,
}

impl fmt::Display for LogoutOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.tokens;
        match &self.account {
            None if self.revoke_errors.is_empty() => {
                write!(
                    f,
                    "Not logged in: there are no tokens in {path}; nothing to do."
                )
            }
            None => write!(
                f,
                "Deleted the unreadable tokens in {path} without revoking anything ({}).",
                self.revoke_errors.join("; ")
            ),
            Some(a) if self.revoke_errors.is_empty() => write!(
                f,
                "Logged out @{}: tokens revoked at X and deleted from {path}.",
                a.username
            ),
            Some(a) => write!(
                f,
                "Logged out @{}: tokens deleted from {path}, but X did not confirm revoking every token \
                 ({}). To be sure, remove the app under Settings > Security and account \
                 access > Apps and sessions > Connected apps on X.",
                a.username,
                self.revoke_errors.join("; ")
            ),
        }
    }
}

/// Revokes the stored refresh and access tokens at X, then deletes the
/// token file. The file is deleted even if X cannot be reached (the outcome
/// says what was not revoked); no token file is not an error.
#[instrument(skip_all)]
pub async fn logout(settings: &AuthSettings) -> Result<LogoutOutcome, AuthError> {
    let store = TokenStore::new(&settings.tokens);
    let _lock = store.lock().await?;
    let mut outcome = LogoutOutcome {
        account: None,
        tokens: store.describe(),
        revoke_errors: Vec::new(),
    };
    let tokens = match store.load().await {
        Ok(Some(tokens)) => tokens,
        Ok(None) => return Ok(outcome),
        Err(e @ AuthError::Corrupt { .. }) => {
            store.delete().await?;
            outcome.revoke_errors.push(e.to_string());
            return Ok(outcome);
        }
        Err(e) => return Err(e),
    };
    match OAuthClient::new(settings) {
        Ok(oauth) => {
            if let Some(refresh) = tokens.refresh_token.as_ref()
                && let Err(e) = oauth.revoke(refresh, TokenKind::Refresh).await
            {
                outcome.revoke_errors.push(format!("refresh token: {e}"));
            }
            if let Err(e) = oauth.revoke(&tokens.access_token, TokenKind::Access).await {
                outcome.revoke_errors.push(format!("access token: {e}"));
            }
        }
        Err(e) => outcome.revoke_errors.push(e.to_string()),
    }
    store.delete().await?;
    if !outcome.revoke_errors.is_empty() {
        warn!(errors = ?outcome.revoke_errors, "logged out without revoking every token");
    }
    info!(account.username = %tokens.account.username, "logged out");
    outcome.account = Some(tokens.account);
    Ok(outcome)
}

/// `placewatch auth status`: who is logged in, scopes, expiry, whether a
/// refresh token is held, whether X refused it and what fixes that. Never a
/// secret.
pub async fn status_report(settings: &AuthSettings) -> Result<String, AuthError> {
    let store = TokenStore::new(&settings.tokens);
    let fix = &settings.login_command;
    let Some(tokens) = store.load().await? else {
        return Ok(format!(
            "Not logged in to X as the council account (no tokens in {}).\n\
             Reading works with the app-only token; to reply, run `{fix}`.\n",
            store.describe()
        ));
    };
    let status = SessionStatus::from_tokens(&tokens);
    let mut report = format!(
        "Logged in to X as @{} (id {}).\n",
        status.account.username, status.account.id
    );
    let mut line = |label: &str, value: String| {
        report.push_str(&format!("  {label:<16}{value}\n"));
    };
    line("scopes:", status.scopes.join(" "));
    line(
        "access token:",
        expiry(&status.expires_at, status.has_refresh_token),
    );
    line(
        "refresh token:",
        match status.has_refresh_token {
            true => "held (access is renewed automatically)".into(),
            false if status.refused.is_some() => "none (refused by X)".into(),
            false => {
                "none (offline.access not granted; log in again when the access token expires)"
                    .into()
            }
        },
    );
    if let OAuthClientKind::Confidential { secret, var } = &settings.client {
        let set = secret.is_some();
        line(
            "client secret:",
            format!(
                "${var} is {}",
                if set {
                    "set"
                } else {
                    "NOT set (refresh will fail)"
                }
            ),
        );
    }
    line("tokens kept in:", store.describe());
    if let Some(reason) = &status.refused {
        report.push_str(&format!(
            "\nREPLYING IS UNAVAILABLE: X refused the refresh token ({reason}).\n\
             Reading continues with the app-only token. To fix, run `{fix}`.\n"
        ));
    }
    Ok(report)
}

fn expiry(at: &OffsetDateTime, refreshable: bool) -> String {
    let when = at.format(&Rfc3339).unwrap_or_else(|_| at.to_string());
    let left = at.unix_timestamp() - unix_now();
    if left > 0 {
        format!("expires {when} (in {})", human(left))
    } else if refreshable {
        format!(
            "expired {when} ({} ago; refreshed on next use)",
            human(-left)
        )
    } else {
        format!("expired {when} ({} ago)", human(-left))
    }
}

fn human(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s => format!("{}d", s / 86_400),
    }
}
