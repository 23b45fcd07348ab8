//! The council's tokens on PostgreSQL, where replicas share one store: kept
//! in the store, not in any replica's data directory, so that the replica
//! taking over the work after another has rotated the refresh token spends
//! the live one; a token file from before is moved into the store.

use placewatch::store::Engine;
use placewatch::x::auth::{self, TokenPlace, UserSession};
use secrecy::SecretString;
use serde_json::json;

use super::{AuthTest, expose};

/// A PostgreSQL auth test, or `None` when PostgreSQL is skipped.
async fn on_postgres() -> Option<AuthTest> {
    AuthTest::start_on(Engine::Postgres).await
}

/// The council's session as another replica of the test's deployment opens
/// it: its own connections to the same store, its own (empty) data
/// directory, which it returns too.
async fn other_replica(t: &AuthTest) -> (UserSession, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().unwrap();
    let tokens = TokenPlace::Store {
        store: placewatch::app::open_store(&t.config).await.unwrap(),
        data_dir: data_dir.path().to_owned(),
    };
    let session = UserSession::open(&settings_at(t, tokens))
        .await
        .unwrap()
        .expect("the other replica sees the login");
    (session, data_dir)
}

fn settings_at(t: &AuthTest, tokens: TokenPlace) -> auth::AuthSettings {
    auth::AuthSettings { tokens, ..t.auth() }
}

#[tokio::test]
async fn a_login_on_postgresql_keeps_the_tokens_in_the_store_not_the_data_directory() {
    let Some(t) = on_postgres().await else { return };
    assert!(matches!(t.tokens, TokenPlace::Store { .. }));
    t.login().await;

    assert!(!t.token_file().exists(), "no token file on PostgreSQL");
    let access = t.stored_str("access_token").await;
    assert_eq!(t.me(&access).await, 200);
    let report = auth::status_report(&t.auth()).await.unwrap();
    assert!(report.contains("@yourcroydon"), "{report}");
    assert!(report.contains("x_tokens"), "{report}");
    assert!(!report.contains(&access), "no secret in the report");

    // Logging out deletes them from the store.
    let outcome = auth::logout(&t.auth()).await.unwrap();
    assert!(outcome.account.is_some(), "{outcome}");
    assert!(UserSession::open(&t.auth()).await.unwrap().is_none());
}

#[tokio::test]
async fn the_replica_taking_over_spends_the_refresh_token_the_last_holder_left() {
    let Some(t) = on_postgres().await else { return };
    t.login().await;
    // Both replicas opened the session at start-up, with the same tokens.
    let one = t.open().await;
    let (two, elsewhere) = other_replica(&t).await;
    let first = one.access_token().await.unwrap();
    assert_eq!(expose(&first), expose(&two.access_token().await.unwrap()));

    // Replica one holds the work for a while: X expires its token, it
    // refreshes twice, rotating the refresh token each time.
    let mut held = first.clone();
    for _ in 0..2 {
        t.sim.control("/_sim/tokens/expire", json!({})).await;
        held = one.refresh_after_unauthorized(&held).await.unwrap();
    }
    assert_eq!(t.token_calls(200).await, 3, "login + two refreshes");

    // Replica one dies; replica two takes over holding the tokens it read
    // at start-up. X refuses its stale access token: it adopts the newer
    // one from the store, without asking X.
    assert_eq!(t.me(&expose(&first)).await, 401);
    let adopted = two.refresh_after_unauthorized(&first).await.unwrap();
    assert_eq!(expose(&adopted), expose(&held));
    assert_eq!(t.me(&expose(&adopted)).await, 200);
    assert_eq!(t.token_calls(200).await, 3, "no refresh needed");

    // When that one expires too, it spends the live refresh token replica
    // one left in the store.
    t.sim.control("/_sim/tokens/expire", json!({})).await;
    let taken = two.refresh_after_unauthorized(&adopted).await.unwrap();
    assert_eq!(t.me(&expose(&taken)).await, 200);
    assert_eq!(
        t.token_calls(400).await,
        0,
        "no spent refresh token was used"
    );
    assert_eq!(t.token_calls(200).await, 4);
    assert!(two.status().can_reply());
    assert_eq!(t.stored_str("access_token").await, expose(&taken));
    assert!(!elsewhere.path().join(auth::TOKEN_FILE).exists());
}

#[tokio::test]
async fn two_replicas_refreshing_at_once_reach_x_once() {
    let Some(t) = on_postgres().await else { return };
    t.login().await;
    let one = t.open().await;
    let (two, _elsewhere) = other_replica(&t).await;
    let rejected = SecretString::from(t.stored_str("access_token").await);
    t.sim.control("/_sim/tokens/expire", json!({})).await;

    let (a, b) = tokio::join!(
        one.refresh_after_unauthorized(&rejected),
        two.refresh_after_unauthorized(&rejected)
    );
    let (a, b) = (expose(&a.unwrap()), expose(&b.unwrap()));
    assert_eq!(a, b, "both replicas end with the same token");
    assert_eq!(t.token_calls(200).await, 2, "login + exactly one refresh");
    assert_eq!(t.token_calls(400).await, 0);
    assert_eq!(t.me(&a).await, 200);
}

#[tokio::test]
async fn a_token_file_from_before_is_moved_into_the_store() {
    let Some(t) = on_postgres().await else { return };
    // Logged in when the tokens were kept in the data directory.
    let file = TokenPlace::File(t.config.data.dir.clone());
    auth::login_auto_approved(&settings_at(&t, file))
        .await
        .unwrap();
    assert!(t.token_file().exists());

    let status = auth::stored_status(&t.tokens)
        .await
        .unwrap()
        .expect("moved");
    assert_eq!(status.account.username, "yourcroydon");
    assert!(!t.token_file().exists(), "the file is gone once moved");
    let access = t.stored_str("access_token").await;
    assert_eq!(t.me(&access).await, 200);
    assert!(t.open().await.status().can_reply());
}
