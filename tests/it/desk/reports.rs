//! The Reports page over HTTP: who may see it, the period in its query
//! string, and each table as a CSV download that a real CSV reader reads
//! back as the page shows it.

use placewatch::domain::triage::{Action, Assignee, ItemChange};
use placewatch::store::NewReferral;

use super::DeskTest;

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn reports_are_for_approvers_and_admins(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    for (who, status) in [("vic", 403), ("sam", 403), ("priya", 200), ("alex", 200)] {
        let officer = t.login(who).await;
        let r = officer.get("/reports").await;
        assert_eq!(r.status(), status, "{who}");
        let inbox = officer.get("/").await.text().await.unwrap();
        assert_eq!(
            inbox.contains("<a href=\"/reports\">Reports</a>"),
            status == 200,
            "{who}'s navigation"
        );
        let csv = officer
            .get("/reports.csv?table=volume-by-place&period=last7")
            .await;
        assert_eq!(csv.status(), status, "{who}'s download");
    }
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn each_table_downloads_as_the_csv_of_its_period(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    // The simulator's backlog: a day of posts, filed by the daemon.
    t.arrive("ada", "Bins not collected in Croydon again").await;
    let priya = t.login("priya").await;
    let html = priya
        .get("/reports?period=last7")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<h2 id=\"volume-heading\">Volume</h2>"),
        "{html}"
    );
    assert!(html.contains("Durations are counted in office hours"));
    let wall = priya
        .get("/reports?period=last7&clock=wall_clock")
        .await
        .text()
        .await
        .unwrap();
    assert!(wall.contains("Durations are counted in wall-clock time"));
    assert!(
        wall.contains("/reports.csv?table=volume-by-place&#38;period=last7&#38;clock=wall_clock")
    );
    let r = priya
        .get("/reports.csv?table=volume-by-place&period=last7")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let body = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(reader.headers().unwrap().get(0), Some("Place"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let croydon = rows
        .iter()
        .find(|r| &r[0] == "Croydon")
        .unwrap_or_else(|| panic!("Croydon in {body}"));
    let n: u64 = croydon[1].parse().unwrap();
    assert!(n >= 1, "{body}");
    for bad in [
        "/reports.csv?table=nothing&period=last7",
        "/reports?period=fortnight",
        "/reports?period=custom&from=2026-11-30&to=2026-11-01",
    ] {
        let status = priya.get(bad).await.status();
        assert!(status == 404 || status == 400, "{bad}: {status}");
    }
    t.stop().await;
}

/// Every count on the Reports page that links to the items behind it:
/// (the link's query string, the count), as the page shows them.
fn counted_links(html: &str) -> Vec<(String, u64)> {
    let mut links = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<a href=\"/?") {
        rest = &rest[start + "<a href=\"/?".len()..];
        let (query, after) = rest.split_once("\">").expect("a link's end");
        let (text, after) = after.split_once("</a>").expect("a link's text");
        if let Ok(n) = text.parse() {
            links.push((query.replace("&#38;", "&"), n));
        }
        rest = after;
    }
    links
}

#[apply(engines)]
#[tokio::test]
async fn every_count_on_the_page_lists_as_many_items_behind_its_link(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(
        engine,
        r#"
[[teams]]
name = "Streets"
emails = ["streets@croydon.example"]
members = ["sam"]

[[teams]]
name = "CleanCo street cleansing"
emails = ["reports@cleanco.example"]
"#,
    )
    .await
    else {
        return;
    };
    let bins = t.arrive("ada", "Bins not collected in Croydon again").await;
    let tipping = t
        .arrive("bo", "Fly-tipping on Surrey Street, Croydon")
        .await;
    let sunny = t.arrive("cy", "Lovely day in Purley").await;
    let streets = t
        .store
        .teams()
        .await
        .unwrap()
        .into_iter()
        .find(|team| team.name == "Streets")
        .unwrap();
    // Given to Streets, then referred to the contractor: the contractor's now.
    t.store
        .apply_change(
            &[tipping.id],
            &ItemChange::Assign(Assignee::Team {
                id: streets.id,
                members: vec!["sam".into()],
            }),
            "sam",
            None,
        )
        .await
        .unwrap();
    for (item, team) in [(&tipping, "CleanCo street cleansing"), (&bins, "Streets")] {
        t.store
            .refer(&NewReferral {
                item_id: item.id,
                team,
                reason: "For the crews",
                officer: "sam",
                message_domain: "croydon.example",
            })
            .await
            .unwrap();
    }
    let tipping = t.store.item(tipping.id).await.unwrap();
    assert_eq!(tipping.team.as_deref(), Some("CleanCo street cleansing"));
    t.store
        .transition(sunny.id, Action::Dismiss, "sam")
        .await
        .unwrap();

    let priya = t.login("priya").await;
    for clock in ["office_hours", "wall_clock"] {
        let html = priya
            .get(&format!("/reports?period=last7&clock={clock}"))
            .await
            .text()
            .await
            .unwrap();
        let links = counted_links(&html);
        for wanted in [
            "status=referred&from=",
            "status=dismissed&from=",
            "&team=CleanCo+street+cleansing",
            "&team=Streets",
        ] {
            assert!(
                links.iter().any(|(q, _)| q.contains(wanted)),
                "a link with {wanted} in {links:?}"
            );
        }
        for (query, n) in links {
            let body = priya
                .get(&format!("/inbox.csv?{query}"))
                .await
                .text()
                .await
                .unwrap();
            let rows = csv::Reader::from_reader(body.as_bytes()).records().count() as u64;
            assert_eq!(rows, n, "the items behind /?{query}");
        }
    }
    t.stop().await;
}
