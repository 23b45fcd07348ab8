//! Writing each kind of post: choosing the author, the template and the
//! target, then adding what people add (hashtags, emoji, links, a cc).

use rand::RngExt;
use rand::seq::IndexedRandom;

use super::languages::{self, Region};
use super::render::{Writer, hashtag_body};
use super::residents::Group;
use super::{Draft, Generator, PostKind, RecentPost, Target, gazetteer, phrases, render};

impl Generator {
    /// An English post about the area, of a kind with its own template table.
    pub(super) fn english(&mut self, kind: PostKind) -> Draft {
        let (kind, table) = match kind {
            PostKind::Praise => (kind, phrases::PRAISE),
            PostKind::LostProperty => (kind, phrases::LOST_PROPERTY),
            PostKind::Transport => (kind, phrases::TRANSPORT),
            PostKind::Event => (kind, phrases::EVENT),
            PostKind::Question => (kind, phrases::QUESTION),
            PostKind::Abuse => (kind, phrases::ABUSE),
            PostKind::MentionsCouncil => (kind, phrases::MENTIONS_COUNCIL),
            PostKind::Noise => (kind, phrases::NOISE),
            _ => (PostKind::Complaint, phrases::COMPLAINT),
        };
        let author = match kind {
            PostKind::Noise => self.author(|_| true, None),
            PostKind::Abuse => self.author(|g| g.is_local() && g != Group::Org, None),
            _ => self.author(Group::is_local, None),
        };
        let mut w = Writer::new(&mut self.rng, &self.world);
        let text = w.render_any(table);
        let text = decorate(&mut w, text, kind);
        Draft {
            kind,
            author,
            text,
            lang: "en",
            target: None,
        }
    }

    pub(super) fn quote(&mut self, target: &RecentPost) -> Draft {
        let author = self.author(Group::is_local, Some(&target.author_username));
        let mut w = Writer::new(&mut self.rng, &self.world);
        let text = w.render_any(phrases::QUOTES_COUNCIL);
        let text = decorate(&mut w, text, PostKind::QuotesCouncil);
        let target = Some(Target::Quote(target.id));
        Draft {
            kind: PostKind::QuotesCouncil,
            author,
            text,
            lang: "en",
            target,
        }
    }

    pub(super) fn reply(&mut self, target: &RecentPost) -> Draft {
        let author = self.author(Group::is_local, Some(&target.author_username));
        let mut w = Writer::new(&mut self.rng, &self.world);
        let table = if target.by_council && w.rng.random_bool(0.5) {
            phrases::QUOTES_COUNCIL
        } else {
            phrases::CONVERSATION
        };
        let body = w.render_any(table);
        let text = if w.rng.random_bool(0.75) {
            format!("@{} {body}", target.author_username)
        } else {
            body
        };
        let target = Some(Target::Reply(target.id));
        Draft {
            kind: PostKind::ConversationReply,
            author,
            text,
            lang: "en",
            target,
        }
    }

    pub(super) fn retweet(&mut self, target: &RecentPost) -> Draft {
        let author = self.author(Group::is_local, Some(&target.author_username));
        let mut w = Writer::new(&mut self.rng, &self.world);
        let table = if target.by_council {
            phrases::COUNCIL_ANNOUNCEMENTS
        } else {
            [
                phrases::COMPLAINT,
                phrases::PRAISE,
                phrases::EVENT,
                phrases::LOST_PROPERTY,
                phrases::TRANSPORT,
            ]
            .choose(w.rng)
            .copied()
            .unwrap_or(phrases::COMPLAINT)
        };
        let body = w.render_any(table);
        let text = truncate(&format!("RT @{}: {body}", target.author_username), 280);
        let target = Some(Target::Retweet(target.id));
        Draft {
            kind: PostKind::Retweet,
            author,
            text,
            lang: "en",
            target,
        }
    }

    pub(super) fn welsh(&mut self) -> Draft {
        let author = self.author(|g| g == Group::Welsh, None);
        let mut w = Writer::new(&mut self.rng, &self.world);
        let mut text = w.render_any(languages::WELSH);
        if w.rng.random_bool(0.15) {
            text.push_str(" #Cymraeg");
        }
        Draft {
            kind: PostKind::Welsh,
            author,
            text,
            lang: "cy",
            target: None,
        }
    }

    pub(super) fn other_language(&mut self) -> Draft {
        let language = languages::OTHER
            .choose_weighted(&mut self.rng, |l| l.weight)
            .unwrap_or(&languages::OTHER[0]);
        let group = match language.code {
            "pl" => Group::Polish,
            "ro" => Group::Romanian,
            "pt" => Group::Portuguese,
            "es" => Group::Spanish,
            "fr" => Group::French,
            "ur" => Group::Urdu,
            "zh" => Group::Chinese,
            _ => Group::Tamil,
        };
        let author = self.author(|g| g == group, None);
        let mut w = Writer::new(&mut self.rng, &self.world);
        let text = w.render_any(language.templates);
        Draft {
            kind: PostKind::OtherLanguage,
            author,
            text,
            lang: language.code,
            target: None,
        }
    }

    pub(super) fn false_friend(&mut self) -> Draft {
        let &(region, template) = languages::FALSE_FRIENDS
            .choose(&mut self.rng)
            .unwrap_or(&languages::FALSE_FRIENDS[0]);
        let author = match region {
            Region::Australia => self.author(|g| g == Group::Australian, None),
            Region::America => self.author(|g| g == Group::American, None),
            Region::Anywhere => self.author(|g| g != Group::Org, None),
        };
        let mut w = Writer::new(&mut self.rng, &self.world);
        let text = w.render(template);
        Draft {
            kind: PostKind::FalseFriend,
            author,
            text,
            lang: "en",
            target: None,
        }
    }
}

/// Adds what people add: hashtags, emoji, a link, a cc, shouting or lower
/// case. Noise gets no place hashtag, council link or mention. Anything that
/// would push the post past 280 characters is dropped.
fn decorate(w: &mut Writer<'_>, text: String, kind: PostKind) -> String {
    let about_place = kind != PostKind::Noise;
    let mut out = match w.rng.random_range(0..100) {
        0..=3 if matches!(kind, PostKind::Complaint | PostKind::Abuse) => text.to_uppercase(),
        4..=7 => text.to_lowercase(),
        _ => text.clone(),
    };
    if about_place && w.rng.random_bool(0.2) {
        let tag = if w.rng.random_bool(0.5) {
            format!("#{}", hashtag_body(&w.place()))
        } else {
            render::pick(w.rng, phrases::topic_tags(kind)).to_string()
        };
        if !out.to_lowercase().contains(&tag.to_lowercase()) {
            out = format!("{out} {tag}");
        }
    }
    if w.rng.random_bool(0.2) {
        let mood = match kind {
            PostKind::Praise | PostKind::Event => gazetteer::HAPPY,
            PostKind::Complaint
            | PostKind::Abuse
            | PostKind::Transport
            | PostKind::MentionsCouncil
            | PostKind::QuotesCouncil => gazetteer::GRUMPY,
            _ => gazetteer::EMOJI,
        };
        out = format!("{out} {}", render::pick(w.rng, mood));
    }
    if w.rng.random_bool(0.08) {
        let url = match kind {
            PostKind::Noise => w.media_link(),
            PostKind::Transport => w.travel_url(),
            _ => w.url(),
        };
        out = format!("{out} {url}");
    }
    if about_place && w.rng.random_bool(0.05) {
        out = format!("{out} cc {}", w.mention());
    }
    if out.chars().count() > 280 { text } else { out }
}

/// At most `max` characters, ending in `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}
