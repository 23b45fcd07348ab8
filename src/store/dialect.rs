//! The few SQL expressions the two engines write differently, as functions
//! of the [`Engine`], so a statement is still written once around them.

use super::Engine;

/// The elements of the JSON array `json` (an SQL expression of a text
/// column or parameter) as rows with a text column `value`, aliased `alias`:
/// SQLite's `json_each`, PostgreSQL's `jsonb_array_elements_text`.
pub(super) fn json_values(engine: Engine, json: &str, alias: &str) -> String {
    match engine {
        Engine::Sqlite => format!("json_each({json}) AS {alias}"),
        Engine::Postgres => {
            format!("jsonb_array_elements_text(CAST({json} AS jsonb)) AS {alias}(value)")
        }
    }
}

/// `value` (a [`json_values`] row's) as an integer, for joining on ids:
/// SQLite's `json_each` already gives JSON numbers as integers.
pub(super) fn json_int(engine: Engine, value: &str) -> String {
    match engine {
        Engine::Sqlite => value.to_owned(),
        Engine::Postgres => format!("CAST({value} AS BIGINT)"),
    }
}

/// The RFC 3339 text `column` as Unix seconds (NULL stays NULL).
pub(super) fn unix_seconds(engine: Engine, column: &str) -> String {
    match engine {
        Engine::Sqlite => format!("unixepoch({column})"),
        Engine::Postgres => {
            // floor, as unixepoch() truncates: a cast would round .5 up.
            format!("CAST(floor(extract(epoch FROM CAST({column} AS timestamptz))) AS BIGINT)")
        }
    }
}

/// The database's clock in Unix milliseconds: what replicas agree on.
pub(super) fn now_ms(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
        Engine::Postgres => "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)",
    }
}

/// `text` as the engine can store it: PostgreSQL's text cannot hold U+0000,
/// so there a NUL becomes U+FFFD (the replacement character); SQLite keeps
/// it. A post's raw JSON keeps the original either way (JSON escapes NUL
/// as `\u0000`).
pub(crate) fn storable(engine: Engine, text: &str) -> std::borrow::Cow<'_, str> {
    if engine == Engine::Postgres && text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}
