//! Reconciliation against the council's timeline: duplicate content, an
//! answer lost after X posted, a 5xx before it did, and replies left in
//! `sending` by a crash (found, resent, or left to a process that may still
//! be sending them).

use std::time::Duration;

use placewatch::domain::outbox::ReplyState;
use placewatch::domain::triage::Status;
use placewatch::reply::ReplyOutcome;
use serde_json::json;

use super::{OFFICER, ReplyTest, sent};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn duplicate_content_is_reconciled_to_the_earlier_reply_never_retried(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("fly-tipping behind the library").await;
    let text = "Thanks, a crew will clear it this week.";
    // An earlier attempt reached X but its record was lost.
    let earlier = t.council_posts_directly(post, text).await;

    let reply = sent(
        t.outbox
            .submit(item, text, None, OFFICER, false)
            .await
            .unwrap(),
    );

    assert_eq!(reply.x_post_id, Some(earlier));
    assert_eq!(t.posts_answered(403).await, 1, "the duplicate refusal");
    assert_eq!(t.posts_answered(201).await, 1, "only the earlier post");
    assert_eq!(t.council_replies_to(post).await.len(), 1);
    assert_eq!(t.store().item(item).await.unwrap().status, Status::Replied);
}

#[apply(engines)]
#[tokio::test]
async fn duplicate_content_with_no_earlier_reply_to_the_post_fails_with_the_reason(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (first, first_post) = t.summoned_item("pothole on the high street").await;
    let (second, second_post) = t.summoned_item("another pothole nearby").await;
    let text = "Thanks, reported to highways.";
    sent(
        t.outbox
            .submit(first, text, None, OFFICER, false)
            .await
            .unwrap(),
    );

    let outcome = t
        .outbox
        .submit(second, text, None, OFFICER, false)
        .await
        .unwrap();

    let ReplyOutcome::Failed { reply, reason } = outcome else {
        panic!("failed: {outcome:?}")
    };
    assert!(reason.contains("duplicate"), "{reason}");
    assert_eq!(reply.state, ReplyState::Failed);
    assert_eq!(t.posts_tried().await, 2, "never retried blindly");
    assert_eq!(t.council_replies_to(first_post).await.len(), 1);
    assert!(t.council_replies_to(second_post).await.is_empty());
    // A person rewords it: the failed reply made way for a new one.
    sent(
        t.outbox
            .submit(
                second,
                "Thanks, highways will look at this one too.",
                None,
                OFFICER,
                false,
            )
            .await
            .unwrap(),
    );
}

#[apply(engines)]
#[tokio::test]
async fn an_answer_lost_after_x_posted_is_reconciled_not_resent(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("blocked drain on London Road").await;
    // X creates the post, then the connection drops mid-body.
    t.auth
        .sim
        .control(
            "/_sim/faults",
            json!({"kind": "truncated", "route": "/2/tweets", "count": 1}),
        )
        .await;

    let reply = sent(
        t.outbox
            .submit(
                item,
                "Thanks, drainage team notified.",
                None,
                OFFICER,
                false,
            )
            .await
            .unwrap(),
    );

    let on_x = t.council_replies_to(post).await;
    assert_eq!(on_x.len(), 1);
    assert_eq!(reply.x_post_id, Some(on_x[0].id));
    assert_eq!((t.replies_created().await, reply.attempts), (1, 1));
}

#[apply(engines)]
#[tokio::test]
async fn a_5xx_before_x_acted_is_reconciled_then_sent_again_once(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("abandoned car on Brigstock Road").await;
    t.auth
        .sim
        .control(
            "/_sim/faults",
            json!({"kind": "error", "status": 503, "route": "/2/tweets", "count": 1}),
        )
        .await;

    let reply = sent(
        t.outbox
            .submit(
                item,
                "Thanks, parking enforcement will check.",
                None,
                OFFICER,
                false,
            )
            .await
            .unwrap(),
    );

    assert_eq!(t.council_replies_to(post).await.len(), 1);
    assert_eq!((t.replies_created().await, reply.attempts), (1, 2));
    let actions: Vec<String> = t
        .audit_actions(item)
        .await
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "item.created",
            "reply.recorded",
            "reply.resent",
            "reply.sent"
        ]
    );
}

#[apply(engines)]
#[tokio::test]
async fn reconcile_marks_what_x_has_resends_what_it_lacks_and_leaves_what_may_be_in_flight(
    #[case] engine: Engine,
) {
    let Some(mut t) = ReplyTest::on(engine).await else {
        return;
    };
    let (a, a_post) = t.summoned_item("street light out on Selhurst Road").await;
    let (b, b_post) = t.summoned_item("dog fouling in the park").await;
    // Both recorded as sending, then "the process died": a's POST reached X, b's never did.
    let a_reply = t
        .record_sending(a, "Thanks, the lighting team will fix it.")
        .await;
    let b_reply = t.record_sending(b, "Thanks, wardens will patrol.").await;
    let a_on_x = t
        .council_posts_directly(a_post, "Thanks, the lighting team will fix it.")
        .await;

    // Within the in-flight grace: a is found, b is left alone.
    t.outbox.in_flight_grace = Duration::from_secs(60);
    let report = t.outbox.reconcile().await.unwrap();
    assert_eq!(report.checked, 2);
    assert_eq!(report.found.len(), 1);
    assert_eq!(report.found[0].x_post_id, Some(a_on_x));
    assert_eq!(report.in_flight[0].id, b_reply.id);
    assert_eq!(t.posts_tried().await, 1, "only the direct post");

    t.outbox.in_flight_grace = Duration::ZERO;
    let report = t.outbox.reconcile().await.unwrap();
    assert_eq!(
        (report.checked, report.found.len(), report.resent.len()),
        (1, 0, 1)
    );
    let b_sent = sent(report.resent[0].clone());
    assert_eq!(
        t.council_replies_to(b_post).await[0].id,
        b_sent.x_post_id.unwrap()
    );
    assert_eq!(t.council_replies_to(a_post).await.len(), 1);
    assert_eq!(
        t.store().reply(a_reply.id).await.unwrap().state,
        ReplyState::Sent
    );
    assert!(
        t.outbox.reconcile().await.unwrap().is_empty(),
        "nothing left"
    );
    assert_eq!(t.replies_created().await, 2);
}
