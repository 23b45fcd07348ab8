//! The Reports page over HTTP: who may see it, the period in its query
//! string, and each table as a CSV download that a real CSV reader reads
//! back as the page shows it.

use super::DeskTest;

#[tokio::test]
async fn reports_are_for_approvers_and_admins() {
    let t = DeskTest::start().await;
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

#[tokio::test]
async fn each_table_downloads_as_the_csv_of_its_period() {
    let t = DeskTest::start().await;
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
