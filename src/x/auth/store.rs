//! The token file and its lock.
//!
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

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use tracing::{debug, instrument, warn};

use super::oauth::Issued;
use super::{Account, AuthError, LOCK_FILE, TOKEN_FILE, unix_now};

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

/// Where the tokens of one data directory live.
#[derive(Debug, Clone)]
pub(crate) struct TokenStore {
    dir: PathBuf,
    path: PathBuf,
    lock_path: PathBuf,
}

impl TokenStore {
    pub(crate) fn new(dir: &Path) -> TokenStore {
        let dir = dir.to_owned();
        TokenStore {
            path: dir.join(TOKEN_FILE),
            lock_path: dir.join(LOCK_FILE),
            dir,
        }
    }

    /// The token file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the token file; `None` when there is none. Small and local, so
    /// callers in async code may use it directly (see `load_async`).
    pub(crate) fn load(&self) -> Result<Option<StoredTokens>, AuthError> {
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
        let tokens: StoredTokens =
            serde_json::from_slice(&bytes).map_err(|e| AuthError::Corrupt {
                path: self.path.clone(),
                message: json_error(&e),
            })?;
        if tokens.account.id.parse::<u64>().is_err() {
            return Err(AuthError::Corrupt {
                path: self.path.clone(),
                message: "the account id is not a number".into(),
            });
        }
        Ok(Some(tokens))
    }

    /// `load` off the async runtime.
    pub(crate) async fn load_async(&self) -> Result<Option<StoredTokens>, AuthError> {
        let store = self.clone();
        blocking(&self.path, move || store.load()).await
    }

    /// Replaces the token file atomically (mode 0600), creating the data
    /// directory (mode 0700) if needed.
    #[instrument(skip_all)]
    pub(crate) async fn save(&self, tokens: &StoredTokens) -> Result<(), AuthError> {
        let json =
            Zeroizing::new(
                serde_json::to_vec_pretty(tokens).map_err(|e| AuthError::Corrupt {
                    path: self.path.clone(),
                    message: json_error(&e),
                })?,
            );
        let store = self.clone();
        blocking(&self.path, move || {
            store.ensure_dir()?;
            crate::files::write_private(&store.path, &json)
                .map_err(|e| AuthError::store(&store.path, e))
        })
        .await?;
        debug!(expires_at = tokens.expires_at, "token file written");
        Ok(())
    }

    /// Deletes the token file; `false` if there was none.
    pub(crate) async fn delete(&self) -> Result<bool, AuthError> {
        let path = self.path.clone();
        blocking(&self.path, move || match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(AuthError::store(&path, e)),
        })
        .await
    }

    /// Takes the exclusive cross-process lock, waiting for another holder.
    #[instrument(skip_all)]
    pub(crate) async fn lock(&self) -> Result<StoreLock, AuthError> {
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
        debug!("token lock taken");
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
