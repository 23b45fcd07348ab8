//! The monitoring daemon against the simulator: packed queries, cursors, the
//! triage store, ground truth, restarts and faults.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use placewatch::config::Config;
use placewatch::domain::ingest::{Cursor, Pending};
use placewatch::domain::triage::{Account, Council};
use placewatch::poller::health::MonitorLabel;
use placewatch::poller::plan::Source;
use placewatch::poller::{PAGE_SIZE, PollError, Poller, Settings};
use placewatch::store::{ItemFilter, Store};
use placewatch::x::client::RetryPolicy;
use placewatch::x::{Client, SearchRequest, UserAuth};
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::engine::{TestDb, engines};
use crate::helpers::{TestSim, param};
use placewatch::store::Engine;
use rstest_reuse::apply;

const CONFIG: &str = r#"
[council]
name = "Croydon Council"
handle = "yourcroydon"

[monitor]
places = ["Croydon", "East Croydon", "West Croydon", "Thornton Heath", "Purley"]
exclusions = ["Melbourne", "Pennsylvania"]
languages = []
min_interval_secs = 1
max_interval_secs = 5

[[rules]]
name = "waste"
when = { words = ["bins", "litter", "fly-tipping"] }
then = { tag = "waste", owner = "streets-team" }
"#;

pub struct TestPoller {
    pub poller: Poller,
    /// Its store (on either engine) and its data directory.
    pub db: TestDb,
}

/// A poller over the store `db` names (its data directory `db.dir`),
/// reading the simulator.
pub async fn poller_for(sim: &TestSim, db: TestDb) -> TestPoller {
    let dir = db.dir.path();
    let config_path = dir.join("placewatch.toml");
    let text = format!(
        "{CONFIG}\n[x]\napi_base = \"{}\"\n\n[data]\ndir = \"{}\"\n{}",
        sim.server.base_url(),
        dir.display(),
        db.store_section()
    );
    std::fs::write(&config_path, text).unwrap();
    let config = Config::load(&config_path).unwrap();
    let store = Store::connect(&db.url, None).await.unwrap();
    let client = Client::builder(
        config.x.api_base.clone(),
        SecretString::from(sim.creds().bearer_token.clone()),
    )
    .user(UserAuth::Static(SecretString::from(
        sim.creds().user_access_token.clone(),
    )))
    .build()
    .unwrap();
    let council = Council::LoggedIn(Account {
        id: sim.creds().council.id.parse().unwrap(),
        handle: sim.creds().council.username.clone(),
    });
    let mut poller = Poller::new(client, store, &config, &council).unwrap();
    poller.settings = Settings {
        min_interval: Duration::from_millis(50),
        max_interval: Duration::from_millis(200),
        backfill: Duration::from_secs(7 * 86_400 - 120),
        monthly_post_reads: None,
        warn_at_percent: 80,
        status_file: None,
    };
    TestPoller { poller, db }
}

/// Every post id the monitors should have found, per the simulator.
async fn ground_truth(sim: &TestSim, p: &TestPoller) -> BTreeSet<u64> {
    let mut ids = BTreeSet::new();
    for m in &p.poller.monitors {
        let query = match &m.source {
            Source::Search { query } => query.clone(),
            Source::Mentions { .. } => format!("@{}", sim.creds().council.username),
        };
        ids.extend(sim.truth(&query).await);
    }
    ids
}

/// The post id of every stored item, read post by post (not through the
/// inbox's filters and pages).
pub async fn stored_items(store: &Store) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let page = store.posts_after(after, 500).await.unwrap();
        let Some((last, _, _)) = page.last() else {
            return ids;
        };
        after = last.id;
        ids.extend(
            page.iter()
                .filter_map(|(post, _, item)| item.as_ref().map(|i| (post.id, i.post.id)))
                .map(|(post, item_post)| {
                    assert_eq!(post, item_post, "the item of its post");
                    post
                }),
        );
    }
}

async fn poll_all(p: &TestPoller) {
    let never = CancellationToken::new();
    for m in &p.poller.monitors {
        p.poller.poll_once(m, &never).await.unwrap();
    }
}

/// The cursor of `monitor`, whose cycle completed with `newest` (its first
/// page's newest_id) as the new since_id.
async fn completed_cycle(p: &TestPoller, monitor: &str, newest: u64) -> Cursor {
    let cursor = p.poller.store.cursor(monitor).await.unwrap().unwrap();
    assert_eq!(cursor.since_id, Some(newest), "the first page's newest_id");
    assert_eq!(cursor.pending, None);
    cursor
}

fn assert_same(stored: &[u64], truth: &BTreeSet<u64>) {
    let unique: BTreeSet<u64> = stored.iter().copied().collect();
    assert_eq!(unique.len(), stored.len(), "no duplicate items");
    let missing: Vec<_> = truth.difference(&unique).collect();
    let extra: Vec<_> = unique.difference(truth).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}

#[apply(engines)]
#[tokio::test]
async fn stored_items_equal_ground_truth_and_nothing_is_read_twice(#[case] engine: Engine) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let p = poller_for(&sim, db).await;
    assert_eq!(
        p.poller.monitors.len(),
        2,
        "one packed search and the mentions timeline"
    );
    poll_all(&p).await;
    // New posts arrive; the next cycle reads only those.
    sim.inject(json!([
        {"text": "Litter all down Cherry Orchard Road, East Croydon", "author": "res_new1"},
        {"text": "@yourcroydon the bins in Purley were missed", "author": "res_new2"},
        {"text": "Croydon Melbourne weather is lovely", "author": "aussie_a"},
    ]))
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The simulator hides the last 30 s from searches without since_id; with a
    // cursor every new post is visible.
    poll_all(&p).await;
    poll_all(&p).await;
    let truth = ground_truth(&sim, &p).await;
    let stored = stored_items(&p.poller.store).await;
    assert_same(&stored, &truth);
    let stats = sim.stats().await;
    assert_eq!(stats["posts_served_twice"], 0, "{stats}");

    let waste = p
        .poller
        .store
        .list_items(&ItemFilter {
            tag: Some("waste".into()),
            ..ItemFilter::default()
        })
        .await
        .unwrap();
    assert!(!waste.items.is_empty(), "the rule tagged waste posts");
    assert!(
        waste
            .items
            .iter()
            .all(|i| i.owner.as_deref() == Some("streets-team"))
    );
    let summoned = p
        .poller
        .store
        .list_items(&ItemFilter {
            text: Some("Purley missed".into()),
            ..ItemFilter::default()
        })
        .await
        .unwrap();
    assert!(summoned.items[0].flags.summoned);
}

#[apply(engines)]
#[tokio::test]
async fn a_restart_resumes_from_the_cursors(#[case] engine: Engine) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let p = poller_for(&sim, db).await;
    poll_all(&p).await;
    let first = stored_items(&p.poller.store).await.len();
    p.poller.store.close().await;
    let db = p.db;
    sim.inject(json!({"text": "Thornton Heath pond looks great today", "author": "res_r"}))
        .await;
    let p = poller_for(&sim, db).await;
    poll_all(&p).await;
    let stored = stored_items(&p.poller.store).await;
    assert_eq!(stored.len(), first + 1);
    assert_eq!(sim.stats().await["posts_served_twice"], 0);
}

/// Hashtags count as place names: a post whose only place reference is
/// `#ThorntonHeath` (any case) is found by the planned search and becomes an
/// item tagged "Thornton Heath"; `#EastCroydon`, whose place's words are left
/// to Croydon's, is searched and tagged too. The simulator's ground truth for
/// the planned queries agrees. `#CroydonPark` names no place and is not read.
#[apply(engines)]
#[tokio::test]
async fn a_post_naming_a_place_only_by_its_hashtag_becomes_an_item_for_it(#[case] engine: Engine) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let p = poller_for(&sim, db).await;
    let [search] = p
        .poller
        .monitors
        .iter()
        .filter_map(|m| match &m.source {
            Source::Search { query } => Some(query.as_str()),
            Source::Mentions { .. } => None,
        })
        .collect::<Vec<_>>()[..]
    else {
        panic!("one search: {:?}", p.poller.monitors);
    };
    assert!(
        search.starts_with(
            "(Croydon OR #EastCroydon OR #WestCroydon OR \"Thornton Heath\" OR #ThorntonHeath OR Purley) "
        ),
        "{search}"
    );
    poll_all(&p).await;
    let ids: Vec<u64> = sim
        .inject(json!([
            {"text": "Pond frozen solid this morning #ThorntonHeath", "author": "res_tag1"},
            {"text": "so proud of our high street #thorntonheath", "author": "res_tag2"},
            {"text": "#EastCroydon delays again", "author": "res_tag3"},
            {"text": "Sunset over #CroydonPark", "author": "aussie_tag"},
        ]))
        .await
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    poll_all(&p).await;

    let truth = ground_truth(&sim, &p).await;
    assert!(ids[..3].iter().all(|id| truth.contains(id)), "{ids:?}");
    assert!(!truth.contains(&ids[3]), "#CroydonPark names no place");
    assert_same(&stored_items(&p.poller.store).await, &truth);
    assert_eq!(sim.stats().await["posts_served_twice"], 0);

    let heath = places_of(&p.poller.store, "Thornton Heath", &ids).await;
    assert_eq!(
        heath,
        [
            (ids[1], vec!["Thornton Heath".to_string()]),
            (ids[0], vec!["Thornton Heath".to_string()]),
        ]
    );
    let east = places_of(&p.poller.store, "East Croydon", &ids).await;
    assert_eq!(east, [(ids[2], vec!["East Croydon".to_string()])]);
}

/// The items of `place` among the posts `ids`: each post's id and places.
async fn places_of(store: &Store, place: &str, ids: &[u64]) -> Vec<(u64, Vec<String>)> {
    let filter = ItemFilter {
        place: Some(place.into()),
        ..ItemFilter::default()
    };
    let page = store.list_items(&filter).await.unwrap();
    page.items
        .into_iter()
        .filter(|i| ids.contains(&i.post.id))
        .map(|i| (i.post.id, i.places))
        .collect()
}

#[apply(engines)]
#[tokio::test]
async fn faults_are_survived_and_the_result_is_complete(#[case] engine: Engine) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let p = poller_for(&sim, db).await;
    for fault in [
        json!({"kind": "error", "status": 503, "count": 2}),
        json!({"kind": "truncated", "count": 1}),
        json!({"kind": "drop", "count": 1}),
        json!({"kind": "malformed", "count": 1}),
        json!({"kind": "latency", "latency_ms": 300, "count": 2}),
    ] {
        sim.control("/_sim/faults", fault).await;
    }
    sim.control(
        "/_sim/faults",
        json!({"kind": "rate_limit", "reset_secs": 1, "count": 1}),
    )
    .await;
    let shutdown = CancellationToken::new();
    let runner = tokio::spawn(p.poller.clone().run_until_stopped(shutdown.clone()));
    let truth = ground_truth(&sim, &p).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stored = stored_items(&p.poller.store).await;
        if stored.len() >= truth.len() || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shutdown.cancel();
    runner.await.unwrap();
    assert_same(&stored_items(&p.poller.store).await, &truth);
    assert!(sim.stats().await["faults_injected"].as_u64().unwrap() >= 7);
}

#[apply(engines)]
#[tokio::test]
async fn a_cycle_cut_between_pages_resumes_below_what_it_stored_and_rereads_one_page_at_most(
    #[case] engine: Engine,
) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let mut p = poller_for(&sim, db).await;
    // One attempt per request: the failed page is not retried within the cycle.
    p.poller.client = Client::builder(
        p.poller.client.base_url().clone(),
        SecretString::from(sim.creds().bearer_token.clone()),
    )
    .retry(RetryPolicy {
        attempts: 1,
        ..RetryPolicy::default()
    })
    .build()
    .unwrap();
    let search = p.poller.monitors[0].clone();
    let Source::Search { query } = &search.source else {
        unreachable!("the first monitor is the packed search")
    };
    let truth = sim.truth(query).await;
    let page = usize::from(PAGE_SIZE);
    assert!(truth.len() > 2 * page, "several pages: {}", truth.len());

    // The first page comes through (a 0 ms delay uses up the first rule); the
    // second is served, then cut off mid-body: read and billed but never
    // stored, as when the process dies before committing it.
    for fault in [
        json!({"kind": "latency", "latency_ms": 0, "count": 1, "route": "/2/tweets/search"}),
        json!({"kind": "truncated", "count": 1, "route": "/2/tweets/search"}),
    ] {
        sim.control("/_sim/faults", fault).await;
    }
    let never = CancellationToken::new();
    let err = p.poller.poll_once(&search, &never).await.unwrap_err();
    assert!(matches!(err, PollError::X(_)), "{err:?}");
    let cursor = p.poller.store.cursor(&search.key).await.unwrap().unwrap();
    assert_eq!(cursor.since_id, None, "a backfill has no checkpoint yet");
    assert_eq!(
        cursor.pending,
        Some(Pending {
            newest_id: Some(truth[0]),
            until_id: truth[page - 1],
        }),
        "the first page is stored with its resume point"
    );
    assert_eq!(stored_items(&p.poller.store).await.len(), page);

    sim.clear_requests().await;
    let outcome = p.poller.poll_once(&search, &never).await.unwrap();
    assert!(outcome.resumed);
    let requests = sim.requests().await;
    assert!(!requests.is_empty());
    let until = truth[page - 1].to_string();
    for r in &requests {
        assert_eq!(param(r, "until_id"), Some(until.as_str()), "{r}");
        assert_eq!(param(r, "since_id"), None, "{r}");
        assert!(
            param(r, "start_time").is_some(),
            "a backfill resumes as one: {r}"
        );
    }
    completed_cycle(&p, &search.key, truth[0]).await;
    let twice = sim.stats().await["posts_served_twice"].as_u64().unwrap();
    assert!(
        (1..=u64::from(PAGE_SIZE)).contains(&twice),
        "the cut-off page is read again, and nothing else: {twice}"
    );
    let stored = stored_items(&p.poller.store).await;
    assert_same(&stored, &truth.iter().copied().collect());

    // The next cycle starts from the checkpoint, without until_id.
    sim.inject(json!({"text": "Purley high street is flooded", "author": "res_p"}))
        .await;
    sim.clear_requests().await;
    let outcome = p.poller.poll_once(&search, &never).await.unwrap();
    assert!(!outcome.resumed);
    assert_eq!(outcome.posts_read, 1);
    let requests = sim.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(param(&requests[0], "until_id"), None);
    assert_eq!(
        param(&requests[0], "since_id"),
        Some(truth[0].to_string().as_str())
    );
}

#[apply(engines)]
#[tokio::test]
async fn pages_read_and_not_stored_before_a_crash_are_stored_from_the_spool_not_read_again(
    #[case] engine: Engine,
) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let p = poller_for(&sim, db).await;
    let search = p.poller.monitors[0].clone();
    let Source::Search { query } = &search.source else {
        unreachable!("the first monitor is the packed search")
    };
    let truth = sim.truth(query).await;
    let page = usize::from(PAGE_SIZE);
    assert!(
        truth.len() > 2 * page,
        "more than two pages: {}",
        truth.len()
    );

    // What a run killed after reading the first two pages of its backfill,
    // and before committing either, left behind: two spooled pages.
    let spool = p.poller.spool.clone().expect("the daemon spools");
    let mut req = SearchRequest {
        query: query.clone(),
        start_time: Some(
            (time::OffsetDateTime::now_utc() - p.poller.settings.backfill)
                .replace_nanosecond(0)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap(),
        ),
        max_results: Some(PAGE_SIZE),
        ..SearchRequest::default()
    };
    for number in 1..=2 {
        let read = p.poller.client.search_recent(&req).await.unwrap();
        spool.write(&search.key, number, &read).unwrap();
        req.next_token = read.meta.next_token.clone();
    }
    let never = CancellationToken::new();
    sim.clear_requests().await;
    let outcome = p.poller.poll_once(&search, &never).await.unwrap();
    assert!(outcome.resumed, "the spooled pages continue their cycle");
    let requests = sim.requests().await;
    let until = truth[2 * page - 1].to_string();
    for r in &requests {
        assert_eq!(
            param(r, "until_id"),
            Some(until.as_str()),
            "X is asked only for what is older than the spooled pages: {r}"
        );
    }
    assert_eq!(
        sim.stats().await["posts_served_twice"],
        0,
        "nothing read twice"
    );
    assert_same(
        &stored_items(&p.poller.store).await,
        &truth.iter().copied().collect(),
    );
    let cursor = completed_cycle(&p, &search.key, truth[0]).await;
    assert!(cursor.spooled_through >= 3, "{}", cursor.spooled_through);
    let left = spool.pages(&search.key, 0).unwrap();
    assert!(
        left.pages.is_empty() && left.discarded == 0,
        "stored pages leave the spool: {left:?}"
    );
    // The usage counts each post read once: two spooled pages, then the rest.
    assert_eq!(outcome.posts_read, truth.len() as u64);
}

#[apply(engines)]
#[tokio::test]
async fn cycles_running_at_once_never_read_past_the_budget_and_resume_when_it_allows(
    #[case] engine: Engine,
) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let mut p = poller_for(&sim, db).await;
    let truth = ground_truth(&sim, &p).await;
    assert!(truth.len() > 300, "more than the budget: {}", truth.len());
    p.poller.settings.monthly_post_reads = Some(250);
    let never = CancellationToken::new();
    // Both monitors backfill at once, as the daemon runs them.
    let cycles = p
        .poller
        .monitors
        .iter()
        .map(|m| p.poller.poll_once(m, &never));
    for outcome in futures::future::join_all(cycles).await {
        match outcome {
            Ok(_) => {}
            // On a busy machine one cycle may start only after the other
            // has spent the whole budget: it reads nothing, rightly.
            Err(PollError::BudgetSpent { .. }) => {}
            Err(e) => panic!("a cycle failed: {e:?}"),
        }
    }
    let served = sim.stats().await["posts_served"].as_u64().unwrap();
    assert!(
        (200..=250).contains(&served),
        "X served {served} posts for a budget of 250"
    );
    let (month, _) = placewatch::poller::month_progress(time::OffsetDateTime::now_utc());
    let usage = p.poller.store.usage(&month).await.unwrap();
    assert_eq!(
        usage.post_reads + usage.owned_reads,
        served,
        "every read counted"
    );
    let pending = p.poller.store.cursors().await.unwrap();
    assert!(
        pending.iter().any(|c| c.pending.is_some()),
        "a cut cycle stays pending: {pending:?}"
    );
    for m in &p.poller.monitors {
        let err = p.poller.poll_once(m, &never).await.unwrap_err();
        assert!(matches!(err, PollError::BudgetSpent { .. }), "{err:?}");
    }
    assert_eq!(sim.stats().await["posts_served"].as_u64().unwrap(), served);

    // A bigger budget (next month's, say): the cycles resume where they
    // stopped, and nothing is missing or read twice.
    p.poller.settings.monthly_post_reads = Some(1_000_000);
    poll_all(&p).await;
    assert_same(&stored_items(&p.poller.store).await, &truth);
    assert_eq!(sim.stats().await["posts_served_twice"], 0);
}

/// `placewatch_polls_total` of `monitor`.
fn polls_counted(p: &TestPoller, monitor: &str) -> u64 {
    let label = MonitorLabel {
        monitor: monitor.to_owned(),
    };
    p.poller.health.metrics.polls.get_or_create(&label).get()
}

#[apply(engines)]
#[tokio::test]
async fn only_completed_cycles_count_as_polls(#[case] engine: Engine) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start().await;
    let mut p = poller_for(&sim, db).await;
    p.poller.client = Client::builder(
        p.poller.client.base_url().clone(),
        SecretString::from(sim.creds().bearer_token.clone()),
    )
    .retry(RetryPolicy {
        attempts: 1,
        ..RetryPolicy::default()
    })
    .build()
    .unwrap();
    let search = p.poller.monitors[0].clone();
    // The first page comes through, the second is cut off: the cycle stays
    // pending, its first page stored and its reads counted.
    for fault in [
        json!({"kind": "latency", "latency_ms": 0, "count": 1, "route": "/2/tweets/search"}),
        json!({"kind": "truncated", "count": 1, "route": "/2/tweets/search"}),
    ] {
        sim.control("/_sim/faults", fault).await;
    }
    let never = CancellationToken::new();
    p.poller.poll_once(&search, &never).await.unwrap_err();
    assert_eq!(polls_counted(&p, &search.key), 0, "a cycle cut short");
    let label = MonitorLabel {
        monitor: search.key.clone(),
    };
    let read = p
        .poller
        .health
        .metrics
        .posts_read
        .get_or_create(&label)
        .get();
    assert_eq!(read, u64::from(PAGE_SIZE), "its stored page's reads count");

    let outcome = p.poller.poll_once(&search, &never).await.unwrap();
    assert!(outcome.resumed && outcome.completed, "{outcome:?}");
    assert_eq!(polls_counted(&p, &search.key), 1, "the cycle, completed");
    let outcome = p.poller.poll_once(&search, &never).await.unwrap();
    assert!(outcome.completed && outcome.pages == 1, "{outcome:?}");
    assert_eq!(polls_counted(&p, &search.key), 2);
}

#[apply(engines)]
#[tokio::test]
async fn a_next_token_that_comes_back_stops_the_paging(#[case] engine: Engine) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    // A search API that answers every request with a page of one new post
    // and the same next_token: followed, it would page for ever (the budget
    // is not capped).
    let requests = Arc::new(AtomicU64::new(0));
    let api = axum::Router::new().route(
        "/2/tweets/search/recent",
        axum::routing::get({
            let requests = requests.clone();
            move || {
                let n = requests.fetch_add(1, Ordering::SeqCst);
                let id = (1_000_000 - n).to_string();
                async move {
                    axum::Json(json!({
                        "data": [{"id": id, "text": "Croydon bins again", "author_id": "7"}],
                        "meta": {"newest_id": id, "oldest_id": id, "result_count": 1, "next_token": "again"}
                    }))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api).await });

    let sim = TestSim::start().await;
    let mut p = poller_for(&sim, db).await;
    p.poller.client = Client::builder(base.parse().unwrap(), SecretString::from("token"))
        .build()
        .unwrap();
    let search = p.poller.monitors[0].clone();
    let never = CancellationToken::new();
    let poll = p.poller.poll_once(&search, &never);
    let outcome = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("paging stops")
        .unwrap();
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "the token followed once"
    );
    assert_eq!(
        (outcome.pages, outcome.completed),
        (2, false),
        "{outcome:?}"
    );
    let cursor = p.poller.store.cursor(&search.key).await.unwrap().unwrap();
    assert_eq!(
        cursor.pending,
        Some(Pending {
            newest_id: Some(1_000_000),
            until_id: 999_999,
        }),
        "the cycle stays pending, to resume below what is stored"
    );
    assert_eq!(stored_items(&p.poller.store).await.len(), 2);
    assert_eq!(polls_counted(&p, &search.key), 0);
}
