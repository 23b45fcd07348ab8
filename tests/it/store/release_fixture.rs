//! A store written by the current release (0.1.0, schema 22), committed as
//! `tests/fixtures/store-release-0.1.0.db`, opens with this build and every
//! later one with its data intact: its fortnight's report is still every
//! figure `report_calendar` checks, its officer, note and audit log are
//! there, and no migration is left pending. When a release changes the
//! schema, it keeps this test (and adds its own fixture beside it). How the
//! fixture is made: `tests/fixtures/README.md`.
//!
//! SQLite-only: the fixture is a SQLite file of a released version.

use std::path::Path;

use placewatch::domain::officer::Role;
use placewatch::domain::report::Measure;
use placewatch::store::{NewOfficer, Store};
use sqlx::Connection;

use super::TestStore;
use super::report_calendar::{a_fortnight, assert_counts, council, fortnight, settings};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/store-release-0.1.0.db"
);

/// A note an officer might write, markup and all.
const NOTE: &str = "Called <b>Ada</b> back; she'll send a photo 📷 & the street's \"real\" name.";

/// Writes the fixture: the fortnight of `report_calendar`, an officer and
/// a note, compacted into one file with `VACUUM INTO`. Run by hand when a
/// release is cut: `cargo test --test it store::release_fixture::write -- --ignored`.
#[tokio::test]
#[ignore = "writes tests/fixtures; run by hand for a release"]
async fn write() {
    let t = TestStore::open().await;
    let ids = a_fortnight(&t.store).await;
    t.store
        .add_officer(
            &NewOfficer {
                username: "casey",
                display_name: "Casey Fixture",
                role: Role::Officer,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$fixture$not-a-real-hash",
            },
            "fixture",
        )
        .await
        .unwrap();
    t.store.add_note(ids[&201], "casey", NOTE).await.unwrap();
    t.store.close().await;
    let _ = std::fs::remove_file(FIXTURE);
    let mut raw = t.raw().await;
    sqlx::query("VACUUM INTO ?")
        .bind(FIXTURE)
        .execute(&mut raw)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_release_0_1_0_store_opens_with_its_data_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("placewatch.db");
    std::fs::copy(FIXTURE, &path).unwrap();
    let store = Store::open(&path).await.unwrap();

    let council = council();
    for (elapsed, measure) in [
        (council.office_hours() as &_, Measure::OfficeHours),
        (
            &placewatch::domain::report::WallClock as &_,
            Measure::WallClock,
        ),
    ] {
        let report = store
            .report(fortnight(), elapsed, measure, &settings())
            .await
            .unwrap();
        assert_counts(&report);
    }
    let officers = store.officers().await.unwrap();
    assert!(
        officers.iter().any(|o| o.username == "casey"),
        "{officers:?}"
    );
    let audit = store.audit(None, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "item.referred" && e.actor == "sam"),
        "{audit:?}"
    );
    let with_note = store
        .list_items(&placewatch::store::ItemFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.post.id == 201)
        .unwrap();
    let notes = store.notes(with_note.id).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, NOTE);
    store.close().await;

    // Every migration this build has is applied: none was left pending.
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut raw)
            .await
            .unwrap();
    let files = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.ends_with(".sql")
                .then(|| name[..4].parse::<i64>().unwrap())
        })
        .count();
    assert_eq!(applied.len(), files, "{applied:?}");
}
