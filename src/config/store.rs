//! `[store]` validated: where the store is. `url` is `sqlite://PATH` (a
//! relative PATH is resolved against the config file's directory, like
//! `data.dir`) or `postgres://…`/`postgresql://…` (TLS as libpq's `sslmode`
//! says); left out, the SQLite file in the data directory. `password_env`
//! names the variable holding the PostgreSQL password (never the password).
//! `lease_secs` is how long the work lease lasts (see `replica`).

use std::path::Path;
use std::time::Duration;

use url::Url;

use super::error::ConfigError;
use super::locate::Ctx;
use super::schema::{Database, RawStore, StoreConfig, XConfig};
use super::validate::{check_env_names, int_in, resolve_path};
use crate::domain::lease::Timing;

type Result<T> = std::result::Result<T, ConfigError>;

/// The store's file name in the data directory, the default store.
pub const DB_FILE: &str = "placewatch.db";

/// libpq's `sslmode` values, which sqlx's PostgreSQL driver takes too.
const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

pub(super) fn store(
    raw: RawStore,
    data_dir: &Path,
    x: &XConfig,
    mail_password_env: Option<&String>,
    ctx: &Ctx<'_>,
) -> Result<StoreConfig> {
    let database = match raw.url.as_deref().map(str::trim) {
        None => Database::Sqlite(data_dir.join(DB_FILE)),
        Some(url) => database(url, ctx)?,
    };
    let password_env = match (raw.password_env, &database) {
        (None, _) => None,
        (Some(_), Database::Sqlite(_)) => {
            return Err(ctx.invalid(
                "store.password_env",
                "is only used with a PostgreSQL store.url (postgres://…); a SQLite file has \
                 no password",
            ));
        }
        (Some(name), Database::Postgres(_)) => {
            let mut keys = vec![
                ("x.client_secret_env", &x.client_secret_env),
                ("x.bearer_token_env", &x.bearer_token_env),
                ("x.api_key_env", &x.api_key_env),
                ("x.api_secret_env", &x.api_secret_env),
            ];
            if let Some(mail) = mail_password_env {
                keys.push(("mail.password_env", mail));
            }
            keys.push(("store.password_env", &name));
            check_env_names(ctx, &keys)?;
            Some(name)
        }
    };
    let lease = match raw.lease_secs {
        None => Timing::default(),
        Some(secs) => Timing {
            ttl: Duration::from_secs(int_in(ctx, "store.lease_secs", secs, 3, 120)?),
        },
    };
    Ok(StoreConfig {
        database,
        password_env,
        lease,
    })
}

fn database(url: &str, ctx: &Ctx<'_>) -> Result<Database> {
    const KEY: &str = "store.url";
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.contains('?') {
            return Err(ctx.invalid(
                KEY,
                "takes no parameters after the path (placewatch sets the SQLite connection \
                 up itself): write sqlite://PATH",
            ));
        }
        return Ok(Database::Sqlite(resolve_path(ctx, KEY, path)?));
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(ctx.invalid(
            KEY,
            "must be sqlite://PATH (a file; relative to this file's directory) or \
             postgres://USER@HOST:PORT/DATABASE (PostgreSQL); leave it out for the SQLite \
             file in data.dir",
        ));
    }
    // The error never quotes the URL: it may hold a password.
    let parsed = Url::parse(url).map_err(|e| {
        ctx.invalid(
            KEY,
            format!("is not a valid PostgreSQL URL ({e}); the form is postgres://USER@HOST:PORT/DATABASE"),
        )
    })?;
    for (name, value) in parsed.query_pairs() {
        if name == "sslmode" && !SSL_MODES.contains(&value.as_ref()) {
            return Err(ctx.invalid(
                KEY,
                format!(
                    "sslmode={value} is not one of libpq's modes ({})",
                    SSL_MODES.join(", ")
                ),
            ));
        }
    }
    Ok(Database::Postgres(parsed))
}

/// `url` with its password, if any, replaced by `****` (for display).
pub(crate) fn masked(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("****"));
    }
    shown.to_string()
}
