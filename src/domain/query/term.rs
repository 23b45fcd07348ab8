//! Terms: what one keyword, phrase, entity or operator means, decided once at parse
//! time (values folded or lower-cased here, never per evaluation), and how each is
//! matched against a [`Document`].
//!
//! Evaluated operators: keywords, `"phrases"`, `#hashtag`, `$cashtag`, `@mention`,
//! `from:`, `to:`, `url:`, `conversation_id:`, `in_reply_to_tweet_id:` (alias
//! `in_reply_to_status_id:`), `lang:`, `is:retweet|reply|quote|verified|nullcast`,
//! `has:links|mentions|hashtags|cashtags|media|media_link|images|videos|video_link|geo`.
//! `has:images` and `has:videos` use [`Document::has_media`] (the simulator does not
//! tell media kinds apart); `has:geo` and `is:nullcast` are never true (no geo data,
//! no ads), so `-is:nullcast` always is. `from:`/`to:` compare usernames only.
//!
//! X operators that need data a [`Document`] lacks (geo, places, context, entities,
//! lists, retweets/quotes of, engagement counts, bio and the like) are refused with
//! [`QueryError::UnavailableOperator`], the answer X gives when an access level lacks
//! an operator, rather than silently matching nothing.

use super::Document;
use super::error::QueryError;
use super::text::{TextIndex, fold, query_tokens};

/// `is:` properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IsFlag {
    Retweet,
    Reply,
    Quote,
    Verified,
    Nullcast,
}

/// `has:` properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HasFlag {
    Links,
    Mentions,
    Hashtags,
    Cashtags,
    Media,
    Geo,
}

/// One term of a query with its value already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    /// One folded token.
    Word(Box<str>),
    /// Consecutive folded tokens (two or more).
    Phrase(Box<[Box<str>]>),
    Hashtag(Box<str>),
    Cashtag(Box<str>),
    Mention(Box<str>),
    From(Box<str>),
    To(Box<str>),
    Url(Box<str>),
    ConversationId(u64),
    InReplyToTweetId(u64),
    Lang(Box<str>),
    Is(IsFlag),
    Has(HasFlag),
}

/// Operators X documents that a [`Document`] cannot answer.
const UNAVAILABLE: &[&str] = &[
    "retweets_of",
    "retweets_of_tweet_id",
    "quotes_of_tweet_id",
    "context",
    "entity",
    "list",
    "place",
    "place_country",
    "point_radius",
    "bounding_box",
    "geo_bounding_box",
    "min_likes",
    "min_replies",
    "min_reposts",
    "min_retweets",
    "min_faves",
    "sample",
    "bio",
    "bio_name",
    "bio_location",
    "followers_count",
    "source",
    "has_engagement",
];

impl Term {
    /// Interprets a bare word: entity, `name:value` operator, or keyword.
    pub(crate) fn from_word(word: &str, pos: usize) -> Result<Term, QueryError> {
        if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") {
            return Err(ambiguous(&word.to_ascii_lowercase(), pos));
        }
        let mut chars = word.chars();
        let first = chars.next().unwrap_or(' ');
        let rest = chars.as_str();
        match first {
            '#' | '＃' if !rest.is_empty() => return Ok(Term::Hashtag(fold(rest).into())),
            '@' | '＠' if !rest.is_empty() => {
                return Ok(Term::Mention(rest.to_lowercase().into()));
            }
            '$' if rest.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                return Ok(Term::Cashtag(rest.to_ascii_lowercase().into()));
            }
            _ => {}
        }
        if let Some((name, value)) = word.split_once(':')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Term::operator(name, value, pos);
        }
        Term::keyword(word, pos)
    }

    /// A keyword or quoted phrase: one folded token is a word, more are a phrase.
    pub(crate) fn keyword(text: &str, pos: usize) -> Result<Term, QueryError> {
        let mut tokens = query_tokens(text);
        match tokens.len() {
            0 if text.is_empty() => Err(QueryError::syntax("Empty phrase", pos)),
            0 => Err(QueryError::syntax(
                format!("no viable alternative at input '{text}'"),
                pos,
            )),
            1 => Ok(Term::Word(tokens.pop().unwrap_or_default())),
            _ => Ok(Term::Phrase(tokens.into_boxed_slice())),
        }
    }

    /// Interprets `name:value` (operator names are case-insensitive).
    pub(crate) fn operator(name: &str, value: &str, pos: usize) -> Result<Term, QueryError> {
        let op = name.to_ascii_lowercase();
        if UNAVAILABLE.contains(&op.as_str()) {
            return Err(QueryError::UnavailableOperator { op, position: pos });
        }
        if !is_known(&op) {
            return Err(QueryError::UnknownOperator { op, position: pos });
        }
        if value.is_empty() {
            return Err(QueryError::syntax(
                format!("Missing value for operator '{op}:'"),
                pos,
            ));
        }
        let bad_value = || QueryError::syntax(format!("Invalid value for operator '{op}:'"), pos);
        let lower = value.to_lowercase();
        Ok(match op.as_str() {
            "from" | "to" => {
                let user = lower.strip_prefix('@').unwrap_or(&lower);
                if user.is_empty() || !user.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(bad_value());
                }
                let user = user.into();
                if op == "from" {
                    Term::From(user)
                } else {
                    Term::To(user)
                }
            }
            "url" => Term::Url(lower.into()),
            "lang" => {
                if !lower.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(bad_value());
                }
                Term::Lang(lower.into())
            }
            "conversation_id" => Term::ConversationId(value.parse().map_err(|_| bad_value())?),
            "is" => Term::Is(is_flag(&lower, pos)?),
            "has" => Term::Has(has_flag(&lower, pos)?),
            _ => Term::InReplyToTweetId(value.parse().map_err(|_| bad_value())?),
        })
    }

    /// True for terms that may stand alone; `is:`, `has:` and `lang:` need company.
    pub(crate) fn is_standalone(&self) -> bool {
        !matches!(self, Term::Is(_) | Term::Has(_) | Term::Lang(_))
    }

    /// Matches a keyword, phrase or hashtag against analysed text; other
    /// terms never match here.
    pub(crate) fn matches_text(&self, text: &TextIndex) -> bool {
        match self {
            Term::Word(token) => text.contains_token(token),
            Term::Phrase(tokens) => text.contains_phrase(tokens),
            Term::Hashtag(tag) => text.hashtags().iter().any(|h| **h == **tag),
            _ => false,
        }
    }

    /// Matches this term against a post.
    pub(crate) fn matches(&self, doc: &Document<'_>) -> bool {
        let text = doc.text;
        match self {
            Term::Word(_) | Term::Phrase(_) | Term::Hashtag(_) => self.matches_text(text),
            Term::Cashtag(tag) => text.cashtags().iter().any(|c| **c == **tag),
            Term::Mention(user) => text.mentions().iter().any(|m| **m == **user),
            Term::From(user) => doc.author_username.eq_ignore_ascii_case(user),
            Term::To(user) => doc
                .in_reply_to_username
                .is_some_and(|u| u.eq_ignore_ascii_case(user)),
            Term::Url(part) => text.urls().iter().any(|u| u.contains(&**part)),
            Term::ConversationId(id) => doc.conversation_id == *id,
            Term::InReplyToTweetId(id) => doc.in_reply_to_tweet_id == Some(*id),
            Term::Lang(lang) => doc.lang.is_some_and(|l| l.eq_ignore_ascii_case(lang)),
            Term::Is(flag) => match flag {
                IsFlag::Retweet => doc.is_retweet,
                IsFlag::Reply => doc.is_reply,
                IsFlag::Quote => doc.is_quote,
                IsFlag::Verified => doc.is_verified,
                IsFlag::Nullcast => false,
            },
            Term::Has(flag) => match flag {
                HasFlag::Links => text.has_links(),
                HasFlag::Mentions => text.has_mentions(),
                HasFlag::Hashtags => text.has_hashtags(),
                HasFlag::Cashtags => text.has_cashtags(),
                HasFlag::Media => doc.has_media,
                HasFlag::Geo => false,
            },
        }
    }
}

fn is_known(op: &str) -> bool {
    matches!(
        op,
        "from"
            | "to"
            | "url"
            | "lang"
            | "conversation_id"
            | "in_reply_to_tweet_id"
            | "in_reply_to_status_id"
            | "is"
            | "has"
    )
}

fn is_flag(value: &str, pos: usize) -> Result<IsFlag, QueryError> {
    Ok(match value {
        "retweet" => IsFlag::Retweet,
        "reply" => IsFlag::Reply,
        "quote" => IsFlag::Quote,
        "verified" => IsFlag::Verified,
        "nullcast" => IsFlag::Nullcast,
        other => return Err(invalid(format!("is:{other}"), pos)),
    })
}

fn has_flag(value: &str, pos: usize) -> Result<HasFlag, QueryError> {
    Ok(match value {
        "links" => HasFlag::Links,
        "mentions" => HasFlag::Mentions,
        "hashtags" => HasFlag::Hashtags,
        "cashtags" => HasFlag::Cashtags,
        "media" | "media_link" | "images" | "videos" | "video_link" => HasFlag::Media,
        "geo" => HasFlag::Geo,
        other => return Err(invalid(format!("has:{other}"), pos)),
    })
}

fn invalid(op: String, position: usize) -> QueryError {
    QueryError::UnknownOperator { op, position }
}

/// X's message for a bare `and`/`or` (any case except the `OR` operator).
fn ambiguous(word: &str, pos: usize) -> QueryError {
    let join = if word == "and" { "a space" } else { "OR" };
    QueryError::syntax(
        format!(
            "Ambiguous use of {word} as a keyword. Use {join} to logically join two clauses, or \"{word}\" to find occurrences of {word} in text"
        ),
        pos,
    )
}
