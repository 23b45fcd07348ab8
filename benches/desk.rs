//! The desk at scale, through HTTP: with 1,000,000 posts and 200,000 items
//! stored, the inbox page within 20 ms at the 95th percentile and a full-text
//! search (word forms, prefixes, phrases, the matches highlighted) within
//! 50 ms.
//!
//! 1. The cached 1M-post store of `common::scale` (generated once), copied, with
//!    statuses, owners and priorities spread as months of desk work would
//!    leave them (few items still open, most replied or dismissed).
//! 2. The desk (`web::router`, as `placewatch run` serves it) on a loopback
//!    port, an officer logged in through `POST /login`.
//! 3. For each page: 10 warm-up requests, then 200 timed ones, one at a time,
//!    each the whole HTTP exchange (request, handler, store, template, body)
//!    from the client's side; p50, p95 and p99.
//!
//! Run: `cargo bench --bench desk` (`-- --requests N` to change the count).
//! Loopback only.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::scale::{ITEMS, POSTS, cached_store};
use placewatch::config::Config;
use placewatch::domain::officer::Role;
use placewatch::domain::triage::Council;
use placewatch::poller::health::Health;
use placewatch::store::{NewOfficer, Store};
use placewatch::web::{self, Desk, hash_password};
use tokio_util::sync::CancellationToken;

const INBOX_TARGET: Duration = Duration::from_millis(20);
const SEARCH_TARGET: Duration = Duration::from_millis(50);

/// The copied store with months of desk work spread over its items.
async fn spread(path: &std::path::Path) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("raw connection");
    common::scale::spread_work(&mut conn, "sam").await;
    conn.close().await.expect("close");
}

struct Timing {
    p50: Duration,
    p95: Duration,
    p99: Duration,
    bytes: usize,
}

async fn time(http: &reqwest::Client, url: &str, cookie: &str, n: usize) -> Timing {
    let get = || async {
        let r = http
            .get(url)
            .header("Cookie", cookie)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "{url}");
        r.bytes().await.expect("body").len()
    };
    for _ in 0..10 {
        get().await;
    }
    let mut times = Vec::with_capacity(n);
    let mut bytes = 0;
    for _ in 0..n {
        let t = Instant::now();
        bytes = get().await;
        times.push(t.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    Timing {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        bytes,
    }
}

#[tokio::main]
async fn main() {
    let n: usize = common::arg("--requests", 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = common::reference_config_path();
    let config = Config::load(&config_path).expect("the reference config");
    let places: Vec<String> = config
        .monitor
        .places
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    let cache = cached_store(&places).await;
    let db = dir.path().join("placewatch.db");
    std::fs::copy(&cache, &db).expect("copying the cached store");
    spread(&db).await;
    let store = Store::open(&db).await.expect("store opens");
    let hash = hash_password("benchmark password");
    store
        .add_officer(
            &NewOfficer {
                username: "sam",
                display_name: "Sam Patel",
                role: Role::Officer,
                password_hash: &hash,
            },
            "bench",
        )
        .await
        .expect("officer");

    let shutdown = CancellationToken::new();
    let council = Council::NotLoggedIn {
        handle: config.council.handle.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let desk = Desk::new(
        store.clone(),
        None,
        council,
        Arc::new(config),
        Health::default(),
        addr,
        shutdown.clone(),
    );
    let server = tokio::spawn(web::serve(listener, web::router(desk), shutdown.clone()));
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = login(&http, &base).await;

    let mid_item = ITEMS as i64 / 2;
    let pages: &[(&str, String, Duration)] = &[
        (
            "open queue, by priority then waiting",
            "/".into(),
            INBOX_TARGET,
        ),
        (
            "open queue, longest waiting",
            "/?sort=oldest_waiting".into(),
            INBOX_TARGET,
        ),
        (
            "open queue, a page in the middle",
            format!("/?before={mid_item}"),
            INBOX_TARGET,
        ),
        (
            "open queue, one place, by priority",
            "/?place=Purley".into(),
            INBOX_TARGET,
        ),
        (
            "open queue with an item beside it",
            format!("/?item={mid_item}"),
            INBOX_TARGET,
        ),
        (
            "everything, newest first",
            "/?status=all".into(),
            INBOX_TARGET,
        ),
        ("inbox, new", "/?status=new".into(), INBOX_TARGET),
        (
            "inbox, in progress, mine",
            "/?status=in_progress&owner=me".into(),
            INBOX_TARGET,
        ),
        (
            "inbox, one place",
            "/?status=all&place=Purley".into(),
            INBOX_TARGET,
        ),
        (
            "inbox, a tag, urgent",
            "/?tag=roads&priority=urgent".into(),
            INBOX_TARGET,
        ),
        (
            "everything, a page in the middle",
            format!("/?status=all&before={mid_item}"),
            INBOX_TARGET,
        ),
        (
            "search, open, by priority",
            "/?q=bins".into(),
            SEARCH_TARGET,
        ),
        (
            "search everything, a common word",
            "/?status=all&q=bins".into(),
            SEARCH_TARGET,
        ),
        (
            "search, two words",
            "/?q=pothole+lights".into(),
            SEARCH_TARGET,
        ),
        ("search, rare word", "/?q=w2718".into(), SEARCH_TARGET),
        (
            "search, word forms",
            "/?status=all&q=potholes".into(),
            SEARCH_TARGET,
        ),
        (
            "search, a prefix",
            "/?status=all&q=pot*".into(),
            SEARCH_TARGET,
        ),
        (
            "search, a phrase",
            "/?status=all&q=%22missed+tram%22".into(),
            SEARCH_TARGET,
        ),
        (
            "search in replied items",
            "/?status=replied&q=litter".into(),
            SEARCH_TARGET,
        ),
        (
            "search + place",
            "/?status=all&q=bins&place=Croydon".into(),
            SEARCH_TARGET,
        ),
        (
            "search + place, open, by priority",
            "/?q=bins&place=Croydon".into(),
            SEARCH_TARGET,
        ),
        ("item page", format!("/items/{mid_item}"), INBOX_TARGET),
    ];
    println!("desk over HTTP: {POSTS} posts, {ITEMS} items; {n} requests per page, one at a time");
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9}  target p95",
        "page", "p50", "p95", "p99", "bytes"
    );
    let mut failed = Vec::new();
    for (name, path, target) in pages {
        let t = time(&http, &format!("{base}{path}"), &cookie, n).await;
        let ok = t.p95 <= *target;
        println!(
            "{name:<28} {:>9.2?} {:>9.2?} {:>9.2?} {:>9}  {:?} {}",
            t.p50,
            t.p95,
            t.p99,
            t.bytes,
            target,
            if ok { "ok" } else { "MISSED" }
        );
        if !ok {
            failed.push(*name);
        }
    }
    println!("load average: {}", common::load_average());
    shutdown.cancel();
    server.await.unwrap().unwrap();
    store.close().await;
    if failed.is_empty() {
        println!("all pages within target");
    } else {
        println!("missed the target: {}", failed.join(", "));
        std::process::exit(1);
    }
}

/// Logs in as sam; returns the session cookie.
async fn login(http: &reqwest::Client, base: &str) -> String {
    let page = http.get(format!("{base}/login")).send().await.unwrap();
    let login_cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("placewatch_login="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("login cookie");
    let html = page.text().await.unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let token = &html[start..][..html[start..].find('"').unwrap()];
    let r = http
        .post(format!("{base}/login"))
        .header("Cookie", login_cookie)
        .form(&[
            ("username", "sam"),
            ("password", "benchmark password"),
            ("_csrf", token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("placewatch="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("session cookie")
}
