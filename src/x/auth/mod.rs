//! Authentication to X: the council account's OAuth 2.0 user session and the
//! app-only bearer token.
//!
//! - `login`: `placewatch auth login|status|logout` — Authorization Code with
//!   PKCE (S256) through a loopback callback or a pasted redirect URL.
//! - `session`: [`UserSession`], the stored user tokens, refreshed before
//!   expiry and after a 401, serialised across tasks and processes.
//! - `store`: where the tokens are kept: the token file
//!   (`{data.dir}/x-user-token.json`, mode 0600, written atomically) and its
//!   lock file; on PostgreSQL, the store, shared by replicas, and an
//!   advisory lock ([`TokenPlace`]).
//! - `oauth`: the `oauth2` client set up for X (token, revoke, users/me).
//! - `callback`: the one-shot loopback server and the paste prompt.
//! - `app`: [`app_bearer`], the app-only token used for reading.
//! - `settings`: [`AuthSettings`], everything the above need, resolved once
//!   from the config and the environment by `app::auth_settings`.
//!
//! Secrets are `secrecy::SecretString` from the moment they arrive until the
//! moment they are written to the token file or an HTTP request: nothing here
//! prints, logs or `Debug`s a token, the client secret or an authorization
//! code, and nothing here reads the config or the environment.
//!
//! Depends on `files`, `store` (for tokens kept there) and the wire types
//! of `x`; not on the API client (which depends on this), nor on `config`.

mod app;
mod callback;
mod error;
mod login;
mod oauth;
mod session;
mod settings;
mod store;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use app::app_bearer;
pub use error::AuthError;
pub use login::{
    LoginOptions, LogoutOutcome, OpenBrowser, login, login_auto_approved, logout, status_report,
};
pub use session::{SessionStatus, UserSession, council, stored_status};
pub use settings::{AppCredentials, AuthSettings, OAuthClientKind, TokenPlace};

/// The scopes placewatch asks for: read and write posts, read accounts, and
/// `offline.access` so that X issues a refresh token.
pub const SCOPES: &[&str] = &["tweet.read", "tweet.write", "users.read", "offline.access"];

/// An access token expiring sooner than this is refreshed before use.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The token file, in the data directory.
pub const TOKEN_FILE: &str = "x-user-token.json";

/// The lock file that serialises refreshes across processes, beside it.
pub const LOCK_FILE: &str = "x-user-token.lock";

/// The council's X account, as `GET /2/users/me` reported it at login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The numeric user id.
    pub id: String,
    /// The handle, without `@`.
    pub username: String,
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
