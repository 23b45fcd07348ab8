//! `auth logout`: revokes at X, deletes the file, and copes with no login.

use placewatch::x::auth::{self, UserSession};

use super::AuthTest;

#[tokio::test]
async fn logout_revokes_both_tokens_and_deletes_the_file() {
    let t = AuthTest::start().await;
    t.login().await;
    let (access, refresh) = (
        t.stored_str("access_token").await,
        t.stored_str("refresh_token").await,
    );

    let outcome = auth::logout(&t.auth()).await.unwrap();

    assert_eq!(outcome.account.as_ref().unwrap().username, "yourcroydon");
    assert!(outcome.revoke_errors.is_empty(), "{outcome}");
    assert!(outcome.to_string().contains("revoked"), "{outcome}");
    assert!(!t.token_file().exists());
    assert_eq!(t.me(&access).await, 401, "the access token is revoked");
    let (status, _) = t.refresh_directly(&refresh).await;
    assert_eq!(status, 400, "the refresh token is revoked");
    let stats = t.sim.stats().await;
    assert_eq!(stats["requests"]["POST /2/oauth2/revoke 200"], 2);
    assert!(UserSession::open(&t.auth()).await.unwrap().is_none());
}

#[tokio::test]
async fn logout_without_a_login_says_so() {
    let t = AuthTest::start().await;
    let outcome = auth::logout(&t.auth()).await.unwrap();
    assert!(outcome.account.is_none());
    assert!(
        outcome.to_string().starts_with("Not logged in"),
        "{outcome}"
    );
}

#[tokio::test]
async fn logout_still_deletes_when_x_cannot_revoke() {
    let t = AuthTest::start().await;
    t.login().await;
    // Without the client secret X cannot be asked; the file goes anyway.
    let outcome = auth::logout(&t.auth_with(&|_| None)).await.unwrap();
    assert!(!t.token_file().exists());
    assert_eq!(outcome.revoke_errors.len(), 1, "{outcome}");
    assert!(outcome.to_string().contains("Connected apps"), "{outcome}");
}
