//! What the login, the user session and the app-only token need to know,
//! resolved once (by `app::auth_settings`, from the config and the
//! environment's secrets): nothing in `x` reads the config or the
//! environment itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::store::{Engine, Store};

/// The OAuth 2.0 client placewatch is registered as.
#[derive(Clone)]
pub enum OAuthClientKind {
    /// A public client (PKCE alone).
    Public,
    /// A confidential client: its secret, read from the variable `var`
    /// (`None` when that variable is unset, which fails the login or
    /// refresh with a message naming it).
    Confidential {
        secret: Option<SecretString>,
        var: String,
    },
}

/// The app-only token, or the key pair that gets one, with the names of the
/// variables they came from (for messages; never the values).
#[derive(Clone, Default)]
pub struct AppCredentials {
    pub bearer_token: Option<SecretString>,
    pub api_key_pair: Option<(SecretString, SecretString)>,
    pub bearer_var: String,
    pub key_var: String,
    pub secret_var: String,
}

/// Where the council's tokens are kept (see `store` in this module).
#[derive(Clone, Debug)]
pub enum TokenPlace {
    /// The token file in this directory: one machine holds the data (SQLite).
    File(PathBuf),
    /// The store, shared by every replica (PostgreSQL); a token file left in
    /// `data_dir` is moved in the first time the tokens are read.
    Store { store: Store, data_dir: PathBuf },
}

impl TokenPlace {
    /// Where a deployment whose data directory is `data_dir` and whose
    /// store is `store` keeps the council's tokens: in the store on
    /// PostgreSQL, where replicas share it, else in the data directory.
    pub fn of(data_dir: &Path, store: &Store) -> TokenPlace {
        match store.engine() {
            Engine::Postgres => TokenPlace::Store {
                store: store.clone(),
                data_dir: data_dir.to_owned(),
            },
            Engine::Sqlite => TokenPlace::File(data_dir.to_owned()),
        }
    }
}

/// Everything `x::auth` needs. Secrets inside are `SecretString`s; `Debug`
/// shows none of them.
#[derive(Clone)]
pub struct AuthSettings {
    /// X's API (or the simulator's), for the token, revoke and `users/me` endpoints.
    pub api_base: Url,
    /// Where the council's officer consents.
    pub authorize_url: Url,
    /// The loopback callback registered with the OAuth client.
    pub redirect_uri: Url,
    pub client_id: String,
    pub client: OAuthClientKind,
    /// The council's handle, as configured (to warn when someone else logs in).
    pub council_handle: String,
    /// Where the council's tokens are kept.
    pub tokens: TokenPlace,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub app: AppCredentials,
    /// The command that logs the council in again, for messages.
    pub login_command: String,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("api_base", &self.api_base.as_str())
            .field("client_id", &self.client_id)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}
