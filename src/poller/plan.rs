//! What to poll: the council's place names packed into as few recent-search
//! queries as the access tier allows, plus the council's mentions timeline.
//!
//! Each monitor's cursor is keyed by its query text, so a new or changed place
//! name (which changes the query) starts a fresh cursor and a backfill.
//!
//! Also how to tag what the monitors read: [`Tagger::from_config`]. The
//! tagger is domain vocabulary (`domain::ingest`), which imports no config,
//! so its constructor from the config lives here, beside the plan.

use crate::config::Config;
use crate::domain::ingest::{CursorMove, PageBatch, ReadKind, TaggedPage, Tagger};
use crate::domain::query::{KeywordSet, PackError, PackSpec, pack};
use crate::domain::triage::{Council, RuleError, RuleSet};

impl Tagger {
    /// The tagger of `config` for `council`: its place names, abusive
    /// words, false-friend words and rules. The daemon, the tests and the
    /// benches all build it here.
    /// A config loaded with `Config::load` has had its rules validated, so
    /// an error means a config built some other way.
    pub fn from_config(config: &Config, council: &Council) -> Result<Tagger, RuleError> {
        let rules = RuleSet::new(&config.rules, &config.monitor.places)?;
        Ok(Tagger {
            places: KeywordSet::new(config.monitor.places.clone()),
            abuse: config.triage.abuse.clone(),
            false_friend_words: config.false_friend_words(),
            rules,
            council: council.clone(),
        })
    }
}

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
    /// searched one; see `PackedQuery::places`), for status output.
    pub places: Vec<String>,
}

impl Monitor {
    /// What the store records of a page this monitor read: its `tagged`
    /// posts, read at `at` (RFC 3339), moving the cursor as `cursor` says;
    /// `spooled` is the page's spool number, if it was spooled.
    pub fn batch(
        &self,
        tagged: TaggedPage,
        cursor: CursorMove,
        at: String,
        spooled: Option<u64>,
    ) -> PageBatch {
        let (read_kind, query) = match &self.source {
            Source::Search { query } => (ReadKind::PostRead, query.clone()),
            Source::Mentions { user_id } => (ReadKind::OwnedRead, format!("mentions of {user_id}")),
        };
        PageBatch {
            monitor: self.key.clone(),
            query,
            cursor,
            matched: tagged.matched,
            authors: tagged.authors,
            context: tagged.context,
            reads: tagged.reads,
            read_kind,
            at,
            spooled_through: spooled,
        }
    }
}

/// How many of `monitors` are recent searches (they share the app's search
/// rate limit).
pub fn searches(monitors: &[Monitor]) -> usize {
    monitors
        .iter()
        .filter(|m| matches!(m.source, Source::Search { .. }))
        .count()
}

/// Builds the monitors. With the council logged in, posts mentioning it are
/// read from its mentions timeline and excluded from the searches; without,
/// they are searched for by handle.
pub fn plan(config: &Config, council: &Council) -> Result<Vec<Monitor>, PackError> {
    let handle = council.handle();
    let spec = PackSpec {
        keywords: &config.monitor.places,
        exclusions: &config.monitor.exclusions,
        languages: &config.monitor.languages,
        exclude_author: Some(handle),
        exclude_mention: council.account().map(|_| handle),
        max_len: config.x.query_max_len,
    };
    let mut monitors: Vec<Monitor> = pack(&spec)?
        .into_iter()
        .map(|q| Monitor {
            key: format!("search:{}", q.text),
            // The places it searches for, then those they cover (their words
            // left out of the query, found through it).
            places: q
                .places()
                .into_iter()
                .map(|i| config.monitor.places[i].to_string())
                .collect(),
            source: Source::Search { query: q.text },
        })
        .collect();
    let mention = if let Some(account) = council.account() {
        Monitor {
            key: format!("mentions:{}", account.id),
            source: Source::Mentions {
                user_id: account.id,
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::domain::triage::Account;

    fn reference() -> Config {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/placewatch.toml");
        let source = std::fs::read_to_string(&path).unwrap();
        Config::from_str_with_env(&source, &path, &|_| None).unwrap()
    }

    /// The reference config at the self-serve limit of 512: three searches
    /// (two before hashtag forms were searched: 21 of its 34 places have
    /// several words, and their hashtag forms add 349 characters of terms to
    /// the 451 there were, against 292 a query holds beside the exclusions),
    /// and the mentions timeline. Every hashtag form is searched in the query
    /// that lists its place. `cargo test --lib reference_config -- --nocapture`
    /// prints the queries.
    #[test]
    fn the_reference_config_packs_into_three_searches_and_the_mentions() {
        let config = reference();
        let council = Council::LoggedIn(Account {
            id: 1,
            handle: config.council.handle.clone(),
        });
        let monitors = plan(&config, &council).unwrap();
        assert_eq!(searches(&monitors), 3);
        assert_eq!(monitors.len(), 4);
        let mut hashtags = 0;
        for m in &monitors {
            let Source::Search { query } = &m.source else {
                continue;
            };
            let len = query.chars().count();
            println!("{len} chars, {} places: {query}", m.places.len());
            assert!(len <= config.x.query_max_len);
            for place in &config.monitor.places {
                if let Some(tag) = place.hashtag_term() {
                    let held =
                        query.contains(&format!(" {tag} ")) || query.contains(&format!("{tag})"));
                    assert_eq!(held, m.places.contains(&place.to_string()), "{tag}");
                    hashtags += usize::from(held);
                }
            }
        }
        assert_eq!(hashtags, 21);
    }
}
