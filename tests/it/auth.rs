//! The council account's OAuth 2.0 session against the simulator: login
//! (loopback callback and paste), refresh before expiry and after a 401,
//! rotation under concurrency, refused refresh tokens, logout, the token
//! file, and no secret in any log or report.
//!
//! Secrets reach placewatch through an injected environment
//! (`Secrets::resolve`): the crate forbids `unsafe`, so tests cannot
//! `std::env::set_var`.

mod login;
mod logout;
mod refresh;
mod secrets;
mod shared;

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;

use placewatch::app::auth_settings;
use placewatch::config::Config;
use placewatch::config::Secrets;
use placewatch::x::auth::{
    self, Account, AuthError, AuthSettings, LoginOptions, TokenPlace, UserSession,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::TestSim;

/// A simulator, a temp data dir and a config pointing at both.
pub struct AuthTest {
    pub sim: TestSim,
    _dir: tempfile::TempDir,
    /// The store `[store]` names, when the test gave one (`start_public_on`):
    /// kept for as long as the test runs.
    _db: Option<crate::engine::TestDb>,
    pub config: Config,
    /// Where the council's tokens are kept: the token file, or on
    /// PostgreSQL the store.
    pub tokens: TokenPlace,
    env: HashMap<String, String>,
}

/// What the test saw while playing the browser.
pub struct Browser {
    /// The authorization code from the redirect.
    pub code: String,
    /// The page our callback answered with.
    pub page: String,
}

impl AuthTest {
    /// A confidential client (secret in an injected variable).
    pub async fn start() -> AuthTest {
        Self::start_as(false, None).await
    }

    /// A public client (no secret).
    pub async fn start_public() -> AuthTest {
        Self::start_as(true, None).await
    }

    /// A public client, its config's `[store]` naming `db` (on SQLite, the
    /// default file in the data directory).
    pub async fn start_public_on(db: crate::engine::TestDb) -> AuthTest {
        Self::start_as(true, Some(db)).await
    }

    /// A confidential client with its store on `engine`, or `None` when
    /// PostgreSQL is skipped.
    pub async fn start_on(engine: placewatch::store::Engine) -> Option<AuthTest> {
        let db = crate::engine::TestDb::on(engine).await?;
        Some(Self::start_as(false, Some(db)).await)
    }

    async fn start_as(public: bool, db: Option<crate::engine::TestDb>) -> AuthTest {
        let sim = TestSim::start().await;
        sim.control("/_sim/settings", json!({"auto_approve": true}))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let var = format!("PW_TEST_SECRET_{}", std::process::id());
        let creds = sim.creds().clone();
        let (client_id, client_type) = match public {
            true => (creds.public_client_id.clone(), "public"),
            false => (creds.client_id.clone(), "confidential"),
        };
        let source = format!(
            r#"[council]
name = "Croydon Council"
handle = "yourcroydon"

[monitor]
places = ["Croydon"]

[x]
api_base = "{base}"
authorize_url = "{base}/i/oauth2/authorize"
client_id = "{client_id}"
client_type = "{client_type}"
redirect_uri = "http://127.0.0.1:{port}/callback"
client_secret_env = "{var}"

[data]
dir = "{data}"
{store}"#,
            base = sim.server.base_url(),
            port = free_port(),
            data = dir.path().join("nested/data").display(),
            store = db.as_ref().map(|db| db.store_section()).unwrap_or_default(),
        );
        let path = dir.path().join("placewatch.toml");
        std::fs::write(&path, &source).unwrap();
        let config = Config::from_str_with_env(&source, &path, &|_| None).unwrap();
        let mut env = HashMap::new();
        env.insert(var, creds.client_secret.clone());
        let tokens = placewatch::app::token_place(&config).await.unwrap();
        AuthTest {
            sim,
            _dir: dir,
            _db: db,
            config,
            tokens,
            env,
        }
    }

    /// The injected environment.
    pub fn env(&self) -> impl Fn(&str) -> Option<String> + Sync + '_ {
        |name| self.env.get(name).cloned()
    }

    /// The login settings with the injected environment's secrets.
    pub fn auth(&self) -> AuthSettings {
        self.auth_with(&self.env())
    }

    /// The login settings with the secrets `env` holds.
    pub fn auth_with(&self, env: &dyn Fn(&str) -> Option<String>) -> AuthSettings {
        auth_settings(
            &self.config,
            &Secrets::resolve(&self.config, env),
            self.tokens.clone(),
        )
    }

    pub fn client_secret(&self) -> String {
        self.sim.creds().client_secret.clone()
    }

    pub fn token_file(&self) -> PathBuf {
        self.config.data.dir.join(auth::TOKEN_FILE)
    }

    /// The stored tokens as JSON: the token file, or the store's row.
    pub async fn stored(&self) -> Value {
        match &self.tokens {
            TokenPlace::File(_) => {
                serde_json::from_slice(&std::fs::read(self.token_file()).unwrap()).unwrap()
            }
            TokenPlace::Store { store, .. } => {
                let body = store
                    .x_tokens()
                    .await
                    .unwrap()
                    .expect("tokens in the store");
                serde_json::from_str(body.expose_secret()).unwrap()
            }
        }
    }

    pub async fn stored_str(&self, key: &str) -> String {
        self.stored().await[key].as_str().unwrap().to_string()
    }

    pub async fn open(&self) -> UserSession {
        UserSession::open(&self.auth())
            .await
            .unwrap()
            .expect("logged in")
    }

    pub async fn settings(&self, body: Value) {
        self.sim.control("/_sim/settings", body).await;
    }

    /// A complete login through the loopback callback, the test playing the
    /// browser. Returns the account, the terminal output and what the
    /// browser saw.
    pub async fn login(&self) -> (Account, String, Browser) {
        let (mut out, mut printed) = ChannelWriter::new();
        let mut input = std::io::empty();
        let options = LoginOptions {
            paste: false,
            open_browser: None,
        };
        let settings = self.auth();
        let login = auth::login(&settings, options, &mut out, &mut input);
        let mut text = String::new();
        let browser = async {
            let url = authorize_url_from(&mut printed, &mut text, &self.sim).await;
            follow_to_callback(&url).await
        };
        let (account, browser) = tokio::join!(login, browser);
        drop(out);
        while let Ok(chunk) = printed.try_recv() {
            text.push_str(&chunk);
        }
        (account.expect("login succeeds"), text, browser)
    }

    /// How often the simulator's token endpoint answered `status`.
    pub async fn token_calls(&self, status: u16) -> u64 {
        let stats = self.sim.stats().await;
        stats["requests"][format!("POST /2/oauth2/token {status}")]
            .as_u64()
            .unwrap_or(0)
    }

    /// `GET /2/users/me` with `token`: the status.
    pub async fn me(&self, token: &str) -> u16 {
        self.sim
            .http
            .get(self.sim.url("/2/users/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Spends `refresh_token` at the simulator directly.
    pub async fn refresh_directly(&self, refresh_token: &str) -> (u16, Value) {
        let r = self
            .sim
            .http
            .post(self.sim.url("/2/oauth2/token"))
            .basic_auth(&self.sim.creds().client_id, Some(self.client_secret()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

/// Reads the terminal output (into `seen`) until the authorize URL appears.
pub async fn authorize_url_from(
    printed: &mut mpsc::UnboundedReceiver<String>,
    seen: &mut String,
    sim: &TestSim,
) -> String {
    let prefix = sim.url("/i/oauth2/authorize?");
    loop {
        let chunk = printed
            .recv()
            .await
            .expect("login printed the authorize URL");
        seen.push_str(&chunk);
        if let Some(url) = seen
            .split_whitespace()
            .find(|word| word.starts_with(&prefix))
        {
            return url.to_string();
        }
    }
}

/// Plays the browser: opens the authorize URL (auto-approved), follows the
/// redirect to the callback by hand, returns the code and the page.
pub async fn follow_to_callback(authorize_url: &str) -> Browser {
    let location = redirect_location(authorize_url).await;
    let code = query_param(&location, "code");
    let page = reqwest::get(&location).await.unwrap();
    assert_eq!(page.status(), 200, "the callback accepts the redirect");
    Browser {
        code,
        page: page.text().await.unwrap(),
    }
}

/// Where the (auto-approving) consent page sends the browser.
pub async fn redirect_location(authorize_url: &str) -> String {
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects.get(authorize_url).send().await.unwrap();
    assert_eq!(r.status(), 303, "auto-approve redirects");
    r.headers()["location"].to_str().unwrap().to_string()
}

pub fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A port nobody listens on (yet).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A terminal whose output the test reads as it is written.
pub struct ChannelWriter(mpsc::UnboundedSender<String>);

impl ChannelWriter {
    pub fn new() -> (ChannelWriter, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (ChannelWriter(tx), rx)
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = self.0.send(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn expose(s: &SecretString) -> String {
    s.expose_secret().to_string()
}

pub fn is_refused(e: &AuthError) -> bool {
    matches!(e, AuthError::RefreshRefused { .. })
}
