//! Presence in the store, on both engines: a report made through one store
//! handle is seen through another on the same database (two replicas), by
//! every officer but the one who made it; a new report replaces the last;
//! a report older than the lapse, by the database's clock, counts no more
//! and is deleted when the next report arrives.

use placewatch::domain::officer::Role;
use placewatch::domain::presence::{Activity, LAPSE, Present};
use placewatch::store::{Engine, NewOfficer, Store};
use rstest_reuse::apply;

use super::TestStore;
use crate::engine::engines;

/// Adds officers by username and display name; their ids, in order.
async fn officers(store: &Store, who: &[(&str, &str)]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (username, display_name) in who {
        let officer = store
            .add_officer(
                &NewOfficer {
                    username,
                    display_name,
                    role: Role::Officer,
                    password_hash: "not a real hash",
                },
                "test",
            )
            .await
            .unwrap();
        ids.push(officer.id);
    }
    ids
}

fn present(item_id: i64, officer: &str, display_name: &str, activity: Activity) -> Present {
    Present {
        item_id,
        officer: officer.to_owned(),
        display_name: display_name.to_owned(),
        activity,
    }
}

#[apply(engines)]
#[tokio::test]
async fn a_report_to_one_replica_is_seen_on_the_other_by_everyone_else(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (one, two) = (&t.store, &t.reopen().await);
    let ids = officers(
        one,
        &[
            ("sam", "Sam Patel"),
            ("priya", "Priya Shah"),
            ("alex", "Alex Jones"),
        ],
    )
    .await;
    let (sam, priya, alex) = (ids[0], ids[1], ids[2]);
    assert!(
        two.presence(&[7], alex).await.unwrap().is_empty(),
        "{engine}"
    );

    one.report_presence(7, sam, Activity::Viewing)
        .await
        .unwrap();
    two.report_presence(7, priya, Activity::Replying)
        .await
        .unwrap();
    two.report_presence(8, sam, Activity::Viewing)
        .await
        .unwrap();
    // Everyone on 7, by username; nobody on 9; nothing asked, nothing said.
    assert_eq!(
        one.presence(&[7, 8, 9], alex).await.unwrap(),
        [
            present(7, "priya", "Priya Shah", Activity::Replying),
            present(7, "sam", "Sam Patel", Activity::Viewing),
            present(8, "sam", "Sam Patel", Activity::Viewing),
        ],
        "{engine}"
    );
    assert!(
        one.presence(&[], alex).await.unwrap().is_empty(),
        "{engine}"
    );
    // Sam does not see himself.
    assert_eq!(
        two.presence(&[7, 8], sam).await.unwrap(),
        [present(7, "priya", "Priya Shah", Activity::Replying)],
        "{engine}"
    );
    // A new report replaces the last: Priya stopped typing.
    one.report_presence(7, priya, Activity::Viewing)
        .await
        .unwrap();
    assert_eq!(
        two.presence(&[7], sam).await.unwrap(),
        [present(7, "priya", "Priya Shah", Activity::Viewing)],
        "{engine}"
    );
    let mut conn = t.conn().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM presence")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 3, "{engine}: one row per item and officer");
    t.store.close().await;
    two.close().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_lapsed_report_counts_no_more_and_goes_with_the_next_report(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let store = &t.store;
    let ids = officers(store, &[("sam", "Sam Patel"), ("priya", "Priya Shah")]).await;
    let (sam, priya) = (ids[0], ids[1]);
    store
        .report_presence(7, sam, Activity::Viewing)
        .await
        .unwrap();
    store
        .report_presence(8, sam, Activity::Replying)
        .await
        .unwrap();
    // Sam's tab on 7 closed a lapse and a second ago; on 8 he reported
    // half a lapse ago (the database's clock, so the rows are moved back).
    let lapse_ms = i64::try_from(LAPSE.as_millis()).unwrap();
    let mut conn = t.conn().await;
    for (item, ago) in [(7_i64, lapse_ms + 1_000), (8, lapse_ms / 2)] {
        sqlx::query("UPDATE presence SET at = at - $1 WHERE item_id = $2")
            .bind(ago)
            .bind(item)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(
        store.presence(&[7, 8], priya).await.unwrap(),
        [present(8, "sam", "Sam Patel", Activity::Replying)],
        "{engine}: the lapsed report is not shown"
    );
    let count = "SELECT count(*) FROM presence WHERE item_id = 7";
    let lapsed: i64 = sqlx::query_scalar(count)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(lapsed, 1, "{engine}: kept until the next report");
    // Anyone's report clears the lapsed rows out.
    store
        .report_presence(9, priya, Activity::Viewing)
        .await
        .unwrap();
    let lapsed: i64 = sqlx::query_scalar(count)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(lapsed, 0, "{engine}");
    assert_eq!(
        store.presence(&[7, 8, 9], sam).await.unwrap(),
        [present(9, "priya", "Priya Shah", Activity::Viewing)],
        "{engine}"
    );
    // Sam comes back to 7: his report is live again.
    store
        .report_presence(7, sam, Activity::Viewing)
        .await
        .unwrap();
    assert_eq!(
        store.presence(&[7], priya).await.unwrap(),
        [present(7, "sam", "Sam Patel", Activity::Viewing)],
        "{engine}"
    );
}
