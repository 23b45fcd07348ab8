//! Reply text: X's weighted post length by the twitter-text v3 rules, the
//! `ReplyText` that enforces it, what a reply costs, and reply templates.
//!
//! - `template`: `Template` with placeholders, parsed once and rendered per item;
//! - `reply`: `ReplyText::parse`, the check every reply passes before it is sent;
//! - `cost`: `ReplyCost`, the price of a reply at the configured prices;
//! - below: `weighted_length`.
//!
//! X does not count characters: it counts a *weighted length* and rejects a post whose
//! weighted length exceeds 280 ("Your Tweet text is too long."). The rules are those of
//! twitter-text's `parseTweet` with `config/v3.json`:
//!
//! - the text is NFC-normalised first;
//! - every URL the twitter-text extractor finds, with or without a scheme, counts 23;
//! - with emoji parsing on (v3), every emoji sequence (ZWJ sequence, flag, keycap, skin-tone
//!   modifier, tag sequence) counts as one unit of the default weight, 2;
//! - every other code point counts 1 if it lies in 0–4351, 8192–8205, 8208–8223 or
//!   8242–8247, else 2;
//! - a text is valid when it is not empty or only whitespace, has no U+FFFE, U+FEFF or
//!   U+FFFF (the directional controls U+202A–U+202E are valid since twitter-text v2), and
//!   its weighted length is at most 280.
//!
//! URL detection (`url`) and emoji detection (`emoji`) follow twitter-text's own rules;
//! the counting walk here follows its `parseTweet`. Ranges are UTF-16 code units, as
//! twitter-text reports them.
//!
//! Pure: no I/O. `tests/twitter_text_conformance.rs` checks this module against upstream's
//! `conformance/validate.yml`.

mod cost;
mod domain;
mod emoji;
mod reply;
mod template;
mod url;

pub use cost::{ReplyCost, ReplyPrices, ReplyRate};
pub use reply::{ReplyText, ReplyTextError};
pub use template::{
    BUILTIN_PLACEHOLDERS, NO_VARS, RenderContext, Template, TemplateError, first_name,
};

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

/// The most weighted length X accepts in one post.
pub const MAX_WEIGHTED_LENGTH: usize = 280;

/// The weighted length of a text and whether X would accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightedLength {
    /// Weighted length: 1 per light code point, 2 per other code point or emoji, 23 per URL.
    pub weighted: usize,
    /// True when the text fits the limit, has no invalid character (U+FFFE, U+FEFF,
    /// U+FFFF) and is not empty or only whitespace (blank text is rejected as by
    /// twitter-text's Java parser; its JS one accepts it).
    pub valid: bool,
    /// `weighted` in thousandths of the limit (1000 = exactly full), rounded down.
    pub permillage: usize,
    /// How many URLs were found (each counted at the transformed URL length).
    pub urls: usize,
    /// The whole text, in UTF-16 code units of the text as given; `None` when empty.
    pub display_range: Option<Utf16Range>,
    /// The leading part that fits the limit and has no invalid character, in UTF-16 code
    /// units of the text as given; `None` when no character fits.
    pub valid_range: Option<Utf16Range>,
}

/// An inclusive range of UTF-16 code-unit offsets, as twitter-text reports ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf16Range {
    /// Offset of the first code unit.
    pub start: usize,
    /// Offset of the last code unit (inclusive).
    pub end: usize,
}

/// One weighted range of code points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WeightedRange {
    start: u32,
    end: u32,
    weight: usize,
}

impl WeightedRange {
    const fn new(start: u32, end: u32, weight: usize) -> Self {
        Self { start, end, weight }
    }
}

/// The code-point ranges shared by twitter-text's v2 and v3 configurations.
const LIGHT_RANGES: [WeightedRange; 4] = [
    WeightedRange::new(0, 4351, 100),
    WeightedRange::new(8192, 8205, 100),
    WeightedRange::new(8208, 8223, 100),
    WeightedRange::new(8242, 8247, 100),
];

/// A twitter-text weighting configuration (`config/v2.json` or `config/v3.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LengthConfig {
    max_weighted_length: usize,
    scale: usize,
    default_weight: usize,
    transformed_url_length: usize,
    emoji_parsing: bool,
    ranges: &'static [WeightedRange],
}

impl LengthConfig {
    /// twitter-text `config/v2.json`: like v3 but every emoji code point is weighed alone.
    pub fn v2() -> Self {
        Self {
            emoji_parsing: false,
            ..Self::v3()
        }
    }

    /// twitter-text `config/v3.json`: the rules X applies today.
    pub fn v3() -> Self {
        Self {
            max_weighted_length: MAX_WEIGHTED_LENGTH,
            scale: 100,
            default_weight: 200,
            transformed_url_length: 23,
            emoji_parsing: true,
            ranges: &LIGHT_RANGES,
        }
    }

    fn weight_of(&self, c: char) -> usize {
        let cp = u32::from(c);
        self.ranges
            .iter()
            .find(|r| (r.start..=r.end).contains(&cp))
            .map_or(self.default_weight, |r| r.weight)
    }
}

impl Default for LengthConfig {
    fn default() -> Self {
        Self::v3()
    }
}

/// Weighted length of `text` under the v3 rules X applies.
pub fn weighted_length(text: &str) -> WeightedLength {
    weighted_length_with(text, &LengthConfig::v3())
}

/// Weighted length of `text` under `config`.
pub fn weighted_length_with(text: &str, config: &LengthConfig) -> WeightedLength {
    let normalized: String = text.nfc().collect();
    let urls = url::find_urls(&normalized);
    let emoji = if config.emoji_parsing {
        emoji::find_emoji(&normalized)
    } else {
        Vec::new()
    };
    let walk = Walk::run(&normalized, &urls, &emoji, config);

    let weighted = walk.weighted / config.scale;
    let max = config.max_weighted_length;
    let valid =
        !walk.has_invalid_char && weighted > 0 && weighted <= max && !text.trim().is_empty();

    // Ranges are reported against the text as given, as twitter-text does: shifted by the
    // UTF-16 code units normalisation removed (or, rarely, added).
    let given_len = text.encode_utf16().count();
    let range = |end: Option<usize>| end.map(|end| Utf16Range { start: 0, end });
    WeightedLength {
        weighted,
        valid,
        permillage: weighted * 1000 / max,
        urls: urls.len(),
        display_range: range(given_len.checked_sub(1)),
        valid_range: range((walk.valid_utf16_len + given_len).checked_sub(walk.utf16_len + 1)),
    }
}

/// twitter-text's invalid characters (v3 dropped U+202A–U+202E from the v1 list).
fn is_invalid_char(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}')
}

/// The counting pass of twitter-text's `parseTweet`, over NFC-normalised text.
#[derive(Debug, Default)]
struct Walk {
    /// Weighted length before dividing by the scale.
    weighted: usize,
    has_invalid_char: bool,
    utf16_len: usize,
    /// UTF-16 length of the leading part that is still valid and within the limit.
    valid_utf16_len: usize,
}

impl Walk {
    fn run(
        text: &str,
        urls: &[Range<usize>],
        emoji: &[Range<usize>],
        config: &LengthConfig,
    ) -> Self {
        let limit = config.max_weighted_length * config.scale;
        let mut walk = Self::default();
        let mut urls = urls.iter().peekable();
        let mut emoji = emoji.iter().peekable();
        let mut pos = 0;
        while let Some(c) = text[pos..].chars().next() {
            // An emoji inside a URL was passed over with the URL.
            while emoji.next_if(|e| e.start < pos).is_some() {}
            let (end, weight) = if let Some(url) = urls.next_if(|u| u.start == pos) {
                (url.end, config.transformed_url_length * config.scale)
            } else if let Some(e) = emoji.next_if(|e| e.start == pos) {
                (e.end, config.default_weight)
            } else {
                walk.has_invalid_char |= is_invalid_char(c);
                (pos + c.len_utf8(), config.weight_of(c))
            };
            let units: usize = text[pos..end].chars().map(char::len_utf16).sum();
            walk.weighted += weight;
            walk.utf16_len += units;
            if !walk.has_invalid_char && walk.weighted <= limit {
                walk.valid_utf16_len += units;
            }
            pos = end;
        }
        walk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(text: &str) -> (usize, bool) {
        let r = weighted_length(text);
        (r.weighted, r.valid)
    }

    #[test]
    fn empty_text_is_invalid() {
        let r = weighted_length("");
        assert_eq!((r.weighted, r.valid, r.permillage), (0, false, 0));
        assert_eq!((r.display_range, r.valid_range), (None, None));
    }

    #[test]
    fn a_short_reply_is_valid() {
        let r = weighted_length("Thanks, we've passed this to the highways team.");
        assert_eq!(
            (r.weighted, r.valid, r.permillage, r.urls),
            (47, true, 167, 0)
        );
    }

    #[test]
    fn whitespace_only_is_invalid_but_still_weighed() {
        assert_eq!(length("   \n\t"), (5, false));
        assert_eq!(length("\u{3000}"), (2, false));
    }

    #[test]
    fn exactly_the_limit_is_valid_and_one_more_is_not() {
        let full = weighted_length(&"a".repeat(280));
        assert_eq!(
            (full.weighted, full.valid, full.permillage),
            (280, true, 1000)
        );
        let over = weighted_length(&"a".repeat(281));
        assert_eq!(
            (over.weighted, over.valid, over.permillage),
            (281, false, 1003)
        );
        assert_eq!(over.valid_range, Some(Utf16Range { start: 0, end: 279 }));
        assert_eq!(over.display_range, Some(Utf16Range { start: 0, end: 280 }));
    }

    #[test]
    fn cjk_counts_two_per_character() {
        assert_eq!(length("東京都"), (6, true));
        assert_eq!(length(&"字".repeat(140)), (280, true));
        assert_eq!(length(&"字".repeat(141)), (282, false));
    }

    #[test]
    fn light_ranges_count_one() {
        // Latin-1, Cyrillic, Georgian, en dash and prime are all in the light ranges.
        assert_eq!(length("é Ж ა – ′"), (9, true));
    }

    #[test]
    fn zwj_family_counts_as_one_emoji() {
        assert_eq!(length("👨\u{200D}👩\u{200D}👧\u{200D}👦"), (2, true));
        // Without emoji parsing (v2) each code point is weighed: 4 × 2 + 3 ZWJ × 1.
        let v2 = weighted_length_with("👨\u{200D}👩\u{200D}👧\u{200D}👦", &LengthConfig::v2());
        assert_eq!(v2.weighted, 11);
    }

    #[test]
    fn flags_keycaps_and_modifiers_count_as_one_emoji() {
        assert_eq!(length("🇬🇧"), (2, true));
        assert_eq!(
            length("🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}"),
            (2, true)
        );
        assert_eq!(length("1\u{FE0F}\u{20E3}"), (2, true));
        assert_eq!(length("👍🏽"), (2, true));
    }

    #[test]
    fn copyright_sign_is_an_emoji_only_with_the_emoji_selector() {
        assert_eq!(length("\u{A9} 2024"), (6, true));
        assert_eq!(length("\u{A9}\u{FE0F} 2024"), (7, true));
    }

    #[test]
    fn url_with_scheme_counts_23() {
        let r = weighted_length("see https://example.com/some/very/long/path?q=1");
        assert_eq!((r.weighted, r.urls), (4 + 23, 1));
    }

    #[test]
    fn url_without_scheme_counts_23() {
        let r = weighted_length("see example.com and www.council.gov.uk/bins now");
        assert_eq!((r.weighted, r.urls), (4 + 23 + 5 + 23 + 4, 2));
    }

    #[test]
    fn text_that_only_looks_like_a_url_is_text() {
        let r = weighted_length("a.b x@example.org end.");
        assert_eq!((r.weighted, r.urls), (22, 0));
    }

    #[test]
    fn very_long_url_still_counts_23() {
        let url = format!("https://example.com/{}", "x".repeat(3000));
        let r = weighted_length(&format!("Read {url}"));
        assert_eq!((r.weighted, r.valid, r.urls), (5 + 23, true, 1));
    }

    #[test]
    fn directional_override_characters_are_valid() {
        // U+202A–U+202E were invalid in twitter-text v1 but not since v2. They lie outside
        // the light ranges, so each weighs 2.
        assert_eq!(length("\u{202E}abc\u{202C}"), (7, true));
        assert_eq!(length("\u{2066}abc\u{2069}"), (7, true));
    }

    #[test]
    fn invalid_characters_make_the_text_invalid() {
        for c in ['\u{FFFE}', '\u{FEFF}', '\u{FFFF}'] {
            let r = weighted_length(&format!("ab{c}cd"));
            assert!(!r.valid, "{c:?}");
            assert_eq!(r.valid_range, Some(Utf16Range { start: 0, end: 1 }));
        }
    }

    #[test]
    fn zero_width_joiner_alone_is_light_and_valid() {
        // U+200D lies in 8192–8205 and is not whitespace.
        assert_eq!(length("\u{200D}"), (1, true));
    }

    #[test]
    fn an_invalid_first_character_leaves_no_valid_range() {
        let r = weighted_length("\u{FEFF}abc");
        assert_eq!((r.valid, r.valid_range), (false, None));
    }

    #[test]
    fn long_adversarial_text_is_counted_in_linear_time() {
        // Each of these took seconds when domains were re-read from every position.
        for text in [
            "a.".repeat(12_500),
            "東".repeat(25_000),
            "a-".repeat(12_500),
        ] {
            let r = weighted_length(&text);
            assert!(!r.valid);
            assert_eq!(r.urls, 0);
        }
    }

    #[test]
    fn text_is_normalised_before_counting() {
        // "e" + combining acute (2 code points) composes to "é" (1 code point).
        let r = weighted_length("e\u{301}");
        assert_eq!((r.weighted, r.valid), (1, true));
        assert_eq!(r.display_range, Some(Utf16Range { start: 0, end: 1 }));
    }
}
