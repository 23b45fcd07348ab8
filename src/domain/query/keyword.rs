//! [`Keyword`]: a place name to monitor, validated once, with its query term and the
//! matcher that tags posts. Matching uses the very `Term` that parsing
//! [`Keyword::to_query_term`] yields, so tagging agrees with search.

use std::fmt;

use super::term::Term;
use super::text::{TextIndex, is_plain_word};

/// Longest accepted keyword, in characters.
pub const MAX_KEYWORD_CHARS: usize = 128;

/// Why a configured keyword was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeywordError {
    /// Nothing but whitespace.
    #[error("keyword is empty")]
    Empty,
    /// Longer than [`MAX_KEYWORD_CHARS`].
    #[error("keyword is {len} characters long; the limit is {max}")]
    TooLong {
        /// Characters after trimming.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Holds a character the query syntax reserves: `"`, `(` or `)`.
    #[error("keyword {keyword:?} contains {found:?}, which X queries cannot hold in a phrase")]
    Reserved {
        /// The keyword as given (trimmed).
        keyword: String,
        /// The offending character.
        found: char,
    },
    /// Starts with `-`, which X reads as negation.
    #[error("keyword {0:?} starts with '-', which X reads as negation")]
    LeadingMinus(String),
    /// The bare `OR` operator.
    #[error("keyword \"OR\" is X's OR operator")]
    BareOr,
    /// Only punctuation: it would never match anything.
    #[error("keyword {0:?} has no letters, digits or emoji to search for")]
    NoWords(String),
}

/// A place name to monitor: one word (`Croydon`) or a phrase (`Cherry Orchard Road`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    text: String,
    term: Term,
    quoted: bool,
}

impl Keyword {
    /// Validates a configured keyword. Trims it and collapses inner whitespace runs to
    /// one space; refuses empty, over 128 characters, `"`, `(`, `)`, a leading `-`,
    /// the bare `OR`, and text with nothing searchable.
    pub fn parse(s: &str) -> Result<Keyword, KeywordError> {
        let text = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = text.chars().count();
        if text.is_empty() {
            return Err(KeywordError::Empty);
        }
        if len > MAX_KEYWORD_CHARS {
            return Err(KeywordError::TooLong {
                len,
                max: MAX_KEYWORD_CHARS,
            });
        }
        if let Some(found) = text.chars().find(|c| matches!(c, '"' | '(' | ')')) {
            return Err(KeywordError::Reserved {
                keyword: text,
                found,
            });
        }
        if text.starts_with('-') {
            return Err(KeywordError::LeadingMinus(text));
        }
        if text == "OR" {
            return Err(KeywordError::BareOr);
        }
        let term = Term::keyword(&text, 1).map_err(|_| KeywordError::NoWords(text.clone()))?;
        let operator_like = text.eq_ignore_ascii_case("or") || text.eq_ignore_ascii_case("and");
        let quoted = !is_plain_word(&text) || operator_like || matches!(term, Term::Phrase(_));
        Ok(Keyword { text, term, quoted })
    }

    /// The keyword as configured (trimmed, inner whitespace collapsed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The query term: `Croydon`, or `"East Croydon"` when the keyword has more than one
    /// token, any character tokenising would split on, or reads like an operator
    /// (`or`, `and`).
    pub fn to_query_term(&self) -> String {
        if self.quoted {
            format!("\"{}\"", self.text)
        } else {
            self.text.clone()
        }
    }

    /// True when the post's text contains this keyword, with exactly the semantics of
    /// searching for [`Keyword::to_query_term`].
    pub fn matches(&self, doc: &TextIndex) -> bool {
        self.term.matches_text(doc)
    }

    /// True when every text this keyword matches, `other` matches too: `other`'s
    /// folded tokens occur consecutively in this keyword's (`East Croydon` is
    /// covered by `Croydon`, and `croydon` and `#Croydon` cover each other).
    pub fn is_covered_by(&self, other: &Keyword) -> bool {
        let (mine, theirs) = (self.tokens(), other.tokens());
        !theirs.is_empty() && mine.windows(theirs.len()).any(|w| w == theirs)
    }

    /// How many folded tokens the keyword has (`East Croydon`: 2).
    pub fn token_count(&self) -> usize {
        self.tokens().len()
    }

    /// The first folded token: a text can match only if it holds this one.
    pub(crate) fn first_token(&self) -> Option<&str> {
        self.tokens().first().map(|t| &**t)
    }

    /// The folded tokens that must occur consecutively.
    fn tokens(&self) -> &[Box<str>] {
        match &self.term {
            Term::Word(token) => std::slice::from_ref(token),
            Term::Phrase(tokens) => tokens,
            _ => &[],
        }
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Document, parse};
    use super::*;

    fn kw(s: &str) -> Keyword {
        Keyword::parse(s).unwrap()
    }

    #[test]
    fn parse_trims_and_refuses_what_queries_cannot_hold() {
        assert_eq!(kw("  East   Croydon ").as_str(), "East Croydon");
        assert_eq!(Keyword::parse("   "), Err(KeywordError::Empty));
        assert!(matches!(
            Keyword::parse("a\"b"),
            Err(KeywordError::Reserved { found: '"', .. })
        ));
        assert!(matches!(
            Keyword::parse("Croydon (South)"),
            Err(KeywordError::Reserved { .. })
        ));
        assert_eq!(
            Keyword::parse("-Croydon"),
            Err(KeywordError::LeadingMinus("-Croydon".into()))
        );
        assert_eq!(Keyword::parse("OR"), Err(KeywordError::BareOr));
        assert_eq!(
            Keyword::parse("!!!"),
            Err(KeywordError::NoWords("!!!".into()))
        );
        let long = "a".repeat(129);
        assert_eq!(
            Keyword::parse(&long),
            Err(KeywordError::TooLong { len: 129, max: 128 })
        );
        assert!(Keyword::parse(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn query_terms_are_quoted_only_when_needed() {
        assert_eq!(kw("Croydon").to_query_term(), "Croydon");
        assert_eq!(kw("Café").to_query_term(), "Café");
        assert_eq!(kw("East Croydon").to_query_term(), "\"East Croydon\"");
        assert_eq!(kw("St. Helier").to_query_term(), "\"St. Helier\"");
        assert_eq!(kw("Croydon's").to_query_term(), "\"Croydon's\"");
        assert_eq!(kw("#Croydon").to_query_term(), "\"#Croydon\"");
        assert_eq!(kw("from:bob").to_query_term(), "\"from:bob\"");
        assert_eq!(kw("or").to_query_term(), "\"or\"");
        assert_eq!(kw("AND").to_query_term(), "\"AND\"");
        assert_eq!(kw("🍒").to_query_term(), "\"🍒\"");
    }

    #[test]
    fn keyword_matching_agrees_with_searching_for_its_term() {
        let keywords = [
            "Croydon",
            "East Croydon",
            "Café",
            "St. Helier",
            "Croydon's",
            "#Croydon",
            "or",
            "from:bob",
            "🍒",
            "Thornton Heath",
            "A23",
        ];
        let posts = [
            "Delays at EAST CROYDON today",
            "cafe on the corner of Croydon's high street",
            "#Croydon rocks, st helier too",
            "from bob: or else 🍒",
            "Croydonian weather; thornton-heath pond",
            "the a23 is shut https://croydon.gov.uk",
            "",
        ];
        for k in keywords.map(kw) {
            let query = parse(&k.to_query_term(), 512).unwrap();
            for post in posts {
                let text = TextIndex::new(post);
                let doc = Document::new(&text, "someone");
                assert_eq!(k.matches(&text), query.matches(&doc), "{k} vs {post:?}");
            }
        }
    }

    #[test]
    fn a_keyword_is_covered_by_the_keywords_it_contains_as_whole_words() {
        assert!(kw("East Croydon").is_covered_by(&kw("Croydon")));
        assert!(kw("Thornton Heath Pond").is_covered_by(&kw("Thornton Heath")));
        assert!(kw("Café Nero Croydon").is_covered_by(&kw("cafe nero")));
        assert!(kw("Croydon's").is_covered_by(&kw("Croydon")));
        assert!(kw("#Croydon").is_covered_by(&kw("croydon")));
        assert!(
            kw("croydon").is_covered_by(&kw("#Croydon")),
            "the same token"
        );
        assert!(kw("Purley").is_covered_by(&kw("Purley")));
        assert!(!kw("Croydon").is_covered_by(&kw("East Croydon")));
        assert!(
            !kw("Croydonian").is_covered_by(&kw("Croydon")),
            "whole tokens only"
        );
        assert!(!kw("Thornton Heath Pond").is_covered_by(&kw("Thornton Pond")));
        assert!(!kw("Purley Way").is_covered_by(&kw("Way Purley")));
        // Covered means every text the one matches, the other matches.
        let cases = [
            ("East Croydon", "Croydon"),
            ("Café Nero Croydon", "Nero Croydon"),
        ];
        for post in [
            "Delays at EAST CROYDON",
            "cafe nero croydon's best",
            "east-croydon",
        ] {
            let text = TextIndex::new(post);
            for (narrow, wide) in cases {
                let (narrow, wide) = (kw(narrow), kw(wide));
                assert!(narrow.is_covered_by(&wide));
                assert!(!narrow.matches(&text) || wide.matches(&text), "{post}");
            }
        }
    }

    #[test]
    fn keyword_matching_is_tokenised_and_folded() {
        let text = TextIndex::new("Cafe life near CROYDON! Croydonian views, East-Croydon");
        assert!(kw("café").matches(&text));
        assert!(kw("croydon").matches(&text));
        assert!(kw("East Croydon").matches(&text));
        assert!(!kw("Croy").matches(&text));
        assert!(!kw("Croydon East").matches(&text));
    }
}
