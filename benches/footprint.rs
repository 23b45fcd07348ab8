//! Daemon footprint: resident memory with 1,000,000 posts stored (target at
//! most 50 MB) and CPU while idle between polls (target near zero).
//!
//! 1. A store with 1,000,000 posts and 200,000 triage items (each item's post
//!    plus four context posts), written through `Store::record_pages` in
//!    batches of 1,000 items, the way `tests/it/store/perf.rs` seeds its scale
//!    test. Generated once (under a minute on 2 cores) and cached in
//!    `<target dir>/bench-data/`; later runs copy the cache. The cache's name
//!    carries a hash of `migrations/`, so a schema change regenerates it.
//! 2. The real binary, `placewatch run --config <temp copy of the reference
//!    config> --listen 127.0.0.1:<free port>`, with `x.api_base` pointing at an
//!    in-process simulator (the reference `[sim]` backlog), `data.dir` holding
//!    the copied store as `placewatch.db`, and `PLACEWATCH_BEARER_TOKEN` set to
//!    the simulator's app-only bearer.
//! 3. Once `/healthz` shows every monitor has polled (its backfill stored),
//!    VmRSS and VmHWM from `/proc/<pid>/status`; then the process's CPU time
//!    (`/proc/<pid>/stat` utime + stime) over 10 seconds of steady polling
//!    (the reference config polls at most every ~10 s, what the search rate
//!    limit allows its two queries).
//!
//! The binary is the one cargo builds for this bench (`CARGO_BIN_EXE_placewatch`,
//! i.e. `<target dir>/release/placewatch`); set `PLACEWATCH_BIN` to measure another.
//! Run: `cargo bench --bench footprint` (optional: `-- --idle-secs 10`).
//! Loopback only; the only SQL in this file is one `PRAGMA wal_checkpoint`.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::scale::cached_store;
use placewatch::domain::triage::Council;
use placewatch::poller::plan::plan;
use placewatch::sim::{SimOptions, SimServer};
use placewatch::store::Store;
use serde_json::Value;

const RSS_TARGET_MB: f64 = 50.0;

/// The daemon to measure.
fn binary() -> PathBuf {
    std::env::var_os("PLACEWATCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_placewatch")))
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("reading /proc/<pid>/stat");
    // The command name (field 2) may hold spaces; fields after its ')' are plain.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state (field 3).
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Stops the daemon with SIGTERM (a clean shutdown), SIGKILL if it lingers.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

async fn start_sim(config: &placewatch::config::Config) -> SimServer {
    let options = SimOptions {
        seed: config.sim.seed,
        rate_per_min: 0.0,
        backlog_days: config.sim.backlog_days,
        places: config
            .monitor
            .places
            .iter()
            .map(|k| k.to_string())
            .collect(),
        council_handle: config.council.handle.clone(),
        council_name: config.council.name.clone(),
        ..SimOptions::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    SimServer::start(options, addr)
        .await
        .expect("simulator starts")
}

#[tokio::main]
async fn main() {
    let idle_secs = common::arg("--idle-secs", 10);
    let bin = binary();
    assert!(
        bin.exists(),
        "no daemon binary at {} (set PLACEWATCH_BIN)",
        bin.display()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, reference) = common::reference_config("http://127.0.0.1:1", dir.path());
    let places: Vec<String> = reference
        .monitor
        .places
        .iter()
        .map(|k| k.to_string())
        .collect();
    let cache = cached_store(&places).await;

    let sim = start_sim(&reference).await;
    let (config_path, config) = common::reference_config(&sim.base_url(), dir.path());
    let db = dir.path().join(placewatch::app::DB_FILE);
    let t = Instant::now();
    std::fs::copy(&cache, &db).expect("copying the cached store");
    println!(
        "store: {:.0} MB copied in {:.1} s; simulator backlog {} posts; load average {}",
        std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        sim.state.post_count(),
        common::load_average()
    );
    // Without a stored login the daemon searches the mentions too.
    let council = Council::NotLoggedIn {
        handle: config.council.handle.clone(),
    };
    let monitors = plan(&config, &council).expect("places pack").len();

    let (port, monitoring) = (free_port(), free_port());
    let log_path = dir.path().join("daemon.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(&bin)
        .arg("run")
        .arg("--config")
        .arg(&config_path)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env(
            "PLACEWATCH__DESK__MONITORING_LISTEN",
            format!("127.0.0.1:{monitoring}"),
        )
        .env("PLACEWATCH_BEARER_TOKEN", &sim.credentials.bearer_token)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting the daemon");
    let pid = child.id();
    let started = Instant::now();

    // Wait for every monitor's first cycle (the backfill) to be stored.
    let http = reqwest::Client::new();
    let healthz = format!("http://127.0.0.1:{monitoring}/healthz");
    let polled = loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("the daemon exited ({status}):\n{log}");
        }
        if started.elapsed() > Duration::from_secs(180) {
            stop(&mut child);
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("the daemon did not finish its first polls in 180 s:\n{log}");
        }
        if let Ok(r) = http.get(&healthz).send().await
            && let Ok(snapshot) = r.json::<Value>().await
            && let Some(m) = snapshot["monitors"].as_object()
            && m.len() >= monitors
            && m.values().all(|s| !s["last_poll"].is_null())
        {
            break m
                .values()
                .filter_map(|s| s["posts_read"].as_u64())
                .sum::<u64>();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let first_polls = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_polled = proc_status_kb(pid, "VmRSS:").unwrap_or(0);

    // Steady state: a poll every ~10 s at most (the reference's rate-limited interval).
    let requests_before = common::total_requests(&common::sim_stats(&http, &sim).await);
    let ticks_before = cpu_ticks(pid);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    let ticks = cpu_ticks(pid) - ticks_before;
    let idle = t.elapsed().as_secs_f64();
    let requests_idle =
        common::total_requests(&common::sim_stats(&http, &sim).await) - requests_before;
    let rss = proc_status_kb(pid, "VmRSS:").unwrap_or(0);
    let hwm = proc_status_kb(pid, "VmHWM:").unwrap_or(0);
    stop(&mut child);
    sim.stop().await;

    let store = Store::open(&db).await.expect("store reopens");
    let posts = store.post_count().await.unwrap_or_default();
    store.close().await;
    let cpu_pct = 100.0 * ticks as f64 / clock_ticks_per_sec() / idle;
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "daemon: {monitors} monitors polled in {first_polls:.1} s ({polled} posts read); RSS {:.1} MB after the polls, {:.1} MB after idling, peak (VmHWM) {:.1} MB; {ticks} CPU ticks and {requests_idle} requests in {idle:.1} s idle",
        mb(rss_polled),
        mb(rss),
        mb(hwm)
    );
    println!(
        "footprint: RSS {:.1} MB with {posts} posts stored (target ≤ {RSS_TARGET_MB:.0} MB: {}); idle CPU {cpu_pct:.2}% over {idle:.0} s (target near zero)",
        mb(rss.max(rss_polled)),
        if mb(rss.max(rss_polled)) <= RSS_TARGET_MB {
            "met"
        } else {
            "NOT met"
        }
    );
}
