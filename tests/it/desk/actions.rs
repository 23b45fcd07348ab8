//! Triage from the desk: the inbox and its filters, the item page, workflow
//! actions (forms and the script's JSON), bulk dismiss, and one audit entry
//! per action.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{DeskTest, flash};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

#[apply(engines)]
#[tokio::test]
async fn every_desk_action_leaves_exactly_one_audit_entry(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(
        engine,
        "[[teams]]\nname = \"Libraries\"\nemails = [\"libraries@croydon.example\"]\n",
    )
    .await
    else {
        return;
    };
    let a = t
        .arrive("resident3", "Fly-tipping behind Croydon library")
        .await;
    let b = t.arrive("resident4", "Purley pool closed again").await;
    let sam = t.login("sam").await;
    let priya = t.login("priya").await;
    let before = t.audit_count().await;
    let (ia, ib) = (a.id.to_string(), b.id.to_string());
    type Step<'a> = (&'a super::Officer, String, Vec<(&'a str, &'a str)>);
    let steps: Vec<Step> = vec![
        (&sam, format!("/items/{ia}/claim"), vec![]),
        (
            &sam,
            format!("/items/{ia}/note"),
            vec![("text", "Called the depot")],
        ),
        (&sam, format!("/items/{ia}/release"), vec![]),
        (&priya, format!("/items/{ia}/claim"), vec![]),
        (
            &priya,
            format!("/items/{ia}/refer"),
            vec![("team", "Libraries"), ("reason", "Their car park")],
        ),
        (&sam, format!("/items/{ia}/reopen"), vec![]),
        (&sam, format!("/items/{ia}/dismiss"), vec![]),
        (&sam, format!("/items/{ib}/mark-replied"), vec![]),
        (
            &sam,
            "/items/dismiss".to_owned(),
            vec![("item", &ia), ("item", &ib)],
        ),
    ];
    let n = steps.len();
    for (officer, path, form) in steps {
        let r = officer.post(&path, &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }
    // The bulk dismiss found both closed already: it changed nothing and says so.
    let after = t.audit_count().await;
    assert_eq!(
        after - before,
        n - 1,
        "one entry per action that changed something"
    );
    let history: Vec<(String, String)> = t
        .store
        .audit(Some(a.id), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    assert!(
        history.contains(&("priya".into(), "item.referred".into())),
        "{history:?}"
    );
    assert!(
        history.contains(&("sam".into(), "item.note_added".into())),
        "{history:?}"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn refused_transitions_say_why_and_change_nothing(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t.arrive("resident5", "Croydon tram stuck").await;
    let sam = t.login("sam").await;
    sam.post(&format!("/items/{}/dismiss", item.id), &[]).await;
    let before = t.audit_count().await;
    // A form is answered in the page it came from; the script gets a 409.
    let r = sam.post(&format!("/items/{}/claim", item.id), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(flash(&r).contains("dismissed"), "{}", flash(&r));
    let r = sam
        .post_json(&format!("/items/{}/claim", item.id), json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(body.contains("dismissed"), "{body}");
    assert_eq!(t.audit_count().await, before);
    let r = sam.get("/items/99999999").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn the_script_gets_json_and_forms_get_a_redirect_back(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident6", "Lovely flowers in Croydon park")
        .await;
    let sam = t.login("sam").await;
    let r = sam
        .post_json(&format!("/items/{}/claim", item.id), json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "in_progress");
    assert_eq!(body["owner"], "sam");
    let r = sam
        .post(
            &format!("/items/{}/release", item.id),
            &[("back", "/?status=new")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(super::location(&r).starts_with("/?status=new&done="));
    assert!(flash(&r).contains("released (now new)"), "{}", flash(&r));
    // A back link elsewhere is ignored.
    let r = sam
        .post(
            &format!("/items/{}/claim", item.id),
            &[("back", "https://evil.example/")],
        )
        .await;
    assert!(
        super::location(&r).starts_with("/?done="),
        "{}",
        super::location(&r)
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn the_inbox_filters_searches_counts_and_pages(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let purley = t
        .arrive("resident7", "Streetlight out in Purley again")
        .await;
    let croydon = t
        .arrive("resident8", "Croydon market smells of zebras")
        .await;
    let sam = t.login("sam").await;

    let page = |q: &str| {
        let sam = &sam;
        let q = q.to_owned();
        async move {
            let r = sam.get(&format!("/?{q}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{q}");
            r.text().await.unwrap()
        }
    };
    let html = page("q=zebras").await;
    assert!(html.contains(&format!("data-id=\"{}\"", croydon.id)));
    assert!(!html.contains(&format!("data-id=\"{}\"", purley.id)));
    let html = page("place=Purley").await;
    assert!(html.contains(&format!("data-id=\"{}\"", purley.id)));
    assert!(!html.contains(&format!("data-id=\"{}\"", croydon.id)));

    sam.post(&format!("/items/{}/claim", purley.id), &[]).await;
    let html = page("owner=me").await;
    assert!(html.contains(&format!("data-id=\"{}\"", purley.id)));
    assert!(!html.contains(&format!("data-id=\"{}\"", croydon.id)));
    let html = page("status=in_progress").await;
    assert!(html.contains(&format!("data-id=\"{}\"", purley.id)));
    assert!(
        html.contains("In progress <span class=\"count\">1</span>"),
        "counts per status"
    );

    // Everything newest first, 50 a page, with a link to the next.
    let total = t
        .store
        .list_items(&Default::default())
        .await
        .unwrap()
        .counts
        .iter()
        .map(|c| c.1)
        .sum::<u64>();
    let html = page("status=all").await;
    let first = html.find(&format!("data-id=\"{}\"", croydon.id)).unwrap();
    let second = html.find(&format!("data-id=\"{}\"", purley.id)).unwrap();
    assert!(first < second, "newest first");
    assert_eq!(html.matches("class=\"item ").count() as u64, total.min(50));
    assert_eq!(html.contains("rel=\"next\""), total > 50);

    let r = sam.get("/?priority=whenever").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn the_inbox_lands_on_open_items_most_urgent_first_then_longest_waiting(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on_with(engine,
        "\n[[rules]]\nname = \"crossing\"\nwhen = { words = [\"crossing\"] }\nthen = { priority = \"high\" }\n",
    )
    .await else {
        return;
    };
    let old = t.arrive("resident40", "Croydon bins again").await;
    let crossing = t
        .arrive(
            "resident41",
            "Croydon school crossing lights broken, dangerous",
        )
        .await;
    let chat = t.arrive("resident42", "Lovely walk in Croydon today").await;
    let done = t.arrive("resident43", "Croydon market was great").await;
    let sam = t.login("sam").await;
    sam.post(&format!("/items/{}/dismiss", done.id), &[]).await;
    let position = |html: &str, id: i64| html.find(&format!("data-id=\"{id}\""));

    let html = sam.get("/").await.text().await.unwrap();
    assert!(html.contains("Inbox: open items"), "the landing view");
    assert!(
        position(&html, done.id).is_none(),
        "dismissed items are not open"
    );
    let (c, o, n) = (
        position(&html, crossing.id).unwrap(),
        position(&html, old.id).unwrap(),
        position(&html, chat.id).unwrap(),
    );
    assert!(
        c < o && o < n,
        "high priority first, then the longest waiting"
    );
    assert!(
        html.contains("<option value=\"priority\" selected>"),
        "{html}"
    );
    assert!(
        html.contains("class=\"wait wait-"),
        "waiting clocks on open items"
    );
    let new_items = t
        .store
        .list_items(&Default::default())
        .await
        .unwrap()
        .counts
        .iter()
        .find(|(s, _)| *s == placewatch::domain::triage::Status::New)
        .unwrap()
        .1;
    assert!(
        html.contains(&format!("<title>({new_items} new) Inbox: open items")),
        "the tab title counts new items"
    );
    assert!(html.contains("Open <span class=\"count\">"), "{html}");

    let html = sam.get("/?sort=newest").await.text().await.unwrap();
    let (c, o, n) = (
        position(&html, crossing.id).unwrap(),
        position(&html, old.id).unwrap(),
        position(&html, chat.id).unwrap(),
    );
    assert!(n < c && c < o, "newest first");
    let html = sam.get("/?status=dismissed").await.text().await.unwrap();
    assert!(position(&html, done.id).is_some());
    assert!(
        !html.contains("class=\"wait wait-"),
        "closed items have no clock"
    );
    assert_eq!(
        sam.get("/?sort=sideways").await.status(),
        StatusCode::BAD_REQUEST
    );

    // The split view: the item beside the list, and the pane alone for the script.
    let html = sam
        .get(&format!("/?item={}", crossing.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"desk has-item\""));
    assert!(html.contains(&format!("Item {}: post by", crossing.id)));
    assert!(html.contains("aria-current=\"true\""), "its row is marked");
    let pane = sam
        .get(&format!(
            "/items/{}?pane=1&list=%2F%3Fitem%3D{}",
            old.id, old.id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(pane.starts_with("<article class=\"item-view\""), "{pane}");
    assert!(pane.contains(&format!(
        "<h2 class=\"item-title\" id=\"item-title\" tabindex=\"-1\">Item {}",
        old.id
    )));
    assert!(
        pane.contains(&format!("name=\"back\" value=\"/?item={}\"", old.id)),
        "its forms come back to the split view"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn the_item_page_shows_thread_matches_flags_notes_and_history(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive(
            "resident9",
            "@yourcroydon Croydon bins not emptied, absolute idiots",
        )
        .await;
    let sam = t.login("sam").await;
    sam.post(
        &format!("/items/{}/note", item.id),
        &[("text", "Asked <Veolia> & waited")],
    )
    .await;
    let html = sam
        .get(&format!("/items/{}", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Croydon bins not emptied"));
    assert!(
        html.contains("Matched places</dt><dd>Croydon</dd>"),
        "why it matched"
    );
    assert!(html.contains("API: placewatch can send"), "reply path");
    assert!(
        html.contains("Asked &#60;Veolia&#62; &#38; waited"),
        "notes escaped"
    );
    assert!(
        html.contains("sam added a note"),
        "history from the audit log"
    );
    assert!(
        html.contains("<option value=\"thanks\""),
        "the template picker"
    );
    t.stop().await;
}

/// The part of `page` from `from` to the next `to` after it.
fn part<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in {page}"));
    let end = page[start..].find(to).map_or(page.len(), |e| start + e);
    &page[start..end]
}

#[apply(engines)]
#[tokio::test]
async fn the_status_page_shows_each_querys_rate_limit_window_from_the_running_daemon(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let item = t
        .arrive("resident30", "@yourcroydon Croydon street lights out")
        .await;
    let sam = t.login("sam").await;
    // A reply through the API to a post that summoned the council ($0.010),
    // for the spend.
    let r = sam
        .post(
            &format!("/items/{}/reply", item.id),
            &[("template", "thanks"), ("text", "")],
        )
        .await;
    assert!(flash(&r).starts_with("Reply sent"), "{}", flash(&r));
    let now = time::OffsetDateTime::now_utc();
    let year = now.year();
    let month = format!("{year:04}-{:02}", u8::from(now.month()));
    // The simulator has no new posts, so the month's reads settle after the
    // backfill: read the page until it agrees with the store.
    // The bound only stops a broken build from hanging the suite.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    let (page, usage) = loop {
        let before = t.store.usage(&month).await.unwrap();
        let page = sam.get("/status").await.text().await.unwrap();
        if t.store.usage(&month).await.unwrap() == before && page.contains("requests left") {
            break (page, before);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the status page never settled:\n{page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };

    // Each query under its place names, the X query behind a disclosure.
    let search = part(&page, "<h3 id=\"monitor-1\">", "</li>");
    assert!(search.contains(">Croydon and Purley</h3>"), "{search}");
    assert!(
        search.contains("<details>")
            && search.contains("<summary>All 2 place names and the X query</summary>"),
        "{search}"
    );
    assert!(
        search.contains("<pre class=\"query\"><code>(Croydon OR Purley)"),
        "{search}"
    );
    let mentions = part(&page, "<h3 id=\"monitor-2\">", "</li>");
    assert!(
        mentions.contains(">Mentions of @yourcroydon</h3>"),
        "{mentions}"
    );
    assert!(
        !mentions.contains("<details>"),
        "no query behind the timeline"
    );
    // The rate limit's reset as a time, never '?'.
    assert!(
        search.contains(&format!("requests left, resets <time datetime=\"{year}-")),
        "{search}"
    );
    assert!(
        !page.contains("resets ?") && !page.contains("(resets"),
        "{page}"
    );
    // Times in UTC for readers without the script, which makes them local.
    assert!(
        search.contains("data-when data-seconds>") && search.contains(" UTC)</time>"),
        "{search}"
    );
    assert!(
        search.contains("<dt>Next poll</dt><dd><time ") && search.contains("data-due"),
        "{search}"
    );
    // Posts read and items filed, as the cursor counts them.
    let cursor = t
        .store
        .cursors()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.monitor.starts_with("search:"))
        .unwrap();
    assert!(cursor.items_filed > 0);
    assert!(
        search.contains(&format!(
            "<dt>Posts read</dt><dd class=\"figure\">{}</dd>",
            cursor.posts_read
        )),
        "{search}"
    );
    assert!(
        search.contains(&format!(
            "<dt>Items filed</dt><dd><span class=\"figure\">{}</span></dd>",
            cursor.items_filed
        )),
        "{search}"
    );

    // The month's spending at the configured prices, beside the counts.
    let spend = part(&page, "<h2 id=\"budget-h\">", "</section>");
    let reads = usage.post_reads;
    let dollars = |cents: f64| format!("${:.2}", (cents + 1e-6).round() / 100.0);
    assert!(
        spend.contains(&format!(
            "<span class=\"figure\">{reads} reads</span> <span class=\"money\">{}</span>",
            dollars(reads as f64 * 0.5)
        )),
        "{reads} post reads at $0.005: {spend}"
    );
    assert!(
        spend.contains("<span class=\"figure\">1 reply</span> <span class=\"money\">$0.01</span>"),
        "one summoned reply at $0.010: {spend}"
    );
    let total = reads as f64 * 0.5 + usage.owned_reads as f64 * 0.1 + 1.0;
    assert!(
        spend.contains(&format!(
            "<th scope=\"row\">Total</th><td><span class=\"money\">{}</span>",
            dollars(total)
        )),
        "{spend}"
    );
    assert!(spend.contains("Forecast for the month"), "{spend}");
    // Thousands separators: the configured cap of 1000000 post reads.
    assert!(
        spend.contains("of the month&#39;s 1,000,000 post reads used"),
        "{spend}"
    );
    assert!(
        page.contains("Polling every 1 s at most often (monitor.min_interval_secs)"),
        "{page}"
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_refused_search_shows_the_views_without_counts(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    t.arrive("resident31", "Croydon bins not collected").await;
    let sam = t.login("sam").await;
    let tabs_of = |page: &str| part(page, "<nav aria-label=\"Views\"", "</nav>").to_owned();

    let r = sam.get("/?place=Croydon&q=bins").await;
    assert_eq!(r.status(), StatusCode::OK);
    let tabs = tabs_of(&r.text().await.unwrap());
    assert!(
        tabs.contains("data-view=\"new\">New <span class=\"count\">"),
        "{tabs}"
    );
    assert!(tabs.contains("q=bins"), "the tabs keep a search that ran");

    // Thirteen words: refused. No tab says 0 of a list that is empty because
    // the search did not run; each leads to its view without the words.
    let words = "bins+".repeat(13);
    let r = sam.get(&format!("/?place=Croydon&q={words}")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("13 words"), "the reason is shown");
    let tabs = tabs_of(&page);
    assert!(!tabs.contains("class=\"count\""), "{tabs}");
    assert!(!tabs.contains("q="), "{tabs}");
    assert!(
        tabs.contains("href=\"/?place=Croydon\"")
            && tabs.contains("href=\"/?status=new&#38;place=Croydon\""),
        "{tabs}"
    );
    assert!(!page.contains("new) "), "no new-item count in the title");
    t.stop().await;
}
