//! No secret in any log line (at TRACE), report, `Debug` or error; and the
//! app-only bearer token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use placewatch::x::auth::{self, AuthError};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use super::{AuthTest, expose};

/// Collects everything a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// current_thread (the default): every task runs on this thread, so the
// thread's default subscriber sees all of them.
#[tokio::test]
async fn no_secret_in_logs_reports_or_debug_output_through_login_refresh_and_refusal() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    // tracing caches each callsite's interest process-wide. While only one
    // dispatcher exists, a sibling test thread (no subscriber) that first hits
    // a callsite caches `never` and blinds this capture. A second live
    // dispatcher makes every registration consult all of them.
    let _anchor = tracing::Dispatch::new(tracing_subscriber::registry());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let t = AuthTest::start().await;
    t.settings(json!({"token_ttl_secs": 60})).await;
    let (_, printed, browser) = t.login().await;
    let mut secrets = vec![
        browser.code.clone(),
        t.client_secret(),
        t.stored_str("access_token").await,
        t.stored_str("refresh_token").await,
    ];
    let session = t.open().await;
    let refreshed = session.access_token().await.unwrap();
    secrets.push(expose(&refreshed));
    secrets.push(t.stored_str("refresh_token").await);
    // A refusal, too.
    t.sim
        .control("/_sim/tokens/revoke-refresh", json!({}))
        .await;
    let refused = session
        .refresh_after_unauthorized(&refreshed)
        .await
        .unwrap_err();
    let status = session.status();

    let logs = logs.text();
    assert!(
        logs.contains("user access token refreshed"),
        "logging works:\n{logs}"
    );
    assert!(logs.contains("X refused the refresh token"), "{logs}");
    let outputs = [
        ("logs", logs),
        ("login output", printed),
        (
            "status_report",
            auth::status_report(&t.auth()).await.unwrap(),
        ),
        ("Debug of the session", format!("{session:?}")),
        ("Debug of its status", format!("{status:?}")),
        ("the refusal", format!("{refused} {refused:?}")),
        ("the callback page", browser.page),
    ];
    for secret in &secrets {
        assert!(secret.len() >= 16, "a real secret");
        for (what, text) in &outputs {
            assert!(
                !text.contains(secret.as_str()),
                "a secret appears in {what}"
            );
        }
    }
}

#[tokio::test]
async fn app_bearer_comes_from_the_environment_or_client_credentials() {
    let t = AuthTest::start().await;
    let creds = t.sim.creds().clone();
    let http = reqwest::Client::new();
    let x = &t.config.x;

    let ready = |name: &str| (name == x.bearer_token_env).then(|| "ready-token".to_string());
    let token = auth::app_bearer(&t.auth_with(&ready), &http).await.unwrap();
    assert_eq!(expose(&token), "ready-token");

    let keys = |name: &str| match name {
        n if n == x.api_key_env => Some(creds.api_key.clone()),
        n if n == x.api_secret_env => Some(creds.api_secret.clone()),
        _ => None,
    };
    let token = auth::app_bearer(&t.auth_with(&keys), &http).await.unwrap();
    let search = t
        .sim
        .http
        .get(t.sim.url("/2/tweets/search/recent?query=Croydon"))
        .bearer_auth(expose(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), 200);

    let wrong =
        |name: &str| (name == x.api_key_env || name == x.api_secret_env).then(|| "wrong".into());
    let err = auth::app_bearer(&t.auth_with(&wrong), &http)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AuthError::AppCredentialsRejected { status: 403, message } if message.contains("Unable to verify")),
        "{err}"
    );

    let err = auth::app_bearer(&t.auth_with(&|_| None), &http)
        .await
        .unwrap_err();
    let message = err.to_string();
    for var in [&x.bearer_token_env, &x.api_key_env, &x.api_secret_env] {
        assert!(message.contains(var.as_str()), "{message}");
    }
}
