//! The Reports page in Chromium: reached from the navigation by an
//! approver (not by a viewer), each period chosen through its GET form, a
//! chart beside its table, a count that leads to the inbox's drill-down
//! listing exactly that many items, and axe-core at WCAG 2.2 AA in light,
//! dark and on a phone.

use serde_json::json;

use crate::accessibility::violations;
use crate::harness::{Demo, Needs};
use crate::page::Browser;

/// The overall speed table's caption, items answered and median first response.
const SPEED: &str = "const t = document.getElementById('speed-overall');
    const cells = [...t.querySelectorAll('tbody td')].map(c => c.textContent.trim());
    return {caption: t.querySelector('caption').textContent, answered: cells[0], median: cells[1]};";

/// Chooses `period` in the picker (setting `fields` first) and shows it.
async fn choose(b: &Browser, period: &str, fields: &[(&str, &str)]) {
    for (id, value) in fields {
        b.js_with(
            "document.getElementById(arguments[0]).value = arguments[1]",
            vec![json!(id), json!(value)],
        )
        .await;
    }
    b.find(&format!(".period-picker input[value='{period}']"))
        .await
        .click()
        .await
        .unwrap();
    b.find(".period-picker button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for(
        &format!("the report of {period}"),
        &format!("return location.search.includes('period={period}') && document.querySelector('.report-period') !== null"),
    )
    .await;
}

#[tokio::test]
async fn the_reports_page_shows_each_period_and_leads_to_the_items() {
    let Some(mut demo) = Demo::start_with_history(Needs::Axe).await else {
        return;
    };
    let axe = demo.axe_source();
    let mut report = String::new();

    // A viewer has no Reports link and is refused the page.
    let vic = demo.login("vic").await;
    assert_eq!(
        vic.js("return document.querySelector(\"nav a[href='/reports']\") === null")
            .await,
        json!(true)
    );
    vic.goto("/reports").await;
    vic.wait_for("the 403 page", "return document.title.startsWith('403')")
        .await;

    let priya = demo.login("priya").await;
    priya
        .find("nav a[href='/reports']")
        .await
        .click()
        .await
        .unwrap();
    priya
        .wait_for(
            "the reports page",
            "return location.pathname === '/reports' && document.querySelector('#volume') !== null",
        )
        .await;
    report += &violations(&priya, &axe, "reports, the last 7 days").await;

    // Each period, as the form asks for it.
    let month = priya
        .js("return document.querySelector('#report-month option').value")
        .await;
    let month = month.as_str().unwrap().to_owned();
    let today = priya
        .js("return document.getElementById('report-to').value")
        .await;
    let today = today.as_str().unwrap().to_owned();
    choose(&priya, "last30", &[]).await;
    let days = priya
        .js("return document.querySelectorAll('#volume-per-day tbody tr').length")
        .await;
    assert_eq!(days, json!(30), "30 days, one row each");
    choose(&priya, "month", &[("report-month", &month)]).await;
    assert!(priya.path().await.contains(&format!("month={month}")));
    choose(
        &priya,
        "custom",
        &[("report-from", &today), ("report-to", &today)],
    )
    .await;
    let days = priya
        .js("return document.querySelectorAll('#volume-per-day tbody tr').length")
        .await;
    assert_eq!(days, json!(1), "one day");
    choose(&priya, "last7", &[]).await;
    assert_eq!(
        priya
            .js("return document.querySelectorAll('#volume-per-day tbody tr').length")
            .await,
        json!(7)
    );

    // The seeded week's speed, in office hours, then in wall-clock time:
    // the same items answered, the table headed by the clock it counts in,
    // and a median that counts the closed hours too.
    let office = priya.js(SPEED).await;
    assert!(
        office["caption"]
            .as_str()
            .unwrap()
            .ends_with("(office hours)"),
        "{office}"
    );
    assert_ne!(
        office["answered"],
        json!("0"),
        "the demo's officers answered: {office}"
    );
    priya
        .find(".period-picker input[value='wall_clock']")
        .await
        .click()
        .await
        .unwrap();
    priya
        .find(".period-picker button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    priya
        .wait_for(
            "the wall-clock report",
            "return location.search.includes('clock=wall_clock') && document.querySelector('.report-period').textContent.includes('wall-clock')",
        )
        .await;
    let wall = priya.js(SPEED).await;
    assert!(
        wall["caption"]
            .as_str()
            .unwrap()
            .ends_with("(wall-clock time)"),
        "{wall}"
    );
    assert_eq!(wall["answered"], office["answered"]);
    assert_ne!(
        wall["median"], office["median"],
        "closed hours count on the wall clock"
    );
    report += &violations(&priya, &axe, "reports in wall-clock time").await;

    // A chart and its table say the same: the chart's title is the table's
    // caption, and it draws a bar per place row (at most 15).
    let figure = priya
        .js("const f = document.getElementById('volume-by-place');
             return {
               title: f.querySelector('svg.chart title').textContent,
               caption: f.querySelector('caption').textContent,
               bars: f.querySelectorAll('svg.chart rect[fill=\"#1D4ED8\"]').length,
               rows: f.querySelectorAll('tbody tr').length,
               labelled: f.querySelector('svg.chart').getAttribute('aria-labelledby'),
             }")
        .await;
    assert_eq!(figure["title"], figure["caption"], "{figure}");
    let rows = figure["rows"].as_u64().unwrap();
    assert!(rows > 0, "the demo's backlog names places: {figure}");
    assert_eq!(figure["bars"].as_u64().unwrap(), rows.min(15), "{figure}");
    assert_eq!(
        figure["labelled"],
        json!("chart-volume-by-place-title chart-volume-by-place-desc")
    );

    // The busiest place's count leads to exactly its items in the inbox.
    let link = priya
        .js(
            "const a = document.querySelector('#volume-by-place tbody a');
             return {n: a.textContent, href: a.getAttribute('href')};",
        )
        .await;
    let n = link["n"].as_str().unwrap().replace(',', "");
    let href = link["href"].as_str().unwrap().to_owned();
    assert!(
        href.starts_with("/?status=all&from=") && href.contains("&place="),
        "{href}"
    );
    priya
        .find("#volume-by-place tbody a")
        .await
        .click()
        .await
        .unwrap();
    priya
        .wait_for(
            "the drill-down",
            "return location.pathname === '/' && document.querySelector('.chips') !== null",
        )
        .await;
    let listed = priya
        .text(".tabs a[aria-current=page] .count")
        .await
        .replace(',', "");
    assert_eq!(listed, n, "the inbox lists the items the report counted");
    // The drill-down's filters, as chips: the place and the period's days.
    let chips = priya
        .js("return [...document.querySelectorAll('.chips li')].map(l => l.textContent.trim())")
        .await;
    let chips: Vec<String> = serde_json::from_value(chips).unwrap();
    assert!(chips.iter().any(|c| c.starts_with("Place: ")), "{chips:?}");
    assert!(chips.iter().any(|c| c.starts_with("Posted ")), "{chips:?}");

    // Dark, and on a phone.
    priya.emulate(1366, 900, true).await;
    priya.goto("/reports?period=last30").await;
    report += &violations(&priya, &axe, "reports, dark").await;
    priya.emulate(390, 844, false).await;
    priya.goto("/reports?period=last30").await;
    report += &violations(&priya, &axe, "reports on a phone").await;
    let overflow = priya
        .js("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(overflow, json!(false), "nothing wider than a phone");
    priya.emulate(390, 844, true).await;
    priya.goto("/reports?period=last7").await;
    report += &violations(&priya, &axe, "reports on a phone, dark").await;

    assert!(report.is_empty(), "axe found violations:{report}");
    demo.stop().await;
}
