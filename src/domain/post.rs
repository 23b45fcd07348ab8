//! A post and its author as placewatch keeps them, independent of X's wire
//! format. `raw` is the post's JSON exactly as X sent it, so nothing X said is
//! lost even for fields placewatch does not model.

use serde::{Deserialize, Serialize};

/// A post read from X.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: u64,
    /// The full text (X's `note_tweet.text` for long posts), byte-exact.
    pub text: String,
    pub author_id: Option<u64>,
    /// RFC 3339, as X sent it.
    pub created_at: Option<String>,
    pub conversation_id: Option<u64>,
    pub in_reply_to_user_id: Option<u64>,
    /// The post this one replies to.
    pub replied_to: Option<u64>,
    /// The post this one quotes.
    pub quoted: Option<u64>,
    pub is_retweet: bool,
    pub lang: Option<String>,
    /// Who may reply (`everyone`, `mentionedUsers`, `following`, …).
    pub reply_settings: Option<String>,
    /// Usernames mentioned in the text, as written (without `@`).
    pub mentions: Vec<String>,
    /// The post's JSON exactly as received.
    pub raw: String,
}

/// An account that wrote a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: u64,
    pub username: String,
    pub name: String,
}
