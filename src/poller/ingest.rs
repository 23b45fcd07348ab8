//! Turning fetched pages into triage material: each post is tagged with the
//! place names it matched (the same evaluator X's search uses, run locally),
//! flagged, given its reply path, and run through the rules. Pure: no I/O
//! (a batch's cycle takes the clock's time).

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::plan::{Monitor, Source};
use crate::domain::post::{Author, Post};
use crate::domain::query::{Keyword, KeywordSet, TextIndex};
use crate::domain::triage::{self, AbuseList, Council, Facts, RuleSet};
use crate::store::{CursorMove, Cycle, MatchedPost, ReadKind};
use crate::x::Page;

/// What tagging needs, built once from the config.
#[derive(Debug, Clone)]
pub struct Tagger {
    /// The monitored place names, indexed for matching many at once.
    pub places: KeywordSet,
    pub abuse: AbuseList,
    pub false_friend_words: Vec<Keyword>,
    pub rules: RuleSet,
    pub council: Council,
}

/// The posts of one page (or several), ready to store.
#[derive(Debug, Default)]
pub struct Batch {
    pub matched: Vec<MatchedPost>,
    pub authors: Vec<Author>,
    /// Replied-to and quoted posts, kept for thread context.
    pub context: Vec<Post>,
    /// Posts X returned (and billed).
    pub reads: u64,
}

impl Batch {
    /// The batch as one transaction's worth for `monitor`, moving its cursor
    /// as `cursor` says; `spooled_through` is its last spooled page.
    pub fn into_cycle(
        self,
        monitor: &Monitor,
        cursor: CursorMove,
        spooled_through: Option<u64>,
    ) -> Cycle {
        let (read_kind, query) = match &monitor.source {
            Source::Search { query } => (ReadKind::PostRead, query.clone()),
            Source::Mentions { user_id } => (ReadKind::OwnedRead, format!("mentions of {user_id}")),
        };
        Cycle {
            monitor: monitor.key.clone(),
            query,
            cursor,
            matched: self.matched,
            authors: self.authors,
            context: self.context,
            reads: self.reads,
            read_kind,
            at: OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            spooled_through,
        }
    }
}

impl Tagger {
    /// Tags every post of `pages`. Retweets (which keyword search should not
    /// return) and posts seen twice in `pages` are skipped.
    pub fn batch(&self, pages: &[Page]) -> Batch {
        let mut batch = Batch::default();
        let mut referenced: HashMap<u64, &Post> = HashMap::new();
        let mut authors: HashMap<u64, &Author> = HashMap::new();
        for page in pages {
            referenced.extend(page.referenced.iter().map(|p| (p.id, p)));
            authors.extend(page.authors.iter().map(|a| (a.id, a)));
            batch.reads += page.posts.len() as u64;
        }
        let mut seen = HashSet::new();
        for post in pages.iter().flat_map(|p| &p.posts) {
            if post.is_retweet || !seen.insert(post.id) {
                continue;
            }
            let author = post
                .author_id
                .and_then(|id| authors.get(&id))
                .map(|a| a.username.as_str());
            let quoted_author = post
                .quoted
                .and_then(|id| referenced.get(&id))
                .and_then(|p| p.author_id);
            let replied_author = post
                .replied_to
                .and_then(|id| referenced.get(&id))
                .and_then(|p| p.author_id);
            batch.matched.push(self.tag(
                post.clone(),
                author.unwrap_or_default(),
                quoted_author,
                replied_author,
            ));
        }
        // Ascending ids let SQLite's full-text index append instead of
        // flushing a segment per document (X returns newest first).
        batch.matched.sort_by_key(|m| m.post.id);
        batch.authors = authors.into_values().cloned().collect();
        batch.authors.sort_by_key(|a| a.id);
        batch.context = referenced.into_values().cloned().collect();
        batch.context.sort_by_key(|p| p.id);
        batch
    }

    /// Tags one post.
    pub fn tag(
        &self,
        post: Post,
        author_username: &str,
        quoted_author: Option<u64>,
        replied_author: Option<u64>,
    ) -> MatchedPost {
        let text = TextIndex::new(&post.text);
        let places: Vec<String> = self
            .places
            .matching(&text)
            .map(|k| k.as_str().to_string())
            .collect();
        let summoned = triage::summons(&post, &self.council, quoted_author, replied_author);
        let reply_path = triage::reply_path(&post, &self.council, quoted_author, replied_author);
        let flags = triage::flags(
            &post,
            &text,
            &self.abuse,
            &self.false_friend_words,
            summoned,
        );
        let decision = self.rules.decide(&Facts {
            post: &post,
            text: &text,
            author_username,
            places: &places,
            flags: &flags,
        });
        MatchedPost {
            post,
            places,
            decision,
            flags,
            reply_path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::Keyword;

    fn tagger() -> Tagger {
        Tagger {
            places: KeywordSet::new(vec![Keyword::parse("Croydon").unwrap()]),
            abuse: AbuseList::uk_default(),
            false_friend_words: Vec::new(),
            rules: RuleSet::new(&[]).unwrap(),
            council: Council {
                id: 1,
                handle: "yourcroydon".into(),
            },
        }
    }

    fn post(id: u64, author: u64, replied_to: Option<u64>) -> Post {
        Post {
            id,
            text: format!("post {id} about Croydon"),
            author_id: Some(author),
            created_at: None,
            conversation_id: Some(id),
            in_reply_to_user_id: None,
            replied_to,
            quoted: None,
            is_retweet: false,
            lang: Some("en".into()),
            reply_settings: None,
            mentions: Vec::new(),
            raw: format!("{{\"id\":\"{id}\"}}"),
        }
    }

    fn author(id: u64, username: &str) -> Author {
        Author {
            id,
            username: username.into(),
            name: username.into(),
        }
    }

    #[test]
    fn pages_tagged_into_one_batch_store_each_post_and_author_once() {
        let tagger = tagger();
        let first = Page {
            posts: vec![post(30, 7, Some(5)), post(20, 8, None)],
            authors: vec![author(7, "ann"), author(8, "bob")],
            referenced: vec![post(5, 9, None)],
            ..Page::default()
        };
        // The next page repeats post 20 (X may, across pages), an author with
        // a new username, and the context post.
        let second = Page {
            posts: vec![post(20, 8, None), post(10, 7, Some(5))],
            authors: vec![author(7, "ann_renamed"), author(8, "bob")],
            referenced: vec![post(5, 9, None)],
            ..Page::default()
        };
        let batch = tagger.batch(&[first, second]);
        let ids: Vec<u64> = batch.matched.iter().map(|m| m.post.id).collect();
        assert_eq!(ids, [10, 20, 30], "once each, ascending");
        assert!(batch.matched.iter().all(|m| m.places == ["Croydon"]));
        let authors: Vec<(u64, &str)> = batch
            .authors
            .iter()
            .map(|a| (a.id, a.username.as_str()))
            .collect();
        assert_eq!(authors, [(7, "ann_renamed"), (8, "bob")]);
        let context: Vec<u64> = batch.context.iter().map(|p| p.id).collect();
        assert_eq!(context, [5]);
        assert_eq!(batch.reads, 4, "every post X returned is billed");
    }
}
