//! [`KeywordSet`]: many keywords matched against one post at once. Instead of
//! looking every keyword up in the post's tokens, the post's distinct tokens
//! are looked up among the keywords' first tokens, and its hashtags among the
//! keywords' hashtag forms, so the cost follows the length of the post, not the
//! number of keywords. Matching is exactly [`Keyword::matches`], keyword by
//! keyword.

use std::collections::HashMap;

use super::keyword::Keyword;
use super::text::TextIndex;

/// Keywords indexed by their first folded token and their hashtag form,
/// built once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordSet {
    keywords: Vec<Keyword>,
    /// First token → indices in `keywords` of the keywords starting with it.
    by_first: HashMap<Box<str>, Vec<usize>>,
    /// Folded hashtag form → indices in `keywords` of the keywords with it.
    by_hashtag: HashMap<Box<str>, Vec<usize>>,
}

impl KeywordSet {
    /// Indexes `keywords`, keeping their order.
    pub fn new(keywords: Vec<Keyword>) -> KeywordSet {
        let mut by_first: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        let mut by_hashtag: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        for (i, keyword) in keywords.iter().enumerate() {
            // Every keyword has at least one token (Keyword::parse refuses others).
            if let Some(first) = keyword.first_token() {
                by_first.entry(first.into()).or_default().push(i);
            }
            if let Some(tag) = keyword.folded_hashtag() {
                by_hashtag.entry(tag.into()).or_default().push(i);
            }
        }
        KeywordSet {
            keywords,
            by_first,
            by_hashtag,
        }
    }

    /// The keywords, in order.
    pub fn keywords(&self) -> &[Keyword] {
        &self.keywords
    }

    /// The keywords `text` matches, in the set's order.
    pub fn matching<'a>(&'a self, text: &TextIndex) -> impl Iterator<Item = &'a Keyword> + 'a {
        let mut found: Vec<usize> = Vec::new();
        for token in text.distinct_tokens() {
            if let Some(candidates) = self.by_first.get(token) {
                found.extend(
                    candidates
                        .iter()
                        .copied()
                        .filter(|i| self.keywords[*i].matches(text)),
                );
            }
        }
        // A keyword's hashtag form matches whole: no check beyond the lookup.
        for tag in text.hashtags() {
            if let Some(candidates) = self.by_hashtag.get(tag.as_str()) {
                found.extend(candidates);
            }
        }
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.keywords[i])
    }

    /// True when `text` matches any keyword.
    pub fn any_match(&self, text: &TextIndex) -> bool {
        self.matching(text).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_matches_what_each_keyword_matches_in_order() {
        let words = [
            "Croydon",
            "East Croydon",
            "Café",
            "Thornton Heath",
            "#Croydon",
            "🍒",
            "croydon",
            "Heath",
            "A23",
            "Thornton Heath Pond",
            "Park Lane",
        ];
        let keywords: Vec<Keyword> = words.iter().map(|w| Keyword::parse(w).unwrap()).collect();
        let set = KeywordSet::new(keywords.clone());
        for post in [
            "Delays at EAST CROYDON today, east croydon again",
            "cafe in thornton-heath 🍒🍒",
            "Heath Thornton; croydonian",
            "the a23 is shut https://croydon.gov.uk",
            "#ThorntonHeath #thorntonheath, Thornton Heath",
            "pond frozen #ThorntonHeathPond #parklane",
            "#EastCroydon delays; #Heath",
            "",
        ] {
            let text = TextIndex::new(post);
            let expected: Vec<&str> = keywords
                .iter()
                .filter(|k| k.matches(&text))
                .map(Keyword::as_str)
                .collect();
            let got: Vec<&str> = set.matching(&text).map(Keyword::as_str).collect();
            assert_eq!(got, expected, "{post:?}");
            assert_eq!(set.any_match(&text), !expected.is_empty());
        }
    }
}
