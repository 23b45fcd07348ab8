//! One headless Chromium as the tests drive it: open desk pages, log in,
//! run scripts, wait for conditions (never a fixed sleep), press keys as a
//! person would, and prove a page was not reloaded.

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::harness::WAIT;

/// JavaScript's truthiness, for a script's result.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// One headless Chromium, driven through WebDriver.
pub struct Browser {
    pub client: Client,
    desk: String,
}

impl Browser {
    pub fn new(client: Client, desk: &str) -> Browser {
        Browser {
            client,
            desk: desk.to_owned(),
        }
    }

    /// Opens a desk path (`/`, `/items/3`, ...).
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.desk))
            .await
            .unwrap();
    }

    /// Logs in through the login form and waits for the inbox.
    pub async fn login(&self, officer: &str, password: &str) {
        self.goto("/login").await;
        self.find("#username")
            .await
            .send_keys(officer)
            .await
            .unwrap();
        self.find("#password")
            .await
            .send_keys(password)
            .await
            .unwrap();
        self.find("form.stack button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        self.wait_for(
            &format!("{officer} to reach the inbox after logging in"),
            "return document.querySelector('#items') !== null",
        )
        .await;
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?} on the page: {e}"))
    }

    /// Runs a script (a function body; `arguments` holds `args`).
    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    pub async fn js(&self, script: &str) -> Value {
        self.js_with(script, Vec::new()).await
    }

    /// Runs a script that ends by calling its last argument with a result.
    pub async fn js_async(&self, script: &str) -> Value {
        self.client
            .execute_async(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"))
    }

    /// `textContent` of the first element matching `css` (literal, unlike
    /// WebDriver's rendered text).
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await;
        let v = self
            .js_with(
                "return document.querySelector(arguments[0]).textContent",
                vec![json!(css)],
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until `script` returns something truthy, and returns it.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        self.wait_for_at_most(WAIT, what, script).await
    }

    pub async fn wait_for_at_most(&self, timeout: Duration, what: &str, script: &str) -> Value {
        let start = Instant::now();
        loop {
            // A navigation in progress fails a script now and then: retry.
            let last = match self.client.execute(script, Vec::new()).await {
                Ok(v) if truthy(&v) => return v,
                Ok(v) => v,
                // An alert is the desk's script reporting a failure.
                Err(e) if e.to_string().contains("unexpected alert open") => {
                    panic!("waiting for {what}, the page raised an alert: {e}")
                }
                Err(e) => Value::String(format!("error: {e}")),
            };
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?} waiting for {what} (last result: {last})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses keys (each a char; see `fantoccini::key::Key` for Tab, Enter,
    /// ...) on whatever has focus, as a person would.
    pub async fn press(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".into());
        for &value in keys {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Types text on whatever has focus.
    pub async fn type_text(&self, text: &str) {
        let keys: Vec<char> = text.chars().collect();
        self.press(&keys).await;
    }

    /// Presses `key` with Shift held.
    pub async fn press_shifted(&self, key: char) {
        let shift = char::from(fantoccini::key::Key::Shift);
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up { value: shift });
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Sets a marker on `window` that survives only as long as the page
    /// does: checking it later proves there was no reload.
    pub async fn mark_page(&self) {
        self.js("window.__noReload = true").await;
    }

    /// Lays pages out for a `width` × `height` viewport (CSS pixels; a
    /// phone below 800 wide) in the light or dark colour scheme, through
    /// Chrome's DevTools protocol.
    pub async fn emulate(&self, width: u32, height: u32, dark: bool) {
        let metrics = json!({
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800,
        });
        let scheme = if dark { "dark" } else { "light" };
        let media = json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]});
        for (cmd, params) in [
            ("Emulation.setDeviceMetricsOverride", metrics),
            ("Emulation.setEmulatedMedia", media),
        ] {
            self.client
                .issue_cmd(Cdp { cmd, params })
                .await
                .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        }
    }

    /// Runs the browser in time zone `id` (an IANA name, "Europe/London"),
    /// through Chrome's DevTools protocol.
    pub async fn time_zone(&self, id: &str) {
        let cmd = "Emulation.setTimezoneOverride";
        self.client
            .issue_cmd(Cdp {
                cmd,
                params: json!({"timezoneId": id}),
            })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    }

    /// Runs `script` in every page this browser opens from now on, before
    /// the page's own scripts, through Chrome's DevTools protocol.
    pub async fn before_page_scripts(&self, script: &str) {
        let cmd = "Page.addScriptToEvaluateOnNewDocument";
        self.client
            .issue_cmd(Cdp {
                cmd,
                params: json!({"source": script}),
            })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    }

    pub async fn assert_not_reloaded(&self) {
        assert_eq!(
            self.js("return window.__noReload === true").await,
            json!(true),
            "the page was reloaded"
        );
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// `n` as the desk writes counts: 1,076.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}
