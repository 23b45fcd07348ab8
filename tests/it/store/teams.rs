//! Teams seeded from the config's `[[teams]]`: added, updated to exactly
//! the configured members, left alone when made in the desk, kept but
//! unmarked when taken out of the file; `teams_of` a member; and how an
//! officer hears of her work.

use placewatch::config::TeamConfig;
use placewatch::domain::officer::Role;
use placewatch::domain::team::{DigestAt, Notify};
use placewatch::store::{NewOfficer, OfficerContact, TeamSync};

use super::TestStore;

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

fn team(name: &str, emails: &[&str], members: &[&str]) -> TeamConfig {
    TeamConfig {
        name: name.into(),
        emails: emails.iter().map(|e| e.parse().unwrap()).collect(),
        members: members.iter().map(|m| m.to_string()).collect(),
        teams_webhook_env: None,
        slack_webhook_env: None,
    }
}

fn streets(members: &[&str]) -> TeamConfig {
    team("Streets team", &["streets@croydon.gov.uk"], members)
}

fn cleanco() -> TeamConfig {
    team(
        "CleanCo street cleansing",
        &["reports@cleanco.example"],
        &[],
    )
}

async fn add_officer(t: &TestStore, username: &str) {
    let new = NewOfficer {
        username,
        display_name: "Test Officer",
        role: Role::Officer,
        password_hash: "$argon2id$not-a-real-hash",
    };
    t.store.add_officer(&new, "test").await.unwrap();
}

/// A team an admin made in the desk (the desk's pages come later).
async fn desk_team(t: &TestStore, name: &str, member: &str) {
    let mut raw = t.conn().await;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO teams (name, emails, from_config, created_at, updated_at) \
         VALUES ($1, '[\"desk@croydon.gov.uk\"]', FALSE, '2026-12-01T09:00:00Z', \
         '2026-12-01T09:00:00Z') RETURNING id",
    )
    .bind(name)
    .fetch_one(&mut raw)
    .await
    .unwrap();
    sqlx::query("INSERT INTO team_members (team_id, username) VALUES ($1, $2)")
        .bind(id)
        .bind(member)
        .execute(&mut raw)
        .await
        .unwrap();
}

#[apply(engines)]
#[tokio::test]
async fn config_teams_are_seeded_with_their_members_and_marked_as_from_the_config(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    add_officer(&t, "sam").await;
    let sync = t
        .store
        .sync_config_teams(&[streets(&["sam", "priya"]), cleanco()])
        .await
        .unwrap();
    assert_eq!(sync.added, ["Streets team", "CleanCo street cleansing"]);
    assert_eq!(
        sync.unknown_members,
        [("Streets team".to_string(), "priya".to_string())],
        "priya is no officer yet: reported, not refused"
    );

    let teams = t.store.teams().await.unwrap();
    let names: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["CleanCo street cleansing", "Streets team"]);
    assert!(teams.iter().all(|t| t.from_config));
    assert_eq!(teams[0].members, Vec::<String>::new());
    assert_eq!(teams[1].members, ["priya", "sam"]);
    assert_eq!(teams[1].emails, ["streets@croydon.gov.uk"]);

    let found = t.store.team("STREETS TEAM").await.unwrap().unwrap();
    assert_eq!(found, teams[1], "found by name ignoring case");
    assert_eq!(t.store.team("Parks").await.unwrap(), None);

    // The same config again changes nothing.
    let again = t
        .store
        .sync_config_teams(&[streets(&["sam", "priya"]), cleanco()])
        .await
        .unwrap();
    assert_eq!(
        (again.added.len(), again.updated.len(), again.unmarked.len()),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(t.store.teams().await.unwrap(), teams);
}

#[apply(engines)]
#[tokio::test]
async fn reseeding_sets_members_exactly_keeps_desk_teams_and_unmarks_removed_ones(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    t.store
        .sync_config_teams(&[streets(&["sam", "priya"]), cleanco()])
        .await
        .unwrap();
    desk_team(&t, "Parks", "sam").await;

    // Priya leaves the Streets team, Jo joins, an address changes; CleanCo
    // is taken out of the file.
    let mut changed = streets(&["sam", "jo"]);
    changed.emails = vec!["street-scene@croydon.gov.uk".parse().unwrap()];
    changed.slack_webhook_env = Some("STREETS_SLACK_URL".into());
    let sync = t.store.sync_config_teams(&[changed]).await.unwrap();
    assert_eq!(
        sync,
        TeamSync {
            added: vec![],
            updated: vec!["Streets team".into()],
            unmarked: vec!["CleanCo street cleansing".into()],
            unknown_members: vec![
                ("Streets team".into(), "sam".into()),
                ("Streets team".into(), "jo".into()),
            ],
        }
    );

    let teams = t.store.teams().await.unwrap();
    let summary: Vec<(&str, bool, Vec<String>)> = teams
        .iter()
        .map(|t| (t.name.as_str(), t.from_config, t.members.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("CleanCo street cleansing", false, vec![]),
            ("Parks", false, vec!["sam".to_string()]),
            (
                "Streets team",
                true,
                vec!["jo".to_string(), "sam".to_string()]
            ),
        ],
        "the desk's team untouched, the removed one kept"
    );
    let streets = &teams[2];
    assert_eq!(streets.emails, ["street-scene@croydon.gov.uk"]);
    assert_eq!(
        streets.slack_webhook_env.as_deref(),
        Some("STREETS_SLACK_URL")
    );

    // Every change the config made is in the audit log, by "config".
    let actions: Vec<String> = t
        .store
        .audit(None, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == "config")
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "team.left_config",
            "team.updated",
            "team.added",
            "team.added"
        ]
    );
}

#[apply(engines)]
#[tokio::test]
async fn a_config_team_takes_over_a_desk_team_of_the_same_name(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    desk_team(&t, "streets TEAM", "vic").await;
    let sync = t
        .store
        .sync_config_teams(&[streets(&["sam"])])
        .await
        .unwrap();
    assert_eq!(sync.updated, ["Streets team"]);
    let teams = t.store.teams().await.unwrap();
    assert_eq!(teams.len(), 1, "one team, not two: {teams:?}");
    assert_eq!(
        teams[0].name, "Streets team",
        "spelt as the config spells it"
    );
    assert_eq!(teams[0].members, ["sam"]);
    assert!(teams[0].from_config);
}

#[apply(engines)]
#[tokio::test]
async fn teams_of_an_officer_are_those_she_is_a_member_of(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    t.store
        .sync_config_teams(&[streets(&["sam", "priya"]), cleanco()])
        .await
        .unwrap();
    desk_team(&t, "Parks", "sam").await;
    let names = |teams: Vec<placewatch::store::Team>| -> Vec<String> {
        teams.into_iter().map(|t| t.name).collect()
    };
    assert_eq!(
        names(t.store.teams_of("sam").await.unwrap()),
        ["Parks", "Streets team"]
    );
    assert_eq!(
        names(t.store.teams_of("priya").await.unwrap()),
        ["Streets team"]
    );
    assert!(t.store.teams_of("vic").await.unwrap().is_empty());
}

#[apply(engines)]
#[tokio::test]
async fn an_officer_is_emailed_immediately_at_no_address_until_told_otherwise(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    add_officer(&t, "sam").await;
    let contact = t.store.officer_contact("sam").await.unwrap().unwrap();
    assert_eq!(contact, OfficerContact::default());
    assert_eq!(contact.digest_at.to_string(), "08:00");

    let digest = OfficerContact {
        email: Some("sam@croydon.gov.uk".into()),
        notify: Notify::Digest,
        digest_at: DigestAt::parse("07:30").unwrap(),
    };
    t.store
        .set_officer_contact("sam", &digest, "alex")
        .await
        .unwrap();
    assert_eq!(
        t.store.officer_contact("sam").await.unwrap(),
        Some(digest.clone())
    );
    let entry = &t.store.audit(None, 1).await.unwrap()[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str()),
        ("alex", "officer.contact_changed")
    );
    assert_eq!(entry.after.as_ref().unwrap()["notify"], "digest");

    assert_eq!(t.store.officer_contact("nobody").await.unwrap(), None);
    let e = t
        .store
        .set_officer_contact("nobody", &digest, "alex")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no officer called"), "{e}");
}

/// Schema 22 gives each item referred before it the team of its latest
/// referral (referring now does so itself); other items keep theirs.
/// SQLite-only: an upgrade from an old SQLite schema.
#[tokio::test]
async fn items_referred_before_schema_22_become_their_teams() {
    use placewatch::domain::triage::Action;
    use placewatch::store::{NewReferral, Store};

    use super::{batch, matched, post};

    let t = TestStore::open().await;
    t.store
        .sync_config_teams(&[streets(&[]), cleanco()])
        .await
        .unwrap();
    let posts = (1..=3)
        .map(|n| matched(post(n, "Croydon bins"), &["Croydon"]))
        .collect();
    t.store.record_pages(&batch("m", posts)).await.unwrap();
    let ids: Vec<i64> = t.all_items().await.iter().map(|i| i.id).collect();
    let refer = |item_id, team| NewReferral {
        item_id,
        team,
        reason: "For the crews",
        officer: "sam",
        message_domain: "croydon.example",
    };
    // Referred to Streets, reopened, then referred to the contractor.
    t.store.refer(&refer(ids[0], "Streets team")).await.unwrap();
    t.store
        .transition(ids[0], Action::Reopen, "sam")
        .await
        .unwrap();
    t.store
        .refer(&refer(ids[0], "CleanCo street cleansing"))
        .await
        .unwrap();
    // Referred, then reopened: no longer referred.
    t.store.refer(&refer(ids[1], "Streets team")).await.unwrap();
    t.store
        .transition(ids[1], Action::Reopen, "sam")
        .await
        .unwrap();
    // As a store of schema 21 had them: referred items without a team.
    t.store.close().await;
    let mut raw = t.raw().await;
    sqlx::query("UPDATE items SET team_id = NULL")
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 22")
        .execute(&mut raw)
        .await
        .unwrap();
    drop(raw);

    let store = Store::open(&t.path).await.unwrap();
    let team = |id| {
        let store = store.clone();
        async move { store.item(id).await.unwrap().team }
    };
    assert_eq!(
        team(ids[0]).await.as_deref(),
        Some("CleanCo street cleansing")
    );
    assert_eq!(team(ids[1]).await, None);
    assert_eq!(team(ids[2]).await, None);
    // The team filter finds it (its search document was kept in step).
    let cleanco = store
        .teams()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "CleanCo street cleansing")
        .unwrap();
    let listed = store
        .list_items(&placewatch::store::ItemFilter {
            teams: Some(vec![cleanco.id]),
            status: Some(placewatch::domain::triage::Status::Referred),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        [ids[0]]
    );
    store.close().await;
}
