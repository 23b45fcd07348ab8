//! Configuration: `config/placewatch.toml` → one validated, typed `Config`.
//!
//! The pipeline (STYLE habit 6): read the file; parse it into toml's spanned
//! document tree; splice in `PLACEWATCH__SECTION__KEY` environment overrides;
//! deserialize with `deny_unknown_fields`; validate into `Config`. Every error
//! names the file, the dotted key and the line, or the environment variable.
//!
//! Why spans come from toml's own `DeTable` rather than `Spanned<T>` fields
//! or `serde_path_to_error`: the raw structs stay plain, env overrides are
//! checked by exactly the same deserializer as the file (they are spliced
//! into the tree with synthetic spans that map back to the variable), and one
//! span index serves both directions — span → key for serde errors, key →
//! line for semantic errors — with no extra dependency.
//!
//! Secrets never live in `Config`: it holds only the *names* of the
//! environment variables; [`Secrets::resolve`] reads them once, at start-up,
//! into `secrecy::SecretString`s that are handed to whoever needs them.
//!
//! `[mail]` and `[[teams]]` addresses are parsed by lettre's `Address`
//! (through `domain::mail`); team names by `domain::team::parse_team_name`.
//!
//! Place names, exclusions and triage words are parsed by
//! `domain::query::Keyword::parse` (the parser the query packer and the
//! tagger use); `[[rules]]` deserialize into `domain::triage::Rule` and are
//! checked by `domain::triage::validate_rules`; `[[templates.reply]]` texts
//! are parsed by `domain::text::Template::parse`. Those are the only other
//! placewatch modules this one depends on.

mod display;
mod env;
mod error;
mod hours;
mod locate;
mod mail;
mod places;
mod schema;
mod store;
mod teams;
mod templates;
mod triage;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize as _;

pub use crate::domain::team::TeamConfig;
pub use error::ConfigError;
pub use hours::OfficeHoursConfig;
pub use places::{MAX_PLACE_NAME_CHARS, parse_place_name, validate_place_name};
pub use schema::{
    Access, AlertsConfig, Budget, ClientType, Council, Data, Database, DeskConfig, DeskTls,
    LogConfig, LogFormat, MailAuth, MailConfig, MailOAuth, MailSecurity, Monitor, RepliesConfig,
    ReportsConfig, SimConfig, StoreConfig, Triage, XConfig,
};
pub use store::DB_FILE;
pub use templates::Templates;

use crate::domain::query::Keyword;
use crate::domain::triage::Rule;

/// The validated configuration. Holds no secret values, so `Debug` is safe.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[council]`
    pub council: Council,
    /// `[x]`
    pub x: XConfig,
    /// `[monitor]`
    pub monitor: Monitor,
    /// `[budget]`
    pub budget: Budget,
    /// `[data]`
    pub data: Data,
    /// `[store]`: the SQLite file in the data directory unless it says
    /// otherwise.
    pub store: StoreConfig,
    /// `[sim]`
    pub sim: SimConfig,
    /// `[log]`
    pub log: LogConfig,
    /// `[desk]`
    pub desk: DeskConfig,
    /// `[replies]`: settling replies left in `sending`.
    pub replies: RepliesConfig,
    /// `[triage]`: the abuse list and false-friend words (defaults when the
    /// section is left out).
    pub triage: Triage,
    /// `[[rules]]`, in file order (empty when there are none). Validated by
    /// `domain::triage::validate_rules`, and every `when.places` entry is a
    /// configured place name.
    pub rules: Vec<Rule>,
    /// `[templates]`: reply templates (`[[templates.reply]]`, in file order)
    /// and their variables (`[templates.vars]`); empty when left out.
    pub templates: Templates,
    /// `[mail]`: the SMTP server email goes through; `None` (no section)
    /// means email is off.
    pub mail: Option<MailConfig>,
    /// `[[teams]]`, in file order (empty when there are none): names unique
    /// ignoring case, each with at least one address.
    pub teams: Vec<TeamConfig>,
    /// `[alerts]`: spike alerts (defaults when the section is left out).
    pub alerts: AlertsConfig,
    /// `[reports]`: the weekly report email (none when left out).
    pub reports: ReportsConfig,
    /// `[office_hours]`: opening times, bank holidays and how durations
    /// count (see [`Config::office_hours`] and [`Config::measure`]).
    pub office_hours: OfficeHoursConfig,
    /// The file this was loaded from, as given by the caller.
    pub source: PathBuf,
}

/// Reads the process environment (what `load` and the secret getters use).
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Config {
    /// The domain the council's own Message-IDs end in: the sender's
    /// (`mail.from`), or a reserved one until email is configured.
    pub fn message_domain(&self) -> String {
        match &self.mail {
            Some(mail) => mail.from.domain().to_owned(),
            None => "placewatch.invalid".to_owned(),
        }
    }

    /// Read `path`, apply `PLACEWATCH__SECTION__KEY` overrides from the
    /// process environment, deserialize and validate. Every `PLACEWATCH__*`
    /// variable must name a known key.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut vars = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str() else { continue };
            if !env::check_var_name(name)? {
                continue;
            }
            let value = value.into_string().map_err(|_| ConfigError::Env {
                var: name.to_string(),
                key: name[env::PREFIX.len()..]
                    .to_ascii_lowercase()
                    .replace("__", "."),
                message: "value is not valid UTF-8".into(),
            })?;
            vars.push((name.to_string(), value));
        }
        Self::from_str_with_vars(&source, path, vars)
    }

    /// The testable core: parse `source` (the text of `path`), apply the
    /// overrides that `env` returns for `PLACEWATCH__SECTION__KEY` names,
    /// deserialize and validate. `path` is used in messages and to resolve
    /// a relative `data.dir`; it is not read.
    pub fn from_str_with_env(
        source: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let overrides = env::probe(env);
        build(source, path, &overrides)
    }

    /// Like `from_str_with_env`, but from a full list of variables (as
    /// `std::env::vars()` gives): those starting with `PLACEWATCH__` must
    /// each name a known key, or this fails naming the variable. Others are
    /// ignored. A lookup closure cannot be enumerated, so this is where
    /// unknown overrides are caught.
    pub fn from_str_with_vars(
        source: &str,
        path: &Path,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut known = BTreeMap::new();
        for (name, value) in vars {
            if env::check_var_name(&name)? {
                known.insert(name, value);
            }
        }
        Self::from_str_with_env(source, path, &|name| known.get(name).cloned())
    }

    /// The words that mark a post as a likely false friend, as
    /// `domain::triage::flags` wants them: the monitor's exclusions first,
    /// then `triage.false_friend_words`, without repeats (ignoring case).
    pub fn false_friend_words(&self) -> Vec<Keyword> {
        let mut words = self.monitor.exclusions.clone();
        for word in &self.triage.false_friend_words {
            if places::position_ignoring_case(&words, word.as_str()).is_none() {
                words.push(word.clone());
            }
        }
        words
    }

    /// The effective configuration as TOML (it loads back into an equal
    /// `Config`). For each secret it shows the variable's name and whether
    /// it is set in the process environment, never the value.
    pub fn render_effective(&self) -> String {
        self.render_effective_with_env(&process_env)
    }

    /// `render_effective`, asking `env` whether the secret variables are set.
    pub fn render_effective_with_env(&self, env: &dyn Fn(&str) -> Option<String>) -> String {
        display::render(self, env)
    }
}

fn read_secret(env: &dyn Fn(&str) -> Option<String>, var: &str) -> Option<SecretString> {
    env(var).filter(|v| !v.is_empty()).map(SecretString::from)
}

/// The secrets the config names, read once from the environment: the OAuth
/// client secret, the app-only bearer token, the API key pair and the SMTP
/// password. Each is `None` when its variable is unset or empty (the key
/// pair unless both are set; the SMTP password when there is no `[mail]`
/// with a `username`). Never printed: `Debug` shows only which are set.
#[derive(Clone, Default)]
pub struct Secrets {
    pub client_secret: Option<SecretString>,
    pub bearer_token: Option<SecretString>,
    pub api_key_pair: Option<(SecretString, SecretString)>,
    pub smtp_password: Option<SecretString>,
    /// With `mail.auth = "xoauth2"`: the client secret and the refresh
    /// token (if `mail.oauth_refresh_token_env` is set) for the mail token.
    pub smtp_oauth_client_secret: Option<SecretString>,
    pub smtp_oauth_refresh_token: Option<SecretString>,
    /// The PostgreSQL password, from `store.password_env`.
    pub store_password: Option<SecretString>,
    /// The `[[teams]]` webhook URLs, by the name of the variable holding
    /// each (`teams_webhook_env`, `slack_webhook_env`); unset ones left out.
    pub webhooks: BTreeMap<String, SecretString>,
    /// The bearer token that opens `/metrics` and `/healthz` on the desk's
    /// address (`desk.monitoring_token_env`).
    pub monitoring_token: Option<SecretString>,
}

impl Secrets {
    /// Reads the variables `config` names from the process environment.
    pub fn from_process(config: &Config) -> Secrets {
        Secrets::resolve(config, &process_env)
    }

    /// Reads the variables `config` names through `env` (`placewatch demo`
    /// and the tests hand in their own).
    pub fn resolve(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Secrets {
        let x = &config.x;
        Secrets {
            client_secret: read_secret(env, &x.client_secret_env),
            bearer_token: read_secret(env, &x.bearer_token_env),
            api_key_pair: read_secret(env, &x.api_key_env).zip(read_secret(env, &x.api_secret_env)),
            smtp_password: config
                .mail
                .as_ref()
                .filter(|mail| mail.username.is_some())
                .filter(|mail| mail.auth == MailAuth::Password)
                .and_then(|mail| read_secret(env, &mail.password_env)),
            smtp_oauth_client_secret: mail_oauth(config)
                .and_then(|oauth| read_secret(env, &oauth.client_secret_env)),
            smtp_oauth_refresh_token: mail_oauth(config)
                .and_then(|oauth| oauth.refresh_token_env.as_ref())
                .and_then(|var| read_secret(env, var)),
            store_password: config
                .store
                .password_env
                .as_ref()
                .and_then(|var| read_secret(env, var)),
            webhooks: config
                .teams
                .iter()
                .flat_map(|t| [&t.teams_webhook_env, &t.slack_webhook_env])
                .flatten()
                .filter_map(|var| Some((var.clone(), read_secret(env, var)?)))
                .collect(),
            monitoring_token: config
                .desk
                .monitoring_token_env
                .as_ref()
                .and_then(|var| read_secret(env, var)),
        }
    }
}

/// `[mail]`'s OAuth settings, when it signs in with XOAUTH2.
fn mail_oauth(config: &Config) -> Option<&MailOAuth> {
    match &config.mail.as_ref()?.auth {
        MailAuth::Xoauth2(oauth) => Some(oauth),
        MailAuth::Password => None,
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("client_secret", &self.client_secret.is_some())
            .field("bearer_token", &self.bearer_token.is_some())
            .field("api_key_pair", &self.api_key_pair.is_some())
            .field("smtp_password", &self.smtp_password.is_some())
            .field("monitoring_token", &self.monitoring_token.is_some())
            .field(
                "smtp_oauth_client_secret",
                &self.smtp_oauth_client_secret.is_some(),
            )
            .field(
                "smtp_oauth_refresh_token",
                &self.smtp_oauth_refresh_token.is_some(),
            )
            .field("store_password", &self.store_password.is_some())
            .field("webhooks", &self.webhooks.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Parse, override, deserialize, validate.
/// `source` (the text of `path`) parsed, with the overrides `env` sets
/// spliced in as [`Config::from_str_with_env`] splices them, as a plain TOML
/// table: what the config says in that environment, to write to a file for
/// a process that has not that environment (`placewatch demo` does). Not
/// validated: load it, or the file written from it, for that.
pub fn table_with_env(
    source: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<toml::Table, ConfigError> {
    let overrides = env::probe(env);
    let (doc, _) = parse(source, path, &overrides)?;
    toml::Table::deserialize(toml::de::Deserializer::from(doc)).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        line: 1,
        column: 1,
        key: None,
        message: e.to_string(),
    })
}

/// Parses `source` and splices `overrides` in; returns the document and the
/// offset where the overrides' synthetic spans begin (see `env`).
fn parse<'s>(
    source: &'s str,
    path: &Path,
    overrides: &'s [env::Override],
) -> Result<(toml::Spanned<toml::de::DeTable<'s>>, usize), ConfigError> {
    let (mut doc, errors) = toml::de::DeTable::parse_recoverable(source);
    if let Some(err) = errors.first() {
        return Err(locate::syntax_error(path, source, doc.get_ref(), err));
    }
    let env_base = source.len() + 1;
    env::apply(doc.get_mut(), overrides, env_base)?;
    Ok((doc, env_base))
}

fn build(source: &str, path: &Path, overrides: &[env::Override]) -> Result<Config, ConfigError> {
    let (doc, env_base) = parse(source, path, overrides)?;
    let ctx = locate::Ctx {
        path,
        source,
        index: locate::SpanIndex::build(doc.get_ref()),
        overrides,
        env_base,
    };
    validate::sections_are_tables(doc.get_ref(), &ctx)?;
    let raw = schema::RawConfig::deserialize(toml::de::Deserializer::from(doc))
        .map_err(|e| ctx.serde_error(&e))?;
    validate::validate(raw, &ctx)
}
