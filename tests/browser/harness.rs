//! The browser tests' harness: finds Chromium, chromedriver and axe-core (or
//! skips), starts `placewatch demo` and a chromedriver per test (or a
//! [`Chromedriver`] alone, for tests that start their own daemons), opens
//! headless Chromium sessions, and stops everything at the end.
//!
//! Every wait is for a condition with a timeout; nothing sleeps and then
//! asserts.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::page::Browser;

/// How long a page condition may take (a click, a fetch, a page load).
pub const WAIT: Duration = Duration::from_secs(15);
/// How long the daemon may take to poll an injected post into an item
/// (the demo polls every 5 to 20 seconds).
pub const POLL_WAIT: Duration = Duration::from_secs(75);

/// What a test needs besides the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Browser,
    /// The browser and axe-core.
    Axe,
}

/// The tools found on this machine.
#[derive(Debug, Clone)]
pub struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    axe: Option<PathBuf>,
}

fn env_path(var: &str, default: impl Into<PathBuf>) -> PathBuf {
    std::env::var_os(var).map_or_else(|| default.into(), PathBuf::from)
}

/// The tools, or `None` (after saying so on stderr) when one is missing and
/// `PLACEWATCH_BROWSER_TESTS=require` is not set; with it, a missing tool
/// fails the test.
pub fn tools(needs: Needs) -> Option<Tools> {
    let chromium = env_path("PLACEWATCH_CHROMIUM", "/usr/bin/chromium");
    let chromedriver = env_path("PLACEWATCH_CHROMEDRIVER", "/usr/bin/chromedriver");
    let axe = env_path(
        "AXE_CORE_JS",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/axe/node_modules/axe-core/axe.min.js"),
    );
    let missing = if !chromium.is_file() {
        Some(format!(
            "{} not found (install Debian's chromium and chromium-driver)",
            chromium.display()
        ))
    } else if !chromedriver.is_file() {
        Some(format!(
            "{} not found (install Debian's chromium and chromium-driver)",
            chromedriver.display()
        ))
    } else if needs == Needs::Axe && !axe.is_file() {
        Some(format!(
            "axe-core not found at {} (run `npm install --prefix target/axe axe-core@4` or set AXE_CORE_JS)",
            axe.display()
        ))
    } else {
        None
    };
    if let Some(why) = missing {
        if std::env::var("PLACEWATCH_BROWSER_TESTS").as_deref() == Ok("require") {
            panic!("browser tests are required (PLACEWATCH_BROWSER_TESTS=require), but {why}");
        }
        // Straight to the process's stderr: libtest would hide eprintln!'s
        // output of a passing test.
        let _ = writeln!(std::io::stderr(), "SKIPPED browser tests: {why}");
        return None;
    }
    Some(Tools {
        chromium,
        chromedriver,
        axe: (needs == Needs::Axe).then_some(axe),
    })
}

/// At most this many demos with browsers at once (the machine is small);
/// `PLACEWATCH_BROWSER_JOBS` changes it.
fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let n = std::env::var("PLACEWATCH_BROWSER_JOBS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2);
        Semaphore::new(n)
    })
}

/// A running `placewatch demo` (no live stream: only injected posts arrive)
/// with a chromedriver beside it. Its backlog items are all new (`--no-history`)
/// unless started [`with_history`](Demo::start_with_history).
pub struct Demo {
    /// The desk's origin, without a trailing slash.
    pub desk: String,
    /// The simulated X's origin.
    pub sim: String,
    /// Where `/metrics` and `/healthz` are served.
    pub monitoring: String,
    passwords: HashMap<String, String>,
    demo: Child,
    chrome: Chromedriver,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    _slot: SemaphorePermit<'static>,
}

impl Demo {
    /// Starts the demo and chromedriver, or `None` when the tools are missing.
    pub async fn start(needs: Needs) -> Option<Demo> {
        Demo::launch(needs, false).await
    }

    /// [`Demo::start`], with the officers' seeded past week (as a newcomer's
    /// `placewatch demo` has it).
    pub async fn start_with_history(needs: Needs) -> Option<Demo> {
        Demo::launch(needs, true).await
    }

    async fn launch(needs: Needs, history: bool) -> Option<Demo> {
        let tools = tools(needs)?;
        let slot = slot().await;
        let dir = tempfile::Builder::new()
            .prefix("placewatch-browser-")
            .tempdir()
            .unwrap();
        let (demo, lines) = start_demo(dir.path(), history).await;
        let chrome = Chromedriver::start(tools, dir.path()).await;
        let field = |label: &str| {
            lines
                .iter()
                .find_map(|l| l.trim().strip_prefix(label))
                .map(|rest| {
                    rest.split_whitespace()
                        .next()
                        .unwrap()
                        .trim_end_matches('/')
                        .to_owned()
                })
                .unwrap_or_else(|| panic!("no {label:?} line in the demo's output: {lines:#?}"))
        };
        let desk = field("Desk:");
        let sim = field("Simulated X:");
        let monitoring = field("Monitoring:").trim_end_matches("/healthz").to_owned();
        let passwords = lines
            .iter()
            .filter_map(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                match words.as_slice() {
                    [name, "password", password, _role] => {
                        Some(((*name).to_owned(), (*password).to_owned()))
                    }
                    _ => None,
                }
            })
            .collect();
        Some(Demo {
            desk,
            sim,
            monitoring,
            passwords,
            demo,
            chrome,
            http: reqwest::Client::new(),
            dir,
            _slot: slot,
        })
    }

    /// The demo password of an officer (sam, priya, alex, vic).
    pub fn password(&self, officer: &str) -> &str {
        self.passwords
            .get(officer)
            .unwrap_or_else(|| panic!("the demo printed no password for {officer}"))
    }

    /// The source of axe-core (only for [`Needs::Axe`]).
    pub fn axe_source(&self) -> String {
        let path = self
            .chrome
            .tools
            .axe
            .as_ref()
            .expect("started with Needs::Axe");
        std::fs::read_to_string(path).unwrap()
    }

    /// A fresh headless Chromium (its own profile, so no shared cookies).
    pub async fn browser(&mut self) -> Browser {
        self.chrome.browser(&self.desk).await
    }

    /// A browser with `officer` logged in, on the inbox.
    pub async fn login(&mut self, officer: &str) -> Browser {
        let b = self.browser().await;
        b.login(officer, self.password(officer)).await;
        b
    }

    /// Posts `posts` (the simulator's injection JSON) into the simulated X.
    pub async fn inject(&self, posts: Value) -> Vec<String> {
        let r = self
            .http
            .post(format!("{}/_sim/posts", self.sim))
            .json(&posts)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            201,
            "injecting posts: {}",
            r.text().await.unwrap()
        );
        let body: Value = r.json().await.unwrap();
        body["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    /// Replies the simulated X has received and created.
    pub async fn replies_at_x(&self) -> u64 {
        let stats: Value = self
            .http
            .get(format!("{}/_sim/stats", self.sim))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stats["replies_created"]
            .as_u64()
            .unwrap_or_else(|| panic!("no replies_created in {stats}"))
    }

    /// Closes the browsers, stops the demo with SIGTERM (it must exit
    /// cleanly) and chromedriver.
    pub async fn stop(mut self) {
        self.chrome.close_browsers().await;
        let pid = self.demo.id().expect("the demo is running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(30), self.demo.wait())
            .await
            .expect("the demo stops within 30 s of SIGTERM")
            .unwrap();
        assert!(exit.success(), "the demo exited with {exit}");
        self.chrome.stop().await;
    }
}

/// At most [`slots`] demos (or sets of replicas) with browsers at once:
/// the caller holds its slot until it is done.
pub async fn slot() -> SemaphorePermit<'static> {
    slots()
        .acquire()
        .await
        .expect("the semaphore is never closed")
}

/// A chromedriver and the headless Chromiums it opened, for one test.
pub struct Chromedriver {
    driver: Child,
    url: String,
    tools: Tools,
    /// Where the Chromiums' profiles go.
    dir: PathBuf,
    browsers: Vec<Client>,
}

impl Chromedriver {
    /// Starts chromedriver, logging into `dir` (the test's temp dir).
    pub async fn start(tools: Tools, dir: &Path) -> Chromedriver {
        let (driver, url) = start_driver(&tools.chromedriver, dir).await;
        Chromedriver {
            driver,
            url,
            tools,
            dir: dir.to_owned(),
            browsers: Vec::new(),
        }
    }

    /// A fresh headless Chromium (its own profile, so no shared cookies)
    /// on the desk at `desk`.
    pub async fn browser(&mut self, desk: &str) -> Browser {
        let profile = self.dir.join(format!("chrome-{}", self.browsers.len()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.tools.chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        // rustls is built with two crypto providers here, so one must be chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("a WebDriver client")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("chromedriver opens a Chromium session");
        self.browsers.push(client.clone());
        Browser::new(client, desk)
    }

    /// Closes the browsers.
    pub async fn close_browsers(&mut self) {
        for b in std::mem::take(&mut self.browsers) {
            let _ = b.close().await;
        }
    }

    /// Closes the browsers and stops chromedriver.
    pub async fn stop(&mut self) {
        self.close_browsers().await;
        if let Some(pgid) = self.driver.id() {
            kill_group(pgid, "TERM");
        }
        let _ = self.driver.wait().await;
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Only after a failure (stop() has already ended it otherwise).
        if let Some(pgid) = self.driver.id() {
            kill_group(pgid, "KILL");
        }
    }
}

/// Signals chromedriver's process group: chromedriver leads it, and the
/// Chromiums it started are in it.
fn kill_group(pgid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pgid}")])
        .status();
}

impl Drop for Demo {
    fn drop(&mut self) {
        // Only after a failure (stop() has already ended it otherwise);
        // chromedriver goes with `chrome`.
        let _ = self.demo.start_kill();
        if std::thread::panicking() {
            let mut log = String::new();
            if let Ok(mut f) = std::fs::File::open(self.dir.path().join("demo.log")) {
                let _ = f.read_to_string(&mut log);
            }
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!("--- the demo's last log lines ---");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// Starts `placewatch demo` and returns it with the lines it printed up to
/// "Press Ctrl-C".
async fn start_demo(dir: &Path, history: bool) -> (Child, Vec<String>) {
    let log = std::fs::File::create(dir.join("demo.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["demo", "--listen", "127.0.0.1:0", "--rate", "0"])
        .args((!history).then_some("--no-history"))
        .arg("--data")
        .arg(dir.join("data"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the placewatch binary starts");
    let stdout = child.stdout.take().unwrap();
    let lines = read_until(stdout, "Press Ctrl-C", Duration::from_secs(60))
        .await
        .unwrap_or_else(|lines| panic!("the demo did not start: {lines:#?}"));
    (child, lines)
}

/// Starts chromedriver on a free loopback port, in its own process group.
/// chromedriver's own `--port=0` sometimes fails ("IPv4 port not available"):
/// pick the port here, and try another if it was taken meanwhile.
async fn start_driver(chromedriver: &Path, dir: &Path) -> (Child, String) {
    let mut failures = Vec::new();
    for attempt in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                dir.join(format!("chromedriver-{attempt}.log")).display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let stdout = child.stdout.take().unwrap();
        match read_until(stdout, "started successfully", Duration::from_secs(20)).await {
            Ok(_) => return (child, format!("http://127.0.0.1:{port}")),
            Err(lines) => {
                let _ = child.kill().await;
                failures.push(lines);
            }
        }
    }
    panic!("chromedriver did not start: {failures:#?}");
}

/// Reads lines until one contains `marker`, then keeps draining the output in
/// the background (so the process never writes to a closed pipe). `Err` with
/// the lines read when the output ends or `timeout` passes first.
async fn read_until(
    output: impl AsyncRead + Unpin + Send + 'static,
    marker: &str,
    timeout: Duration,
) -> Result<Vec<String>, Vec<String>> {
    let mut reader = BufReader::new(output).lines();
    let mut lines = Vec::new();
    let found = tokio::time::timeout(timeout, async {
        while let Ok(Some(line)) = reader.next_line().await {
            let done = line.contains(marker);
            lines.push(line);
            if done {
                return true;
            }
        }
        false
    })
    .await;
    if found != Ok(true) {
        return Err(lines);
    }
    tokio::spawn(async move { while let Ok(Some(_)) = reader.next_line().await {} });
    Ok(lines)
}
