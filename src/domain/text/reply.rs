//! `ReplyText`: the text of a reply that X would accept, checked once at the
//! edge (STYLE habit 5). Nothing is sent that did not pass `ReplyText::parse`:
//! not empty or only whitespace, no character twitter-text refuses, and a
//! weighted length of at most 280 — each refusal says the count.

use serde::{Deserialize, Serialize};

use super::{MAX_WEIGHTED_LENGTH, is_invalid_char, weighted_length};

/// Reply text that X would accept, with its weighted length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReplyText {
    text: String,
    weighted: usize,
    urls: usize,
}

/// Why a reply text would be refused. Each says the weighted length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyTextError {
    /// Nothing at all.
    #[error("reply is empty")]
    Empty,
    /// Only whitespace: X refuses a blank post.
    #[error("reply is only whitespace ({weighted} weighted characters)")]
    Blank {
        /// Its weighted length.
        weighted: usize,
    },
    /// Over X's limit.
    #[error("reply is {weighted} of {max} weighted characters ({} too many)", .weighted - .max)]
    TooLong {
        /// Its weighted length.
        weighted: usize,
        /// The limit, 280.
        max: usize,
    },
    /// Holds U+FFFE, U+FEFF or U+FFFF, which twitter-text refuses.
    #[error(
        "reply contains U+{:04X} at character {position}, which X refuses \
         ({weighted} of {max} weighted characters)",
        u32::from(*.ch),
        max = MAX_WEIGHTED_LENGTH
    )]
    InvalidChar {
        /// The character.
        ch: char,
        /// Its position, counting characters from 1.
        position: usize,
        /// The text's weighted length.
        weighted: usize,
    },
}

impl ReplyTextError {
    /// The refused text's weighted length.
    pub fn weighted_length(&self) -> usize {
        match self {
            ReplyTextError::Empty => 0,
            ReplyTextError::Blank { weighted }
            | ReplyTextError::TooLong { weighted, .. }
            | ReplyTextError::InvalidChar { weighted, .. } => *weighted,
        }
    }
}

impl ReplyText {
    /// Accepts `text` if X would: not blank, no invalid character, weighted
    /// length at most 280. The text is kept exactly as given.
    pub fn parse(text: impl Into<String>) -> Result<ReplyText, ReplyTextError> {
        let text = text.into();
        if text.is_empty() {
            return Err(ReplyTextError::Empty);
        }
        let length = weighted_length(&text);
        let weighted = length.weighted;
        if text.trim().is_empty() {
            return Err(ReplyTextError::Blank { weighted });
        }
        if weighted > MAX_WEIGHTED_LENGTH {
            return Err(ReplyTextError::TooLong {
                weighted,
                max: MAX_WEIGHTED_LENGTH,
            });
        }
        if let Some((ch, position)) = text.chars().zip(1..).find(|(c, _)| is_invalid_char(*c)) {
            return Err(ReplyTextError::InvalidChar {
                ch,
                position,
                weighted,
            });
        }
        debug_assert!(length.valid, "checks above match weighted_length's");
        Ok(ReplyText {
            text,
            weighted,
            urls: length.urls,
        })
    }

    /// The text, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Its weighted length (at most 280).
    pub fn weighted_length(&self) -> usize {
        self.weighted
    }

    /// Whether it contains a URL (which X prices higher).
    pub fn has_url(&self) -> bool {
        self.urls > 0
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl AsRef<str> for ReplyText {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for ReplyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for ReplyText {
    type Error = ReplyTextError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        ReplyText::parse(text)
    }
}

impl From<ReplyText> for String {
    fn from(reply: ReplyText) -> String {
        reply.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_within_the_limit_is_kept_as_given() {
        let r = ReplyText::parse("Thanks @ada, passed to our street cleansing team.").unwrap();
        assert_eq!(r.weighted_length(), 49);
        assert!(!r.has_url());
        assert_eq!(
            r.as_str(),
            "Thanks @ada, passed to our street cleansing team."
        );
        let full = ReplyText::parse("a".repeat(280)).unwrap();
        assert_eq!(full.weighted_length(), 280);
    }

    #[test]
    fn over_the_limit_says_the_count() {
        let e = ReplyText::parse("a".repeat(297)).unwrap_err();
        assert_eq!(
            e,
            ReplyTextError::TooLong {
                weighted: 297,
                max: 280
            }
        );
        assert_eq!(
            e.to_string(),
            "reply is 297 of 280 weighted characters (17 too many)"
        );
        assert_eq!(e.weighted_length(), 297);
        // CJK weighs 2: 141 characters are 282.
        let e = ReplyText::parse("字".repeat(141)).unwrap_err();
        assert!(e.to_string().starts_with("reply is 282 of 280"), "{e}");
    }

    #[test]
    fn empty_and_blank_are_refused() {
        assert_eq!(ReplyText::parse(""), Err(ReplyTextError::Empty));
        assert_eq!(
            ReplyText::parse("").unwrap_err().to_string(),
            "reply is empty"
        );
        let e = ReplyText::parse(" \n\t").unwrap_err();
        assert_eq!(e, ReplyTextError::Blank { weighted: 3 });
        assert_eq!(
            e.to_string(),
            "reply is only whitespace (3 weighted characters)"
        );
    }

    #[test]
    fn invalid_characters_are_refused_with_their_position() {
        let e = ReplyText::parse("ok\u{FEFF}then").unwrap_err();
        assert_eq!(
            e,
            ReplyTextError::InvalidChar {
                ch: '\u{FEFF}',
                position: 3,
                weighted: 8
            }
        );
        assert_eq!(
            e.to_string(),
            "reply contains U+FEFF at character 3, which X refuses (8 of 280 weighted characters)"
        );
    }

    #[test]
    fn urls_and_emoji_are_weighed_as_x_does() {
        let r = ReplyText::parse("Report it at https://www.croydon.gov.uk/report-it-now").unwrap();
        assert_eq!((r.weighted_length(), r.has_url()), (13 + 23, true));
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        let r = ReplyText::parse(family.repeat(140)).unwrap();
        assert_eq!(r.weighted_length(), 280);
        assert!(ReplyText::parse(family.repeat(141)).is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        let r: ReplyText = serde_json::from_str("\"Thanks!\"").unwrap();
        assert_eq!(r.as_str(), "Thanks!");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"Thanks!\"");
        let e = serde_json::from_str::<ReplyText>(&format!("\"{}\"", "a".repeat(281)));
        assert!(e.unwrap_err().to_string().contains("281 of 280"));
    }
}
