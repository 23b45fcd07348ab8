//! Whether the council can answer a post through the API or only by hand in X, and
//! whether the post *summons* the council.
//!
//! Since 2026-02-23 X lets a self-serve app reply to someone else's post only when that
//! post's author @mentioned the replying account or quoted one of its posts; replies
//! to the account's own posts also work (FACTS §5, "Reply restriction"). Separately,
//! an author's conversation controls (`reply_settings` other than `everyone`) refuse
//! a reply unless the account was mentioned. The simulator enforces the same two
//! checks (`sim::api::posts::check_engagement`), so [`reply_path`] predicts its 403s.

use serde::{Deserialize, Serialize};

use crate::domain::post::Post;

/// The council's X account when it is logged in: X told placewatch its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The account's user id.
    pub id: u64,
    /// The username, without `@`.
    pub handle: String,
}

/// The council's own X account, resolved once at start-up.
///
/// Logged in, placewatch knows the account's id: it reads the mentions
/// timeline, recognises the council's own posts, quotes of them and replies to
/// them, and can reply through the API. Not logged in (or X refused the
/// login), only the configured handle is known: mentions are searched by name
/// and nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Council {
    LoggedIn(Account),
    NotLoggedIn {
        /// The configured username, without `@`.
        handle: String,
    },
}

impl Council {
    /// The username, without `@`; compared case-insensitively.
    pub fn handle(&self) -> &str {
        match self {
            Council::LoggedIn(account) => &account.handle,
            Council::NotLoggedIn { handle } => handle,
        }
    }

    /// The logged-in account, if there is one.
    pub fn account(&self) -> Option<&Account> {
        match self {
            Council::LoggedIn(account) => Some(account),
            Council::NotLoggedIn { .. } => None,
        }
    }

    /// True when `user` is known to be the council's account.
    fn is_user(&self, user: Option<u64>) -> bool {
        matches!((self, user), (Council::LoggedIn(a), Some(id)) if a.id == id)
    }

    /// True when `username` (with or without a leading `@`) is the council's handle,
    /// ignoring case.
    pub fn is_handle(&self, username: &str) -> bool {
        let own = self.handle().trim().trim_start_matches('@');
        let other = username.trim().trim_start_matches('@');
        !own.is_empty() && own.eq_ignore_ascii_case(other)
    }
}

/// How the council can answer a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyPath {
    /// placewatch can send the reply through the X API.
    Api,
    /// X would refuse an API reply: an officer must answer by hand on x.com.
    Manual,
}

impl ReplyPath {
    /// The stored and serialised name: `api` or `manual`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyPath::Api => "api",
            ReplyPath::Manual => "manual",
        }
    }
}

/// True when the post's author mentioned the council (any case).
fn mentions_council(post: &Post, council: &Council) -> bool {
    post.mentions.iter().any(|m| council.is_handle(m))
}

/// True when the post is the council's own.
fn is_own(post: &Post, council: &Council) -> bool {
    council.is_user(post.author_id)
}

/// The post summons the council: it mentions the council's handle (any case), quotes
/// one of the council's posts, or replies to one. This is the API test of
/// [`reply_path`] without the conversation controls and without the council's own
/// posts, which summon no one.
///
/// `quoted_author` and `replied_to_author` are the authors of the quoted and
/// replied-to posts when known. When `replied_to_author` is `None` the post's own
/// `in_reply_to_user_id` stands in for it (X sets it to the replied-to post's author).
pub fn summons(
    post: &Post,
    council: &Council,
    quoted_author: Option<u64>,
    replied_to_author: Option<u64>,
) -> bool {
    let replied_to = replied_to_author.or(post.in_reply_to_user_id);
    !is_own(post, council)
        && (mentions_council(post, council)
            || council.is_user(quoted_author)
            || council.is_user(replied_to))
}

/// Whether the council can answer through the API (X's 2026 rule: the author mentioned
/// the council, or quoted one of its posts, or the post replies to one of the council's
/// posts; or the post is the council's own) or only by hand in X. Also
/// [`ReplyPath::Manual`] when `reply_settings` is not `everyone` and the council is not
/// mentioned (and the post is not the council's own). A missing `reply_settings` is
/// read as `everyone`, X's default.
pub fn reply_path(
    post: &Post,
    council: &Council,
    quoted_author: Option<u64>,
    replied_to_author: Option<u64>,
) -> ReplyPath {
    if is_own(post, council) {
        return ReplyPath::Api;
    }
    let engaged = summons(post, council, quoted_author, replied_to_author);
    let open = post
        .reply_settings
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("everyone"))
        || mentions_council(post, council);
    if engaged && open {
        ReplyPath::Api
    } else {
        ReplyPath::Manual
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triage::test_post;

    const COUNCIL_ID: u64 = 100;
    const RESIDENT: u64 = 7;
    const OTHER: u64 = 8;

    fn council() -> Council {
        Council::LoggedIn(Account {
            id: COUNCIL_ID,
            handle: "CroydonCouncil".into(),
        })
    }

    fn post(text: &str, mentions: &[&str]) -> Post {
        let mut p = test_post(text);
        p.author_id = Some(RESIDENT);
        p.reply_settings = Some("everyone".into());
        p.mentions = mentions.iter().map(|m| m.to_string()).collect();
        p
    }

    /// (reply path, summons) for a post with the given quoted and replied-to authors.
    fn judge(p: &Post, quoted: Option<u64>, replied: Option<u64>) -> (ReplyPath, bool) {
        let c = council();
        (
            reply_path(p, &c, quoted, replied),
            summons(p, &c, quoted, replied),
        )
    }

    #[test]
    fn a_mention_in_any_case_opens_the_api_path() {
        for handle in [
            "CroydonCouncil",
            "croydoncouncil",
            "CROYDONCOUNCIL",
            "@croydonCouncil",
        ] {
            let p = post("@croydoncouncil bins not collected", &[handle]);
            assert_eq!(judge(&p, None, None), (ReplyPath::Api, true), "{handle}");
        }
        let p = post("@CroydonCouncilX hi", &["CroydonCouncilX"]);
        assert_eq!(judge(&p, None, None), (ReplyPath::Manual, false));
    }

    #[test]
    fn quoting_or_replying_to_the_council_opens_the_api_path() {
        let mut quote = post("this is nonsense", &[]);
        quote.quoted = Some(55);
        assert_eq!(
            judge(&quote, Some(COUNCIL_ID), None),
            (ReplyPath::Api, true)
        );
        assert_eq!(judge(&quote, Some(OTHER), None), (ReplyPath::Manual, false));

        let mut reply = post("when will it be fixed?", &[]);
        reply.replied_to = Some(56);
        assert_eq!(
            judge(&reply, None, Some(COUNCIL_ID)),
            (ReplyPath::Api, true)
        );
        assert_eq!(judge(&reply, None, Some(OTHER)), (ReplyPath::Manual, false));

        reply.in_reply_to_user_id = Some(COUNCIL_ID);
        assert_eq!(
            judge(&reply, None, None),
            (ReplyPath::Api, true),
            "in_reply_to_user_id stands in for an unknown replied-to author"
        );
    }

    #[test]
    fn the_councils_own_post_is_answerable_but_summons_no_one() {
        let mut own = post("Bin collections are running late", &[]);
        own.author_id = Some(COUNCIL_ID);
        own.reply_settings = Some("mentionedUsers".into());
        assert_eq!(judge(&own, None, None), (ReplyPath::Api, false));
    }

    #[test]
    fn not_logged_in_only_a_mention_is_recognised() {
        let c = Council::NotLoggedIn {
            handle: "CroydonCouncil".into(),
        };
        let mut quote = post("this is nonsense", &[]);
        quote.in_reply_to_user_id = Some(COUNCIL_ID);
        assert!(!summons(&quote, &c, Some(COUNCIL_ID), None));
        let mut own = post("Bin collections are running late", &[]);
        own.author_id = Some(COUNCIL_ID);
        assert_eq!(reply_path(&own, &c, None, None), ReplyPath::Manual);
        let mention = post("@CroydonCouncil fix it", &["croydoncouncil"]);
        assert!(summons(&mention, &c, None, None));
        assert_eq!(reply_path(&mention, &c, None, None), ReplyPath::Api);
    }

    #[test]
    fn a_post_that_merely_names_the_place_is_manual() {
        let p = post("Croydon is a dump", &[]);
        assert_eq!(judge(&p, None, None), (ReplyPath::Manual, false));
        let p = post("hey @bob look at Croydon", &["bob"]);
        assert_eq!(judge(&p, None, None), (ReplyPath::Manual, false));
    }

    #[test]
    fn conversation_controls_need_a_mention() {
        let mut reply = post("still waiting", &[]);
        reply.reply_settings = Some("mentionedUsers".into());
        assert_eq!(
            judge(&reply, None, Some(COUNCIL_ID)),
            (ReplyPath::Manual, true),
            "summoned by the reply, but the author's controls refuse the council"
        );
        let mut quote = post("look at this", &[]);
        quote.reply_settings = Some("following".into());
        assert_eq!(
            judge(&quote, Some(COUNCIL_ID), None),
            (ReplyPath::Manual, true)
        );

        let mut mentioned = post("@CroydonCouncil fix it", &["croydoncouncil"]);
        mentioned.reply_settings = Some("mentionedUsers".into());
        assert_eq!(judge(&mentioned, None, None), (ReplyPath::Api, true));

        let mut unset = post("@CroydonCouncil fix it", &["CroydonCouncil"]);
        unset.reply_settings = None;
        assert_eq!(judge(&unset, None, None), (ReplyPath::Api, true));
    }

    #[test]
    fn handles_compare_without_at_and_case() {
        let c = Council::NotLoggedIn {
            handle: "@CroydonCouncil".into(),
        };
        assert!(c.is_handle("croydoncouncil"));
        assert!(!c.is_handle("croydon"));
        let empty = Council::NotLoggedIn {
            handle: String::new(),
        };
        assert!(!empty.is_handle(""));
        assert_eq!(ReplyPath::Manual.as_str(), "manual");
        assert_eq!(serde_json::to_string(&ReplyPath::Api).unwrap(), "\"api\"");
    }
}
