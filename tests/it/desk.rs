//! The officers' desk over HTTP: the real daemon and desk (`App`) on an
//! ephemeral port, polling the simulator, with officers of every role. The
//! browser-level checks (rendering, scripts, accessibility) are in
//! `tests/browser.rs`; these check the server's rules.

mod access;
mod actions;
mod assign;
mod bulk;
mod claims;
mod export;
mod limits;
mod live;
mod notifications;
mod referrals;
mod replies;
mod reports;
mod security;
mod teams;
mod tls;
mod views;

use std::time::Duration;

use placewatch::app::App;
use placewatch::config::Config;
use placewatch::domain::officer::Role;
use placewatch::sim::SimOptions;
use placewatch::store::{Engine, ItemRow, NewOfficer, Store};
use placewatch::web::hash_password;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::engine::TestDb;
use crate::helpers::TestSim;

/// Every test officer's password.
pub const PASSWORD: &str = "correct horse battery";

/// The test officers: username and role.
pub const OFFICERS: &[(&str, Role)] = &[
    ("vic", Role::Viewer),
    ("sam", Role::Officer),
    ("priya", Role::Approver),
    ("alex", Role::Admin),
];

pub struct DeskTest {
    pub sim: TestSim,
    pub base: String,
    /// Where `/metrics` and `/healthz` are served (`desk.monitoring_listen`).
    pub monitoring: String,
    /// A second handle on the desk's database, for checking what it holds.
    pub store: Store,
    shutdown: CancellationToken,
    running: Option<tokio::task::JoinHandle<()>>,
    /// The store's database and the test's temp dir (the data directory is
    /// `data` in it).
    db: TestDb,
}

impl DeskTest {
    /// A desk on SQLite.
    pub async fn start() -> DeskTest {
        Self::start_with("").await
    }

    /// A desk on SQLite whose config ends with `extra` (e.g. a `[desk]` table).
    pub async fn start_with(extra: &str) -> DeskTest {
        Self::start_with_env(extra, &[]).await
    }

    /// Like `start_with`, with environment variables `vars` besides the
    /// bearer token (e.g. teams' webhook URLs).
    pub async fn start_with_env(extra: &str, vars: &[(&str, String)]) -> DeskTest {
        Self::on_with_env(Engine::Sqlite, extra, vars)
            .await
            .expect("SQLite is never skipped")
    }

    /// A desk whose store is on `engine`, or `None` when PostgreSQL is
    /// skipped (see `crate::engine`).
    pub async fn on(engine: Engine) -> Option<DeskTest> {
        Self::on_with_env(engine, "", &[]).await
    }

    /// [`DeskTest::start_with`] on `engine`.
    pub async fn on_with(engine: Engine, extra: &str) -> Option<DeskTest> {
        Self::on_with_env(engine, extra, &[]).await
    }

    /// [`DeskTest::start_with_env`] on `engine`.
    pub async fn on_with_env(
        engine: Engine,
        extra: &str,
        vars: &[(&str, String)],
    ) -> Option<DeskTest> {
        let db = TestDb::on(engine).await?;
        let sim = TestSim::start_with(SimOptions {
            rate_per_min: 0.0,
            backlog_days: 1,
            backlog_per_day: 40,
            auto_approve: true,
            ..SimOptions::default()
        })
        .await;
        let dir = db.dir.path();
        let base = sim.server.base_url();
        let source = format!(
            r#"[council]
name = "Croydon Council"
handle = "yourcroydon"

[x]
api_base = "{base}"
authorize_url = "{base}/i/oauth2/authorize"
client_id = "{client}"
client_type = "public"

[monitor]
places = ["Croydon", "Purley"]
min_interval_secs = 1
max_interval_secs = 1

[budget]
monthly_post_reads = 1000000

[data]
dir = "{data}"
{store}
[templates.vars]
bins_url = "https://croydon.example/bins"

[[templates.reply]]
name = "thanks"
text = "Thanks {{author}}, we have passed this on. {{officer}}"

[[templates.reply]]
name = "escalate"
text = "Thanks {{author}}, a senior officer will look at {{place}}."
requires_approval = true
{extra}"#,
            client = sim.creds().public_client_id,
            data = dir.join("data").display(),
            store = db.store_section(),
        );
        let path = dir.join("placewatch.toml");
        std::fs::write(&path, &source).unwrap();
        let bearer = sim.creds().bearer_token.clone();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let env = move |name: &str| {
            if name == "PLACEWATCH_BEARER_TOKEN" {
                return Some(bearer.clone());
            }
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        // /metrics and /healthz on a port of their own, free (tests run side by side).
        let monitoring = |name: &str| {
            (name == "PLACEWATCH__DESK__MONITORING_LISTEN").then(|| "127.0.0.1:0".to_owned())
        };
        let config = Config::from_str_with_env(&source, &path, &monitoring).unwrap();
        let secrets = placewatch::config::Secrets::resolve(&config, &env);
        let tokens = placewatch::app::token_place(&config).await.unwrap();
        placewatch::x::auth::login_auto_approved(&placewatch::app::auth_settings(
            &config, &secrets, tokens,
        ))
        .await
        .expect("the council logs in");
        let app = App::build(&config, &secrets, Some("127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
        let addr = app.addr.unwrap();
        let monitoring = format!("http://{}", app.monitoring_addr.unwrap());
        let store = placewatch::app::open_store(&config).await.unwrap();
        for (username, role) in OFFICERS {
            let hash = hash_password(PASSWORD);
            let name = format!("{} Tester", capitalise(username));
            store
                .add_officer(
                    &NewOfficer {
                        username,
                        display_name: &name,
                        role: *role,
                        password_hash: &hash,
                    },
                    "test",
                )
                .await
                .unwrap();
        }
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let running = tokio::spawn(async move {
            app.run_until_stopped(stop).await.unwrap();
        });
        Some(DeskTest {
            sim,
            base: format!("http://{addr}"),
            monitoring,
            store,
            shutdown,
            running: Some(running),
            db,
        })
    }

    /// The desk's data directory.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.db.dir.path().join("data")
    }

    /// Stops the daemon and desk, waiting for a clean exit.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            tokio::time::timeout(Duration::from_secs(10), running)
                .await
                .expect("the desk stops within 10 s")
                .unwrap();
        }
    }

    /// A browser-like client with no session.
    pub fn anonymous(&self) -> Officer {
        Officer {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    /// `username` logged in with the test password.
    pub async fn login(&self, username: &str) -> Officer {
        let mut officer = self.anonymous();
        let response = officer.try_login(username, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{username} logs in"
        );
        officer.cookie = session_cookie(response.headers()).expect("a session cookie");
        // Any page of the desk carries the session's CSRF token: the
        // officer's own settings, which every role has.
        let page = officer.get("/settings").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        officer.csrf = meta_csrf(&html);
        officer
    }

    /// Injects a resident's post into the simulator and waits until the
    /// daemon has filed it; returns its item.
    pub async fn arrive(&self, author: &str, text: &str) -> ItemRow {
        let id: u64 = self
            .sim
            .inject(json!({ "text": text, "author": author }))
            .await[0]
            .parse()
            .unwrap();
        self.item_for_post(id).await
    }

    /// Waits (up to 20 s) until post `id` is an item.
    pub async fn item_for_post(&self, id: u64) -> ItemRow {
        for _ in 0..200 {
            // The stored post `id` (the first after id - 1) with its item.
            let found = self.store.posts_after(id - 1, 1).await.unwrap();
            if let Some((post, _, Some(item))) = found.into_iter().next()
                && post.id == id
            {
                return item;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("post {id} never became an item");
    }

    /// Audit entries of people's actions (the daemon files items meanwhile,
    /// as `placewatch`).
    pub async fn audit_count(&self) -> usize {
        self.store
            .audit(None, 100_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.actor != "placewatch")
            .count()
    }

    pub async fn replies_created(&self) -> u64 {
        self.sim.stats().await["replies_created"].as_u64().unwrap()
    }
}

/// An HTTP client holding one officer's session.
pub struct Officer {
    pub http: reqwest::Client,
    pub base: String,
    /// `name=value` of the session cookie (empty: none).
    pub cookie: String,
    pub csrf: String,
}

impl Officer {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// A form POST with the session's CSRF token added.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("_csrf", &self.csrf));
        self.post_raw(path, &fields).await
    }

    /// A form POST exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A JSON POST as the desk's script makes it (token in the header).
    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .header("X-CSRF-Token", &self.csrf)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A form POST as the desk's script makes it, wanting JSON back.
    pub async fn post_json_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .header("X-CSRF-Token", &self.csrf)
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// GET /login then POST the form with its double-submit token.
    pub async fn try_login(&self, username: &str, password: &str) -> reqwest::Response {
        self.try_login_to(username, password, "/").await
    }

    /// [`try_login`](Self::try_login) going on to `next` afterwards.
    pub async fn try_login_to(
        &self,
        username: &str,
        password: &str,
        next: &str,
    ) -> reqwest::Response {
        let page = self.get("/login").await;
        let login_cookie = page
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("placewatch_login="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .unwrap();
        let html = page.text().await.unwrap();
        let token = input_value(&html, "_csrf");
        self.http
            .post(format!("{}/login", self.base))
            .header("Cookie", login_cookie)
            .form(&[
                ("username", username),
                ("password", password),
                ("_csrf", &token),
                ("next", next),
            ])
            .send()
            .await
            .unwrap()
    }
}

/// The `placewatch=` session cookie a response sets.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("placewatch="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The value of the first `<input name="NAME" value="…">`.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the input") + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

fn meta_csrf(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).expect("the csrf meta tag") + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

/// The `done=` flash message a redirect carries, decoded.
pub fn flash(response: &reqwest::Response) -> String {
    let location = location(response);
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
