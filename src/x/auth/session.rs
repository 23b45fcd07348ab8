//! [`UserSession`]: the council account's tokens, refreshed as needed.
//!
//! X rotates refresh tokens and each works once, so a refresh must never
//! race another: two processes (or tasks) that both spend the same refresh
//! token leave one of them with a dead token, and the account locked out
//! until someone logs in again. So a refresh
//!
//! 1. takes this session's tokio mutex (tasks of this process), then the
//!    exclusive lock on the stored tokens (`x-user-token.lock`, or an
//!    advisory lock where the store keeps them: other processes, replicas,
//!    and other sessions of this one);
//! 2. re-reads the stored tokens: if the access token there is not the stale one
//!    and still valid, someone else already refreshed, and that token is used;
//! 3. otherwise spends the refresh token *as stored*, and stores the new
//!    pair before the new access token is handed out.
//!
//! The refresh runs in a task of its own, so a caller that is cancelled
//! mid-refresh cannot lose the rotated refresh token.
//!
//! A refresh token X refuses (`invalid_grant` / `invalid_request`) is written
//! down as `refused`; from then on `access_token()` answers `RefreshRefused`
//! without asking X, until a login (in this or another process) replaces the
//! file, which the session notices by re-reading it.

use std::fmt;
use std::sync::{Arc, RwLock};

use secrecy::SecretString;
use serde::Serialize;
use time::OffsetDateTime;
use tracing::{Instrument, debug, info, instrument, warn};

use super::error::TokenFailure;
use super::oauth::OAuthClient;
use super::settings::{AuthSettings, TokenPlace};
use super::store::{StoredTokens, TokenStore};
use super::{Account, AuthError, REFRESH_MARGIN, unix_now};
use crate::domain::triage::Council;

/// The council account's user-context session: tokens on disk, refreshed as
/// needed. Cheap to clone (an `Arc` inside); all clones share one cache and
/// one refresh mutex.
#[derive(Clone)]
pub struct UserSession {
    inner: Arc<Inner>,
}

struct Inner {
    store: TokenStore,
    oauth: OAuthClient,
    /// What this process last read or wrote. Never held across an await.
    current: RwLock<Current>,
    /// Serialises refreshes among this session's tasks.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Current {
    tokens: StoredTokens,
    /// The token file was deleted (logout) since this session read it.
    logged_out: bool,
    /// X issued these tokens but writing them failed: they are the only copy
    /// of the live refresh token, so the next refresh writes them first.
    unsaved: bool,
}

/// What `auth status` and the health page show. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionStatus {
    /// Who the tokens belong to.
    pub account: Account,
    /// Scopes granted, e.g. `tweet.read`.
    pub scopes: Vec<String>,
    /// When the current access token expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Whether a refresh token is held (needs `offline.access`).
    pub has_refresh_token: bool,
    /// Why X refused the refresh token, if it did: replying is unavailable
    /// until `placewatch auth login`.
    pub refused: Option<String>,
}

impl SessionStatus {
    pub(crate) fn from_tokens(tokens: &StoredTokens) -> SessionStatus {
        SessionStatus {
            account: tokens.account.clone(),
            scopes: tokens.scope.split_whitespace().map(String::from).collect(),
            expires_at: OffsetDateTime::from_unix_timestamp(tokens.expires_at)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            has_refresh_token: tokens.refresh_token.is_some(),
            refused: tokens.refused.clone(),
        }
    }

    /// Whether the session can (after a refresh, if needed) act as the account.
    pub fn can_reply(&self) -> bool {
        self.refused.is_none()
    }
}

impl UserSession {
    /// Opens the stored session where the settings keep the tokens (`None`
    /// when nobody has logged in). A confidential client needs its secret.
    #[instrument(skip_all)]
    pub async fn open(settings: &AuthSettings) -> Result<Option<UserSession>, AuthError> {
        let store = TokenStore::new(&settings.tokens);
        let Some(tokens) = store.load().await? else {
            debug!("no stored user session");
            return Ok(None);
        };
        let oauth = OAuthClient::new(settings)?;
        debug!(account.username = %tokens.account.username, "user session opened");
        Ok(Some(UserSession {
            inner: Arc::new(Inner {
                store,
                oauth,
                current: RwLock::new(Current {
                    tokens,
                    logged_out: false,
                    unsaved: false,
                }),
                refresh: tokio::sync::Mutex::new(()),
            }),
        }))
    }

    /// A valid access token, refreshed first when it expires within 5 minutes.
    pub async fn access_token(&self) -> Result<SecretString, AuthError> {
        let current = self.inner.usable().await?;
        let margin = REFRESH_MARGIN.as_secs() as i64;
        if current.tokens.expires_at - unix_now() > margin {
            return Ok(current.tokens.access_token);
        }
        debug!(
            expires_at = current.tokens.expires_at,
            "access token expires soon; refreshing"
        );
        self.refresh_replacing(&current.tokens.access_token).await
    }

    /// Called after X answered 401 to `rejected`: refreshes unless another
    /// task or process already did (then returns the newer token).
    pub async fn refresh_after_unauthorized(
        &self,
        rejected: &SecretString,
    ) -> Result<SecretString, AuthError> {
        let current = self.inner.usable().await?;
        if !current.tokens.has_access_token(rejected) && current.tokens.expires_at > unix_now() {
            debug!("a newer access token is already held");
            return Ok(current.tokens.access_token);
        }
        debug!("access token rejected by X; refreshing");
        self.refresh_replacing(rejected).await
    }

    /// The account the tokens belong to.
    pub fn account(&self) -> Account {
        self.inner.snapshot().tokens.account
    }

    /// For `auth status` and the health page: account, scopes, expiry,
    /// whether a refresh token is held and whether X refused it (and why).
    pub fn status(&self) -> SessionStatus {
        SessionStatus::from_tokens(&self.inner.snapshot().tokens)
    }

    /// Runs the refresh in its own task: a caller that gives up (a timeout,
    /// a shutdown `select!`) must not abort it between X rotating the refresh
    /// token and the new pair reaching the file, which would lose the only
    /// live refresh token.
    async fn refresh_replacing(&self, stale: &SecretString) -> Result<SecretString, AuthError> {
        let inner = Arc::clone(&self.inner);
        let stale = stale.clone();
        let task = async move { inner.refresh_locked(&stale).await };
        tokio::spawn(task.in_current_span())
            .await
            .map_err(|e| AuthError::Transport(format!("the refresh task failed: {e}")))?
    }
}

impl Inner {
    fn snapshot(&self) -> Current {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_current(&self, tokens: StoredTokens, unsaved: bool) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Current {
            tokens,
            logged_out: false,
            unsaved,
        };
    }

    fn set_logged_out(&self) {
        self.current
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .logged_out = true;
    }

    /// The cached tokens, unless refused or logged out. In those states the
    /// file is re-read (a local read, never X) so that a login made since,
    /// by any process, is picked up.
    async fn usable(&self) -> Result<Current, AuthError> {
        let current = self.snapshot();
        if current.tokens.refused.is_none() && !current.logged_out {
            return Ok(current);
        }
        match self.store.load().await? {
            Some(tokens) if tokens.refused.is_none() => {
                info!(account.username = %tokens.account.username, "a new login was stored; using it");
                self.set_current(tokens, false);
                Ok(self.snapshot())
            }
            Some(tokens) => {
                let reason = tokens.refused.clone().unwrap_or_default();
                self.set_current(tokens, false);
                Err(AuthError::RefreshRefused { reason })
            }
            None => {
                self.set_logged_out();
                Err(AuthError::NotLoggedIn)
            }
        }
    }

    /// Refreshes, serialised across tasks and processes, unless the stored
    /// access token is no longer `stale` (someone else refreshed).
    #[instrument(skip_all)]
    async fn refresh_locked(&self, stale: &SecretString) -> Result<SecretString, AuthError> {
        let _task = self.refresh.lock().await;
        let _lock = self.store.lock().await?;
        let stored = self.latest().await?;
        if let Some(reason) = stored.refused.clone() {
            return Err(AuthError::RefreshRefused { reason });
        }
        if !stored.has_access_token(stale) && stored.expires_at > unix_now() {
            debug!("another task or process already refreshed");
            return Ok(stored.access_token);
        }
        let Some(refresh_token) = stored.refresh_token.clone() else {
            let reason = "no refresh token is held (offline.access was not granted)".to_string();
            return Err(self.mark_refused(&stored, reason).await);
        };
        match self.oauth.refresh(&refresh_token).await {
            Ok(issued) => {
                let fresh = stored.refreshed(issued);
                // Persist before use: the old refresh token is already spent.
                if let Err(e) = self.store.save(&fresh).await {
                    warn!(error = %e, "refreshed tokens could not be written; kept in memory");
                    self.set_current(fresh, true);
                    return Err(e);
                }
                info!(
                    account.username = %fresh.account.username,
                    expires_at = fresh.expires_at,
                    "user access token refreshed"
                );
                let token = fresh.access_token.clone();
                self.set_current(fresh, false);
                Ok(token)
            }
            Err(TokenFailure::GrantRefused(reason)) => {
                Err(self.mark_refused(&stored, reason).await)
            }
            Err(TokenFailure::Other(e)) => {
                warn!(error = %e, "refresh failed; will retry on next use");
                Err(e)
            }
        }
    }

    /// Under the lock: the tokens to work from, normally the file's (another
    /// process may have refreshed), adopted as this session's cache.
    async fn latest(&self) -> Result<StoredTokens, AuthError> {
        let current = self.snapshot();
        let stored = if current.unsaved {
            // Ours are the only copy of the live refresh token: write them.
            self.store.save(&current.tokens).await?;
            current.tokens
        } else {
            match self.store.load().await? {
                Some(tokens) => tokens,
                None => {
                    self.set_logged_out();
                    return Err(AuthError::NotLoggedIn);
                }
            }
        };
        self.set_current(stored.clone(), false);
        Ok(stored)
    }

    /// Records that the refresh token is dead, so no one asks X again.
    async fn mark_refused(&self, stored: &StoredTokens, reason: String) -> AuthError {
        warn!(reason = %reason, "X refused the refresh token; replying is unavailable until the next login");
        let refused = stored.refused(reason.clone());
        if let Err(e) = self.store.save(&refused).await {
            warn!(error = %e, "could not record the refused refresh token");
        }
        self.set_current(refused, false);
        AuthError::RefreshRefused { reason }
    }
}

impl fmt::Debug for UserSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.inner.snapshot();
        f.debug_struct("UserSession")
            .field("account", &current.tokens.account)
            .field("expires_at", &current.tokens.expires_at)
            .field("refused", &current.tokens.refused)
            .field("tokens", &self.inner.store.describe())
            .finish_non_exhaustive()
    }
}

/// Who the council account is, resolved once from its stored login: logged in
/// when someone has logged in and X has not refused the login, else known only
/// by the configured handle.
pub fn council(status: Option<&SessionStatus>, configured_handle: &str) -> Council {
    let logged_in = status
        .filter(|s| s.can_reply())
        // The token file's loader refuses an id that is not a number.
        .and_then(|s| Some((s.account.id.parse().ok()?, &s.account.username)));
    match logged_in {
        Some((id, handle)) => Council::LoggedIn(crate::domain::triage::Account {
            id,
            handle: handle.clone(),
        }),
        None => Council::NotLoggedIn {
            handle: configured_handle.to_string(),
        },
    }
}

/// The council account's stored login as `placewatch status` and the status
/// page show it, read from where `place` keeps the tokens (`None` when
/// nobody has logged in). Needs no secret: it only reads.
pub async fn stored_status(place: &TokenPlace) -> Result<Option<SessionStatus>, AuthError> {
    Ok(TokenStore::new(place)
        .load()
        .await?
        .map(|tokens| SessionStatus::from_tokens(&tokens)))
}
