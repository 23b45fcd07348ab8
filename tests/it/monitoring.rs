//! Monitoring (issue 19): the real `placewatch run`, logged in as the
//! council account, polls the simulator; its `/metrics`, scraped over HTTP,
//! carries every metric the shipped alert rules
//! (`deploy/prometheus/placewatch-alerts.yml`) and Grafana dashboard
//! (`deploy/grafana/placewatch-dashboard.json`) query, with values that
//! match what the daemon did: a poll recorded, the lease held, the login
//! as stored, nothing in the outbox and the referral made while no mail
//! server is configured waiting. The dashboard's queries are also given to
//! `promtool` (Debian's `prometheus` package) as rules to check: without
//! it that test says SKIPPED and passes, unless
//! `PLACEWATCH_PROMTOOL_TESTS=require` (`.ci/run` sets it).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use placewatch::config::{Config, Secrets};
use placewatch::domain::mail::Address;
use placewatch::domain::team::TeamConfig;
use placewatch::sim::SimOptions;
use placewatch::store::{Engine, ItemFilter, NewReferral, Store};
use rstest_reuse::apply;
use serde_json::Value;
use time::OffsetDateTime;

use crate::engine::{TestDb, engines};
use crate::helpers::TestSim;

const ALERTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/prometheus/placewatch-alerts.yml"
);
const DASHBOARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/grafana/placewatch-dashboard.json"
);

/// A daemon's config: JSON logs (the test reads the monitoring address
/// from them), the simulator's OAuth client, no `[mail]`.
fn config(sim: &TestSim, db: &TestDb) -> std::path::PathBuf {
    let base = sim.server.base_url();
    let text = format!(
        r#"[council]
name = "Croydon Council"
handle = "yourcroydon"

[x]
api_base = "{base}"
authorize_url = "{base}/i/oauth2/authorize"
client_id = "{client}"
client_type = "public"
bearer_token_env = "PW_TEST_BEARER"

[monitor]
places = ["Croydon", "Purley"]
min_interval_secs = 1
max_interval_secs = 2

[budget]
monthly_post_reads = 1000000

[data]
dir = "{data}"

[log]
format = "json"
{store}"#,
        client = sim.creds().public_client_id,
        // The data directory holds the SQLite file `db.url` names.
        data = db.dir.path().display(),
        store = db.store_section(),
    );
    let path = db.dir.path().join("placewatch.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The metric names the PromQL expressions in `exprs` use: crudely, every
/// identifier starting `placewatch_`.
fn metric_names<'a>(exprs: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for expr in exprs {
        let mut rest = expr;
        while let Some(at) = rest.find("placewatch_") {
            let before = rest[..at].chars().next_back();
            let tail = &rest[at..];
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                names.insert(tail[..len].to_owned());
            }
            rest = &tail[len..];
        }
    }
    names
}

/// Every `expr` of the alert rules.
fn alert_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(ALERTS).unwrap();
    let rules: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let mut exprs = Vec::new();
    for group in rules["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            exprs.push(rule["expr"].as_str().expect("an expr").to_owned());
        }
    }
    exprs
}

/// Every `expr` anywhere in the dashboard (panels' targets, in rows or not).
fn dashboard_exprs() -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("expr", Value::String(expr)) => out.push(expr.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(values) => values.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(DASHBOARD).unwrap()).unwrap();
    let mut exprs = Vec::new();
    walk(&dashboard, &mut exprs);
    exprs
}

/// A scrape's samples: `name{labels}` → value.
fn samples(scrape: &str) -> Vec<(String, f64)> {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a sample line");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

fn value(samples: &[(String, f64)], series: &str) -> f64 {
    samples
        .iter()
        .find(|(s, _)| s == series)
        .unwrap_or_else(|| panic!("{series} in the scrape: {samples:?}"))
        .1
}

/// The daemon's log until it names its monitoring address.
fn monitoring_address(child: &mut std::process::Child) -> String {
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = Vec::new();
    let mut lines = stderr.lines();
    for line in lines.by_ref().map_while(Result::ok) {
        if let Ok(event) = serde_json::from_str::<Value>(&line)
            && event["message"] == "serving /metrics and /healthz"
        {
            let addr = event["monitoring.address"].as_str().unwrap().to_owned();
            // Keep draining the pipe, so the daemon never blocks on a full one.
            std::thread::spawn(move || for _ in lines {});
            return addr;
        }
        said.push(line);
    }
    panic!(
        "the daemon never said where /metrics is:\n{}",
        said.join("\n")
    );
}

/// Refers the newest item to a team while no mail server is configured:
/// its email waits.
async fn referral_waiting(store: &Store) {
    let team = TeamConfig {
        name: "Streets".into(),
        emails: vec!["streets@croydon.example".parse::<Address>().unwrap()],
        members: vec![],
        teams_webhook_env: None,
        slack_webhook_env: None,
    };
    store.sync_config_teams(&[team]).await.unwrap();
    let items = store
        .list_items(&ItemFilter {
            limit: 1,
            ..ItemFilter::default()
        })
        .await
        .unwrap()
        .items;
    store
        .refer(&NewReferral {
            item_id: items[0].id,
            team: "Streets",
            reason: "Bins not collected",
            officer: "sam",
            message_domain: "croydon.example",
        })
        .await
        .unwrap();
}

async fn scrape_until(
    http: &reqwest::Client,
    url: &str,
    what: &str,
    ready: impl Fn(&[(String, f64)]) -> bool,
) -> (String, Vec<(String, f64)>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let response = http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
        let text = response.text().await.unwrap();
        let parsed = samples(&text);
        if ready(&parsed) {
            return (text, parsed);
        }
        assert!(Instant::now() < deadline, "{what}; last scrape:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[apply(engines)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_carry_everything_the_alerts_and_dashboard_query(#[case] engine: Engine) {
    let Some(db) = TestDb::on(engine).await else {
        return;
    };
    let sim = TestSim::start_with(SimOptions {
        rate_per_min: 0.0,
        backlog_days: 1,
        backlog_per_day: 40,
        auto_approve: true,
        ..SimOptions::default()
    })
    .await;
    let path = config(&sim, &db);
    let config = Config::load(&path).unwrap();
    let bearer = sim.creds().bearer_token.clone();
    let secrets = Secrets::resolve(&config, &|name: &str| {
        (name == "PW_TEST_BEARER").then(|| bearer.clone())
    });
    let tokens = placewatch::app::token_place(&config).await.unwrap();
    placewatch::x::auth::login_auto_approved(&placewatch::app::auth_settings(
        &config, &secrets, tokens,
    ))
    .await
    .expect("the council logs in");

    let started = OffsetDateTime::now_utc().unix_timestamp() as f64;
    let mut daemon = KillOnDrop(spawn(&path, &bearer));
    let addr = monitoring_address(&mut daemon.0);
    let url = format!("http://{addr}/metrics");
    let http = reqwest::Client::new();
    let polled = "placewatch_last_successful_poll_timestamp_seconds";
    scrape_until(&http, &url, "no successful poll", |s| {
        s.iter().any(|(series, _)| series.starts_with(polled))
            && value(s, "placewatch_work_lease_held") == 1.0
            && value(s, "placewatch_new_items_total") > 0.0
    })
    .await;

    let store = Store::connect(&db.url, None).await.unwrap();
    referral_waiting(&store).await;
    let (text, scraped) = scrape_until(&http, &url, "the referral is not counted", |s| {
        value(s, "placewatch_referrals_waiting{state=\"queued\"}") == 1.0
            // Set from the store's usage after each poll.
            && value(s, "placewatch_budget_used_post_reads") > 0.0
    })
    .await;
    store.close().await;

    // Every metric the alerts and the dashboard query is there.
    let exported: BTreeSet<&str> = scraped
        .iter()
        .map(|(series, _)| series.split('{').next().unwrap())
        .collect();
    let alerts = alert_exprs();
    let dashboard = dashboard_exprs();
    assert!(
        alerts.len() >= 8 && dashboard.len() >= 15,
        "{alerts:?} {dashboard:?}"
    );
    let queried = metric_names(alerts.iter().chain(&dashboard).map(String::as_str));
    let missing: Vec<&String> = queried
        .iter()
        .filter(|name| !exported.contains(name.as_str()))
        .collect();
    assert!(missing.is_empty(), "not in /metrics: {missing:?}\n{text}");
    for name in [
        "placewatch_polls_total",
        "placewatch_x_user_token_expiry_timestamp_seconds",
        "placewatch_replies_oldest_waiting_seconds",
        "placewatch_work_lease_held",
    ] {
        assert!(queried.contains(name), "the rules and dashboard use {name}");
    }

    // And the values are what the daemon did.
    let now = OffsetDateTime::now_utc().unix_timestamp() as f64;
    for (series, v) in &scraped {
        if series.starts_with(polled) {
            assert!(
                (started..=now + 1.0).contains(v),
                "{series} {v}: a poll of this run"
            );
        }
    }
    for (series, expected) in [
        ("placewatch_work_lease_held", 1.0),
        ("placewatch_store_up", 1.0),
        ("placewatch_polling_paused", 0.0),
        ("placewatch_replies_waiting{state=\"sending\"}", 0.0),
        (
            "placewatch_replies_oldest_waiting_seconds{state=\"sending\"}",
            0.0,
        ),
        (
            "placewatch_replies_waiting{state=\"awaiting_approval\"}",
            0.0,
        ),
        ("placewatch_referrals_waiting{state=\"queued\"}", 1.0),
        ("placewatch_referrals_waiting{state=\"sending\"}", 0.0),
        ("placewatch_x_user_token_present", 1.0),
        ("placewatch_x_user_token_refused", 0.0),
        ("placewatch_x_user_refresh_token_present", 1.0),
        ("placewatch_budget_limit_post_reads", 1_000_000.0),
    ] {
        assert_eq!(value(&scraped, series), expected, "{series}\n{text}");
    }
    let age = value(
        &scraped,
        "placewatch_referrals_oldest_waiting_seconds{state=\"queued\"}",
    );
    assert!((0.0..120.0).contains(&age), "the referral's age {age}");
    let expiry = value(&scraped, "placewatch_x_user_token_expiry_timestamp_seconds");
    assert!(
        expiry > now,
        "a fresh login's access token expires later: {expiry}"
    );
    assert!(
        value(&scraped, "placewatch_budget_used_post_reads") > 0.0,
        "the backlog's reads are counted"
    );
    assert!(!text.contains(&bearer), "no token in /metrics");
}

/// `placewatch run` on `config`, logging at `info` (its monitoring address)
/// to a pipe.
fn spawn(config: &std::path::Path, bearer: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_placewatch"))
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("PLACEWATCH__DESK__MONITORING_LISTEN", "127.0.0.1:0")
        .env("PW_TEST_BEARER", bearer)
        .env("RUST_LOG", "warn,placewatch=info")
        .env_remove("PLACEWATCH_FAILPOINT")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the placewatch binary starts")
}

/// SIGKILLs the daemon when the test ends, passed or failed.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn metric_names_are_read_from_promql() {
    let names = metric_names(
        [
            "sum by (monitor) (rate(placewatch_polls_total{job=~\"$job\"}[5m])) * 60",
            "placewatch_a / (placewatch_b > 0) > 0.8 and not_placewatch_c",
        ]
        .into_iter(),
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        names,
        ["placewatch_a", "placewatch_b", "placewatch_polls_total"]
    );
}

/// The dashboard's queries are PromQL Prometheus accepts: each, with
/// Grafana's variables given values, checked by `promtool check rules` as
/// a recording rule.
#[test]
fn the_dashboards_queries_are_promql_that_promtool_accepts() {
    let promtool = std::process::Command::new("promtool")
        .arg("--version")
        .output();
    if promtool.is_err() {
        assert_ne!(
            std::env::var("PLACEWATCH_PROMTOOL_TESTS").as_deref(),
            Ok("require"),
            "promtool is missing (apt-get install prometheus)"
        );
        eprintln!("SKIPPED: no promtool (Debian's prometheus package)");
        return;
    }
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, expr) in dashboard_exprs().iter().enumerate() {
        let expr = expr
            .replace("$__rate_interval", "5m")
            .replace("$job", ".*")
            .replace("$instance", ".*");
        assert!(!expr.contains('$'), "a Grafana variable left in {expr}");
        let quoted = serde_json::to_string(&expr).unwrap();
        rules.push_str(&format!(
            "      - record: dashboard:query_{i}\n        expr: {quoted}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard-rules.yml");
    std::fs::write(&path, &rules).unwrap();
    let checked = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "promtool refused the dashboard's queries:\n{}{}\n{rules}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}
