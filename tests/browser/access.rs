//! Who may do what, seen from a browser: no session, a viewer's role, and a
//! request without the CSRF token.

use serde_json::json;

use crate::harness::{Demo, Needs};
use crate::page::Browser;
use crate::reply::first_api_item;

/// Runs `fetch(url, init)` in the page and returns the response status.
async fn fetch_status(b: &Browser, url: &str, init: &str) -> u64 {
    b.js_async(&format!(
        "const done = arguments[arguments.length - 1];
         fetch({}, {init}).then(r => done(r.status), e => done('failed: ' + e));",
        json!(url)
    ))
    .await
    .as_u64()
    .unwrap_or_else(|| panic!("fetch {url} failed"))
}

#[tokio::test]
async fn without_a_session_pages_redirect_to_the_login_and_posts_are_refused() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let b = demo.browser().await;
    b.goto("/").await;
    b.find("#username").await;
    assert_eq!(b.path().await, "/login?next=%2F");
    b.goto("/items/1?template=passed-on").await;
    b.find("#username").await;
    assert_eq!(
        b.path().await,
        "/login?next=%2Fitems%2F1%3Ftemplate%3Dpassed-on",
        "the login comes back to the page asked for"
    );

    assert_eq!(
        fetch_status(&b, "/items/1/claim", "{method: 'POST'}").await,
        401
    );
    assert_eq!(
        fetch_status(
            &b,
            "/items/1/reply",
            "{method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'text=hello'}"
        )
        .await,
        401
    );
    assert_eq!(
        fetch_status(&b, "/inbox/rows", "{headers: {Accept: 'application/json'}}").await,
        401,
        "a script's GET gets 401, not a redirect"
    );
    assert_eq!(demo.replies_at_x().await, 0);
    demo.stop().await;
}

#[tokio::test]
async fn a_viewer_is_refused_a_reply() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let vic = demo.login("vic").await;
    let id = first_api_item(&vic).await;
    assert_eq!(
        vic.js("return document.querySelectorAll('button[data-action]').length")
            .await,
        json!(0),
        "a viewer gets no workflow buttons"
    );
    vic.goto(&format!("/items/{id}")).await;
    assert!(
        vic.text("#composer")
            .await
            .contains("can read items but not reply"),
        "the composer explains the role"
    );
    assert_eq!(
        vic.js("return document.getElementById('reply-form')").await,
        json!(null)
    );

    // Post the reply form anyway, with a valid session and CSRF token.
    vic.js_with(
        "const form = document.createElement('form');
         form.method = 'post';
         form.action = '/items/' + arguments[0] + '/reply';
         for (const [name, value] of [
             ['_csrf', document.querySelector('meta[name=csrf-token]').content],
             ['template', 'passed-on'], ['text', 'Hello from a viewer']]) {
           const input = document.createElement('input');
           input.type = 'hidden'; input.name = name; input.value = value;
           form.append(input);
         }
         document.body.append(form);
         form.submit();",
        vec![json!(id)],
    )
    .await;
    vic.wait_for(
        "the refusal page",
        "return document.title.startsWith('403')",
    )
    .await;
    assert_eq!(vic.text("h1").await, "Forbidden");
    assert!(
        vic.text(".error").await.contains("viewer"),
        "the page says the role is why"
    );
    assert_eq!(demo.replies_at_x().await, 0, "nothing reached X");

    // And the item has no reply recorded.
    vic.goto(&format!("/items/{id}")).await;
    assert!(vic.text(".replies").await.contains("No replies yet."));
    demo.stop().await;
}

#[tokio::test]
async fn a_request_without_the_csrf_token_is_refused() {
    let Some(mut demo) = Demo::start(Needs::Browser).await else {
        return;
    };
    let sam = demo.login("sam").await;
    let id = first_api_item(&sam).await;
    let claim = format!("/items/{id}/claim");

    // A script's POST with the session cookie but no token, or a wrong one.
    assert_eq!(fetch_status(&sam, &claim, "{method: 'POST'}").await, 403);
    assert_eq!(
        fetch_status(
            &sam,
            &claim,
            "{method: 'POST', headers: {'X-CSRF-Token': 'not-the-token', Accept: 'application/json'}}"
        )
        .await,
        403
    );
    assert_eq!(
        fetch_status(
            &sam,
            &claim,
            "{method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: '_csrf=wrong'}"
        )
        .await,
        403
    );

    // The item page's own Claim form, with its token taken out.
    sam.goto(&format!("/items/{id}")).await;
    sam.js(
        "const form = document.querySelector('.actions button[data-action=claim]').closest('form');
         form.querySelector('input[name=_csrf]').remove();",
    )
    .await;
    sam.find(".actions button[data-action=claim]")
        .await
        .click()
        .await
        .unwrap();
    sam.wait_for(
        "the refusal page",
        "return document.title.startsWith('403')",
    )
    .await;
    assert!(sam.text(".error").await.contains("security token"));

    // Nothing changed.
    sam.goto(&format!("/items/{id}")).await;
    assert_eq!(sam.text(".about .status-label").await, "new");
    assert_eq!(sam.text(".about .owner-label").await, "nobody");
    assert!(
        !sam.text(".history").await.contains("claimed"),
        "no claim in the history"
    );
    demo.stop().await;
}
