//! What waits to go out (`Store::backlog`, read by `/metrics` at each
//! scrape): replies and referrals counted by waiting state, each state's
//! oldest dated as the store stamped it (backdated here, so the times are
//! known), and whatever has gone out left out.

use placewatch::domain::mail::Address;
use placewatch::domain::outbox::ReplyState;
use placewatch::domain::referral::ReferralState;
use placewatch::domain::team::TeamConfig;
use placewatch::domain::triage::ReplyPath;
use placewatch::store::{Backlog, NewReferral, Waiting, backdated};
use time::OffsetDateTime;

use super::{TestStore, batch, ids_by_post, matched, post, thanks};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

fn waiting(count: u64, oldest: Option<OffsetDateTime>) -> Waiting {
    Waiting { count, oldest }
}

#[apply(engines)]
#[tokio::test]
async fn replies_and_referrals_waiting_are_counted_by_state_with_their_oldest(
    #[case] engine: Engine,
) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let store = &t.store;
    let nothing = store.backlog().await.unwrap();
    assert_eq!(
        nothing,
        Backlog {
            replies: vec![
                (ReplyState::Sending, Waiting::default()),
                (ReplyState::AwaitingApproval, Waiting::default()),
                (ReplyState::ManualPending, Waiting::default()),
            ],
            referrals: vec![
                (ReferralState::Queued, Waiting::default()),
                (ReferralState::Sending, Waiting::default()),
            ],
        },
        "every waiting state, at zero, on an empty store"
    );

    let team = TeamConfig {
        name: "Streets".into(),
        emails: vec!["streets@croydon.example".parse::<Address>().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: None,
    };
    store.sync_config_teams(&[team]).await.unwrap();
    let posts = (1..=7)
        .map(|n| matched(post(n, "Croydon bins"), &["Croydon"]))
        .collect();
    store.record_pages(&batch("m", posts)).await.unwrap();
    let ids = ids_by_post(store).await;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let ago = |minutes| now - time::Duration::minutes(minutes);

    // Two sends begun 20 and 2 minutes ago; one reply waiting for an
    // approver for 5 minutes; one sent (gone out: not counted).
    for (post, minutes, state) in [
        (1, 20, ReplyState::Sending),
        (2, 2, ReplyState::Sending),
        (3, 5, ReplyState::AwaitingApproval),
    ] {
        backdated(
            ago(minutes),
            store.record_reply(&thanks(ids[&post], "sam", state, ReplyPath::Api)),
        )
        .await
        .unwrap();
    }
    let sent = store
        .record_reply(&thanks(ids[&4], "sam", ReplyState::Sending, ReplyPath::Api))
        .await
        .unwrap();
    store.mark_sent(sent.id, 9_001, "outbox").await.unwrap();

    // Referrals made 40 and 10 minutes ago, the later one now being sent;
    // one sent (not counted).
    let refer = |post| NewReferral {
        item_id: ids[&post],
        team: "Streets",
        reason: "Bins not collected",
        officer: "sam",
        message_domain: "croydon.example",
    };
    backdated(ago(40), store.refer(&refer(5))).await.unwrap();
    let (_, sending) = backdated(ago(10), store.refer(&refer(6))).await.unwrap();
    store.referral_sending(sending.id).await.unwrap();
    let (_, done) = store.refer(&refer(7)).await.unwrap();
    store.referral_sending(done.id).await.unwrap();
    store.referral_sent(done.id, "250 OK").await.unwrap();

    let backlog = store.backlog().await.unwrap();
    assert_eq!(
        backlog,
        Backlog {
            replies: vec![
                (ReplyState::Sending, waiting(2, Some(ago(20)))),
                (ReplyState::AwaitingApproval, waiting(1, Some(ago(5)))),
                (ReplyState::ManualPending, Waiting::default()),
            ],
            referrals: vec![
                (ReferralState::Queued, waiting(1, Some(ago(40)))),
                // Dated by when it was made, not by its latest attempt.
                (ReferralState::Sending, waiting(1, Some(ago(10)))),
            ],
        }
    );
}
