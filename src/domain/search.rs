//! The desk's search language: what an officer types in the search box, as
//! terms a store can look up. Every term must match (AND):
//!
//! - a word (`pothole`), matched in any English form ("potholes", "reported"
//!   finds "reporting") by the store's stemmer;
//! - a prefix (`pothol*`): any word beginning so, with at least
//!   [`MIN_PREFIX_CHARS`] letters or digits before the `*` (a shorter prefix
//!   is searched as a word, not as the thousands of words it would start);
//! - a phrase in double quotes (`"cherry orchard road"`): its words next to
//!   each other, in order. An unclosed quote runs to the end of the search.
//!
//! Nothing else is syntax: `AND`, `OR`, parentheses and stray punctuation are
//! plain text, so no search is ever refused as malformed. Control and
//! private-use characters are dropped (the latter begin the search index's
//! filter markers), and a term without a letter or digit is no term.

/// Letters or digits a prefix needs before its `*`.
pub const MIN_PREFIX_CHARS: usize = 3;

/// One thing every match must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Prefix(String),
    /// Words next to each other, in order, as typed between the quotes.
    Phrase(String),
}

impl Term {
    /// The text of the term, as typed (without quotes or `*`).
    pub fn text(&self) -> &str {
        match self {
            Term::Word(w) | Term::Prefix(w) | Term::Phrase(w) => w,
        }
    }
}

/// The terms of what an officer typed, in order; empty when nothing in it can
/// be searched for.
pub fn terms(text: &str) -> Vec<Term> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .filter(|c| !is_private_use(*c))
        .collect();
    let mut terms = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(quoted) = rest.strip_prefix('"') {
            let (phrase, after) = quoted.split_once('"').unwrap_or((quoted, ""));
            let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            if searchable(&phrase) {
                terms.push(Term::Phrase(phrase));
            }
            rest = after;
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        rest = after;
        let stem = word.trim_end_matches('*');
        if !searchable(stem) {
            continue;
        }
        let letters = stem.chars().filter(|c| c.is_alphanumeric()).count();
        let stem_is_whole = stem.chars().all(char::is_alphanumeric);
        terms.push(
            if stem.len() < word.len() && letters >= MIN_PREFIX_CHARS && stem_is_whole {
                Term::Prefix(stem.to_owned())
            } else {
                Term::Word(stem.to_owned())
            },
        );
    }
    terms
}

/// Has a letter or digit, which the index's tokenizer keeps: a term without
/// one would be reduced to nothing and widen the search.
fn searchable(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

pub fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

#[cfg(test)]
mod tests {
    use super::Term::{Phrase, Prefix, Word};
    use super::*;

    fn word(w: &str) -> Term {
        Word(w.to_owned())
    }

    #[test]
    fn words_prefixes_and_phrases() {
        assert_eq!(
            terms("potholes Croydon"),
            [word("potholes"), word("Croydon")]
        );
        assert_eq!(terms("pothol*"), [Prefix("pothol".into())]);
        assert_eq!(
            terms(r#"litter "Cherry  Orchard Road" bin*"#),
            [
                word("litter"),
                Phrase("Cherry Orchard Road".into()),
                Prefix("bin".into())
            ]
        );
    }

    #[test]
    fn a_short_or_odd_prefix_is_a_word() {
        assert_eq!(terms("po*"), [word("po")]);
        assert_eq!(terms("fly-tip*"), [word("fly-tip")]);
        assert_eq!(terms("***"), []);
    }

    #[test]
    fn an_unclosed_quote_runs_to_the_end() {
        assert_eq!(
            terms(r#"bins "left out all week"#),
            [word("bins"), Phrase("left out all week".into())]
        );
        assert_eq!(terms(r#"""#), []);
        assert_eq!(terms(r#"a"b"#), [word("a"), Phrase("b".into())]);
    }

    #[test]
    fn nothing_is_syntax_and_nothing_unsearchable_is_kept() {
        assert_eq!(
            terms("AND OR NOT ( )"),
            [word("AND"), word("OR"), word("NOT")]
        );
        assert_eq!(terms("a\0b"), [word("ab")]);
        assert_eq!(terms("( ) \u{7} 🙂 \u{E001}"), []);
        assert_eq!(terms("\u{E001}cafe"), [word("cafe")]);
        assert_eq!(terms("fly-tipping?"), [word("fly-tipping?")]);
    }
}
