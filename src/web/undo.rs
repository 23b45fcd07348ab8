//! Undo: the changes a notice offers to take back, written compactly
//! ([`ChangeList`]: audit entry ids, runs as ranges, so a bulk action of
//! thousands of items fits an address), and `POST /undo`, which takes them
//! back through [`Store::undo`](crate::store::Store::undo).

use std::fmt;

use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Desk;
use super::changes::items;
use super::error::WebError;
use super::guard::Me;
use super::render::{back, local_path, wants_json};
use crate::domain::officer::Permission;

/// How long after a change the store still takes it back: the ten seconds
/// the desk offers Undo for, and a little for the request on its way (a
/// bulk action's last chunk may be written a moment after its first).
pub(crate) const UNDO_WINDOW: std::time::Duration = std::time::Duration::from_secs(15);

/// The most changes one undo takes back when the config allows fewer in a
/// bulk action.
const MIN_UNDO: usize = 1_000;

/// Audit entry ids, written `12,15-20,33`: each run of consecutive ids as
/// its first and last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangeList(Vec<i64>);

/// A change list that is not one, or names too many changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChangeListError {
    #[error("not a list of changes: {0:?}")]
    Malformed(String),
    #[error("at most {0} changes can be undone at once")]
    TooMany(usize),
}

impl ChangeList {
    pub fn new(ids: &[i64]) -> ChangeList {
        ChangeList(ids.to_vec())
    }

    /// Reads `12,15-20,33` (ids and ranges, in any order), at most `max` ids.
    pub fn parse(text: &str, max: usize) -> Result<ChangeList, ChangeListError> {
        let malformed = || ChangeListError::Malformed(text.chars().take(80).collect());
        let mut ids = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (a.parse::<i64>(), b.parse::<i64>()),
                None => (part.parse::<i64>(), part.parse::<i64>()),
            };
            let (Ok(first), Ok(last)) = (first, last) else {
                return Err(malformed());
            };
            if first < 1 || last < first {
                return Err(malformed());
            }
            if (last - first) as u64 + ids.len() as u64 >= max as u64 {
                return Err(ChangeListError::TooMany(max));
            }
            ids.extend(first..=last);
        }
        Ok(ChangeList(ids))
    }

    pub fn ids(&self) -> &[i64] {
        &self.0
    }
}

impl fmt::Display for ChangeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids = self.0.iter().copied().peekable();
        let mut first = true;
        while let Some(start) = ids.next() {
            let mut end = start;
            while ids.peek() == Some(&(end + 1)) {
                end += 1;
                ids.next();
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if end == start {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

/// The most changes one undo takes back: a whole bulk action.
pub(crate) fn max_undo(desk: &Desk) -> usize {
    (desk.config.desk.bulk_max_items as usize).max(MIN_UNDO)
}

#[derive(Debug, Deserialize)]
pub(crate) struct UndoForm {
    /// A [`ChangeList`].
    changes: String,
    #[serde(default)]
    back: Option<String>,
}

/// `POST /undo`: takes back the officer's own changes of the last seconds
/// (a change to one item, or every item of a bulk action); audited beside them.
pub(crate) async fn undo(
    State(desk): State<Desk>,
    me: Me,
    headers: HeaderMap,
    Form(form): Form<UndoForm>,
) -> Result<Response, WebError> {
    me.require(Permission::Triage)?;
    let changes =
        ChangeList::parse(&form.changes, max_undo(&desk)).map_err(|e| WebError::Refused {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
        })?;
    let undone = desk
        .store
        .undo(changes.ids(), me.name(), UNDO_WINDOW)
        .await?;
    let n = undone.items.len();
    let back_as = if n == 1 { "it was" } else { "they were" };
    let message = match (n, undone.refused.first()) {
        (0, Some((_, why))) => format!("Nothing was undone: {why}."),
        (n, None) => format!("Undone: {} back as {back_as}.", items(n)),
        (n, Some((_, why))) => format!(
            "Undone: {} back as {back_as}; {} not ({why}).",
            items(n),
            undone.refused.len()
        ),
    };
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({
            "undone": undone.items,
            "refused": undone.refused.len(),
            "message": message,
        }))
        .into_response());
    }
    let to = form.back.filter(|b| !b.is_empty());
    Ok(back(&local_path(to.as_deref()), &message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_changes_are_written_as_ranges_and_read_back() {
        let list = ChangeList::new(&[3, 4, 5, 6, 9, 11, 12]);
        assert_eq!(list.to_string(), "3-6,9,11-12");
        assert_eq!(
            ChangeList::parse("3-6,9,11-12", 100).unwrap(),
            ChangeList::new(&[3, 4, 5, 6, 9, 11, 12])
        );
        assert_eq!(ChangeList::new(&[42]).to_string(), "42");
        assert_eq!(ChangeList::parse(" 7 , 8", 10).unwrap().ids(), [7, 8]);
        let thousands: Vec<i64> = (1000..6000).collect();
        assert_eq!(ChangeList::new(&thousands).to_string(), "1000-5999");
    }

    #[test]
    fn malformed_or_huge_lists_are_refused() {
        for bad in [
            "",
            "x",
            "5-3",
            "0",
            "-4",
            "1,,2",
            "1-",
            "9223372036854775807-x",
        ] {
            assert!(
                matches!(
                    ChangeList::parse(bad, 100),
                    Err(ChangeListError::Malformed(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            ChangeList::parse("1-101", 100),
            Err(ChangeListError::TooMany(100))
        );
        assert_eq!(
            ChangeList::parse("1-60,70-110", 100),
            Err(ChangeListError::TooMany(100))
        );
        assert_eq!(ChangeList::parse("1-100", 100).unwrap().ids().len(), 100);
        assert_eq!(
            ChangeList::parse("1-9223372036854775807", 5000),
            Err(ChangeListError::TooMany(5000))
        );
    }
}
