//! Daemon footprint: resident memory with 1,000,000 posts stored (target at
//! most 50 MB) and CPU while idle between polls (target near zero).
//!
//! 1. A store with 1,000,000 posts and 200,000 triage items (each item's post
//!    plus four context posts), written through `Store::record_cycle` in
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
//!    (`/proc/<pid>/stat` utime + stime) over 10 idle seconds (the reference
//!    `min_interval_secs` is 60).
//!
//! The binary is the one cargo builds for this bench (`CARGO_BIN_EXE_placewatch`,
//! i.e. `<target dir>/release/placewatch`); set `PLACEWATCH_BIN` to measure another.
//! Run: `cargo bench --bench footprint` (optional: `-- --idle-secs 10`).
//! Loopback only; the only SQL in this file is one `PRAGMA wal_checkpoint`.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use placewatch::domain::post::{Author, Post};
use placewatch::domain::triage::{Council, Decision, Flags, ReplyPath};
use placewatch::poller::plan::plan;
use placewatch::sim::{SimOptions, SimServer};
use placewatch::store::{CursorMove, Cycle, MatchedPost, ReadKind, Store};
use serde_json::{Value, json};

const POSTS: u64 = 1_000_000;
const ITEMS: u64 = 200_000;
const CONTEXT_PER_ITEM: u64 = POSTS / ITEMS - 1;
const BATCH_ITEMS: u64 = 1_000;
const RSS_TARGET_MB: f64 = 50.0;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The daemon to measure.
fn binary() -> PathBuf {
    std::env::var_os("PLACEWATCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_placewatch")))
}

/// `<target dir>/bench-data`: the binary cargo built lives in `<target dir>/release/`.
fn cache_dir() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_placewatch"));
    exe.parent()
        .and_then(Path::parent)
        .map(|target| target.join("bench-data"))
        .unwrap_or_else(|| PathBuf::from("target/bench-data"))
}

/// A small deterministic generator (xorshift64*), as in tests/it/store/perf.rs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Roughly Zipf: index `i` of `n` with weight about 1/(i+1).
    fn zipf(&mut self, n: usize) -> usize {
        let x = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        (((n as f64 + 1.0).powf(x)) as usize - 1).min(n - 1)
    }
}

const COMMON: &[&str] = &[
    "the",
    "bins",
    "road",
    "litter",
    "council",
    "tram",
    "bus",
    "station",
    "park",
    "street",
    "missed",
    "again",
    "today",
    "pothole",
    "flytipping",
    "noise",
    "café",
    "market",
    "school",
    "library",
    "parking",
    "lights",
    "broken",
    "thanks",
    "lovely",
    "dump",
    "lost",
    "found",
];
const TAGS: &[&str] = &[
    "waste",
    "roads",
    "transport",
    "praise",
    "abuse",
    "parks",
    "noise",
];

fn text(rng: &mut Rng, place: &str) -> String {
    let mut words = vec![place.to_owned()];
    for _ in 0..(8 + rng.next() % 20) {
        let i = rng.zipf(3_000);
        words.push(match COMMON.get(i) {
            Some(w) => (*w).to_owned(),
            None => format!("w{i}"),
        });
    }
    words.join(" ")
}

/// A post as the poller stores it, with a raw JSON of X's usual size.
fn post(id: u64, author: u64, text: String, conversation: u64) -> Post {
    let created_at = "2025-06-14T09:00:00.000Z";
    let raw = json!({
        "id": id.to_string(),
        "text": text,
        "author_id": author.to_string(),
        "created_at": created_at,
        "conversation_id": conversation.to_string(),
        "lang": "en",
        "reply_settings": "everyone",
        "edit_history_tweet_ids": [id.to_string()],
    })
    .to_string();
    Post {
        id,
        text,
        author_id: Some(author),
        created_at: Some(created_at.into()),
        conversation_id: Some(conversation),
        in_reply_to_user_id: None,
        replied_to: None,
        quoted: None,
        is_retweet: false,
        lang: Some("en".into()),
        reply_settings: Some("everyone".into()),
        mentions: vec![],
        raw,
    }
}

/// Writes the 1,000,000-post store at `path` through `Store::record_cycle`.
async fn seed(path: &Path, places: &[String]) {
    let store = Store::open(path).await.expect("seed store opens");
    let mut rng = Rng(0x5EED);
    let mut next_id = 1_000_000_000_000u64;
    let authors: Vec<Author> = (0..2_000)
        .map(|i| Author {
            id: 10_000 + i,
            username: format!("resident_{i}"),
            name: format!("Resident {i}"),
        })
        .collect();
    let started = Instant::now();
    for batch in 0..ITEMS / BATCH_ITEMS {
        let mut matched = Vec::new();
        let mut context = Vec::new();
        let mut used = std::collections::BTreeMap::new();
        for _ in 0..BATCH_ITEMS {
            let author = &authors[rng.zipf(authors.len())];
            used.insert(author.id, author.clone());
            let conversation = next_id + 1;
            for _ in 0..CONTEXT_PER_ITEM {
                next_id += 1;
                context.push(post(
                    next_id,
                    author.id,
                    text(&mut rng, "elsewhere"),
                    conversation,
                ));
            }
            next_id += 1;
            let place = &places[rng.zipf(places.len())];
            let decision = if rng.next().is_multiple_of(3) {
                Decision {
                    tags: vec![TAGS[rng.zipf(TAGS.len())].to_owned()],
                    ..Decision::default()
                }
            } else {
                Decision::default()
            };
            matched.push(MatchedPost {
                post: post(next_id, author.id, text(&mut rng, place), conversation),
                places: vec![place.clone()],
                decision,
                flags: Flags::default(),
                reply_path: ReplyPath::Manual,
            });
        }
        let cycle = Cycle {
            monitor: format!("seed:{}", batch % 3),
            query: "seeded by benches/footprint.rs".into(),
            cursor: CursorMove::Complete {
                since_id: Some(next_id),
            },
            reads: matched.len() as u64,
            matched,
            authors: used.into_values().collect(),
            context,
            read_kind: ReadKind::PostRead,
            // A past month, so the seeded reads do not count against this month's budget.
            at: "2025-06-14T10:00:00Z".into(),
        };
        store.record_cycle(&cycle).await.expect("seed cycle stored");
        if (batch + 1) % 40 == 0 {
            let done = (batch + 1) * BATCH_ITEMS;
            println!(
                "  seeded {done} items ({} posts) in {:.0} s",
                done * (CONTEXT_PER_ITEM + 1),
                started.elapsed().as_secs_f64()
            );
        }
    }
    store.close().await;
    // Fold the WAL into the file so the cache is one self-contained file.
    use sqlx::Connection;
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("raw connection");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    conn.close().await.expect("close");
}

/// The cache file's name: `footprint-1m-<hash of migrations/>.db`, so a
/// store written under another schema is never reused (sqlx refuses a
/// database whose applied migrations were edited since).
fn cache_name() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("reading migrations/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    // FNV-1a over names and contents: stable across runs and toolchains.
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let bytes = std::fs::read(&file).expect("reading a migration");
        for b in name.unwrap_or_default().bytes().chain(bytes) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("footprint-1m-{hash:016x}.db")
}

/// The cached 1M-post store, generated on first use.
async fn cached_store(places: &[String]) -> PathBuf {
    let dir = cache_dir();
    let name = cache_name();
    let path = dir.join(&name);
    if path.exists() {
        println!("store: cached {}", path.display());
        return path;
    }
    std::fs::create_dir_all(&dir).expect("creating the cache dir");
    // Stores of older schemas are dead weight (about 750 MB each).
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with("footprint-1m-");
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let partial = dir.join(format!("{name}.partial"));
    println!(
        "store: generating {POSTS} posts / {ITEMS} items into {} (once)",
        path.display()
    );
    let t = Instant::now();
    seed(&partial, places).await;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    std::fs::rename(&partial, &path).expect("publishing the cache");
    println!("store: generated in {:.0} s", t.elapsed().as_secs_f64());
    path
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
    let idle_secs = arg("--idle-secs", 10);
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
    let council = Council {
        id: 0,
        handle: config.council.handle.clone(),
    };
    let monitors = plan(&config, &council, false).expect("places pack").len();

    let port = free_port();
    let log_path = dir.path().join("daemon.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(&bin)
        .arg("run")
        .arg("--config")
        .arg(&config_path)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
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
    let healthz = format!("http://127.0.0.1:{port}/healthz");
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

    // Idle: nothing is due for at least min_interval (60 s in the reference).
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
