//! Assigning items to officers and teams from the desk: the picker on the
//! item and in the bulk bar, one item and many, what the list and the item
//! show, the "My teams" view and the `team=` filter (kept in saved views),
//! and refusals (an unknown team, a viewer).

use reqwest::StatusCode;

use super::{DeskTest, flash};
use crate::store::{batch, matched, post};
use placewatch::store::{ItemFilter, ItemRow};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// The place of these tests' items (no monitor reads it).
const PLACE: &str = "Assignville";

/// Streets has sam and priya; CleanCo is a contractor with no members.
const TEAMS: &str = r#"
[[teams]]
name = "Streets"
emails = ["streets@croydon.example"]
members = ["sam", "priya"]

[[teams]]
name = "CleanCo"
emails = ["reports@cleanco.example"]
members = []
"#;

async fn file_items(t: &DeskTest, first: u64, n: u64) -> Vec<ItemRow> {
    let posts = (first..first + n)
        .map(|id| {
            matched(
                post(id, &format!("Assignville bins, report {id}")),
                &[PLACE],
            )
        })
        .collect();
    t.store
        .record_pages(&batch("assign-test", posts))
        .await
        .unwrap();
    t.store
        .list_items(&ItemFilter {
            place: Some(PLACE.into()),
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

async fn team_id(t: &DeskTest, name: &str) -> i64 {
    t.store.team(name).await.unwrap().unwrap().id
}

#[apply(engines)]
#[tokio::test]
async fn one_item_goes_to_a_team_then_an_officer_and_the_list_shows_both(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let id = file_items(&t, 8_000, 1).await[0].id;
    let streets = team_id(&t, "Streets").await;
    let alex = t.login("alex").await;
    let page = format!("/items/{id}");

    // The picker: officers, then teams labelled as teams, then nobody.
    let html = alex.get(&page).await.text().await.unwrap();
    assert!(html.contains("<select id=\"item-owner\" name=\"owner\" required data-picker>"));
    assert!(
        html.contains("<optgroup label=\"Officers\"><option value=\"alex\">"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<optgroup label=\"Teams\"><option value=\"team:{}\">CleanCo (team)</option>\
             <option value=\"team:{streets}\">Streets (team)</option></optgroup>",
            team_id(&t, "CleanCo").await
        )),
        "{html}"
    );
    assert!(html.contains("<option value=\":nobody\">Nobody (no officer, no team)</option>"));

    let team_value = format!("team:{streets}");
    let r = alex
        .post(&format!("{page}/assign"), &[("owner", &team_value)])
        .await;
    assert_eq!(flash(&r), format!("Item {id}: assigned to Streets (team)."));
    let item = t.store.item(id).await.unwrap();
    assert_eq!((item.owner, item.team_id), (None, Some(streets)));
    let html = alex.get(&page).await.text().await.unwrap();
    assert!(html.contains("team-label\">Streets</dd>"), "{html}");
    assert!(
        html.contains("alex assigned it to Streets (team)"),
        "{html}"
    );

    // An officer within the team (alex is not a member; the team stays).
    let r = alex
        .post(&format!("{page}/assign"), &[("owner", "priya")])
        .await;
    assert_eq!(flash(&r), format!("Item {id}: assigned to Priya Tester."));
    let list = alex
        .get(&format!("/?place={PLACE}&status=all"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("<span class=\"owner\">assigned to priya, Streets</span>"),
        "{list}"
    );

    // The script's answer carries the row's label.
    let r = alex
        .post_json_form(&format!("{page}/assign"), &[("owner", ":nobody")])
        .await;
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["owner_label"], serde_json::Value::Null);
    assert_eq!(answer["team"], serde_json::Value::Null);
    let item = t.store.item(id).await.unwrap();
    assert_eq!((item.owner, item.team_id), (None, None));
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn bulk_assignment_to_a_team_and_an_unknown_team_is_refused(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let items = file_items(&t, 8_100, 4).await;
    let ids: Vec<String> = items.iter().map(|i| i.id.to_string()).collect();
    let cleanco = team_id(&t, "CleanCo").await;
    let sam = t.login("sam").await;
    let with_items = |fields: &[(&'static str, String)]| {
        let mut form: Vec<(&str, String)> = fields.to_vec();
        form.extend(ids.iter().map(|id| ("item", id.clone())));
        form
    };
    let post = async |fields: Vec<(&str, String)>| {
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sam.post("/items/bulk", &form).await
    };

    let html = sam.get("/").await.text().await.unwrap();
    assert!(html.contains("<label for=\"bulk-owner\">Officer or team</label>"));
    assert!(html.contains(&format!(
        "<option value=\"team:{cleanco}\">CleanCo (team)</option>"
    )));

    let before = t.audit_count().await;
    for bad in ["team:999999", "team:x"] {
        let r = post(with_items(&[
            ("action", "assign".into()),
            ("owner", bad.into()),
        ]))
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            flash(&r),
            "That team does not exist (any more): choose one from the list."
        );
    }
    assert_eq!(t.audit_count().await, before, "refused: nothing changed");

    let r = post(with_items(&[
        ("action", "assign".into()),
        ("owner", format!("team:{cleanco}")),
    ]))
    .await;
    assert_eq!(flash(&r), "Assigned 4 items to CleanCo (team).");
    for item in &items {
        let row = t.store.item(item.id).await.unwrap();
        assert_eq!(row.team.as_deref(), Some("CleanCo"));
    }
    assert_eq!(t.audit_count().await, before + 4, "one entry per item");

    // Then an officer for two of them: the team stays.
    let two: Vec<(&str, String)> = vec![
        ("action", "assign".into()),
        ("owner", "sam".into()),
        ("item", ids[0].clone()),
        ("item", ids[1].clone()),
    ];
    let r = post(two).await;
    assert_eq!(flash(&r), "Assigned 2 items to Sam Tester.");
    let row = t.store.item(items[0].id).await.unwrap();
    assert_eq!(
        (row.owner.as_deref(), row.team.as_deref()),
        (Some("sam"), Some("CleanCo"))
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn my_teams_lists_the_items_of_my_teams_and_the_team_filter_is_kept_in_views(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let items = file_items(&t, 8_200, 3).await;
    let (streets, cleanco) = (team_id(&t, "Streets").await, team_id(&t, "CleanCo").await);
    let alex = t.login("alex").await;
    let assign = async |id: i64, to: String| {
        let r = alex
            .post(&format!("/items/{id}/assign"), &[("owner", &to)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    };
    assign(items[0].id, format!("team:{streets}")).await;
    assign(items[1].id, format!("team:{cleanco}")).await;

    let shown = |html: &str, item: &ItemRow| html.contains(&format!("data-id=\"{}\"", item.id));
    // sam is in Streets: "My teams" beside "Mine" lists its item only.
    let sam = t.login("sam").await;
    let html = sam.get("/").await.text().await.unwrap();
    assert!(html.contains("href=\"/?team=mine\""), "{html}");
    let html = sam.get("/?team=mine").await.text().await.unwrap();
    assert!(shown(&html, &items[0]) && !shown(&html, &items[1]) && !shown(&html, &items[2]));
    assert!(
        html.contains("<a href=\"/?team=mine\" aria-current=\"page\">My teams</a>"),
        "the view is marked: {html}"
    );
    // alex is in no team: nothing, not everything.
    let html = alex.get("/?team=mine").await.text().await.unwrap();
    assert!(!items.iter().any(|i| shown(&html, i)));

    // The team filter, by name (any case), with the search.
    let html = alex
        .get("/?team=cleanco&q=bins")
        .await
        .text()
        .await
        .unwrap();
    assert!(shown(&html, &items[1]) && !shown(&html, &items[0]));
    assert!(
        html.contains("<option value=\"CleanCo\" selected>CleanCo</option>"),
        "{html}"
    );
    let r = alex.get("/?team=Parks").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Saved with the view, and what it lists.
    let r = alex
        .post(
            "/views",
            &[
                ("name", "Contractor bins"),
                ("query", "team=CleanCo&q=bins"),
            ],
        )
        .await;
    assert_eq!(flash(&r), "View \"Contractor bins\" saved.");
    let views = t.store.saved_views("alex").await.unwrap();
    assert_eq!(views[0].query, "team=CleanCo&q=bins");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_viewer_cannot_assign_and_sees_no_picker(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let id = file_items(&t, 8_300, 1).await[0].id;
    let streets = team_id(&t, "Streets").await;
    let vic = t.login("vic").await;
    let html = vic.get(&format!("/items/{id}")).await.text().await.unwrap();
    assert!(!html.contains("data-picker"));
    let r = vic
        .post(
            &format!("/items/{id}/assign"),
            &[("owner", &format!("team:{streets}"))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.store.item(id).await.unwrap().team_id, None);
    t.stop().await;
}

/// An assignment tells whom it concerns: the officer it goes to, the
/// members of the team it goes to (not the one who made it), and the
/// team's channel (a Slack webhook here: queued in the same transaction).
#[apply(engines)]
#[tokio::test]
async fn an_assignment_tells_the_officer_the_team_and_its_channel(#[case] engine: Engine) {
    let teams = TEAMS.replace(
        "members = [\"sam\", \"priya\"]",
        "members = [\"sam\", \"priya\"]\nslack_webhook_env = \"STREETS_SLACK\"",
    );
    let Some(t) = DeskTest::on_with(engine, &teams).await else {
        return;
    };
    let id = file_items(&t, 9_000, 1).await[0].id;
    let streets = team_id(&t, "Streets").await;
    let (sam, priya) = (t.login("sam").await, t.login("priya").await);
    let unread = |o: &'static str| {
        let store = t.store.clone();
        async move { store.unread_count(o).await.unwrap() }
    };

    // sam gives it to the Streets team: priya hears, sam (who did it) does not.
    let team_value = format!("team:{streets}");
    sam.post(&format!("/items/{id}/assign"), &[("owner", &team_value)])
        .await;
    assert_eq!((unread("sam").await, unread("priya").await), (0, 1));
    let list = priya.get("/notifications").await.text().await.unwrap();
    assert!(
        list.contains(&format!("assigned item {id} to Streets, a team you are in")),
        "{list}"
    );
    let messages = t.store.channel_messages(10).await.unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        (messages[0].team.as_str(), messages[0].about.as_str()),
        ("Streets", "assignment")
    );
    assert!(
        messages[0]
            .payload
            .to_string()
            .contains(&format!("/items/{id}")),
        "the message links to the item: {}",
        messages[0].payload
    );

    // priya passes it to sam: sam hears; the team (unchanged) is not told again.
    priya
        .post(&format!("/items/{id}/assign"), &[("owner", "sam")])
        .await;
    assert_eq!(unread("sam").await, 1);
    assert_eq!(t.store.channel_messages(10).await.unwrap().len(), 1);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_bulk_assignment_tells_each_person_and_channel_once(#[case] engine: Engine) {
    let teams = TEAMS.replace(
        "members = [\"sam\", \"priya\"]",
        "members = [\"sam\", \"priya\"]\nslack_webhook_env = \"STREETS_SLACK\"",
    );
    let Some(t) = DeskTest::on_with(engine, &teams).await else {
        return;
    };
    let items = file_items(&t, 9_500, 5).await;
    let streets = team_id(&t, "Streets").await;
    let (sam, priya) = (t.login("sam").await, t.login("priya").await);
    let bulk = async |owner: String, items: &[ItemRow]| {
        let mut form = vec![("action", "assign".to_owned()), ("owner", owner)];
        form.extend(items.iter().map(|i| ("item", i.id.to_string())));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sam.post("/items/bulk", &form).await
    };

    // Five items to the team: priya is told once, the channel once.
    bulk(format!("team:{streets}"), &items).await;
    let told = t.store.notifications("priya", 10).await.unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0].summary,
        "Sam Tester assigned 5 items to Streets, a team you are in."
    );
    assert_eq!(told[0].item_id, None);
    let opened = priya.get(&format!("/notifications/{}", told[0].id)).await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()["location"], "/?team=Streets");
    let messages = t.store.channel_messages(10).await.unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let text = messages[0].payload["text"].as_str().unwrap();
    assert!(
        text.starts_with("5 items assigned to Streets by sam"),
        "{text}"
    );

    // Three of them to priya: one notice leading to her items.
    bulk("priya".to_owned(), &items[..3]).await;
    let told = t.store.notifications("priya", 10).await.unwrap();
    assert_eq!(told.len(), 2);
    assert_eq!(told[0].summary, "Sam Tester assigned 3 items to you.");
    let opened = priya.get(&format!("/notifications/{}", told[0].id)).await;
    assert_eq!(opened.headers()["location"], "/?owner=me");
    assert_eq!(
        t.store.channel_messages(10).await.unwrap().len(),
        1,
        "the team did not change: its channel is not told again"
    );
    t.stop().await;
}
