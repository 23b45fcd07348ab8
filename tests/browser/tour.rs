//! The README's tour: screenshots of the desk as an officer sees it, taken
//! from the running demo by this test, so the pictures stay true. With
//! `PLACEWATCH_TOUR=1` the test writes them to `docs/tour/`; without, it
//! takes them and checks they are pictures, writing nothing.

use std::path::PathBuf;

use crate::harness::{Demo, Needs};
use crate::page::Browser;
use crate::reply::first_api_item;

/// One picture of the page as laid out now.
async fn shot(b: &Browser, name: &str, pictures: &mut Vec<(String, Vec<u8>)>) {
    // Fonts and the script's live parts settle before the picture.
    b.wait_for(
        "the page to settle",
        "return document.readyState === 'complete' && document.fonts.status === 'loaded'",
    )
    .await;
    let png = b.client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    assert!(
        png.len() > 10_000,
        "{name} shows something: {} bytes",
        png.len()
    );
    pictures.push((name.to_owned(), png));
}

#[tokio::test]
async fn the_readme_tour_is_taken_from_the_demo() {
    let Some(mut demo) = Demo::start_with_history(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    let mut pictures = Vec::new();
    sam.emulate(1366, 900, false).await;
    sam.goto("/").await;
    shot(&sam, "inbox", &mut pictures).await;
    let api = first_api_item(&sam).await;
    sam.goto(&format!("/?item={api}")).await;
    sam.find("#pane .item-page").await;
    shot(&sam, "item", &mut pictures).await;
    sam.goto("/status").await;
    shot(&sam, "status", &mut pictures).await;
    sam.emulate(1366, 900, true).await;
    sam.goto(&format!("/?item={api}")).await;
    sam.find("#pane .item-page").await;
    shot(&sam, "dark", &mut pictures).await;
    sam.emulate(390, 844, false).await;
    sam.goto("/").await;
    shot(&sam, "phone", &mut pictures).await;

    if std::env::var_os("PLACEWATCH_TOUR").is_some() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/tour");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, png) in &pictures {
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }
    demo.stop().await;
}
