//! The X API v2 recent-search query language: parser, evaluator and packer.
//!
//! Used by the simulator to answer searches and compute ground truth, and by the
//! daemon to pack many place names into few queries ([`pack()`]) and to tag each
//! returned post with the place names it matched ([`Keyword::matches`]).
//!
//! Pure: std, thiserror and unicode-normalization only; no I/O.
//!
//! - `text`: folding and tokenising, and the per-post [`TextIndex`];
//! - `entities`: hashtags, cashtags, mentions and URLs as twitter-text finds them;
//! - `lexer`, `parser`, `term`, `ast`: query text → checked tree → evaluation;
//! - `keyword`, `pack`, `binpack`: place names and the packer.
//!
//! Semantics follow X's documentation (`build-a-query`, `operators`): space is AND,
//! upper-case `OR` is OR and binds looser, parentheses group, `-` negates (groups
//! too), operators are case-insensitive, keywords are tokenised, case-insensitive and
//! diacritic-folded. Bare `and`/`or` in any other case are refused as X refuses them.

mod ast;
mod binpack;
mod entities;
mod error;
mod keyword;
mod keyword_set;
mod lexer;
mod pack;
mod parser;
mod term;
mod text;

pub use error::QueryError;
pub use keyword::{Keyword, KeywordError, MAX_KEYWORD_CHARS};
pub use keyword_set::KeywordSet;
pub use pack::{PackError, PackSpec, PackedQuery, coverage, pack};
pub use text::TextIndex;

/// True when `name` (without `@`) can be an X username: 1 to 15 ASCII
/// letters, digits or underscores.
pub fn is_username(name: &str) -> bool {
    (1..=15).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when `code` looks like a BCP 47 language code as X reports them:
/// `^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`; with `any_case`, the primary subtag
/// may be upper case too (rules compare languages ignoring case).
pub fn is_language_code(code: &str, any_case: bool) -> bool {
    let mut parts = code.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary
            .chars()
            .all(|c| c.is_ascii_lowercase() || (any_case && c.is_ascii_uppercase()))
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Everything the evaluator can see of a post.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// The post's analysed text.
    pub text: &'a TextIndex,
    /// The author's username, without `@`.
    pub author_username: &'a str,
    /// Username of the author of the post replied to, for `to:`.
    pub in_reply_to_username: Option<&'a str>,
    /// The post's BCP 47 language code, for `lang:`.
    pub lang: Option<&'a str>,
    /// Id of the conversation's first post.
    pub conversation_id: u64,
    /// Id of the post replied to.
    pub in_reply_to_tweet_id: Option<u64>,
    /// The post is a retweet (repost).
    pub is_retweet: bool,
    /// The post is a reply.
    pub is_reply: bool,
    /// The post quotes another.
    pub is_quote: bool,
    /// The post has media attached (used for `has:media`, `has:images`, `has:videos`).
    pub has_media: bool,
    /// The author is verified.
    pub is_verified: bool,
}

impl<'a> Document<'a> {
    /// An original post by `author_username`: no reply, no media, no language,
    /// conversation 0. Set the other fields as needed.
    pub fn new(text: &'a TextIndex, author_username: &'a str) -> Document<'a> {
        Document {
            text,
            author_username,
            in_reply_to_username: None,
            lang: None,
            conversation_id: 0,
            in_reply_to_tweet_id: None,
            is_retweet: false,
            is_reply: false,
            is_quote: false,
            has_media: false,
            is_verified: false,
        }
    }
}

/// A parsed, validated query, ready to evaluate against many posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    expr: ast::Expr,
}

impl Query {
    /// True when the post matches the query.
    pub fn matches(&self, doc: &Document<'_>) -> bool {
        self.expr.eval(doc)
    }
}

/// Parses `query` as X would for a search whose length limit is `max_len` characters
/// (Unicode scalar values): 512 self-serve, 4096 enterprise.
pub fn parse(query: &str, max_len: usize) -> Result<Query, QueryError> {
    let len = query.chars().count();
    if len > max_len {
        return Err(QueryError::TooLong { len, max: max_len });
    }
    if query.trim().is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(Query {
        expr: parser::parse_expr(query)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str) -> TextIndex {
        TextIndex::new(text)
    }

    /// Does `query` match a plain post with `text` by `alice`?
    fn hit(query: &str, text: &str) -> bool {
        let index = post(text);
        parse(query, 512)
            .unwrap()
            .matches(&Document::new(&index, "alice"))
    }

    fn hit_doc(query: &str, doc: &Document<'_>) -> bool {
        parse(query, 512).unwrap().matches(doc)
    }

    #[test]
    fn keywords_are_tokenised_case_insensitive_and_folded() {
        assert!(hit("croydon", "CROYDON!"));
        assert!(hit("croydon", "#Croydon is great"));
        assert!(hit("croydon", "Croydon's finest"));
        assert!(!hit("croydon", "Croydonian"));
        assert!(hit("CAFÉ", "best cafe in town"));
        assert!(hit("cafe", "le Café"));
        assert!(hit("🍒", "cherries🍒!"));
        assert!(hit("coca-cola", "Coca Cola"));
    }

    #[test]
    fn phrases_match_consecutive_tokens() {
        assert!(hit("\"east croydon\"", "Trains at East-Croydon."));
        assert!(!hit("\"east croydon\"", "east of croydon"));
        assert!(hit("\"croydon's best\"", "Croydon's BEST café"));
        assert!(hit("\"Café Nero\"", "cafe nero"));
        assert!(parse("a \"\"", 512).is_err());
    }

    #[test]
    fn hashtags_cashtags_and_mentions_are_entities_not_tokens() {
        assert!(hit("#thanku", "so #ThankU"));
        assert!(!hit("#thanku", "#thankunext"));
        assert!(!hit("#croydon", "croydon"));
        assert!(hit("#cafe", "#Café"));
        assert!(hit("$TWTR", "buy $twtr"));
        assert!(!hit("$twtr", "twtr"));
        assert!(hit("@CroydonCouncil", "hi @croydoncouncil"));
        assert!(!hit("@croydon", "croydon"));
    }

    /// X's keyword match is tokenised on punctuation and symbols, so a
    /// keyword finds its own hashtag; the `#` operator matches the post's
    /// hashtag entity whole, ignoring case (docs.x.com, "List of operators":
    /// `#thanku` matches `#thanku`, not `#thankunext`). A hashtag of
    /// several joined words is one token: neither its words nor their
    /// phrase find it.
    #[test]
    fn keywords_find_their_hashtag_and_hashtags_match_whole_entities() {
        assert!(hit("Croydon", "#Croydon is lovely"));
        assert!(hit("Croydon", "lovely evening #croydon"));
        assert!(!hit("Croydon", "#CroydonPark at sunset"));
        assert!(!hit("Croydon", "#EastCroydon delays"));
        assert!(!hit("\"Thornton Heath\"", "pond frozen #ThorntonHeath"));
        assert!(!hit("Heath", "pond frozen #ThorntonHeath"));
        for post in [
            "pond frozen #ThorntonHeath",
            "#thorntonheath pond frozen",
            "#THORNTONHEATH!",
            "(#ThorntonHeath)",
        ] {
            assert!(hit("#ThorntonHeath", post), "{post}");
            assert!(hit("#thorntonheath", post), "{post}");
        }
        assert!(!hit("#ThorntonHeath", "Thornton Heath pond"));
        assert!(!hit("#ThorntonHeath", "ThorntonHeath pond"), "no entity");
        assert!(!hit("#ThorntonHeath", "#ThorntonHeathPond"));
        assert!(!hit("#ThorntonHeath", "#Thornton_Heath"));
        assert!(hit("#Croydon", "#croydon"));
        assert!(hit(
            "(Croydon OR #ThorntonHeath) -is:retweet",
            "#ThorntonHeath"
        ));
    }

    #[test]
    fn and_or_precedence_and_parentheses() {
        assert!(hit("a OR b c", "a"));
        assert!(!hit("a OR b c", "b"));
        assert!(hit("a OR b c", "b c"));
        assert!(!hit("(a OR b) c", "a"));
        assert!(hit("(a OR b) c", "a c"));
        assert!(hit("x y", "y x"));
    }

    #[test]
    fn negation_of_terms_operators_and_groups() {
        assert!(hit("croydon -sutton", "croydon"));
        assert!(!hit("croydon -sutton", "croydon sutton"));
        assert!(!hit("croydon -(sutton OR bromley)", "croydon bromley"));
        assert!(hit("croydon -(sutton OR bromley)", "croydon merton"));
        assert!(!hit("croydon -from:alice", "croydon"));
        assert!(hit("croydon -\"east croydon\"", "west croydon"));
        assert!(hit("croydon -is:nullcast", "croydon"));
    }

    #[test]
    fn user_and_conversation_operators() {
        let text = post("hello");
        let mut doc = Document::new(&text, "Alice");
        doc.in_reply_to_username = Some("CroydonCouncil");
        doc.conversation_id = 42;
        doc.in_reply_to_tweet_id = Some(41);
        assert!(hit_doc("from:alice", &doc));
        assert!(hit_doc("FROM:@ALICE", &doc));
        assert!(!hit_doc("from:bob", &doc));
        assert!(hit_doc("to:croydoncouncil", &doc));
        assert!(!hit_doc("to:alice", &doc));
        assert!(hit_doc("conversation_id:42", &doc));
        assert!(hit_doc("in_reply_to_tweet_id:41", &doc));
        assert!(hit_doc("in_reply_to_status_id:41", &doc));
        assert!(!hit_doc("in_reply_to_tweet_id:42", &doc));
        assert!(parse("conversation_id:abc", 512).is_err());
        assert!(parse("from:", 512).is_err());
    }

    #[test]
    fn is_operators() {
        let text = post("croydon");
        let mut doc = Document::new(&text, "a");
        for op in ["is:retweet", "is:reply", "is:quote", "is:verified"] {
            assert!(!hit_doc(&format!("croydon {op}"), &doc), "{op}");
            assert!(hit_doc(&format!("croydon -{op}"), &doc), "{op}");
        }
        (doc.is_retweet, doc.is_reply, doc.is_quote, doc.is_verified) = (true, true, true, true);
        for op in ["is:retweet", "is:reply", "is:quote", "IS:Verified"] {
            assert!(hit_doc(&format!("croydon {op}"), &doc), "{op}");
        }
    }

    #[test]
    fn has_operators() {
        let rich = post("croydon @bob #bins $TWTR https://t.co/abc");
        let plain = post("croydon");
        let mut with_media = Document::new(&plain, "a");
        with_media.has_media = true;
        for op in ["links", "mentions", "hashtags", "cashtags"] {
            let q = format!("croydon has:{op}");
            assert!(hit_doc(&q, &Document::new(&rich, "a")), "{op}");
            assert!(!hit_doc(&q, &Document::new(&plain, "a")), "{op}");
        }
        for op in ["media", "media_link", "images", "videos", "video_link"] {
            let q = format!("croydon has:{op}");
            assert!(hit_doc(&q, &with_media), "{op}");
            assert!(!hit_doc(&q, &Document::new(&plain, "a")), "{op}");
        }
        assert!(!hit("croydon has:geo", "croydon"));
    }

    #[test]
    fn lang_and_url_operators() {
        let text = post("croydon https://www.Croydon.gov.uk/bins");
        let mut doc = Document::new(&text, "a");
        assert!(!hit_doc("croydon lang:en", &doc));
        doc.lang = Some("EN");
        assert!(hit_doc("croydon lang:en", &doc));
        assert!(hit_doc("croydon (lang:cy OR lang:en)", &doc));
        assert!(!hit_doc("croydon lang:cy", &doc));
        assert!(hit_doc("url:\"croydon.gov.uk\"", &doc));
        assert!(hit_doc("url:https://www.croydon.gov.uk", &doc));
        assert!(!hit_doc("url:\"sutton.gov.uk\"", &doc));
        assert!(!hit_doc("bins", &doc), "words in URLs are not keywords");
    }

    #[test]
    fn unknown_and_unavailable_operators() {
        assert_eq!(
            parse("croydon foo:bar", 512).unwrap_err(),
            QueryError::UnknownOperator {
                op: "foo".into(),
                position: 9
            }
        );
        assert_eq!(
            parse("croydon has:polls", 512).unwrap_err(),
            QueryError::UnknownOperator {
                op: "has:polls".into(),
                position: 9
            }
        );
        assert!(matches!(
            parse("croydon is:pinned", 512),
            Err(QueryError::UnknownOperator { .. })
        ));
        let e = parse("judell point_radius:[-105.29 40.01 25mi]", 512).unwrap_err();
        assert_eq!(
            e.x_message(),
            "There were errors processing your request: Reference to invalid operator 'point_radius'. Operator is not available in current product or product packaging. Please refer to complete available operator list at http://t.co/operators. (at position 8)"
        );
        assert!(matches!(
            parse("x place:\"new york city\"", 512),
            Err(QueryError::UnavailableOperator { .. })
        ));
        assert!(
            hit("10:30", "at 10:30 today"),
            "digits before ':' are a keyword"
        );
    }

    #[test]
    fn length_and_emptiness() {
        let q = "é".repeat(512);
        assert!(parse(&q, 512).is_ok(), "characters, not bytes");
        let q = "a".repeat(513);
        assert_eq!(
            parse(&q, 512).unwrap_err(),
            QueryError::TooLong { len: 513, max: 512 }
        );
        assert!(parse(&q, 4096).is_ok());
        assert_eq!(parse("", 512).unwrap_err(), QueryError::Empty);
        assert_eq!(parse("  \t", 512).unwrap_err(), QueryError::Empty);
    }

    #[test]
    fn standalone_rule_and_syntax_errors_surface_from_parse() {
        assert_eq!(
            parse("is:retweet", 512).unwrap_err().x_message(),
            "There were errors processing your request: is/has/lang cannot be used as a standalone operator (at position 1)"
        );
        assert_eq!(
            parse("-follow", 512).unwrap_err().x_message(),
            "There were errors processing your request: Rules must contain a non-negation term (at position 1)"
        );
        assert!(matches!(parse("(a", 512), Err(QueryError::Syntax { .. })));
        assert!(matches!(parse("a\"b", 512), Err(QueryError::Syntax { .. })));
        assert!(matches!(parse("a OR", 512), Err(QueryError::Syntax { .. })));
    }
}
