//! The X API v2 wire format: the JSON shapes of requests and responses, shared by
//! the client (which reads them) and the simulator (which writes them).
//!
//! Field names follow the v2.166 spec (`edit_history_tweet_ids`, `includes.tweets`,
//! `referenced_tweets`); the v2.167 renames (`edit_history_post_ids`,
//! `includes.posts`, `referenced_posts`) are accepted as aliases when reading.
//! Unknown fields are ignored everywhere so that X adding a field never breaks us.
//! Optional fields are skipped when absent, so that a response carries only the
//! fields that were asked for.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The envelope of every v2 response: `data`, `includes`, `errors`, `meta`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response<T> {
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub includes: Option<Includes>,
    /// Partial errors: X may return them with a 200 beside the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Problem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl<T> Default for Response<T> {
    fn default() -> Self {
        Response {
            data: None,
            includes: None,
            errors: None,
            meta: None,
        }
    }
}

/// A post, as X calls it on the wire: a Tweet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tweet {
    pub id: String,
    pub text: String,
    #[serde(
        default,
        alias = "edit_history_post_ids",
        skip_serializing_if = "Option::is_none"
    )]
    pub edit_history_tweet_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to_user_id: Option<String>,
    #[serde(
        default,
        alias = "referenced_posts",
        skip_serializing_if = "Option::is_none"
    )]
    pub referenced_tweets: Option<Vec<ReferencedTweet>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_settings: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Entities>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_metrics: Option<PublicMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub possibly_sensitive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_text_range: Option<Vec<usize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_controls: Option<EditControls>,
    /// The full text of a post longer than 280; `text` is then truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_tweet: Option<NoteTweet>,
}

impl Tweet {
    /// The post's full text: `note_tweet.text` when X truncated `text`.
    pub fn full_text(&self) -> &str {
        self.note_tweet
            .as_ref()
            .map_or(self.text.as_str(), |n| n.text.as_str())
    }

    /// The id of the post this one references with the given kind, if any.
    pub fn referenced(&self, kind: ReferenceKind) -> Option<&str> {
        self.referenced_tweets
            .iter()
            .flatten()
            .find(|r| r.kind == kind)
            .map(|r| r.id.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferencedTweet {
    #[serde(rename = "type")]
    pub kind: ReferenceKind,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    Retweeted,
    Quoted,
    RepliedTo,
    /// A kind this version does not know; kept rather than failing the page.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashtags: Vec<TagEntity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cashtags: Vec<TagEntity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<MentionEntity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<UrlEntity>,
}

/// A hashtag or cashtag; `start`/`end` are code-point offsets, end exclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagEntity {
    pub start: usize,
    pub end: usize,
    pub tag: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionEntity {
    pub start: usize,
    pub end: usize,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlEntity {
    pub start: usize,
    pub end: usize,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expanded_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicMetrics {
    pub retweet_count: u64,
    pub reply_count: u64,
    pub like_count: u64,
    pub quote_count: u64,
    #[serde(default)]
    pub bookmark_count: u64,
    #[serde(default)]
    pub impression_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditControls {
    pub editable_until: String,
    pub edits_remaining: u32,
    pub is_edit_eligible: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteTweet {
    pub text: String,
}

/// An account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    /// Required by the spec, yet missing from some of X's own examples.
    #[serde(default)]
    pub name: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_metrics: Option<UserMetrics>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UserMetrics {
    pub followers_count: u64,
    pub following_count: u64,
    pub tweet_count: u64,
    pub listed_count: u64,
}

/// Expanded objects referenced from `data`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Includes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    #[serde(default, alias = "posts", skip_serializing_if = "Vec::is_empty")]
    pub tweets: Vec<Tweet>,
}

impl Includes {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.tweets.is_empty()
    }
}

/// Paging information. An empty result carries only `result_count: 0`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_id: Option<String>,
    #[serde(default)]
    pub result_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_token: Option<String>,
}

/// An RFC 7807 problem as X sends it. Type-specific members (`errors`,
/// `parameter`, `period`, `scope`, `resource_id`, …) are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The v1.1-style error body that X still sends for some 429s:
/// `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyErrors {
    pub errors: Vec<LegacyError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyError {
    #[serde(default)]
    pub code: Option<i64>,
    pub message: String,
}

/// `POST /2/tweets` request body. Unknown keys are refused, as X's schema says
/// (`additionalProperties: false`); keys placeholder accepts but does not act on
/// are carried as raw JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTweetRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyTo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_tweet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_settings: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_message_deep_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_super_followers_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullcast: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_with_followers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_with_ai: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_partnership: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_options: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyTo {
    pub in_reply_to_tweet_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_reply_user_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_populate_reply_metadata: Option<bool>,
}

/// `POST /2/tweets` 201 body's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedTweet {
    pub id: String,
    pub text: String,
    #[serde(
        default,
        alias = "edit_history_post_ids",
        skip_serializing_if = "Option::is_none"
    )]
    pub edit_history_tweet_ids: Option<Vec<String>>,
}

/// OAuth 2.0 token endpoint success body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// OAuth 2.0 token endpoint error body, as X sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// Problem `type` URIs X uses (v2.166 spelling).
pub mod problem_type {
    pub const INVALID_REQUEST: &str = "https://api.twitter.com/2/problems/invalid-request";
    pub const USAGE_CAPPED: &str = "https://api.twitter.com/2/problems/usage-capped";
    pub const CREDITS: &str = "https://api.twitter.com/2/problems/credits";
    pub const UNSUPPORTED_AUTH: &str =
        "https://api.twitter.com/2/problems/unsupported-authentication";
    pub const NOT_FOUND: &str = "https://api.twitter.com/2/problems/resource-not-found";
    pub const CLIENT_FORBIDDEN: &str = "https://api.twitter.com/2/problems/client-forbidden";
    pub const ABOUT_BLANK: &str = "about:blank";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v2_167_names() {
        let body = r#"{"data":[{"id":"1","text":"hi","edit_history_post_ids":["1"],
            "referenced_posts":[{"type":"replied_to","id":"0"}],"brand_new":true}],
            "includes":{"posts":[{"id":"0","text":"parent"}]},"meta":{"result_count":1}}"#;
        let r: Response<Vec<Tweet>> = serde_json::from_str(body).unwrap();
        let t = &r.data.unwrap()[0];
        assert_eq!(
            t.edit_history_tweet_ids.as_deref(),
            Some(&["1".to_string()][..])
        );
        assert_eq!(t.referenced(ReferenceKind::RepliedTo), Some("0"));
        assert_eq!(r.includes.unwrap().tweets[0].text, "parent");
    }

    #[test]
    fn empty_result_serialises_as_x_does() {
        let r: Response<Vec<Tweet>> = Response {
            meta: Some(Meta::default()),
            ..Response::default()
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"meta":{"result_count":0}}"#
        );
    }

    #[test]
    fn create_request_refuses_unknown_keys() {
        let err = serde_json::from_str::<CreateTweetRequest>(r#"{"text":"x","colour":"red"}"#);
        assert!(err.is_err());
        let ok: CreateTweetRequest =
            serde_json::from_str(r#"{"text":"x","reply":{"in_reply_to_tweet_id":"5"}}"#).unwrap();
        assert_eq!(ok.reply.unwrap().in_reply_to_tweet_id, "5");
    }

    #[test]
    fn problem_keeps_extra_members() {
        let p: Problem = serde_json::from_str(
            r#"{"title":"UsageCapExceeded","period":"Monthly","scope":"Product","detail":"d","type":"https://api.twitter.com/2/problems/usage-capped"}"#,
        )
        .unwrap();
        assert_eq!(p.kind, problem_type::USAGE_CAPPED);
        assert_eq!(p.extra["period"], "Monthly");
    }
}
