//! `ConfigError`: what went wrong, in which file, at which key and line, or
//! in which environment variable. Messages never contain a secret value.

use std::path::PathBuf;

/// A configuration that could not be read, parsed or validated. Every
/// variant names where to look: the file and line, or the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read config file: {source}", .path.display())]
    Io {
        /// The config file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or does not fit the schema (unknown key,
    /// wrong type, missing required key).
    #[error("{}:{line}:{column}: {}{message}", .path.display(), key_prefix(.key.as_deref()))]
    Parse {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// Dotted key path, when one could be told (e.g. `monitor.placez`).
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A value is well-formed but not acceptable (bad handle, duplicate
    /// place, interval bounds, ...).
    #[error("{}{}: {key}: {message}", .path.display(), line_suffix(*.line))]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the key, or of its table when the key was left
        /// to its default; `None` when neither is in the file.
        line: Option<usize>,
        /// Dotted key path, e.g. `monitor.places[3]`.
        key: String,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// An environment override (`PLACEWATCH__SECTION__KEY`) is unknown,
    /// malformed or holds an unacceptable value.
    #[error("environment variable {var}: {key}: {message}")]
    Env {
        /// The variable's name (never its value).
        var: String,
        /// The dotted key it overrides (or tried to).
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn key_prefix(key: Option<&str>) -> String {
    key.map(|k| format!("{k}: ")).unwrap_or_default()
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

/// Rewrites serde's messages into the file's vocabulary (keys and tables,
/// not fields and structs). Returns the message and, for a missing key, the
/// key's name so the caller can extend the path.
pub(crate) fn rewrite_serde_message(message: &str) -> (String, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((name, expected)) = rest.split_once("`, ")
    {
        return (unknown_key_message(name, expected), None);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.trim_end_matches('`').to_string();
        return (format!("missing required key `{name}`"), Some(name));
    }
    (plain_types(message), None)
}

/// serde speaks Rust ("i64", "map", "struct RawX"); the user wrote TOML.
fn plain_types(message: &str) -> String {
    let mut out = message
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace("invalid type: map", "invalid type: table")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array");
    if let Some(at) = out.find("expected struct ") {
        out.replace_range(at.., "expected a table");
    }
    out
}

/// `expected one of `a`, `b`` / `expected `a` or `b`` / `expected `a`` /
/// `there are no fields` → "unknown key (expected one of: a, b)".
fn unknown_key_message(name: &str, expected: &str) -> String {
    let list = expected
        .trim_start_matches("expected ")
        .trim_start_matches("one of ")
        .replace(" or ", ", ")
        .replace('`', "");
    let mut msg = if expected.starts_with("there are no fields") {
        "unknown key (this table takes no keys)".to_string()
    } else {
        format!("unknown key (expected one of: {list})")
    };
    if let Some(hint) = secret_key_hint(name) {
        msg.push_str("; ");
        msg.push_str(hint);
    }
    msg
}

/// Someone tried to put a secret in the file: say where it belongs instead.
pub(crate) fn secret_key_hint(name: &str) -> Option<&'static str> {
    let secretish = [
        "client_secret",
        "bearer_token",
        "api_key",
        "api_secret",
        "access_token",
        "refresh_token",
        "token",
        "secret",
        "password",
        "smtp_password",
        "oauth_client_secret",
        "oauth_refresh_token",
        "oauth_access_token",
    ];
    secretish.contains(&name).then_some(
        "secrets are not config keys: put the value in the environment variable \
         named by the matching `*_env` key (x.client_secret_env, mail.password_env, \
         mail.oauth_client_secret_env, ...)",
    )
}
