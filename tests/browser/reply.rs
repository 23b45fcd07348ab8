//! Replying through the API path from the item page's composer: a template,
//! the live count, Send, and exactly one reply at the simulated X.

use serde_json::json;

use crate::harness::{Demo, Needs};
use crate::page::Browser;

/// The first new item whose reply path is the API.
pub async fn first_api_item(b: &Browser) -> String {
    b.goto("/?path=api&status=new").await;
    b.find("#items > li.item").await;
    let id = b
        .js("return document.querySelector('#items > li.item').dataset.id")
        .await;
    id.as_str().unwrap().to_owned()
}

/// The composer's count, as shown.
async fn shown_count(b: &Browser) -> u64 {
    b.text("#reply-count [data-count]").await.parse().unwrap()
}

/// Waits until the shown count is the length of the composer's text (the
/// templates used here have no links, emoji or CJK, whose weights differ).
pub async fn wait_for_count_of_text(b: &Browser, what: &str) -> u64 {
    b.wait_for(
        what,
        "const text = document.getElementById('reply-text').value;
         return text.length > 0 && document.querySelector('#reply-count [data-count]')
             .textContent === String([...text].length);",
    )
    .await;
    shown_count(b).await
}

#[tokio::test]
async fn an_officer_replies_with_a_template_through_the_api() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    let id = first_api_item(&sam).await;
    sam.goto(&format!("/items/{id}")).await;
    assert!(
        sam.text(".about dl")
            .await
            .contains("API: placewatch can send"),
        "the item's reply path is the API"
    );
    assert_eq!(shown_count(&sam).await, 0);
    sam.mark_page().await;

    // Picking a template fills the text in and counts it, without a reload;
    // of two picked in turn, the last one wins even when the first one's
    // answer is slower.
    sam.js("const fetch = window.fetch;
         window.fetch = (url, init) => {
             if (!String(init?.body).includes('pothole')) return fetch(url, init);
             return new Promise(r => setTimeout(r, 700)).then(() => fetch(url, init))
                 .finally(() => { window.__slowCheckDone = true; });
         };")
        .await;
    let picker = sam.find("#template").await;
    picker.select_by_value("pothole").await.unwrap();
    picker.select_by_value("passed-on").await.unwrap();
    sam.wait_for(
        "the slow check to answer",
        "return window.__slowCheckDone === true",
    )
    .await;
    let filled = sam
        .wait_for(
            "the template's text in the composer",
            "const v = document.getElementById('reply-text').value;
             return v.includes('passed this on') && v",
        )
        .await;
    assert_eq!(
        sam.find("#reply-template")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("passed-on")
    );
    let filled = filled.as_str().unwrap().to_owned();
    assert!(
        filled.ends_with("– Sam"),
        "signed by the officer: {filled:?}"
    );
    let count = wait_for_count_of_text(&sam, "the count of the template's text").await;
    assert_eq!(count, filled.chars().count() as u64);
    sam.assert_not_reloaded().await;

    // Typing updates the count live.
    sam.find("#reply-text")
        .await
        .send_keys(" Thanks!")
        .await
        .unwrap();
    sam.wait_for(
        "the count to follow the typing",
        &format!(
            "return document.querySelector('#reply-count [data-count]').textContent === '{}'",
            count + 8
        ),
    )
    .await;

    sam.find("#send").await.click().await.unwrap();
    let flash = sam
        .wait_for(
            "the reply's outcome",
            "return document.querySelector('.flash')?.textContent ?? null",
        )
        .await;
    let flash = flash.as_str().unwrap();
    assert!(flash.starts_with("Reply sent: https://"), "{flash}");
    assert_eq!(sam.text(".reply .reply-state").await, "sent");
    let link = sam.find(".reply a[href*='/status/']").await;
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(flash.ends_with(&href), "{flash} links {href}");
    assert_eq!(
        sam.text(".reply .text").await,
        format!("{filled} Thanks!"),
        "the text sent is the text composed"
    );

    assert_eq!(demo.replies_at_x().await, 1, "exactly one reply at X");
    assert_eq!(
        sam.js("return document.querySelectorAll('.replies .reply').length")
            .await,
        json!(1)
    );
    demo.stop().await;
}
