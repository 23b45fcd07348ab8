//! `AuthError`: what went wrong with a login, a refresh or the token file,
//! named for what the caller does next. Messages that need a person say
//! which command fixes them. No message ever contains a secret: errors from
//! the token endpoint are rebuilt from X's `error` code and description, and
//! a body that does not parse is never quoted (it may hold tokens).

use std::path::PathBuf;

use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType};
use oauth2::{HttpClientError, RequestTokenError};

/// The command that puts every "log in again" state right.
pub(crate) const LOGIN_FIX: &str = "run `placewatch auth login --config FILE`";

/// Errors of the OAuth 2.0 login, the user session and the app-only token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Nobody has logged in (or someone logged out): there is no token file.
    #[error(
        "not logged in to X as the council account; to reply, {LOGIN_FIX} \
         (reading continues with the app-only token)"
    )]
    NotLoggedIn,
    /// X refused the stored refresh token (revoked, expired or already used).
    /// Persisted, so every later call answers this at once without asking X.
    #[error(
        "X refused the council account's refresh token ({reason}); replying is \
         unavailable until someone logs in again: {LOGIN_FIX}"
    )]
    RefreshRefused {
        /// X's error code and description.
        reason: String,
    },
    /// The config says the client is confidential but its secret is unset.
    #[error(
        "the OAuth 2.0 client secret is missing: set the environment variable {var} \
         (named by x.client_secret_env), or set x.client_type = \"public\" if the X \
         app is a Native App"
    )]
    ClientSecretMissing {
        /// The variable's name.
        var: String,
    },
    /// X did not accept the app's client id or secret (not persisted: fixing
    /// the config or environment fixes it).
    #[error(
        "X rejected the app's OAuth 2.0 client credentials ({reason}); check \
         x.client_id, x.client_type and the client secret variable"
    )]
    ClientRejected {
        /// X's error code and description.
        reason: String,
    },
    /// Neither a bearer token nor an API key and secret are set.
    #[error(
        "no app-only credentials: set {bearer_var} to a bearer token, or set \
         {key_var} and {secret_var} to the app's API key and secret"
    )]
    AppCredentialsMissing {
        /// Variable for a ready bearer token (`x.bearer_token_env`).
        bearer_var: String,
        /// Variable for the API key (`x.api_key_env`).
        key_var: String,
        /// Variable for the API secret (`x.api_secret_env`).
        secret_var: String,
    },
    /// X refused the API key and secret (`client_credentials`).
    #[error("X refused the app's API key and secret (HTTP {status}): {message}")]
    AppCredentialsRejected {
        /// HTTP status.
        status: u16,
        /// X's message.
        message: String,
    },
    /// X could not be reached, or answered with something unexpected.
    /// Worth retrying later; nothing was persisted.
    #[error("talking to X failed: {0}")]
    Transport(String),
    /// The token file or its lock could not be read or written.
    #[error("{}: {source}", .path.display())]
    Store {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The stored tokens exist but cannot be understood.
    #[error("{place}: unreadable tokens ({message}); {LOGIN_FIX} to replace them")]
    Corrupt {
        /// The token file's path, or the store.
        place: String,
        /// What is wrong (never its contents).
        message: String,
    },
    /// The store keeping the tokens (PostgreSQL, shared by replicas) failed.
    #[error("the council's X tokens in the store: {0}")]
    SharedStore(#[from] crate::store::StoreError),
    /// The `state` that came back is not the one this login sent.
    #[error(
        "the redirect's `state` does not match this login attempt (a stale or forged \
         redirect); nothing was stored: {LOGIN_FIX} again"
    )]
    StateMismatch,
    /// The login could not complete (denied, timed out, bad input...).
    #[error("login failed: {0}")]
    Login(String),
}

impl AuthError {
    pub(crate) fn store(path: &std::path::Path, source: std::io::Error) -> AuthError {
        AuthError::Store {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The error type of every `oauth2` request made with reqwest.
pub(crate) type TokenRequestError =
    RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>;

/// How a failed token-endpoint request should be handled.
pub(crate) enum TokenFailure {
    /// 400 `invalid_grant` / `invalid_request`: the grant (code or refresh
    /// token) is dead. Carries "code: description".
    GrantRefused(String),
    /// Anything else, already mapped.
    Other(AuthError),
}

/// Sorts a token-endpoint error without ever quoting a response body.
pub(crate) fn classify(err: TokenRequestError) -> TokenFailure {
    match err {
        RequestTokenError::ServerResponse(response) => {
            let reason = describe(&response);
            match response.error() {
                BasicErrorResponseType::InvalidGrant | BasicErrorResponseType::InvalidRequest => {
                    TokenFailure::GrantRefused(reason)
                }
                BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => {
                    TokenFailure::Other(AuthError::ClientRejected { reason })
                }
                _ => TokenFailure::Other(AuthError::Transport(format!(
                    "the token endpoint answered {reason}"
                ))),
            }
        }
        RequestTokenError::Request(e) => TokenFailure::Other(AuthError::Transport(http_error(&e))),
        RequestTokenError::Parse(e, _body) => {
            // The body and serde's message may contain a token: report only where it broke.
            TokenFailure::Other(AuthError::Transport(format!(
                "the token endpoint's answer is not a valid OAuth 2.0 response (at `{}`)",
                e.path()
            )))
        }
        RequestTokenError::Other(message) => TokenFailure::Other(AuthError::Transport(message)),
    }
}

/// `invalid_request: Value passed for the token was invalid.`
fn describe(response: &BasicErrorResponse) -> String {
    match response.error_description() {
        Some(d) => format!("{}: {d}", response.error().as_ref()),
        None => response.error().as_ref().to_string(),
    }
}

/// reqwest's own message, with its source chain (it names the URL, never a body).
fn http_error(err: &HttpClientError<reqwest::Error>) -> String {
    match err {
        HttpClientError::Reqwest(e) => reqwest_error(e),
        other => other.to_string(),
    }
}

/// A reqwest error with its causes, e.g. "error sending request …: connection refused".
pub(crate) fn reqwest_error(err: &reqwest::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
