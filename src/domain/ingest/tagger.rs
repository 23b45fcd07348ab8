//! Tagging what a page read: each post with the place names it matched (the
//! same evaluator X's search uses, run locally), its flags, its reply path
//! and the rules' decision.

use std::collections::{HashMap, HashSet};

use crate::domain::post::{Author, Post};
use crate::domain::query::{Keyword, KeywordSet, TextIndex};
use crate::domain::triage::{self, AbuseList, Council, Decision, Facts, Flags, ReplyPath, RuleSet};

/// What tagging needs, built once from the config (see
/// `poller::plan`'s `Tagger::from_config`).
#[derive(Debug, Clone)]
pub struct Tagger {
    /// The monitored place names, indexed for matching many at once.
    pub places: KeywordSet,
    pub abuse: AbuseList,
    pub false_friend_words: Vec<Keyword>,
    pub rules: RuleSet,
    pub council: Council,
}

/// A post that matched, with what placewatch decided about it on arrival.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedPost {
    pub post: Post,
    /// The place names it matched.
    pub places: Vec<String>,
    /// What the rules decided (tags, priority, owner, dismissed).
    pub decision: Decision,
    pub flags: Flags,
    pub reply_path: ReplyPath,
}

/// The posts of a page, tagged: what a [`PageBatch`](super::PageBatch)
/// stores of it.
#[derive(Debug, Default)]
pub struct TaggedPage {
    /// Its posts, once each, ascending ids.
    pub matched: Vec<TaggedPost>,
    /// Their authors, once each (the last name seen wins).
    pub authors: Vec<Author>,
    /// Replied-to and quoted posts, kept for thread context.
    pub context: Vec<Post>,
    /// Posts X returned (and billed).
    pub reads: u64,
}

impl Tagger {
    /// Tags every post of a page: `posts` as X returned them, with the
    /// page's `authors` and the `referenced` posts they reply to or quote.
    /// Retweets (which keyword search should not return) and posts seen
    /// twice are skipped.
    pub fn tag_page(&self, posts: &[Post], authors: &[Author], referenced: &[Post]) -> TaggedPage {
        let referenced: HashMap<u64, &Post> = referenced.iter().map(|p| (p.id, p)).collect();
        let authors: HashMap<u64, &Author> = authors.iter().map(|a| (a.id, a)).collect();
        let mut page = TaggedPage {
            reads: posts.len() as u64,
            ..TaggedPage::default()
        };
        let mut seen = HashSet::new();
        for post in posts {
            if post.is_retweet || !seen.insert(post.id) {
                continue;
            }
            let author = post
                .author_id
                .and_then(|id| authors.get(&id))
                .map(|a| a.username.as_str());
            let author_of = |id: Option<u64>| {
                id.and_then(|id| referenced.get(&id))
                    .and_then(|p| p.author_id)
            };
            page.matched.push(self.tag(
                post.clone(),
                author.unwrap_or_default(),
                author_of(post.quoted),
                author_of(post.replied_to),
            ));
        }
        // Ascending ids let SQLite's full-text index append instead of
        // flushing a segment per document (X returns newest first).
        page.matched.sort_by_key(|m| m.post.id);
        page.authors = authors.into_values().cloned().collect();
        page.authors.sort_by_key(|a| a.id);
        page.context = referenced.into_values().cloned().collect();
        page.context.sort_by_key(|p| p.id);
        page
    }

    /// Tags one post.
    pub fn tag(
        &self,
        post: Post,
        author_username: &str,
        quoted_author: Option<u64>,
        replied_author: Option<u64>,
    ) -> TaggedPost {
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
        TaggedPost {
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
    use crate::domain::triage::Account;

    fn tagger() -> Tagger {
        Tagger {
            places: KeywordSet::new(vec![Keyword::parse("Croydon").unwrap()]),
            abuse: AbuseList::uk_default(),
            false_friend_words: Vec::new(),
            rules: RuleSet::new(&[], &[]).unwrap(),
            council: Council::LoggedIn(Account {
                id: 1,
                handle: "yourcroydon".into(),
            }),
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
    fn a_page_stores_each_post_and_author_once() {
        let tagger = tagger();
        // X may repeat a post, an author (renamed meanwhile: the last name
        // wins) and a context post within what one page carries.
        let posts = [post(30, 7, Some(5)), post(20, 8, None)];
        let more = [post(20, 8, None), post(10, 7, Some(5))];
        let authors = [author(7, "ann"), author(8, "bob")];
        let renamed = [author(7, "ann_renamed"), author(8, "bob")];
        let batch = tagger.tag_page(
            &[posts, more].concat(),
            &[authors, renamed].concat(),
            &[post(5, 9, None), post(5, 9, None)],
        );
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

    #[test]
    fn a_hashtag_tags_its_place() {
        let places = ["Croydon", "East Croydon", "Thornton Heath"];
        let tagger = Tagger {
            places: KeywordSet::new(places.map(|p| Keyword::parse(p).unwrap()).to_vec()),
            ..tagger()
        };
        let tagged = |text: &str| {
            let post = Post {
                text: text.into(),
                ..post(1, 7, None)
            };
            tagger.tag(post, "ann", None, None).places
        };
        assert_eq!(
            tagged("pond frozen over #ThorntonHeath"),
            ["Thornton Heath"]
        );
        assert_eq!(tagged("#thorntonheath pond frozen"), ["Thornton Heath"]);
        assert_eq!(tagged("#Croydon is lovely"), ["Croydon"]);
        assert_eq!(tagged("#EastCroydon delays again"), ["East Croydon"]);
        assert_eq!(
            tagged("East Croydon delays #ThorntonHeath"),
            ["Croydon", "East Croydon", "Thornton Heath"]
        );
        assert!(tagged("#ThorntonHeathPond #CroydonPark").is_empty());
    }
}
