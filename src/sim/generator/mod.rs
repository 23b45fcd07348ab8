//! The simulator's seeded generator of realistic resident posts.
//!
//! [`Generator::new`] builds a cast of about 300 [`Resident`]s from a seed;
//! [`Generator::next_post`] then says who posts what next: complaints,
//! praise, lost property, transport, events, questions, abuse, @mentions and
//! quotes of the council, conversation replies, Welsh and community-language
//! posts, false friends (the other Croydons, or the word in another sense),
//! hostile text, off-topic noise and retweets, in roughly the mix a UK
//! borough sees. The server assigns ids and times; the caller passes a window
//! of recent posts so replies, quotes and retweets point at real posts.
//!
//! Pure logic: no I/O, no async, no clock. All randomness comes from one
//! `rand::rngs::ChaCha8Rng` seeded from the caller's seed, one of rand's named
//! generators whose output is documented as reproducible (unlike `StdRng` and
//! `SmallRng`), so the same seed, places and `recent` windows always give the
//! same posts. Depends on std and rand only.

mod compose;
mod gazetteer;
mod hostile;
mod languages;
mod names;
mod phrases;
mod render;
mod residents;
#[cfg(test)]
mod tests;

use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use render::{World, Writer};
use residents::{Group, Profile, SOURCES};

/// An account the generator posts as.
#[derive(Debug, Clone)]
pub struct Resident {
    /// 1 to 15 of `[A-Za-z0-9_]`, unique ignoring case.
    pub username: String,
    /// Display name; may hold emoji or non-Latin script.
    pub name: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub verified: bool,
    pub protected: bool,
    pub followers: u64,
}

/// A post the generator wants to exist somewhere in the world (the server
/// assigns ids and times).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Replies to the post with this id.
    Reply(u64),
    /// Quotes the post with this id.
    Quote(u64),
    /// Retweets the post with this id.
    Retweet(u64),
}

/// One generated post.
#[derive(Debug, Clone)]
pub struct GeneratedPost {
    /// Index into [`Generator::residents`].
    pub author: usize,
    /// The text as it appears on X (raw characters, not HTML-escaped).
    pub text: String,
    /// BCP 47 code: `en`, `cy`, `pl`, `ro`, `pt`, `es`, `fr`, `ur`, `zh`, `ta`, or `und`.
    pub lang: &'static str,
    pub kind: PostKind,
    pub target: Option<Target>,
    /// `everyone` mostly; sometimes `mentionedUsers` or `following`.
    pub reply_settings: &'static str,
    /// `Twitter for iPhone`, `Twitter for Android` or `Twitter Web App`.
    pub source: &'static str,
}

/// What a generated post is, for tests and for `/_sim/truth`-style checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostKind {
    Complaint,
    Praise,
    LostProperty,
    Transport,
    Event,
    Question,
    /// Swearing and insults aimed at the place or the council.
    Abuse,
    /// Addressed to the council's handle.
    MentionsCouncil,
    /// Quotes a council post.
    QuotesCouncil,
    /// Replies to a recent post.
    ConversationReply,
    Welsh,
    /// Polish, Romanian, Portuguese, Spanish, French, Urdu, Chinese or Tamil.
    OtherLanguage,
    /// Names the place in another sense (another Croydon, a person, slang).
    FalseFriend,
    /// Built to break rendering, storage or length checks.
    Hostile,
    /// Names no place at all.
    Noise,
    Retweet,
}

/// What the generator may reply to, quote or retweet.
#[derive(Debug, Clone)]
pub struct RecentPost {
    pub id: u64,
    pub author_username: String,
    pub by_council: bool,
}

/// The mix: relative weights, the brief's percentages times ten. They sum
/// to 1,060, so each kind's share is its weight / 1,060.
const KIND_WEIGHTS: &[(PostKind, u32)] = &[
    (PostKind::Complaint, 250),
    (PostKind::Praise, 80),
    (PostKind::LostProperty, 40),
    (PostKind::Transport, 100),
    (PostKind::Event, 60),
    (PostKind::Question, 50),
    (PostKind::Abuse, 50),
    (PostKind::MentionsCouncil, 80),
    (PostKind::QuotesCouncil, 30),
    (PostKind::ConversationReply, 80),
    (PostKind::Welsh, 20),
    (PostKind::OtherLanguage, 30),
    (PostKind::FalseFriend, 50),
    (PostKind::Hostile, 30),
    (PostKind::Noise, 80),
    (PostKind::Retweet, 30),
];

/// A post before the app and reply settings are chosen.
struct Draft {
    kind: PostKind,
    author: usize,
    text: String,
    lang: &'static str,
    target: Option<Target>,
}

/// Seeded source of resident posts; see the module docs.
pub struct Generator {
    rng: ChaCha8Rng,
    world: World,
    residents: Vec<Resident>,
    profiles: Vec<Profile>,
}

impl Generator {
    /// Builds about 300 residents from `seed`. `places` is the council's
    /// configured list (the first is the borough's own name; empty falls back
    /// to `Croydon`); `council_handle` may carry a leading `@`.
    pub fn new(seed: u64, places: &[String], council_handle: &str) -> Generator {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut places: Vec<String> = places
            .iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if places.is_empty() {
            places.push("Croydon".to_string());
        }
        let council = council_handle.trim().trim_start_matches('@').to_string();
        let (residents, profiles) = residents::build(&mut rng, &places, &council);
        let usernames = residents.iter().map(|r| r.username.clone()).collect();
        Generator {
            rng,
            world: World {
                places,
                council,
                usernames,
            },
            residents,
            profiles,
        }
    }

    /// The accounts posts are written by, in a fixed order.
    pub fn residents(&self) -> &[Resident] {
        &self.residents
    }

    /// The next post; `recent` is a window of recent posts (newest last),
    /// may be empty. Replies, quotes and retweets only target ids in it
    /// (quotes only the council's); without a fitting target the post
    /// becomes an ordinary one instead.
    pub fn next_post(&mut self, recent: &[RecentPost]) -> GeneratedPost {
        let kind = self.pick_kind();
        let draft = self.draft(kind, recent);
        let profile = &self.profiles[draft.author];
        let source = if self.rng.random_bool(0.9) {
            profile.device
        } else {
            SOURCES
                .choose(&mut self.rng)
                .map_or(profile.device, |s| s.0)
        };
        let reply_settings = match self.rng.random_range(0..100) {
            0..=91 => "everyone",
            92..=95 => "mentionedUsers",
            _ => "following",
        };
        GeneratedPost {
            author: draft.author,
            text: draft.text,
            lang: draft.lang,
            kind: draft.kind,
            target: draft.target,
            reply_settings,
            source,
        }
    }

    fn pick_kind(&mut self) -> PostKind {
        let total: u32 = KIND_WEIGHTS.iter().map(|k| k.1).sum();
        let mut r = self.rng.random_range(0..total);
        for &(kind, weight) in KIND_WEIGHTS {
            if r < weight {
                return kind;
            }
            r -= weight;
        }
        PostKind::Complaint
    }

    fn draft(&mut self, kind: PostKind, recent: &[RecentPost]) -> Draft {
        match kind {
            PostKind::QuotesCouncil => match self.pick_recent(recent, 5, |p| p.by_council) {
                Some(t) => self.quote(t),
                None => self.english(PostKind::MentionsCouncil),
            },
            PostKind::ConversationReply => match self.pick_recent(recent, 20, |_| true) {
                Some(t) => self.reply(t),
                None => self.english(PostKind::Complaint),
            },
            PostKind::Retweet => match self.pick_recent(recent, 30, |_| true) {
                Some(t) => self.retweet(t),
                None => self.english(PostKind::Complaint),
            },
            PostKind::Welsh => self.welsh(),
            PostKind::OtherLanguage => self.other_language(),
            PostKind::FalseFriend => self.false_friend(),
            PostKind::Hostile => {
                let author = self.author(|g| g.is_local() && g != Group::Org, None);
                let (text, lang) = hostile::build(&mut Writer::new(&mut self.rng, &self.world));
                Draft {
                    kind,
                    author,
                    text,
                    lang,
                    target: None,
                }
            }
            _ => self.english(kind),
        }
    }

    /// One of the newest `n` posts in `recent` that pass `keep`.
    fn pick_recent<'r>(
        &mut self,
        recent: &'r [RecentPost],
        n: usize,
        keep: impl Fn(&RecentPost) -> bool,
    ) -> Option<&'r RecentPost> {
        let candidates: Vec<&RecentPost> =
            recent.iter().rev().filter(|p| keep(p)).take(n).collect();
        candidates.choose(&mut self.rng).copied()
    }

    /// A resident whose group passes `fits`, weighted by how much they post,
    /// skipping `avoid` (a username) so nobody answers themselves.
    fn author(&mut self, fits: impl Fn(Group) -> bool, avoid: Option<&str>) -> usize {
        let eligible = |i: &usize| {
            fits(self.profiles[*i].group)
                && avoid.is_none_or(|a| !self.residents[*i].username.eq_ignore_ascii_case(a))
        };
        let total: u32 = (0..self.residents.len())
            .filter(eligible)
            .map(|i| self.profiles[i].activity)
            .sum();
        if total == 0 {
            return 0;
        }
        let mut r = self.rng.random_range(0..total);
        for i in (0..self.residents.len()).filter(eligible) {
            let weight = self.profiles[i].activity;
            if r < weight {
                return i;
            }
            r -= weight;
        }
        0
    }
}
