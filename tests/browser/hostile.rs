//! Hostile post text reaches officers' browsers as text: markup is not run,
//! bidi overrides and zero-width characters do not spill over the page, and
//! a huge post does not break the layout.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Demo, Needs, POLL_WAIT};
use crate::page::Browser;

/// A word only these posts have, to find them with the inbox's search.
const MARKER: &str = "hostilemarker";

fn hostile_posts() -> Vec<(String, String)> {
    let huge = format!(
        "Croydon {MARKER} huge: {}",
        "Litter on London Road again, nobody collects it. ".repeat(2_100)
    );
    assert!(huge.len() > 100_000);
    [
        (
            "<b>Script</b>",
            format!("Croydon {MARKER} <script>window.__pwned=1</script> bins"),
        ),
        (
            "<img src=x onerror=\"window.__pwned=1\">",
            format!("Croydon {MARKER} <img src=x onerror=\"window.__pwned=1\"> litter"),
        ),
        (
            "Bidi \u{202E}evil",
            format!("Croydon {MARKER} \u{202E}gnirts desrever\u{202C} and after"),
        ),
        (
            "zero\u{200B}width",
            format!(
                "Croydon {MARKER} zero\u{200B}width\u{200C}non\u{200D}joiner\u{2060}\u{FEFF}bom"
            ),
        ),
        ("Huge", huge),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_owned(), text))
    .collect()
}

/// The rows the search finds now, as (id, author name, text).
async fn found(b: &Browser) -> Vec<Value> {
    b.goto(&format!("/?q={MARKER}")).await;
    b.find("#items").await;
    let v = b
        .js(
            r#"return Array.from(document.querySelectorAll('#items > li.item')).map(li => ({
            id: li.dataset.id,
            name: li.querySelector('.who .name').textContent,
            text: li.querySelector('.text').textContent,
        }))"#,
        )
        .await;
    v.as_array().unwrap().clone()
}

/// Nothing ran, no markup from a post became an element, and the page does
/// not overflow sideways.
async fn assert_page_sound(b: &Browser, page: &str) {
    let v = b
        .js(r#"return {
            pwned: typeof window.__pwned,
            inline_scripts: document.querySelectorAll('script:not([src])').length,
            images: document.querySelectorAll('img').length,
            // A search's <mark>s are the desk's own, and hold text only.
            markup_in_text: Array.from(document.querySelectorAll('.text, .name, h1 bdi'))
                .filter(e => Array.from(e.children)
                    .some(c => c.tagName !== 'MARK' || c.children.length > 0)).length,
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        }"#)
        .await;
    assert_eq!(
        v,
        json!({"pwned": "undefined", "inline_scripts": 0, "images": 0, "markup_in_text": 0, "overflow": 0}),
        "{page}"
    );
}

/// The item page shows the post and its author literally, runs nothing,
/// and keeps its layout.
async fn assert_item_page(sam: &Browser, id: &str, name: &str, text: &str) {
    sam.goto(&format!("/items/{id}")).await;
    assert_eq!(
        sam.text(".post.this .text").await,
        text,
        "item {id} shows the whole post literally"
    );
    assert_eq!(
        sam.text("h1 bdi").await,
        name,
        "the author's name, literally"
    );
    assert_page_sound(sam, &format!("item {id}")).await;
    // The layout holds: the post scrolls in its box, the side column and
    // the composer are where they belong.
    let layout = sam
        .js(r#"const r = s => document.querySelector(s).getBoundingClientRect();
               const text = r('.post.this .text'), about = r('.about'), reply = r('#reply-text');
               return {
                   handle_follows: r('.post.this .handle').left >= r('.post.this .name').right - 0.5,
                   text_height: text.height <= 16 * 16 + 1,
                   about_beside: about.left >= text.right,
                   about_in_view: about.right <= window.innerWidth,
                   composer_below: reply.top >= text.bottom,
                   send_visible: document.getElementById('send').offsetParent !== null,
               }"#)
        .await;
    assert_eq!(
        layout,
        json!({"handle_follows": true, "text_height": true, "about_beside": true, "about_in_view": true,
               "composer_below": true, "send_visible": true}),
        "item {id}'s layout"
    );
}

#[tokio::test]
async fn hostile_post_text_is_shown_as_text() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let posts = hostile_posts();
    let injected: Vec<Value> = posts
        .iter()
        .enumerate()
        .map(|(i, (name, text))| {
            json!({"author": format!("hostile_{i}"), "author_name": name, "text": text})
        })
        .collect();
    demo.inject(json!({ "posts": injected })).await;

    let sam = demo.login("sam").await;
    let start = Instant::now();
    let rows = loop {
        let rows = found(&sam).await;
        if rows.len() == posts.len() {
            break rows;
        }
        assert!(
            start.elapsed() < POLL_WAIT,
            "the daemon filed {} of the {} hostile posts in {POLL_WAIT:?}",
            rows.len(),
            posts.len()
        );
        // Polling the desk for the daemon's next cycle.
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert_page_sound(&sam, "the inbox").await;

    for (name, text) in &posts {
        let row = rows
            .iter()
            .find(|r| r["name"] == json!(name))
            .unwrap_or_else(|| panic!("no row by {name:?} in {rows:?}"));
        let shown = row["text"].as_str().unwrap();
        if text.chars().count() <= 400 {
            assert_eq!(shown, text, "the inbox shows {name:?}'s post literally");
        } else {
            let kept: String = shown.chars().take_while(|c| *c != '…').collect();
            assert!(
                kept.len() > 100 && text.starts_with(&kept),
                "the inbox shows the start of the huge post: {shown:?}"
            );
            assert!(shown.chars().count() <= 401, "and only the start");
        }

        let id = row["id"].as_str().unwrap();
        assert_item_page(&sam, id, name, text).await;
    }

    sam.goto(&format!("/?q={MARKER}")).await;
    let isolated = sam
        .js("return Array.from(document.querySelectorAll('#items .text'))
                 .every(e => ['isolate', 'isolate-override', 'plaintext'].includes(getComputedStyle(e).unicodeBidi))")
        .await;
    assert_eq!(isolated, json!(true), "each post's text is bidi-isolated");
    // A bidi override stays inside the post or name that holds it: each
    // row's author handle still follows the author's name.
    let handles_follow = sam
        .js(
            "return Array.from(document.querySelectorAll('#items .who a.open')).map(a => {
                 const name = a.querySelector('.name').getBoundingClientRect();
                 const handle = a.querySelector('.handle').getBoundingClientRect();
                 return handle.left >= name.right - 0.5;
             })",
        )
        .await;
    assert_eq!(
        handles_follow,
        json!(vec![true; posts.len()]),
        "handles follow names"
    );
    demo.stop().await;
}
