//! Replying from the desk: the composer's check, a template reply sent once,
//! a bad reply refused before anything is sent (keeping the officer's text),
//! the manual path, and approvals.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{DeskTest, flash};
use placewatch::domain::outbox::ReplyState;
use placewatch::store::ReplyFilter;

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn the_composer_check_renders_templates_and_counts_like_x(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident10", "@yourcroydon Croydon bins missed")
        .await;
    let sam = t.login("sam").await;
    let path = format!("/items/{}/reply/check", item.id);
    let r = sam
        .post_json(&path, json!({"template": "thanks", "text": ""}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let check: Value = r.json().await.unwrap();
    assert_eq!(
        check["text"],
        "Thanks @resident10, we have passed this on. Sam"
    );
    assert_eq!(check["weighted_length"], 47);
    assert_eq!(check["valid"], true);
    assert_eq!(check["priced_as"], "summoned_reply");
    assert_eq!(check["link_warning"], Value::Null);

    // The same weighted rules as the server: a URL counts 23, CJK counts 2.
    let r = sam
        .post_json(
            &path,
            json!({"text": "See https://croydon.gov.uk/a/very/long/path 日本"}),
        )
        .await;
    let check: Value = r.json().await.unwrap();
    assert_eq!(check["weighted_length"], 4 + 23 + 1 + 4);
    assert_eq!(
        check["link_warning"], "The link raises this reply's cost from $0.010 to $0.200.",
        "a link that raises the price is called out"
    );
    let r = sam.post_json(&path, json!({"text": "x".repeat(281)})).await;
    let check: Value = r.json().await.unwrap();
    assert_eq!(check["valid"], false);
    assert!(check["reason"].as_str().unwrap().contains("281"), "{check}");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_template_reply_reaches_x_exactly_once_and_is_recorded_with_its_officer(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident11", "@yourcroydon broken bench in Purley")
        .await;
    let sam = t.login("sam").await;
    let r = sam
        .post(
            &format!("/items/{}/reply", item.id),
            &[("template", "thanks"), ("text", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        flash(&r).starts_with("Reply sent: https://x.com/i/web/status/"),
        "{}",
        flash(&r)
    );
    assert_eq!(t.replies_created().await, 1);

    let replies = t
        .store
        .list_replies(&ReplyFilter {
            item_id: Some(item.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].state, ReplyState::Sent);
    assert_eq!(replies[0].officer, "sam");
    assert_eq!(replies[0].template.as_deref(), Some("thanks"));
    assert_eq!(
        replies[0].text,
        "Thanks @resident11, we have passed this on. Sam"
    );
    let item_now = t.store.item(item.id).await.unwrap();
    assert_eq!(item_now.status.as_str(), "replied");

    // The page shows the outcome with a link; a second reply is refused.
    let html = sam
        .get(&format!("/items/{}", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("the reply on X"), "link to the sent reply");
    let conversation = html.split("id=\"thread-h\"").nth(1).unwrap();
    let conversation = conversation.split("</section>").next().unwrap();
    assert!(
        conversation.contains(
            "<bdi class=\"name\">Croydon Council</bdi> <span class=\"handle\">@yourcroydon</span>"
        ) && conversation.contains("Thanks @resident11, we have passed this on. Sam"),
        "the sent reply appears in the conversation as the council: {conversation}"
    );
    let r = sam
        .post(&format!("/items/{}/reply", item.id), &[("text", "Again?")])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(t.replies_created().await, 1, "sent exactly once");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_bad_reply_is_refused_before_sending_and_the_text_is_kept(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident12", "@yourcroydon Croydon fox bins")
        .await;
    let sam = t.login("sam").await;
    let long = format!("{} <b>keep me</b>", "word ".repeat(60));
    let r = sam
        .post(&format!("/items/{}/reply", item.id), &[("text", &long)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Not sent: "), "says why");
    assert!(
        html.contains("&#60;b&#62;keep me&#60;/b&#62;"),
        "the text comes back, escaped"
    );
    let r = sam
        .post(&format!("/items/{}/reply", item.id), &[("text", "   ")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.replies_created().await, 0);
    let stats = t.sim.stats().await;
    assert!(
        stats["requests"]["POST /2/tweets 201"].is_null(),
        "nothing posted"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_post_only_a_person_can_answer_gets_an_intent_link_and_mark_replied(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident13", "Croydon high street is filthy")
        .await;
    assert_eq!(item.reply_path.as_str(), "manual");
    let sam = t.login("sam").await;
    let html = sam
        .get(&format!("/items/{}", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Prepare reply for X"));
    let r = sam
        .post(
            &format!("/items/{}/reply", item.id),
            &[("text", "Thanks, we have sent the street cleaners.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        flash(&r).contains("open the prepared reply in X"),
        "{}",
        flash(&r)
    );
    assert_eq!(t.replies_created().await, 0, "nothing sent through the API");
    let html = sam
        .get(&format!("/items/{}", item.id))
        .await
        .text()
        .await
        .unwrap();
    let intent = format!(
        "https://x.com/intent/post?in_reply_to={}&#38;text=Thanks%2C%20we",
        item.post.id
    );
    assert!(
        html.contains(&intent),
        "the intent link, escaped in the attribute"
    );
    let r = sam
        .post(&format!("/items/{}/mark-replied", item.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        t.store.item(item.id).await.unwrap().status.as_str(),
        "replied"
    );
    // The card says so, and no longer offers to open X.
    let html = sam
        .get(&format!("/items/{}", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong class=\"reply-state\">replied in X</strong>"),
        "{html}"
    );
    assert!(html.contains("Marked replied: placewatch links the reply here"));
    assert!(!html.contains("id=\"open-in-x\""), "{html}");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn replies_that_need_approval_wait_for_an_approver(#[case] engine: Engine) {
    let Some(t) =
        DeskTest::on_with(engine, "\n[desk]\nofficer_replies_need_approval = true\n").await
    else {
        return;
    };
    let first = t.arrive("resident14", "@yourcroydon Purley flooding").await;
    let second = t
        .arrive("resident15", "@yourcroydon Croydon flooding too")
        .await;
    let sam = t.login("sam").await;
    let priya = t.login("priya").await;
    for item in [&first, &second] {
        let r = sam
            .post(
                &format!("/items/{}/reply", item.id),
                &[("template", "thanks")],
            )
            .await;
        assert!(flash(&r).contains("waits for an approver"), "{}", flash(&r));
    }
    assert_eq!(t.replies_created().await, 0);
    let html = priya.get("/approvals").await.text().await.unwrap();
    assert!(html.contains("Thanks @resident14"), "{html}");
    assert!(html.contains("Thanks @resident15"));
    assert!(html.contains("Approvals <span class=\"count\">(2)</span>"));

    let waiting = t
        .store
        .replies_in_state(ReplyState::AwaitingApproval)
        .await
        .unwrap();
    let r = priya
        .post(&format!("/replies/{}/approve", waiting[0].id), &[])
        .await;
    assert!(flash(&r).contains("Reply sent"), "{}", flash(&r));
    let r = priya
        .post(
            &format!("/replies/{}/reject", waiting[1].id),
            &[("reason", "")],
        )
        .await;
    assert!(flash(&r).contains("Say why"), "a reason is required");
    let r = priya
        .post(
            &format!("/replies/{}/reject", waiting[1].id),
            &[("reason", "Wrong team: refer to highways")],
        )
        .await;
    assert!(flash(&r).contains("rejected"));
    assert_eq!(t.replies_created().await, 1);
    let rejected = t.store.reply(waiting[1].id).await.unwrap();
    assert_eq!(rejected.state, ReplyState::Cancelled);
    assert_eq!(
        rejected.error.as_deref(),
        Some("Wrong team: refer to highways")
    );
    let audit: Vec<String> = t
        .store
        .audit(Some(second.id), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {} {:?}", e.actor, e.action, e.detail))
        .collect();
    assert!(
        audit.contains(&"priya reply.rejected Some(\"Wrong team: refer to highways\")".to_owned()),
        "{audit:?}"
    );

    // Approvers themselves send without approval.
    let third = t.arrive("resident16", "@yourcroydon Purley bins").await;
    let r = priya
        .post(
            &format!("/items/{}/reply", third.id),
            &[("template", "thanks")],
        )
        .await;
    assert!(flash(&r).contains("Reply sent"), "{}", flash(&r));
    t.stop().await;
}
