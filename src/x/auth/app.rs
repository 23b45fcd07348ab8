//! The app-only bearer token placewatch reads X with (search, timelines):
//! a ready token (from the variable named by `x.bearer_token_env`), or one
//! obtained with the `client_credentials` grant from the API key and secret
//! (`POST {api_base}/oauth2/token`, HTTP Basic; x-api/FACTS.md §5).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::{debug, instrument};

use super::AuthError;
use super::error::reqwest_error;
use super::settings::AuthSettings;

/// The app-only bearer: the ready token, else one obtained with the
/// `client_credentials` grant from the API key pair, else an error naming the
/// variables for both.
#[instrument(skip_all)]
pub async fn app_bearer(
    settings: &AuthSettings,
    http: &reqwest::Client,
) -> Result<SecretString, AuthError> {
    let app = &settings.app;
    if let Some(token) = &app.bearer_token {
        debug!(source = %app.bearer_var, "app-only bearer from the environment");
        return Ok(token.clone());
    }
    let Some((key, secret)) = &app.api_key_pair else {
        return Err(AuthError::AppCredentialsMissing {
            bearer_var: app.bearer_var.clone(),
            key_var: app.key_var.clone(),
            secret_var: app.secret_var.clone(),
        });
    };
    let url = settings
        .api_base
        .join("oauth2/token")
        .map_err(|e| AuthError::Transport(format!("x.api_base: {e}")))?;
    // X asks for the key and secret to be URL-encoded before Basic encoding.
    let encode = |s: &SecretString| -> String {
        url::form_urlencoded::byte_serialize(s.expose_secret().as_bytes()).collect()
    };
    let response = http
        .post(url)
        .basic_auth(encode(key), Some(encode(secret)))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .map_err(|e| AuthError::Transport(reqwest_error(&e)))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(AuthError::AppCredentialsRejected {
            status: status.as_u16(),
            message: error_message(&body),
        });
    }
    let body: AppToken = response.json().await.map_err(|_| {
        AuthError::Transport("POST /oauth2/token: the answer holds no bearer token".into())
    })?;
    if !body.token_type.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Transport(format!(
            "POST /oauth2/token issued a {:?} token, not a bearer token",
            body.token_type
        )));
    }
    debug!("app-only bearer obtained with client_credentials");
    Ok(body.access_token)
}

#[derive(Deserialize)]
struct AppToken {
    token_type: String,
    access_token: SecretString,
}

/// X's message from an error body (`errors[].message`, `error_description`,
/// `detail`), never the raw body.
fn error_message(body: &str) -> String {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Message>,
        error_description: Option<String>,
        detail: Option<String>,
    }
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    match serde_json::from_str::<Body>(body) {
        Ok(b) if !b.errors.is_empty() => b
            .errors
            .into_iter()
            .map(|m| m.message)
            .collect::<Vec<_>>()
            .join("; "),
        Ok(b) => b
            .error_description
            .or(b.detail)
            .unwrap_or_else(|| "no message".into()),
        Err(_) => "no readable message".into(),
    }
}
