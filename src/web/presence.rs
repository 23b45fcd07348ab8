//! Presence: which officers have an item open, or are writing a reply to
//! it, right now. Each open item's page reports its officer every few
//! seconds (and when she types in the composer); a report lapses after
//! [`LAPSE`], so a closed tab drops out on its own. Kept in memory: it is
//! about this minute, not history, and one desk process serves everyone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::Desk;
use super::error::WebError;
use super::guard::Me;

/// How long a report counts without another.
pub(crate) const LAPSE: Duration = Duration::from_secs(20);
/// The most items one question may ask about (a page of the inbox).
const MAX_ITEMS: usize = 500;

/// What an officer is doing with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Activity {
    Viewing,
    Replying,
}

/// One officer's last report on an item: her display name, what she is
/// doing, and when she said so.
type LastReport = (String, Activity, Instant);

/// Who is on which item: item id → officer's name → her last report.
#[derive(Clone, Default)]
pub(crate) struct Presence {
    items: Arc<Mutex<HashMap<i64, HashMap<String, LastReport>>>>,
}

/// Another officer on an item, as the desk says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Here {
    pub officer: String,
    pub activity: Activity,
    /// "Priya Shah is replying", "Priya Shah has this item open".
    pub words: String,
}

impl Presence {
    fn report(&self, item: i64, officer: &str, display: &str, activity: Activity) {
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        // Lapsed reports go as new ones arrive: the map stays the size of now.
        items.retain(|_, officers| {
            officers.retain(|_, (_, _, at)| now.duration_since(*at) < LAPSE);
            !officers.is_empty()
        });
        items
            .entry(item)
            .or_default()
            .insert(officer.to_owned(), (display.to_owned(), activity, now));
    }

    /// The officers other than `me` on each of `ids` now.
    fn others(&self, ids: &[i64], me: &str) -> HashMap<i64, Vec<Here>> {
        let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let mut found = HashMap::new();
        for id in ids {
            let Some(officers) = items.get(id) else {
                continue;
            };
            let mut here: Vec<Here> = officers
                .iter()
                .filter(|(name, (_, _, at))| *name != me && now.duration_since(*at) < LAPSE)
                .map(|(name, (display, activity, _))| Here {
                    officer: name.clone(),
                    activity: *activity,
                    words: match activity {
                        Activity::Replying => format!("{display} is replying"),
                        Activity::Viewing => format!("{display} has this item open"),
                    },
                })
                .collect();
            here.sort_by(|a, b| {
                (b.activity == Activity::Replying, &a.officer)
                    .cmp(&(a.activity == Activity::Replying, &b.officer))
            });
            if !here.is_empty() {
                found.insert(*id, here);
            }
        }
        found
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Report {
    item: i64,
    activity: Activity,
}

/// `POST /presence`: the officer has `item` open, or is replying to it.
pub(crate) async fn report(
    State(desk): State<Desk>,
    me: Me,
    Json(report): Json<Report>,
) -> Result<Response, WebError> {
    desk.presence.report(
        report.item,
        me.name(),
        &me.officer.display_name,
        report.activity,
    );
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Ask {
    /// Item ids, comma-separated.
    items: String,
}

/// `GET /presence?items=1,2,3`: the other officers on those items now.
pub(crate) async fn ask(
    State(desk): State<Desk>,
    me: Me,
    Query(ask): Query<Ask>,
) -> Result<Response, WebError> {
    let ids: Vec<i64> = ask
        .items
        .split(',')
        .filter(|s| !s.is_empty())
        .take(MAX_ITEMS)
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Ok(Json(desk.presence.others(&ids, me.name())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn others_see_who_is_on_an_item_and_replying_comes_first() {
        let p = Presence::default();
        p.report(7, "sam", "Sam Patel", Activity::Viewing);
        p.report(7, "priya", "Priya Shah", Activity::Replying);
        p.report(8, "sam", "Sam Patel", Activity::Viewing);
        let seen = p.others(&[7, 8, 9], "sam");
        assert_eq!(seen.len(), 1, "nobody else on 8 or 9");
        assert_eq!(seen[&7][0].words, "Priya Shah is replying");
        let seen = p.others(&[7], "alex");
        assert_eq!(seen[&7][0].officer, "priya", "replying first");
        assert_eq!(seen[&7][1].words, "Sam Patel has this item open");
    }
}
