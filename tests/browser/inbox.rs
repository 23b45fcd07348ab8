//! The inbox in a browser: logging in, filters, status tabs and search;
//! claiming and dismissing in place with buttons and keys; new items
//! arriving over server-sent events.

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::harness::{Demo, Needs, POLL_WAIT};
use crate::page::{Browser, grouped};

/// What the inbox shows: each row's id, status label, places and text.
async fn rows(b: &Browser) -> Vec<Value> {
    let v = b
        .js(
            r#"return Array.from(document.querySelectorAll('#items > li.item')).map(li => ({
            id: li.dataset.id,
            status: li.querySelector('.status-label').textContent,
            owner: li.querySelector('.owner')?.textContent ?? null,
            places: Array.from(li.querySelectorAll('.badges .place')).map(p => p.textContent),
            text: li.querySelector('.text').textContent,
        }))"#,
        )
        .await;
    v.as_array().unwrap().clone()
}

/// The count on the status tab called `label` ("All", "New", ...).
async fn tab_count(b: &Browser, label: &str) -> u64 {
    let v = b
        .js_with(
            r#"const tab = Array.from(document.querySelectorAll('.tabs a'))
                   .find(a => a.firstChild.textContent.trim() === arguments[0]);
               return tab ? Number(tab.querySelector('.count').textContent.replace(/,/g, '')) : null;"#,
            vec![json!(label)],
        )
        .await;
    v.as_u64()
        .unwrap_or_else(|| panic!("no status tab {label:?}"))
}

async fn wait_for_path(b: &Browser, what: &str, needle: &str) {
    b.wait_for(
        what,
        &format!(
            "return window.location.search.includes({}) && document.readyState === 'complete'",
            json!(needle)
        ),
    )
    .await;
}

#[tokio::test]
async fn an_officer_logs_in_and_filters_the_inbox() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    assert_eq!(sam.path().await, "/");
    assert_eq!(sam.text("h1").await, "Inbox: open items");
    let all = rows(&sam).await;
    let total = tab_count(&sam, "All").await;
    assert!(
        !all.is_empty() && total >= all.len() as u64,
        "the backlog is in the inbox"
    );

    let place = filter_by_place(&sam, &all, total).await;
    status_tabs_keep_the_place(&sam, &place).await;
    search_for_a_word(&sam, total).await;
    demo.stop().await;
}

/// Filters by the least common place of the first page (so the list
/// shrinks) and checks every row has it; returns the place.
async fn filter_by_place(sam: &Browser, all: &[Value], total: u64) -> String {
    let mut places: Vec<(usize, String)> = Vec::new();
    for row in all {
        for p in row["places"].as_array().unwrap() {
            let p = p.as_str().unwrap().to_owned();
            match places.iter_mut().find(|(_, q)| *q == p) {
                Some((n, _)) => *n += 1,
                None => places.push((1, p)),
            }
        }
    }
    places.sort();
    let place = places.first().expect("rows have places").1.clone();
    // The place filter is folded behind "More filters" until one is set.
    assert_eq!(
        sam.js("return document.getElementById('more-filters').getAttribute('aria-expanded')")
            .await,
        json!("false")
    );
    sam.find("#more-filters").await.click().await.unwrap();
    sam.find("#place")
        .await
        .select_by_label(&place)
        .await
        .unwrap();
    sam.find(".filters button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_path(sam, "the place filter to apply", "place=").await;
    let by_place = rows(sam).await;
    let place_total = tab_count(sam, "All").await;
    assert!(!by_place.is_empty());
    assert!(
        place_total < total,
        "{place}: {place_total} of {total} items"
    );
    for row in &by_place {
        assert!(
            row["places"].as_array().unwrap().contains(&json!(place)),
            "a row without {place}: {row}"
        );
    }
    place
}

/// The status tabs keep the place filter and show only their status.
async fn status_tabs_keep_the_place(sam: &Browser, place: &str) {
    for (label, status) in [("New", "new"), ("Dismissed", "dismissed")] {
        let expected = tab_count(sam, label).await;
        sam.client
            .find(Locator::XPath(&format!(
                "//nav[@aria-label='Views']//a[starts-with(normalize-space(.), '{label} ')]"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_path(sam, "the status tab to open", &format!("status={status}")).await;
        assert_eq!(sam.text("h1").await, format!("Inbox: {status}"));
        let shown = rows(sam).await;
        assert_eq!(shown.len() as u64, expected.min(50), "{label} tab");
        for row in &shown {
            assert_eq!(row["status"], json!(status), "{row}");
            assert!(row["places"].as_array().unwrap().contains(&json!(place)));
        }
        if expected == 0 {
            assert_eq!(sam.text(".empty").await, "No items match.");
        }
    }
}

/// Full-text search, from a clean inbox: a word of the first row's post.
async fn search_for_a_word(sam: &Browser, total: u64) {
    sam.find(".filters a[href='/']")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the filters to clear",
        "return window.location.search === '' && document.querySelector('#items') !== null",
    )
    .await;
    let first = rows(sam).await[0]["text"].as_str().unwrap().to_owned();
    let word = first
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 5)
        .max_by_key(|w| w.len())
        .unwrap_or_else(|| panic!("no searchable word in {first:?}"))
        .to_lowercase();
    sam.find("#q").await.send_keys(&word).await.unwrap();
    sam.press(&[char::from(fantoccini::key::Key::Enter)]).await;
    wait_for_path(sam, "the search to run", &format!("q={word}")).await;
    let found = rows(sam).await;
    let found_total = tab_count(sam, "All").await;
    assert!(!found.is_empty(), "the post the word came from is found");
    assert!(found_total < total, "{word:?}: {found_total} of {total}");
    for row in &found {
        let text = row["text"].as_str().unwrap().to_lowercase();
        assert!(text.contains(&word), "{word:?} not in {text:?}");
    }
    assert_eq!(
        sam.find("#q").await.prop("value").await.unwrap().as_deref(),
        Some(word.as_str()),
        "the search box keeps the words"
    );
}

/// The ids of the rows with a Claim button, top to bottom.
async fn claimable_rows(b: &Browser) -> Vec<String> {
    let v = b
        .js(
            r#"return Array.from(document.querySelectorAll('#items > li.item'))
                 .filter(li => li.querySelector('button[data-action=claim]'))
                 .map(li => li.dataset.id)"#,
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

async fn wait_for_row_status(b: &Browser, id: &str, label: &str) {
    b.wait_for(
        &format!("item {id} to show {label:?}"),
        &format!(
            "return document.querySelector('#items > li[data-id=\"{id}\"] .status-label')?.textContent === {}",
            json!(label)
        ),
    )
    .await;
}

async fn selected_id(b: &Browser) -> Value {
    b.js("return document.querySelector('#items > li.item.selected')?.dataset.id ?? null")
        .await
}

/// Presses j until the row `id` is selected.
async fn select_row(b: &Browser, id: &str) {
    for _ in 0..60 {
        if selected_id(b).await == json!(id) {
            return;
        }
        b.press(&['j']).await;
    }
    panic!("j never selected item {id}");
}

#[tokio::test]
async fn claiming_and_dismissing_update_the_row_in_place() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.goto("/?status=new").await;
    let ids = claimable_rows(&sam).await;
    assert!(ids.len() >= 4, "four new items to work on");
    let (by_button, by_key, dismiss_button, dismiss_key) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    sam.mark_page().await;

    // Claim with the row's button (shown on the row in hand).
    select_row(&sam, by_button).await;
    sam.find(&format!(
        "#items > li[data-id='{by_button}'] button[data-action=claim]"
    ))
    .await
    .click()
    .await
    .unwrap();
    wait_for_row_status(&sam, by_button, "in progress").await;
    assert_eq!(
        sam.text(&format!("#items > li[data-id='{by_button}'] .owner"))
            .await,
        "claimed by sam"
    );
    assert_eq!(
        sam.js(&format!(
            "return document.querySelectorAll('#items > li[data-id=\"{by_button}\"] button[data-action=claim]').length"
        ))
        .await,
        json!(0),
        "the claim button goes once claimed"
    );

    // Claim with c on the selected row.
    select_row(&sam, by_key).await;
    sam.press(&['c']).await;
    wait_for_row_status(&sam, by_key, "in progress").await;

    // Dismiss with the button, then with d.
    select_row(&sam, dismiss_button).await;
    sam.find(&format!(
        "#items > li[data-id='{dismiss_button}'] button[data-action=dismiss]"
    ))
    .await
    .click()
    .await
    .unwrap();
    wait_for_row_status(&sam, dismiss_button, "dismissed").await;
    select_row(&sam, dismiss_key).await;
    sam.press(&['d']).await;
    wait_for_row_status(&sam, dismiss_key, "dismissed").await;
    sam.assert_not_reloaded().await;

    // The desk recorded all four: a fresh page shows them so.
    sam.goto("/?status=all").await;
    let shown = rows(&sam).await;
    for (id, status) in [
        (by_button, "in progress"),
        (by_key, "in progress"),
        (dismiss_button, "dismissed"),
        (dismiss_key, "dismissed"),
    ] {
        let row = shown
            .iter()
            .find(|r| r["id"] == json!(id))
            .unwrap_or_else(|| panic!("item {id} is listed"));
        assert_eq!(row["status"], json!(status), "{row}");
    }
    demo.stop().await;
}

#[tokio::test]
async fn a_new_item_appears_at_the_top_without_moving_the_selection() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    // Newest first, where an arrival belongs at the top.
    sam.goto("/?sort=newest").await;
    let open_before = tab_count(&sam, "Open").await;
    let new_before = tab_count(&sam, "New").await;
    let before = rows(&sam).await;
    let second = before[1]["id"].as_str().unwrap().to_owned();
    select_row(&sam, &second).await;
    sam.mark_page().await;

    let text = "Fly-tipping again behind the shops in Croydon, browser-arrival-check";
    demo.inject(json!({"author": "arrival_test", "text": text}))
        .await;
    sam.wait_for_at_most(
        POLL_WAIT,
        "the injected post to arrive at the top of the inbox",
        &format!(
            "return document.querySelector('#items > li.item .text')?.textContent === {}",
            json!(text)
        ),
    )
    .await;

    sam.assert_not_reloaded().await;
    let after = rows(&sam).await;
    assert_eq!(after.len(), before.len() + 1, "one row added");
    assert_eq!(&after[1..], &before[..], "the other rows stay as they were");
    assert_eq!(
        selected_id(&sam).await,
        json!(second),
        "the selection stays"
    );
    assert_eq!(
        sam.js("return document.activeElement.closest('li.item')?.dataset.id ?? null")
            .await,
        json!(second),
        "focus stays on the selected row"
    );
    assert_eq!(
        sam.js("return document.querySelector('#items > li.item').classList.contains('arrived')")
            .await,
        json!(true),
        "the new row is marked as arrived"
    );
    sam.wait_for(
        "the arrival to be announced",
        "return document.getElementById('announce').textContent.includes('1 new item')",
    )
    .await;
    // The views' counts and the tab's title follow, without a reload.
    assert_eq!(tab_count(&sam, "Open").await, open_before + 1);
    assert_eq!(tab_count(&sam, "New").await, new_before + 1);
    assert!(
        sam.js("return document.title")
            .await
            .as_str()
            .unwrap()
            .starts_with(&format!("({} new) ", grouped(new_before + 1))),
        "the title counts the new items"
    );
    demo.stop().await;
}

/// Hashtags count as place names: a post that names its place only as
/// `#ThorntonHeath` is found by the daemon's search and arrives in the inbox
/// with the place chip "Thornton Heath".
#[tokio::test]
async fn a_post_naming_its_place_only_by_hashtag_arrives_with_the_place() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    // Newest first, where an arrival belongs at the top.
    sam.goto("/?sort=newest").await;
    let text = "Pond frozen solid this morning, browser-hashtag-check #ThorntonHeath";
    demo.inject(json!({"author": "hashtag_test", "text": text}))
        .await;
    sam.wait_for_at_most(
        POLL_WAIT,
        "the #ThorntonHeath post to arrive at the top of the inbox",
        &format!(
            "return document.querySelector('#items > li.item .text')?.textContent === {}",
            json!(text)
        ),
    )
    .await;
    let top = rows(&sam).await.remove(0);
    assert_eq!(top["text"], json!(text));
    assert_eq!(top["places"], json!(["Thornton Heath"]), "{top}");
    demo.stop().await;
}

/// The marked words of the rows, top to bottom.
async fn marks(b: &Browser, css: &str) -> Vec<String> {
    let v = b
        .js_with(
            "return Array.from(document.querySelectorAll(arguments[0])).map(m => m.textContent)",
            vec![json!(css)],
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

/// Search understands word forms, prefixes and phrases, and marks the words
/// it matched in the list and in the item beside it.
#[tokio::test]
async fn search_finds_word_forms_and_marks_the_matches() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    sam.goto("/?sort=newest").await;
    let plural = "Three potholes on Cherry Orchard Road, Croydon stemcheck";
    let single = "The pothole by Croydon orchard was filled, stemcheck";
    demo.inject(json!([
        {"author": "stem_one", "text": plural},
        {"author": "stem_two", "text": single},
    ]))
    .await;
    sam.wait_for_at_most(
        POLL_WAIT,
        "both posts to arrive",
        "return Array.from(document.querySelectorAll('#items .text'))
             .filter(t => t.textContent.includes('stemcheck')).length === 2",
    )
    .await;

    sam.goto("/?status=all&q=pothole+stemcheck").await;
    let found: Vec<String> = rows(&sam)
        .await
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(found, [single, plural], "pothole finds potholes");
    assert_eq!(
        marks(&sam, "#items .text mark").await,
        ["pothole", "stemcheck", "potholes", "stemcheck"]
    );

    sam.goto("/?status=all&q=poth*+%22cherry+orchard%22+stemcheck")
        .await;
    let found = rows(&sam).await;
    assert_eq!(found.len(), 1, "the phrase is in one post: {found:?}");
    assert_eq!(found[0]["text"], json!(plural));
    assert_eq!(
        marks(&sam, "#items .text mark").await,
        ["potholes", "Cherry Orchard", "stemcheck"]
    );

    // Opened beside the list, the item marks the same words.
    sam.emulate(1366, 900, false).await;
    let id = found[0]["id"].as_str().unwrap().to_owned();
    sam.find(&format!("#items li[data-id='{id}'] a.open"))
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the item beside the list",
        "return document.querySelector('#pane .thread .this .text mark') !== null",
    )
    .await;
    assert_eq!(
        marks(&sam, "#pane .thread .this .text mark").await,
        ["potholes", "Cherry Orchard", "stemcheck"]
    );
    demo.stop().await;
}
