//! Simulator throughput: full recent-search pages (100 posts, with the fields
//! and expansions placewatch asks for) served per second over loopback HTTP.
//!
//! Target: at least 1,000 pages/s on a 2-core machine, so the simulator never
//! limits the daemon's benchmarks. The load generator runs in the same process
//! and shares the cores, so the figure is a lower bound.
//!
//! Run: `cargo bench --bench sim_search` (optional: `-- --secs 10 --clients 8`).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use placewatch::sim::{LimitSettings, SimOptions, SimServer};
use placewatch::x::client::{EXPANSIONS, TWEET_FIELDS, USER_FIELDS};
use serde_json::Value;

#[tokio::main]
async fn main() {
    let secs = common::arg("--secs", 5);
    let clients = common::arg("--clients", 8);
    let options = SimOptions {
        rate_per_min: 0.0,
        backlog_days: 7,
        backlog_per_day: 3_000,
        limits: LimitSettings {
            search: placewatch::sim::Limit {
                per_app: Some(u32::MAX),
                per_user: Some(u32::MAX),
            },
            monthly_post_reads: u64::MAX,
            ..LimitSettings::default()
        },
        ..SimOptions::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let sim = SimServer::start(options, addr).await.unwrap();
    let base = sim.base_url();
    let token = sim.credentials.bearer_token.clone();
    println!("simulator: {} posts in the backlog", sim.state.post_count());

    let pages = Arc::new(AtomicU64::new(0));
    let posts = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (pages, posts, bytes, base, token) = (
            pages.clone(),
            posts.clone(),
            bytes.clone(),
            base.clone(),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut next: Option<String> = None;
            while Instant::now() < deadline {
                let mut q = vec![
                    ("query", "Croydon -is:retweet".to_string()),
                    ("max_results", "100".to_string()),
                    ("tweet.fields", TWEET_FIELDS.to_string()),
                    ("expansions", EXPANSIONS.to_string()),
                    ("user.fields", USER_FIELDS.to_string()),
                ];
                if let Some(t) = &next {
                    q.push(("next_token", t.clone()));
                }
                let body = http
                    .get(format!("{base}/2/tweets/search/recent"))
                    .query(&q)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                let page: Value = serde_json::from_slice(&body).unwrap();
                let count = page["meta"]["result_count"].as_u64().unwrap();
                next = page["meta"]["next_token"].as_str().map(String::from);
                if count == 100 {
                    pages.fetch_add(1, Ordering::Relaxed);
                }
                posts.fetch_add(count, Ordering::Relaxed);
                bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let pages = pages.load(Ordering::Relaxed) as f64;
    println!(
        "sim_search: {:.0} full pages/s ({:.0} posts/s, {:.1} MB/s of JSON) over {elapsed:.1} s with {clients} clients",
        pages / elapsed,
        posts.load(Ordering::Relaxed) as f64 / elapsed,
        bytes.load(Ordering::Relaxed) as f64 / elapsed / 1e6,
    );
    sim.stop().await;
}
