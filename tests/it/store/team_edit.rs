//! Teams as administrators change them in the desk: added and changed with
//! an audit entry for each change, names unique ignoring case, members only
//! officers, and the config's teams refused.

use placewatch::config::TeamConfig;
use placewatch::domain::officer::Role;
use placewatch::domain::team::{TeamEdit, TeamForm};
use placewatch::store::{AuditEntry, NewOfficer, TeamChangeError};
use serde_json::json;
use std::process::{Command, Output};

use super::TestStore;

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

async fn add_officer(t: &TestStore, username: &str) {
    let new = NewOfficer {
        username,
        display_name: "Test Officer",
        role: Role::Officer,
        password_hash: "$argon2id$not-a-real-hash",
    };
    t.store.add_officer(&new, "test").await.unwrap();
}

fn edit(name: &str, emails: &str, members: &[&str]) -> TeamEdit {
    let form = TeamForm {
        name: name.into(),
        emails: emails.into(),
        members: members.iter().map(|m| m.to_string()).collect(),
        ..TeamForm::default()
    };
    TeamEdit::parse(&form, &[]).unwrap()
}

async fn team_entries(t: &TestStore) -> Vec<AuditEntry> {
    let mut entries = t.store.audit(None, 1000).await.unwrap();
    entries.retain(|e| e.action.starts_with("team."));
    entries.reverse();
    entries
}

#[apply(engines)]
#[tokio::test]
async fn an_admin_adds_a_team_audited_with_what_it_is(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    add_officer(&t, "sam").await;
    let parks = t
        .store
        .add_team(&edit("Parks", "parks@croydon.gov.uk", &["sam"]), "alex")
        .await
        .unwrap();
    assert_eq!(parks.name, "Parks");
    assert_eq!(parks.emails, ["parks@croydon.gov.uk"]);
    assert_eq!(parks.members, ["sam"]);
    assert!(!parks.from_config);
    assert_eq!(t.store.team("parks").await.unwrap().unwrap(), parks);
    assert_eq!(
        t.store.teams_of("sam").await.unwrap(),
        std::slice::from_ref(&parks)
    );

    let entries = team_entries(&t).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor, "alex");
    assert_eq!(entries[0].action, "team.added");
    assert_eq!(entries[0].before, None);
    let after = entries[0].after.as_ref().unwrap();
    assert_eq!(after["name"], "Parks");
    assert_eq!(after["members"], json!(["sam"]));
    assert_eq!(after["emails"], json!(["parks@croydon.gov.uk"]));
}

#[apply(engines)]
#[tokio::test]
async fn names_are_unique_ignoring_case_and_members_must_be_officers(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    t.store
        .add_team(&edit("Ëast parks", "parks@croydon.gov.uk", &[]), "alex")
        .await
        .unwrap();
    let e = t
        .store
        .add_team(&edit("ëAST PARKS", "other@croydon.gov.uk", &[]), "alex")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, TeamChangeError::NameTaken { other } if other == "Ëast parks"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "there is already a team called \"Ëast parks\" (names are compared ignoring case)"
    );
    let e = t
        .store
        .add_team(
            &edit("Libraries", "lib@croydon.gov.uk", &["nobody"]),
            "alex",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, TeamChangeError::UnknownMembers(m) if m == &["nobody"]),
        "{e:?}"
    );
    assert_eq!(
        t.store.teams().await.unwrap().len(),
        1,
        "nothing half-added"
    );
    assert_eq!(team_entries(&t).await.len(), 1, "refusals are not audited");
}

#[apply(engines)]
#[tokio::test]
async fn each_change_to_a_team_is_audited_with_before_and_after(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    add_officer(&t, "sam").await;
    add_officer(&t, "priya").await;
    let parks = t
        .store
        .add_team(&edit("Parks", "parks@croydon.gov.uk", &["sam"]), "alex")
        .await
        .unwrap();
    let mut changed = edit(
        "Parks and open spaces",
        "parks@croydon.gov.uk\nops@parks.example",
        &["priya"],
    );
    changed.slack_webhook_env = Some("PARKS_SLACK".into());
    let after = t
        .store
        .update_team(parks.id, &changed, "alex")
        .await
        .unwrap();
    assert_eq!(after.name, "Parks and open spaces");
    assert_eq!(after.emails, ["parks@croydon.gov.uk", "ops@parks.example"]);
    assert_eq!(after.members, ["priya"]);
    assert_eq!(after.slack_webhook_env.as_deref(), Some("PARKS_SLACK"));

    let entries = team_entries(&t).await;
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "team.added",
            "team.renamed",
            "team.emails_changed",
            "team.members_changed",
            "team.webhooks_changed"
        ]
    );
    let renamed = &entries[1];
    assert_eq!(renamed.actor, "alex");
    assert_eq!(renamed.before.as_ref().unwrap()["name"], "Parks");
    assert_eq!(
        renamed.after.as_ref().unwrap()["name"],
        "Parks and open spaces"
    );
    assert_eq!(
        entries[3].before.as_ref().unwrap()["members"],
        json!(["sam"])
    );
    assert_eq!(
        entries[3].after.as_ref().unwrap()["members"],
        json!(["priya"])
    );

    // The same edit again changes nothing and writes nothing.
    t.store
        .update_team(parks.id, &changed, "alex")
        .await
        .unwrap();
    assert_eq!(team_entries(&t).await.len(), 5);
    // Renaming to another spelling of its own name is fine.
    let recased = edit(
        "PARKS AND OPEN SPACES",
        "parks@croydon.gov.uk\nops@parks.example",
        &["priya"],
    );
    let mut recased = recased;
    recased.slack_webhook_env = Some("PARKS_SLACK".into());
    let after = t
        .store
        .update_team(parks.id, &recased, "alex")
        .await
        .unwrap();
    assert_eq!(after.name, "PARKS AND OPEN SPACES");
}

#[apply(engines)]
#[tokio::test]
async fn the_configs_teams_are_not_changed_in_the_desk(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let streets = TeamConfig {
        name: "Streets team".into(),
        emails: vec!["streets@croydon.gov.uk".parse().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: None,
    };
    t.store.sync_config_teams(&[streets]).await.unwrap();
    let team = t.store.team("Streets team").await.unwrap().unwrap();
    let e = t
        .store
        .update_team(
            team.id,
            &edit("Streets", "streets@croydon.gov.uk", &[]),
            "alex",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, TeamChangeError::FromConfig { name } if name == "Streets team"),
        "{e:?}"
    );
    assert_eq!(t.store.team_by_id(team.id).await.unwrap().unwrap(), team);
    // Nor may a desk team take its name.
    let e = t
        .store
        .add_team(&edit("STREETS TEAM", "x@croydon.gov.uk", &[]), "alex")
        .await
        .unwrap_err();
    assert!(matches!(e, TeamChangeError::NameTaken { .. }), "{e:?}");
    let e = t
        .store
        .update_team(9999, &edit("Parks", "x@croydon.gov.uk", &[]), "alex")
        .await
        .unwrap_err();
    assert!(matches!(e, TeamChangeError::NotFound(9999)), "{e:?}");
}

fn teams_cli(config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .arg("teams")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .env("USER", "ops")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[apply(engines)]
#[tokio::test]
async fn the_cli_lists_what_the_store_has_and_changes_desk_teams(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    add_officer(&t, "sam").await;
    let dir = t.dir();
    let config = dir.join("placewatch.toml");
    std::fs::write(
        &config,
        format!(
            "[council]\nname = \"Croydon Council\"\nhandle = \"yourcroydon\"\n\n\
             [monitor]\nplaces = [\"Croydon\"]\n\n[data]\ndir = \"{}\"\n\n\
             [[teams]]\nname = \"Streets team\"\nemails = [\"streets@croydon.gov.uk\"]\n",
            dir.display()
        ) + &t.store_section(),
    )
    .unwrap();

    // Listing changes nothing: the config's team is loaded at start-up.
    let out = teams_cli(&config, &["list"]);
    assert_eq!(ok(&out), "no teams (add [[teams]] to the config)\n");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("\"Streets team\" is in the config but not in the store yet"),
        "{out:?}"
    );
    assert!(t.store.teams().await.unwrap().is_empty());

    let out = teams_cli(
        &config,
        &[
            "add",
            "Parks",
            "--email",
            "parks@croydon.gov.uk",
            "--member",
            "sam",
        ],
    );
    assert!(ok(&out).starts_with("Parks (from the desk)\n  members: sam\n"));
    ok(&teams_cli(
        &config,
        &["rename", "PARKS", "Parks and open spaces"],
    ));
    ok(&teams_cli(&config, &["members", "parks and open spaces"]));
    ok(&teams_cli(
        &config,
        &[
            "emails",
            "Parks and open spaces",
            "a@croydon.gov.uk",
            "b@croydon.gov.uk",
        ],
    ));
    let parks = t
        .store
        .team("Parks and open spaces")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parks.members, Vec::<String>::new());
    assert_eq!(parks.emails, ["a@croydon.gov.uk", "b@croydon.gov.uk"]);
    let entries = team_entries(&t).await;
    assert!(entries.iter().all(|e| e.actor == "ops"), "{entries:?}");
    assert_eq!(entries.len(), 4);

    let out = teams_cli(
        &config,
        &["emails", "Parks and open spaces", "Parks <p@x.example>"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not saved: line 1: write the address alone"),
        "{out:?}"
    );
    // A config team, once loaded, is changed in the file.
    let streets = TeamConfig {
        name: "Streets team".into(),
        emails: vec!["streets@croydon.gov.uk".parse().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: None,
    };
    t.store.sync_config_teams(&[streets]).await.unwrap();
    let out = teams_cli(&config, &["rename", "Streets team", "Streets"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is defined in the config file's [[teams]]"),
        "{out:?}"
    );
}
