//! New items reach open inboxes (server-sent events), hostile post text is
//! served escaped, and the desk stops cleanly with a stream open.

use std::time::Duration;

use reqwest::StatusCode;

use super::{DeskTest, Officer};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// Opens the officer's event stream (`GET /events`).
async fn open_events(officer: &Officer) -> reqwest::Response {
    let response = officer
        .http
        .get(format!("{}/events", officer.base))
        .header("Cookie", &officer.cookie)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response
}

#[apply(engines)]
#[tokio::test]
async fn open_inboxes_hear_of_new_items(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let sam = t.login("sam").await;
    let mut response = open_events(&sam).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    let mut next_event = async || loop {
        let chunk = tokio::time::timeout(Duration::from_secs(20), response.chunk())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(end) = seen.find("\n\n") {
            let event: String = seen.drain(..end + 2).collect();
            if event.contains("event: change") {
                let data = event.split("data: ").nth(1).unwrap().trim().to_owned();
                return serde_json::from_str::<serde_json::Value>(&data).unwrap();
            }
        }
    };
    let first = next_event().await;
    let item = t
        .arrive("resident20", "Croydon clocktower chimes at 3am")
        .await;
    let mut latest = next_event().await;
    while latest["item"].as_i64().unwrap() < item.id {
        latest = next_event().await;
    }
    assert!(latest["item"].as_i64().unwrap() > first["item"].as_i64().unwrap());
    // The rows the script then fetches include it.
    let rows = sam.get("/inbox/rows").await.text().await.unwrap();
    assert!(rows.contains(&format!("data-id=\"{}\"", item.id)));
    // Shutting down ends the stream instead of hanging on it.
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn an_event_stream_ends_with_its_session(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let sam = t.login("sam").await;
    let mut response = open_events(&sam).await;
    let first = tokio::time::timeout(Duration::from_secs(20), response.chunk())
        .await
        .unwrap()
        .unwrap();
    assert!(first.is_some(), "the current marks come first");
    assert_eq!(
        sam.post("/logout", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    // The logout itself is a change (an audit entry): the check before the
    // next event ends the stream.
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while response.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends after the session does");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn hostile_post_text_is_stored_intact_and_served_escaped(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let hostile = "Croydon <script>alert(1)</script> <img src=x onerror=\"alert(2)\"> \
                   \u{202E}evil\u{202C} zero\u{200B}width &amp; \"quotes\"";
    let item = t.arrive("resident21", hostile).await;
    assert_eq!(item.post.text, hostile, "stored byte for byte");
    let sam = t.login("sam").await;
    for path in [
        "/".to_owned(),
        format!("/items/{}", item.id),
        "/inbox/rows".to_owned(),
    ] {
        let html = sam.get(&path).await.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}: shown as text"
        );
        assert!(
            html.contains("\u{202E}evil\u{202C}"),
            "{path}: kept, isolated by CSS"
        );
        assert!(html.contains("&#38;amp;"), "{path}: entities escaped again");
    }
    // A huge post is stored whole and shown cut in the list.
    let huge = format!("Croydon {}", "a".repeat(200_000));
    let big = t.arrive("resident22", &huge).await;
    assert_eq!(
        t.store.item(big.id).await.unwrap().post.text.len(),
        huge.len()
    );
    let html = sam.get("/").await.text().await.unwrap();
    assert!(
        html.len() < 200_000,
        "the list shows a prefix: {} bytes",
        html.len()
    );
    let html = sam
        .get(&format!("/items/{}", big.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.len() > 200_000, "the item page shows it all");
    t.stop().await;
}
