//! Bulk actions in the browser: everything a view of more than 50 items
//! holds assigned at once after a confirmation in the page (and without the
//! script, on a page that asks), accessible in light and dark; and a bulk
//! action undone from its notice, the item's history keeping both.

use fantoccini::key::Key;
use serde_json::json;

use crate::accessibility::violations;
use crate::harness::{Demo, Needs, POLL_WAIT};
use crate::page::{Browser, grouped};

/// The view this test works on: the open items at Croydon, which the
/// demo's backlog fills with hundreds.
const VIEW: &str = "/?place=Croydon";

/// How many items the current view holds, as the bulk bar offers them.
async fn view_count(b: &Browser) -> u64 {
    b.js("return Number(document.querySelector('#bulk-scope option[value=view]').dataset.count)")
        .await
        .as_u64()
        .unwrap()
}

/// Waits until every monitor of the demo has finished its first cycle
/// (`/healthz` gives each a `since_id`): the backlog is filed, and with no
/// live stream no item arrives after, so a view's count holds still.
async fn backlog_filed(demo: &Demo) {
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + POLL_WAIT;
    loop {
        let health: serde_json::Value = http
            .get(format!("{}/healthz", demo.monitoring))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let monitors = health["monitors"].as_object().cloned().unwrap_or_default();
        if !monitors.is_empty() && monitors.values().all(|m| !m["since_id"].is_null()) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backlog was not filed within {POLL_WAIT:?}: {health}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Opens `VIEW` once the backlog is filed: it holds more than 50 items.
async fn a_view_of_more_than_50(demo: &Demo, b: &Browser) -> u64 {
    backlog_filed(demo).await;
    b.goto(VIEW).await;
    let n = view_count(b).await;
    assert!(n > 50, "the demo's open items at Croydon: {n}");
    n
}

#[tokio::test]
async fn a_bulk_assign_of_a_whole_view_asks_in_the_page_first() {
    let Some(mut demo) = Demo::start(Needs::Axe).await else {
        return;
    };
    let axe = demo.axe_source();
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    let count = a_view_of_more_than_50(&demo, &sam).await;
    let n = grouped(count);
    let mut report = String::new();

    // Without the script's question, the server asks with a page of its own.
    sam.js("const f = document.getElementById('bulk');
         f.querySelector('#bulk-scope').value = 'view';
         f.querySelector('#bulk-action').value = 'assign';
         f.querySelector('#bulk-owner').value = 'priya';
         f.submit();")
        .await;
    sam.wait_for(
        "the page that asks",
        &format!(
            "return document.querySelector('h1')?.textContent === 'Assign {n} items to Priya Shah?'"
        ),
    )
    .await;
    report += &violations(&sam, &axe, "bulk confirmation page").await;
    sam.find(".confirm a").await.click().await.unwrap(); // Cancel
    sam.wait_for(
        "Cancel to lead back to the view",
        "return document.getElementById('bulk') !== null && location.search === '?place=Croydon'",
    )
    .await;
    assert_eq!(
        sam.js("return document.querySelector('#items li.item .owner')?.textContent.includes('priya') ?? false")
            .await,
        json!(false),
        "nothing assigned yet"
    );

    // Shift+A ticks the page; the bar offers the whole view.
    sam.js("document.querySelector('#items > li.item a.open').focus()")
        .await;
    sam.press_shifted('A').await;
    sam.wait_for(
        "every row ticked and the whole view offered",
        "return document.querySelectorAll('#items input.pick:checked').length === document.querySelectorAll('#items input.pick').length
             && !document.getElementById('whole-view').hidden",
    )
    .await;
    sam.find("#whole-view button").await.click().await.unwrap();
    assert_eq!(
        sam.js("return document.getElementById('bulk-scope').value")
            .await,
        json!("view")
    );
    // a: assign, with the focus in the box that finds the officer or team.
    sam.js("document.querySelector('#items > li.item a.open').focus()")
        .await;
    sam.press(&['a']).await;
    sam.wait_for(
        "the picker's box to have the focus",
        "return document.activeElement?.id === 'bulk-owner-filter'",
    )
    .await;
    sam.type_text("priya").await;
    sam.wait_for(
        "Priya chosen as she is typed",
        "return document.getElementById('bulk-owner').value === 'priya'",
    )
    .await;
    sam.mark_page().await;
    sam.find("#bulk button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let question = format!("Assign {n} items to Priya Shah?");
    sam.wait_for(
        "the question in the page",
        &format!(
            "return document.getElementById('bulk-confirm').open
                 && document.getElementById('bulk-confirm-title').textContent === {}
                 && document.activeElement?.textContent === 'Assign {n} items'",
            json!(question)
        ),
    )
    .await;
    sam.assert_not_reloaded().await;
    report += &violations(&sam, &axe, "bulk confirmation dialog").await;
    sam.emulate(1366, 900, true).await;
    report += &violations(&sam, &axe, "bulk confirmation dialog, dark").await;
    sam.emulate(390, 844, true).await;
    report += &violations(&sam, &axe, "bulk confirmation dialog on a phone, dark").await;
    sam.emulate(1366, 900, false).await;
    assert!(report.is_empty(), "axe found violations:\n{report}");

    // Esc cancels; Apply asks again; the button assigns them all.
    sam.press(&[char::from(Key::Escape)]).await;
    sam.wait_for(
        "Esc to close the question, back on Apply",
        "return !document.getElementById('bulk-confirm').open
             && document.activeElement === document.querySelector('#bulk button[type=submit]')",
    )
    .await;
    sam.find("#bulk button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the question again",
        "return document.getElementById('bulk-confirm').open",
    )
    .await;
    sam.find("#bulk-confirm [data-confirm]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the notice with Undo",
        &format!(
            "return document.querySelector('.flash')?.textContent.startsWith('Assigned {n} items to Priya Shah.')
                 && document.querySelector('.flash form[data-undo]') !== null"
        ),
    )
    .await;
    sam.goto("/?place=Croydon&owner=priya").await;
    assert_eq!(
        view_count(&sam).await,
        count,
        "every item of the view is Priya's"
    );
    demo.stop().await;
}

#[tokio::test]
async fn a_bulk_action_is_undone_from_its_notice_and_the_history_keeps_both() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    backlog_filed(&demo).await;
    sam.goto("/?status=new&sort=newest").await;
    let ids = sam
        .js("return Array.from(document.querySelectorAll('#items > li.item')).slice(0, 3).map(li => li.dataset.id)")
        .await;
    let ids: Vec<String> = serde_json::from_value(ids).unwrap();
    // x ticks the selected row; three rows ticked with j and x.
    sam.js("document.querySelector('#items > li.item a.open').focus()")
        .await;
    sam.press(&['x', 'j', 'x', 'j', 'x']).await;
    sam.wait_for(
        "three rows ticked and the bar's controls shown",
        "return document.querySelectorAll('#items input.pick:checked').length === 3
             && !document.querySelector('#bulk .bulk-controls').hidden
             && document.querySelector('#bulk-scope option[value=ticked]').textContent === '3 ticked items'",
    )
    .await;
    // t: a tag, typed where the focus lands.
    sam.press(&['t']).await;
    sam.wait_for(
        "the tag field to have the focus",
        "return document.activeElement?.id === 'bulk-tag'",
    )
    .await;
    sam.type_text("potholes").await;
    sam.press(&[char::from(Key::Enter)]).await;
    sam.wait_for(
        "the bulk tag's notice with Undo",
        "return document.querySelector('.flash')?.textContent.startsWith('Added the tag potholes to 3 items.')
             && document.querySelector('.flash form[data-undo]') !== null",
    )
    .await;
    for id in &ids {
        assert_eq!(
            sam.js(&format!(
                "return Array.from(document.querySelectorAll('#items > li[data-id=\"{id}\"] .badges .tag'))
                     .some(t => t.textContent === '#potholes')"
            ))
            .await,
            json!(true)
        );
    }
    sam.press(&['z']).await;
    sam.wait_for(
        "z to undo the whole bulk action",
        "return document.querySelector('.flash')?.textContent.startsWith('Undone: 3 items back as they were.')",
    )
    .await;
    for id in &ids {
        sam.goto(&format!("/items/{id}")).await;
        let history = sam.text(".history").await;
        assert!(
            history.contains("sam added the tag potholes — bulk action on 3 items"),
            "{history}"
        );
        assert!(history.contains("sam undid “added a tag”"), "{history}");
        assert_eq!(
            sam.js("return Array.from(document.querySelectorAll('.about dt')).find(dt => dt.textContent === 'Tags')
                        .nextElementSibling.textContent.includes('potholes')")
                .await,
            json!(false),
            "item {id} is as it was"
        );
    }
    demo.stop().await;
}
