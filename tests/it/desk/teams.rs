//! The teams page: every officer sees who items can be handed to.

use reqwest::StatusCode;

use super::DeskTest;

const TEAMS: &str = r#"
[[teams]]
name = "Streets <team>"
emails = ["streets@croydon.example"]
members = ["sam", "dana"]
teams_webhook_env = "STREETS_TEAMS_WEBHOOK"

[[teams]]
name = "CleanCo street cleansing"
emails = ["reports@cleanco.example", "ops@cleanco.example"]
members = []
"#;

#[tokio::test]
async fn every_officer_sees_the_teams_and_where_referrals_go() {
    let t = DeskTest::start_with(TEAMS).await;
    let vic = t.login("vic").await;
    let r = vic.get("/teams").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<bdi>Streets &#60;team&#62;</bdi>"), "{html}");
    assert!(html.contains(">CleanCo street cleansing</bdi>"), "{html}");
    assert!(html.contains("none (an outside contact)"), "{html}");
    assert!(html.contains("<a href=\"mailto:ops@cleanco.example\">ops@cleanco.example</a>"));
    // Members by username's order: an officer by name, one who is not an
    // officer yet by username.
    let officers = t.store.officers().await.unwrap();
    let sam = officers.iter().find(|o| o.username == "sam").unwrap();
    assert!(
        html.contains(&format!("<bdi>dana</bdi>, <bdi>{}</bdi>", sam.display_name)),
        "{html}"
    );
    assert!(html.contains("email, Microsoft Teams"), "{html}");
    assert!(html.contains("aria-current=\"page\">Teams</a>"), "{html}");
    t.stop().await;
}
