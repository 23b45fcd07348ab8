//! Memory under a flood of wrong passwords (issue 13, defect 1). Each argon2id
//! check holds 19 MiB; before the fix 200 simultaneous wrong passwords took
//! the process from 63 MB to 1.76 GB. Now attempts are counted before the
//! check and the checks run a few at a time from a bounded queue.
//!
//! The desk (`web::router` on `web::serve`, as `placewatch run` serves it)
//! on a loopback port, then two floods of `--attempts` (200) simultaneous
//! logins, each with the peak resident set measured from a reset high-water
//! mark (`/proc/self/clear_refs`, `VmHWM`):
//!
//! 1. all for one officer (what the attacker in the issue did): the
//!    throttle lets 5 through to a password check;
//! 2. each from its own address behind a trusted proxy, for unknown
//!    usernames, so the throttle lets every one through and only the bound
//!    on password checks (as many at once as the machine has cores, a queue
//!    four times that; the rest told to come back) holds memory down.
//!
//! Run: `cargo bench --bench login_flood` (`-- --attempts N`). Loopback only.

mod common;

/// The binary's allocator (`src/main.rs`), so the figures are the daemon's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;

use placewatch::config::Config;
use placewatch::domain::officer::Role;
use placewatch::domain::triage::Council;
use placewatch::poller::health::Health;
use placewatch::store::{NewOfficer, Store};
use placewatch::web::{self, Desk, hash_password};
use tokio_util::sync::CancellationToken;

/// A field of `/proc/self/status`, in MB.
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Resets the peak resident set to the current one.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting VmHWM");
}

/// A login form's cookie and token.
async fn form(http: &reqwest::Client, base: &str) -> (String, String) {
    let page = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = page
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
    (
        cookie,
        html[start..][..html[start..].find('"').unwrap()].to_owned(),
    )
}

/// `n` simultaneous wrong logins; answers counted by status, and the peak RSS.
async fn flood(base: &str, n: usize, one_officer: bool) -> (Vec<(u16, usize)>, f64, f64) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut forms = Vec::with_capacity(n);
    for _ in 0..n {
        forms.push(form(&http, base).await);
    }
    let before = status_mb("VmRSS:");
    reset_peak();
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (cookie, token))| {
            let (http, base, barrier) = (http.clone(), base.to_owned(), barrier.clone());
            tokio::spawn(async move {
                let username = if one_officer {
                    "sam".to_owned()
                } else {
                    format!("nobody{i}")
                };
                let forwarded = format!("198.18.{}.{}", i / 250, i % 250 + 1);
                barrier.wait().await;
                http.post(format!("{base}/login"))
                    .header("Cookie", cookie)
                    .header("X-Forwarded-For", forwarded)
                    .form(&[
                        ("username", username.as_str()),
                        ("password", "not the password"),
                        ("_csrf", token.as_str()),
                    ])
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut by_status = std::collections::BTreeMap::new();
    for task in tasks {
        *by_status.entry(task.await.unwrap()).or_insert(0) += 1;
    }
    let peak = status_mb("VmHWM:");
    (by_status.into_iter().collect(), before, peak)
}

#[tokio::main]
async fn main() {
    let attempts: usize = common::arg("--attempts", 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("placewatch.db"))
        .await
        .expect("store");
    let hash = hash_password("the real password");
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
    let source = std::fs::read_to_string(common::reference_config_path()).unwrap()
        + "\n"
        + "# the bench's loopback client stands for a proxy\n";
    let source = source.replacen("[desk]\n", "[desk]\ntrusted_proxies = [\"127.0.0.1\"]\n", 1);
    let config = Config::from_str_with_env(&source, &dir.path().join("bench.toml"), &|_| None)
        .expect("the reference config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let desk = Desk::new(
        store,
        None,
        Council::NotLoggedIn {
            handle: config.council.handle.clone(),
        },
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
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("login flood: {attempts} simultaneous wrong passwords, {cores} cores");
    for (label, one_officer) in [
        ("one officer, one address", true),
        ("unknown usernames, each its own address", false),
    ] {
        let (answers, before, peak) = flood(&base, attempts, one_officer).await;
        let answers: Vec<String> = answers
            .iter()
            .map(|(status, n)| format!("{n}×{status}"))
            .collect();
        println!(
            "  {label:<42} answers {:<24} RSS {before:.1} MB before, peak {peak:.1} MB (+{:.1} MB)",
            answers.join(" "),
            peak - before
        );
    }
    shutdown.cancel();
    server.await.unwrap().unwrap();
}
