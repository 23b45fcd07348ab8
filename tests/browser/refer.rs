//! Referring from a browser: an officer opens "Refer to a team" on an item,
//! chooses the team and says why; the demo's daemon emails the team (its
//! mail catcher takes the message), the holding reply to the resident waits
//! in the composer with the reference, and the item shows the referral as
//! sent. The open form and the referral pass axe, light and
//! dark.

use crate::accessibility::violations;
use crate::harness::{Demo, Needs};

#[tokio::test]
async fn an_officer_refers_an_item_with_a_team_and_a_reason() {
    let Some(mut demo) = Demo::start(Needs::Axe).await else {
        return;
    };
    let axe = demo.axe_source();
    let sam = demo.login("sam").await;
    sam.goto("/?status=new").await;
    sam.find("#items > li.item").await;
    let id = sam
        .js("return document.querySelector('#items > li.item').dataset.id")
        .await;
    let id = id.as_str().unwrap().to_owned();
    sam.goto(&format!("/items/{id}")).await;

    sam.find("#item-refer summary").await.click().await.unwrap();
    sam.js("const s = document.getElementById('refer-team'); s.value = 'Streets team'; s.dispatchEvent(new Event('change'));")
        .await;
    sam.find("#refer-reason")
        .await
        .send_keys("Bags dumped outside number 12 since Monday")
        .await
        .unwrap();
    let mut report = violations(&sam, &axe, "item with the refer form open").await;
    sam.find("button[data-refer]").await.click().await.unwrap();

    // Back on the item: the notice names the team and the reference.
    let notice = sam
        .wait_for(
            "the referral's notice",
            "const n = document.querySelector('.flash'); return n && n.textContent.includes('PW-') && n.textContent",
        )
        .await;
    let notice = notice.as_str().unwrap();
    assert!(
        notice.contains("referred to Streets team as PW-000001"),
        "{notice}"
    );
    // "Then write to the resident" was ticked: the holding reply is ready,
    // quoting the reference and the team.
    let reply = sam
        .js("return document.getElementById('reply-text').value")
        .await;
    let reply = reply.as_str().unwrap();
    assert!(reply.contains("ref PW-000001"), "{reply}");
    // The daemon sends it within a second or two: the item says so.
    sam.wait_for(
        "the referral to be emailed",
        &format!(
            "return fetch('/items/{id}').then(r => r.text()).then(t => t.includes('Emailed to streets@croydon.gov.uk'))"
        ),
    )
    .await;
    sam.goto(&format!("/items/{id}")).await;
    let referral = sam.text(".referral").await;
    assert!(
        referral.contains("PW-000001 to Streets team, by sam"),
        "{referral}"
    );
    assert!(
        referral.contains("Bags dumped outside number 12 since Monday"),
        "{referral}"
    );
    assert!(
        referral.contains("Emailed to streets@croydon.gov.uk"),
        "{referral}"
    );
    report += &violations(&sam, &axe, "item with a referral").await;
    sam.emulate(390, 844, true).await;
    report += &violations(&sam, &axe, "item with a referral, dark, 390 px").await;
    assert!(report.is_empty(), "{report}");
    demo.stop().await;
}
