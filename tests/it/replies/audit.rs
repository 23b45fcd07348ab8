//! Every desk action of the triage and reply issues leaves exactly one audit
//! entry, and a refused action leaves none.

use placewatch::domain::triage::{Action, ReplyPath};
use placewatch::reply::ReplyRequest;
use serde_json::json;

use super::{OFFICER, ReplyTest};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn every_action_leaves_exactly_one_audit_entry(#[case] engine: Engine) {
    let Some(t) = ReplyTest::on(engine).await else {
        return;
    };
    let (a, _) = t.summoned_item("weeds on the pavement").await;
    let (b, _) = t
        .item(
            json!({"text": "Croydon market litter"}),
            Vec::new(),
            ReplyPath::Manual,
        )
        .await;
    let (c, _) = t.summoned_item("bench broken in the park").await;
    let store = t.store();

    // Each step is one action: (what it should be audited as, the action).
    let mut expected: Vec<(String, String)> = Vec::new();
    let mut n = t.audit_count().await;
    macro_rules! step {
        ($actor:expr, $action:expr, $body:expr) => {{
            let _ = $body;
            expected.push(($actor.to_string(), $action.to_string()));
            n += 1;
            assert_eq!(t.audit_count().await, n, "{} leaves one entry", $action);
            let last = &store.audit(None, 1).await.unwrap()[0];
            assert_eq!(
                (last.actor.as_str(), last.action.as_str()),
                ($actor, $action)
            );
        }};
    }
    step!(
        OFFICER,
        "item.claimed",
        store.transition(a, Action::Claim, OFFICER).await.unwrap()
    );
    step!(
        OFFICER,
        "item.note_added",
        store
            .add_note(a, OFFICER, "resident called too")
            .await
            .unwrap()
    );
    step!(
        OFFICER,
        "item.assigned",
        store.assign(a, Some("Sam Jones"), OFFICER).await.unwrap()
    );
    let draft = ReplyRequest {
        draft: true,
        ..ReplyRequest::new(a, "Thanks, the parks team will clear them.", "Sam Jones")
    };
    let reply = t
        .outbox
        .submit_request(&draft)
        .await
        .unwrap()
        .reply()
        .clone();
    expected.push(("Sam Jones".into(), "reply.recorded".into()));
    n += 1;
    assert_eq!(t.audit_count().await, n, "a draft leaves one entry");
    step!(
        "Sam Jones",
        "reply.submitted",
        store
            .submit_draft(reply.id, true, "Sam Jones")
            .await
            .unwrap()
    );
    step!(
        "Admin Ada",
        "reply.approved",
        store
            .approve_reply(reply.id, "Admin Ada", false)
            .await
            .unwrap()
    );
    step!(
        "placewatch",
        "reply.sent",
        store.mark_sent(reply.id, 4242, "placewatch").await.unwrap()
    );
    step!(
        OFFICER,
        "item.reopened",
        store.transition(a, Action::Reopen, OFFICER).await.unwrap()
    );
    step!(
        OFFICER,
        "reply.recorded",
        t.outbox
            .submit(b, "Thanks, noted.", None, OFFICER, false)
            .await
            .unwrap()
    );
    let manual = t.replies_of(b).await[0].id;
    step!(
        OFFICER,
        "reply.cancelled",
        store.cancel_reply(manual, OFFICER).await.unwrap()
    );
    step!(
        OFFICER,
        "item.dismissed",
        store.transition(b, Action::Dismiss, OFFICER).await.unwrap()
    );
    let sending = t.record_sending(c, "Thanks, we'll repair the bench.").await;
    expected.push((OFFICER.into(), "reply.recorded".into()));
    n += 1;
    step!(
        "placewatch",
        "reply.resent",
        store.note_resend(sending.id, "placewatch").await.unwrap()
    );
    step!(
        "placewatch",
        "reply.failed",
        store
            .mark_failed(sending.id, "X said no", "placewatch")
            .await
            .unwrap()
    );
    step!(
        OFFICER,
        "reply.retried",
        store.retry_reply(sending.id, OFFICER).await.unwrap()
    );
    step!(
        OFFICER,
        "reply.moved_to_manual",
        store
            .to_manual(
                sending.id,
                "not allowed",
                "https://x.com/intent/post?in_reply_to=1&text=x",
                OFFICER
            )
            .await
            .unwrap()
    );
    step!(
        OFFICER,
        "reply.sent_manually",
        store.link_manual_reply(sending.id, 4343).await.unwrap()
    );

    // Refused actions leave nothing.
    assert!(store.cancel_reply(sending.id, OFFICER).await.is_err());
    assert!(store.mark_sent(reply.id, 9999, OFFICER).await.is_err());
    assert!(store.transition(c, Action::Claim, OFFICER).await.is_err());
    assert_eq!(t.audit_count().await, n);
    // Marking sent again with the same id is idempotent and silent.
    store.mark_sent(reply.id, 4242, "placewatch").await.unwrap();
    assert_eq!(t.audit_count().await, n);

    let mut log = store.audit(None, 1000).await.unwrap();
    log.reverse();
    let tail: Vec<(String, String)> = log[log.len() - expected.len()..]
        .iter()
        .map(|e| (e.actor.clone(), e.action.clone()))
        .collect();
    assert_eq!(tail, expected, "N actions, N entries, in order");
}
