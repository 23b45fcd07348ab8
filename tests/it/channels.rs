//! Team channels against a real local HTTP receiver standing in for
//! Microsoft Teams and Slack (axum on 127.0.0.1:0): what arrives, retries
//! after 5xx, `Retry-After` on 429, refusals recorded with the reason; and
//! spike checks on a real store (`spikes`), the desk's banner and alert
//! (`desk`).

mod desk;
mod receiver;
mod spikes;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use placewatch::channels::{AssignmentSummary, Sender};
use placewatch::domain::channel::Backoff;
use placewatch::domain::mail::Address;
use placewatch::domain::team::TeamConfig;
use placewatch::store::ChannelMessage;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::store::TestStore;
use receiver::{Answer, Receiver};

/// A store with team "Streets" whose Teams and Slack webhooks are
/// `TEAMS_URL` and `SLACK_URL`; returns it and the team's id.
async fn store_with_team(teams_env: Option<&str>, slack_env: Option<&str>) -> (TestStore, i64) {
    let t = TestStore::open().await;
    let team = TeamConfig {
        name: "Streets".into(),
        emails: vec!["streets@croydon.gov.uk".parse::<Address>().unwrap()],
        members: vec![],
        teams_webhook_env: teams_env.map(String::from),
        slack_webhook_env: slack_env.map(String::from),
    };
    t.store.sync_config_teams(&[team]).await.unwrap();
    let id = t.store.team("Streets").await.unwrap().unwrap().id;
    (t, id)
}

fn sender(t: &TestStore, urls: &[(&str, String)]) -> Sender {
    let map: BTreeMap<String, SecretString> = urls
        .iter()
        .map(|(k, v)| (k.to_string(), SecretString::from(v.clone())))
        .collect();
    let mut s = Sender::new(t.store.clone(), Arc::new(map)).unwrap();
    // Retry at once: the tests drive the rounds themselves.
    s.backoff = Backoff {
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };
    s
}

async fn assign(t: &TestStore, team_id: i64, text: &str) -> usize {
    t.store
        .queue_assignment(
            team_id,
            &AssignmentSummary {
                item_id: 123,
                by: "sam",
                post_text: text,
                link: "https://desk.example/items/123",
            },
        )
        .await
        .unwrap()
}

async fn messages(t: &TestStore) -> Vec<ChannelMessage> {
    t.store.channel_messages(100).await.unwrap()
}

#[tokio::test]
async fn an_assignment_reaches_teams_and_slack_in_their_shapes() {
    let rx = Receiver::start().await;
    let (t, team) = store_with_team(Some("STREETS_TEAMS"), Some("STREETS_SLACK")).await;
    let s = sender(
        &t,
        &[
            ("STREETS_TEAMS", rx.url("/teams/hook?sig=secret")),
            ("STREETS_SLACK", rx.url("/slack/hook")),
        ],
    );
    assert_eq!(assign(&t, team, "Bins <missed> & more").await, 2);
    let round = s.send_due().await.unwrap();
    assert_eq!(round.delivered, 2);

    let got = rx.received();
    assert_eq!(got.len(), 2);
    let teams = got.iter().find(|r| r.path == "/teams/hook").unwrap();
    assert_eq!(teams.body["type"], "message");
    let card = &teams.body["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["body"][0]["text"],
        "Item 123 assigned to Streets by sam"
    );
    assert_eq!(card["body"][1]["text"], "Bins <missed> & more");
    let slack = got.iter().find(|r| r.path == "/slack/hook").unwrap();
    assert_eq!(
        slack.body["text"],
        "Item 123 assigned to Streets by sam: Bins &lt;missed&gt; &amp; more — https://desk.example/items/123"
    );
    assert!(slack.body["blocks"].is_array());
    assert!(got.iter().all(|r| r.content_type == "application/json"));

    let stored = messages(&t).await;
    assert!(stored.iter().all(|m| m.state == "sent" && m.attempts == 1));
    assert_eq!(s.send_due().await.unwrap().delivered, 0, "nothing twice");
    assert_eq!(rx.received().len(), 2);
}

#[tokio::test]
async fn a_team_without_channels_queues_nothing() {
    let (t, team) = store_with_team(None, None).await;
    assert_eq!(assign(&t, team, "text").await, 0);
    assert!(messages(&t).await.is_empty());
}

#[tokio::test]
async fn a_webhook_failing_twice_then_taking_it_gets_the_message_once() {
    let rx = Receiver::start().await;
    rx.script("/slack", [Answer::status(500), Answer::status(503)]);
    let (t, team) = store_with_team(None, Some("STREETS_SLACK")).await;
    let s = sender(&t, &[("STREETS_SLACK", rx.url("/slack"))]);
    assign(&t, team, "Pothole").await;
    for _ in 0..10 {
        s.send_due().await.unwrap();
        if messages(&t).await[0].state == "sent" {
            break;
        }
    }
    let m = &messages(&t).await[0];
    assert_eq!(m.state, "sent");
    assert_eq!(m.attempts, 3);
    assert_eq!(m.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(rx.received().len(), 3, "two refused, one taken");
    assert_eq!(rx.accepted("/slack"), 1, "delivered exactly once");
}

#[tokio::test]
async fn messages_to_one_webhook_go_one_at_a_time_in_order() {
    let rx = Receiver::start().await;
    let (t, team) = store_with_team(None, Some("STREETS_SLACK")).await;
    let s = sender(&t, &[("STREETS_SLACK", rx.url("/slack"))]);
    for text in ["first", "second", "third"] {
        assign(&t, team, text).await;
    }
    s.send_due().await.unwrap();
    let texts: Vec<String> = rx
        .received()
        .iter()
        .map(|r| {
            r.body["blocks"][1]["text"]["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(texts, ["&gt; first", "&gt; second", "&gt; third"]);
    assert_eq!(rx.max_in_flight(), 1);
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let rx = Receiver::start().await;
    rx.script("/teams", [Answer::status(429).retry_after("2")]);
    let (t, team) = store_with_team(Some("STREETS_TEAMS"), None).await;
    let s = sender(&t, &[("STREETS_TEAMS", rx.url("/teams"))]);
    assign(&t, team, "Graffiti").await;
    let before = OffsetDateTime::now_utc();
    let round = s.send_due().await.unwrap();
    assert_eq!(round.retrying, 1);
    // Not due again until two seconds after the 429, although the backoff
    // here would allow it at once.
    let due = |at| t.store.due_channel_messages(at);
    assert!(
        due(before + Duration::from_millis(1500))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(due(before + Duration::from_secs(3)).await.unwrap().len(), 1);
    assert_eq!(s.send_due().await.unwrap(), Default::default(), "not yet");
    assert_eq!(rx.received().len(), 1);
    // Wait (bounded) until it goes through.
    for _ in 0..100 {
        if s.send_due().await.unwrap().delivered == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert!(got[1].at - got[0].at >= Duration::from_secs(2));
    assert_eq!(messages(&t).await[0].state, "sent");
}

#[tokio::test]
async fn a_refusal_fails_the_message_with_the_reason() {
    let rx = Receiver::start().await;
    rx.script("/slack", [Answer::status(400).body("invalid_blocks")]);
    let (t, team) = store_with_team(None, Some("STREETS_SLACK")).await;
    let s = sender(&t, &[("STREETS_SLACK", rx.url("/slack"))]);
    assign(&t, team, "Litter").await;
    assert_eq!(s.send_due().await.unwrap().failed, 1);
    let m = &messages(&t).await[0];
    assert_eq!(m.state, "failed");
    assert_eq!(m.last_error.as_deref(), Some("HTTP 400: invalid_blocks"));
    let outbox = t.store.channel_outbox().await.unwrap();
    assert_eq!((outbox.queued, outbox.failed, outbox.sent), (0, 1, 0));
    assert_eq!(outbox.last_error.unwrap().id, m.id);
    s.send_due().await.unwrap();
    assert_eq!(
        rx.received().len(),
        1,
        "a failed message is not tried again"
    );
}

#[tokio::test]
async fn an_unset_webhook_variable_fails_naming_the_variable() {
    let (t, team) = store_with_team(None, Some("STREETS_SLACK")).await;
    let s = sender(&t, &[]);
    assign(&t, team, "Litter").await;
    s.send_due().await.unwrap();
    let m = &messages(&t).await[0];
    assert_eq!(m.state, "failed");
    assert_eq!(
        m.last_error.as_deref(),
        Some("STREETS_SLACK (team Streets's Slack webhook) is not set in placewatch's environment")
    );
}

#[tokio::test]
async fn a_webhook_that_cannot_be_reached_is_retried_without_its_url_in_the_error() {
    // A port nothing listens on: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (t, team) = store_with_team(None, Some("STREETS_SLACK")).await;
    let url = format!("http://127.0.0.1:{port}/services/T000/B000/SECRETTOKEN");
    let mut s = sender(&t, &[("STREETS_SLACK", url)]);
    s.backoff = Backoff::DEFAULT;
    assign(&t, team, "Litter").await;
    assert_eq!(s.send_due().await.unwrap().retrying, 1);
    let m = &messages(&t).await[0];
    assert_eq!(m.state, "queued");
    let error = m.last_error.clone().unwrap();
    assert!(error.starts_with("could not connect"), "{error}");
    assert!(!error.contains("SECRETTOKEN"), "{error}");
    assert!(!error.contains(&port.to_string()), "{error}");
}

#[tokio::test]
async fn two_teams_sharing_a_webhook_still_send_one_at_a_time() {
    let rx = Receiver::start().await;
    let t = TestStore::open().await;
    let team = |name: &str| TeamConfig {
        name: name.into(),
        emails: vec!["x@croydon.gov.uk".parse::<Address>().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: Some("SHARED_SLACK".into()),
    };
    t.store
        .sync_config_teams(&[team("Streets"), team("Parks")])
        .await
        .unwrap();
    let s = sender(&t, &[("SHARED_SLACK", rx.url("/slack"))]);
    for name in ["Streets", "Parks"] {
        let id = t.store.team(name).await.unwrap().unwrap().id;
        assign(&t, id, name).await;
    }
    assert_eq!(s.send_due().await.unwrap().delivered, 2);
    assert_eq!(rx.received().len(), 2);
    assert_eq!(rx.max_in_flight(), 1);
}
