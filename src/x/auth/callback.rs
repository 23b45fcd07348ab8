//! How the authorization code comes back to `placewatch auth login`: a
//! one-shot loopback HTTP server at `x.redirect_uri`, or (on a headless
//! server) the redirect URL pasted by the user. Either way the `state` must
//! be the one this login sent. Also opening the authorize URL in a browser,
//! when there is one.
//!
//! The code is a secret (for 30 seconds): it is never logged or echoed.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use oauth2::CsrfToken;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::{debug, instrument};
use url::Url;

use super::AuthError;

/// How long `auth login` waits for the browser to come back.
pub(crate) const LOGIN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How many unreadable pastes are forgiven before giving up.
const PASTE_ATTEMPTS: usize = 3;

/// Binds the callback's host and port, before the URL is shown, so that the
/// browser cannot arrive first and a busy port fails at once.
pub(crate) async fn bind(redirect_uri: &Url) -> Result<TcpListener, AuthError> {
    let addrs: Vec<SocketAddr> = redirect_uri
        .socket_addrs(|| Some(80))
        .map_err(|e| AuthError::Login(format!("x.redirect_uri {redirect_uri}: {e}")))?;
    let mut last = None;
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some((addr, e)),
        }
    }
    let (addr, e) = last.ok_or_else(|| {
        AuthError::Login(format!("x.redirect_uri {redirect_uri} names no address"))
    })?;
    Err(AuthError::Login(format!(
        "cannot listen on {addr} for the redirect ({e}); is another login running? \
         Free the port, or use --paste"
    )))
}

struct Callback {
    path: String,
    state: String,
    done: Mutex<Option<oneshot::Sender<Result<SecretString, AuthError>>>>,
}

/// Serves `listener` until the redirect arrives (or `LOGIN_TIMEOUT`), and
/// answers the browser with a short page. Returns the authorization code.
#[instrument(skip_all, fields(callback.addr = ?listener.local_addr().ok()))]
pub(crate) async fn receive(
    listener: TcpListener,
    redirect_uri: &Url,
    state: &CsrfToken,
    timeout: Duration,
) -> Result<SecretString, AuthError> {
    let (tx, rx) = oneshot::channel();
    let callback = Arc::new(Callback {
        path: redirect_uri.path().to_string(),
        state: state.secret().clone(),
        done: Mutex::new(Some(tx)),
    });
    let app = axum::Router::new().fallback(handle).with_state(callback);
    let stop = CancellationToken::new();
    let serve = axum::serve(listener, app).with_graceful_shutdown(stop.clone().cancelled_owned());
    let server = tokio::spawn(async move { serve.await });
    let result = tokio::time::timeout(timeout, rx).await;
    stop.cancel();
    // Let the page reach the browser, but never hang on a slow one.
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    match result {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(AuthError::Login("the callback server stopped".into())),
        Err(_) => Err(AuthError::Login(format!(
            "no redirect arrived within {} minutes; run `placewatch auth login --config FILE` \
             again (on a machine without a browser, add --paste)",
            timeout.as_secs() / 60
        ))),
    }
}

async fn handle(
    State(callback): State<Arc<Callback>>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    if method != Method::GET || uri.path() != callback.path {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let params = parse_query(query.as_deref().unwrap_or_default());
    if !params.contains_key("code") && !params.contains_key("error") {
        return (
            StatusCode::BAD_REQUEST,
            page("This is not a login redirect."),
        )
            .into_response();
    }
    let result = code_from(&params, &callback.state);
    let (status, message) = match &result {
        Ok(_) => (
            StatusCode::OK,
            "placewatch is logged in. You can close this tab and return to the terminal.".into(),
        ),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
    };
    debug!(ok = result.is_ok(), "login redirect received");
    if let Some(tx) = callback
        .done
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        let _ = tx.send(result);
    }
    (status, page(&message)).into_response()
}

fn page(message: &str) -> Html<String> {
    let message = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>placewatch</title></head><body><p>{message}</p></body></html>"
    ))
}

pub(crate) fn parse_query(query: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .into_owned()
        .collect()
}

/// Checks `state` and X's answer; returns the code.
pub(crate) fn code_from(
    params: &HashMap<String, String>,
    expected_state: &str,
) -> Result<SecretString, AuthError> {
    if params.get("state").map(String::as_str) != Some(expected_state) {
        return Err(AuthError::StateMismatch);
    }
    if let Some(error) = params.get("error") {
        let detail = params
            .get("error_description")
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        return Err(AuthError::Login(format!(
            "X did not authorize placewatch ({error}{detail})"
        )));
    }
    match params.get("code") {
        Some(code) if !code.is_empty() => Ok(SecretString::from(code.as_str())),
        _ => Err(AuthError::Login("the redirect carries no code".into())),
    }
}

/// Asks for the redirect URL on `out` and reads it from `input` (blocking:
/// this is an interactive prompt and nothing else runs meanwhile).
pub(crate) fn read_pasted(
    out: &mut (dyn Write + Send),
    input: &mut (dyn BufRead + Send),
    redirect_uri: &Url,
    state: &CsrfToken,
) -> Result<SecretString, AuthError> {
    let term = |e: std::io::Error| AuthError::Login(format!("terminal: {e}"));
    writeln!(
        out,
        "After you authorize, the browser is sent to {redirect_uri}?state=…&code=… and \
         shows an error page (nothing listens there on this machine; that is expected).\n\
         Copy the whole address from the browser's address bar and paste it here within \
         30 seconds (the code expires):"
    )
    .map_err(term)?;
    for _ in 0..PASTE_ATTEMPTS {
        out.flush().map_err(term)?;
        let mut line = String::new();
        if input.read_line(&mut line).map_err(term)? == 0 {
            return Err(AuthError::Login("no redirect URL was pasted".into()));
        }
        let line = line.trim();
        let query = match Url::parse(line) {
            Ok(url) => url.query().unwrap_or_default().to_string(),
            Err(_) if line.contains("code=") || line.contains("error=") => line.to_string(),
            Err(_) => String::new(),
        };
        let params = parse_query(&query);
        if params.contains_key("state")
            && (params.contains_key("code") || params.contains_key("error"))
        {
            return code_from(&params, state.secret());
        }
        writeln!(
            out,
            "That is not the redirect URL (it must carry both `code` and `state`; a code \
             alone cannot be checked). Paste the whole address:"
        )
        .map_err(term)?;
    }
    Err(AuthError::Login("no usable redirect URL was pasted".into()))
}
