//! The status page in a browser: each query under its place names with the
//! X query behind a disclosure, times in the browser's own zone that stay
//! current, readable at 1366 × 900 and on a phone, light and dark.

use serde_json::{Value, json};

use crate::harness::{Demo, Needs, POLL_WAIT};
use crate::page::Browser;

/// What the page shows of each query: its name, whether its disclosure is
/// open, and the text of its facts' times.
async fn monitors(b: &Browser) -> Vec<Value> {
    let v = b
        .js(
            r#"return Array.from(document.querySelectorAll('li.monitor')).map(li => ({
                name: li.querySelector('h3').textContent,
                open: li.querySelector('details')?.open ?? null,
                times: Array.from(li.querySelectorAll('.facts time')).map(t => t.textContent),
                columns: getComputedStyle(li.querySelector('.facts')).gridTemplateColumns.split(' ').length,
                bottom: li.getBoundingClientRect().bottom,
            }))"#,
        )
        .await;
    v.as_array().unwrap().clone()
}

const NO_SIDEWAYS_SCROLL: &str = "return document.documentElement.scrollWidth <= window.innerWidth";

#[tokio::test]
async fn the_status_page_reads_at_a_desk_and_on_a_phone() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.time_zone("Europe/London").await;
    sam.emulate(1366, 900, false).await;
    sam.goto("/status").await;
    // The page fetches its live parts again every 10 s: every query's rate
    // limit arrives once the daemon has polled it.
    sam.wait_for_at_most(
        POLL_WAIT,
        "the daemon's rate limits on every query",
        "const facts = Array.from(document.querySelectorAll('.facts'));
         return facts.length >= 3 && facts.every(f => / requests left, resets in /.test(f.textContent))",
    )
    .await;
    let all = monitors(&sam).await;
    let names: Vec<&str> = all.iter().map(|m| m["name"].as_str().unwrap()).collect();
    // The reference config's searches (as many as the packer makes), then
    // the mentions timeline.
    let (mentions, searches) = names.split_last().unwrap();
    assert!(searches.len() >= 2, "{all:?}");
    assert!(
        searches.iter().all(|n| n.ends_with(" more")),
        "the searches under their first place names: {names:?}"
    );
    assert_eq!(*mentions, "Mentions of @yourcroydon");
    assert!(
        all.iter().all(|m| m["open"] != json!(true)),
        "queries folded: {all:?}"
    );
    // Every query's facts in view at 1366 × 900, one row of facts each.
    for m in &all {
        assert!(m["bottom"].as_f64().unwrap() <= 900.0, "in view: {m}");
        assert_eq!(m["columns"], json!(6), "{m}");
    }
    assert_eq!(sam.js(NO_SIDEWAYS_SCROLL).await, json!(true));

    // The times read in the browser's zone, relative, and stay current.
    let times = sam
        .wait_for(
            "the times in local time",
            "const t = Array.from(document.querySelectorAll('time[data-when]')).map(t => t.textContent);
             return t.length > 0 && t.every(s => /(GMT|BST)\\)$/.test(s)) && t",
        )
        .await;
    for t in times.as_array().unwrap() {
        let t = t.as_str().unwrap();
        assert!(
            t.starts_with("in ")
                || t.contains(" ago (")
                || t.starts_with("due now")
                || t.starts_with("now")
                || t.starts_with("just now"),
            "{t}"
        );
    }
    let last_poll = "return document.querySelector('.facts time').textContent";
    let before = sam.js(last_poll).await;
    sam.wait_for(
        "the last poll's time to move on",
        &format!("return document.querySelector('.facts time').textContent !== {before}"),
    )
    .await;

    // The disclosure holds every place name and the X query.
    sam.find("li.monitor details summary")
        .await
        .click()
        .await
        .unwrap();
    let shown = sam
        .js("const d = document.querySelector('li.monitor details');
             return {open: d.open, query: d.querySelector('pre.query').getBoundingClientRect().height > 0,
                     text: d.querySelector('pre.query').textContent}")
        .await;
    assert_eq!(shown["open"], json!(true));
    assert_eq!(shown["query"], json!(true));
    assert!(
        shown["text"].as_str().unwrap().starts_with("(Croydon OR "),
        "{shown}"
    );
    assert_eq!(sam.js(NO_SIDEWAYS_SCROLL).await, json!(true));

    // A phone: two columns of facts, nothing wider than the screen, and the
    // spending table within it too.
    sam.emulate(390, 844, false).await;
    sam.goto("/status").await;
    sam.find("li.monitor").await;
    for m in monitors(&sam).await {
        assert_eq!(m["columns"], json!(2), "{m}");
    }
    let layout = sam
        .js("return {
                 scroll: document.documentElement.scrollWidth <= window.innerWidth,
                 table: document.querySelector('table.spend').getBoundingClientRect().right <= window.innerWidth,
             }")
        .await;
    assert_eq!(layout, json!({"scroll": true, "table": true}));

    // Dark: the page follows the colour scheme.
    sam.emulate(390, 844, true).await;
    sam.goto("/status").await;
    assert_eq!(
        sam.js(
            "return [getComputedStyle(document.documentElement).backgroundColor,
                        getComputedStyle(document.querySelector('li.monitor')).borderTopColor]"
        )
        .await,
        json!(["rgb(21, 22, 26)", "rgb(124, 129, 140)"]),
        "the dark scheme's paper and lines"
    );
    demo.stop().await;
}
