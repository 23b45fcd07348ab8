//! The work lease in the store, on both engines: claimed by one replica at
//! a time, renewed in its term, taken by another only once it expired (or
//! given up), and forced only when asked.

use std::time::Duration;

use placewatch::domain::lease::Claimant;

use placewatch::store::Engine;
use rstest_reuse::apply;

use super::TestStore;
use crate::engine::engines;

const WEB1: Claimant<'static> = Claimant {
    replica: "web-1:/var/lib/placewatch",
    process: "web-1 pid 100",
};
const WEB2: Claimant<'static> = Claimant {
    replica: "web-2:/var/lib/placewatch",
    process: "web-2 pid 200",
};
const LONG: Duration = Duration::from_secs(600);

#[apply(engines)]
#[tokio::test]
async fn one_replica_holds_the_lease_until_it_lapses_or_is_given_up(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let store = &t.store;
    assert_eq!(store.lease("work").await.unwrap(), None, "{engine}");
    let first = store.claim_lease("work", &WEB1, LONG, false).await.unwrap();
    assert_eq!(
        (first.term, first.new_term, first.previous.as_deref()),
        (Some(1), true, None),
        "{engine}"
    );
    // The other replica is refused, and told who holds it.
    let refused = store.claim_lease("work", &WEB2, LONG, false).await.unwrap();
    assert_eq!(refused.term, None, "{engine}");
    assert_eq!(refused.holding.process, WEB1.process, "{engine}");
    // The holder renews in its term.
    let renewed = store.claim_lease("work", &WEB1, LONG, false).await.unwrap();
    assert_eq!(
        (renewed.term, renewed.new_term),
        (Some(1), false),
        "{engine}"
    );
    let (held, now) = store.lease("work").await.unwrap().unwrap();
    assert!(held.expires_at_ms > now, "{engine}: live");
    assert!(held.renewed_at_ms >= held.acquired_at_ms, "{engine}");
    // Given up: the other takes it at once, in a new term.
    store.release_lease("work", &WEB1).await.unwrap();
    let taken = store.claim_lease("work", &WEB2, LONG, false).await.unwrap();
    assert_eq!(
        (taken.term, taken.new_term, taken.previous.as_deref()),
        (Some(2), true, Some(WEB1.replica)),
        "{engine}"
    );
    // Releasing a lease one does not hold changes nothing.
    store.release_lease("work", &WEB1).await.unwrap();
    let still = store.claim_lease("work", &WEB1, LONG, false).await.unwrap();
    assert_eq!(still.term, None, "{engine}");
    // A lease claimed for no time has lapsed by the next claim.
    let lapsing = store
        .claim_lease("work", &WEB2, Duration::ZERO, false)
        .await
        .unwrap();
    assert_eq!(lapsing.term, Some(2), "{engine}");
    let after = store.claim_lease("work", &WEB1, LONG, false).await.unwrap();
    assert_eq!(
        (after.term, after.previous.as_deref()),
        (Some(3), Some(WEB2.replica)),
        "{engine}"
    );
    // Forced (a SQLite file's one daemon): taken whoever holds it.
    let forced = store.claim_lease("work", &WEB2, LONG, true).await.unwrap();
    assert_eq!(forced.term, Some(4), "{engine}");
}
