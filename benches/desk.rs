//! The desk at scale, through HTTP: with 1,000,000 posts and 200,000 items
//! stored, the inbox page within 20 ms at the 95th percentile and a full-text
//! search (word forms, prefixes, phrases, the matches highlighted) within
//! 50 ms; an officer's saved views listed and one opened; the count a bulk
//! action on a whole view starts with (a place, a search) and its question
//! page; and, once each, bulk actions of thousands of items and their undo.
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
//! 4. The manager's 30-day report (`Store::report`, its tables and their
//!    CSV), with the items' post times spread over a year (about 16,000 in
//!    the 30 days, as many in the 30 before), within 200 ms at the 95th
//!    percentile; and, for scale, a whole year's (every item) once or twice.
//!
//! Run: `cargo bench --bench desk` (`-- --requests N` to change the count;
//! `-- --only-report` for the report alone). Loopback only.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::scale::{ITEMS, POSTS, cached_store};
use placewatch::config::Config;
use placewatch::domain::officer::Role;
use placewatch::domain::report::{Measure, Period, Prices, ReportSettings, WallClock};
use placewatch::domain::text::ReplyPrices;
use placewatch::domain::triage::Council;
use placewatch::domain::triage::WaitingTargets;
use placewatch::poller::health::Health;
use placewatch::store::{NewOfficer, Store};
use placewatch::web::{self, Desk, hash_password};
use tokio_util::sync::CancellationToken;

const INBOX_TARGET: Duration = Duration::from_millis(20);
const SEARCH_TARGET: Duration = Duration::from_millis(50);
const REPORT_TARGET: Duration = Duration::from_millis(200);

/// The copied store with months of desk work spread over its items.
async fn spread(path: &std::path::Path) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("raw connection");
    common::scale::spread_work(&mut conn, "sam").await;
    spread_report_times(&mut conn).await;
    conn.close().await.expect("close");
}

/// Every post of the cached store was created at one instant; a year of
/// desk work spreads them: post times over the 365 days up to 14 June 2025
/// (in `item_times`, where the report finds them), in item order as the
/// poller files them (a month's items are neighbours in the items table),
/// and for items replied to or referred a first response from 1 minute to
/// 10 hours later by one of six officers, for those dismissed a resolution
/// as late.
async fn spread_report_times(conn: &mut sqlx::SqliteConnection) {
    sqlx::query(
        "UPDATE item_times SET posted_at = strftime('%Y-%m-%dT%H:%M:%fZ', '2025-06-14T09:00:00Z', \
             '-' || ((? - item_id) * 365 * 86400 / ?) || ' seconds')",
    )
    .bind(ITEMS as i64)
    .bind(ITEMS as i64)
    .execute(&mut *conn)
    .await
    .expect("spreading post times");
    sqlx::query(
        "UPDATE item_times SET \
         first_response_at = CASE WHEN i.status IN ('replied', 'referred') THEN strftime( \
             '%Y-%m-%dT%H:%M:%fZ', posted_at, '+' || (60 + item_id * 104729 % 36000) || ' seconds') END, \
         first_response_by = CASE WHEN i.status IN ('replied', 'referred') \
             THEN 'officer' || (item_id % 6) END, \
         resolved_at = CASE WHEN i.status IN ('replied', 'referred', 'dismissed') THEN strftime( \
             '%Y-%m-%dT%H:%M:%fZ', posted_at, '+' || (60 + item_id * 104729 % 36000) || ' seconds') END \
         FROM items i WHERE i.id = item_times.item_id",
    )
    .execute(&mut *conn)
    .await
    .expect("spreading response times");
}

/// Times the report of `period` (the store's read, the assembly, every
/// table and its CSV) `n` times after two warm-ups; p50, p95, p99 and the
/// items it covered.
async fn time_report(store: &Store, period: Period, n: usize) -> (Timing, u64) {
    let settings = ReportSettings {
        targets: WaitingTargets::default(),
        prices: Prices {
            post_read_usd: 0.005,
            owned_read_usd: 0.001,
            replies: ReplyPrices::X_2026_04_20,
            monthly_usd: Some(200.0),
        },
        now: time::macros::datetime!(2025-06-20 12:00 UTC),
    };
    let once = || async {
        let report = store
            .report(period, &WallClock, Measure::WallClock, &settings)
            .await
            .expect("a report");
        let bytes: usize = report.tables().iter().map(|t| t.to_csv().len()).sum();
        (report.volume.total, bytes)
    };
    for _ in 0..2 {
        once().await;
    }
    let mut times = Vec::with_capacity(n);
    let (mut items, mut bytes) = (0, 0);
    for _ in 0..n {
        let t = Instant::now();
        (items, bytes) = once().await;
        times.push(t.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    let timing = Timing {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        bytes,
    };
    (timing, items)
}

/// The 30-day report against its target, and a year's for scale; whether
/// the 30 days were within target.
async fn reports(store: &Store, n: usize) -> bool {
    use time::macros::date;
    let month = Period::new(date!(2025 - 05 - 16), date!(2025 - 06 - 14)).unwrap();
    let (t, items) = time_report(store, month, n).await;
    let ok = t.p95 <= REPORT_TARGET;
    println!(
        "{:<28} {:>9.2?} {:>9.2?} {:>9.2?} {:>9}  {:?} {} ({items} items)",
        "30-day report",
        t.p50,
        t.p95,
        t.p99,
        t.bytes,
        REPORT_TARGET,
        if ok { "ok" } else { "MISSED" }
    );
    let year = Period::new(date!(2024 - 06 - 15), date!(2025 - 06 - 14)).unwrap();
    let (t, items) = time_report(store, year, 3).await;
    println!(
        "{:<28} {:>9.2?} {:>9.2?} {:>9.2?} {:>9}  (for scale: {items} items)",
        "365-day report", t.p50, t.p95, t.p99, t.bytes
    );
    ok
}

struct Timing {
    p50: Duration,
    p95: Duration,
    p99: Duration,
    bytes: usize,
}

/// One request to time: a page, or a form posted with the session's token.
#[derive(Clone)]
enum Request {
    Get(String),
    Post(String, Vec<(String, String)>),
}

struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Session {
    /// Sends `request`; the status and the body's length.
    async fn send(&self, request: &Request) -> (u16, usize) {
        let r = match request {
            Request::Get(path) => self.http.get(format!("{}{path}", self.base)),
            Request::Post(path, form) => {
                let mut form = form.clone();
                form.push(("_csrf".into(), self.csrf.clone()));
                self.http.post(format!("{}{path}", self.base)).form(&form)
            }
        };
        let r = r
            .header("Cookie", &self.cookie)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.bytes().await.expect("body").len())
    }
}

async fn time(session: &Session, request: &Request, n: usize) -> Timing {
    let once = || async {
        let (status, bytes) = session.send(request).await;
        assert_eq!(status, 200, "{}", name_of(request));
        bytes
    };
    for _ in 0..10 {
        once().await;
    }
    let mut times = Vec::with_capacity(n);
    let mut bytes = 0;
    for _ in 0..n {
        let t = Instant::now();
        bytes = once().await;
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

fn name_of(request: &Request) -> String {
    match request {
        Request::Get(path) => path.clone(),
        Request::Post(path, form) => format!("POST {path} {form:?}"),
    }
}

/// The bulk bar's form for everything `view` matches.
fn bulk_form(view: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form = vec![
        ("action", "priority"),
        ("priority", "high"),
        ("scope", "view"),
        ("view", view),
    ];
    form.extend_from_slice(extra);
    form.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Prints a table of timed requests; the names of those past their target.
async fn measure(session: &Session, n: usize, lines: &[(&str, Request, Duration)]) -> Vec<String> {
    let mut failed = Vec::new();
    for (name, request, target) in lines {
        let t = time(session, request, n).await;
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
            failed.push((*name).to_owned());
        }
    }
    failed
}

#[tokio::main]
async fn main() {
    let n: usize = common::arg("--requests", 200);
    let only_report = std::env::args().any(|a| a == "--only-report");
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
    println!("reports: {POSTS} posts, {ITEMS} items; {n} reports, one at a time");
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9}  target p95",
        "report", "p50", "p95", "p99", "CSV bytes"
    );
    let report_ok = reports(&store, n).await;
    if only_report {
        store.close().await;
        if !report_ok {
            println!("missed the target: 30-day report");
            std::process::exit(1);
        }
        return;
    }
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
    let server = tokio::spawn(web::serve(
        listener,
        web::router(desk),
        shutdown.clone(),
        None,
    ));
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = login(&http, &base).await;
    let csrf = {
        let html = http
            .get(format!("{base}/status"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"csrf-token\" content=\"";
        let start = html.find(marker).expect("the csrf meta tag") + marker.len();
        html[start..][..html[start..].find('"').unwrap()].to_owned()
    };
    let session = Session {
        http: http.clone(),
        base: base.clone(),
        cookie,
        csrf,
    };

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
    let pages: Vec<(&str, Request, Duration)> = pages
        .iter()
        .map(|(name, path, target)| (*name, Request::Get(path.clone()), *target))
        .collect();
    let mut failed = measure(&session, n, &pages).await;
    if !report_ok {
        failed.push("30-day report".to_owned());
    }

    // Saved views: twenty that sam sees (ten his, ten shared by a
    // colleague) listed beside the open queue, and one opened.
    for k in 0..10 {
        let query = format!(
            "status=new&place={}&sort=oldest_waiting",
            places[k % places.len()]
        );
        store
            .save_view("sam", &format!("Mine {k}"), &query, false)
            .await
            .expect("a view");
        store
            .save_view(
                "priya",
                &format!("Team {k}"),
                &format!("tag=roads&priority=high&q=w{k}"),
                true,
            )
            .await
            .expect("a shared view");
    }
    let post = |form: Vec<(String, String)>| Request::Post("/items/bulk".into(), form);
    let preview = [("preview", "1")];
    let more: Vec<(&str, Request, Duration)> = vec![
        (
            "saved views: 20 listed",
            Request::Get("/".into()),
            INBOX_TARGET,
        ),
        (
            "saved view opened",
            Request::Get("/?status=new&place=Purley&sort=oldest_waiting".into()),
            INBOX_TARGET,
        ),
        (
            "bulk count: open, a place",
            post(bulk_form("place=Purley", &preview)),
            INBOX_TARGET,
        ),
        (
            "bulk count: open, a search",
            post(bulk_form("q=bins", &preview)),
            SEARCH_TARGET,
        ),
        (
            "bulk count: search + place",
            post(bulk_form("q=bins&place=Croydon", &preview)),
            SEARCH_TARGET,
        ),
        (
            "bulk question: open, a place",
            post(bulk_form("place=Purley", &[])),
            SEARCH_TARGET,
        ),
    ];
    failed.extend(measure(&session, n, &more).await);
    bulk_actions(&session, &store).await;
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

/// Bulk actions of thousands of items and their undo, once each (they
/// change the store): the whole request, as the officer waits for it.
async fn bulk_actions(session: &Session, store: &Store) {
    use placewatch::store::ItemFilter;
    for (name, view) in [
        ("open, a place", "place=Purley"),
        ("new items", "status=new"),
    ] {
        let filter = ItemFilter {
            open: !view.starts_with("status="),
            status: view
                .starts_with("status=new")
                .then_some(placewatch::domain::triage::Status::New),
            place: view.strip_prefix("place=").map(str::to_owned),
            ..Default::default()
        };
        let count = store.count_matching(&filter).await.expect("a count");
        let confirmed = count.to_string();
        let form = bulk_form(view, &[("confirmed", confirmed.as_str())]);
        let t = Instant::now();
        let r = session
            .http
            .post(format!("{}/items/bulk", session.base))
            .header("Cookie", &session.cookie)
            .form(&[form, vec![("_csrf".into(), session.csrf.clone())]].concat())
            .send()
            .await
            .expect("bulk");
        let applied = t.elapsed();
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        let changes = url::form_urlencoded::parse(to.split_once('?').unwrap().1.as_bytes())
            .find(|(k, _)| k == "undo")
            .map(|(_, v)| v.into_owned())
            .expect("an undo offer");
        let t = Instant::now();
        let r = session
            .http
            .post(format!("{}/undo", session.base))
            .header("Cookie", &session.cookie)
            .form(&[
                ("changes", changes.as_str()),
                ("_csrf", session.csrf.as_str()),
            ])
            .send()
            .await
            .expect("undo");
        let undone = t.elapsed();
        let said = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(said.contains("done=Undone"), "{said}");
        println!("bulk priority, {name} ({count} items): {applied:.0?}; its undo {undone:.0?}");
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
