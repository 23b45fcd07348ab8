//! Saved views: a named filter and order, an officer's own or shared; "Mine"
//! built in (the open queue is the first status tab).

use reqwest::StatusCode;

use super::{DeskTest, flash, location};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn officers_save_views_for_themselves_or_everyone(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let (sam, priya) = (t.login("sam").await, t.login("priya").await);
    let html = sam.get("/").await.text().await.unwrap();
    assert!(html.contains("<a href=\"/?owner=me\">Mine</a>"), "{html}");

    // Saved as the inbox writes it (the order of parameters, no page or item).
    let r = sam
        .post(
            "/views",
            &[
                ("name", "Purley, new"),
                ("query", "place=Purley&status=new&before=3&item=9"),
            ],
        )
        .await;
    assert_eq!(
        location(&r).split("&done=").next(),
        Some("/?status=new&place=Purley")
    );
    assert_eq!(flash(&r), "View \"Purley, new\" saved.");
    let html = sam
        .get("/?status=new&place=Purley")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            "<a href=\"/?status=new&#38;place=Purley\" aria-current=\"page\">Purley, new</a>"
        ),
        "{html}"
    );
    let other = priya.get("/").await.text().await.unwrap();
    assert!(
        !other.contains("Purley, new"),
        "personal views are personal"
    );

    // Shared views show to everyone, with whose they are.
    sam.post(
        "/views",
        &[
            ("name", "Urgent"),
            ("query", "priority=urgent"),
            ("shared", "1"),
        ],
    )
    .await;
    let other = priya.get("/").await.text().await.unwrap();
    assert!(
        other.contains(">Urgent</a> <span class=\"hint\">(shared by sam)</span>"),
        "{other}"
    );

    // Only the owner deletes; nonsense is refused.
    let html = sam.get("/").await.text().await.unwrap();
    let id = html
        .split("action=\"/views/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_owned();
    let r = priya.post(&format!("/views/{id}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = sam.post(&format!("/views/{id}/delete"), &[]).await;
    assert_eq!(flash(&r), "View deleted.");
    let r = sam.post("/views", &[("name", " "), ("query", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = sam
        .post("/views", &[("name", "Odd"), ("query", "status=sideways")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    t.stop().await;
}
