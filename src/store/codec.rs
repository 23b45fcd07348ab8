//! Conversions between domain values and column values, in one place: X ids
//! (`u64` in the domain, `INTEGER`/i64 in the database, checked both ways),
//! timestamps (RFC 3339 UTC with milliseconds, so they sort as text), JSON
//! columns, and the enum names the schema's CHECK constraints list.

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::StoreError;
use crate::domain::triage::{Priority, ReplyPath, Status};

/// `2026-11-26T15:33:00.123Z`: RFC 3339, UTC, fixed width, so text order is time order.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

const MONTH: &[FormatItem<'static>] = format_description!("[year]-[month]");

/// An X id as stored. Ids beyond `i64::MAX` are refused: X's snowflakes never
/// reach them, so one that does is bad input, not something to wrap around.
/// A flag column: a BOOLEAN on PostgreSQL, an integer 0 or 1 on SQLite
/// (sqlx's `Any` driver reads SQLite's as an integer).
pub(super) fn flag(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, StoreError> {
    use sqlx::Row;
    match row.try_get::<bool, _>(column) {
        Ok(flag) => Ok(flag),
        Err(sqlx::Error::ColumnDecode { .. }) => Ok(row.try_get::<i64, _>(column)? != 0),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn id_to_db(id: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(id)
        .map_err(|_| StoreError::Conflict(format!("{what} {id} does not fit a signed 64-bit id")))
}

/// An optional X id as stored.
pub(super) fn opt_id_to_db(id: Option<u64>, what: &str) -> Result<Option<i64>, StoreError> {
    id.map(|id| id_to_db(id, what)).transpose()
}

/// A stored X id back as the domain's `u64`.
pub(super) fn id_from_db(id: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(id).map_err(|_| StoreError::Corrupt(format!("negative {what} {id}")))
}

pub(super) fn opt_id_from_db(id: Option<i64>, what: &str) -> Result<Option<u64>, StoreError> {
    id.map(|id| id_from_db(id, what)).transpose()
}

/// A count column back as `u64`.
pub(super) fn count_from_db(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative {what} {n}")))
}

/// A count as stored (counts never come near `i64::MAX`; saturate rather than fail).
pub(super) fn count_to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

tokio::task_local! {
    /// The time the store stamps on what a task writes, when it is not the
    /// system clock's: set by [`backdated`](super::backdated).
    static BACKDATED: OffsetDateTime;
}

/// The current time as stored: the system clock's, or the time a
/// [`backdated`](super::backdated) write runs at.
pub(super) fn now() -> String {
    format_timestamp(
        BACKDATED
            .try_with(|at| *at)
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
    )
}

/// Runs `write` with the store's clock reading `at` (see
/// [`backdated`](super::backdated)).
pub(super) async fn at<F: std::future::Future>(at: OffsetDateTime, write: F) -> F::Output {
    BACKDATED.scope(at, write).await
}

pub(super) fn format_timestamp(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(TIMESTAMP)
        .expect("a UTC date-time always formats")
}

/// An RFC 3339 timestamp from a caller, normalised to the stored form (UTC,
/// milliseconds), with its calendar month (`2026-11`) for the usage counters.
pub(super) fn timestamp_and_month(rfc3339: &str) -> Result<(String, String), StoreError> {
    let at = OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Conflict(format!("not an RFC 3339 time {rfc3339:?}: {e}")))?
        .to_offset(UtcOffset::UTC);
    let month = at.format(MONTH).expect("a UTC date always formats");
    Ok((format_timestamp(at), month))
}

/// A value as a JSON text column.
pub(super) fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data always serialises to JSON")
}

/// A JSON text column back as a value.
pub(super) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// An optional JSON column (audit before/after) back as a JSON value.
pub(super) fn opt_json_value(
    text: Option<String>,
    what: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|t| from_json(&t, what)).transpose()
}

pub(super) fn status_from_db(s: &str) -> Result<Status, StoreError> {
    Status::ALL
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown item status {s:?}")))
}

pub(super) fn priority_from_db(s: &str) -> Result<Priority, StoreError> {
    Priority::ALL
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown item priority {s:?}")))
}

pub(super) fn reply_path_from_db(s: &str) -> Result<ReplyPath, StoreError> {
    [ReplyPath::Api, ReplyPath::Manual]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown reply path {s:?}")))
}

/// `items`, deduplicated, first occurrence kept, order kept.
pub(super) fn dedup(items: &[String]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .map(String::as_str)
        .filter(|s| seen.insert(*s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_beyond_i64_are_refused_and_negative_ids_are_corrupt() {
        assert_eq!(id_to_db(i64::MAX as u64, "post id").unwrap(), i64::MAX);
        assert!(matches!(
            id_to_db(u64::MAX, "post id"),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            id_from_db(-1, "post id"),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn timestamps_normalise_to_utc_milliseconds() {
        let (at, month) = timestamp_and_month("2026-12-01T00:30:00+01:00").unwrap();
        assert_eq!(at, "2026-11-30T23:30:00.000Z");
        assert_eq!(month, "2026-11");
        assert!(timestamp_and_month("yesterday").is_err());
        assert_eq!(now().len(), "2026-11-30T23:30:00.000Z".len());
    }

    #[test]
    fn dedup_keeps_first_occurrences_in_order() {
        let v = ["b", "a", "b", "c", "a"].map(String::from);
        assert_eq!(dedup(&v), ["b", "a", "c"]);
    }
}
