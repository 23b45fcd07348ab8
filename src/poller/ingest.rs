//! Turning fetched pages into triage material: each post is tagged with the
//! place names it matched (the same evaluator X's search uses, run locally),
//! flagged, given its reply path, and run through the rules. Pure: no I/O.

use std::collections::HashMap;

use crate::domain::post::{Author, Post};
use crate::domain::query::{Keyword, KeywordSet, TextIndex};
use crate::domain::triage::{self, AbuseList, Council, Facts, RuleSet};
use crate::store::MatchedPost;
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
        let mut seen = std::collections::HashSet::new();
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
