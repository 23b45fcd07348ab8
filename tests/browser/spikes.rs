//! A spike in a browser: a burst of posts about a place from the simulator
//! becomes a banner on the inbox ("Spike: 12 posts about Thornton Heath in
//! the last hour, usually none"), announced politely (role="status"),
//! linking to the inbox filtered to the place; axe-clean in light and dark,
//! and on a phone without sideways scrolling.

use std::time::Duration;

use serde_json::json;

use crate::accessibility::violations;
use crate::harness::{Demo, Needs};

const NO_SIDEWAYS_SCROLL: &str = "return document.documentElement.scrollWidth <= window.innerWidth";

#[tokio::test]
async fn a_burst_about_a_place_puts_a_banner_on_the_inbox() {
    let Some(mut demo) = Demo::start(Needs::Axe).await else {
        return;
    };
    let axe = demo.axe_source();
    let posts: Vec<_> = (0..12)
        .map(|i| {
            json!({
                "text": format!("Thornton Heath high street is under water ({i})"),
                "author": format!("wet_resident_{i}"),
            })
        })
        .collect();
    demo.inject(json!(posts)).await;
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    sam.goto("/").await;
    // The daemon files the posts, then its spike check (every 5 s in the
    // demo) records the spike: ask the desk until the banner is there.
    sam.wait_for_at_most(
        Duration::from_secs(90),
        "the spike banner",
        "return fetch('/').then(r => r.text()).then(t => t.includes('class=\"spikes\"'))",
    )
    .await;
    sam.goto("/").await;
    let banner = sam
        .js(
            "const b = document.querySelector('.spikes');
             const a = b.querySelector('a');
             return {role: b.getAttribute('role'), text: a.textContent, href: a.getAttribute('href')}",
        )
        .await;
    assert_eq!(banner["role"], "status", "{banner}");
    let text = banner["text"].as_str().unwrap();
    assert!(
        text.starts_with("Spike: ")
            && text.contains(" posts about Thornton Heath in the last hour, "),
        "{banner}"
    );
    assert_eq!(banner["href"], "/?place=Thornton+Heath");

    let mut report = violations(&sam, &axe, "inbox with a spike banner").await;
    sam.emulate(1366, 900, true).await;
    sam.goto("/").await;
    report += &violations(&sam, &axe, "inbox with a spike banner, dark").await;
    sam.emulate(390, 844, true).await;
    sam.goto("/").await;
    report += &violations(&sam, &axe, "inbox with a spike banner, phone, dark").await;
    assert_eq!(
        sam.js(NO_SIDEWAYS_SCROLL).await,
        json!(true),
        "no sideways scroll at 390 px"
    );
    assert!(report.is_empty(), "axe violations:{report}");

    // The banner leads to the place's items.
    sam.emulate(1366, 900, false).await;
    sam.find(".spikes a").await.click().await.unwrap();
    sam.wait_for(
        "the inbox filtered to Thornton Heath",
        "return document.querySelector('#place').value === 'Thornton Heath'",
    )
    .await;
    let rows = sam
        .js("return document.querySelectorAll('#items > li').length")
        .await;
    assert!(rows.as_u64().unwrap() >= 12, "the burst's items: {rows}");
    demo.stop().await;
}
