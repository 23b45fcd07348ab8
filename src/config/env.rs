//! Environment overrides: `PLACEWATCH__SECTION__KEY=value` replaces
//! `section.key` from the file (e.g. `PLACEWATCH__X__API_BASE`).
//!
//! Values are spliced into toml's spanned document *before* serde runs, so
//! an override is checked exactly like a value written in the file. Each
//! override gets a synthetic span past the end of the file; an error whose
//! span falls there is reported against the variable, not a line.
//!
//! Parsing of values: string keys take the value verbatim (so
//! `PLACEWATCH__X__CLIENT_ID=12345` stays a string), unless it is a quoted
//! TOML string; other keys parse the value as a TOML value (number, boolean,
//! array) and fall back to a string, which then fails with a type error that
//! names the variable.
//!
//! `[[rules]]` is an array of tables: it has no `SECTION__KEY` to name, so a
//! `PLACEWATCH__RULES…` variable is refused with a message that says so.
//! `[[teams]]` and `[templates]` (an array of tables and a table of
//! variables) likewise.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::error::{ConfigError, secret_key_hint};

/// Every override variable starts with this.
pub(crate) const PREFIX: &str = crate::domain::team::RESERVED_ENV_PREFIX;

/// The TOML type a key expects, which decides how an override is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Int,
    Num,
    Bool,
    List,
}

use Kind::{Bool, Int, List, Num, Str};

/// Every section and key of the schema. `tests::known_keys_match_schema`
/// checks this against what the deserializer accepts.
pub(crate) const KNOWN: &[(&str, &[(&str, Kind)])] = &[
    ("council", &[("name", Str), ("handle", Str)]),
    (
        "x",
        &[
            ("api_base", Str),
            ("authorize_url", Str),
            ("access", Str),
            ("query_max_len", Int),
            ("client_id", Str),
            ("client_type", Str),
            ("redirect_uri", Str),
            ("client_secret_env", Str),
            ("bearer_token_env", Str),
            ("api_key_env", Str),
            ("api_secret_env", Str),
            ("request_timeout_secs", Int),
            ("connect_timeout_secs", Int),
        ],
    ),
    (
        "monitor",
        &[
            ("places", List),
            ("exclusions", List),
            ("languages", List),
            ("backfill_days", Int),
            ("min_interval_secs", Int),
            ("max_interval_secs", Int),
        ],
    ),
    (
        "budget",
        &[
            ("monthly_post_reads", Int),
            ("post_read_usd", Num),
            ("owned_read_usd", Num),
            ("user_read_usd", Num),
            ("post_create_usd", Num),
            ("post_create_with_url_usd", Num),
            ("summoned_reply_usd", Num),
            ("monthly_usd", Num),
            ("warn_at_percent", Int),
        ],
    ),
    ("data", &[("dir", Str)]),
    ("log", &[("format", Str)]),
    (
        "store",
        &[("url", Str), ("password_env", Str), ("lease_secs", Int)],
    ),
    (
        "sim",
        &[("seed", Int), ("rate_per_min", Num), ("backlog_days", Int)],
    ),
    (
        "desk",
        &[
            ("public_url", Str),
            ("session_hours", Int),
            ("officer_replies_need_approval", Bool),
            ("allow_self_approval", Bool),
            ("trusted_proxies", List),
            ("waiting_target_urgent_minutes", Int),
            ("waiting_target_high_minutes", Int),
            ("waiting_target_normal_minutes", Int),
            ("waiting_target_low_minutes", Int),
            ("bulk_max_items", Int),
            ("monitoring_listen", Str),
            ("monitoring_token_env", Str),
            ("tls_cert_file", Str),
            ("tls_key_file", Str),
        ],
    ),
    (
        "replies",
        &[
            ("in_flight_grace_secs", Int),
            ("reconcile_interval_secs", Int),
            ("manual_check_interval_secs", Int),
        ],
    ),
    (
        "triage",
        &[
            ("abusive_words", List),
            ("abusive_words_extra", List),
            ("false_friend_words", List),
        ],
    ),
    (
        "mail",
        &[
            ("smtp_host", Str),
            ("smtp_port", Int),
            ("security", Str),
            ("username", Str),
            ("password_env", Str),
            ("from", Str),
            ("from_name", Str),
            ("timeout_secs", Int),
            ("ca_file", Str),
            ("auth", Str),
            ("oauth_token_url", Str),
            ("oauth_client_id", Str),
            ("oauth_client_secret_env", Str),
            ("oauth_scope", Str),
            ("oauth_refresh_token_env", Str),
        ],
    ),
    (
        "alerts",
        &[
            ("spike_factor", Num),
            ("spike_min_posts", Int),
            ("baseline_weeks", Int),
            ("team", Str),
            ("check_interval_secs", Int),
        ],
    ),
    (
        "reports",
        &[("weekly_to", List), ("weekly_day", Str), ("weekly_at", Str)],
    ),
    (
        "office_hours",
        &[
            ("monday", Str),
            ("tuesday", Str),
            ("wednesday", Str),
            ("thursday", Str),
            ("friday", Str),
            ("saturday", Str),
            ("sunday", Str),
            ("bank_holidays", Str),
            ("bank_holidays_file", Str),
            ("clock", Str),
        ],
    ),
];

/// The `[[rules]]` array of tables: a top-level key that is not a section,
/// so it cannot be overridden (there is no `PLACEWATCH__RULES__KEY` to name
/// one rule's key).
pub(crate) const RULES: &str = "rules";

/// The `[[teams]]` array of tables: not overridable, like `[[rules]]`.
pub(crate) const TEAMS: &str = "teams";

/// `[templates]`: `[[templates.reply]]` and `[templates.vars]`, neither a
/// plain key, so not overridable either.
pub(crate) const TEMPLATES: &str = "templates";

/// One override found in the environment.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    pub(crate) var: String,
    pub(crate) section: &'static str,
    pub(crate) key: &'static str,
    pub(crate) kind: Kind,
    pub(crate) value: String,
}

impl Override {
    /// The dotted key it overrides, e.g. `x.api_base`.
    pub(crate) fn path(&self) -> String {
        format!("{}.{}", self.section, self.key)
    }
}

/// `PLACEWATCH__X__API_BASE` for (`x`, `api_base`).
pub(crate) fn var_name(section: &str, key: &str) -> String {
    format!(
        "{PREFIX}{}__{}",
        section.to_ascii_uppercase(),
        key.to_ascii_uppercase()
    )
}

/// Ask `env` for every known override variable, in schema order.
pub(crate) fn probe(env: &dyn Fn(&str) -> Option<String>) -> Vec<Override> {
    let mut found = Vec::new();
    for (section, keys) in KNOWN {
        for (key, kind) in *keys {
            let var = var_name(section, key);
            if let Some(value) = env(&var) {
                found.push(Override {
                    var,
                    section,
                    key,
                    kind: *kind,
                    value,
                });
            }
        }
    }
    found
}

/// Check the name of a variable taken from the environment: `Ok(false)` if
/// it is not an override, `Ok(true)` if it names a known key, and an error
/// naming the variable if it starts with `PLACEWATCH__` but names nothing.
pub(crate) fn check_var_name(var: &str) -> Result<bool, ConfigError> {
    if !var.to_ascii_uppercase().starts_with(PREFIX) {
        return Ok(false);
    }
    let rest = &var[PREFIX.len()..];
    let err = |key: String, message: String| ConfigError::Env {
        var: var.to_string(),
        key,
        message,
    };
    let parts: Vec<&str> = rest.split("__").collect();
    if parts[0].eq_ignore_ascii_case(RULES) {
        return Err(err(
            rest.to_ascii_lowercase().replace("__", "."),
            "[[rules]] is an array of tables and cannot be overridden from the \
             environment (a variable cannot name one rule or replace the list); edit \
             the rules in the config file, or point --config at another file"
                .into(),
        ));
    }
    if parts[0].eq_ignore_ascii_case(TEAMS) {
        return Err(err(
            rest.to_ascii_lowercase().replace("__", "."),
            "[[teams]] is an array of tables and cannot be overridden from the \
             environment (a variable cannot name one team or replace the list); edit \
             the teams in the config file, or point --config at another file"
                .into(),
        ));
    }
    if parts[0].eq_ignore_ascii_case(TEMPLATES) {
        return Err(err(
            rest.to_ascii_lowercase().replace("__", "."),
            "[templates] holds [[templates.reply]] tables and [templates.vars] and \
             cannot be overridden from the environment; edit the templates in the config \
             file, or point --config at another file"
                .into(),
        ));
    }
    let [section, key] = parts.as_slice() else {
        return Err(err(
            rest.to_ascii_lowercase().replace("__", "."),
            "expected PLACEWATCH__SECTION__KEY, e.g. PLACEWATCH__X__API_BASE".into(),
        ));
    };
    let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
    let path = format!("{section}.{key}");
    let Some((_, keys)) = KNOWN.iter().find(|(s, _)| *s == section) else {
        let sections: Vec<&str> = KNOWN.iter().map(|(s, _)| *s).collect();
        let message = format!(
            "unknown section `{section}` (expected one of: {})",
            sections.join(", ")
        );
        return Err(err(path, message));
    };
    if !keys.iter().any(|(k, _)| *k == key) {
        let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        let mut message = format!(
            "unknown key `{key}` in [{section}] (expected one of: {})",
            names.join(", ")
        );
        if let Some(hint) = secret_key_hint(&key) {
            message.push_str("; ");
            message.push_str(hint);
        }
        return Err(err(path, message));
    }
    let canonical = var_name(&section, &key);
    if var != canonical {
        return Err(err(
            path,
            format!("write the name in capitals: {canonical}"),
        ));
    }
    Ok(true)
}

/// The synthetic span of override number `index`.
pub(crate) fn span_for(env_base: usize, index: usize) -> Range<usize> {
    env_base + index..env_base + index + 1
}

/// Splice `overrides` into `root`, giving override `i` the span
/// `span_for(env_base, i)`.
pub(crate) fn apply<'i>(
    root: &mut DeTable<'i>,
    overrides: &'i [Override],
    env_base: usize,
) -> Result<(), ConfigError> {
    for (i, ov) in overrides.iter().enumerate() {
        let span = span_for(env_base, i);
        let value = to_value(ov, span.clone());
        let section_key = Spanned::new(span.clone(), Cow::Borrowed(ov.section));
        let section = root
            .entry(section_key)
            .or_insert_with(|| Spanned::new(span.clone(), DeValue::Table(DeTable::new())));
        let DeValue::Table(table) = section.get_mut() else {
            return Err(ConfigError::Env {
                var: ov.var.clone(),
                key: ov.path(),
                message: format!("the file sets `{}` to a value, not a table", ov.section),
            });
        };
        table.insert(Spanned::new(span.clone(), Cow::Borrowed(ov.key)), value);
    }
    Ok(())
}

fn to_value(ov: &Override, span: Range<usize>) -> Spanned<DeValue<'_>> {
    let verbatim = DeValue::String(Cow::Borrowed(ov.value.as_str()));
    let parsed = DeValue::parse(ov.value.trim())
        .ok()
        .map(Spanned::into_inner);
    let value = match (ov.kind, parsed) {
        (Str, Some(v @ DeValue::String(_))) => v,
        (Str, _) | (_, None) => verbatim,
        (_, Some(v)) => v,
    };
    respan(value, span)
}

/// Give `value` and everything inside it the override's span, so an error
/// anywhere in it (e.g. the third element of an array) maps to the variable.
fn respan(value: DeValue<'_>, span: Range<usize>) -> Spanned<DeValue<'_>> {
    let value = match value {
        DeValue::Array(items) => {
            let mut out = DeArray::new();
            for item in items.iter() {
                out.push(respan(item.get_ref().clone(), span.clone()));
            }
            DeValue::Array(out)
        }
        DeValue::Table(table) => {
            let mut out = DeTable::new();
            for (k, v) in table.iter() {
                let key = Spanned::new(span.clone(), k.get_ref().clone());
                out.insert(key, respan(v.get_ref().clone(), span.clone()));
            }
            DeValue::Table(out)
        }
        other => other,
    };
    Spanned::new(span, value)
}
