//! Finds emoji sequences, each of which twitter-text v3 weighs as one character.
//!
//! twitter-text uses Twitter's emoji regular expression (twemoji-parser), scanning left to
//! right for the longest sequence it knows: ZWJ sequences, flags, keycaps, skin-tone
//! modifiers and tag sequences each count as one emoji. The sequences come from the
//! `emojis` crate, which follows current Unicode where twemoji-parser 11 stopped at
//! Unicode 11. A sequence counts in its fully-qualified form, and a keycap with or without
//! U+FE0F. So U+00A9 and U+00AE alone stay text (weight 1), as in twemoji-parser; other
//! text-default symbols such as U+263A weigh 2 whether or not they count as emoji.

use std::ops::Range;

/// Longest emoji sequence tried, in code points (the longest RGI sequences have 10).
const MAX_EMOJI_CHARS: usize = 16;

/// Byte ranges of the emoji sequences in `text`, in order.
pub(super) fn find_emoji(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        match emoji_len(&text[pos..]) {
            Some(len) => {
                found.push(pos..pos + len);
                pos += len;
            }
            None => pos += c.len_utf8(),
        }
    }
    found
}

/// Length of the longest emoji at the start of `s`.
fn emoji_len(s: &str) -> Option<usize> {
    let first = s.chars().next()?;
    // A sequence starts with a keycap base, a regional indicator, or an emoji of its own.
    let can_start = match first {
        '#' | '*' | '0'..='9' | '\u{1F1E6}'..='\u{1F1FF}' => true,
        c if c.is_ascii() => false,
        c => emojis::get(c.encode_utf8(&mut [0; 4])).is_some(),
    };
    if !can_start {
        return None;
    }
    let ends: Vec<usize> = s
        .char_indices()
        .take(MAX_EMOJI_CHARS)
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    ends.into_iter().rev().find(|&end| is_emoji(&s[..end]))
}

/// A sequence in its fully-qualified form, or a keycap with or without U+FE0F.
fn is_emoji(candidate: &str) -> bool {
    emojis::get(candidate)
        .is_some_and(|e| e.as_str() == candidate || candidate.ends_with('\u{20E3}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emoji(text: &str) -> Vec<&str> {
        find_emoji(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn sequences_are_one_emoji() {
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        assert_eq!(emoji(family), [family]);
        assert_eq!(emoji("🇬🇧🇫🇷"), ["🇬🇧", "🇫🇷"]);
        assert_eq!(
            emoji("1\u{FE0F}\u{20E3}1\u{20E3}"),
            ["1\u{FE0F}\u{20E3}", "1\u{20E3}"]
        );
        assert_eq!(emoji("👍🏽"), ["👍🏽"]);
        assert_eq!(
            emoji("\u{263A}\u{FE0F}\u{A9}\u{FE0F}"),
            ["\u{263A}\u{FE0F}", "\u{A9}\u{FE0F}"]
        );
        let wales = "🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}";
        assert_eq!(emoji(wales), [wales]);
    }

    #[test]
    fn plain_text_is_not_emoji() {
        assert!(emoji("abc 123 # * é 東").is_empty());
        assert!(emoji("\u{200D}").is_empty());
        assert!(emoji("\u{263A}\u{FE0E} \u{263A} \u{A9} 2024").is_empty());
    }

    #[test]
    fn a_broken_sequence_keeps_its_emoji() {
        assert_eq!(emoji("👍🏽\u{200D}"), ["👍🏽"]);
        assert_eq!(emoji("🇬🇧🇫"), ["🇬🇧"]);
    }
}
