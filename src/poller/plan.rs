//! What to poll: the council's place names packed into as few recent-search
//! queries as the access tier allows, plus the council's mentions timeline.
//!
//! Each monitor's cursor is keyed by its query text, so a new or changed place
//! name (which changes the query) starts a fresh cursor and a backfill.

use crate::config::Config;
use crate::domain::query::{PackError, PackSpec, pack};
use crate::domain::triage::Council;

/// Where a monitor reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `GET /2/tweets/search/recent` with this query.
    Search { query: String },
    /// `GET /2/users/:id/mentions` of the council (owned reads, 5× cheaper).
    Mentions { user_id: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// The cursor's key in the store.
    pub key: String,
    pub source: Source,
    /// Place names this monitor finds posts for (searched, then covered by a
    /// searched one), for status output.
    pub places: Vec<String>,
}

/// How many of `monitors` are recent searches (they share the app's search
/// rate limit).
pub fn searches(monitors: &[Monitor]) -> usize {
    monitors
        .iter()
        .filter(|m| matches!(m.source, Source::Search { .. }))
        .count()
}

/// Builds the monitors. With `mentions_timeline`, posts mentioning the council
/// are read from its mentions timeline and excluded from the searches.
pub fn plan(
    config: &Config,
    council: &Council,
    mentions_timeline: bool,
) -> Result<Vec<Monitor>, PackError> {
    let handle = council.handle.as_str();
    let spec = PackSpec {
        keywords: &config.monitor.places,
        exclusions: &config.monitor.exclusions,
        languages: &config.monitor.languages,
        exclude_author: Some(handle),
        exclude_mention: mentions_timeline.then_some(handle),
        max_len: config.x.query_max_len,
    };
    let mut monitors: Vec<Monitor> = pack(&spec)?
        .into_iter()
        .map(|q| Monitor {
            key: format!("search:{}", q.text),
            // The places it searches for, then those they cover (left out of
            // the query, found through it).
            places: q
                .keywords
                .iter()
                .chain(&q.covered)
                .map(|&i| config.monitor.places[i].to_string())
                .collect(),
            source: Source::Search { query: q.text },
        })
        .collect();
    let mention = if mentions_timeline {
        Monitor {
            key: format!("mentions:{}", council.id),
            source: Source::Mentions {
                user_id: council.id,
            },
            places: vec![format!("@{handle}")],
        }
    } else {
        // Without the council's login, mentions are searched (full price).
        let query = format!("@{handle} -from:{handle} -is:retweet");
        Monitor {
            key: format!("search:{query}"),
            source: Source::Search { query },
            places: vec![format!("@{handle}")],
        }
    };
    monitors.push(mention);
    Ok(monitors)
}
