//! Where the council's tokens are kept, and the lock that serialises their
//! refreshes: the token file in the data directory, or the store.
//!
//! With SQLite one machine holds the data, and the token file does.
//! `{data.dir}/x-user-token.json` holds the council account's tokens, the
//! account itself and, when X refused the refresh token, why. It is replaced
//! atomically with mode 0600 (`files::write_private`), so a reader sees the
//! old file or the new one, never half of either.
//!
//! `{data.dir}/x-user-token.lock` is never written or deleted: holding an
//! exclusive `File::lock` on it is what serialises refreshes, logins and
//! logouts across processes. (Deleting a lock file invites two processes to
//! lock two different files.) Locking blocks, so it runs in
//! `spawn_blocking`; the lock is released when the guard drops.
//!
//! On PostgreSQL several replicas may serve one store, and whichever holds
//! the work lease sends replies with the council's tokens. X rotates the
//! refresh token at every refresh, so a token file per replica would leave
//! the next holder with a spent one: the tokens are kept in the store
//! instead (`store::tokens`), the same JSON, with a PostgreSQL advisory lock
//! in place of the file lock. A token file left in the data directory from
//! before is moved into the store the first time the tokens are read.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use tracing::{debug, info, instrument, warn};

use super::oauth::Issued;
use super::settings::TokenPlace;
use super::{Account, AuthError, LOCK_FILE, TOKEN_FILE, unix_now};
use crate::store::{Store, TokenLock};

/// What the token file holds. `Debug` shows `[REDACTED]` for the tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredTokens {
    #[serde(serialize_with = "expose")]
    pub(crate) access_token: SecretString,
    #[serde(default, serialize_with = "expose_option")]
    pub(crate) refresh_token: Option<SecretString>,
    /// Unix seconds.
    pub(crate) expires_at: i64,
    /// Space-separated scopes as X granted them.
    pub(crate) scope: String,
    pub(crate) account: Account,
    /// Why X refused the refresh token; set until the next login.
    #[serde(default)]
    pub(crate) refused: Option<String>,
    /// When these tokens were issued (unix seconds).
    #[serde(default)]
    pub(crate) issued_at: i64,
}

impl StoredTokens {
    /// Fresh tokens from a login.
    pub(crate) fn from_login(issued: Issued, account: Account) -> StoredTokens {
        StoredTokens {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_at: issued.expires_at,
            scope: issued.scope,
            account,
            refused: None,
            issued_at: unix_now(),
        }
    }

    /// The tokens after a refresh. X rotates refresh tokens; should it ever
    /// not send a new one, the old one is kept (RFC 6749 §6).
    pub(crate) fn refreshed(&self, issued: Issued) -> StoredTokens {
        StoredTokens {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token.or_else(|| self.refresh_token.clone()),
            expires_at: issued.expires_at,
            scope: issued.scope,
            account: self.account.clone(),
            refused: None,
            issued_at: unix_now(),
        }
    }

    /// The same tokens, marked refused. The dead refresh token is dropped.
    pub(crate) fn refused(&self, reason: String) -> StoredTokens {
        StoredTokens {
            refresh_token: None,
            refused: Some(reason),
            ..self.clone()
        }
    }

    /// Whether `token` is this access token.
    pub(crate) fn has_access_token(&self, token: &SecretString) -> bool {
        self.access_token.expose_secret() == token.expose_secret()
    }
}

fn expose<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

fn expose_option<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => s.serialize_some(secret.expose_secret()),
        None => s.serialize_none(),
    }
}

/// Where the council's tokens are kept (see the module's docs).
#[derive(Debug, Clone)]
pub(crate) enum TokenStore {
    /// The token file of one data directory.
    File(TokenFile),
    /// The store; `legacy` is the data directory's token file, moved in
    /// when the store holds none.
    Shared { store: Store, legacy: TokenFile },
}

/// Held while tokens are refreshed, logged in or out; released on drop.
#[derive(Debug)]
pub(crate) enum TokenGuard {
    File(#[allow(dead_code, reason = "held for its Drop")] StoreLock),
    Shared(#[allow(dead_code, reason = "held for its Drop")] TokenLock),
}

impl TokenStore {
    pub(crate) fn new(place: &TokenPlace) -> TokenStore {
        match place {
            TokenPlace::File(dir) => TokenStore::File(TokenFile::new(dir)),
            TokenPlace::Store { store, data_dir } => TokenStore::Shared {
                store: store.clone(),
                legacy: TokenFile::new(data_dir),
            },
        }
    }

    /// Where the tokens are, for people: the token file's path, or the store.
    pub(crate) fn describe(&self) -> String {
        match self {
            TokenStore::File(file) => file.path().display().to_string(),
            TokenStore::Shared { .. } => SHARED.to_string(),
        }
    }

    /// The stored tokens; `None` when nobody has logged in.
    pub(crate) async fn load(&self) -> Result<Option<StoredTokens>, AuthError> {
        match self {
            TokenStore::File(file) => file.load_async().await,
            TokenStore::Shared { store, legacy } => {
                if let Some(body) = store.x_tokens().await? {
                    return parse(body.expose_secret().as_bytes(), SHARED).map(Some);
                }
                // The data directory's token file from before the store
                // kept them, moved in once (the first replica to do so wins).
                let Some(tokens) = legacy.load_async().await? else {
                    return Ok(None);
                };
                if store.adopt_x_tokens(&encode(&tokens, SHARED)?).await? {
                    info!(from = %legacy.path().display(), "moved the council's X tokens into the store");
                }
                legacy.delete().await?;
                match store.x_tokens().await? {
                    Some(body) => parse(body.expose_secret().as_bytes(), SHARED).map(Some),
                    None => Ok(None),
                }
            }
        }
    }

    /// Replaces the stored tokens (the file atomically, mode 0600).
    #[instrument(skip_all)]
    pub(crate) async fn save(&self, tokens: &StoredTokens) -> Result<(), AuthError> {
        match self {
            TokenStore::File(file) => file.save(tokens).await?,
            TokenStore::Shared { store, .. } => {
                store.save_x_tokens(&encode(tokens, SHARED)?).await?;
            }
        }
        debug!(expires_at = tokens.expires_at, "tokens stored");
        Ok(())
    }

    /// Deletes the stored tokens; `false` if there were none.
    pub(crate) async fn delete(&self) -> Result<bool, AuthError> {
        match self {
            TokenStore::File(file) => file.delete().await,
            TokenStore::Shared { store, legacy } => {
                let stored = store.delete_x_tokens().await?;
                Ok(legacy.delete().await? || stored)
            }
        }
    }

    /// Waits for the exclusive lock on the tokens (other tasks, processes
    /// and replicas).
    #[instrument(skip_all)]
    pub(crate) async fn lock(&self) -> Result<TokenGuard, AuthError> {
        let guard = match self {
            TokenStore::File(file) => TokenGuard::File(file.lock().await?),
            TokenStore::Shared { store, .. } => TokenGuard::Shared(store.lock_x_tokens().await?),
        };
        debug!("token lock taken");
        Ok(guard)
    }
}

/// The store's tokens, as messages name them.
const SHARED: &str = "the store's x_tokens table";

/// The tokens as JSON, for the file or the store.
fn encode(tokens: &StoredTokens, place: &str) -> Result<SecretString, AuthError> {
    let json =
        Zeroizing::new(
            serde_json::to_vec_pretty(tokens).map_err(|e| AuthError::Corrupt {
                place: place.to_string(),
                message: json_error(&e),
            })?,
        );
    String::from_utf8(json.to_vec())
        .map(SecretString::from)
        .map_err(|_| AuthError::Corrupt {
            place: place.to_string(),
            message: "not UTF-8".into(),
        })
}

/// Tokens read back from JSON, checked.
fn parse(bytes: &[u8], place: &str) -> Result<StoredTokens, AuthError> {
    let tokens: StoredTokens = serde_json::from_slice(bytes).map_err(|e| AuthError::Corrupt {
        place: place.to_string(),
        message: json_error(&e),
    })?;
    if tokens.account.id.parse::<u64>().is_err() {
        return Err(AuthError::Corrupt {
            place: place.to_string(),
            message: "the account id is not a number".into(),
        });
    }
    Ok(tokens)
}

/// The token file of one data directory, and its lock file.
#[derive(Debug, Clone)]
pub(crate) struct TokenFile {
    dir: PathBuf,
    path: PathBuf,
    lock_path: PathBuf,
}

impl TokenFile {
    pub(crate) fn new(dir: &Path) -> TokenFile {
        let dir = dir.to_owned();
        TokenFile {
            path: dir.join(TOKEN_FILE),
            lock_path: dir.join(LOCK_FILE),
            dir,
        }
    }

    /// The token file.
    fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the token file; `None` when there is none. Small and local, so
    /// callers in async code may use it directly (see `load_async`).
    fn load(&self) -> Result<Option<StoredTokens>, AuthError> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(AuthError::store(&self.path, e)),
        };
        if let Ok(meta) = fs::metadata(&self.path)
            && meta.mode() & 0o077 != 0
        {
            warn!(path = %self.path.display(), "token file is readable by others; it is rewritten with mode 0600 at the next refresh");
        }
        parse(&bytes, &self.path.display().to_string()).map(Some)
    }

    /// `load` off the async runtime.
    async fn load_async(&self) -> Result<Option<StoredTokens>, AuthError> {
        let store = self.clone();
        blocking(&self.path, move || store.load()).await
    }

    /// Replaces the token file atomically (mode 0600), creating the data
    /// directory (mode 0700) if needed.
    async fn save(&self, tokens: &StoredTokens) -> Result<(), AuthError> {
        let json = encode(tokens, &self.path.display().to_string())?;
        let file = self.clone();
        blocking(&self.path, move || {
            file.ensure_dir()?;
            crate::files::write_private(&file.path, json.expose_secret().as_bytes())
                .map_err(|e| AuthError::store(&file.path, e))
        })
        .await
    }

    /// Deletes the token file; `false` if there was none.
    async fn delete(&self) -> Result<bool, AuthError> {
        let path = self.path.clone();
        blocking(&self.path, move || match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(AuthError::store(&path, e)),
        })
        .await
    }

    /// Takes the exclusive cross-process lock, waiting for another holder.
    async fn lock(&self) -> Result<StoreLock, AuthError> {
        let store = self.clone();
        let lock = blocking(&self.lock_path, move || {
            store.ensure_dir()?;
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&store.lock_path)
                .map_err(|e| AuthError::store(&store.lock_path, e))?;
            file.lock()
                .map_err(|e| AuthError::store(&store.lock_path, e))?;
            Ok(StoreLock { file })
        })
        .await?;
        Ok(lock)
    }

    fn ensure_dir(&self) -> Result<(), AuthError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| AuthError::store(&self.dir, e))
    }
}

/// Holds the exclusive lock on `x-user-token.lock` until dropped.
#[derive(Debug)]
pub(crate) struct StoreLock {
    file: File,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        // Closing the file would release it too; unlocking says so.
        let _ = self.file.unlock();
    }
}

/// Runs blocking file work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AuthError::store(path, std::io::Error::other(e.to_string())))?
}

/// Where the JSON broke, without serde's message (which can quote a value).
fn json_error(e: &serde_json::Error) -> String {
    let what = e.to_string();
    if what.starts_with("missing field") {
        let what = what.split(" at line").next().unwrap_or_default();
        format!("{what}, line {} column {}", e.line(), e.column())
    } else {
        format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        )
    }
}
