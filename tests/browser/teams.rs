//! Teams in the desk, from a browser: an administrator adds a team with the
//! form on the teams page (no script needed: a plain form post) and sees it
//! listed, with the notice; a refused form keeps what was typed.

use crate::harness::{Demo, Needs};

#[tokio::test]
async fn an_admin_adds_a_team_and_sees_it() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let alex = demo.login("alex").await;
    alex.goto("/teams").await;

    // A refused form first: an address with a display name.
    alex.find("#team-name")
        .await
        .send_keys("Parks")
        .await
        .unwrap();
    alex.find("#team-emails")
        .await
        .send_keys("Parks <parks@croydon.gov.uk>")
        .await
        .unwrap();
    alex.find("input[name=members][value=sam]")
        .await
        .click()
        .await
        .unwrap();
    alex.find("form.settings button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    alex.find("#team-emails-error").await;
    assert_eq!(
        alex.js("return document.getElementById('team-emails').getAttribute('aria-describedby')")
            .await,
        "team-emails-hint team-emails-error"
    );
    assert_eq!(
        alex.js("return document.getElementById('team-name').value")
            .await,
        "Parks",
        "what was typed is kept"
    );
    assert_eq!(
        alex.js("return document.querySelector('input[name=members][value=sam]').checked")
            .await,
        true
    );

    alex.js("document.getElementById('team-emails').value = ''")
        .await;
    alex.find("#team-emails")
        .await
        .send_keys("parks@croydon.gov.uk")
        .await
        .unwrap();
    alex.find("form.settings button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    alex.wait_for(
        "the notice that the team was added",
        "return document.querySelector('.flash')?.textContent.includes('Team “Parks” added.')",
    )
    .await;
    let row = alex.text("table.teams").await;
    assert!(row.contains("Parks"), "{row}");
    assert!(row.contains("parks@croydon.gov.uk"), "{row}");
    assert!(row.contains("Sam"), "a member by name: {row}");

    // Its edit page holds what was saved.
    alex.js("[...document.querySelectorAll('table.teams a')].find(a => a.textContent.includes('Parks') && a.textContent.startsWith('Edit')).click()")
        .await;
    alex.wait_for(
        "the team's edit page",
        "return document.querySelector('h1')?.textContent.includes('Parks')",
    )
    .await;
    assert_eq!(
        alex.js("return document.getElementById('team-emails').value")
            .await,
        "parks@croydon.gov.uk"
    );
    demo.stop().await;
}
