//! Items assigned to officers and teams: the audit entry of each (owner and
//! team before and after), undo, a rule's team at ingest, and the team
//! filter alone, with words, with another filter and for several teams
//! ("My teams"), with its counts.

use std::time::Duration;

use placewatch::config::TeamConfig;
use placewatch::domain::triage::{Action, Assignee, Decision, ItemChange, Status};
use placewatch::store::{ItemFilter, Team};
use serde_json::json;

use super::{TestStore, batch, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

fn team(name: &str, members: &[&str]) -> TeamConfig {
    TeamConfig {
        name: name.into(),
        emails: vec!["team@croydon.example".parse().unwrap()],
        members: members.iter().map(|m| m.to_string()).collect(),
        teams_webhook_env: None,
        slack_webhook_env: None,
    }
}

/// Two teams: Streets (sam and priya) and CleanCo (an outside contractor).
async fn teams(t: &TestStore) -> (Team, Team) {
    t.store
        .sync_config_teams(&[team("Streets", &["sam", "priya"]), team("CleanCo", &[])])
        .await
        .unwrap();
    (
        t.store.team("streets").await.unwrap().unwrap(),
        t.store.team("CLEANCO").await.unwrap().unwrap(),
    )
}

fn to_team(team: &Team) -> ItemChange {
    ItemChange::Assign(Assignee::Team {
        id: team.id,
        members: team.members.clone(),
    })
}

fn to_officer(username: &str) -> ItemChange {
    ItemChange::Assign(Assignee::Officer(username.into()))
}

/// Items for posts 1..=n with these texts (cycled), in Croydon.
async fn items(t: &TestStore, texts: &[&str], n: u64) -> Vec<i64> {
    let posts = (1..=n)
        .map(|id| {
            matched(
                post(id, texts[(id as usize - 1) % texts.len()]),
                &["Croydon"],
            )
        })
        .collect();
    let mut ids = t
        .store
        .record_pages(&batch("m", posts))
        .await
        .unwrap()
        .new_items;
    ids.sort();
    ids
}

async fn listed(t: &TestStore, filter: ItemFilter) -> (Vec<i64>, u64) {
    let page = t
        .store
        .list_items(&ItemFilter {
            limit: 500,
            ..filter
        })
        .await
        .unwrap();
    let mut ids: Vec<i64> = page.items.iter().map(|i| i.id).collect();
    ids.sort();
    let counted = page.counts.iter().map(|(_, n)| n).sum();
    (ids, counted)
}

#[apply(engines)]
#[tokio::test]
async fn a_team_assignment_is_audited_keeps_only_members_and_is_undone(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (streets, cleanco) = teams(&t).await;
    let ids = items(&t, &["Bins in Croydon"], 3).await;
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    t.store
        .apply_change(&[a], &to_officer("sam"), "alex", None)
        .await
        .unwrap();
    t.store
        .apply_change(&[b], &to_officer("alex"), "alex", None)
        .await
        .unwrap();

    let applied = t
        .store
        .apply_change(&[a, b, c], &to_team(&streets), "alex", Some("bulk"))
        .await
        .unwrap();
    assert_eq!(applied.changed.len(), 3);
    let a_row = t.store.item(a).await.unwrap();
    // sam is in Streets: he keeps it; alex is not: the team decides.
    assert_eq!(
        (a_row.owner.as_deref(), a_row.team.as_deref(), a_row.team_id),
        (Some("sam"), Some("Streets"), Some(streets.id))
    );
    let b_row = t.store.item(b).await.unwrap();
    assert_eq!((b_row.owner, b_row.team_id), (None, Some(streets.id)));

    let entry = t
        .store
        .audit(Some(b), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.id == applied.changed[1].1)
        .unwrap();
    assert_eq!(entry.action, "item.assigned");
    assert_eq!(entry.actor, "alex");
    assert_eq!(entry.before, Some(json!({"owner": "alex", "team": null})));
    assert_eq!(
        entry.after,
        Some(json!({"owner": null, "team": streets.id}))
    );

    // Again: already so, skipped, nothing written.
    let again = t
        .store
        .apply_change(&[a], &to_team(&streets), "alex", None)
        .await
        .unwrap();
    assert_eq!((again.changed.len(), again.skipped.len()), (0, 1));

    // A claim keeps the team.
    t.store.transition(c, Action::Claim, "priya").await.unwrap();
    let c_row = t.store.item(c).await.unwrap();
    assert_eq!(
        (c_row.owner.as_deref(), c_row.team_id, c_row.status),
        (Some("priya"), Some(streets.id), Status::InProgress)
    );

    // Undo of the team assignment: b back to alex and no team; a to sam,
    // no team; c was claimed since, so it is left (with why).
    let undone = t
        .store
        .undo(&applied.entries(), "alex", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(undone.items, [a, b]);
    assert_eq!(undone.refused.len(), 1, "{:?}", undone.refused);
    let b_row = t.store.item(b).await.unwrap();
    assert_eq!(
        (b_row.owner.as_deref(), b_row.team_id),
        (Some("alex"), None)
    );
    let a_row = t.store.item(a).await.unwrap();
    assert_eq!((a_row.owner.as_deref(), a_row.team), (Some("sam"), None));

    // Nobody clears both; the contractor has no members, so no owner stays.
    t.store
        .apply_change(&[c], &to_team(&cleanco), "alex", None)
        .await
        .unwrap();
    let c_row = t.store.item(c).await.unwrap();
    assert_eq!((c_row.owner, c_row.team_id), (None, Some(cleanco.id)));
    t.store
        .apply_change(&[a, c], &ItemChange::Assign(Assignee::Nobody), "alex", None)
        .await
        .unwrap();
    for id in [a, c] {
        let row = t.store.item(id).await.unwrap();
        assert_eq!((row.owner, row.team_id), (None, None));
    }
}

#[apply(engines)]
#[tokio::test]
async fn the_team_filter_combines_with_words_other_filters_and_several_teams(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (streets, cleanco) = teams(&t).await;
    let texts = [
        "Bins not collected on Cherry Orchard Road",
        "Potholes on Brighton Road",
        "Fly-tipping behind the bins at the tram stop",
    ];
    let ids = items(&t, &texts, 12).await;
    // Streets: items 0..6; CleanCo: 6..9; none: 9..12. Item 1 also sam's.
    t.store
        .apply_change(&ids[..6], &to_team(&streets), "alex", None)
        .await
        .unwrap();
    t.store
        .apply_change(&ids[6..9], &to_team(&cleanco), "alex", None)
        .await
        .unwrap();
    t.store
        .apply_change(&ids[1..2], &to_officer("sam"), "alex", None)
        .await
        .unwrap();
    // A rule's team at ingest (the store writes the rows, not the trigger).
    let mut by_rule = matched(post(40, "Overflowing bins by the library"), &["Croydon"]);
    by_rule.decision = Decision {
        team: Some("Streets".into()),
        matched_rules: vec!["bins".into()],
        ..Decision::default()
    };
    let ruled = t
        .store
        .record_pages(&batch("m", vec![by_rule]))
        .await
        .unwrap()
        .new_items[0];
    assert_eq!(t.store.item(ruled).await.unwrap().team_id, Some(streets.id));

    let streets_f = ItemFilter {
        teams: Some(vec![streets.id]),
        ..ItemFilter::default()
    };
    let mut streets_ids: Vec<i64> = ids[..6].to_vec();
    streets_ids.push(ruled);
    streets_ids.sort();
    assert_eq!(
        listed(&t, streets_f.clone()).await,
        (streets_ids.clone(), 7)
    );

    // With words: one full-text query of the words and the team's marker.
    let bins = |teams: Vec<i64>| ItemFilter {
        teams: Some(teams),
        text: Some("bins".into()),
        ..ItemFilter::default()
    };
    // Texts 0 and 2 of each three say "bins"; and the rule's item.
    let mut want = vec![ids[0], ids[2], ids[3], ids[5], ruled];
    want.sort();
    assert_eq!(listed(&t, bins(vec![streets.id])).await, (want.clone(), 5));
    assert_eq!(
        listed(&t, bins(vec![cleanco.id])).await,
        (vec![ids[6], ids[8]], 2)
    );
    // Several teams ("My teams"), with words and without.
    let mut both = want.clone();
    both.extend([ids[6], ids[8]]);
    both.sort();
    assert_eq!(
        listed(&t, bins(vec![streets.id, cleanco.id])).await,
        (both, 7)
    );
    let (all_teams, n) = listed(
        &t,
        ItemFilter {
            teams: Some(vec![cleanco.id, streets.id]),
            ..ItemFilter::default()
        },
    )
    .await;
    assert_eq!((all_teams.len(), n), (10, 10));
    // No team at all: nothing, not everything.
    assert_eq!(listed(&t, bins(vec![])).await, (vec![], 0));
    // With another filter (the owner), and within a status.
    let sams = ItemFilter {
        owner: Some("sam".into()),
        ..streets_f.clone()
    };
    assert_eq!(listed(&t, sams).await, (vec![ids[1]], 1));
    let new_only = ItemFilter {
        status: Some(Status::New),
        ..streets_f.clone()
    };
    assert_eq!(listed(&t, new_only).await.0.len(), 7);

    // Counts and markers follow changes: item 0 leaves Streets.
    t.store
        .apply_change(&ids[..1], &to_team(&cleanco), "alex", None)
        .await
        .unwrap();
    assert_eq!(listed(&t, streets_f.clone()).await.1, 6);
    assert_eq!(listed(&t, bins(vec![streets.id])).await.1, 4);
    assert_eq!(listed(&t, bins(vec![cleanco.id])).await.1, 3);
    t.store
        .apply_change(&ids, &ItemChange::Assign(Assignee::Nobody), "alex", None)
        .await
        .unwrap();
    assert_eq!(listed(&t, streets_f).await, (vec![ruled], 1));
}
