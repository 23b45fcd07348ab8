//! Turning simulated posts and accounts into X's JSON: the `*.fields` and
//! `expansions` parameters decide what appears, and `id`, `text` and
//! `edit_history_tweet_ids` (posts) or `id`, `name`, `username` (accounts) always do.

use std::collections::HashSet;

use time::OffsetDateTime;
use time::macros::format_description;

use super::error::ApiError;
use super::world::{Relation, SimPost, SimUser, World};
use crate::x::wire::{
    EditControls, Entities, Includes, NoteTweet, PublicMetrics, ReferenceKind, ReferencedTweet,
    Tweet, User, UserMetrics,
};

pub const TWEET_FIELDS: &[&str] = &[
    "article",
    "attachments",
    "author_id",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "matched_media_notes",
    "media_metadata",
    "non_public_metrics",
    "note_tweet",
    "organic_metrics",
    "paid_partnership",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "scopes",
    "source",
    "suggested_source_links",
    "suggested_source_links_with_counts",
    "text",
    "withheld",
];
pub const EXPANSIONS: &[&str] = &[
    "article.cover_media",
    "article.media_entities",
    "attachments.media_keys",
    "attachments.media_source_tweet",
    "attachments.poll_ids",
    "author_id",
    "edit_history_tweet_ids",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "entities.note.mentions.username",
    "referenced_tweets.id",
    "referenced_tweets.id.attachments.media_keys",
    "referenced_tweets.id.author_id",
];
pub const USER_EXPANSIONS: &[&str] = &[
    "affiliation.user_id",
    "most_recent_tweet_id",
    "pinned_tweet_id",
];
pub const USER_FIELDS: &[&str] = &[
    "affiliation",
    "confirmed_email",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "most_recent_tweet_id",
    "name",
    "parody",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
];
pub const PLACE_FIELDS: &[&str] = &[
    "contained_within",
    "country",
    "country_code",
    "full_name",
    "geo",
    "id",
    "name",
    "place_type",
];
pub const MEDIA_FIELDS: &[&str] = &[
    "alt_text",
    "duration_ms",
    "height",
    "media_key",
    "non_public_metrics",
    "organic_metrics",
    "preview_image_url",
    "promoted_metrics",
    "public_metrics",
    "type",
    "url",
    "variants",
    "width",
];
pub const POLL_FIELDS: &[&str] = &[
    "duration_minutes",
    "end_datetime",
    "id",
    "options",
    "voting_status",
];

/// What the caller asked to see.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    tweet: HashSet<&'static str>,
    user: HashSet<&'static str>,
    expansions: HashSet<&'static str>,
}

/// Parses a comma-separated enum parameter, refusing values X does not know.
fn parse_list(
    name: &str,
    value: Option<&str>,
    allowed: &'static [&'static str],
) -> Result<HashSet<&'static str>, ApiError> {
    let mut set = HashSet::new();
    let Some(value) = value else { return Ok(set) };
    for item in value.split(',') {
        match allowed.iter().find(|a| **a == item) {
            Some(known) => {
                set.insert(*known);
            }
            None => {
                return Err(ApiError::invalid_param(
                    name,
                    item,
                    format!(
                        "The `{name}` query parameter value [{item}] is not one of [{}]",
                        allowed.join(",")
                    ),
                ));
            }
        }
    }
    Ok(set)
}

impl Fields {
    /// Reads the field and expansion parameters of a post-returning endpoint.
    pub fn for_posts(get: impl Fn(&str) -> Option<String>) -> Result<Fields, ApiError> {
        parse_list("place.fields", get("place.fields").as_deref(), PLACE_FIELDS)?;
        parse_list("media.fields", get("media.fields").as_deref(), MEDIA_FIELDS)?;
        parse_list("poll.fields", get("poll.fields").as_deref(), POLL_FIELDS)?;
        Ok(Fields {
            tweet: parse_list("tweet.fields", get("tweet.fields").as_deref(), TWEET_FIELDS)?,
            user: parse_list("user.fields", get("user.fields").as_deref(), USER_FIELDS)?,
            expansions: parse_list("expansions", get("expansions").as_deref(), EXPANSIONS)?,
        })
    }

    /// Reads the parameters of `GET /2/users/me`.
    pub fn for_user(get: impl Fn(&str) -> Option<String>) -> Result<Fields, ApiError> {
        parse_list("expansions", get("expansions").as_deref(), USER_EXPANSIONS)?;
        Ok(Fields {
            tweet: parse_list("tweet.fields", get("tweet.fields").as_deref(), TWEET_FIELDS)?,
            user: parse_list("user.fields", get("user.fields").as_deref(), USER_FIELDS)?,
            expansions: HashSet::new(),
        })
    }

    fn t(&self, name: &str) -> bool {
        self.tweet.contains(name)
    }
}

/// X's timestamp format: whole seconds with a `.000Z` suffix.
pub fn format_time(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].000Z"
    ))
    .unwrap_or_default()
}

/// The longest prefix X shows in `text` before a post becomes a long ("note") post.
const SHORT_TEXT_CHARS: usize = 280;

/// X's v2 API sends post text with `&`, `<` and `>` as HTML entities.
fn escape_text(text: &str) -> String {
    if !text.contains(['&', '<', '>']) {
        return text.to_string();
    }
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render_post(world: &World, post: &SimPost, f: &Fields) -> Tweet {
    let id = post.id.to_string();
    let long = post.text.chars().count() > SHORT_TEXT_CHARS;
    let text = if long {
        escape_text(&post.text.chars().take(SHORT_TEXT_CHARS).collect::<String>())
    } else {
        escape_text(&post.text)
    };
    let reference = post.reference.map(|(relation, target, _)| ReferencedTweet {
        kind: match relation {
            Relation::Reply => ReferenceKind::RepliedTo,
            Relation::Quote => ReferenceKind::Quoted,
            Relation::Retweet => ReferenceKind::Retweeted,
        },
        id: target.to_string(),
    });
    let author = &world.users[post.author];
    Tweet {
        edit_history_tweet_ids: Some(vec![id.clone()]),
        id,
        text,
        author_id: f.t("author_id").then(|| author.id.to_string()),
        created_at: f.t("created_at").then(|| format_time(post.created_ms)),
        conversation_id: f
            .t("conversation_id")
            .then(|| post.conversation_id.to_string()),
        in_reply_to_user_id: f
            .t("in_reply_to_user_id")
            .then(|| {
                post.reply_target()
                    .map(|(_, u)| world.users[u].id.to_string())
            })
            .flatten(),
        referenced_tweets: f
            .t("referenced_tweets")
            .then(|| reference.map(|r| vec![r]))
            .flatten(),
        reply_settings: f.t("reply_settings").then(|| post.reply_settings.clone()),
        lang: f.t("lang").then(|| post.lang.clone()),
        entities: f
            .t("entities")
            .then(|| post.entities.clone())
            .filter(|e| *e != Entities::default()),
        public_metrics: f.t("public_metrics").then_some(PublicMetrics {
            like_count: post.likes,
            reply_count: post.likes / 5,
            retweet_count: post.likes / 7,
            quote_count: post.likes / 13,
            bookmark_count: post.likes / 11,
            impression_count: post.likes * 37 + 12,
        }),
        possibly_sensitive: f.t("possibly_sensitive").then_some(false),
        source: f.t("source").then(|| post.source.clone()),
        display_text_range: f
            .t("display_text_range")
            .then(|| vec![0, post.text.chars().count().min(SHORT_TEXT_CHARS)]),
        edit_controls: f.t("edit_controls").then(|| EditControls {
            editable_until: format_time(post.created_ms + 3_600_000),
            edits_remaining: 5,
            is_edit_eligible: true,
        }),
        note_tweet: (long && f.t("note_tweet")).then(|| NoteTweet {
            text: escape_text(&post.text),
        }),
    }
}

pub fn render_user(user: &SimUser, f: &Fields) -> User {
    let u = |name: &str| f.user.contains(name);
    User {
        id: user.id.to_string(),
        name: user.name.clone(),
        username: user.username.clone(),
        created_at: u("created_at").then(|| format_time(user.created_ms)),
        description: u("description").then(|| user.description.clone().unwrap_or_default()),
        location: u("location").then(|| user.location.clone()).flatten(),
        protected: u("protected").then_some(user.protected),
        verified: u("verified").then_some(user.verified),
        profile_image_url: u("profile_image_url").then(|| {
            format!(
                "https://pbs.twimg.com/profile_images/{}/avatar_normal.jpg",
                user.id
            )
        }),
        public_metrics: u("public_metrics").then_some(UserMetrics {
            followers_count: user.followers,
            following_count: user.followers / 3 + 11,
            tweet_count: user.followers * 2 + 40,
            listed_count: user.followers / 50,
        }),
    }
}

/// The `includes` for a page of posts, and the ids of the accounts in it.
pub fn render_includes(
    world: &World,
    posts: &[&SimPost],
    f: &Fields,
) -> (Option<Includes>, Vec<u64>) {
    let mut includes = Includes::default();
    let mut user_ids: Vec<u64> = Vec::new();
    let mut add_user = |idx: usize, includes: &mut Includes| {
        let user = &world.users[idx];
        if !user_ids.contains(&user.id) {
            user_ids.push(user.id);
            includes.users.push(render_user(user, f));
        }
    };
    let e = |name: &str| f.expansions.contains(name);
    for post in posts {
        if e("author_id") {
            add_user(post.author, &mut includes);
        }
        if e("in_reply_to_user_id")
            && let Some((_, u)) = post.reply_target()
        {
            add_user(u, &mut includes);
        }
        if e("entities.mentions.username") {
            for m in &post.entities.mentions {
                if let Some(u) = world.user_by_name(&m.username) {
                    add_user(u, &mut includes);
                }
            }
        }
        if e("referenced_tweets.id")
            && let Some((_, target, target_author)) = post.reference
            && let Some(t) = world.post(target)
        {
            if !includes.tweets.iter().any(|x| x.id == target.to_string()) {
                includes.tweets.push(render_post(world, t, f));
            }
            if e("referenced_tweets.id.author_id") {
                add_user(target_author, &mut includes);
            }
        }
    }
    ((!includes.is_empty()).then_some(includes), user_ids)
}
