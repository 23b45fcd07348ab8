//! Sending: once, with its X id, officer and audit entry; too long refused
//! before anything is recorded; an expired token refreshed once; a refused
//! refresh failing with "log in again"; a second reply only with an
//! override; retries and approvals.

use placewatch::domain::outbox::ReplyState;
use placewatch::domain::triage::{ReplyPath, Status};
use placewatch::reply::{ReplyError, ReplyOutcome, ReplyRequest};
use placewatch::store::StoreError;
use serde_json::json;

use super::{OFFICER, ReplyTest, pairs, sent};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn a_reply_to_a_summoned_post_is_sent_once_with_its_x_id_officer_and_audit(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t
        .summoned_item("bins not collected on Cherry Orchard Road")
        .await;
    let text = "Thanks, we've passed this to our street cleansing team.";

    let reply = sent(
        t.outbox
            .submit(item, text, None, OFFICER, false)
            .await
            .unwrap(),
    );

    let on_x = t.council_replies_to(post).await;
    assert_eq!(on_x.len(), 1, "exactly one reply on X");
    assert_eq!(reply.x_post_id, Some(on_x[0].id));
    assert_eq!(on_x[0].text, text);
    assert_eq!(t.replies_created().await, 1);
    assert_eq!(t.posts_tried().await, 1, "one POST");
    assert_eq!(
        (reply.state, reply.path, reply.attempts),
        (ReplyState::Sent, ReplyPath::Api, 1)
    );
    assert_eq!(
        (reply.officer.as_str(), reply.text.as_str()),
        (OFFICER, text)
    );
    assert_eq!(t.store().reply(reply.id).await.unwrap(), reply, "as stored");
    let row = t.store().item(item).await.unwrap();
    assert_eq!(row.status, Status::Replied);
    assert_eq!(row.owner.as_deref(), Some(OFFICER));
    assert_eq!(
        t.audit_actions(item).await,
        pairs(&[
            ("placewatch", "item.created"),
            (OFFICER, "reply.recorded"),
            (OFFICER, "reply.sent"),
        ])
    );
    let last = &t.store().audit(Some(item), 1).await.unwrap()[0];
    assert_eq!(
        last.before.as_ref().unwrap()["item"]["status"],
        "in_progress"
    );
    assert_eq!(last.after.as_ref().unwrap()["item"]["status"], "replied");
    assert_eq!(
        last.after.as_ref().unwrap()["reply"]["x_post_id"],
        on_x[0].id.to_string()
    );
}

#[apply(engines)]
#[tokio::test]
async fn a_reply_over_280_is_refused_before_anything_is_recorded_or_sent(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, _) = t.summoned_item("broken streetlight").await;
    let audit_before = t.audit_count().await;

    for text in [
        "a".repeat(281),
        "字".repeat(141),
        String::new(),
        "  \n".into(),
    ] {
        let err = t
            .outbox
            .submit(item, &text, None, OFFICER, false)
            .await
            .unwrap_err();
        assert!(matches!(err, ReplyError::Text(_)), "{err}");
    }
    let err = t
        .outbox
        .submit(item, &"a".repeat(297), None, OFFICER, false)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "reply refused before sending: reply is 297 of 280 weighted characters (17 too many)"
    );

    assert!(t.replies_of(item).await.is_empty(), "no row");
    assert_eq!(t.audit_count().await, audit_before, "no audit entry");
    assert_eq!(t.posts_tried().await, 0, "no request");
    assert_eq!(t.store().item(item).await.unwrap().status, Status::New);
}

#[apply(engines)]
#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_reply_sent_once(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("graffiti on the underpass").await;
    t.auth.sim.control("/_sim/tokens/expire", json!({})).await;

    let reply = sent(
        t.outbox
            .submit(
                item,
                "Thanks, the graffiti team is on it.",
                None,
                OFFICER,
                false,
            )
            .await
            .unwrap(),
    );

    assert_eq!(t.posts_answered(401).await, 1, "the expired token");
    assert_eq!(
        t.posts_answered(201).await,
        1,
        "resumed once after the refresh"
    );
    assert_eq!(
        t.auth.token_calls(200).await,
        2,
        "the login and one refresh"
    );
    assert_eq!(t.replies_created().await, 1);
    assert_eq!(
        t.council_replies_to(post).await[0].id,
        reply.x_post_id.unwrap()
    );
    assert_eq!(reply.attempts, 1);
}

#[apply(engines)]
#[tokio::test]
async fn a_refused_refresh_fails_the_reply_with_log_in_again(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, _) = t.summoned_item("overflowing bins").await;
    t.auth
        .sim
        .control("/_sim/tokens/revoke-refresh", json!({}))
        .await;
    t.auth.sim.control("/_sim/tokens/expire", json!({})).await;

    let outcome = t
        .outbox
        .submit(
            item,
            "Thanks, collection is rescheduled.",
            None,
            OFFICER,
            false,
        )
        .await
        .unwrap();

    let ReplyOutcome::Failed { reply, reason } = outcome else {
        panic!("failed: {outcome:?}")
    };
    assert!(reason.contains("log in again"), "{reason}");
    assert_eq!(reply.state, ReplyState::Failed);
    assert_eq!(t.replies_created().await, 0);
    assert_eq!(t.posts_answered(401).await, 1, "sent once, not retried");
}

#[apply(engines)]
#[tokio::test]
async fn a_second_reply_to_the_same_post_is_refused_unless_an_administrator_overrides(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("noisy roadworks at night").await;
    let first = sent(
        t.outbox
            .submit(
                item,
                "Thanks, we've asked the contractor.",
                None,
                OFFICER,
                false,
            )
            .await
            .unwrap(),
    );
    let audit_before = t.audit_count().await;

    let err = t
        .outbox
        .submit(item, "Following up on this.", None, "Sam Jones", false)
        .await
        .unwrap_err();

    assert!(
        matches!(err, ReplyError::Store(StoreError::ReplyExists { reply_id, .. }) if reply_id == first.id),
        "{err}"
    );
    assert_eq!(t.replies_of(item).await.len(), 1);
    assert_eq!(t.audit_count().await, audit_before);
    assert_eq!(t.posts_tried().await, 1);

    let second = sent(
        t.outbox
            .submit(item, "Following up on this.", None, "Admin Ada", true)
            .await
            .unwrap(),
    );
    assert_eq!(second.override_by.as_deref(), Some("Admin Ada"));
    let on_x = t.council_replies_to(post).await;
    assert_eq!(on_x.len(), 2);
    assert_ne!(first.x_post_id, second.x_post_id);
    // Reconciling afterwards never links one post to two replies.
    assert!(t.outbox.reconcile().await.unwrap().is_empty());
}

#[apply(engines)]
#[tokio::test]
async fn failed_replies_are_retried_by_a_person_and_approvals_send_once(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (item, post) = t.summoned_item("missed collection on Wellesley Road").await;
    // A 429 is a certain refusal: failed, retryable.
    t.auth
        .sim
        .control(
            "/_sim/faults",
            json!({"kind": "rate_limit", "route": "/2/tweets", "count": 1}),
        )
        .await;
    let outcome = t
        .outbox
        .submit(
            item,
            "Thanks, the crew will return today.",
            None,
            OFFICER,
            false,
        )
        .await
        .unwrap();
    let ReplyOutcome::Failed { reply, .. } = outcome else {
        panic!("failed: {outcome:?}")
    };
    let retried = sent(t.outbox.retry(reply.id, "Sam Jones").await.unwrap());
    assert_eq!((retried.id, retried.attempts), (reply.id, 2));
    assert_eq!(t.council_replies_to(post).await.len(), 1);
    assert!(matches!(
        t.outbox.retry(reply.id, "Sam Jones").await,
        Err(ReplyError::Store(StoreError::ReplyTransition(_)))
    ));

    let (item2, post2) = t.summoned_item("bus shelter smashed").await;
    let request = ReplyRequest {
        needs_approval: true,
        template: Some("thanks"),
        ..ReplyRequest::new(item2, "Thanks, we've reported it to TfL.", OFFICER)
    };
    let ReplyOutcome::AwaitingApproval { reply } = t.outbox.submit_request(&request).await.unwrap()
    else {
        panic!("awaiting approval")
    };
    assert_eq!(t.posts_tried().await, 2, "nothing sent before approval");
    let approved = sent(
        t.outbox
            .approve(reply.id, "Admin Ada", false)
            .await
            .unwrap(),
    );
    assert_eq!(approved.approved_by.as_deref(), Some("Admin Ada"));
    assert_eq!(approved.template.as_deref(), Some("thanks"));
    assert_eq!(t.council_replies_to(post2).await.len(), 1);
    assert!(
        t.outbox.cancel(approved.id, OFFICER).await.is_err(),
        "sent is final"
    );
}

#[apply(engines)]
#[tokio::test]
async fn the_months_api_replies_are_listed_for_pricing_and_manual_ones_are_not(
    #[case] engine: Engine,
) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let store = t.store();
    let (summoned, _) = t.summoned_item("graffiti on the underpass").await;
    sent(
        t.outbox
            .submit(
                summoned,
                "Thanks, see croydon.gov.uk/graffiti",
                None,
                OFFICER,
                false,
            )
            .await
            .unwrap(),
    );
    // A reply moved to the manual path and posted by an officer on x.com:
    // X bills the API nothing for it.
    let (manual, post) = t.summoned_item("bins left out").await;
    let sending = t.record_sending(manual, "Thanks, passed on.").await;
    store
        .to_manual(
            sending.id,
            "not allowed",
            "https://x.com/intent/post",
            OFFICER,
        )
        .await
        .unwrap();
    let on_x = t.council_posts_directly(post, "Thanks, passed on.").await;
    store.link_manual_reply(sending.id, on_x).await.unwrap();
    // A draft is not sent.
    let (draft, _) = t.summoned_item("bench broken").await;
    t.outbox
        .submit_request(&ReplyRequest {
            draft: true,
            ..ReplyRequest::new(draft, "Draft text", OFFICER)
        })
        .await
        .unwrap();

    let month = time::OffsetDateTime::now_utc();
    let month = format!("{:04}-{:02}", month.year(), u8::from(month.month()));
    let billed = store.api_replies_sent_in(&month).await.unwrap();
    assert_eq!(
        billed,
        [placewatch::store::SentReply {
            text: "Thanks, see croydon.gov.uk/graffiti".into(),
            summoned: true,
        }]
    );
    assert!(
        store
            .api_replies_sent_in("2001-01")
            .await
            .unwrap()
            .is_empty()
    );
}
