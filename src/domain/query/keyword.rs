//! [`Keyword`]: a place name to monitor, validated once, with its query terms and
//! the matcher that tags posts. Matching uses the very `Term`s that parsing
//! [`Keyword::to_query_term`] and [`Keyword::hashtag_term`] yields, so tagging
//! agrees with searching for them.
//!
//! Hashtags count as place names. A one-word place finds its hashtag through its
//! keyword (X's keyword match is tokenised: `Croydon` finds `#Croydon`). A place
//! of several words has a second term, its *hashtag form*: the words joined
//! without the spaces, case kept (`Thornton Heath` → `#ThorntonHeath`), for
//! `#ThorntonHeath` is one token that neither the phrase nor its words match. A
//! place whose joined words hold a character a hashtag cannot (`St. Helier`,
//! `St James's`, `Stoke-on-Trent`, an emoji), or only digits, has no hashtag
//! form: `#StJames` would be a guess at what people write, and a wrong guess
//! costs query length for nothing. Configure the form people use as a place of
//! its own (`StHelier`), which finds the hashtag as any one-word place does.

use std::fmt;

use super::entities::whole_hashtag;
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

/// A place name to monitor: one word (`Croydon`) or a phrase (`Cherry Orchard Road`),
/// the phrase with its hashtag form (`#CherryOrchardRoad`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    text: String,
    term: Term,
    quoted: bool,
    /// The hashtag form's query term (`#ThorntonHeath`) and its parsed
    /// `Term::Hashtag` (folded), for keywords of several words.
    hashtag: Option<(String, Term)>,
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
        let hashtag = hashtag_form(&text, &term);
        Ok(Keyword {
            text,
            term,
            quoted,
            hashtag,
        })
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

    /// The hashtag form's query term, for a keyword of several words whose
    /// joined words make one hashtag: `#ThorntonHeath` for `Thornton Heath`;
    /// `None` for one word (`Croydon` finds `#Croydon` itself) and for words
    /// holding punctuation (`St. Helier`). See the module documentation.
    pub fn hashtag_term(&self) -> Option<&str> {
        self.hashtag.as_ref().map(|(term, _)| term.as_str())
    }

    /// The query terms that find this keyword: [`Keyword::to_query_term`],
    /// then the [`Keyword::hashtag_term`] if it has one.
    pub fn to_query_terms(&self) -> Vec<String> {
        std::iter::once(self.to_query_term())
            .chain(self.hashtag_term().map(str::to_string))
            .collect()
    }

    /// True when the post's text contains this keyword or holds its hashtag
    /// form, with exactly the semantics of searching for
    /// [`Keyword::to_query_terms`] OR-ed.
    pub fn matches(&self, doc: &TextIndex) -> bool {
        self.matches_words(doc) || self.matches_hashtag(doc)
    }

    /// True when the text contains the keyword's words (its phrase), as
    /// searching for [`Keyword::to_query_term`] alone finds.
    pub(crate) fn matches_words(&self, doc: &TextIndex) -> bool {
        self.term.matches_text(doc)
    }

    /// True when the text holds the keyword's hashtag form, in any case.
    fn matches_hashtag(&self, doc: &TextIndex) -> bool {
        self.hashtag
            .as_ref()
            .is_some_and(|(_, term)| term.matches_text(doc))
    }

    /// True when every text this keyword's *words* match, `other`'s words
    /// match too: `other`'s folded tokens occur consecutively in this
    /// keyword's (`East Croydon` is covered by `Croydon`, and `croydon` and
    /// `#Croydon` cover each other). The hashtag form is not covered: to
    /// `Croydon`, `#EastCroydon` is the one token `eastcroydon`, so the
    /// packer still searches it (see `pack`).
    pub fn is_covered_by(&self, other: &Keyword) -> bool {
        let (mine, theirs) = (self.tokens(), other.tokens());
        !theirs.is_empty() && mine.windows(theirs.len()).any(|w| w == theirs)
    }

    /// How many folded tokens the keyword has (`East Croydon`: 2).
    pub fn token_count(&self) -> usize {
        self.tokens().len()
    }

    /// The first folded token: a text can match the keyword's words only if
    /// it holds this one.
    pub(crate) fn first_token(&self) -> Option<&str> {
        self.tokens().first().map(|t| &**t)
    }

    /// The hashtag form, folded and without `#`: a text can match the
    /// keyword's hashtag form only if it holds this hashtag.
    pub(crate) fn folded_hashtag(&self) -> Option<&str> {
        match &self.hashtag {
            Some((_, Term::Hashtag(tag))) => Some(tag),
            _ => None,
        }
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

/// The hashtag form of a keyword of several words: its words joined without the
/// spaces, when that is one whole hashtag (see the module documentation).
fn hashtag_form(text: &str, term: &Term) -> Option<(String, Term)> {
    if !matches!(term, Term::Phrase(_)) || !text.contains(' ') {
        return None;
    }
    let joined: String = text.split(' ').collect();
    whole_hashtag(&joined)?;
    let query_term = format!("#{joined}");
    let parsed = Term::from_word(&query_term, 1).ok()?;
    Some((query_term, parsed))
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
    fn places_of_several_words_have_a_hashtag_form() {
        let form = |s: &str| kw(s).hashtag_term().map(str::to_string);
        assert_eq!(form("Thornton Heath").as_deref(), Some("#ThorntonHeath"));
        assert_eq!(
            form("  thornton   heath ").as_deref(),
            Some("#thorntonheath")
        );
        assert_eq!(
            form("Cherry Orchard Road").as_deref(),
            Some("#CherryOrchardRoad")
        );
        assert_eq!(form("Café Nero").as_deref(), Some("#CaféNero"));
        assert_eq!(form("Route 66").as_deref(), Some("#Route66"));
        // One word finds its hashtag as a keyword; no second term.
        for one_word in ["Croydon", "A23", "#Croydon", "East_Croydon"] {
            assert_eq!(form(one_word), None, "{one_word}");
        }
        // Characters a hashtag cannot hold: no hashtag form.
        for cut_short in [
            "St. Helier",
            "St James's",
            "Croydon, Victoria",
            "Stoke-on-Trent Road",
            "Croydon 🍒",
            "#Thornton Heath",
            "12 34",
        ] {
            assert_eq!(form(cut_short), None, "{cut_short}");
        }
        assert_eq!(
            kw("Thornton Heath").to_query_terms(),
            ["\"Thornton Heath\"", "#ThorntonHeath"]
        );
        assert_eq!(kw("Croydon").to_query_terms(), ["Croydon"]);
    }

    #[test]
    fn a_place_matches_its_hashtag_in_any_case() {
        let heath = kw("Thornton Heath");
        for post in [
            "pond frozen #ThorntonHeath",
            "#thorntonheath pond frozen",
            "#THORNTONHEATH!",
            "Thornton Heath pond",
            "thornton-heath pond",
        ] {
            assert!(heath.matches(&TextIndex::new(post)), "{post}");
        }
        for post in ["#ThorntonHeathPond", "ThorntonHeath", "#Thornton", "heath"] {
            assert!(!heath.matches(&TextIndex::new(post)), "{post}");
        }
        assert!(kw("Croydon").matches(&TextIndex::new("#Croydon is lovely")));
        assert!(kw("croydon").matches(&TextIndex::new("#CROYDON")));
        assert!(!kw("Croydon").matches(&TextIndex::new("#EastCroydon")));
        assert!(kw("East Croydon").matches(&TextIndex::new("#EastCroydon")));
        assert!(kw("Café Nero").matches(&TextIndex::new("#cafenero")));
    }

    #[test]
    fn keyword_matching_agrees_with_searching_for_its_terms() {
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
            "East Croydon",
            "Croydon Park",
            "A23",
        ];
        let posts = [
            "Delays at EAST CROYDON today",
            "cafe on the corner of Croydon's high street",
            "#Croydon rocks, st helier too",
            "from bob: or else 🍒",
            "Croydonian weather; thornton-heath pond",
            "the a23 is shut https://croydon.gov.uk",
            "pond frozen #thorntonheath",
            "#EastCroydon delays, #CroydonPark sunset",
            "#ThorntonHeathPond",
            "",
        ];
        for k in keywords.map(kw) {
            let query = parse(&k.to_query_terms().join(" OR "), 512).unwrap();
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
        // Covered means every text the one's words match, the other's match.
        let cases = [
            ("East Croydon", "Croydon"),
            ("Café Nero Croydon", "Nero Croydon"),
        ];
        for post in [
            "Delays at EAST CROYDON",
            "cafe nero croydon's best",
            "east-croydon",
            "#EastCroydon",
            "#CafeNeroCroydon",
        ] {
            let text = TextIndex::new(post);
            for (narrow, wide) in cases {
                let (narrow, wide) = (kw(narrow), kw(wide));
                assert!(narrow.is_covered_by(&wide));
                assert!(
                    !narrow.matches_words(&text) || wide.matches_words(&text),
                    "{post}"
                );
            }
        }
        // The hashtag form is one token, not covered.
        let text = TextIndex::new("#EastCroydon");
        assert!(kw("East Croydon").matches(&text) && !kw("Croydon").matches(&text));
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
