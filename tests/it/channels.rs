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
async fn a_webhook_that_times_out_or_drops_the_connection_gets_the_message_again_with_its_id() {
    let rx = Receiver::start().await;
    rx.script("/slack", [Answer::hang(), Answer::drop_connection()]);
    let (t, team) = store_with_team(None, Some("STREETS_SLACK")).await;
    let map = BTreeMap::from([(
        "STREETS_SLACK".to_owned(),
        SecretString::from(rx.url("/slack")),
    )]);
    // A hanging webhook is given up on after this long (the outcome does
    // not depend on it, only how soon the test gets there).
    let mut s =
        Sender::with_timeout(t.store.clone(), Arc::new(map), Duration::from_millis(300)).unwrap();
    s.backoff = Backoff {
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };
    assign(&t, team, "Streetlight out").await;
    for _ in 0..10 {
        s.send_due().await.unwrap();
        if messages(&t).await[0].state == "sent" {
            break;
        }
    }
    let m = &messages(&t).await[0];
    assert_eq!((m.state.as_str(), m.attempts), ("sent", 3), "{m:?}");
    assert!(
        m.last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("no answer")),
        "the dropped connection is the last error: {m:?}"
    );
    let got = rx.received();
    assert_eq!(got.len(), 3, "hung, dropped, taken: {got:?}");
    let id = format!("placewatch-channel-message-{}", m.id);
    assert!(
        got.iter()
            .all(|r| r.message_id.as_deref() == Some(id.as_str())),
        "every try names the same message: {got:?}"
    );
    assert_eq!(rx.accepted("/slack"), 1);
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

/// Kills per step, alternating: the try counted but nothing posted, and
/// the webhook's answer in but not recorded.
const KILLS: usize = 20;
const STEPS: [&str; 2] = ["channel_before_send", "channel_after_send"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_while_posting_each_message_arrives_and_only_an_unrecorded_one_twice() {
    let rx = Receiver::start().await;
    let sim = crate::helpers::TestSim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("placewatch.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[council]
name = "Croydon Council"
handle = "yourcroydon"

[x]
api_base = "{api}"
bearer_token_env = "PW_TEST_BEARER"

# A place the simulator never posts about: the only messages are the test's.
[monitor]
places = ["Zzyzx Road"]
min_interval_secs = 60
max_interval_secs = 60

[data]
dir = "{data}"

[[teams]]
name = "Streets"
emails = ["streets@croydon.example"]
slack_webhook_env = "STREETS_SLACK"
"#,
            api = sim.server.base_url(),
            data = dir.path().display(),
        ),
    )
    .unwrap();
    let bearer = sim.creds().bearer_token.clone();
    let url = rx.url("/slack");
    let env = [
        ("PW_TEST_BEARER", bearer.as_str()),
        ("STREETS_SLACK", url.as_str()),
    ];

    // The test queues one message before each run; the run is killed on
    // that message's first try, after it has sent the one before.
    let store = placewatch::store::Store::open(&dir.path().join("placewatch.db"))
        .await
        .unwrap();
    let team = TeamConfig {
        name: "Streets".into(),
        emails: vec!["streets@croydon.example".parse::<Address>().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: Some("STREETS_SLACK".into()),
    };
    store.sync_config_teams(&[team]).await.unwrap();
    let team = store.team("Streets").await.unwrap().unwrap().id;
    let mut killed_after_post = Vec::new();
    for kill in 0..KILLS {
        let step = STEPS[kill % STEPS.len()];
        let text = format!("Message {kill}");
        let summary = AssignmentSummary {
            item_id: kill as i64 + 1,
            by: "sam",
            post_text: &text,
            link: "https://desk.example/items/1",
        };
        assert_eq!(store.queue_assignment(team, &summary).await.unwrap(), 1);
        crate::helpers::kill_at(&config, &env, step).await;
        let newest = store.channel_messages(1).await.unwrap().remove(0);
        assert_eq!(
            (newest.state.as_str(), newest.attempts),
            ("queued", 1),
            "killed mid-post, the try counted: {newest:?}"
        );
        if step == "channel_after_send" {
            killed_after_post.push(format!("placewatch-channel-message-{}", newest.id));
        }
    }

    // A run without a failpoint posts the last interrupted one.
    let mut child = crate::helpers::daemon(&config, &env, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while store
        .channel_messages(100)
        .await
        .unwrap()
        .iter()
        .any(|m| m.state != "sent")
    {
        assert!(tokio::time::Instant::now() < deadline, "not all sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // Every message arrived, in order; those whose answer was never
    // recorded arrived twice, naming the same message both times.
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    let mut order = Vec::new();
    for r in rx.received() {
        let id = r.message_id.expect("every post names its message");
        if !order.contains(&id) {
            order.push(id.clone());
        }
        *copies.entry(id).or_default() += 1;
    }
    let messages = store.channel_messages(100).await.unwrap();
    assert_eq!(copies.len(), KILLS, "{copies:?}");
    for m in &messages {
        let id = format!("placewatch-channel-message-{}", m.id);
        let twice = killed_after_post.contains(&id);
        assert_eq!(copies.get(&id), Some(&(1 + usize::from(twice))), "{m:?}");
        assert_eq!(m.attempts, 2, "{m:?}");
    }
    let mut oldest_first: Vec<i64> = messages.iter().map(|m| m.id).collect();
    oldest_first.sort_unstable();
    let expected: Vec<String> = oldest_first
        .iter()
        .map(|id| format!("placewatch-channel-message-{id}"))
        .collect();
    assert_eq!(order, expected, "first arrivals in the order queued");
}
