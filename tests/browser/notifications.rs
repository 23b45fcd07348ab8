//! The bell: officer B's unread count goes up live, with no reload, when
//! officer A (another browser) rejects B's reply or mentions B in a note;
//! the notifications page lists them (axe in light, dark and on a phone),
//! opening one reads it, and "Mark all read" reads the rest.

use serde_json::json;

use crate::accessibility::violations;
use crate::harness::{Demo, Needs};
use crate::page::Browser;
use crate::reply::first_api_item;

/// Waits until the bell shows `n` (hidden for none) and says so in words.
async fn bell_shows(b: &Browser, n: u64) {
    let words = match n {
        0 => "No unread notifications".to_owned(),
        1 => "1 unread notification".to_owned(),
        n => format!("{n} unread notifications"),
    };
    b.wait_for(
        &format!("the bell to show {n}"),
        &format!(
            "const count = document.querySelector('[data-bell-count]');
             const words = document.querySelector('[data-bell-words]');
             return count.textContent === '{n}' && count.hidden === ({n} === 0)
                 && words.textContent === ': {words}';"
        ),
    )
    .await;
}

#[tokio::test]
async fn the_bell_counts_up_live_when_another_officer_rejects_or_mentions() {
    let Some(mut demo) = Demo::start(Needs::Axe).await else {
        return;
    };
    let axe = demo.axe_source();
    let sam = demo.login("sam").await;
    let priya = demo.login("priya").await;

    // Sam's reply waits for an approver.
    let api = first_api_item(&sam).await;
    sam.goto(&format!("/items/{api}?template=abusive-neutral"))
        .await;
    sam.find("#send").await.click().await.unwrap();
    sam.wait_for(
        "the reply to wait for approval",
        "return document.querySelector('.flash')?.textContent.includes('waits for an approver')",
    )
    .await;
    sam.goto("/status").await;
    bell_shows(&sam, 0).await;
    sam.mark_page().await;

    // Priya rejects it: Sam's bell counts up, and says so.
    priya.goto("/approvals").await;
    priya
        .find(".approval form.reject input[name=reason]")
        .await
        .send_keys("Too blunt <b>please</b> soften it")
        .await
        .unwrap();
    priya
        .find(".approval form.reject button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    bell_shows(&sam, 1).await;
    sam.assert_not_reloaded().await;
    sam.wait_for(
        "the count to be announced",
        "return document.getElementById('announce').textContent === '1 unread notification'",
    )
    .await;

    // Priya mentions Sam in a note: up again.
    priya.goto(&format!("/items/{api}")).await;
    priya
        .find("#note-text")
        .await
        .send_keys("@sam can you soften it and send again?")
        .await
        .unwrap();
    priya
        .find("form[action$='/note'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    bell_shows(&sam, 2).await;
    sam.assert_not_reloaded().await;

    // The list: newest first, unread in words, the reason escaped.
    sam.find("[data-bell]").await.click().await.unwrap();
    sam.wait_for(
        "the notifications page",
        "return location.pathname === '/notifications'",
    )
    .await;
    let list = sam.text("ol.notifications").await;
    assert!(list.contains("Mentioned"), "{list}");
    assert!(list.contains("Priya Shah rejected your reply"), "{list}");
    assert!(list.contains("Too blunt <b>please</b> soften it"), "{list}");
    let states = sam
        .js("return [...document.querySelectorAll('.notification .state')].map(s => s.textContent)")
        .await;
    assert_eq!(states, json!(["Unread", "Unread"]));
    let mut report = violations(&sam, &axe, "notifications").await;
    sam.emulate(1366, 900, true).await;
    sam.goto("/notifications").await;
    report += &violations(&sam, &axe, "notifications, dark").await;
    sam.emulate(390, 844, false).await;
    sam.goto("/notifications").await;
    report += &violations(&sam, &axe, "notifications on a phone").await;
    let overflow = sam
        .js("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(overflow, json!(false), "no sideways scrolling at 390 px");
    sam.emulate(390, 844, true).await;
    sam.goto("/notifications").await;
    report += &violations(&sam, &axe, "notifications on a phone, dark").await;
    assert!(report.is_empty(), "axe found problems:{report}");
    sam.emulate(1366, 900, false).await;

    // Opening one reads it and goes to the item.
    sam.goto("/notifications").await;
    sam.find(".notification .summary a")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the item",
        &format!("return location.pathname === '/items/{api}'"),
    )
    .await;
    bell_shows(&sam, 1).await;
    sam.goto("/notifications").await;
    sam.find(".notifications-head button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "all read",
        "return document.querySelector('.flash')?.textContent.includes('1 notification marked read')",
    )
    .await;
    bell_shows(&sam, 0).await;
    let states = sam
        .js("return [...document.querySelectorAll('.notification .state')].map(s => s.textContent)")
        .await;
    assert_eq!(states, json!(["Read", "Read"]));
    demo.stop().await;
}
