//! Presence: which officers have an item open, or are writing a reply to
//! it, right now. Each open item's page reports its officer every few
//! seconds (and when she types in the composer); a report lapses after
//! `domain::presence::LAPSE`, so a closed tab drops out on its own. The
//! reports are kept in the store, by the database's clock: every replica
//! serving the desk sees every officer, whichever replica her page talks to.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::Desk;
use super::error::WebError;
use super::guard::Me;
use crate::domain::presence::{Activity, Present};

/// The most items one question may ask about (a page of the inbox).
const MAX_ITEMS: usize = 500;

/// Another officer on an item, as the desk says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Here {
    pub officer: String,
    pub activity: Activity,
    /// "Priya Shah is replying", "Priya Shah has this item open".
    pub words: String,
}

/// The reports by item, as the desk shows them: those replying first, then
/// by username.
fn by_item(reports: Vec<Present>) -> HashMap<i64, Vec<Here>> {
    let mut found: HashMap<i64, Vec<Here>> = HashMap::new();
    for p in reports {
        found.entry(p.item_id).or_default().push(Here {
            words: match p.activity {
                Activity::Replying => format!("{} is replying", p.display_name),
                Activity::Viewing => format!("{} has this item open", p.display_name),
            },
            officer: p.officer,
            activity: p.activity,
        });
    }
    for here in found.values_mut() {
        here.sort_by(|a, b| {
            (b.activity == Activity::Replying, &a.officer)
                .cmp(&(a.activity == Activity::Replying, &b.officer))
        });
    }
    found
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
    desk.store
        .report_presence(report.item, me.officer.id, report.activity)
        .await?;
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
    let reports = desk.store.presence(&ids, me.officer.id).await?;
    Ok(Json(by_item(reports)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(item_id: i64, officer: &str, display_name: &str, activity: Activity) -> Present {
        Present {
            item_id,
            officer: officer.to_owned(),
            display_name: display_name.to_owned(),
            activity,
        }
    }

    #[test]
    fn those_replying_come_first_in_the_desk_s_words() {
        let seen = by_item(vec![
            present(7, "priya", "Priya Shah", Activity::Replying),
            present(7, "sam", "Sam Patel", Activity::Viewing),
            present(8, "alex", "Alex Jones", Activity::Viewing),
            present(8, "zoe", "Zoe Li", Activity::Replying),
        ]);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[&7][0].officer, "priya", "replying first");
        assert_eq!(seen[&7][0].words, "Priya Shah is replying");
        assert_eq!(seen[&7][1].words, "Sam Patel has this item open");
        let order: Vec<&str> = seen[&8].iter().map(|h| h.officer.as_str()).collect();
        assert_eq!(order, ["zoe", "alex"]);
        assert!(by_item(Vec::new()).is_empty());
    }
}
