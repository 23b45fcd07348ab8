//! Refresh: before expiry, after a 401, rotation under concurrency (one
//! refresh reaches X, the spent refresh token is never used again), and a
//! refresh token X refuses; with the tokens in the data directory's file
//! (SQLite) and in the store (PostgreSQL, shared by replicas).

use placewatch::store::Engine;
use placewatch::x::auth::{self, AuthError};
use rstest_reuse::apply;
use secrecy::SecretString;
use serde_json::json;

use super::{AuthTest, expose, is_refused};
use crate::engine::engines;

#[apply(engines)]
#[tokio::test]
async fn a_token_expiring_within_five_minutes_is_refreshed_before_use(#[case] engine: Engine) {
    let Some(t) = AuthTest::start_on(engine).await else {
        return;
    };
    // Issue a token that lives 60 s, inside the 5-minute margin.
    t.settings(json!({"token_ttl_secs": 60})).await;
    t.login().await;
    let (first_access, first_refresh) = (
        t.stored_str("access_token").await,
        t.stored_str("refresh_token").await,
    );
    t.settings(json!({"token_ttl_secs": 7200})).await;
    assert_eq!(t.token_calls(200).await, 1, "the login");

    let session = t.open().await;
    let token = expose(&session.access_token().await.unwrap());

    assert_ne!(token, first_access, "refreshed");
    assert_eq!(t.token_calls(200).await, 2, "one refresh");
    assert_eq!(
        t.me(&first_access).await,
        200,
        "…before the old one expired"
    );
    assert_eq!(t.me(&token).await, 200);
    // Persisted: the file holds the new pair.
    assert_eq!(t.stored_str("access_token").await, token);
    assert_ne!(t.stored_str("refresh_token").await, first_refresh);
    // A fresh token is used as it is.
    assert_eq!(expose(&session.access_token().await.unwrap()), token);
    assert_eq!(t.token_calls(200).await, 2, "no refresh for a fresh token");
}

#[apply(engines)]
#[tokio::test]
async fn a_401_refreshes_once_however_many_tasks_ask(#[case] engine: Engine) {
    let Some(t) = AuthTest::start_on(engine).await else {
        return;
    };
    t.login().await;
    let session = t.open().await;
    let old = session.access_token().await.unwrap();
    t.sim.control("/_sim/tokens/expire", json!({})).await;
    assert_eq!(t.me(&expose(&old)).await, 401);

    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (session, old) = (session.clone(), old.clone());
            tokio::spawn(async move { session.refresh_after_unauthorized(&old).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(expose(&task.await.unwrap().unwrap()));
    }

    assert!(
        tokens.iter().all(|tok| *tok == tokens[0]),
        "all got the same token"
    );
    assert_ne!(tokens[0], expose(&old));
    assert_eq!(t.token_calls(200).await, 2, "login + exactly one refresh");
    assert_eq!(t.me(&tokens[0]).await, 200);
    assert_eq!(expose(&session.access_token().await.unwrap()), tokens[0]);
}

#[apply(engines)]
#[tokio::test]
async fn rotation_two_sessions_on_one_store_refresh_once_and_never_reuse_the_old_token(
    #[case] engine: Engine,
) {
    let Some(t) = AuthTest::start_on(engine).await else {
        return;
    };
    t.login().await;
    let (old_access, old_refresh) = (
        t.stored_str("access_token").await,
        t.stored_str("refresh_token").await,
    );
    let rejected = SecretString::from(old_access.clone());
    // Two sessions with their own mutexes: only the file lock (or the
    // store's advisory lock) serialises them, exactly as for two processes.
    let (one, two) = (t.open().await, t.open().await);

    let (a, b) = tokio::join!(
        one.refresh_after_unauthorized(&rejected),
        two.refresh_after_unauthorized(&rejected)
    );
    let (a, b) = (expose(&a.unwrap()), expose(&b.unwrap()));

    assert_eq!(a, b, "both end with the same token");
    assert_ne!(a, old_access);
    assert_eq!(t.token_calls(200).await, 2, "login + exactly one refresh");
    assert_eq!(t.me(&a).await, 200);
    let new_refresh = t.stored_str("refresh_token").await;
    assert_ne!(new_refresh, old_refresh, "the new refresh token was stored");

    // The old refresh token is spent at the simulator…
    let (status, body) = t.refresh_directly(&old_refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(t.token_calls(400).await, 1);

    // …and neither session uses it again: the next refresh spends the new one.
    let c = expose(
        &one.refresh_after_unauthorized(&a.clone().into())
            .await
            .unwrap(),
    );
    assert_ne!(c, a);
    let d = expose(&two.refresh_after_unauthorized(&a.into()).await.unwrap());
    assert_eq!(d, c, "the second session picks up the first one's refresh");
    assert_eq!(t.token_calls(200).await, 3);
    assert_eq!(
        t.token_calls(400).await,
        1,
        "only the test's own reuse failed"
    );
    assert!(one.status().refused.is_none() && two.status().refused.is_none());
}

#[apply(engines)]
#[tokio::test]
async fn a_refused_refresh_token_is_a_persisted_state_not_a_retry_loop(#[case] engine: Engine) {
    let Some(t) = AuthTest::start_on(engine).await else {
        return;
    };
    t.settings(json!({"token_ttl_secs": 60})).await;
    t.login().await;
    t.sim
        .control("/_sim/tokens/revoke-refresh", json!({}))
        .await;
    t.sim.control("/_sim/tokens/expire", json!({})).await;
    let session = t.open().await;

    let err = session.access_token().await.unwrap_err();
    assert!(is_refused(&err), "{err}");
    let message = err.to_string();
    assert!(message.contains("invalid_request"), "{message}");
    assert!(
        message.contains("placewatch auth login --config"),
        "{message}"
    );
    assert_eq!(t.token_calls(400).await, 1);

    // Again, from this session, after a 401, and from a new one: X is not asked.
    assert!(is_refused(&session.access_token().await.unwrap_err()));
    let stale = SecretString::from(t.stored_str("access_token").await);
    assert!(is_refused(
        &session
            .refresh_after_unauthorized(&stale)
            .await
            .unwrap_err()
    ));
    assert!(is_refused(
        &t.open().await.access_token().await.unwrap_err()
    ));
    assert_eq!(t.token_calls(400).await, 1, "no second call to X");

    let status = session.status();
    assert!(!status.can_reply() && !status.has_refresh_token);
    assert!(
        t.stored().await["refused"]
            .as_str()
            .unwrap()
            .contains("invalid_request")
    );
    assert!(
        t.stored().await["refresh_token"].is_null(),
        "the dead token is dropped"
    );
    let report = auth::status_report(&t.auth()).await.unwrap();
    assert!(report.contains("REPLYING IS UNAVAILABLE"), "{report}");
    assert!(
        report.contains("placewatch auth login --config"),
        "{report}"
    );

    // A new login (in any process) clears it, and the running session notices.
    t.settings(json!({"token_ttl_secs": 7200})).await;
    t.login().await;
    let token = session.access_token().await.unwrap();
    assert_eq!(t.me(&expose(&token)).await, 200);
    assert!(session.status().can_reply());
}

#[tokio::test]
async fn a_session_whose_file_was_deleted_says_not_logged_in() {
    let t = AuthTest::start().await;
    t.login().await;
    let session = t.open().await;
    std::fs::remove_file(t.token_file()).unwrap();
    let stale = session.access_token().await.unwrap();
    let err = session
        .refresh_after_unauthorized(&stale)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::NotLoggedIn), "{err}");
    assert!(err.to_string().contains("placewatch auth login --config"));
    assert!(matches!(
        session.access_token().await,
        Err(AuthError::NotLoggedIn)
    ));
}

#[apply(engines)]
#[tokio::test]
async fn a_caller_that_gives_up_mid_refresh_does_not_lose_the_rotated_token(
    #[case] engine: Engine,
) {
    let Some(t) = AuthTest::start_on(engine).await else {
        return;
    };
    t.login().await;
    let session = t.open().await;
    let old = session.access_token().await.unwrap();
    let slow =
        json!({"kind": "latency", "count": 1, "route": "/2/oauth2/token", "latency_ms": 400});
    t.sim.control("/_sim/faults", slow).await;

    let gave_up = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        session.refresh_after_unauthorized(&old),
    )
    .await;
    assert!(gave_up.is_err(), "the caller timed out");

    // The refresh finishes on its own and is stored.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while t.stored_str("access_token").await == expose(&old) {
        assert!(std::time::Instant::now() < deadline, "the refresh was lost");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let new = expose(&session.refresh_after_unauthorized(&old).await.unwrap());
    assert_eq!(new, t.stored_str("access_token").await);
    assert_eq!(t.token_calls(200).await, 2, "login + the one refresh");
    assert_eq!(t.me(&new).await, 200);
    let (status, _) = t
        .refresh_directly(&t.stored_str("refresh_token").await)
        .await;
    assert_eq!(status, 200, "the stored refresh token is the live one");
}
