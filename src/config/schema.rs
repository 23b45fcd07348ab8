//! The two shapes of the configuration: the raw serde structs that mirror the
//! TOML file one-to-one (every table `deny_unknown_fields`, defaults filled in),
//! and the validated, typed structs the rest of placewatch reads.
//!
//! Raw integers are `i64` on purpose: range checks then happen in
//! `validate.rs` with messages such as "must be between 1 and 300", instead of
//! serde's terse "expected u32".

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::domain::mail::Address;
use crate::domain::query::Keyword;
use crate::domain::text::ReplyPrices;
use crate::domain::triage::{AbuseList, Rule};

use super::templates::RawTemplates;

/// Default values, in one place so the serde defaults, the docs and the
/// reference file agree.
pub(crate) mod defaults {
    use crate::domain::text::ReplyPrices;

    pub(crate) const API_BASE: &str = "https://api.x.com";
    pub(crate) const AUTHORIZE_URL: &str = "https://x.com/i/oauth2/authorize";
    pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";
    pub(crate) const CLIENT_SECRET_ENV: &str = "PLACEWATCH_CLIENT_SECRET";
    pub(crate) const BEARER_TOKEN_ENV: &str = "PLACEWATCH_BEARER_TOKEN";
    pub(crate) const API_KEY_ENV: &str = "PLACEWATCH_API_KEY";
    pub(crate) const API_SECRET_ENV: &str = "PLACEWATCH_API_SECRET";
    pub(crate) const REQUEST_TIMEOUT_SECS: i64 = 30;
    pub(crate) const CONNECT_TIMEOUT_SECS: i64 = 10;
    pub(crate) const LANGUAGES: &[&str] = &["en"];
    pub(crate) const BACKFILL_DAYS: i64 = 7;
    pub(crate) const MAX_INTERVAL_SECS: i64 = 900;
    pub(crate) const MONTHLY_POST_READS: i64 = 15_000;
    // Pay-per-use unit prices (x-api/FACTS.md §4, prices from 2026-04-20).
    pub(crate) const POST_READ_USD: f64 = 0.005;
    pub(crate) const OWNED_READ_USD: f64 = 0.001;
    pub(crate) const USER_READ_USD: f64 = 0.010;
    pub(crate) const POST_CREATE_USD: f64 = ReplyPrices::X_2026_04_20.post_create_usd;
    pub(crate) const POST_CREATE_WITH_URL_USD: f64 =
        ReplyPrices::X_2026_04_20.post_create_with_url_usd;
    pub(crate) const SUMMONED_REPLY_USD: f64 = ReplyPrices::X_2026_04_20.summoned_reply_usd;
    pub(crate) const WARN_AT_PERCENT: i64 = 80;
    pub(crate) const DATA_DIR: &str = "data";
    pub(crate) const SIM_SEED: i64 = 42;
    pub(crate) const SIM_RATE_PER_MIN: f64 = 3.0;
    pub(crate) const SIM_BACKLOG_DAYS: i64 = 3;
    pub(crate) const SESSION_HOURS: i64 = 12;
    pub(crate) const BULK_MAX_ITEMS: i64 = 5_000;
    /// Where `/metrics` and `/healthz` are served: loopback, a port of their own.
    pub(crate) const MONITORING_LISTEN: &str = "127.0.0.1:9464";
    /// `replies.in_flight_grace_secs` when not set: this many times
    /// `x.request_timeout_secs` (30 s → 60 s).
    pub(crate) const IN_FLIGHT_GRACE_TIMEOUTS: u32 = 2;
    pub(crate) const RECONCILE_INTERVAL_SECS: i64 = 20;
    pub(crate) const MANUAL_CHECK_INTERVAL_SECS: i64 = 60;
    pub(crate) const SMTP_PASSWORD_ENV: &str = "PLACEWATCH_SMTP_PASSWORD";
    pub(crate) const MAIL_TIMEOUT_SECS: i64 = 30;
    pub(crate) const SMTP_OAUTH_CLIENT_SECRET_ENV: &str = "PLACEWATCH_SMTP_OAUTH_CLIENT_SECRET";
    /// Exchange Online's SMTP for an app-only (client credentials) token.
    pub(crate) const SMTP_OAUTH_SCOPE_M365: &str = "https://outlook.office365.com/.default";
    pub(crate) const SPIKE_FACTOR: f64 = 3.0;
    pub(crate) const SPIKE_MIN_POSTS: i64 = 10;
    pub(crate) const BASELINE_WEEKS: i64 = 4;
    pub(crate) const ALERT_CHECK_INTERVAL_SECS: i64 = 60;
}

// ---------------------------------------------------------------- raw (serde)

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) council: RawCouncil,
    #[serde(default)]
    pub(crate) x: RawX,
    pub(crate) monitor: RawMonitor,
    #[serde(default)]
    pub(crate) budget: RawBudget,
    #[serde(default)]
    pub(crate) data: RawData,
    #[serde(default)]
    pub(crate) store: RawStore,
    #[serde(default)]
    pub(crate) sim: RawSim,
    /// `[log]`: how the daemon writes its log.
    #[serde(default)]
    pub(crate) log: RawLog,
    #[serde(default)]
    pub(crate) desk: RawDesk,
    #[serde(default)]
    pub(crate) replies: RawReplies,
    #[serde(default)]
    pub(crate) triage: RawTriage,
    /// `[[rules]]`: the domain type itself (`deny_unknown_fields` there too).
    #[serde(default)]
    pub(crate) rules: Vec<Rule>,
    /// `[templates]`: `[templates.vars]` and `[[templates.reply]]`.
    #[serde(default)]
    pub(crate) templates: RawTemplates,
    /// `[mail]`: absent means email is off.
    #[serde(default)]
    pub(crate) mail: Option<RawMail>,
    /// `[[teams]]`: the teams items are assigned and referred to.
    #[serde(default)]
    pub(crate) teams: Vec<RawTeam>,
    /// `[alerts]`: spike alerts.
    #[serde(default)]
    pub(crate) alerts: RawAlerts,
    /// `[reports]`: the weekly report email.
    #[serde(default)]
    pub(crate) reports: RawReports,
    /// `[office_hours]`: when the team is at work, and how durations count.
    #[serde(default)]
    pub(crate) office_hours: super::hours::RawOfficeHours,
}

/// `[reports]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawReports {
    pub(crate) weekly_to: Vec<String>,
    pub(crate) weekly_day: String,
    pub(crate) weekly_at: String,
}

impl Default for RawReports {
    fn default() -> Self {
        Self {
            weekly_to: Vec::new(),
            weekly_day: "monday".to_owned(),
            weekly_at: "08:00".to_owned(),
        }
    }
}

/// `[alerts]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawAlerts {
    pub(crate) spike_factor: f64,
    pub(crate) spike_min_posts: i64,
    pub(crate) baseline_weeks: i64,
    /// A `[[teams]]` name; empty: the desk's banner only.
    pub(crate) team: String,
    pub(crate) check_interval_secs: i64,
}

impl Default for RawAlerts {
    fn default() -> Self {
        Self {
            spike_factor: defaults::SPIKE_FACTOR,
            spike_min_posts: defaults::SPIKE_MIN_POSTS,
            baseline_weeks: defaults::BASELINE_WEEKS,
            team: String::new(),
            check_interval_secs: defaults::ALERT_CHECK_INTERVAL_SECS,
        }
    }
}

/// One `[[teams]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTeam {
    pub(crate) name: String,
    pub(crate) emails: Vec<String>,
    #[serde(default)]
    pub(crate) members: Vec<String>,
    #[serde(default)]
    pub(crate) teams_webhook_env: Option<String>,
    #[serde(default)]
    pub(crate) slack_webhook_env: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCouncil {
    pub(crate) name: String,
    pub(crate) handle: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawX {
    pub(crate) api_base: String,
    pub(crate) authorize_url: String,
    pub(crate) access: Access,
    pub(crate) query_max_len: Option<i64>,
    pub(crate) client_id: String,
    pub(crate) client_type: ClientType,
    pub(crate) redirect_uri: String,
    pub(crate) client_secret_env: String,
    pub(crate) bearer_token_env: String,
    pub(crate) api_key_env: String,
    pub(crate) api_secret_env: String,
    pub(crate) request_timeout_secs: i64,
    pub(crate) connect_timeout_secs: i64,
}

impl Default for RawX {
    fn default() -> Self {
        Self {
            api_base: defaults::API_BASE.into(),
            authorize_url: defaults::AUTHORIZE_URL.into(),
            access: Access::SelfServe,
            query_max_len: None,
            client_id: String::new(),
            client_type: ClientType::Confidential,
            redirect_uri: defaults::REDIRECT_URI.into(),
            client_secret_env: defaults::CLIENT_SECRET_ENV.into(),
            bearer_token_env: defaults::BEARER_TOKEN_ENV.into(),
            api_key_env: defaults::API_KEY_ENV.into(),
            api_secret_env: defaults::API_SECRET_ENV.into(),
            request_timeout_secs: defaults::REQUEST_TIMEOUT_SECS,
            connect_timeout_secs: defaults::CONNECT_TIMEOUT_SECS,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMonitor {
    pub(crate) places: Vec<String>,
    #[serde(default)]
    pub(crate) exclusions: Vec<String>,
    #[serde(default = "default_languages")]
    pub(crate) languages: Vec<String>,
    #[serde(default = "default_backfill_days")]
    pub(crate) backfill_days: i64,
    /// Unset: derived from the rate limits (see `Monitor::min_interval`).
    #[serde(default)]
    pub(crate) min_interval_secs: Option<i64>,
    #[serde(default = "default_max_interval_secs")]
    pub(crate) max_interval_secs: i64,
}

fn default_languages() -> Vec<String> {
    defaults::LANGUAGES.iter().map(|s| s.to_string()).collect()
}
fn default_backfill_days() -> i64 {
    defaults::BACKFILL_DAYS
}
fn default_max_interval_secs() -> i64 {
    defaults::MAX_INTERVAL_SECS
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawBudget {
    pub(crate) monthly_post_reads: i64,
    pub(crate) post_read_usd: f64,
    pub(crate) owned_read_usd: f64,
    pub(crate) user_read_usd: f64,
    pub(crate) post_create_usd: f64,
    pub(crate) post_create_with_url_usd: f64,
    pub(crate) summoned_reply_usd: f64,
    pub(crate) monthly_usd: f64,
    pub(crate) warn_at_percent: i64,
}

impl Default for RawBudget {
    fn default() -> Self {
        Self {
            monthly_post_reads: defaults::MONTHLY_POST_READS,
            post_read_usd: defaults::POST_READ_USD,
            owned_read_usd: defaults::OWNED_READ_USD,
            user_read_usd: defaults::USER_READ_USD,
            post_create_usd: defaults::POST_CREATE_USD,
            post_create_with_url_usd: defaults::POST_CREATE_WITH_URL_USD,
            summoned_reply_usd: defaults::SUMMONED_REPLY_USD,
            monthly_usd: 0.0,
            warn_at_percent: defaults::WARN_AT_PERCENT,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawData {
    pub(crate) dir: String,
}

impl Default for RawData {
    fn default() -> Self {
        Self {
            dir: defaults::DATA_DIR.into(),
        }
    }
}

/// `[log]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawLog {
    pub(crate) format: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            format: "text".to_owned(),
        }
    }
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawStore {
    pub(crate) url: Option<String>,
    pub(crate) password_env: Option<String>,
    pub(crate) lease_secs: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawSim {
    pub(crate) seed: i64,
    pub(crate) rate_per_min: f64,
    pub(crate) backlog_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDesk {
    pub(crate) public_url: Option<String>,
    pub(crate) session_hours: i64,
    pub(crate) officer_replies_need_approval: bool,
    pub(crate) allow_self_approval: bool,
    pub(crate) trusted_proxies: Vec<String>,
    /// How long a post of each priority may wait for an answer, in minutes.
    pub(crate) waiting_target_urgent_minutes: i64,
    pub(crate) waiting_target_high_minutes: i64,
    pub(crate) waiting_target_normal_minutes: i64,
    pub(crate) waiting_target_low_minutes: i64,
    pub(crate) bulk_max_items: i64,
    pub(crate) monitoring_listen: String,
    pub(crate) monitoring_token_env: Option<String>,
    pub(crate) tls_cert_file: Option<String>,
    pub(crate) tls_key_file: Option<String>,
}

impl Default for RawDesk {
    fn default() -> Self {
        let targets = crate::domain::triage::WaitingTargets::default();
        let minutes = |d: std::time::Duration| (d.as_secs() / 60) as i64;
        Self {
            public_url: None,
            session_hours: defaults::SESSION_HOURS,
            officer_replies_need_approval: false,
            allow_self_approval: false,
            trusted_proxies: Vec::new(),
            waiting_target_urgent_minutes: minutes(targets.urgent),
            waiting_target_high_minutes: minutes(targets.high),
            waiting_target_normal_minutes: minutes(targets.normal),
            waiting_target_low_minutes: minutes(targets.low),
            bulk_max_items: defaults::BULK_MAX_ITEMS,
            monitoring_listen: defaults::MONITORING_LISTEN.to_owned(),
            monitoring_token_env: None,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawReplies {
    /// `None`: derived from `x.request_timeout_secs`.
    pub(crate) in_flight_grace_secs: Option<i64>,
    pub(crate) reconcile_interval_secs: i64,
    pub(crate) manual_check_interval_secs: i64,
}

impl Default for RawReplies {
    fn default() -> Self {
        Self {
            in_flight_grace_secs: None,
            reconcile_interval_secs: defaults::RECONCILE_INTERVAL_SECS,
            manual_check_interval_secs: defaults::MANUAL_CHECK_INTERVAL_SECS,
        }
    }
}

impl Default for RawSim {
    fn default() -> Self {
        Self {
            seed: defaults::SIM_SEED,
            rate_per_min: defaults::SIM_RATE_PER_MIN,
            backlog_days: defaults::SIM_BACKLOG_DAYS,
        }
    }
}

/// `[mail]`. `smtp_host` and `from` are required once the section is there.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMail {
    pub(crate) smtp_host: String,
    /// `None`: the port of `security` (587, 465 or 25).
    #[serde(default)]
    pub(crate) smtp_port: Option<i64>,
    #[serde(default)]
    pub(crate) security: MailSecurity,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default = "default_smtp_password_env")]
    pub(crate) password_env: String,
    pub(crate) from: String,
    /// `None`: "<council.name> comms desk".
    #[serde(default)]
    pub(crate) from_name: Option<String>,
    #[serde(default = "default_mail_timeout_secs")]
    pub(crate) timeout_secs: i64,
    #[serde(default)]
    pub(crate) ca_file: Option<String>,
    /// How placewatch signs in: `password` (the default) or `xoauth2`.
    #[serde(default)]
    pub(crate) auth: MailAuthKind,
    /// The `oauth_*` keys: only with `auth = "xoauth2"`.
    #[serde(default)]
    pub(crate) oauth_token_url: Option<String>,
    #[serde(default)]
    pub(crate) oauth_client_id: Option<String>,
    #[serde(default)]
    pub(crate) oauth_client_secret_env: Option<String>,
    #[serde(default)]
    pub(crate) oauth_scope: Option<String>,
    #[serde(default)]
    pub(crate) oauth_refresh_token_env: Option<String>,
}

/// `mail.auth` as written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MailAuthKind {
    #[default]
    Password,
    Xoauth2,
}

fn default_smtp_password_env() -> String {
    defaults::SMTP_PASSWORD_ENV.into()
}
fn default_mail_timeout_secs() -> i64 {
    defaults::MAIL_TIMEOUT_SECS
}

/// `[triage]`. `None` means "not in the file": use the built-in list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTriage {
    #[serde(default)]
    pub(crate) abusive_words: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) abusive_words_extra: Vec<String>,
    #[serde(default)]
    pub(crate) false_friend_words: Option<Vec<String>>,
}

// ------------------------------------------------------------- typed (public)

/// Which X API access the council has; decides the longest search query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Pay-per-use and the legacy Basic/Pro subscriptions: 512-character queries.
    SelfServe,
    /// Enterprise: 4,096-character queries.
    Enterprise,
}

impl Access {
    /// The longest recent-search query this tier accepts (x-api/FACTS.md §1).
    pub fn max_query_len(self) -> usize {
        match self {
            Access::SelfServe => 512,
            Access::Enterprise => 4096,
        }
    }

    /// The spelling used in the TOML file.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::SelfServe => "self-serve",
            Access::Enterprise => "enterprise",
        }
    }
}

/// The OAuth 2.0 client type of the X app (decides how the token endpoint
/// authenticates: Basic auth with the secret, or `client_id` in the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientType {
    /// "Web App" or "Automated App or bot": has a client secret.
    Confidential,
    /// "Native App" or "Single page App": no secret.
    Public,
}

impl ClientType {
    /// The spelling used in the TOML file.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Confidential => "confidential",
            ClientType::Public => "public",
        }
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    /// Plain connection upgraded with STARTTLS, which is required: if the
    /// server does not offer it, nothing is sent (no login, no message).
    /// Port 587: smtp.office365.com, smtp.gmail.com.
    #[default]
    Starttls,
    /// TLS from the first byte ("implicit TLS", SMTPS). Port 465.
    Tls,
    /// No encryption at all: only to a loopback host (a local relay).
    None,
}

impl MailSecurity {
    /// The spelling used in the TOML file.
    pub fn as_str(self) -> &'static str {
        match self {
            MailSecurity::Starttls => "starttls",
            MailSecurity::Tls => "tls",
            MailSecurity::None => "none",
        }
    }

    /// The usual port: 587 (submission), 465 (submissions) or 25.
    pub fn default_port(self) -> u16 {
        match self {
            MailSecurity::Starttls => 587,
            MailSecurity::Tls => 465,
            MailSecurity::None => 25,
        }
    }
}

/// `[mail]`: the SMTP server placewatch sends email through. Holds only the
/// *name* of the environment variable with the password.
#[derive(Debug, Clone, PartialEq)]
pub struct MailConfig {
    /// A host name or IP address (no scheme, no port).
    pub smtp_host: String,
    pub smtp_port: u16,
    pub security: MailSecurity,
    /// Login name; `None`: no login (a relay that trusts this host).
    pub username: Option<String>,
    /// Name of the environment variable holding the password (used only
    /// with a `username`).
    pub password_env: String,
    /// The sender's address.
    pub from: Address,
    /// The sender's display name, clean (no control characters).
    pub from_name: String,
    /// How long one message may take, connecting included.
    pub timeout: Duration,
    /// A PEM file of CA certificates trusted besides the public roots (an
    /// internal relay's CA); absolute.
    pub ca_file: Option<PathBuf>,
    /// How placewatch signs in (with `username`).
    pub auth: MailAuth,
}

/// How placewatch signs in to the SMTP server.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum MailAuth {
    /// `auth = "password"`: `username` and the password in `password_env`
    /// (AUTH PLAIN or LOGIN), or no login at all without a `username`.
    #[default]
    Password,
    /// `auth = "xoauth2"`: SASL XOAUTH2 as `username`, with an OAuth 2.0
    /// access token from `oauth_token_url` (Microsoft 365, Google Workspace).
    Xoauth2(MailOAuth),
}

impl MailAuth {
    /// The spelling used in the TOML file.
    pub fn as_str(&self) -> &'static str {
        match self {
            MailAuth::Password => "password",
            MailAuth::Xoauth2(_) => "xoauth2",
        }
    }
}

/// Where and how the access token for XOAUTH2 is fetched. Holds only the
/// *names* of the variables with the secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct MailOAuth {
    /// The token endpoint, e.g.
    /// `https://login.microsoftonline.com/TENANT/oauth2/v2.0/token`; https
    /// (plain http only to loopback).
    pub token_url: Url,
    /// The app's client (application) ID.
    pub client_id: String,
    /// Name of the variable holding the client secret.
    pub client_secret_env: String,
    /// The scope to ask for; `None`: none (a refresh token carries its own).
    pub scope: Option<String>,
    /// Name of the variable holding a refresh token: when set, tokens come
    /// from the refresh-token grant (Google Workspace), else from the
    /// client-credentials grant (Microsoft 365, app-only).
    pub refresh_token_env: Option<String>,
}

impl MailOAuth {
    /// The OAuth 2.0 grant used: `client_credentials` or `refresh_token`.
    pub fn grant(&self) -> &'static str {
        match self.refresh_token_env {
            Some(_) => "refresh_token",
            None => "client_credentials",
        }
    }
}

/// `[council]`: whose area is watched and which account answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Council {
    /// Display name, e.g. "Croydon Council".
    pub name: String,
    /// The council's X username, without `@`.
    pub handle: String,
}

/// `[x]`: where the X API is and how placewatch authenticates to it. Holds
/// only the *names* of the environment variables that carry secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct XConfig {
    /// Base URL of the X API (or the simulator); always ends with `/`, so
    /// `api_base.join("2/tweets")` keeps any path prefix.
    pub api_base: Url,
    /// OAuth 2.0 authorize page opened in the officer's browser.
    pub authorize_url: Url,
    /// Access tier.
    pub access: Access,
    /// Longest search query to build (resolved from the tier when unset).
    pub query_max_len: usize,
    /// OAuth 2.0 client id (public information); may be empty until login is set up.
    pub client_id: String,
    /// OAuth 2.0 client type.
    pub client_type: ClientType,
    /// Loopback callback served by `placewatch auth login`.
    pub redirect_uri: Url,
    /// Name of the environment variable holding the OAuth 2.0 client secret.
    pub client_secret_env: String,
    /// Name of the environment variable holding an app-only bearer token.
    pub bearer_token_env: String,
    /// Name of the environment variable holding the API key (client_credentials).
    pub api_key_env: String,
    /// Name of the environment variable holding the API secret (client_credentials).
    pub api_secret_env: String,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
}

/// `[monitor]`: what to search for and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    /// Place names to search for, parsed by `Keyword::parse` (trimmed, inner
    /// whitespace collapsed, unique ignoring case). `Display` and `as_str`
    /// give the name as configured.
    pub places: Vec<Keyword>,
    /// False friends: terms whose posts are excluded (parsed like places).
    pub exclusions: Vec<Keyword>,
    /// Language codes to keep; empty means all languages.
    pub languages: Vec<String>,
    /// How far back the first poll reaches (1..=7 days, the search window).
    pub backfill_days: u32,
    /// Shortest time between polls; `None` (the default) lets the daemon
    /// derive it from the rate limits for the monitors it plans
    /// (`poller::schedule::rate_limited_interval`: about 10 s for two searches).
    pub min_interval: Option<Duration>,
    /// Longest time between polls.
    pub max_interval: Duration,
}

/// `[budget]`: caps and unit prices, in US dollars.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// Monthly cap on post reads; `None` means unlimited (0 in the file).
    pub monthly_post_reads: Option<u64>,
    /// Price of one post read.
    pub post_read_usd: f64,
    /// Price of one owned read (the council's own timeline).
    pub owned_read_usd: f64,
    /// Price of one user read.
    pub user_read_usd: f64,
    /// Price of creating one post.
    pub post_create_usd: f64,
    /// Price of creating one post that contains a URL.
    pub post_create_with_url_usd: f64,
    /// Price of one summoned reply.
    pub summoned_reply_usd: f64,
    /// Monthly money cap; `None` means no cap (0 in the file).
    pub monthly_usd: Option<f64>,
    /// Warn when this share of a cap is used (1..=100).
    pub warn_at_percent: u8,
}

impl Budget {
    /// The month's post-read cap: the configured count, or what the
    /// configured money buys at the post-read price, whichever is smaller;
    /// `None` when neither is set.
    pub fn monthly_read_cap(&self) -> Option<u64> {
        let from_money = self
            .monthly_usd
            .filter(|_| self.post_read_usd > 0.0)
            .map(|usd| (usd / self.post_read_usd).floor() as u64);
        match (self.monthly_post_reads, from_money) {
            (Some(a), Some(m)) => Some(a.min(m)),
            (a, m) => a.or(m),
        }
    }

    /// The prices of posting a reply, for `domain::text::ReplyCost`.
    pub fn reply_prices(&self) -> ReplyPrices {
        ReplyPrices {
            post_create_usd: self.post_create_usd,
            post_create_with_url_usd: self.post_create_with_url_usd,
            summoned_reply_usd: self.summoned_reply_usd,
        }
    }
}

/// `[data]`: where placewatch keeps its files.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// Absolute data directory (relative paths in the file are resolved
    /// against the config file's directory).
    pub dir: PathBuf,
}

/// How `placewatch run` writes its log (to standard error, for journald).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One human-readable line an event (coloured only on a terminal).
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// `[log]`: how the daemon logs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// `[store]`: the database the store is in.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    pub database: Database,
    /// The variable holding the PostgreSQL password (PostgreSQL only).
    pub password_env: Option<String>,
    /// The work lease's timing (`lease_secs`): which replica polls X and
    /// sends (see `replica`).
    pub lease: crate::domain::lease::Timing,
}

/// Which engine, and where.
#[derive(Debug, Clone, PartialEq)]
pub enum Database {
    /// The SQLite file at this absolute path (by default `placewatch.db` in
    /// the data directory).
    Sqlite(PathBuf),
    /// A PostgreSQL URL, as written (it may hold a password: show it with
    /// the password masked, never log it).
    Postgres(url::Url),
}

/// `[sim]`: settings for `placewatch sim` and `placewatch demo`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Seed of the synthetic post generator, so runs repeat.
    pub seed: u64,
    /// Synthetic posts per minute (may be fractional; 0 = none).
    pub rate_per_min: f64,
    /// Days of backlog generated at start (0..=7).
    pub backlog_days: u32,
}

/// `[desk]`: the officers' web desk.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskConfig {
    /// The address officers use, when the desk sits behind a proxy. An
    /// `https` URL makes session cookies `Secure`.
    pub public_url: Option<Url>,
    /// How long a login lasts.
    pub session_ttl: Duration,
    /// Replies written by officers (role `officer`) wait for an approver.
    pub officer_replies_need_approval: bool,
    /// An approver may approve a reply she wrote herself (off by default:
    /// approval is a second pair of eyes).
    pub allow_self_approval: bool,
    /// Reverse proxies in front of the desk: only from these addresses is
    /// `X-Forwarded-For` believed (for login throttling and logs).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long an open item may wait for an answer, per priority: the
    /// inbox's clocks turn amber at three quarters and red past it.
    pub waiting_targets: crate::domain::triage::WaitingTargets,
    /// The most items one bulk action may change (a view that holds more is
    /// refused with a message to narrow it).
    pub bulk_max_items: u32,
    /// Where `/metrics` and `/healthz` are served on their own (loopback by
    /// default); `None`: not on an address of their own.
    pub monitoring_listen: Option<std::net::SocketAddr>,
    /// The variable holding a bearer token that also opens `/metrics` and
    /// `/healthz` on the desk's own address; `None`: they are not there.
    pub monitoring_token_env: Option<String>,
    /// The desk's own HTTPS (for councils without a reverse proxy): its
    /// certificate chain and private key, PEM files.
    pub tls: Option<DeskTls>,
}

/// `desk.tls_cert_file` and `desk.tls_key_file`, absolute.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskTls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// `[replies]`: how the reply outbox settles replies left in `sending` (a
/// process killed, or X's answer lost, while a reply was being sent).
#[derive(Debug, Clone, PartialEq)]
pub struct RepliesConfig {
    /// A `sending` reply whose send began less than this ago may still be in
    /// flight in another process (the CLI, or a daemon just killed):
    /// reconciliation marks it sent if the council's timeline has it, but
    /// does not send it again before this has passed. Default: twice
    /// `x.request_timeout` (60 s).
    pub in_flight_grace: Duration,
    /// How often `placewatch run` looks for replies stuck in `sending` past
    /// the grace (a cheap local query; the council's timeline is read only
    /// when there is one) and reconciles them. Default: 20 s.
    pub reconcile_interval: Duration,
    /// How often `placewatch run` looks in the council's timeline for the
    /// replies officers were asked to post by hand in X, while any is
    /// pending (nothing is read when none is). Default: 60 s.
    pub manual_check_interval: Duration,
}

/// `[triage]`: what triage flags on arrival.
#[derive(Debug, Clone, PartialEq)]
pub struct Triage {
    /// Abusive-language list: `triage.abusive_words` (or, when that is not
    /// set, the built-in `AbuseList::uk_default()`), then
    /// `triage.abusive_words_extra`.
    pub abuse: AbuseList,
    /// Context words that mark a post as probably about another Croydon:
    /// `triage.false_friend_words`, or `default_false_friend_context()` when
    /// not set. The monitor's exclusions are not included; see
    /// `Config::false_friend_words`, which puts them first as
    /// `domain::triage::flags` expects.
    pub false_friend_words: Vec<Keyword>,
}

/// `[reports]`: who gets the weekly report email, and when (UK time). The
/// week reported is the seven days before the day it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportsConfig {
    /// The recipients; none: no weekly email.
    pub weekly_to: Vec<crate::domain::mail::Address>,
    pub weekly_day: time::Weekday,
    pub weekly_at: crate::domain::team::DigestAt,
}

/// `[alerts]`: when posts about a place or tag spike, the desk shows a
/// banner and `team`'s channels are told (once per spike).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsConfig {
    /// What counts as a spike (`spike_factor`, `spike_min_posts`,
    /// `baseline_weeks`).
    pub rule: crate::domain::spike::SpikeRule,
    /// The `[[teams]]` whose channels get spike alerts; `None`: the banner only.
    pub team: Option<String>,
    /// How often the daemon checks for spikes.
    pub check_interval: Duration,
}
