//! axe-core's WCAG 2.2 AA rules on every kind of desk page, as each role
//! sees it.

use serde_json::{Value, json};

use crate::harness::{Demo, Needs};
use crate::page::Browser;
use crate::reply::first_api_item;

const TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']";

/// Runs axe on the page and returns a report of its violations ("" for none).
pub async fn violations(b: &Browser, axe: &str, page: &str) -> String {
    b.find("main").await;
    if b.js("return typeof window.axe").await != json!("object") {
        // The page's CSP does not apply to WebDriver's scripts.
        b.js(&format!("{axe}\n;return true;")).await;
    }
    assert_eq!(
        b.js("return typeof window.axe").await,
        json!("object"),
        "axe-core loads on {page}"
    );
    let result = b
        .js_async(&format!(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {{runOnly: {{type: 'tag', values: {TAGS}}}}})
                .then(r => done(r.violations.map(v => ({{
                    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                    nodes: v.nodes.map(n => ({{target: n.target.join(' '), html: n.html, why: n.failureSummary}})),
                }}))))
                .catch(e => done({{error: String(e)}}));"
        ))
        .await;
    let Value::Array(found) = result else {
        panic!("axe failed on {page}: {result}");
    };
    let mut report = String::new();
    for v in &found {
        report.push_str(&format!(
            "\n[{page}] {} ({}): {}\n    {}\n",
            v["id"].as_str().unwrap_or_default(),
            v["impact"].as_str().unwrap_or_default(),
            v["help"].as_str().unwrap_or_default(),
            v["url"].as_str().unwrap_or_default(),
        ));
        for n in v["nodes"].as_array().into_iter().flatten() {
            report.push_str(&format!(
                "    - {}\n      {}\n      {}\n",
                n["target"].as_str().unwrap_or_default(),
                n["html"].as_str().unwrap_or_default(),
                n["why"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', "\n      "),
            ));
        }
    }
    report
}

/// The first new item whose reply path is manual (reply in X).
async fn first_manual_item(b: &Browser) -> String {
    b.goto("/?path=manual&status=new").await;
    b.find("#items > li.item").await;
    let id = b
        .js("return document.querySelector('#items > li.item').dataset.id")
        .await;
    id.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_page_passes_axe() {
    let Some(mut demo) = Demo::start(Needs::Axe).await else {
        return;
    };
    let axe = demo.axe_source();
    let mut report = String::new();

    let guest = demo.browser().await;
    guest.goto("/login").await;
    report += &violations(&guest, &axe, "login").await;
    // The checker itself works: an unlabelled field added to the page fails.
    guest
        .js("const input = document.createElement('input'); document.querySelector('form').append(input);")
        .await;
    assert!(
        violations(&guest, &axe, "login with a canary")
            .await
            .contains("] label ("),
        "axe reports an unlabelled field"
    );
    guest
        .find("#username")
        .await
        .send_keys("sam")
        .await
        .unwrap();
    guest
        .find("#password")
        .await
        .send_keys("wrong")
        .await
        .unwrap();
    guest
        .find("form.stack button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    guest.find("#login-error").await;
    report += &violations(&guest, &axe, "login with an error").await;

    let sam = demo.login("sam").await;
    report += &violations(&sam, &axe, "inbox").await;
    sam.find("[data-help]").await.click().await.unwrap();
    sam.wait_for(
        "the shortcuts dialog",
        "return document.getElementById('help').open",
    )
    .await;
    report += &violations(&sam, &axe, "inbox with the shortcuts dialog").await;

    let api = first_api_item(&sam).await;
    sam.goto(&format!("/items/{api}?template=passed-on")).await;
    report += &violations(&sam, &axe, "item on the API path").await;
    let manual = first_manual_item(&sam).await;
    sam.goto(&format!("/items/{manual}")).await;
    report += &violations(&sam, &axe, "item on the manual path").await;

    // A reply that waits for approval, for the approvals page.
    sam.goto(&format!("/items/{api}?template=abusive-neutral"))
        .await;
    sam.find("#send").await.click().await.unwrap();
    sam.wait_for(
        "the reply to wait for approval",
        "return document.querySelector('.flash')?.textContent.includes('waits for an approver')",
    )
    .await;
    report += &violations(&sam, &axe, "item with a reply awaiting approval").await;
    sam.goto("/status").await;
    report += &violations(&sam, &axe, "status").await;
    sam.goto("/teams").await;
    report += &violations(&sam, &axe, "teams").await;
    sam.goto("/items/999999999").await;
    sam.wait_for("the 404 page", "return document.title.startsWith('404')")
        .await;
    report += &violations(&sam, &axe, "error page").await;

    // The split view, the phone layout and the dark colour scheme.
    let split = format!("/?item={api}");
    sam.emulate(1366, 900, false).await;
    sam.goto(&split).await;
    report += &violations(&sam, &axe, "inbox with an item beside it").await;
    sam.js("document.getElementById('more-filters').click()")
        .await;
    report += &violations(&sam, &axe, "inbox with the filters unfolded").await;
    let searched = format!("/?status=all&q=croydon&item={api}");
    sam.goto(&searched).await;
    report += &violations(&sam, &axe, "a search, its words marked").await;
    sam.emulate(1366, 900, true).await;
    for (page, path) in [
        ("a search, its words marked, dark", searched.as_str()),
        ("inbox, dark", "/"),
        ("inbox with an item beside it, dark", split.as_str()),
        ("item page, dark", &format!("/items/{manual}")),
        ("status, dark", "/status"),
        ("teams, dark", "/teams"),
    ] {
        sam.goto(path).await;
        report += &violations(&sam, &axe, page).await;
    }
    sam.emulate(390, 844, false).await;
    sam.goto("/").await;
    report += &violations(&sam, &axe, "inbox on a phone").await;
    sam.goto(&split).await;
    report += &violations(&sam, &axe, "an item on a phone").await;
    sam.goto("/status").await;
    sam.js("document.querySelector('li.monitor details').open = true")
        .await;
    report += &violations(&sam, &axe, "status on a phone, a query unfolded").await;
    sam.emulate(390, 844, true).await;
    sam.goto("/").await;
    report += &violations(&sam, &axe, "inbox on a phone, dark").await;
    sam.goto("/teams").await;
    report += &violations(&sam, &axe, "teams on a phone, dark").await;
    sam.goto("/status").await;
    report += &violations(&sam, &axe, "status on a phone, dark").await;
    guest.emulate(1280, 900, true).await;
    guest.goto("/login").await;
    report += &violations(&guest, &axe, "login, dark").await;

    let priya = demo.login("priya").await;
    priya.goto("/approvals").await;
    priya.find(".approval").await;
    report += &violations(&priya, &axe, "approvals").await;

    let alex = demo.login("alex").await;
    alex.goto("/officers").await;
    report += &violations(&alex, &axe, "officers").await;

    // Settings, and what administrators see of teams: the "Add a team"
    // form, refused and then accepted, a desk team's edit page and a config
    // team's page.
    sam.emulate(1366, 900, false).await;
    sam.goto("/settings").await;
    report += &violations(&sam, &axe, "notification settings").await;
    sam.js("document.getElementById('email').value = 'not an address'; document.querySelector('form.settings').submit()")
        .await;
    sam.find("#email-error").await;
    report += &violations(&sam, &axe, "notification settings with an error").await;
    alex.goto("/officers").await;
    alex.find("#email-sam")
        .await
        .send_keys("sam@")
        .await
        .unwrap();
    alex.js("document.getElementById('email-sam').form.submit()")
        .await;
    alex.find("#email-sam-error").await;
    report += &violations(&alex, &axe, "officers with an email address refused").await;
    alex.goto("/teams").await;
    report += &violations(&alex, &axe, "teams, as an administrator").await;
    alex.js("document.getElementById('team-name').value = 'Parks';
             document.getElementById('team-emails').value = 'Parks <parks@croydon.gov.uk>';
             document.getElementById('team-teams-webhook').value = 'https://hooks.example/x';
             document.querySelector('form.settings').submit()")
        .await;
    alex.find("#team-emails-error").await;
    report += &violations(&alex, &axe, "add a team, refused").await;
    alex.js(
        "document.getElementById('team-emails').value = 'parks@croydon.gov.uk';
             document.getElementById('team-teams-webhook').value = 'PARKS_TEAMS_WEBHOOK';
             document.querySelector('form.settings').submit()",
    )
    .await;
    alex.find(".flash").await;
    let edit = alex
        .js("return [...document.querySelectorAll('table.teams a')].find(a => a.textContent.includes('Parks')).getAttribute('href')")
        .await;
    let edit = edit
        .as_str()
        .expect("an Edit link for the new team")
        .to_owned();
    alex.goto(&edit).await;
    report += &violations(&alex, &axe, "a team's edit page").await;
    // The demo's config teams come first.
    alex.goto("/teams/1").await;
    alex.find(".warning").await;
    report += &violations(&alex, &axe, "a config team's page").await;
    for (width, height, dark, what) in [
        (1366, 900, true, "dark"),
        (390, 844, false, "on a phone"),
        (390, 844, true, "on a phone, dark"),
    ] {
        alex.emulate(width, height, dark).await;
        for (page, path) in [
            ("teams, as an administrator", "/teams"),
            ("a team's edit page", edit.as_str()),
            ("officers", "/officers"),
            ("notification settings", "/settings"),
        ] {
            alex.goto(path).await;
            report += &violations(&alex, &axe, &format!("{page}, {what}")).await;
        }
    }

    assert!(report.is_empty(), "axe found violations:\n{report}");
    demo.stop().await;
}
