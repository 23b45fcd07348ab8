//! The manual path: X's reply restriction and the author's conversation
//! controls move an item there (never retried); an item already there gets
//! X's intent link without a call to X; the officer's reply on x.com is
//! found in the council's timeline and linked.

use placewatch::domain::outbox::ReplyState;
use placewatch::domain::triage::{ReplyPath, Status};
use placewatch::reply::ReplyOutcome;
use serde_json::json;

use super::{OFFICER, ReplyTest, pairs};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn a_post_that_did_not_summon_the_council_moves_to_the_manual_path_and_is_not_retried(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    // Filed as answerable through the API (a wrong prediction: a mention of
    // someone else), X's answer wins.
    let (item, post) = t
        .item(
            json!({"text": "Croydon is a dump, @someoneelse"}),
            vec!["someoneelse".into()],
            ReplyPath::Api,
        )
        .await;

    let outcome = t
        .outbox
        .submit(
            item,
            "Sorry to hear that. Tell us where?",
            None,
            OFFICER,
            false,
        )
        .await
        .unwrap();

    let ReplyOutcome::Manual {
        reply,
        intent_url,
        reason,
    } = outcome
    else {
        panic!("expected the manual path, got {outcome:?}")
    };
    assert!(reason.unwrap().contains("mention or quote the council"));
    assert_eq!(
        intent_url,
        format!(
            "https://x.com/intent/post?in_reply_to={post}&text=Sorry%20to%20hear%20that.%20Tell%20us%20where%3F"
        )
    );
    assert_eq!(
        (reply.state, reply.path),
        (ReplyState::ManualPending, ReplyPath::Manual)
    );
    assert!(
        reply
            .error
            .unwrap()
            .contains("You can only reply to or quote posts")
    );
    assert_eq!(t.posts_answered(403).await, 1, "one refused POST");
    assert_eq!(t.posts_tried().await, 1, "nothing retried");
    assert_eq!(t.replies_created().await, 0);
    let row = t.store().item(item).await.unwrap();
    assert_eq!(
        (row.reply_path, row.status),
        (ReplyPath::Manual, Status::InProgress)
    );
    // Reconciling leaves a manual reply alone: nothing is sent.
    let report = t.outbox.reconcile().await.unwrap();
    assert!(report.is_empty());
    assert_eq!(t.posts_tried().await, 1);
    assert_eq!(
        t.audit_actions(item).await,
        pairs(&[
            ("placewatch", "item.created"),
            (OFFICER, "reply.recorded"),
            (OFFICER, "reply.moved_to_manual"),
        ])
    );
}

#[apply(engines)]
#[tokio::test]
async fn an_item_on_the_manual_path_gets_the_intent_link_and_x_is_not_called(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t
        .item(
            json!({"text": "Croydon bins again"}),
            Vec::new(),
            ReplyPath::Manual,
        )
        .await;
    let outcome = t
        .outbox
        .submit(item, "Thanks & sorry: we're on it", None, OFFICER, false)
        .await
        .unwrap();
    let ReplyOutcome::Manual {
        intent_url, reason, ..
    } = outcome
    else {
        panic!("manual")
    };
    assert_eq!(reason, None);
    assert_eq!(
        intent_url,
        format!(
            "https://x.com/intent/post?in_reply_to={post}&text=Thanks%20%26%20sorry%3A%20we%27re%20on%20it"
        )
    );
    assert_eq!(t.posts_tried().await, 0);
}

#[apply(engines)]
#[tokio::test]
async fn conversation_controls_move_the_item_to_the_manual_path(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    // The council's post, and a resident's reply to it that only mentioned
    // users may answer: summoned (it replies to the council), but closed.
    let council_post = t
        .auth
        .sim
        .inject(
            json!({"text": "Bin collections are running late today", "author": t.council.handle}),
        )
        .await[0]
        .clone();
    let (item, _) = t
        .item(
            json!({"text": "still waiting in Croydon", "in_reply_to": council_post, "reply_settings": "mentionedUsers"}),
            Vec::new(),
            ReplyPath::Api,
        )
        .await;

    let outcome = t
        .outbox
        .submit(item, "Sorry, crews are on their way.", None, OFFICER, false)
        .await
        .unwrap();

    let ReplyOutcome::Manual { reply, reason, .. } = outcome else {
        panic!("manual: {outcome:?}")
    };
    assert!(reason.unwrap().contains("conversation controls"));
    assert!(reply.error.unwrap().contains("not been mentioned"));
    assert_eq!(t.posts_tried().await, 1, "nothing retried");
    assert_eq!(t.replies_created().await, 0);
    assert_eq!(
        t.store().item(item).await.unwrap().reply_path,
        ReplyPath::Manual
    );
}

#[apply(engines)]
#[tokio::test]
async fn a_manual_reply_posted_on_x_is_detected_in_the_council_timeline_and_linked(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t
        .item(
            json!({"text": "Croydon tram stop is filthy"}),
            Vec::new(),
            ReplyPath::Manual,
        )
        .await;
    let (other, _) = t
        .item(
            json!({"text": "Croydon park bins full"}),
            Vec::new(),
            ReplyPath::Manual,
        )
        .await;
    let text = "Thanks, cleaners are on the way.";
    let ReplyOutcome::Manual { reply, .. } = t
        .outbox
        .submit(item, text, None, OFFICER, false)
        .await
        .unwrap()
    else {
        panic!("manual")
    };
    t.outbox
        .submit(other, "Thanks, we'll empty them.", None, "Sam Jones", false)
        .await
        .unwrap();
    assert!(
        t.outbox.detect_manual_replies().await.unwrap().is_empty(),
        "not posted yet"
    );

    // The officer posts it on x.com (not through the API).
    let on_x: u64 = t
        .auth
        .sim
        .inject(json!({"text": text, "author": t.council.handle, "in_reply_to": post.to_string()}))
        .await[0]
        .parse()
        .unwrap();

    let linked = t.outbox.detect_manual_replies().await.unwrap();

    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].id, reply.id);
    assert_eq!(
        (linked[0].state, linked[0].path, linked[0].x_post_id),
        (ReplyState::Sent, ReplyPath::Manual, Some(on_x))
    );
    assert_eq!(t.store().item(item).await.unwrap().status, Status::Replied);
    assert_eq!(
        t.audit_actions(item).await.last().unwrap(),
        &(OFFICER.to_string(), "reply.sent_manually".to_string())
    );
    assert!(
        t.outbox.detect_manual_replies().await.unwrap().is_empty(),
        "linked once"
    );
    assert_eq!(t.posts_tried().await, 0, "the API never posted");
    let still = t.replies_of(other).await;
    assert_eq!(still[0].state, ReplyState::ManualPending);
}
