//! Text analysis shared by posts and queries: diacritic folding, tokenising and the
//! [`TextIndex`] stored beside each post so evaluation never re-tokenises.
//!
//! Folding is NFD, then drop combining marks, then lower-case: `Café` and `CAFE`
//! both fold to `cafe`. Only what NFD decomposes is folded (`ß` stays `ß`, `ø` stays `ø`).
//!
//! Tokenising splits the folded text into
//! - *words*: maximal runs of alphanumeric characters (any script, digits included);
//! - *standalone symbols*: every other non-ASCII character outside the punctuation
//!   blocks (emoji, pictographs, dingbats...) is a token on its own, so `🍒🍒` is two
//!   tokens; emoji modifiers (skin tones, variation selectors, ZWJ) are dropped;
//! - everything else (whitespace, ASCII punctuation and symbols such as `#`, `@`, `'`,
//!   `-`, `_`, and the Unicode punctuation blocks) separates tokens.
//!
//! So `#Croydon`, `@Croydon` and `Croydon's` all contain the token `croydon`, while
//! `Croydonian` does not. URLs (`http://…`, `https://…`) are cut out of the text
//! before tokenising: they are matched by `url:` only, never by keywords.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::entities::{self, Entities};

/// Folds `s` for matching: NFD, combining marks removed, lower-cased.
pub(crate) fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .flat_map(char::to_lowercase)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// How the tokeniser treats one (already folded) character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Symbol,
    Ignore,
    Separator,
}

fn classify(c: char) -> Class {
    if c.is_alphanumeric() {
        Class::Word
    } else if is_emoji_modifier(c) {
        Class::Ignore
    } else if c.is_ascii() || c.is_whitespace() || c.is_control() || is_punctuation_block(c) {
        Class::Separator
    } else {
        Class::Symbol
    }
}

fn is_emoji_modifier(c: char) -> bool {
    matches!(c, '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}')
        || is_combining_mark(c)
}

/// Non-ASCII punctuation: Latin-1 punctuation and symbols, General and Supplemental
/// Punctuation, CJK punctuation and the full-width ASCII punctuation.
fn is_punctuation_block(c: char) -> bool {
    matches!(c,
        '\u{00A0}'..='\u{00BF}' | '\u{00D7}' | '\u{00F7}'
        | '\u{2000}'..='\u{206F}' | '\u{2E00}'..='\u{2E7F}' | '\u{3000}'..='\u{303F}'
        | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}' | '\u{FF3B}'..='\u{FF40}'
        | '\u{FF5B}'..='\u{FF65}')
}

/// Appends the tokens of already-folded text to `out`.
pub(crate) fn tokenize_folded(folded: &str, out: &mut Vec<Box<str>>) {
    let mut word = String::new();
    for c in folded.chars() {
        match classify(c) {
            Class::Word => word.push(c),
            Class::Ignore => {}
            Class::Separator | Class::Symbol => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word).into_boxed_str());
                }
                if classify(c) == Class::Symbol {
                    out.push(c.to_string().into_boxed_str());
                }
            }
        }
    }
    if !word.is_empty() {
        out.push(word.into_boxed_str());
    }
}

/// Folds and tokenises a query term (keyword or quoted phrase); URLs are not cut out.
pub(crate) fn query_tokens(s: &str) -> Vec<Box<str>> {
    let mut out = Vec::new();
    tokenize_folded(&fold(s), &mut out);
    out
}

/// True when `s` is a single token made only of word characters, so it needs no quotes.
pub(crate) fn is_plain_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(char::is_alphanumeric)
}

/// A post's text analysed once: folded tokens in order (for phrases), a sorted view of
/// them (for single keywords), and the entities X extracts (hashtags, cashtags,
/// mentions, URLs). Build it when the post is stored and keep it beside the post.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextIndex {
    tokens: Vec<Box<str>>,
    sorted: Vec<u32>,
    entities: Entities,
}

impl TextIndex {
    /// Analyses `text`: tokenises everything outside URLs and extracts the entities.
    pub fn new(text: &str) -> TextIndex {
        let entities = entities::extract(text);
        let mut tokens = Vec::new();
        for segment in entities::outside_urls(text) {
            tokenize_folded(&fold(segment), &mut tokens);
        }
        let mut sorted: Vec<u32> = (0..tokens.len() as u32).collect();
        sorted.sort_by(|a, b| tokens[*a as usize].cmp(&tokens[*b as usize]));
        sorted.dedup_by(|a, b| tokens[*a as usize] == tokens[*b as usize]);
        TextIndex {
            tokens,
            sorted,
            entities,
        }
    }

    /// The folded tokens of the text, in order.
    pub fn tokens(&self) -> &[Box<str>] {
        &self.tokens
    }

    /// Each folded token of the text once, in sorted order.
    pub fn distinct_tokens(&self) -> impl Iterator<Item = &str> {
        self.sorted.iter().map(|i| &*self.tokens[*i as usize])
    }

    /// True when the folded token `token` occurs in the text.
    pub fn contains_token(&self, token: &str) -> bool {
        self.sorted
            .binary_search_by(|i| (*self.tokens[*i as usize]).cmp(token))
            .is_ok()
    }

    /// True when the folded tokens of `phrase` occur consecutively in the text.
    pub fn contains_phrase(&self, phrase: &[Box<str>]) -> bool {
        match phrase {
            [] => false,
            [one] => self.contains_token(one),
            [first, ..] => {
                self.contains_token(first) && self.tokens.windows(phrase.len()).any(|w| w == phrase)
            }
        }
    }

    /// Hashtags without `#`, folded (lower-cased, diacritics removed).
    pub fn hashtags(&self) -> &[String] {
        &self.entities.hashtags
    }

    /// Cashtags without `$`, lower-cased.
    pub fn cashtags(&self) -> &[String] {
        &self.entities.cashtags
    }

    /// Mentioned usernames without `@`, lower-cased.
    pub fn mentions(&self) -> &[String] {
        &self.entities.mentions
    }

    /// URLs found in the text (`http://` or `https://`), lower-cased.
    pub fn urls(&self) -> &[String] {
        &self.entities.urls
    }

    /// True when the text holds at least one URL.
    pub fn has_links(&self) -> bool {
        !self.entities.urls.is_empty()
    }

    /// True when the text mentions at least one user.
    pub fn has_mentions(&self) -> bool {
        !self.entities.mentions.is_empty()
    }

    /// True when the text holds at least one hashtag.
    pub fn has_hashtags(&self) -> bool {
        !self.entities.hashtags.is_empty()
    }

    /// True when the text holds at least one cashtag.
    pub fn has_cashtags(&self) -> bool {
        !self.entities.cashtags.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<String> {
        TextIndex::new(text)
            .tokens()
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn folding_removes_case_and_diacritics() {
        assert_eq!(fold("Café CROYDON"), "cafe croydon");
        assert_eq!(fold("Crème Brûlée"), "creme brulee");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("Straße"), "straße");
    }

    #[test]
    fn punctuation_and_entity_marks_split_tokens() {
        assert_eq!(
            toks("CROYDON! #Croydon @Croydon Croydon's coca-cola snake_case"),
            [
                "croydon", "croydon", "croydon", "croydon", "s", "coca", "cola", "snake", "case"
            ]
        );
        assert_eq!(toks("“East Croydon”—today…"), ["east", "croydon", "today"]);
    }

    #[test]
    fn emoji_are_standalone_tokens_and_modifiers_are_dropped() {
        assert_eq!(toks("love🍒cherries 👍🏽"), ["love", "🍒", "cherries", "👍"]);
        assert_eq!(toks("🍒🍒"), ["🍒", "🍒"]);
    }

    #[test]
    fn urls_are_not_tokenised() {
        let index = TextIndex::new("see https://croydon.gov.uk/bins now");
        assert_eq!(index.tokens(), &["see".into(), "now".into()]);
        assert!(!index.contains_token("croydon"));
        assert!(index.has_links());
    }

    #[test]
    fn token_and_phrase_lookup() {
        let index = TextIndex::new("Delays at East-Croydon station, again. Croydonian news");
        assert!(index.contains_token("croydon"));
        assert!(index.contains_token("croydonian"));
        assert!(!index.contains_token("croy"));
        let phrase: Vec<Box<str>> = vec!["east".into(), "croydon".into()];
        assert!(index.contains_phrase(&phrase));
        let wrong: Vec<Box<str>> = vec!["croydon".into(), "east".into()];
        assert!(!index.contains_phrase(&wrong));
        assert!(!index.contains_phrase(&[]));
    }

    #[test]
    fn plain_words_need_no_quotes() {
        assert!(is_plain_word("Croydon"));
        assert!(is_plain_word("Café"));
        assert!(!is_plain_word("East Croydon"));
        assert!(!is_plain_word("Croydon's"));
        assert!(!is_plain_word(""));
        assert_eq!(
            query_tokens("Thornton Heath!"),
            vec![Box::from("thornton"), "heath".into()]
        );
    }
}
