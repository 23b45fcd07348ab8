//! The assignment picker in the browser: officers and teams in one list,
//! found by typing in the box above it, chosen and sent with the keyboard
//! alone, for the item beside the list and for ticked items in the bulk
//! bar; the rows then show the team; accessible with the picker open, in
//! light and dark and on a phone.

use fantoccini::key::Key;
use serde_json::json;

use crate::accessibility::violations;
use crate::harness::{Demo, Needs};
use crate::page::Browser;

/// The ids of the first `n` rows of the list.
async fn first_rows(b: &Browser, n: usize) -> Vec<String> {
    b.find("#items > li.item").await;
    let ids = b
        .js(&format!(
            "return [...document.querySelectorAll('#items > li.item')].slice(0, {n}).map(r => r.dataset.id)"
        ))
        .await;
    serde_json::from_value(ids).unwrap()
}

/// The holder the list shows on item `id`'s row, as a script expression.
fn row_owner(id: &str) -> String {
    format!(
        "(document.querySelector('#items > li.item[data-id=\"{id}\"] .owner')?.textContent ?? '')"
    )
}

#[tokio::test]
async fn the_picker_finds_a_team_as_one_types_and_the_rows_show_it() {
    let Some(mut demo) = Demo::start(Needs::Axe).await else {
        return;
    };
    let axe = demo.axe_source();
    let sam = demo.login("sam").await;
    sam.emulate(1366, 900, false).await;
    let mut report = String::new();

    // One item, open beside the list: a (assign) opens the picker with the
    // focus in its box.
    sam.goto("/?status=new&sort=newest").await;
    let id = first_rows(&sam, 1).await.remove(0);
    sam.goto(&format!("/?status=new&sort=newest&item={id}"))
        .await;
    sam.find("#pane .item-title").await;
    sam.js("document.querySelector('#pane .item-title').focus()")
        .await;
    sam.press(&['a']).await;
    sam.wait_for(
        "the picker's box to have the focus",
        "return document.activeElement?.id === 'item-owner-filter'
             && document.getElementById('item-more').open",
    )
    .await;
    // Every choice is there before typing; typing leaves the matches.
    let all = sam
        .js("return [...document.querySelectorAll('#item-owner option')].filter(o => !o.hidden && o.value).length")
        .await;
    assert!(
        all.as_u64().unwrap() >= 6,
        "officers, teams and nobody: {all}"
    );
    sam.type_text("clean").await;
    let chosen = sam
        .wait_for(
            "the contractor chosen as the one match",
            "const s = document.getElementById('item-owner');
             return s.value.startsWith('team:')
                 && document.getElementById('item-owner-found').textContent === '1 match: CleanCo street cleansing (team)'
                 && [...s.options].filter(o => !o.hidden && o.value).length === 1
                 && s.value",
        )
        .await;
    report += &violations(&sam, &axe, "item with the picker filtered").await;
    sam.emulate(1366, 900, true).await;
    report += &violations(&sam, &axe, "item with the picker filtered, dark").await;
    sam.emulate(390, 844, true).await;
    report += &violations(&sam, &axe, "item with the picker filtered on a phone, dark").await;
    sam.emulate(1366, 900, false).await;
    // The list, with the arrow keys, is one key away.
    sam.press(&[char::from(Key::Down)]).await;
    sam.wait_for(
        "the list to have the focus",
        "return document.activeElement?.id === 'item-owner'",
    )
    .await;
    sam.js("document.getElementById('item-owner-filter').focus()")
        .await;
    // Enter assigns; the row shows the team.
    sam.press(&[char::from(Key::Enter)]).await;
    sam.wait_for(
        "the notice and the row with the team",
        &format!(
            "return document.querySelector('.flash')?.textContent.includes('Item {id}: assigned to CleanCo street cleansing (team).')
                 && {} === 'CleanCo street cleansing'",
            row_owner(&id)
        ),
    )
    .await;
    assert_eq!(
        sam.js("return document.querySelector('#pane .team-label')?.textContent")
            .await,
        json!("CleanCo street cleansing")
    );
    let team: i64 = chosen.as_str().unwrap()["team:".len()..].parse().unwrap();
    assert!(team > 0);

    // Two ticked items in the bulk bar (held by nobody: the demo's rule
    // gives bins to the Streets team), to the Streets team, sam's team.
    sam.goto("/?status=new&sort=newest").await;
    sam.find("#items > li.item").await;
    let two: Vec<String> = serde_json::from_value(
        sam.js("return [...document.querySelectorAll('#items > li.item')]
                 .filter(r => !r.querySelector('.owner')).slice(0, 2).map(r => r.dataset.id)")
            .await,
    )
    .unwrap();
    assert_eq!(two.len(), 2, "two unassigned new items");
    for id in &two {
        sam.find(&format!("#pick-{id}"))
            .await
            .click()
            .await
            .unwrap();
    }
    sam.js("document.querySelector('#items > li.item a.open').focus()")
        .await;
    sam.press(&['a']).await;
    sam.wait_for(
        "the bulk picker's box to have the focus",
        "return document.activeElement?.id === 'bulk-owner-filter'",
    )
    .await;
    sam.type_text("streets").await;
    sam.wait_for(
        "the Streets team chosen",
        "return document.getElementById('bulk-owner').selectedOptions[0]?.textContent === 'Streets team (team)'",
    )
    .await;
    report += &violations(&sam, &axe, "inbox with the bulk picker filtered").await;
    sam.press(&[char::from(Key::Enter)]).await;
    sam.wait_for(
        "the bulk notice",
        "return document.querySelector('.flash')?.textContent.includes('Assigned 2 items to Streets team (team).')",
    )
    .await;
    for id in &two {
        sam.wait_for(
            "the row to show the team",
            &format!("return {}.endsWith('Streets team')", row_owner(id)),
        )
        .await;
    }
    // And "My teams" lists them.
    sam.goto("/?team=mine&status=new&sort=newest").await;
    for id in &two {
        sam.find(&format!("#items > li.item[data-id=\"{id}\"]"))
            .await;
    }
    assert!(report.is_empty(), "axe found violations:\n{report}");
    demo.stop().await;
}
