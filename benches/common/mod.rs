//! Shared by the poller benchmarks: the reference (Croydon) config pointed at
//! an in-process simulator, a simulator set up for measuring, a poller
//! assembled the way `app::App::build` does it, and the simulator's request
//! counters. Not a bench target itself (a directory module).

#![allow(dead_code)] // each bench uses its own subset

pub mod scale;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use placewatch::config::Config;
use placewatch::domain::triage::{Account, Council};
use placewatch::poller::Poller;
use placewatch::sim::{Limit, LimitSettings, SimOptions, SimServer};
use placewatch::store::Store;
use placewatch::x::{Client, UserAuth};
use secrecy::SecretString;
use serde_json::Value;

/// The value after `name` on the bench's command line (`-- --days 3`), or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The reference configuration shipped in the repository.
pub fn reference_config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/placewatch.toml")
}

/// Writes a copy of the reference config into `dir` with `x.api_base` set to
/// `api_base` and `data.dir` set to `dir`, and loads it with `Config::load`.
/// Every other key (places, exclusions, languages, intervals, budget, rules)
/// stays as shipped.
pub fn reference_config(api_base: &str, dir: &Path) -> (PathBuf, Config) {
    let text =
        std::fs::read_to_string(reference_config_path()).expect("reading the reference config");
    let quoted = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut section = String::new();
    let (mut base_set, mut dir_set) = (false, false);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            section = t.trim().to_owned();
        }
        let key = t.split('=').next().unwrap_or_default().trim();
        if section == "[x]" && key == "api_base" {
            out.push_str(&format!("api_base = {}\n", quoted(api_base)));
            base_set = true;
        } else if section == "[data]" && key == "dir" {
            out.push_str(&format!("dir = {}\n", quoted(&dir.display().to_string())));
            dir_set = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(
        base_set && dir_set,
        "the reference config has [x] api_base and [data] dir"
    );
    let path = dir.join("placewatch.toml");
    std::fs::write(&path, out).expect("writing the temp config");
    let config = Config::load(&path).expect("the temp config loads");
    (path, config)
}

/// Limits that never get in the way of a measurement (rate windows, monthly cap).
pub fn generous_limits() -> LimitSettings {
    let unlimited = Limit {
        per_app: Some(u32::MAX),
        per_user: Some(u32::MAX),
    };
    LimitSettings {
        search: unlimited,
        user_mentions: unlimited,
        user_posts: unlimited,
        monthly_post_reads: u64::MAX,
        ..LimitSettings::default()
    }
}

/// A deterministic simulator (no live stream) whose generator writes about the
/// config's place names, with `days` × `per_day` posts of backlog.
pub async fn start_sim(config: &Config, days: u32, per_day: u32) -> SimServer {
    let options = SimOptions {
        rate_per_min: 0.0,
        backlog_days: days,
        backlog_per_day: per_day,
        places: config
            .monitor
            .places
            .iter()
            .map(|k| k.to_string())
            .collect(),
        council_handle: config.council.handle.clone(),
        council_name: config.council.name.clone(),
        limits: generous_limits(),
        ..SimOptions::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    SimServer::start(options, addr)
        .await
        .expect("simulator starts")
}

/// A poller over `store` reading `sim`, built as `App::build` builds it, but
/// with the council logged in (the sim's ready user token), so mentions come
/// from the mentions timeline, and with no monthly budget. It spools its
/// pages in the config's data directory, as the daemon does.
pub fn poller(sim: &SimServer, config: &Config, store: Store) -> Poller {
    let creds = &sim.credentials;
    let client = Client::builder(
        config.x.api_base.clone(),
        SecretString::from(creds.bearer_token.clone()),
    )
    .user(UserAuth::Static(SecretString::from(
        creds.user_access_token.clone(),
    )))
    .build()
    .expect("client builds");
    let council = Council::LoggedIn(Account {
        id: creds.council.id.parse().expect("numeric council id"),
        handle: creds.council.username.clone(),
    });
    let mut poller =
        Poller::new(client, store, config, &council).expect("the reference config plans");
    poller.settings.monthly_post_reads = None;
    poller.settings.status_file = None;
    poller
}

/// The ids of every post `query` matches on the simulator (after
/// `since_id`, when given): `GET /_sim/truth`.
pub async fn truth(
    http: &reqwest::Client,
    base: &str,
    query: &str,
    since_id: Option<u64>,
) -> Vec<u64> {
    let mut url = reqwest::Url::parse(&format!("{base}/_sim/truth")).expect("url");
    url.query_pairs_mut().append_pair("query", query);
    if let Some(s) = since_id {
        url.query_pairs_mut()
            .append_pair("since_id", &s.to_string());
    }
    let body: Value = http
        .get(url)
        .send()
        .await
        .expect("truth request")
        .json()
        .await
        .expect("truth JSON");
    body["ids"]
        .as_array()
        .expect("truth ids")
        .iter()
        .filter_map(|v| v.as_str()?.parse().ok())
        .collect()
}

/// `GET /_sim/stats`.
pub async fn sim_stats(http: &reqwest::Client, sim: &SimServer) -> Value {
    http.get(format!("{}/_sim/stats", sim.base_url()))
        .send()
        .await
        .expect("stats request")
        .json()
        .await
        .expect("stats JSON")
}

/// Every X API request the simulator answered so far (all routes, all statuses).
pub fn total_requests(stats: &Value) -> u64 {
    stats["requests"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

/// The 1-minute load average, to read the figures against (other builds on a
/// shared machine slow every benchmark down).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// CPU time each thread of this process has run, by thread id with its
/// name, from `/proc/self/task/*/schedstat` (nanoseconds). Linux only; empty elsewhere.
/// Threads that ended are not counted, so take it while the work's threads
/// (the runtime's workers, SQLite's) are alive.
pub fn cpu_by_thread() -> std::collections::BTreeMap<u64, (String, Duration)> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let ns = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        out.insert(tid, (name.trim().to_owned(), Duration::from_nanos(ns)));
    }
    out
}

/// `after - before` per thread, summed by thread name, largest first. A
/// thread that started in between (a second store's writer, say) counts
/// whole; one that ended in between is not counted.
pub fn cpu_spent(
    before: &std::collections::BTreeMap<u64, (String, Duration)>,
    after: &std::collections::BTreeMap<u64, (String, Duration)>,
) -> Vec<(String, Duration)> {
    let mut by_name: std::collections::BTreeMap<String, Duration> = Default::default();
    for (tid, (name, t)) in after {
        let was = before.get(tid).map(|(_, t)| *t).unwrap_or_default();
        *by_name.entry(name.clone()).or_default() += t.saturating_sub(was);
    }
    let mut spent: Vec<(String, Duration)> =
        by_name.into_iter().filter(|(_, t)| !t.is_zero()).collect();
    spent.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
    spent
}
