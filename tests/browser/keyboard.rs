//! The desk with the keyboard alone: log in, pick an item, claim it, open
//! the composer, choose a template and send the reply, with key presses only
//! (the test reads the page to know when to stop pressing j).

use fantoccini::key::Key;
use serde_json::json;

use crate::harness::{Demo, Needs};
use crate::page::Browser;
use crate::reply::wait_for_count_of_text;

async fn focused(b: &Browser) -> String {
    let v = b
        .js("const a = document.activeElement; return a ? (a.id || a.tagName + '.' + a.className) : ''")
        .await;
    v.as_str().unwrap_or_default().to_owned()
}

async fn assert_focus(b: &Browser, id: &str, after: &str) {
    b.wait_for(
        &format!("#{id} to have focus after {after}"),
        &format!("return document.activeElement?.id === {}", json!(id)),
    )
    .await;
}

/// Tab to the username, type, Tab, type the password, Enter.
async fn log_in_with_keys(sam: &Browser, password: &str) {
    let (tab, enter) = (char::from(Key::Tab), char::from(Key::Enter));
    sam.goto("/login").await;
    sam.find("#username").await;
    sam.press(&[tab]).await;
    assert_focus(sam, "username", "the first Tab").await;
    sam.type_text("sam").await;
    sam.press(&[tab]).await;
    assert_focus(sam, "password", "Tab").await;
    sam.type_text(password).await;
    sam.press(&[enter]).await;
    sam.wait_for(
        "the inbox after logging in",
        "return document.querySelector('#items > li.item') !== null",
    )
    .await;
}

#[tokio::test]
async fn an_officer_replies_with_the_keyboard_alone() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let password = demo.password("sam").to_owned();
    let sam = demo.browser().await;
    let (tab, enter) = (char::from(Key::Tab), char::from(Key::Enter));

    log_in_with_keys(&sam, &password).await;

    // j down to a new item on the API path.
    let mut id = None;
    for _ in 0..50 {
        sam.press(&['j']).await;
        let row = sam
            .js(
                "const li = document.querySelector('#items > li.item.selected');
                 return li && li.querySelector('.badges .path').textContent === 'API reply'
                     && li.querySelector('button[data-action=claim]') ? li.dataset.id : null",
            )
            .await;
        if let Some(row) = row.as_str() {
            id = Some(row.to_owned());
            break;
        }
    }
    let id = id.expect("j reaches a new item on the API path");
    assert!(
        focused(&sam).await.contains("open"),
        "focus follows the selection: {}",
        focused(&sam).await
    );

    sam.press(&['c']).await;
    sam.wait_for(
        "c to claim the item",
        &format!(
            "return document.querySelector('#items > li[data-id=\"{id}\"] .status-label').textContent === 'in progress'"
        ),
    )
    .await;

    // On a wide screen the item opens beside the list, at its composer.
    sam.press(&['r']).await;
    sam.wait_for(
        "r to open the item beside the list at its composer",
        &format!(
            "return new URLSearchParams(location.search).get('item') === '{id}'
                 && document.activeElement?.id === 'reply-text'
                 && document.querySelector('#pane .item-page')?.dataset.itemId === '{id}'"
        ),
    )
    .await;

    // Back from the text to the template picker, and type to choose.
    for _ in 0..3 {
        sam.press_shifted(tab).await;
    }
    assert_focus(&sam, "template", "Shift+Tab from the text").await;
    sam.type_text("passed").await;
    sam.wait_for(
        "the chosen template's text",
        "return document.getElementById('reply-text').value.includes('passed this on')",
    )
    .await;
    wait_for_count_of_text(&sam, "the count of the template's text").await;
    for _ in 0..4 {
        sam.press(&[tab]).await;
    }
    assert_focus(&sam, "send", "Tab past the text").await;
    sam.press(&[enter]).await;

    let flash = sam
        .wait_for(
            "the reply's outcome",
            "return document.querySelector('.flash')?.textContent ?? null",
        )
        .await;
    assert!(
        flash.as_str().unwrap().starts_with("Reply sent: "),
        "{flash}"
    );
    assert_eq!(demo.replies_at_x().await, 1, "exactly one reply at X");
    demo.stop().await;
}
