//! Shared test harness: a running simulator and a plain HTTP client.

use std::net::SocketAddr;

use placewatch::sim::{Credentials, SimOptions, SimServer};
use serde_json::Value;

pub struct TestSim {
    pub server: SimServer,
    pub http: reqwest::Client,
}

impl TestSim {
    /// A simulator with a small deterministic backlog and no live stream.
    pub async fn start() -> TestSim {
        Self::start_with(SimOptions {
            rate_per_min: 0.0,
            backlog_days: 2,
            backlog_per_day: 300,
            ..SimOptions::default()
        })
        .await
    }

    pub async fn start_with(options: SimOptions) -> TestSim {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let server = SimServer::start(options, addr)
            .await
            .expect("simulator starts");
        TestSim {
            server,
            http: reqwest::Client::new(),
        }
    }

    pub fn creds(&self) -> &Credentials {
        &self.server.credentials
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.base_url(), path)
    }

    /// GET with the app-only bearer token.
    pub async fn app_get(&self, path_and_query: &str) -> reqwest::Response {
        self.http
            .get(self.url(path_and_query))
            .bearer_auth(&self.creds().bearer_token)
            .send()
            .await
            .unwrap()
    }

    /// GET with the council's user token.
    pub async fn user_get(&self, path_and_query: &str) -> reqwest::Response {
        self.http
            .get(self.url(path_and_query))
            .bearer_auth(&self.creds().user_access_token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_as_council(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/2/tweets"))
            .bearer_auth(&self.creds().user_access_token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Injects posts through the control route and returns their ids.
    pub async fn inject(&self, posts: Value) -> Vec<String> {
        let r = self
            .http
            .post(self.url("/_sim/posts"))
            .json(&posts)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let body: Value = r.json().await.unwrap();
        body["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    pub async fn control(&self, path: &str, body: Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    /// The simulator's ground truth for a query: every matching post id, newest first.
    pub async fn truth(&self, query: &str) -> Vec<u64> {
        let body: Value = self
            .http
            .get(self.url(&format!("/_sim/truth?query={}", encode(query))))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect()
    }

    /// The simulator's log of the latest X API requests, oldest first: each
    /// with `method`, `path`, `query` (pairs of name and value) and `status`.
    pub async fn requests(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(self.url("/_sim/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["requests"].as_array().unwrap().clone()
    }

    pub async fn clear_requests(&self) {
        let r = self
            .http
            .delete(self.url("/_sim/requests"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    pub async fn stats(&self) -> Value {
        self.http
            .get(self.url("/_sim/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

pub fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The value of query parameter `name` in a logged request, if it was sent.
pub fn param<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["query"]
        .as_array()?
        .iter()
        .find(|pair| pair[0] == name)
        .and_then(|pair| pair[1].as_str())
}

/// The real `placewatch run --config CONFIG` (its desk on a free port) with `env` set, stdout
/// silenced and stderr piped; armed with failpoint `step:wait` if given.
pub fn daemon(
    config: &std::path::Path,
    env: &[(&str, &str)],
    failpoint: Option<&str>,
) -> std::process::Child {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_placewatch"));
    c.args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("PLACEWATCH__DESK__MONITORING_LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .env_remove("PLACEWATCH_FAILPOINT")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    if let Some(step) = failpoint {
        c.env("PLACEWATCH_FAILPOINT", format!("{step}:wait"));
    }
    c.spawn().expect("the placewatch binary starts")
}

/// Runs the daemon armed at failpoint `step` until it gets there, then
/// SIGKILLs it. Panics if it exits without reaching `step`.
pub async fn kill_at(config: &std::path::Path, env: &[(&str, &str)], step: &str) {
    use std::io::{BufRead, BufReader};
    let mut child = daemon(config, env, Some(step));
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let marker = format!("failpoint {step} reached");
    let (reached, said) = tokio::task::spawn_blocking(move || {
        let mut said = Vec::new();
        for line in stderr.lines().map_while(Result::ok) {
            if line.contains(&marker) {
                return (true, said);
            }
            said.push(line);
        }
        (false, said)
    })
    .await
    .unwrap();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        reached,
        "the daemon never reached {step}: {status:?}\n{}",
        said.join("\n")
    );
}
