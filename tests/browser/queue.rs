//! The queue as an officer works it: the open items, most urgent and longest
//! waiting first, a dense list with the chosen item beside it (the address
//! following the choice through back, forward and reload), one column on a
//! phone, and the dark colour scheme.

use serde_json::{Value, json};

use crate::harness::{Demo, Needs, POLL_WAIT};
use crate::page::Browser;

/// Each row's id, priority and when its post was written, in list order.
async fn queue(b: &Browser) -> Vec<Value> {
    let v = b
        .js(
            r#"return Array.from(document.querySelectorAll('#items > li.item')).map(li => ({
            id: li.dataset.id,
            priority: (li.className.match(/priority-([a-z]+)/) || [])[1],
            posted: li.querySelector('time').getAttribute('datetime'),
            waiting: li.querySelector('.wait') !== null,
        }))"#,
        )
        .await;
    v.as_array().unwrap().clone()
}

/// Rows wholly inside the viewport.
async fn rows_in_view(b: &Browser) -> u64 {
    b.js(
        "return Array.from(document.querySelectorAll('#items > li.item')).filter(li => {
             const r = li.getBoundingClientRect();
             return r.top >= 0 && r.bottom <= window.innerHeight;
         }).length",
    )
    .await
    .as_u64()
    .unwrap()
}

/// Waits until the pane beside the list shows item `id` and the address names it.
async fn wait_for_pane(b: &Browser, id: &str, after: &str) {
    b.wait_for(
        &format!("item {id} beside the list after {after}"),
        &format!(
            "return document.querySelector('#pane .item-page')?.dataset.itemId === '{id}'
                 && new URLSearchParams(location.search).get('item') === '{id}'
                 && document.querySelector('#items > li.item[aria-current=true]')?.dataset.id === '{id}'"
        ),
    )
    .await;
}

fn rank(priority: &str) -> u8 {
    match priority {
        "urgent" => 0,
        "high" => 1,
        "normal" => 2,
        _ => 3,
    }
}

#[tokio::test]
async fn the_open_queue_sits_beside_the_chosen_item_and_the_address_follows() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    sam.goto("/").await;

    // The open items, most urgent first, then the longest waiting.
    let rows = queue(&sam).await;
    assert!(rows.len() >= 12, "a page of open items: {}", rows.len());
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (ra, rb) = (
            rank(a["priority"].as_str().unwrap()),
            rank(b["priority"].as_str().unwrap()),
        );
        assert!(ra <= rb, "priority order: {a} before {b}");
        if ra == rb {
            assert!(
                a["posted"].as_str() <= b["posted"].as_str(),
                "longest waiting first within a priority: {a} before {b}"
            );
        }
        assert_eq!(a["waiting"], json!(true), "open items show their wait");
    }
    assert!(
        rows_in_view(&sam).await >= 12,
        "at least 12 items in view at 1366×900"
    );

    // Choosing rows opens each beside the list, without leaving it.
    sam.mark_page().await;
    let (first, third) = (
        rows[0]["id"].as_str().unwrap().to_owned(),
        rows[2]["id"].as_str().unwrap().to_owned(),
    );
    for id in [&first, &third] {
        sam.find(&format!("#items > li[data-id='{id}'] a.open"))
            .await
            .click()
            .await
            .unwrap();
        wait_for_pane(&sam, id, "a click").await;
    }
    assert!(
        rows_in_view(&sam).await >= 12,
        "the list stays in view beside the item"
    );
    sam.js("history.back()").await;
    wait_for_pane(&sam, &first, "back").await;
    sam.js("history.back()").await;
    sam.wait_for(
        "the pane to empty after going back to the plain list",
        "return document.querySelector('#pane .item-page') === null
             && !location.search.includes('item=')",
    )
    .await;
    sam.js("history.forward()").await;
    wait_for_pane(&sam, &first, "forward").await;
    sam.assert_not_reloaded().await;

    // A reload, or the address pasted elsewhere, shows the same.
    let address = sam.js("return location.pathname + location.search").await;
    let other = demo.login("priya").await;
    other.emulate(1366, 900, false).await;
    for b in [&sam, &other] {
        b.goto(address.as_str().unwrap()).await;
        wait_for_pane(b, &first, "loading the address").await;
    }

    // An action in the pane comes back to the same split view.
    sam.find("#pane .actions button[data-action=claim]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the claim to come back to the split view",
        "return document.querySelector('.flash')?.textContent.includes('claimed (now in progress)')
             && document.querySelector('#pane .status-label')?.textContent === 'in progress'",
    )
    .await;
    wait_for_pane(&sam, &first, "claiming").await;
    demo.stop().await;
}

#[tokio::test]
async fn on_a_phone_the_list_and_the_item_take_the_screen_in_turn() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.emulate(390, 844, false).await;
    sam.goto("/").await;
    sam.wait_for(
        "the filters beyond search and order to fold",
        "return document.querySelector('form.filters.folded') !== null",
    )
    .await;
    let layout = sam
        .js("return {
                 pane: getComputedStyle(document.getElementById('pane')).display,
                 facets: getComputedStyle(document.getElementById('facets')).display,
                 button: document.getElementById('more-filters').getBoundingClientRect().width > 0,
                 scroll: document.documentElement.scrollWidth <= window.innerWidth,
             }")
        .await;
    assert_eq!(
        layout,
        json!({"pane": "none", "facets": "none", "button": true, "scroll": true}),
        "one column, filters folded behind a button, nothing wider than the screen"
    );
    let id = queue(&sam).await[0]["id"].as_str().unwrap().to_owned();
    sam.find(&format!("#items > li[data-id='{id}'] a.open"))
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the item full screen",
        &format!("return location.pathname === '/items/{id}'"),
    )
    .await;
    assert_eq!(
        sam.js("return document.documentElement.scrollWidth <= window.innerWidth")
            .await,
        json!(true)
    );
    demo.stop().await;
}

#[tokio::test]
async fn the_desk_follows_a_dark_colour_scheme() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    // Waited for, not read once: on a busy machine the emulated scheme can
    // reach the page a moment after it loaded.
    let background = |colour: &str| {
        format!("return getComputedStyle(document.documentElement).backgroundColor === '{colour}'")
    };
    sam.emulate(1366, 900, false).await;
    sam.goto("/").await;
    sam.wait_for("a white page", &background("rgb(255, 255, 255)"))
        .await;
    sam.emulate(1366, 900, true).await;
    sam.goto("/").await;
    sam.wait_for("a dark page", &background("rgb(21, 22, 26)"))
        .await;
    demo.stop().await;
}

#[tokio::test]
async fn the_manual_path_flips_to_replied_when_the_councils_reply_appears() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    // The open manual items (an item stays listed once in progress).
    sam.goto("/?path=manual").await;
    let id = queue(&sam).await[0]["id"].as_str().unwrap().to_owned();
    sam.goto(&format!("/?path=manual&item={id}")).await;
    wait_for_pane(&sam, &id, "a deep link").await;

    let text = "Thanks for letting us know, we have passed this to the parks team.";
    sam.find("#pane #reply-text")
        .await
        .send_keys(text)
        .await
        .unwrap();
    sam.find("#pane #send").await.click().await.unwrap();
    sam.wait_for(
        "the prepared reply beside the list",
        "return document.querySelector('#pane .reply-state')?.textContent === 'manual pending'
             && document.getElementById('open-in-x') !== null",
    )
    .await;
    wait_for_pane(&sam, &id, "preparing the reply").await;
    // "Open in X" (kept from leaving for x.com here) says what happens next.
    sam.js(
        "document.addEventListener('click', e => e.preventDefault(), {capture: true, once: true});
         document.getElementById('open-in-x').click();",
    )
    .await;
    sam.wait_for(
        "the item to say it waits for the reply in X",
        "return document.querySelector('#pane [data-waiting-manual]')?.textContent
             .startsWith('Waiting for your reply to appear in X')",
    )
    .await;
    sam.mark_page().await;

    // The officer posts it in X as the council; placewatch finds it.
    let target = sam
        .js("return document.querySelector('#pane .about a[href*=\"/status/\"]').href.split('/').pop()")
        .await;
    demo.inject(json!({"author": "yourcroydon", "text": text, "in_reply_to": target}))
        .await;
    sam.wait_for_at_most(
        POLL_WAIT,
        "the reply to be found in the council's timeline and linked",
        "return document.querySelector('#pane .reply-state')?.textContent === 'sent'
             && document.querySelector('#pane .replies a[href*=\"/status/\"]') !== null
             && document.querySelector('#pane .status-label')?.textContent === 'replied'",
    )
    .await;
    sam.assert_not_reloaded().await;
    demo.stop().await;
}

/// The status label of the row of item `id`.
async fn row_status(b: &Browser, id: &str) -> Value {
    b.js(&format!(
        "return document.querySelector('#items > li[data-id=\"{id}\"] .status-label')?.textContent ?? null"
    ))
    .await
}

#[tokio::test]
async fn a_dismiss_and_a_bulk_dismiss_are_undone_from_the_notice() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    sam.goto("/?status=all&sort=newest").await;
    let rows = queue(&sam).await;
    let ids: Vec<String> = rows[..3]
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    sam.mark_page().await;

    // A row's Dismiss, then Undo in the notice.
    sam.js(&format!(
        "document.querySelector('#items > li[data-id=\"{}\"] a.open').focus()",
        ids[0]
    ))
    .await;
    sam.press(&['d']).await;
    sam.wait_for(
        "the dismissal and its Undo",
        "return document.querySelector('#notice [data-undo-button]') !== null",
    )
    .await;
    assert_eq!(row_status(&sam, &ids[0]).await, json!("dismissed"));
    sam.find("#notice [data-undo-button]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the row to be back as it was",
        &format!(
            "return document.querySelector('#items > li[data-id=\"{}\"] .status-label')?.textContent === 'new'
                 && document.getElementById('notice').textContent.startsWith('Undone: 1 item')",
            ids[0]
        ),
    )
    .await;
    sam.assert_not_reloaded().await;

    // Two ticked and dismissed together; z undoes both.
    for id in &ids[1..] {
        sam.find(&format!("#pick-{id}"))
            .await
            .click()
            .await
            .unwrap();
    }
    sam.js("document.getElementById('bulk-action').value = 'dismiss'")
        .await;
    sam.find("#bulk button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the bulk dismissal's answer with Undo",
        "return document.querySelector('.flash form[data-undo]') !== null",
    )
    .await;
    for id in &ids[1..] {
        assert_eq!(row_status(&sam, id).await, json!("dismissed"));
    }
    sam.press(&['z']).await;
    sam.wait_for(
        "z to undo the bulk dismissal",
        "return document.querySelector('.flash')?.textContent.startsWith('Undone: 2 item')",
    )
    .await;
    for id in &ids[1..] {
        assert_eq!(row_status(&sam, id).await, json!("new"));
    }
    demo.stop().await;
}

#[tokio::test]
async fn a_saved_view_comes_back_from_the_list_of_views() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    sam.goto("/?status=new&sort=oldest_waiting").await;
    sam.find(".save-view summary").await.click().await.unwrap();
    sam.find("#view-name")
        .await
        .send_keys("New, longest waiting")
        .await
        .unwrap();
    sam.find(".save-view button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the saved view in the list, current",
        "return document.querySelector('.views a[aria-current=page]')?.textContent === 'New, longest waiting'",
    )
    .await;
    sam.goto("/").await;
    sam.client
        .find(fantoccini::Locator::LinkText("New, longest waiting"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the view's filter and order",
        "return location.search === '?status=new&sort=oldest_waiting'
             && document.getElementById('sort').value === 'oldest_waiting'",
    )
    .await;
    demo.stop().await;
}

#[tokio::test]
async fn a_colleague_replying_shows_on_the_row_and_the_item() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    let priya = demo.login("priya").await;
    for b in [&sam, &priya] {
        b.emulate(1366, 900, false).await;
        b.goto("/").await;
    }
    let id = queue(&sam).await[1]["id"].as_str().unwrap().to_owned();
    priya.goto(&format!("/?item={id}")).await;
    priya
        .find("#pane #reply-text")
        .await
        .send_keys("Thanks, we")
        .await
        .unwrap();
    sam.wait_for_at_most(
        POLL_WAIT,
        "Priya's reply to show on the row",
        &format!(
            "return document.querySelector('#items > li[data-id=\"{id}\"] .presence')?.textContent
                 .startsWith('Priya') && document.querySelector('#items > li[data-id=\"{id}\"] .presence')
                 .textContent.endsWith('is replying')"
        ),
    )
    .await;
    sam.find(&format!("#items > li[data-id='{id}'] a.open"))
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for_at_most(
        POLL_WAIT,
        "Priya's reply to show on the item",
        "return document.getElementById('presence-note')?.textContent.includes('is replying')",
    )
    .await;
    // Priya sees Sam has it open, not herself.
    priya.wait_for_at_most(
        POLL_WAIT,
        "Sam on Priya's item",
        "return document.getElementById('presence-note')?.textContent.includes('has this item open')
             && !document.getElementById('presence-note').textContent.includes('Priya')",
    )
    .await;
    demo.stop().await;
}
