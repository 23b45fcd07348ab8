//! The login throttle's attempts in the store, on both engines, counted
//! the same through two store handles on one database (two replicas).

use placewatch::domain::login::{PER_ADDRESS, PER_USERNAME, WINDOW};
use placewatch::store::Store;

use placewatch::store::Engine;
use rstest_reuse::apply;

use super::TestStore;
use crate::engine::engines;

#[apply(engines)]
#[tokio::test]
async fn replicas_count_the_same_attempts_before_the_passwords_are_checked(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (one, two) = (&t.store, &Store::connect(&t.db.url, None).await.unwrap());
    // Five attempts at once, spread over both replicas, none checked
    // yet: the sixth is refused on either.
    let mut held = Vec::new();
    for n in 0..PER_USERNAME {
        let replica = if n % 2 == 0 { one } else { two };
        held.push(
            replica
                .reserve_login("sam", "127.0.0.1")
                .await
                .unwrap()
                .unwrap(),
        );
    }
    for replica in [one, two] {
        let wait = replica
            .reserve_login("sam", "127.0.0.1")
            .await
            .unwrap()
            .expect_err("locked");
        assert!(
            wait <= WINDOW && wait.as_secs() > 14 * 60,
            "{engine}: {wait:?}"
        );
    }
    assert!(
        two.reserve_login("jo", "127.0.0.1").await.unwrap().is_ok(),
        "{engine}: others may still log in"
    );
    // One of them turns out right: the username is forgiven everywhere.
    one.login_succeeded(held.remove(0)).await.unwrap();
    assert!(
        two.reserve_login("sam", "127.0.0.1").await.unwrap().is_ok(),
        "{engine}"
    );
    // Attempts never checked are taken back.
    for _ in 0..3 * PER_USERNAME {
        let attempt = one.reserve_login("kim", "10.0.0.1").await.unwrap().unwrap();
        two.release_login(attempt).await.unwrap();
    }
    assert!(
        one.reserve_login("kim", "10.0.0.1").await.unwrap().is_ok(),
        "{engine}"
    );
    t.store.close().await;
    two.close().await;
}

#[apply(engines)]
#[tokio::test]
async fn an_address_is_locked_out_unless_an_officer_logged_in_from_it_lately(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let store = &t.store;
    let (office, stranger) = ("192.0.2.1", "192.0.2.2");
    let good = store.reserve_login("sam", office).await.unwrap().unwrap();
    store.login_succeeded(good).await.unwrap();
    for n in 0..PER_ADDRESS {
        let user = format!("user{n}");
        store.reserve_login(&user, office).await.unwrap().unwrap();
        store.reserve_login(&user, stranger).await.unwrap().unwrap();
    }
    let locked = store
        .reserve_login("priya", stranger)
        .await
        .unwrap()
        .expect_err("locked out");
    assert!(locked.as_secs() > 14 * 60, "{engine}: {locked:?}");
    let slowed = store
        .reserve_login("priya", office)
        .await
        .unwrap()
        .expect_err("slowed down");
    assert!(slowed.as_secs() <= 5, "{engine}: {slowed:?}");
}
