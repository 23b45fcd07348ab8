//! OAuth 2.0 as X runs it: the consent page (`/i/oauth2/authorize`), the token
//! endpoint (authorization code with PKCE, refresh with rotation), revocation,
//! and the app-only `client_credentials` grant on the v1 path `/oauth2/token`.
//!
//! The simulated account that consents is always the council account.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;

use super::auth::{CodeGrant, basic_credentials};
use super::error::{ApiError, oauth_invalid};
use super::state::{SimState, now_ms};

const KNOWN_SCOPES: &[&str] = &[
    "tweet.read",
    "tweet.write",
    "tweet.moderate.write",
    "users.read",
    "follows.read",
    "follows.write",
    "offline.access",
    "space.read",
    "mute.read",
    "mute.write",
    "like.read",
    "like.write",
    "list.read",
    "list.write",
    "block.read",
    "block.write",
    "bookmark.read",
    "bookmark.write",
    "dm.read",
    "dm.write",
    "media.write",
];

fn form(raw: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    // Some client libraries send the parameters in the query string instead of the body.
    let mut params: HashMap<String, String> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    params.extend(url::form_urlencoded::parse(body).into_owned());
    params
}

/// The parameters of a token or revoke request: the query string, then the
/// body. X documents form bodies for `/2/oauth2/token` and `/2/oauth2/revoke`,
/// but it also reads a JSON object body: node-twitter-api-v2 (over a million
/// downloads a month) sends its code exchange, refresh and revoke as
/// `application/json` (its body-type check never matches these paths), and
/// X's token endpoint answers them (node-twitter-api-v2#496).
fn token_params(raw: Option<&str>, headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let object = json
        .then(|| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body).ok())
        .flatten();
    let Some(object) = object else {
        return form(raw, body);
    };
    let mut params = form(raw, b"");
    for (k, v) in object {
        match v {
            serde_json::Value::String(s) => {
                params.insert(k, s);
            }
            serde_json::Value::Null => {}
            other => {
                params.insert(k, other.to_string());
            }
        }
    }
    params
}

fn is_loopback_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Validated authorize request.
struct AuthorizeRequest {
    app: usize,
    redirect_uri: String,
    state: String,
    challenge: String,
    method: String,
    scopes: HashSet<String>,
}

fn validate_authorize(
    sim: &SimState,
    p: &HashMap<String, String>,
) -> Result<AuthorizeRequest, String> {
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code" {
        return Err("response_type must be code".into());
    }
    let app = sim
        .0
        .auth
        .lock()
        .expect("auth lock")
        .app_by_client_id(&get("client_id"))
        .ok_or("Something went wrong: this app's client_id is not known.")?;
    let redirect_uri = get("redirect_uri");
    if !is_loopback_redirect(&redirect_uri) {
        return Err(format!(
            "The redirect_uri {redirect_uri} is not registered for this app."
        ));
    }
    let method = p
        .get("code_challenge_method")
        .cloned()
        .unwrap_or_else(|| "plain".into());
    if !method.eq_ignore_ascii_case("s256") && method != "plain" {
        return Err("code_challenge_method must be S256 or plain".into());
    }
    let challenge = get("code_challenge");
    if challenge.is_empty() {
        return Err("code_challenge is required".into());
    }
    let scopes: HashSet<String> = get("scope")
        .split([' ', '+'])
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if scopes.is_empty() || scopes.iter().any(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return Err("The requested scope is invalid.".into());
    }
    let state = get("state");
    if state.len() > 500 {
        return Err("state must be at most 500 characters".into());
    }
    Ok(AuthorizeRequest {
        app,
        redirect_uri,
        state,
        challenge,
        method,
        scopes,
    })
}

fn approve(sim: &SimState, req: AuthorizeRequest) -> Response {
    let code = sim.0.auth.lock().expect("auth lock").issue_code(CodeGrant {
        app: req.app,
        user: sim.0.council,
        redirect_uri: req.redirect_uri.clone(),
        challenge: req.challenge,
        method: req.method,
        scopes: req.scopes,
        issued_ms: now_ms(),
    });
    redirect_with(&req.redirect_uri, &[("state", &req.state), ("code", &code)])
}

fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let mut url = url::Url::parse(uri).expect("validated");
    url.query_pairs_mut().extend_pairs(pairs);
    Redirect::to(url.as_str()).into_response()
}

pub async fn authorize_page(State(sim): State<SimState>, RawQuery(raw): RawQuery) -> Response {
    let p = form(raw.as_deref(), b"");
    let req = match validate_authorize(&sim, &p) {
        Ok(r) => r,
        Err(message) => {
            return (
                StatusCode::BAD_REQUEST,
                Html(format!(
                    "<!doctype html><title>Error</title><p>{}</p>",
                    escape(&message)
                )),
            )
                .into_response();
        }
    };
    if sim.0.options.read().expect("options lock").auto_approve {
        return approve(&sim, req);
    }
    let account = {
        let world = sim.0.world.read().expect("world lock");
        world.users[sim.0.council].username.clone()
    };
    let hidden: String = p
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(k),
                escape(v)
            )
        })
        .collect();
    let mut scopes: Vec<&String> = req.scopes.iter().collect();
    scopes.sort();
    let scope_list: String = scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorize app – simulated X</title></head>
<body><main><h1>Authorize access to @{account}</h1>
<p>An app wants to use the simulated X account <strong>@{account}</strong> with these permissions:</p><ul>{scope_list}</ul>
<form method="post" action="/i/oauth2/authorize/consent">{hidden}
<button type="submit" name="decision" value="approve">Authorize app</button>
<button type="submit" name="decision" value="deny">Cancel</button></form></main></body></html>"#,
        account = escape(&account),
    ))
    .into_response()
}

pub async fn consent(State(sim): State<SimState>, body: Bytes) -> Response {
    let p = form(None, &body);
    let req = match validate_authorize(&sim, &p) {
        Ok(r) => r,
        Err(message) => return (StatusCode::BAD_REQUEST, escape(&message)).into_response(),
    };
    if p.get("decision").map(String::as_str) == Some("approve") {
        approve(&sim, req)
    } else {
        redirect_with(
            &req.redirect_uri,
            &[("error", "access_denied"), ("state", &req.state)],
        )
    }
}

/// Identifies the OAuth client: Basic auth (confidential) or `client_id` (public).
fn client(
    sim: &SimState,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
) -> Result<usize, ApiError> {
    let auth = sim.0.auth.lock().expect("auth lock");
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(basic_credentials);
    let unauthorized = |d: &str| ApiError::OAuth {
        status: StatusCode::UNAUTHORIZED,
        error: "unauthorized_client",
        description: d.into(),
    };
    match basic {
        Some((id, secret)) => auth
            .client(&id, Some(&secret))
            .ok_or_else(|| unauthorized("Invalid client credentials")),
        None => {
            let id = p.get("client_id").map(String::as_str).unwrap_or_default();
            match auth.app_by_client_id(id) {
                Some(app) if auth.apps[app].client_secret.is_none() => Ok(app),
                _ => Err(unauthorized("Missing valid authorization header")),
            }
        }
    }
}

fn token_json(issued: super::auth::Issued) -> Response {
    let mut body = json!({
        "token_type": "bearer",
        "expires_in": issued.expires_in,
        "access_token": issued.access_token,
        "scope": issued.scope,
    });
    if let Some(r) = issued.refresh_token {
        body["refresh_token"] = json!(r);
    }
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub async fn token(
    State(sim): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let p = token_params(raw.as_deref(), &headers, &body);
    let result = (|| {
        let app = client(&sim, &headers, &p)?;
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        let now = now_ms();
        let mut auth = sim.0.auth.lock().expect("auth lock");
        match get("grant_type").as_str() {
            "authorization_code" => {
                let grant = auth.take_code(&get("code"), now).map_err(oauth_invalid)?;
                if grant.app != app || grant.redirect_uri != get("redirect_uri") {
                    return Err(oauth_invalid(
                        "Value passed for the authorization code was invalid.",
                    ));
                }
                if !super::auth::pkce_matches(
                    &grant.method,
                    &grant.challenge,
                    &get("code_verifier"),
                ) {
                    return Err(oauth_invalid(
                        "Value passed for the code verifier was invalid.",
                    ));
                }
                Ok(auth.issue_tokens(app, grant.user, grant.scopes, now))
            }
            "refresh_token" => auth
                .refresh(app, &get("refresh_token"), now)
                .map_err(oauth_invalid),
            other => Err(ApiError::OAuth {
                status: StatusCode::BAD_REQUEST,
                error: "unsupported_grant_type",
                description: format!("Grant type {other} is not supported"),
            }),
        }
    })();
    match result {
        Ok(issued) => token_json(issued),
        Err(e) => e.into_response(),
    }
}

pub async fn revoke(
    State(sim): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let p = token_params(raw.as_deref(), &headers, &body);
    match client(&sim, &headers, &p) {
        Ok(app) => {
            let token = p.get("token").cloned().unwrap_or_default();
            sim.0.auth.lock().expect("auth lock").revoke(app, &token);
            let mut r = (StatusCode::OK, r#"{"revoked":true}"#).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /oauth2/token` with `grant_type=client_credentials`: an app-only bearer token.
pub async fn app_token(
    State(sim): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let p = form(raw.as_deref(), &body);
    let creds = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(basic_credentials);
    let mut auth = sim.0.auth.lock().expect("auth lock");
    let app = creds.and_then(|(k, s)| auth.app_by_key(&k, &s));
    let body = match (app, p.get("grant_type").map(String::as_str)) {
        (Some(app), Some("client_credentials")) => {
            Ok(json!({"token_type": "bearer", "access_token": auth.app_bearer(app)}))
        }
        (Some(_), _) => Err((
            StatusCode::BAD_REQUEST,
            json!({"errors": [{"code": 170, "message": "Missing required parameter: grant_type", "label": "forbidden_missing_parameter"}]}),
        )),
        (None, _) => Err((
            StatusCode::FORBIDDEN,
            json!({"errors": [{"code": 99, "message": "Unable to verify your credentials", "label": "authenticity_token_error"}]}),
        )),
    };
    let (status, body) = body.map_or_else(|e| e, |b| (StatusCode::OK, b));
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        h
    }

    #[test]
    fn token_params_read_form_json_and_query() {
        let form_body = token_params(
            None,
            &headers("application/x-www-form-urlencoded"),
            b"grant_type=refresh_token&refresh_token=abc",
        );
        assert_eq!(form_body["grant_type"], "refresh_token");
        assert_eq!(form_body["refresh_token"], "abc");
        // node-twitter-api-v2's body for loginWithOAuth2.
        let json_body = token_params(
            None,
            &headers("application/json;charset=UTF-8"),
            br#"{"code":"c","code_verifier":"v","redirect_uri":"http://127.0.0.1:8765/callback","grant_type":"authorization_code","client_id":"id"}"#,
        );
        assert_eq!(json_body["grant_type"], "authorization_code");
        assert_eq!(json_body["redirect_uri"], "http://127.0.0.1:8765/callback");
        let query = token_params(
            Some("grant_type=refresh_token&refresh_token=q"),
            &HeaderMap::new(),
            b"",
        );
        assert_eq!(query["refresh_token"], "q");
    }
}
