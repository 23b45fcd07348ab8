//! The referral sender against a real SMTP server (`tests/support/smtp_sink.py`):
//! temporary failures wait and go again, permanent ones fail with the
//! server's reason, a reply lost after the message was stored resends the
//! same message (same Message-ID), and the real `placewatch run` killed 20
//! times in the middle of sending still gets every referral to the team's
//! mailbox exactly once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use placewatch::config::MailSecurity;
use placewatch::domain::mail::Address;
use placewatch::domain::referral::ReferralState;
use placewatch::domain::team::TeamConfig;
use placewatch::referral::Sender;
use placewatch::store::{Engine, NewReferral, Store};
use rstest_reuse::apply;
use time::OffsetDateTime;

use crate::engine::{TestDb, engines};
use crate::helpers::{daemon, kill_at};
use crate::mail::{FROM, Sink, SinkOptions, mailer};
use crate::store::{TestStore, batch, matched, post};

pub(crate) const TEAM: &str = "Streets";
pub(crate) const TEAM_ADDRESS: &str = "streets@croydon.example";

pub(crate) async fn seed_team(store: &Store) {
    let team = TeamConfig {
        name: TEAM.into(),
        emails: vec![TEAM_ADDRESS.parse::<Address>().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: None,
    };
    store.sync_config_teams(&[team]).await.unwrap();
}

/// Files items for posts `ids` and refers each to the team; their ids.
pub(crate) async fn referred(store: &Store, ids: std::ops::Range<u64>) -> Vec<i64> {
    let posts = ids
        .clone()
        .map(|id| matched(post(id, &format!("Croydon report {id}")), &["Croydon"]))
        .collect();
    let filed = store.record_pages(&batch("Croydon", posts)).await.unwrap();
    assert_eq!(filed.new_items.len(), ids.end as usize - ids.start as usize);
    let mut referrals = Vec::new();
    for item_id in filed.new_items {
        let new = NewReferral {
            item_id,
            team: TEAM,
            reason: "Please clear it",
            officer: "sam",
            message_domain: "croydon.example",
        };
        referrals.push(store.refer(&new).await.unwrap().1.id);
    }
    referrals.sort();
    referrals
}

fn sender(store: &Store, sink: &Sink) -> Sender {
    Sender {
        store: store.clone(),
        mailer: Arc::new(mailer(sink, MailSecurity::Starttls, None)),
        council: "Croydon Council".into(),
        desk_url: Some("https://desk.croydon.example/".parse().unwrap()),
    }
}

/// The Message-ID of each stored message, in order of arrival.
pub(crate) fn message_ids(sink: &Sink) -> Vec<String> {
    sink.messages()
        .iter()
        .map(|m| {
            let head = m.head();
            head.lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .expect("a Message-ID header")
                .trim()
                .to_owned()
        })
        .collect()
}

/// A sink failing the next transaction with `fault`, a store with the team,
/// and a sender to it; `None` when the mail tests are skipped.
/// The store is on `engine` (`None` too when PostgreSQL is skipped).
async fn with_fault(fault: &'static str, engine: Engine) -> Option<(Sink, TestStore, Sender)> {
    let sink = Sink::start(SinkOptions {
        faults: vec![(fault, 1)],
        ..SinkOptions::default()
    })
    .await?;
    let t = TestStore::on(engine).await?;
    seed_team(&t.store).await;
    let sender = sender(&t.store, &sink);
    Some((sink, t, sender))
}

#[apply(engines)]
#[tokio::test]
async fn a_temporary_failure_waits_and_goes_again_and_a_refusal_fails_with_the_reason(
    #[case] engine: Engine,
) {
    let Some((sink, t, sender)) = with_fault("refuse", engine).await else {
        return;
    };
    let ids = referred(&t.store, 1..3).await;
    let now = OffsetDateTime::now_utc();

    // The first is refused for now (451), the second goes.
    let report = sender.send_due_at(now).await.unwrap();
    assert_eq!(report.retrying, ["PW-000001"]);
    assert_eq!(report.sent, ["PW-000002"]);
    let first = t.store.referral(ids[0]).await.unwrap();
    assert_eq!((first.state, first.attempts), (ReferralState::Queued, 1));
    assert!(
        first.last_error.as_deref().unwrap().contains("451"),
        "{first:?}"
    );

    // Not due again for 30 seconds; then it goes.
    assert!(
        sender
            .send_due_at(now + Duration::from_secs(29))
            .await
            .unwrap()
            .is_empty()
    );
    let report = sender
        .send_due_at(now + Duration::from_secs(31))
        .await
        .unwrap();
    assert_eq!(report.sent, ["PW-000001"]);
    let first = t.store.referral(ids[0]).await.unwrap();
    assert_eq!((first.state, first.attempts), (ReferralState::Sent, 2));
    assert_eq!(message_ids(&sink).len(), 2, "two referrals, two messages");

    // A permanent refusal (550) fails at once, with the server's words.
    sink.control("reject 1\n");
    let third = referred(&t.store, 3..4).await[0];
    let report = sender
        .send_due_at(now + Duration::from_secs(40))
        .await
        .unwrap();
    assert_eq!(report.failed, ["PW-000003"]);
    let third = t.store.referral(third).await.unwrap();
    assert_eq!(third.state, ReferralState::Failed);
    assert!(
        third.last_error.as_deref().unwrap().contains("550"),
        "{third:?}"
    );
    let audit = t.store.audit(Some(third.item_id), 10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "referral.failed"));
    // Nothing is due until a person sends it again.
    assert!(
        sender
            .send_due_at(now + Duration::from_secs(3600))
            .await
            .unwrap()
            .is_empty()
    );
}

#[apply(engines)]
#[tokio::test]
async fn a_reply_lost_after_the_message_was_stored_resends_the_same_message(
    #[case] engine: Engine,
) {
    let Some((sink, t, sender)) = with_fault("drop-after-store", engine).await else {
        return;
    };
    let id = referred(&t.store, 1..2).await[0];
    let now = OffsetDateTime::now_utc();
    let report = sender.send_due_at(now).await.unwrap();
    assert_eq!(
        report.retrying,
        ["PW-000001"],
        "SMTP cannot tell it arrived"
    );
    let report = sender
        .send_due_at(now + Duration::from_secs(31))
        .await
        .unwrap();
    assert_eq!(report.sent, ["PW-000001"]);
    let referral = t.store.referral(id).await.unwrap();
    let ids = message_ids(&sink);
    assert_eq!(
        ids,
        [referral.message_id.clone(), referral.message_id.clone()],
        "the copy is the same message: the mailbox keeps one"
    );
}

/// The config of a `placewatch run` whose mail goes to `sink`.
fn daemon_config(sim: &crate::helpers::TestSim, sink: &Sink, db: &TestDb) -> std::path::PathBuf {
    let dir = db.dir.path();
    let path = dir.join("placewatch.toml");
    let text = format!(
        r#"
[council]
name = "Croydon Council"
handle = "yourcroydon"

[x]
api_base = "{api}"
bearer_token_env = "PW_TEST_BEARER"

# A place the simulator never posts about: the only items are the test's.
[monitor]
places = ["Zzyzx Road"]
min_interval_secs = 60
max_interval_secs = 60

[data]
dir = "{data}"

[mail]
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "starttls"
from = "{FROM}"
from_name = "Croydon Council comms desk"
ca_file = "{ca}"

[[teams]]
name = "{TEAM}"
emails = ["{TEAM_ADDRESS}"]
{store}"#,
        api = sim.server.base_url(),
        data = dir.display(),
        port = sink.port,
        ca = sink.ca_file.as_ref().unwrap().display(),
        store = db.store_section(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Kills per step, alternating: before the SMTP transaction, and after the
/// server took the message but before it was recorded.
const KILLS: usize = 20;
const STEPS: [&str; 2] = ["referral_before_send", "referral_after_send"];

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_while_sending_each_referral_reaches_the_mailbox_once(
    #[case] engine: Engine,
) {
    let Some(sink) = Sink::start(SinkOptions::default()).await else {
        return;
    };
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = crate::helpers::TestSim::start().await;
    let config = daemon_config(&sim, &sink, &db);
    let bearer = sim.creds().bearer_token.clone();
    let env = [("PW_TEST_BEARER", bearer.as_str())];

    // The daemon seeds the team; the test refers one item before each run.
    let store = Store::connect(&db.url, None).await.unwrap();
    seed_team(&store).await;
    let mut killed_after_send = Vec::new();
    for kill in 0..KILLS {
        let step = STEPS[kill % STEPS.len()];
        let id = referred(&store, (kill as u64 + 1)..(kill as u64 + 2)).await[0];
        kill_at(&config, &env, step).await;
        if step == "referral_after_send" {
            killed_after_send.push(id);
        }
        let referral = store.referral(id).await.unwrap();
        assert_eq!(
            referral.state,
            ReferralState::Sending,
            "killed mid-send: {referral:?}"
        );
    }

    // A run without a failpoint sends the last interrupted one.
    let mut child = daemon(&config, &env, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let counts = store.referral_counts().await.unwrap();
        if counts.sent == KILLS as u64 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all sent: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // Every referral reached the server as ONE message (one Message-ID);
    // those killed after the server took them arrived twice, the same
    // message both times, which the mailbox keeps once.
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for id in message_ids(&sink) {
        *copies.entry(id).or_default() += 1;
    }
    assert_eq!(copies.len(), KILLS, "one message per referral: {copies:?}");
    for kill in 0..KILLS {
        let referral = store.referral(kill as i64 + 1).await.unwrap();
        assert_eq!(referral.state, ReferralState::Sent);
        assert_eq!(referral.attempts, 2, "{referral:?}");
        let expected = if killed_after_send.contains(&referral.id) {
            2
        } else {
            1
        };
        assert_eq!(
            copies.get(&referral.message_id),
            Some(&expected),
            "{}: {copies:?}",
            referral.reference
        );
    }
}
