//! The `oauth2` client set up the way X runs OAuth 2.0 (x-api/FACTS.md §5):
//! authorize at `x.authorize_url`, tokens at `{api_base}/2/oauth2/token`,
//! revocation at `{api_base}/2/oauth2/revoke`. Confidential clients
//! authenticate with HTTP Basic (the secret comes only from the environment),
//! public clients send `client_id` in the body. Also `GET /2/users/me`, to
//! learn who logged in.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use tracing::{debug, instrument};
use url::Url;

use super::error::{TokenFailure, classify, reqwest_error};
use super::settings::{AuthSettings, OAuthClientKind};
use super::{Account, AuthError, SCOPES, unix_now};
use crate::x::wire;

/// `BasicClient` with the authorize and token URLs set.
type XOAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Tokens X issued, with the expiry made absolute.
pub(crate) struct Issued {
    pub(crate) access_token: SecretString,
    pub(crate) refresh_token: Option<SecretString>,
    /// Unix seconds.
    pub(crate) expires_at: i64,
    /// Space-separated, as granted.
    pub(crate) scope: String,
}

/// Which kind of token to revoke (`token_type_hint`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum TokenKind {
    Access,
    Refresh,
}

/// X's OAuth 2.0 endpoints with this app's client credentials.
pub(crate) struct OAuthClient {
    oauth: XOAuthClient,
    /// Kept for revocation, which is done without `oauth2` (see `revoke`).
    secret: Option<SecretString>,
    http: reqwest::Client,
    revoke: Url,
    users_me: Url,
}

impl OAuthClient {
    /// Builds the client (confidential clients fail here when their secret
    /// is missing).
    pub(crate) fn new(x: &AuthSettings) -> Result<OAuthClient, AuthError> {
        if x.client_id.is_empty() {
            return Err(AuthError::Login(
                "x.client_id is empty: copy the OAuth 2.0 Client ID from the X developer \
                 console into the config"
                    .into(),
            ));
        }
        let endpoint = |path: &str| {
            x.api_base
                .join(path)
                .map_err(|e| AuthError::Login(format!("x.api_base cannot take {path}: {e}")))
        };
        let secret = match &x.client {
            OAuthClientKind::Confidential { secret, var } => Some(
                secret
                    .clone()
                    .ok_or_else(|| AuthError::ClientSecretMissing { var: var.clone() })?,
            ),
            OAuthClientKind::Public => None,
        };
        let oauth = BasicClient::new(ClientId::new(x.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(x.authorize_url.clone()))
            .set_token_uri(TokenUrl::from_url(endpoint("2/oauth2/token")?))
            .set_redirect_uri(RedirectUrl::from_url(x.redirect_uri.clone()));
        let oauth = match &secret {
            Some(secret) => oauth
                .set_client_secret(ClientSecret::new(secret.expose_secret().to_string()))
                .set_auth_type(AuthType::BasicAuth),
            None => oauth.set_auth_type(AuthType::RequestBody),
        };
        Ok(OAuthClient {
            oauth,
            secret,
            http: http_client(x)?,
            revoke: endpoint("2/oauth2/revoke")?,
            users_me: endpoint("2/users/me")?,
        })
    }

    /// A fresh authorize URL with PKCE S256 and a random `state`; returns the
    /// URL, the state to check and the verifier for the code exchange.
    pub(crate) fn authorize_url(&self) -> (Url, CsrfToken, PkceCodeVerifier) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_string())))
            .set_pkce_challenge(challenge)
            .url();
        (url, state, verifier)
    }

    /// Trades an authorization code for tokens.
    #[instrument(skip_all)]
    pub(crate) async fn exchange_code(
        &self,
        code: SecretString,
        verifier: PkceCodeVerifier,
    ) -> Result<Issued, AuthError> {
        let response = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.expose_secret().to_string()))
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| match classify(e) {
                TokenFailure::GrantRefused(reason) => AuthError::Login(format!(
                    "X refused the authorization code ({reason}); codes expire after 30 \
                     seconds, so try again and finish promptly"
                )),
                TokenFailure::Other(e) => e,
            })?;
        debug!("authorization code exchanged");
        Ok(issued(&response))
    }

    /// Uses a refresh token once (X rotates them). `Err(GrantRefused)` means
    /// the refresh token is dead for good.
    #[instrument(skip_all)]
    pub(crate) async fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> Result<Issued, TokenFailure> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_string());
        let response = self
            .oauth
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await
            .map_err(classify)?;
        debug!("refresh token exchanged");
        Ok(issued(&response))
    }

    /// Revokes one token at X (RFC 7009: `token` and `token_type_hint`,
    /// client authenticated as for the token endpoint). Done with reqwest
    /// directly: `oauth2` refuses a revocation URL that is not https, and the
    /// simulator is plain http on loopback.
    #[instrument(skip_all, fields(token.kind = ?kind))]
    pub(crate) async fn revoke(
        &self,
        token: &SecretString,
        kind: TokenKind,
    ) -> Result<(), AuthError> {
        let hint = match kind {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        };
        let client_id = self.oauth.client_id().as_str();
        let mut form = vec![("token", token.expose_secret()), ("token_type_hint", hint)];
        let mut request = self.http.post(self.revoke.clone());
        match &self.secret {
            // RFC 6749 §2.3.1: id and secret are form-encoded inside Basic.
            Some(secret) => {
                request = request.basic_auth(
                    form_encode(client_id),
                    Some(form_encode(secret.expose_secret())),
                );
            }
            None => form.push(("client_id", client_id)),
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| AuthError::Transport(reqwest_error(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let error = response
                .json::<wire::TokenError>()
                .await
                .map(|e| e.error)
                .unwrap_or_default();
            return Err(AuthError::Transport(format!(
                "the revoke endpoint answered HTTP {status} {error}"
            )));
        }
        debug!("token revoked");
        Ok(())
    }

    /// `GET /2/users/me` with a fresh user token: who logged in.
    #[instrument(skip_all)]
    pub(crate) async fn users_me(&self, access_token: &SecretString) -> Result<Account, AuthError> {
        let response = self
            .http
            .get(self.users_me.clone())
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(|e| AuthError::Transport(reqwest_error(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(AuthError::Transport(format!(
                "GET /2/users/me answered HTTP {status} with the new token"
            )));
        }
        let body: wire::Response<wire::User> = response
            .json()
            .await
            .map_err(|e| AuthError::Transport(format!("GET /2/users/me: {}", reqwest_error(&e))))?;
        let user = body
            .data
            .ok_or_else(|| AuthError::Transport("GET /2/users/me returned no user".into()))?;
        debug!(account.id = %user.id, account.username = %user.username, "users/me");
        Ok(Account {
            id: user.id,
            username: user.username,
        })
    }
}

/// The HTTP client for the token endpoint: no redirects (a redirect there is
/// a misconfiguration, and following one would resend credentials), the
/// config's timeouts, a User-Agent naming placewatch.
pub(crate) fn http_client(x: &AuthSettings) -> Result<reqwest::Client, AuthError> {
    oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .timeout(x.request_timeout)
        .connect_timeout(x.connect_timeout)
        .user_agent(concat!("placewatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AuthError::Transport(reqwest_error(&e)))
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn issued(response: &oauth2::basic::BasicTokenResponse) -> Issued {
    let expires_in = response
        .expires_in()
        .map_or(7200, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2));
    let scope = match response.scopes() {
        Some(scopes) => scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        None => SCOPES.join(" "),
    };
    Issued {
        access_token: SecretString::from(response.access_token().secret().as_str()),
        refresh_token: response
            .refresh_token()
            .map(|t| SecretString::from(t.secret().as_str())),
        expires_at: unix_now().saturating_add(expires_in),
        scope,
    }
}
