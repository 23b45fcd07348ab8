//! Bulk actions: one change (claim, assign, tag, priority, refer, dismiss)
//! to the ticked items, the page, or everything a view matches on all its
//! pages; a count to confirm above 50 items and a cap; items that cannot
//! take it skipped and named; an audit entry per item; the whole action
//! undone at once, except items someone changed since.

use reqwest::StatusCode;
use serde_json::Value;

use super::{DeskTest, Officer, flash, location};
use crate::store::{batch, matched, post};
use placewatch::domain::triage::{Priority, Status};
use placewatch::store::{AuditEntry, ItemFilter, ItemRow};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// The place of the items these tests file straight into the store (no
/// monitor reads it, so the daemon's own items never mix in).
const PLACE: &str = "Testville";

/// Files `n` items at [`PLACE`] (post ids from `first`), `pothole` in the
/// text of every other one; returns them newest post first.
async fn file_items(t: &DeskTest, first: u64, n: u64) -> Vec<ItemRow> {
    let posts = (first..first + n)
        .map(|id| {
            let text = if id % 2 == 0 {
                format!("Testville pothole number {id}")
            } else {
                format!("Testville streetlight out, report {id}")
            };
            matched(post(id, &text), &[PLACE])
        })
        .collect();
    t.store
        .record_pages(&batch("bulk-test", posts))
        .await
        .unwrap();
    items_at(t).await
}

/// Every item at [`PLACE`], newest post first.
async fn items_at(t: &DeskTest) -> Vec<ItemRow> {
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

/// The bulk bar's form, as the inbox page posts it.
async fn bulk(officer: &Officer, fields: &[(&str, &str)], ids: &[i64]) -> reqwest::Response {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.extend(ids.iter().map(|id| ("item", id.as_str())));
    officer.post("/items/bulk", &form).await
}

/// The audit entries of `action` on item `id`, newest first.
async fn entries(t: &DeskTest, id: i64, action: &str) -> Vec<AuditEntry> {
    t.store
        .audit(Some(id), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

/// The `undo=` a redirect offers.
fn undo_offer(response: &reqwest::Response) -> String {
    let to = location(response);
    let query = to.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "undo")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("an undo offer in {to}"))
}

#[apply(engines)]
#[tokio::test]
async fn each_bulk_action_changes_the_ticked_items_with_an_audit_entry_each(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on_with(
        engine,
        "[[teams]]\nname = \"Streets\"\nemails = [\"streets@croydon.example\"]\n",
    )
    .await
    else {
        return;
    };
    let items = file_items(&t, 1_000, 4).await;
    let ids: Vec<i64> = items.iter().map(|i| i.id).take(3).collect();
    let sam = t.login("sam").await;

    let r = bulk(&sam, &[("action", "claim"), ("back", "/?status=all")], &ids).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/?status=all&done="));
    assert_eq!(flash(&r), "Claimed 3 items.");
    let r = bulk(&sam, &[("action", "assign"), ("owner", "priya")], &ids).await;
    assert_eq!(flash(&r), "Assigned 3 items to Priya Tester.");
    let r = bulk(&sam, &[("action", "tag"), ("tag", "#Potholes")], &ids).await;
    assert_eq!(flash(&r), "Added the tag potholes to 3 items.");
    let r = bulk(
        &sam,
        &[("action", "priority"), ("priority", "urgent")],
        &ids,
    )
    .await;
    assert_eq!(flash(&r), "Set 3 items to urgent priority.");
    for id in &ids {
        let item = t.store.item(*id).await.unwrap();
        assert_eq!(item.status, Status::InProgress);
        assert_eq!(item.owner.as_deref(), Some("priya"));
        assert_eq!(item.tags, ["potholes"]);
        assert_eq!(item.priority, Priority::Urgent);
        // One entry per item and change, with the fields it touched.
        let claimed = entries(&t, *id, "item.claimed").await;
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].actor, "sam");
        assert_eq!(
            claimed[0].after,
            Some(serde_json::json!({"status": "in_progress", "owner": "sam"}))
        );
        assert_eq!(claimed[0].detail.as_deref(), Some("bulk action on 3 items"));
        let assigned = &entries(&t, *id, "item.assigned").await[0];
        assert_eq!(
            (assigned.before.clone(), assigned.after.clone()),
            (
                Some(serde_json::json!({"owner": "sam", "team": null})),
                Some(serde_json::json!({"owner": "priya", "team": null}))
            )
        );
        let tagged = &entries(&t, *id, "item.tag_added").await[0];
        assert_eq!(
            tagged.after,
            Some(serde_json::json!({"tags": ["potholes"]}))
        );
        let prioritised = &entries(&t, *id, "item.priority_set").await[0];
        assert_eq!(
            prioritised.before,
            Some(serde_json::json!({"priority": "normal"}))
        );
    }
    // The tag and the owner are filters at once (the derived rows follow).
    let tagged = t
        .store
        .count_matching(&ItemFilter {
            tag: Some("potholes".into()),
            owner: Some("priya".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tagged, 3);

    // Refer two (a team and a reason, each its own referral and email);
    // then dismissing all four skips the two referred, and says so.
    let r = bulk(&sam, &[("action", "refer")], &ids[..2]).await;
    assert_eq!(flash(&r), "Choose the team to refer the items to.");
    let r = bulk(
        &sam,
        &[("action", "refer"), ("team", "Streets"), ("reason", "Bins")],
        &ids[..2],
    )
    .await;
    assert_eq!(
        flash(&r),
        "Referred 2 items to Streets. References PW-000001 to PW-000002."
    );
    assert_eq!(t.store.referrals_of(ids[1]).await.unwrap().len(), 1);
    let all: Vec<i64> = items.iter().map(|i| i.id).collect();
    let r = bulk(&sam, &[("action", "dismiss")], &all).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "never an error page");
    assert_eq!(
        flash(&r),
        format!(
            "Dismissed 2 items. Skipped 2 items: 2 referred cannot be dismissed; items {} and {}.",
            ids[0], ids[1]
        )
    );
    assert_eq!(
        t.store.item(all[3]).await.unwrap().status,
        Status::Dismissed
    );
    // The script's answer says the same, with the changes to undo.
    let r = sam
        .post_json_form(
            "/items/bulk",
            &[
                ("action", "priority"),
                ("priority", "urgent"),
                ("item", &all[3].to_string()),
            ],
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["changed"], 1);
    assert!(body["undo"].as_str().unwrap().parse::<i64>().is_ok());
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn what_cannot_be_done_is_said_in_the_notice_and_changes_nothing(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let items = file_items(&t, 2_000, 2).await;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let sam = t.login("sam").await;
    let before = t.audit_count().await;
    let refusals = [
        (
            vec![("action", "assign")],
            "Choose the officer or team to assign to.",
        ),
        (
            vec![("action", "assign"), ("owner", "vic")],
            "\"vic\" is not an officer who can take items: choose one from the list.",
        ),
        (
            vec![("action", "tag"), ("tag", "two words")],
            "Not added: a tag is 1 to 40 letters, digits, '-', '_' or '.' with no spaces (such as fly-tipping).",
        ),
        (
            vec![("action", "priority"), ("priority", "whenever")],
            "Choose a priority: urgent, high, normal or low.",
        ),
        (vec![], "Choose what to do to the items."),
    ];
    for (fields, said) in refusals {
        let r = bulk(&sam, &fields, &ids).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{said}");
        assert_eq!(flash(&r), said);
    }
    let r = sam
        .post("/items/bulk", &[("action", "claim"), ("scope", "ticked")])
        .await;
    assert!(flash(&r).starts_with("Nothing is ticked"), "{}", flash(&r));
    let r = sam
        .post_json_form("/items/bulk", &[("action", "claim")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with("Nothing is ticked")
    );
    assert_eq!(t.audit_count().await, before, "nothing changed");

    // Assigning an item to the officer who has it already is no change.
    bulk(&sam, &[("action", "assign"), ("owner", "sam")], &ids[..1]).await;
    let r = bulk(&sam, &[("action", "assign"), ("owner", "sam")], &ids).await;
    assert_eq!(
        flash(&r),
        format!(
            "Assigned 1 item to Sam Tester. Skipped 1 item: 1 already assigned to Sam Tester; item {}.",
            ids[0]
        )
    );
    // A viewer may not.
    let vic = t.login("vic").await;
    let r = bulk(&vic, &[("action", "dismiss")], &ids).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_bulk_action_reaches_the_page_or_everything_the_view_matches_once_confirmed(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let items = file_items(&t, 3_000, 120).await;
    assert_eq!(items.len(), 120);
    let sam = t.login("sam").await;
    let view = format!("status=all&place={PLACE}");

    // The page: the ids the page showed (50 at most: no question).
    let page: Vec<String> = items[..50].iter().map(|i| i.id.to_string()).collect();
    let mut form = vec![
        ("action", "priority"),
        ("priority", "high"),
        ("scope", "page"),
    ];
    form.extend(page.iter().map(|id| ("page", id.as_str())));
    let r = sam.post("/items/bulk", &form).await;
    assert_eq!(flash(&r), "Set 50 items to high priority.");

    // The view: its count first (the script's question), then a question
    // page without the script; nothing changes until it is confirmed.
    let fields = [
        ("action", "assign"),
        ("owner", "priya"),
        ("scope", "view"),
        ("view", view.as_str()),
        ("back", "/"),
    ];
    let mut preview = fields.to_vec();
    preview.push(("preview", "1"));
    let r = sam.post("/items/bulk", &preview).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["count"], 120);
    assert_eq!(body["confirm"], true);
    assert_eq!(body["question"], "Assign 120 items to Priya Tester?");
    assert_eq!(body["button"], "Assign 120 items");
    let before = t.audit_count().await;
    let r = sam.post("/items/bulk", &fields).await;
    assert_eq!(r.status(), StatusCode::OK, "a page that asks");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<h1>Assign 120 items to Priya Tester?</h1>"),
        "{html}"
    );
    assert!(html.contains("name=\"confirmed\" value=\"120\""));
    assert!(html.contains(">Assign 120 items</button>"));
    assert!(html.contains("<a href=\"/\">Cancel</a>"));
    assert_eq!(t.audit_count().await, before, "nothing changed yet");
    // Confirmed for fewer than the view holds now: asked again.
    let mut low = fields.to_vec();
    low.push(("confirmed", "100"));
    let html = sam.post("/items/bulk", &low).await.text().await.unwrap();
    assert!(
        html.contains("The view holds 120 items now (100 when you asked)."),
        "{html}"
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "120"));
    let r = sam.post("/items/bulk", &confirmed).await;
    assert_eq!(flash(&r), "Assigned 120 items to Priya Tester.");
    let mine = |owner: &str| ItemFilter {
        place: Some(PLACE.into()),
        owner: Some(owner.into()),
        ..Default::default()
    };
    assert_eq!(t.store.count_matching(&mine("priya")).await.unwrap(), 120);

    // A search in the view: the 60 posts with the word, over all pages.
    let words = format!("status=all&place={PLACE}&q=pothole");
    let r = sam
        .post(
            "/items/bulk",
            &[
                ("action", "tag"),
                ("tag", "roads"),
                ("scope", "view"),
                ("view", &words),
                ("confirmed", "60"),
            ],
        )
        .await;
    assert_eq!(flash(&r), "Added the tag roads to 60 items.");
    let roads = t
        .store
        .count_matching(&ItemFilter {
            tag: Some("roads".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(roads, 60);
    let with_word = items_at(&t)
        .await
        .into_iter()
        .filter(|i| i.tags.contains(&"roads".to_owned()))
        .all(|i| i.post.text.contains("pothole"));
    assert!(with_word);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_view_beyond_the_cap_is_refused_with_a_way_forward(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, "\n[desk]\nbulk_max_items = 100\n").await else {
        return;
    };
    file_items(&t, 4_000, 120).await;
    let sam = t.login("sam").await;
    let view = format!("place={PLACE}");
    let fields = [
        ("action", "dismiss"),
        ("scope", "view"),
        ("view", view.as_str()),
        ("confirmed", "120"),
        ("back", "/"),
    ];
    let r = sam.post("/items/bulk", &fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a notice, not an error page"
    );
    assert_eq!(
        flash(&r),
        "This view holds 120 items; one bulk action changes at most 100. Narrow the view (a status, a place, a tag, an owner or a search) and try again."
    );
    let r = sam.post_json_form("/items/bulk", &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let open = t
        .store
        .count_matching(&ItemFilter {
            place: Some(PLACE.into()),
            open: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(open, 120, "nothing dismissed");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_bulk_action_is_undone_whole_and_the_audit_keeps_both(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let items = file_items(&t, 5_000, 80).await;
    let sam = t.login("sam").await;
    let view = format!("place={PLACE}");
    let r = sam
        .post(
            "/items/bulk",
            &[
                ("action", "priority"),
                ("priority", "urgent"),
                ("scope", "view"),
                ("view", &view),
                ("confirmed", "80"),
                ("back", "/"),
            ],
        )
        .await;
    assert_eq!(flash(&r), "Set 80 items to urgent priority.");
    // The notice offers the 80 changes, written as runs of entries.
    let changes = undo_offer(&r);
    assert!(changes.len() < 40, "compact: {changes}");
    let html = sam.get(&location(&r)).await.text().await.unwrap();
    assert!(html.contains(&format!("name=\"changes\" value=\"{changes}\"")));

    let r = sam
        .post("/undo", &[("changes", &changes), ("back", "/")])
        .await;
    assert_eq!(flash(&r), "Undone: 80 items back as they were.");
    for item in &items {
        assert_eq!(
            t.store.item(item.id).await.unwrap().priority,
            Priority::Normal
        );
    }
    let one = items[0].id;
    let actions: Vec<String> = t
        .store
        .audit(Some(one), 5)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions[..2], ["item.undone", "item.priority_set"]);
    let undone = &entries(&t, one, "item.undone").await[0];
    assert_eq!(
        (undone.before.clone(), undone.after.clone()),
        (
            Some(serde_json::json!({"priority": "urgent"})),
            Some(serde_json::json!({"priority": "normal"}))
        )
    );
    // The item's history says both.
    let history = sam
        .get(&format!("/items/{one}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        history.contains("sam set the priority to urgent — bulk action on 80 items"),
        "{history}"
    );
    assert!(
        history.contains("sam undid “set the priority”"),
        "{history}"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn an_undo_leaves_the_items_someone_changed_since(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let items = file_items(&t, 6_000, 3).await;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let (sam, priya) = (t.login("sam").await, t.login("priya").await);
    let r = bulk(
        &sam,
        &[("action", "tag"), ("tag", "bins"), ("back", "/")],
        &ids,
    )
    .await;
    let changes = undo_offer(&r);
    // Priya tags one item again, and raises another's priority (a field
    // Sam's change did not touch).
    priya
        .post(&format!("/items/{}/tag", ids[0]), &[("tag", "urgent-ish")])
        .await;
    priya
        .post(
            &format!("/items/{}/priority", ids[1]),
            &[("priority", "high")],
        )
        .await;
    // Only Sam may undo his change.
    let r = priya.post("/undo", &[("changes", &changes)]).await;
    assert!(
        flash(&r).starts_with("Nothing was undone: someone else made that change"),
        "{}",
        flash(&r)
    );
    let r = sam.post("/undo", &[("changes", &changes)]).await;
    assert_eq!(
        flash(&r),
        "Undone: 2 items back as they were; 1 not (the item has changed since)."
    );
    let tags = |id: i64| {
        let store = t.store.clone();
        async move { store.item(id).await.unwrap().tags }
    };
    assert_eq!(tags(ids[0]).await, ["bins", "urgent-ish"], "Priya's kept");
    assert!(tags(ids[1]).await.is_empty());
    assert_eq!(
        t.store.item(ids[1]).await.unwrap().priority,
        Priority::High,
        "the undo put back only what Sam changed"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn one_item_takes_a_priority_a_tag_and_an_assignment_each_undoable(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let id = file_items(&t, 7_000, 1).await[0].id;
    let sam = t.login("sam").await;
    let page = format!("/items/{id}");
    let html = sam.get(&page).await.text().await.unwrap();
    for form in ["priority", "tag", "assign"] {
        assert!(
            html.contains(&format!("action=\"/items/{id}/{form}\"")),
            "{form}"
        );
    }
    assert!(html.contains("<option value=\"priya\">Priya Tester (priya)</option>"));
    assert!(!html.contains("value=\"vic\""), "viewers take no items");

    let r = sam
        .post(&format!("{page}/priority"), &[("priority", "urgent")])
        .await;
    assert_eq!(flash(&r), format!("Item {id}: priority set to urgent."));
    assert!(location(&r).starts_with(&format!("{page}?done=")));
    let r = sam
        .post(&format!("{page}/priority"), &[("priority", "urgent")])
        .await;
    assert_eq!(flash(&r), format!("Item {id} is already urgent."));
    let r = sam.post(&format!("{page}/tag"), &[("tag", "Bins")]).await;
    assert_eq!(flash(&r), format!("Item {id}: tagged bins."));
    let tag_change = undo_offer(&r);
    let r = sam
        .post(&format!("{page}/assign"), &[("owner", "priya")])
        .await;
    assert_eq!(flash(&r), format!("Item {id}: assigned to Priya Tester."));
    let html = sam.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("owner-label\">assigned to priya by sam "),
        "{html}"
    );
    assert!(html.contains("sam assigned it to priya"));
    assert!(html.contains("sam added the tag bins"));
    let r = sam
        .post(&format!("{page}/tag"), &[("tag", "no good")])
        .await;
    assert!(
        flash(&r).starts_with("Not added: a tag is"),
        "{}",
        flash(&r)
    );

    let r = sam.post("/undo", &[("changes", &tag_change)]).await;
    assert_eq!(flash(&r), "Undone: 1 item back as it was.");
    let item = t.store.item(id).await.unwrap();
    assert!(item.tags.is_empty());
    assert_eq!(
        (item.priority, item.owner.as_deref()),
        (Priority::Urgent, Some("priya"))
    );
    t.stop().await;
}
