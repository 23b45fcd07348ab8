//! The cast: about 300 accounts reflecting Croydon's population, plus local
//! groups, a few Welsh speakers, and some Australians and Americans from the
//! other Croydons who write the false-friend posts.
//!
//! Usernames are derived from the names the way people pick them, folded to
//! `[A-Za-z0-9_]`, at most 15 characters, and unique ignoring case (X treats
//! `JaneDoe` and `janedoe` as one account), never the council's own handle.

use std::collections::HashSet;

use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;

use super::Resident;
use super::names::{AUS_BIOS, BIOS, HANZI, LOCATIONS, ORG_BIOS, ORGS, US_BIOS, flags, names};
use super::render::pick;

/// A community an account belongs to; decides its names and languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    Local,
    Org,
    Welsh,
    Polish,
    Romanian,
    Portuguese,
    Spanish,
    French,
    Urdu,
    Chinese,
    Tamil,
    Australian,
    American,
}

impl Group {
    /// Lives in or near the borough (everyone but the other Croydons).
    pub fn is_local(self) -> bool {
        !matches!(self, Group::Australian | Group::American)
    }
}

/// What the generator knows about an account beyond its public profile.
#[derive(Debug, Clone)]
pub(super) struct Profile {
    pub group: Group,
    /// Relative posting frequency; a few accounts post a lot.
    pub activity: u32,
    /// The app the account usually posts from.
    pub device: &'static str,
}

/// Posting apps, by share.
pub(super) const SOURCES: &[(&str, u32)] = &[
    ("Twitter for iPhone", 50),
    ("Twitter for Android", 33),
    ("Twitter Web App", 17),
];

/// How many accounts of each group.
const PLAN: &[(Group, usize)] = &[
    (Group::Org, 8),
    (Group::Welsh, 8),
    (Group::Polish, 14),
    (Group::Romanian, 8),
    (Group::Portuguese, 8),
    (Group::Spanish, 6),
    (Group::French, 6),
    (Group::Urdu, 12),
    (Group::Chinese, 10),
    (Group::Tamil, 10),
    (Group::Australian, 8),
    (Group::American, 6),
    (Group::Local, 196),
];

/// Builds the cast, deterministically from `rng`.
pub(super) fn build(
    rng: &mut ChaCha8Rng,
    places: &[String],
    council: &str,
) -> (Vec<Resident>, Vec<Profile>) {
    let primary = places[0].as_str();
    let mut taken: HashSet<String> = HashSet::from([council.to_ascii_lowercase()]);
    let mut residents = Vec::new();
    let mut profiles = Vec::new();
    for &(group, count) in PLAN {
        for k in 0..count {
            let (name, first, last) = display_name(rng, group, primary, k);
            let wanted = if group == Group::Org {
                fold(&first)
            } else {
                fold(&username_for(rng, &first, &last))
            };
            let username = unique(rng, &wanted, &mut taken);
            let verified = if group == Group::Org {
                rng.random_bool(0.5)
            } else {
                rng.random_bool(0.05)
            };
            let protected = group != Group::Org && rng.random_bool(0.03);
            let followers = followers(rng, group, verified);
            residents.push(Resident {
                username,
                name,
                location: location(rng, group, places),
                description: bio(rng, group),
                verified,
                protected,
                followers,
            });
            profiles.push(Profile {
                group,
                activity: activity(rng),
                device: device(rng),
            });
        }
    }
    (residents, profiles)
}

/// The display name and the first and last names it came from.
fn display_name(
    rng: &mut ChaCha8Rng,
    group: Group,
    primary: &str,
    k: usize,
) -> (String, String, String) {
    if group == Group::Org {
        let (name, handle) = ORGS[k % ORGS.len()];
        return (
            name.replace("{p}", primary),
            handle.replace("{p}", primary),
            String::new(),
        );
    }
    if group == Group::Chinese && rng.random_bool(0.4) {
        let &(hanzi, first, last) = HANZI.choose(rng).unwrap_or(&HANZI[0]);
        let name = if rng.random_bool(0.5) {
            hanzi.to_string()
        } else {
            format!("{first} {last} {hanzi}")
        };
        return (name, first.into(), last.into());
    }
    let (firsts, lasts) = names(group);
    let first = pick(rng, firsts);
    let last = pick(rng, lasts);
    let name = match rng.random_range(0..10) {
        0..=5 => format!("{first} {last}"),
        6 => format!("{first} {}.", last.chars().next().unwrap_or('X')),
        7 => format!(
            "{first} {}",
            pick(rng, &["🌻", "✨", "💙", "🦅", "🌍", "☕"])
        ),
        8 => format!("{first} {last} {}", pick(rng, flags(group))),
        _ => first.to_lowercase(),
    };
    (name, first.into(), last.into())
}

/// A username as people choose them: `JaneDoe`, `jane_doe`, `janedoe87`, …
fn username_for(rng: &mut ChaCha8Rng, first: &str, last: &str) -> String {
    let (f, l) = (fold(first), fold(last));
    let (fl, ll) = (f.to_lowercase(), l.to_lowercase());
    let initial = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    match rng.random_range(0..9) {
        0 => format!("{f}{l}"),
        1 => format!("{fl}_{ll}"),
        2 => format!("{fl}{ll}{}", rng.random_range(70..=99)),
        3 => format!("{}{l}", initial(&f)),
        4 => format!("{l}_{f}"),
        5 => format!(
            "{f}{}",
            pick(rng, &["LDN", "_CR0", "_x", "SE25", "xx", "_"])
        ),
        6 => format!("the{fl}{ll}"),
        7 => format!("{fl}{}", initial(&ll)),
        _ => format!("{f}_{}", rng.random_range(1..=999)),
    }
}

/// Folds a name to `[A-Za-z0-9_]`, at most 15 characters.
pub(super) fn fold(name: &str) -> String {
    let folded: String = name
        .chars()
        .filter_map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '_' => Some(c),
            'ą' | 'ă' | 'â' | 'ã' | 'á' | 'à' => Some('a'),
            'ç' | 'ć' => Some('c'),
            'ę' | 'é' | 'è' | 'ë' => Some('e'),
            'î' | 'í' | 'ı' => Some('i'),
            'ł' => Some('l'),
            'Ł' => Some('L'),
            'ń' | 'ñ' => Some('n'),
            'ó' | 'ô' | 'ö' => Some('o'),
            'ś' | 'ș' | 'ş' => Some('s'),
            'ț' => Some('t'),
            'Ț' => Some('T'),
            'ú' | 'ü' => Some('u'),
            'ż' | 'ź' => Some('z'),
            _ => None,
        })
        .collect();
    folded.chars().take(15).collect()
}

/// Makes `wanted` unique (ignoring case) by swapping its tail for digits.
fn unique(rng: &mut ChaCha8Rng, wanted: &str, taken: &mut HashSet<String>) -> String {
    let mut name = if wanted.is_empty() {
        "user".to_string()
    } else {
        wanted.to_string()
    };
    while taken.contains(&name.to_ascii_lowercase()) {
        let digits = rng.random_range(1..10_000).to_string();
        let keep = wanted.len().min(15 - digits.len());
        name = format!("{}{digits}", &wanted[..keep]);
    }
    taken.insert(name.to_ascii_lowercase());
    name
}

fn location(rng: &mut ChaCha8Rng, group: Group, places: &[String]) -> Option<String> {
    let p = places[0].as_str();
    let loc = match group {
        Group::Australian => pick(
            rng,
            &[
                "{p}, Victoria",
                "Melbourne, Australia",
                "{p} Hills, VIC",
                "{p} NSW",
                "Sydney",
            ],
        ),
        Group::American => pick(
            rng,
            &[
                "{p}, PA",
                "Bucks County, PA",
                "Philadelphia, PA",
                "Bristol Township, PA",
            ],
        ),
        _ if rng.random_bool(0.25) => return None,
        _ if rng.random_bool(0.5) => {
            let place = places.choose(rng).map_or(p, String::as_str);
            return Some(if rng.random_bool(0.6) {
                format!("{place}, London")
            } else {
                place.to_string()
            });
        }
        _ => pick(rng, LOCATIONS),
    };
    Some(loc.replace("{p}", p))
}

fn bio(rng: &mut ChaCha8Rng, group: Group) -> Option<String> {
    let table = match group {
        Group::Org => return Some(pick(rng, ORG_BIOS).to_string()),
        Group::Australian => AUS_BIOS,
        Group::American => US_BIOS,
        _ => BIOS,
    };
    rng.random_bool(0.6).then(|| pick(rng, table).to_string())
}

fn followers(rng: &mut ChaCha8Rng, group: Group, verified: bool) -> u64 {
    let exp: f64 = match (group, verified) {
        (Group::Org, _) => rng.random_range(3.0..4.5),
        (_, true) => rng.random_range(2.5..4.2),
        _ => rng.random_range(0.3..3.3),
    };
    10f64.powf(exp) as u64
}

/// A heavy-tailed posting frequency, 1..=31.
fn activity(rng: &mut ChaCha8Rng) -> u32 {
    let u: f64 = rng.random_range(0.0..1.0);
    1 + (u.powi(4) * 31.0) as u32
}

fn device(rng: &mut ChaCha8Rng) -> &'static str {
    let total: u32 = SOURCES.iter().map(|s| s.1).sum();
    let mut r = rng.random_range(0..total);
    for &(name, weight) in SOURCES {
        if r < weight {
            return name;
        }
        r -= weight;
    }
    SOURCES[0].0
}
