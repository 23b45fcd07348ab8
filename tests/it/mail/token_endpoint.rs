//! An OAuth 2.0 token endpoint on 127.0.0.1:0 standing in for Microsoft
//! Entra's (`/TENANT/oauth2/v2.0/token`) and Google's: the client-credentials
//! and refresh-token grants, the client authenticated by `client_id` and
//! `client_secret` in the form body, answers shaped as theirs are
//! (`invalid_client` with an AADSTS description). Every token it issues is
//! appended to the sink's tokens file before the answer goes out, so the
//! SMTP sink accepts exactly the tokens this endpoint issued; `revoke_all`
//! empties the file (tokens that expired or were revoked early).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json, Router};
use serde_json::json;

pub const CLIENT_ID: &str = "3f2a9c1e-placewatch-test-app";
pub const CLIENT_SECRET: &str = "client-secret-Q~never-logged";
pub const REFRESH_TOKEN: &str = "1//refresh-token-never-logged";

/// What the endpoint expects and how it answers.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The scope a client-credentials request must ask for.
    pub scope: &'static str,
    /// `expires_in` of every token (seconds).
    pub expires_in: u64,
}

/// One request received (the form, secrets included: this is the test's
/// own endpoint).
pub type Request = HashMap<String, String>;

struct Inner {
    expect: Expect,
    tokens_file: PathBuf,
    issued: Mutex<Vec<String>>,
    requests: Mutex<Vec<Request>>,
}

pub struct TokenEndpoint {
    pub url: String,
    inner: Arc<Inner>,
    _server: tokio::task::JoinHandle<()>,
}

impl TokenEndpoint {
    /// Serves `/tenant/oauth2/v2.0/token`, writing tokens to `tokens_file`.
    pub async fn start(tokens_file: &Path, expect: Expect) -> TokenEndpoint {
        std::fs::write(tokens_file, "").unwrap();
        let inner = Arc::new(Inner {
            expect,
            tokens_file: tokens_file.to_path_buf(),
            issued: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/tenant/oauth2/v2.0/token", axum::routing::post(token))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TokenEndpoint {
            url: format!("http://{addr}/tenant/oauth2/v2.0/token"),
            inner,
            _server: server,
        }
    }

    /// The tokens issued so far, in order.
    pub fn issued(&self) -> Vec<String> {
        self.inner.issued.lock().unwrap().clone()
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// From now on the SMTP server accepts none of the tokens issued so
    /// far (as if they had expired or been revoked).
    pub fn revoke_all(&self) {
        write_tokens(&self.inner.tokens_file, &[]);
    }
}

fn write_tokens(path: &Path, tokens: &[String]) {
    let tmp = path.with_extension("tmp");
    let mut text = tokens.join("\n");
    text.push('\n');
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = json!({"error": code, "error_description": description});
    (status, Json(body)).into_response()
}

async fn token(State(inner): State<Arc<Inner>>, Form(form): Form<Request>) -> Response {
    inner.requests.lock().unwrap().push(form.clone());
    let field = |k: &str| form.get(k).map(String::as_str);
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in \
             the request is the client secret value, not the client secret ID.",
        );
    }
    match field("grant_type") {
        Some("client_credentials") if field("scope") == Some(inner.expect.scope) => {}
        Some("client_credentials") => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "AADSTS1002012: The provided value for scope is not valid.",
            );
        }
        Some("refresh_token") if field("refresh_token") == Some(REFRESH_TOKEN) => {}
        Some("refresh_token") => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Token has been expired or revoked.",
            );
        }
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials and refresh_token",
            );
        }
    }
    let mut issued = inner.issued.lock().unwrap();
    let token = format!(
        "eyJ0eXAiOiJKV1Qi.access-{}.{}",
        issued.len() + 1,
        inner.tokens_file.display().to_string().len() * 7919 + issued.len()
    );
    issued.push(token.clone());
    // The sink accepts it from now on; the earlier ones stay valid too,
    // unless revoked.
    let mut valid: Vec<String> = std::fs::read_to_string(&inner.tokens_file)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    valid.push(token.clone());
    write_tokens(&inner.tokens_file, &valid);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": inner.expect.expires_in,
        "ext_expires_in": inner.expect.expires_in,
        "access_token": token,
    }))
    .into_response()
}
