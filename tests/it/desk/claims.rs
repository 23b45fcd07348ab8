//! A claim means something: a rule's assignment reads as one, a claim over
//! it takes the item over, a refused claim says whose the item is, and a
//! reply over a colleague's claim is asked for and audited.

use reqwest::StatusCode;

use super::{DeskTest, flash};
use placewatch::store::ReplyFilter;

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

const RULE: &str = "\n[[rules]]\nname = \"bins\"\nwhen = { words = [\"bins\"] }\nthen = { owner = \"streets-team\" }\n";

#[apply(engines)]
#[tokio::test]
async fn claims_are_owned_and_a_reply_over_one_asks_first(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, RULE).await else {
        return;
    };
    let item = t
        .arrive("resident50", "@yourcroydon Croydon bins not emptied again")
        .await;
    assert_eq!(item.owner.as_deref(), Some("streets-team"));
    let page = format!("/items/{}", item.id);
    let (sam, priya) = (t.login("sam").await, t.login("priya").await);

    // A rule's assignment is not a claim.
    let html = sam.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("<dd class=\"owner-label\">assigned to streets-team by rule bins</dd>"),
        "{html}"
    );
    let list = sam.get("/?status=new").await.text().await.unwrap();
    assert!(list.contains("<span class=\"owner\">assigned to streets-team by rule bins</span>"));

    // Claiming it takes it over from the team.
    let r = sam.post(&format!("{page}/claim"), &[]).await;
    assert_eq!(
        flash(&r),
        format!(
            "Item {}: you took it over from streets-team (now in progress).",
            item.id
        )
    );
    let html = sam.get(&page).await.text().await.unwrap();
    assert!(html.contains("owner-label\">claimed by sam "), "{html}");
    assert!(
        html.contains("sam took it over from streets-team"),
        "{html}"
    );

    // Another officer's claim is refused with whose the item is, in the page.
    let r = priya
        .post(
            &format!("{page}/claim"),
            &[("back", "/?status=in_progress")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let said = flash(&r);
    assert!(
        said.starts_with(&format!(
            "Item {} is not yours to claim: sam claimed it ",
            item.id
        )) && said.ends_with("Ask sam to release it."),
        "{said}"
    );
    let r = priya
        .post_json(&format!("{page}/claim"), serde_json::json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Priya's composer says whose it is; a reply without her say-so is refused.
    let html = priya.get(&page).await.text().await.unwrap();
    assert!(html.contains("<strong>sam claimed this item "), "{html}");
    assert!(html.contains("Reply over sam&#39;s claim") || html.contains("Reply over sam's claim"));
    let text = "Thanks, the streets team are on it. Priya";
    let r = priya
        .post(&format!("{page}/reply"), &[("text", text)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Not sent: sam has claimed item"), "{html}");
    assert!(html.contains(text), "her words are kept");
    let replies = |t: &DeskTest| {
        let store = t.store.clone();
        let id = item.id;
        async move {
            store
                .list_replies(&ReplyFilter {
                    item_id: Some(id),
                    ..Default::default()
                })
                .await
                .unwrap()
        }
    };
    assert!(replies(&t).await.is_empty(), "nothing recorded or sent");
    assert_eq!(t.replies_created().await, 0);

    // With it, the reply goes, and the history says it went over the claim.
    let r = priya
        .post(
            &format!("{page}/reply"),
            &[("text", text), ("over_claim", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(flash(&r).starts_with("Reply sent: "), "{}", flash(&r));
    assert_eq!(replies(&t).await.len(), 1);
    assert_eq!(t.replies_created().await, 1);
    let audit = t.store.audit(Some(item.id), 50).await.unwrap();
    let over = audit
        .iter()
        .find(|e| e.action == "reply.over_claim")
        .expect("the override is audited");
    assert_eq!(over.actor, "priya");
    assert_eq!(over.detail.as_deref(), Some("replied over sam's claim"));
    let html = priya.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("priya replied over another officer&#39;s claim")
            || html.contains("priya replied over another officer's claim"),
        "{html}"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_change_can_be_undone_by_its_officer_soon_after_and_both_are_audited(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let one = t.arrive("resident60", "Croydon lights out").await;
    let two = t.arrive("resident61", "Croydon lights still out").await;
    let (sam, priya) = (t.login("sam").await, t.login("priya").await);

    // A form's answer offers Undo for the change it made.
    let r = sam
        .post(&format!("/items/{}/dismiss", one.id), &[("back", "/")])
        .await;
    let to = super::location(&r);
    let change = to.split("undo=").nth(1).expect("an undo offer").to_owned();
    let html = sam.get(&to).await.text().await.unwrap();
    assert!(html.contains("action=\"/undo\""), "{html}");
    assert!(html.contains(&format!("name=\"changes\" value=\"{change}\"")));

    // Only by the officer who made it.
    let r = priya.post("/undo", &[("changes", &change)]).await;
    assert!(
        flash(&r).contains("someone else made that change"),
        "{}",
        flash(&r)
    );
    let r = sam
        .post("/undo", &[("changes", &change), ("back", "/")])
        .await;
    assert_eq!(flash(&r), "Undone: 1 item back as it was.");
    let item = t.store.item(one.id).await.unwrap();
    assert_eq!((item.status.as_str(), item.owner), ("new", None));
    let r = sam.post("/undo", &[("changes", &change)]).await;
    assert!(
        flash(&r).contains("the item has changed since"),
        "once only"
    );
    let actions: Vec<String> = t
        .store
        .audit(Some(one.id), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions[..2], ["item.undone", "item.dismissed"], "both kept");

    // A bulk change is undone whole.
    let ids = [one.id.to_string(), two.id.to_string()];
    let r = sam
        .post_json_form("/items/dismiss", &[("item", &ids[0]), ("item", &ids[1])])
        .await;
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["changed"], 2);
    // The two changes, written as a run of audit entries ("41-42").
    let changes = body["undo"].as_str().unwrap();
    assert!(changes.contains('-'), "{changes}");
    let r = sam.post("/undo", &[("changes", changes)]).await;
    assert_eq!(flash(&r), "Undone: 2 items back as they were.");
    for id in [one.id, two.id] {
        assert_eq!(t.store.item(id).await.unwrap().status.as_str(), "new");
    }
    t.stop().await;
}

/// An item a colleague assigns is "assigned to", in its row and on its page,
/// even while in progress; claimed again after a release, it is a claim.
#[apply(engines)]
#[tokio::test]
async fn an_assigned_item_reads_assigned_not_claimed(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident51", "@yourcroydon streetlight out on Purley Way")
        .await;
    let page = format!("/items/{}", item.id);
    let (sam, priya) = (t.login("sam").await, t.login("priya").await);
    sam.post(&format!("{page}/claim"), &[]).await;
    sam.post(&format!("{page}/assign"), &[("owner", "priya")])
        .await;
    let list = sam.get("/?status=in_progress").await.text().await.unwrap();
    assert!(
        list.contains("<span class=\"owner\">assigned to priya</span>"),
        "{list}"
    );
    let html = sam.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("owner-label\">assigned to priya by sam "),
        "{html}"
    );

    // Released and claimed again, it is a claim once more.
    priya.post(&format!("{page}/release"), &[]).await;
    priya.post(&format!("{page}/claim"), &[]).await;
    let list = sam.get("/?status=in_progress").await.text().await.unwrap();
    assert!(
        list.contains("<span class=\"owner\">claimed by priya</span>"),
        "{list}"
    );
    t.stop().await;
}
