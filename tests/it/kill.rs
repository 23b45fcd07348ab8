//! The real `placewatch run` process killed with SIGKILL at random moments while
//! it polls a simulator that keeps posting, then restarted: nothing is lost, no
//! item is duplicated, and each kill costs at most the pages each monitor had in
//! flight: two, one committing while the next is fetched (pages commit in order
//! as they arrive and cycles resume with `until_id`).

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use placewatch::poller::plan::{Source, plan};
use placewatch::poller::{PAGE_SIZE, PAGES_IN_FLIGHT};
use placewatch::sim::SimOptions;
use placewatch::store::{ItemFilter, Store};
use serde_json::json;

use crate::helpers::TestSim;

fn config(sim: &TestSim, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("placewatch.toml");
    let text = format!(
        r#"
[council]
name = "Croydon Council"
handle = "yourcroydon"

[x]
api_base = "{}"
bearer_token_env = "PW_TEST_BEARER"

[monitor]
places = ["Croydon", "East Croydon", "Thornton Heath", "Purley"]
exclusions = ["Melbourne"]
languages = []
min_interval_secs = 1
max_interval_secs = 2

[data]
dir = "{}"
"#,
        sim.server.base_url(),
        dir.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn spawn(config: &std::path::Path, bearer: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["run", "--config"])
        .arg(config)
        .args(["--listen", "127.0.0.1:0"])
        .env("PW_TEST_BEARER", bearer)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the placewatch binary starts")
}

async fn items(dir: &std::path::Path) -> Vec<u64> {
    let store = Store::open(&dir.join("placewatch.db")).await.unwrap();
    let mut ids = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .list_items(&ItemFilter {
                before,
                limit: 500,
                ..ItemFilter::default()
            })
            .await
            .unwrap();
        ids.extend(page.items.iter().map(|i| i.post.id));
        match page.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    store.close().await;
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_and_duplicates_nothing() {
    let sim = TestSim::start_with(SimOptions {
        rate_per_min: 0.0,
        backlog_days: 2,
        backlog_per_day: 400,
        ..SimOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = config(&sim, dir.path());
    let bearer = sim.creds().bearer_token.clone();
    let mut kills = 0u64;
    let mut n = 0u64;
    while kills < 20 {
        let mut child = spawn(&config, &bearer);
        // New posts keep arriving while it runs.
        for _ in 0..3 {
            n += 1;
            sim.inject(json!({"text": format!("Croydon report number {n}: the bins again"), "author": format!("res_k{}", n % 7)}))
                .await;
        }
        let wait = 100 + (rand::random::<u64>() % 1400);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
    }
    // A last run to completion, stopped cleanly with SIGTERM.
    let mut child = spawn(&config, &bearer);
    // The daemon has no user login here: it searches its mentions too.
    let loaded = placewatch::config::Config::load(&config).unwrap();
    let council = placewatch::domain::triage::Council {
        id: 0,
        handle: "yourcroydon".into(),
    };
    let monitors = plan(&loaded, &council, false).unwrap();
    let mut truth = BTreeSet::new();
    // Posts matched by two monitors' queries are served to each once, by design.
    let mut served_once_per_query = 0;
    for m in &monitors {
        let Source::Search { query } = &m.source else {
            unreachable!("no timeline without a login")
        };
        let ids = sim.truth(query).await;
        served_once_per_query += ids.len();
        truth.extend(ids);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut stored = Vec::new();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stored = items(dir.path()).await;
        if stored.len() >= truth.len() {
            break;
        }
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM ends the daemon cleanly: {status:?}"
    );
    let unique: BTreeSet<u64> = stored.iter().copied().collect();
    assert_eq!(unique.len(), stored.len(), "no duplicate item");
    assert_eq!(unique, truth, "nothing lost, nothing extra");
    let stats = sim.stats().await;
    let twice = stats["posts_served_twice"].as_u64().unwrap();
    let overlap = (served_once_per_query - truth.len()) as u64;
    let rereads = twice - overlap;
    // Every monitor polls concurrently, each with at most two pages in flight
    // when the process dies (one committing, the next fetched); the stored
    // pages are never asked for again.
    let bound = kills * monitors.len() as u64 * PAGES_IN_FLIGHT * u64::from(PAGE_SIZE);
    eprintln!(
        "after {kills} kills: posts served twice = {twice} ({overlap} matched by two queries, \
         {rereads} re-read); bound {bound} ({} monitors × {PAGES_IN_FLIGHT} pages × \
         {PAGE_SIZE} posts per kill)",
        monitors.len()
    );
    assert!(
        rereads <= bound,
        "re-reads {rereads} exceed {PAGES_IN_FLIGHT} pages per monitor per kill ({bound})"
    );
}
