//! Notifications in the desk: a rejection reaches the reply's author with
//! the reason, approvers hear that a reply waits for them, a note's
//! `@mention` reaches the officer named, the bell counts unread ones (and
//! its live stream counts up), and opening one or "Mark all read" reads them.

use std::time::Duration;

use placewatch::domain::notification::Kind;
use placewatch::domain::outbox::ReplyState;
use reqwest::StatusCode;
use serde_json::Value;

use super::{DeskTest, Officer, flash, location};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// The bell's accessible words on a page of `officer`'s.
async fn bell(officer: &Officer) -> String {
    let html = officer.get("/status").await.text().await.unwrap();
    let start = html.find("data-bell-words>: ").expect("a bell") + "data-bell-words>: ".len();
    html[start..].split('<').next().unwrap().to_owned()
}

#[apply(engines)]
#[tokio::test]
async fn a_rejection_reaches_the_author_with_the_reason_and_approvers_hear_of_waiting_replies(
    #[case] engine: Engine,
) {
    let Some(t) =
        DeskTest::on_with(engine, "\n[desk]\nofficer_replies_need_approval = true\n").await
    else {
        return;
    };
    let item = t.arrive("resident40", "@yourcroydon Purley flooding").await;
    let sam = t.login("sam").await;
    let priya = t.login("priya").await;
    let alex = t.login("alex").await;
    let vic = t.login("vic").await;
    assert_eq!(bell(&sam).await, "No unread notifications");

    let r = sam
        .post(
            &format!("/items/{}/reply", item.id),
            &[("template", "thanks")],
        )
        .await;
    assert!(flash(&r).contains("waits for an approver"), "{}", flash(&r));
    let waiting = t
        .store
        .replies_in_state(ReplyState::AwaitingApproval)
        .await
        .unwrap();
    let reply = waiting[0].id;

    // Approvers and admins are told; the author and viewers are not.
    for approver in [&priya, &alex] {
        assert_eq!(bell(approver).await, "1 unread notification");
        let html = approver.get("/notifications").await.text().await.unwrap();
        assert!(html.contains("Waiting for approval"), "{html}");
        assert!(
            html.contains(&format!(
                "Sam Tester&#39;s reply {reply} on item {} is waiting for your approval: “Thanks @resident40",
                item.id
            )),
            "{html}"
        );
        assert!(html.contains("<span class=\"state\">Unread</span>"));
    }
    assert_eq!(bell(&sam).await, "No unread notifications");
    assert_eq!(bell(&vic).await, "No unread notifications");

    let r = priya
        .post(
            &format!("/replies/{reply}/reject"),
            &[("reason", "Wrong team: refer to <highways>")],
        )
        .await;
    assert!(flash(&r).contains("rejected"));
    assert_eq!(bell(&sam).await, "1 unread notification");
    let html = sam.get("/notifications").await.text().await.unwrap();
    assert!(html.contains("Reply rejected"), "{html}");
    assert!(
        html.contains(&format!(
            "Priya Tester rejected your reply {reply} on item {}: Wrong team: refer to &#60;highways&#62;",
            item.id
        )),
        "the reason, escaped: {html}"
    );
    assert_eq!(
        bell(&priya).await,
        "1 unread notification",
        "not told of her own rejection"
    );

    // Opening it marks it read and goes to the item.
    let mine = t.store.notifications("sam", 10).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].kind, Kind::ReplyRejected);
    let r = sam.get(&format!("/notifications/{}", mine[0].id)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/items/{}", item.id));
    assert_eq!(bell(&sam).await, "No unread notifications");
    let html = sam.get("/notifications").await.text().await.unwrap();
    assert!(html.contains("<span class=\"state\">Read</span>"), "{html}");
    assert!(!html.contains("Mark all read"));

    // Another officer's notification is not hers to open.
    let priyas = t.store.notifications("priya", 10).await.unwrap();
    let r = sam.get(&format!("/notifications/{}", priyas[0].id)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(bell(&priya).await, "1 unread notification");

    // Mark all read.
    let r = priya.post("/notifications/read", &[]).await;
    assert_eq!(flash(&r), "1 notification marked read.");
    assert_eq!(bell(&priya).await, "No unread notifications");
    assert_eq!(
        bell(&alex).await,
        "1 unread notification",
        "alex's are his own"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn an_approval_tells_the_author(#[case] engine: Engine) {
    let Some(t) =
        DeskTest::on_with(engine, "\n[desk]\nofficer_replies_need_approval = true\n").await
    else {
        return;
    };
    let item = t.arrive("resident41", "@yourcroydon Croydon bins").await;
    let sam = t.login("sam").await;
    let priya = t.login("priya").await;
    sam.post(
        &format!("/items/{}/reply", item.id),
        &[("template", "thanks")],
    )
    .await;
    let reply = t
        .store
        .replies_in_state(ReplyState::AwaitingApproval)
        .await
        .unwrap()[0]
        .id;
    let r = priya.post(&format!("/replies/{reply}/approve"), &[]).await;
    assert!(flash(&r).contains("Reply sent"), "{}", flash(&r));
    let html = sam.get("/notifications").await.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "Priya Tester approved your reply {reply} on item {}.",
            item.id
        )),
        "{html}"
    );
    t.stop().await;
}

/// The next `change` event's data on `response`'s stream.
async fn next_change(response: &mut reqwest::Response, seen: &mut String) -> Value {
    loop {
        if let Some(end) = seen.find("\n\n") {
            let event: String = seen.drain(..end + 2).collect();
            if event.contains("event: change") {
                let data = event.split("data: ").nth(1).unwrap().trim().to_owned();
                return serde_json::from_str(&data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(20), response.chunk())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[apply(engines)]
#[tokio::test]
async fn a_mention_reaches_the_officer_named_and_her_bell_counts_up_live(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t.arrive("resident42", "Croydon potholes").await;
    let sam = t.login("sam").await;
    let priya = t.login("priya").await;

    let mut events = priya
        .http
        .get(format!("{}/events", priya.base))
        .header("Cookie", &priya.cookie)
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    let first = next_change(&mut events, &mut seen).await;
    assert_eq!(first["unread"], 0);

    let r = sam
        .post(
            &format!("/items/{}/note", item.id),
            &[(
                "text",
                "@priya can you look? Not for alex@croydon.gov.uk or https://x.com/@alex",
            )],
        )
        .await;
    assert!(flash(&r).contains("Note added"));
    let mut latest = next_change(&mut events, &mut seen).await;
    while latest["unread"] == 0 {
        latest = next_change(&mut events, &mut seen).await;
    }
    assert_eq!(latest["unread"], 1);

    let html = priya.get("/notifications").await.text().await.unwrap();
    assert!(html.contains("Mentioned"), "{html}");
    assert!(
        html.contains(&format!(
            "Sam Tester mentioned you in a note on item {}: “@priya can you look?",
            item.id
        )),
        "{html}"
    );
    assert!(t.store.notifications("alex", 10).await.unwrap().is_empty());
    assert!(t.store.notifications("sam", 10).await.unwrap().is_empty());
    t.stop().await;
}
