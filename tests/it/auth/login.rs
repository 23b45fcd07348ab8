//! `auth login`: through the loopback callback, by paste, public clients,
//! `state` checks, a missing client secret, and `auth status`.

use std::io::{BufReader, Cursor, Write};
use std::os::unix::fs::PermissionsExt;

use placewatch::domain::triage::{Account, Council};
use placewatch::x::auth::{self, AuthError, LoginOptions};

use super::{AuthTest, ChannelWriter, authorize_url_from, query_param, redirect_location};

const HEADLESS: LoginOptions = LoginOptions {
    paste: false,
    open_browser: None,
};

#[tokio::test]
async fn headless_login_through_the_loopback_callback_stores_tokens_and_account() {
    let t = AuthTest::start().await;
    assert!(
        !t.config.data.dir.exists(),
        "the data dir is created by login"
    );

    let (account, printed, browser) = t.login().await;

    assert_eq!(account.username, "yourcroydon");
    assert_eq!(account.id, t.sim.creds().council.id);
    assert!(
        browser.page.contains("You can close this tab"),
        "{}",
        browser.page
    );
    assert!(printed.contains("Logged in as @yourcroydon"), "{printed}");
    // The URL asked for PKCE S256, our scopes and a state.
    let url = printed
        .split_whitespace()
        .find(|w| w.contains("/i/oauth2/authorize?"))
        .unwrap();
    assert_eq!(query_param(url, "code_challenge_method"), "S256");
    assert_eq!(
        query_param(url, "scope"),
        "tweet.read tweet.write users.read offline.access"
    );
    assert!(query_param(url, "state").len() >= 16);

    let stored = t.stored().await;
    assert_eq!(stored["account"]["username"], "yourcroydon");
    assert!(stored["refused"].is_null());
    assert!(stored["refresh_token"].is_string());
    let expires_in =
        stored["expires_at"].as_i64().unwrap() - time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((7100..=7200).contains(&expires_in), "{expires_in}");
    assert_eq!(t.me(&t.stored_str("access_token").await).await, 200);

    let mode = std::fs::metadata(t.token_file())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "token file is owner-only");
    let dir_mode = std::fs::metadata(&t.config.data.dir)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o077, 0, "data dir is owner-only");

    let session = t.open().await;
    assert_eq!(session.account(), account);
    let status = session.status();
    assert!(status.has_refresh_token && status.refused.is_none());
    assert!(status.scopes.contains(&"offline.access".to_string()));
}

#[tokio::test]
async fn a_public_client_logs_in_with_client_id_and_no_secret() {
    let t = AuthTest::start_public().await;
    let (account, _, _) = t.login().await;
    assert_eq!(account.username, "yourcroydon");
    // Refresh works with client_id in the body, too.
    let session = t.open().await;
    let old = t.stored_str("access_token").await;
    let new = session
        .refresh_after_unauthorized(&old.clone().into())
        .await
        .unwrap();
    assert_ne!(super::expose(&new), old);
    assert_eq!(t.me(&super::expose(&new)).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_login_on_a_headless_server() {
    let t = AuthTest::start().await;
    let (mut out, mut printed) = ChannelWriter::new();
    let (reader, mut writer) = std::io::pipe().unwrap();
    let mut input = BufReader::new(reader);
    let sim_url = t.sim.url("");
    // The "user": reads the URL, authorizes in a browser elsewhere, pastes
    // the address the browser was sent to (nothing listens there).
    let user = tokio::spawn(async move {
        let prefix = format!("{sim_url}/i/oauth2/authorize?");
        let mut seen = String::new();
        let url = loop {
            seen.push_str(&printed.recv().await.unwrap());
            if let Some(u) = seen.split_whitespace().find(|w| w.starts_with(&prefix)) {
                break u.to_string();
            }
        };
        let location = redirect_location(&url).await;
        writeln!(
            writer,
            "  just the code: {}",
            query_param(&location, "code")
        )
        .unwrap();
        writeln!(writer, "{location}").unwrap();
        while let Some(chunk) = printed.recv().await {
            seen.push_str(&chunk);
        }
        seen
    });
    let options = LoginOptions {
        paste: true,
        open_browser: None,
    };
    let env = t.env();
    let account = auth::login(&t.auth_with(&env), options, &mut out, &mut input)
        .await
        .unwrap();
    drop(out);
    let printed = user.await.unwrap();
    assert_eq!(account.username, "yourcroydon");
    assert!(printed.contains("Copy the whole address"), "{printed}");
    assert!(
        printed.contains("a code alone cannot be checked"),
        "{printed}"
    );
    assert_eq!(t.me(&t.stored_str("access_token").await).await, 200);
}

#[tokio::test]
async fn a_pasted_url_with_another_state_is_refused_and_nothing_is_stored() {
    let t = AuthTest::start().await;
    let mut input = Cursor::new("http://127.0.0.1:1/callback?state=forged&code=abc\n");
    let options = LoginOptions {
        paste: true,
        open_browser: None,
    };
    let env = t.env();
    let err = auth::login(&t.auth_with(&env), options, &mut Vec::new(), &mut input)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::StateMismatch), "{err}");
    assert!(!t.token_file().exists());
    assert_eq!(t.token_calls(200).await, 0, "the code is never exchanged");
}

#[tokio::test]
async fn a_callback_with_another_state_fails_the_login() {
    let t = AuthTest::start().await;
    let (mut out, mut printed) = ChannelWriter::new();
    let settings = t.auth();
    let mut input = std::io::empty();
    let login = auth::login(&settings, HEADLESS, &mut out, &mut input);
    let browser = async {
        let url = authorize_url_from(&mut printed, &mut String::new(), &t.sim).await;
        let location = redirect_location(&url).await;
        let state = query_param(&location, "state");
        let forged = location.replace(&format!("state={state}"), "state=forged");
        reqwest::get(forged).await.unwrap().status()
    };
    let (result, status) = tokio::join!(login, browser);
    assert!(
        matches!(result, Err(AuthError::StateMismatch)),
        "{result:?}"
    );
    assert_eq!(status, 400);
    assert!(!t.token_file().exists());
}

#[tokio::test]
async fn a_confidential_client_without_its_secret_says_which_variable_to_set() {
    let t = AuthTest::start().await;
    let mut out = Vec::new();
    let err = auth::login(
        &t.auth_with(&|_| None),
        HEADLESS,
        &mut out,
        &mut std::io::empty(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AuthError::ClientSecretMissing { var } if *var == t.config.x.client_secret_env),
        "{err}"
    );
    assert!(err.to_string().contains(&t.config.x.client_secret_env));
    assert!(out.is_empty(), "fails before showing a URL");
}

#[tokio::test]
async fn status_report_shows_the_account_and_what_fixes_a_missing_login() {
    let t = AuthTest::start().await;
    let report = auth::status_report(&t.auth()).await.unwrap();
    assert!(report.contains("Not logged in"), "{report}");
    assert!(
        report.contains("placewatch auth login --config"),
        "{report}"
    );
    assert!(no_session(&t).await);

    t.login().await;
    let report = auth::status_report(&t.auth()).await.unwrap();
    assert!(report.contains("@yourcroydon"), "{report}");
    assert!(report.contains(&t.sim.creds().council.id), "{report}");
    assert!(report.contains("offline.access"), "{report}");
    assert!(report.contains("expires"), "{report}");
    assert!(report.contains("refresh token:  held"), "{report}");
    assert!(report.contains("is set"), "{report}");
    assert!(!report.contains(&t.stored_str("access_token").await));
    assert!(!report.contains(&t.stored_str("refresh_token").await));
}

#[tokio::test]
async fn the_council_account_is_resolved_once_from_the_stored_login() {
    let t = AuthTest::start().await;
    let resolve = || async {
        let status = auth::stored_status(&t.tokens).await.unwrap();
        auth::council(status.as_ref(), "configured_name")
    };
    assert_eq!(
        resolve().await,
        Council::NotLoggedIn {
            handle: "configured_name".into()
        }
    );

    t.login().await;
    let id: u64 = t.sim.creds().council.id.parse().unwrap();
    assert_eq!(
        resolve().await,
        Council::LoggedIn(Account {
            id,
            handle: "yourcroydon".into()
        })
    );

    // Refused by X: known by the configured handle only.
    let mut stored = t.stored().await;
    stored["refused"] = "invalid_grant: revoked".into();
    std::fs::write(t.token_file(), serde_json::to_vec(&stored).unwrap()).unwrap();
    assert!(resolve().await.account().is_none());

    // An id that is not X's number is a corrupt file, not an account of id 0.
    stored["refused"] = serde_json::Value::Null;
    stored["account"]["id"] = "yourcroydon".into();
    std::fs::write(t.token_file(), serde_json::to_vec(&stored).unwrap()).unwrap();
    let e = auth::stored_status(&t.tokens).await.unwrap_err();
    assert!(matches!(e, AuthError::Corrupt { .. }), "{e}");
    assert!(
        e.to_string().contains("the account id is not a number"),
        "{e}"
    );
}

async fn no_session(t: &AuthTest) -> bool {
    auth::UserSession::open(&t.auth()).await.unwrap().is_none()
}
