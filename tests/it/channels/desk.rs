//! The daemon and desk with team channels: a burst of posts from the
//! simulator becomes a banner on the inbox and one alert in the alerts
//! team's channel; a refused message shows on the status page.

use std::time::Duration;

use placewatch::store::AssignmentSummary;
use serde_json::json;

use super::receiver::{Answer, Receiver};
use crate::desk::DeskTest;

const COMMS: &str = r#"
[[teams]]
name = "Comms"
emails = ["comms@croydon.gov.uk"]
slack_webhook_env = "COMMS_SLACK_URL"
"#;

/// Waits (up to 20 s) until `check` holds.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

#[tokio::test]
async fn a_burst_about_a_place_shows_a_banner_and_alerts_the_channel_once() {
    let rx = Receiver::start().await;
    let extra = format!(
        "{COMMS}\n[alerts]\nspike_min_posts = 6\nteam = \"Comms\"\ncheck_interval_secs = 1\n"
    );
    let desk = DeskTest::start_with_env(&extra, &[("COMMS_SLACK_URL", rx.url("/slack"))]).await;
    let burst: Vec<_> = (0..6)
        .map(|i| json!({ "text": format!("Purley Way is flooded again ({i})"), "author": format!("resident{i}") }))
        .collect();
    desk.sim.inject(json!(burst)).await;
    until("a spike about Purley is open", || async {
        desk.store
            .open_spikes()
            .await
            .unwrap()
            .iter()
            .any(|s| s.value == "Purley")
    })
    .await;

    let sam = desk.login("sam").await;
    let inbox = sam.get("/").await.text().await.unwrap();
    let banner = inbox
        .split("<div class=\"spikes\" role=\"status\">")
        .nth(1)
        .expect("a banner")
        .split("</div>")
        .next()
        .unwrap();
    assert!(banner.contains("href=\"/?place=Purley\""), "{banner}");
    assert!(
        banner.contains("posts about Purley in the last hour, usually "),
        "{banner}"
    );

    let got = rx.wait_for(1).await;
    assert_eq!(got[0].path, "/slack");
    let text = got[0].body["text"].as_str().unwrap();
    assert!(
        text.contains("posts about Purley in the last hour"),
        "{text}"
    );
    assert!(text.contains("/?place=Purley"), "{text}");

    // More posts while it lasts: the spike's count follows, no second alert.
    let before = desk.store.open_spikes().await.unwrap()[0].count;
    let more: Vec<_> = (6..9)
        .map(|i| json!({ "text": format!("Purley Way still flooded ({i})"), "author": format!("resident{i}") }))
        .collect();
    desk.sim.inject(json!(more)).await;
    until("the spike's count follows the posts", || async {
        desk.store.open_spikes().await.unwrap()[0].count >= before + 3
    })
    .await;
    let spike_messages = desk
        .store
        .channel_messages(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.about == "spike")
        .count();
    assert_eq!(spike_messages, 1);
    assert_eq!(rx.received().len(), 1);
    desk.stop().await;
}

#[tokio::test]
async fn a_refused_channel_message_shows_on_the_status_page() {
    let rx = Receiver::start().await;
    rx.script("/slack", [Answer::status(400).body("invalid_payload")]);
    let desk = DeskTest::start_with_env(COMMS, &[("COMMS_SLACK_URL", rx.url("/slack"))]).await;
    let team = desk.store.team("Comms").await.unwrap().unwrap().id;
    desk.store
        .queue_assignment(
            team,
            &AssignmentSummary {
                item_id: 7,
                by: "sam",
                post_text: "Fly-tipping",
                link: "http://desk.example/items/7",
            },
        )
        .await
        .unwrap();
    until("the message failed", || async {
        desk.store.channel_outbox().await.unwrap().failed == 1
    })
    .await;
    let status = desk
        .login("alex")
        .await
        .get("/status")
        .await
        .text()
        .await
        .unwrap();
    assert!(status.contains("Team channel messages"), "{status}");
    assert!(
        status.contains("<span class=\"figure\">1</span> failed"),
        "{status}"
    );
    assert!(
        status.contains("Slack, team Comms (assignment, failed): HTTP 400: invalid_payload"),
        "{status}"
    );
    assert!(
        !status.contains(&rx.url("/slack")),
        "the webhook URL is a secret"
    );
    desk.stop().await;
}
