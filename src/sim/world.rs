//! The simulated X: accounts and posts held in memory, ordered by id.
//!
//! Post ids are snowflakes like X's: the creation time in milliseconds since
//! X's epoch shifted left 22 bits, so ids sort by time and `since_id` and
//! `start_time` agree. Each post's text is analysed once on arrival
//! (`TextIndex`, entities) so that searches only evaluate.

use std::collections::HashMap;

use crate::domain::query::{Document, TextIndex};
use crate::x::wire::{Entities, MentionEntity, TagEntity, UrlEntity};

/// X's snowflake epoch (2010-11-04T01:42:54.657Z) in Unix milliseconds.
pub const TWEPOCH_MS: i64 = 1_288_834_974_657;

/// The id of the first post at or after `ms`.
pub fn id_floor_for_ms(ms: i64) -> u64 {
    ((ms - TWEPOCH_MS).max(0) as u64) << 22
}

#[derive(Debug, Clone)]
pub struct SimUser {
    pub id: u64,
    pub username: String,
    pub name: String,
    pub created_ms: i64,
    pub description: Option<String>,
    pub location: Option<String>,
    pub verified: bool,
    pub protected: bool,
    pub followers: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Reply,
    Quote,
    Retweet,
}

#[derive(Debug, Clone)]
pub struct SimPost {
    pub id: u64,
    pub text: String,
    /// Index into `World::users`.
    pub author: usize,
    pub created_ms: i64,
    pub conversation_id: u64,
    /// (relation, target post id, target author index)
    pub reference: Option<(Relation, u64, usize)>,
    pub lang: String,
    pub reply_settings: String,
    pub source: String,
    pub index: TextIndex,
    pub entities: Entities,
    pub likes: u64,
}

impl SimPost {
    pub fn reply_target(&self) -> Option<(u64, usize)> {
        match self.reference {
            Some((Relation::Reply, id, author)) => Some((id, author)),
            _ => None,
        }
    }

    pub fn is(&self, relation: Relation) -> bool {
        matches!(self.reference, Some((r, _, _)) if r == relation)
    }
}

/// A post to add: what the generator, an injection or `POST /2/tweets` provides.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub author: usize,
    pub text: String,
    pub created_ms: i64,
    pub reference: Option<(Relation, u64)>,
    pub lang: String,
    pub reply_settings: String,
    pub source: String,
}

#[derive(Debug, Default)]
pub struct World {
    pub users: Vec<SimUser>,
    by_username: HashMap<String, usize>,
    by_user_id: HashMap<u64, usize>,
    /// Sorted by id ascending.
    pub posts: Vec<SimPost>,
    last_user_id: u64,
}

impl World {
    pub fn add_user(&mut self, mut user: SimUser) -> usize {
        if let Some(&i) = self.by_username.get(&user.username.to_lowercase()) {
            return i;
        }
        if user.id == 0 {
            self.last_user_id = self.last_user_id.max(1_000_000_000) + 7_919;
            user.id = self.last_user_id;
        }
        let i = self.users.len();
        self.by_username.insert(user.username.to_lowercase(), i);
        self.by_user_id.insert(user.id, i);
        self.users.push(user);
        i
    }

    pub fn user_by_name(&self, username: &str) -> Option<usize> {
        self.by_username.get(&username.to_lowercase()).copied()
    }

    pub fn user_by_id(&self, id: u64) -> Option<usize> {
        self.by_user_id.get(&id).copied()
    }

    pub fn post(&self, id: u64) -> Option<&SimPost> {
        self.posts
            .binary_search_by_key(&id, |p| p.id)
            .ok()
            .map(|i| &self.posts[i])
    }

    /// Adds a post and returns its id; the id is the first free snowflake at
    /// its creation time, so posts stay in id order even when back-dated.
    pub fn add_post(&mut self, new: NewPost) -> u64 {
        let mut id = id_floor_for_ms(new.created_ms);
        let mut at = self.posts.partition_point(|p| p.id < id);
        while self.posts.get(at).is_some_and(|p| p.id == id) {
            id += 1;
            at += 1;
        }
        let reference = new
            .reference
            .and_then(|(relation, target)| self.post(target).map(|t| (relation, target, t.author)));
        let conversation_id = match reference {
            Some((Relation::Reply, target, _)) => {
                self.post(target).map_or(id, |t| t.conversation_id)
            }
            _ => id,
        };
        let entities = extract_entities(&new.text, |name| {
            self.user_by_name(name).map(|i| self.users[i].id)
        });
        let likes = (id >> 7) % 40;
        let post = SimPost {
            id,
            index: TextIndex::new(&new.text),
            text: new.text,
            author: new.author,
            created_ms: new.created_ms,
            conversation_id,
            reference,
            lang: new.lang,
            reply_settings: new.reply_settings,
            source: new.source,
            entities,
            likes,
        };
        self.posts.insert(at, post);
        id
    }

    /// What the query evaluator sees of a post.
    pub fn document<'a>(&'a self, post: &'a SimPost) -> Document<'a> {
        let author = &self.users[post.author];
        let reply = post.reply_target();
        Document {
            text: &post.index,
            author_username: &author.username,
            in_reply_to_username: reply.map(|(_, u)| self.users[u].username.as_str()),
            lang: Some(&post.lang),
            conversation_id: post.conversation_id,
            in_reply_to_tweet_id: reply.map(|(id, _)| id),
            is_retweet: post.is(Relation::Retweet),
            is_reply: reply.is_some(),
            is_quote: post.is(Relation::Quote),
            has_media: false,
            is_verified: author.verified,
        }
    }

    /// Whether `post` mentions the user by handle.
    pub fn mentions(&self, post: &SimPost, user: usize) -> bool {
        let name = &self.users[user].username;
        post.entities
            .mentions
            .iter()
            .any(|m| m.username.eq_ignore_ascii_case(name))
    }
}

/// Finds hashtags, cashtags, mentions and URLs with X's code-point offsets.
pub fn extract_entities(text: &str, user_id: impl Fn(&str) -> Option<u64>) -> Entities {
    let chars: Vec<char> = text.chars().collect();
    let mut entities = Entities::default();
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0 || !is_word(chars[i - 1]);
        let c = chars[i];
        if boundary && (c == 'h' || c == 'H') && starts_url(&chars[i..]) {
            let end = url_end(&chars, i);
            let url: String = chars[i..end].iter().collect();
            entities.urls.push(UrlEntity {
                start: i,
                end,
                url: tco_for(&url),
                expanded_url: Some(url.clone()),
                display_url: Some(display_url(&url)),
            });
            i = end;
            continue;
        }
        if boundary && matches!(c, '#' | '$' | '@') {
            let end = (i + 1..chars.len())
                .find(|&j| !is_word(chars[j]))
                .unwrap_or(chars.len());
            let body: String = chars[i + 1..end].iter().collect();
            let valid = match c {
                '#' => !body.is_empty() && !body.chars().all(|c| c.is_ascii_digit()),
                '$' => {
                    (1..=6).contains(&body.len()) && body.chars().all(|c| c.is_ascii_alphabetic())
                }
                _ => {
                    (1..=15).contains(&body.len())
                        && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }
            };
            if valid {
                match c {
                    '#' => entities.hashtags.push(TagEntity {
                        start: i,
                        end,
                        tag: body,
                    }),
                    '$' => entities.cashtags.push(TagEntity {
                        start: i,
                        end,
                        tag: body,
                    }),
                    _ => entities.mentions.push(MentionEntity {
                        start: i,
                        end,
                        id: user_id(&body).map(|id| id.to_string()),
                        username: body,
                    }),
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    entities
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn starts_url(chars: &[char]) -> bool {
    let lower: String = chars.iter().take(8).collect::<String>().to_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn url_end(chars: &[char], start: usize) -> usize {
    let mut end = (start..chars.len())
        .find(|&j| chars[j].is_whitespace())
        .unwrap_or(chars.len());
    while end > start
        && matches!(
            chars[end - 1],
            '.' | ',' | '!' | '?' | ')' | ':' | ';' | '"' | '\''
        )
    {
        end -= 1;
    }
    end
}

/// A stable t.co-style short link for a URL.
fn tco_for(url: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in url.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let code: String = (0..10)
        .map(|k| ALPHABET[((h >> (k * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect();
    format!("https://t.co/{code}")
}

fn display_url(url: &str) -> String {
    let bare = url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    if bare.chars().count() > 26 {
        format!("{}…", bare.chars().take(25).collect::<String>())
    } else {
        bare.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_encode_time_and_sort() {
        let ms = 1_790_000_000_000;
        let id = id_floor_for_ms(ms);
        assert_eq!((id >> 22) as i64 + TWEPOCH_MS, ms);
        assert!(id_floor_for_ms(ms + 1) > id);
    }

    #[test]
    fn entities_use_code_point_offsets() {
        let e = extract_entities(
            "🚋 @YourCroydon #Croydon see https://croydon.gov.uk/bins. $GBP",
            |_| Some(7),
        );
        assert_eq!(e.mentions[0].start, 2);
        assert_eq!(e.mentions[0].username, "YourCroydon");
        assert_eq!(e.mentions[0].id.as_deref(), Some("7"));
        assert_eq!(e.hashtags[0].tag, "Croydon");
        assert_eq!(
            e.urls[0].expanded_url.as_deref(),
            Some("https://croydon.gov.uk/bins")
        );
        assert_eq!(e.cashtags[0].tag, "GBP");
    }

    #[test]
    fn email_is_not_a_mention_and_numbers_are_not_hashtags() {
        let e = extract_entities("mail me@example.com about #1 issue", |_| None);
        assert!(e.mentions.is_empty());
        assert!(e.hashtags.is_empty());
    }
}
