//! Access tokens for SMTP's SASL XOAUTH2 (`mail.auth = "xoauth2"`), from
//! the OAuth 2.0 token endpoint `mail.oauth_token_url` with the `oauth2`
//! crate (as `x::auth` does for X): the client-credentials grant (an
//! app-only token, what a daemon uses for Exchange Online), or the
//! refresh-token grant when `mail.oauth_refresh_token_env` is set (Google).
//!
//! A token is kept in memory only, until shortly before it expires, and
//! dropped when the SMTP server refuses it, so the next send fetches a new
//! one. Tokens, the client secret and the refresh token are
//! `SecretString`s: never logged, never written anywhere, never quoted in
//! an error (the token endpoint's error response is, since it holds none).

use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpClientError, RefreshToken,
    RequestTokenError, Scope, TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::Mutex;
use url::Url;

use super::error::MailSetupError;
use crate::config::MailOAuth;

/// `BasicClient` with only the token URL set.
type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

type TokenRequestError = RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>;

/// A token is used until this long before it expires (at most a fifth of
/// its life): long enough for one SMTP exchange to finish with it.
const MARGIN: Duration = Duration::from_secs(300);

/// The life assumed when the endpoint does not say (`expires_in` is only
/// RECOMMENDED by RFC 6749); Microsoft's and Google's tokens last an hour
/// or more.
const ASSUMED_LIFE: Duration = Duration::from_secs(3600);

/// Why no token was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenError {
    /// What the endpoint answered (`invalid_client: AADSTS7000215: ...`),
    /// or why it could not be asked.
    pub(crate) reason: String,
    /// Worth trying again later (the endpoint could not be reached, or
    /// said it is busy); `false` when the settings must change.
    pub(crate) temporary: bool,
}

struct Cached {
    token: SecretString,
    fresh_until: Instant,
}

/// Fetches and caches the access token.
pub(crate) struct TokenSource {
    client: TokenClient,
    http: reqwest::Client,
    token_url: Url,
    scope: Option<String>,
    refresh_token: Option<SecretString>,
    cached: Mutex<Option<Cached>>,
}

impl TokenSource {
    /// The token source `oauth` describes, with the client secret (always
    /// needed) and the refresh token (needed when `oauth` names one).
    /// `timeout` bounds each request to the endpoint.
    pub(crate) fn new(
        oauth: &MailOAuth,
        client_secret: Option<&SecretString>,
        refresh_token: Option<&SecretString>,
        timeout: Duration,
    ) -> Result<TokenSource, MailSetupError> {
        let secret = client_secret
            .filter(|s| !s.expose_secret().is_empty())
            .ok_or_else(|| MailSetupError::NoOAuthSecret {
                key: "mail.oauth_client_secret_env",
                var: oauth.client_secret_env.clone(),
            })?;
        let refresh_token = match &oauth.refresh_token_env {
            Some(var) => Some(
                refresh_token
                    .filter(|s| !s.expose_secret().is_empty())
                    .cloned()
                    .ok_or_else(|| MailSetupError::NoOAuthSecret {
                        key: "mail.oauth_refresh_token_env",
                        var: var.clone(),
                    })?,
            ),
            None => None,
        };
        // The secret in the form body (`client_secret_post`), which both
        // Microsoft's and Google's endpoints accept.
        let client = BasicClient::new(ClientId::new(oauth.client_id.clone()))
            .set_client_secret(ClientSecret::new(secret.expose_secret().to_string()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(TokenUrl::from_url(oauth.token_url.clone()));
        // Set up as `x::auth` sets up its client: no redirects (a token
        // request must not be replayed elsewhere), bounded waits.
        let http = oauth2::reqwest::Client::builder()
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("placewatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MailSetupError::Http { reason: chain(&e) })?;
        Ok(TokenSource {
            client,
            http,
            token_url: oauth.token_url.clone(),
            scope: oauth.scope.clone(),
            refresh_token,
            cached: Mutex::new(None),
        })
    }

    /// The token endpoint, as errors name it.
    pub(crate) fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// The grant used: `client_credentials` or `refresh_token`.
    pub(crate) fn grant(&self) -> &'static str {
        match self.refresh_token {
            Some(_) => "refresh_token",
            None => "client_credentials",
        }
    }

    /// The cached token while it is fresh, else a new one from the
    /// endpoint (one request at a time: concurrent sends wait for it).
    pub(crate) async fn token(&self) -> Result<SecretString, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.fresh_until
        {
            return Ok(c.token.clone());
        }
        *cached = None;
        let fetched_at = Instant::now();
        let (token, expires_in) = self.fetch().await?;
        tracing::debug!(
            grant = self.grant(),
            expires_in_secs = expires_in.map(|d| d.as_secs()),
            "mail access token issued"
        );
        *cached = Some(Cached {
            token: token.clone(),
            fresh_until: fresh_until(fetched_at, expires_in),
        });
        Ok(token)
    }

    /// Drops `token` from the cache (the server refused it), unless another
    /// send has already replaced it.
    pub(crate) async fn forget(&self, token: &SecretString) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == token.expose_secret())
        {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<(SecretString, Option<Duration>), TokenError> {
        let scopes = self
            .scope
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(|s| Scope::new(s.to_string()));
        let response = match &self.refresh_token {
            None => {
                self.client
                    .exchange_client_credentials()
                    .add_scopes(scopes)
                    .request_async(&self.http)
                    .await
            }
            Some(refresh) => {
                let refresh = RefreshToken::new(refresh.expose_secret().to_string());
                self.client
                    .exchange_refresh_token(&refresh)
                    .add_scopes(scopes)
                    .request_async(&self.http)
                    .await
            }
        }
        .map_err(|e| classify(&e))?;
        let token = SecretString::from(response.access_token().secret().to_string());
        if token.expose_secret().is_empty() {
            return Err(TokenError {
                reason: "the answer holds an empty access_token".into(),
                temporary: false,
            });
        }
        Ok((token, response.expires_in()))
    }
}

/// When a token fetched at `fetched_at` stops being used: `MARGIN` (or a
/// fifth of its life, if shorter) before it expires.
pub(crate) fn fresh_until(fetched_at: Instant, expires_in: Option<Duration>) -> Instant {
    let life = expires_in.unwrap_or(ASSUMED_LIFE);
    let margin = MARGIN.min(life / 5);
    fetched_at + (life - margin)
}

/// What the endpoint said, without ever quoting a body that could hold a
/// token.
fn classify(e: &TokenRequestError) -> TokenError {
    match e {
        RequestTokenError::ServerResponse(response) => {
            let reason = match response.error_description() {
                Some(d) => format!("{}: {d}", response.error().as_ref()),
                None => response.error().as_ref().to_string(),
            };
            let temporary = matches!(
                response.error(),
                BasicErrorResponseType::Extension(code)
                    if code == "temporarily_unavailable" || code == "server_error"
            );
            TokenError { reason, temporary }
        }
        RequestTokenError::Request(e) => TokenError {
            reason: match e {
                HttpClientError::Reqwest(e) => chain(e.as_ref()),
                other => chain(other),
            },
            temporary: true,
        },
        // A body that is not an OAuth 2.0 answer (an HTML error page from a
        // proxy or an outage): say where it broke, never what it held.
        RequestTokenError::Parse(e, _body) => TokenError {
            reason: format!(
                "the answer is not an OAuth 2.0 token response (at `{}`)",
                e.path()
            ),
            temporary: true,
        },
        RequestTokenError::Other(message) => TokenError {
            reason: message.clone(),
            temporary: true,
        },
    }
}

/// The error and its causes, `: `-separated (reqwest's name the URL, never
/// a body).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(err) = source {
        let more = err.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = err.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_used_until_shortly_before_it_expires() {
        let t = Instant::now();
        let hour = Some(Duration::from_secs(3600));
        assert_eq!(fresh_until(t, hour), t + Duration::from_secs(3300));
        // A short life keeps four fifths of it.
        let minute = Some(Duration::from_secs(60));
        assert_eq!(fresh_until(t, minute), t + Duration::from_secs(48));
        // Already expired: never fresh.
        assert_eq!(fresh_until(t, Some(Duration::ZERO)), t);
        // Unsaid: an hour assumed.
        assert_eq!(fresh_until(t, None), t + Duration::from_secs(3300));
    }
}
