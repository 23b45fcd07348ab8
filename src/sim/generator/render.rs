//! Filling template slots: place names with natural variation, Croydon's
//! streets, stations and landmarks, numbers, emoji, URLs and @mentions.
//!
//! A template is plain text with `{slot}` markers (see [`Writer::slot`] for
//! the list). A slot naming a thing (`{place}`, `{street}`, `{station}`, …)
//! is picked once per post, so a template that says `{street}` twice means the
//! same street; the *spelling* of a place (`Croydon`, `croydon`, `#Croydon`)
//! still varies per occurrence, as people's does. `{at}` is the place tagged
//! on the end of a post (`#Croydon`, `📍Croydon`, `(Croydon)`).

use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;

use super::gazetteer::{
    BUSES, DAYS, EMOJI, ITEMS, LANDMARKS, PETS, STATIONS, STREETS, TEAMS, TRAM_STOPS,
};

/// What every post may draw on: the configured places and the council.
#[derive(Debug, Clone)]
pub(super) struct World {
    /// The council's configured place names, in their order; never empty.
    pub places: Vec<String>,
    /// The council's handle without `@`.
    pub council: String,
    /// Usernames of all residents, for `{user}` mentions.
    pub usernames: Vec<String>,
}

impl World {
    /// The first configured place: the borough's own name.
    pub fn primary(&self) -> &str {
        &self.places[0]
    }

    /// The council's web domain, e.g. `croydon.gov.uk`.
    pub fn domain(&self) -> String {
        let slug: String = self
            .primary()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        format!("{}.gov.uk", slug.to_ascii_lowercase())
    }
}

/// Picks one element of a non-empty table.
pub(super) fn pick<'t>(rng: &mut ChaCha8Rng, table: &[&'t str]) -> &'t str {
    table.choose(rng).copied().unwrap_or_default()
}

/// `Thornton Heath` → `ThorntonHeath`, the way people write a hashtag.
pub(super) fn hashtag_body(place: &str) -> String {
    place
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|f| f.to_uppercase().chain(cs).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Random characters for link slugs.
fn slug(rng: &mut ChaCha8Rng, len: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())]))
        .collect()
}

/// Renders templates for one post.
pub(super) struct Writer<'a> {
    pub rng: &'a mut ChaCha8Rng,
    pub world: &'a World,
    cache: Vec<(String, String)>,
}

impl<'a> Writer<'a> {
    pub fn new(rng: &'a mut ChaCha8Rng, world: &'a World) -> Self {
        Writer {
            rng,
            world,
            cache: Vec::new(),
        }
    }

    /// Renders one template picked from `table`.
    pub fn render_any(&mut self, table: &[&str]) -> String {
        let template = pick(self.rng, table);
        self.render(template)
    }

    /// Replaces every known `{slot}` in `template`; unknown ones stay as written.
    pub fn render(&mut self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after
                .find('}')
                .and_then(|close| self.slot(&after[..close]).map(|v| (v, close)))
            {
                Some((value, close)) => {
                    out.push_str(&value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The value of one slot, or `None` if the name is unknown.
    pub fn slot(&mut self, key: &str) -> Option<String> {
        let value = match key {
            "place" => {
                let base = self.place();
                self.place_variant(&base)
            }
            "place's" => {
                let base = self.place();
                self.case_variant(&format!("{base}'s"))
            }
            "place2" => self.place2(),
            "at" => {
                let base = self.place();
                match self.rng.random_range(0..100) {
                    0..=39 => format!("#{}", hashtag_body(&base)),
                    40..=54 => format!("📍{base}"),
                    55..=69 => format!("({base})"),
                    _ => self.place_variant(&base),
                }
            }
            "#place" => {
                let base = self.place();
                format!("#{}", hashtag_body(&base))
            }
            "council" => format!("@{}", self.world.council),
            "councilname" => format!("{} Council", self.world.primary()),
            "ff" => self.world.primary().to_string(),
            "domain" => self.world.domain(),
            "user" => self.mention(),
            "emoji" => pick(self.rng, EMOJI).to_string(),
            "url" => self.url(),
            "street" | "landmark" | "station" | "tram_stop" | "tram_stop2" | "bus" | "item"
            | "pet" | "day" | "team" | "n" | "nn" | "price" | "ref" => self.cached(key),
            _ => return None,
        };
        Some(value)
    }

    /// The post's place (picked once), favouring the borough's own name.
    pub fn place(&mut self) -> String {
        if let Some(p) = self.lookup("place") {
            return p;
        }
        let places = &self.world.places;
        let p = if places.len() == 1 || self.rng.random_bool(0.5) {
            places[0].clone()
        } else {
            places[self.rng.random_range(1..places.len())].clone()
        };
        self.cache.push(("place".into(), p.clone()));
        p
    }

    /// A second place, different from the first where the config allows.
    fn place2(&mut self) -> String {
        let first = self.place();
        let others: Vec<&String> = self.world.places.iter().filter(|p| **p != first).collect();
        match others.choose(self.rng) {
            Some(p) => (*p).clone(),
            None => "South London".to_string(),
        }
    }

    /// How people actually write a place name: mostly as given, sometimes
    /// lower case, shouted, or as a hashtag.
    pub fn place_variant(&mut self, base: &str) -> String {
        match self.rng.random_range(0..100) {
            0..=69 => base.to_string(),
            70..=79 => base.to_lowercase(),
            80..=84 => base.to_uppercase(),
            85..=94 => format!("#{}", hashtag_body(base)),
            _ => format!("#{}", hashtag_body(base).to_lowercase()),
        }
    }

    fn case_variant(&mut self, text: &str) -> String {
        match self.rng.random_range(0..100) {
            0..=79 => text.to_string(),
            80..=91 => text.to_lowercase(),
            _ => text.to_uppercase(),
        }
    }

    /// `@someone` among the residents.
    pub fn mention(&mut self) -> String {
        let names = &self.world.usernames;
        format!("@{}", names[self.rng.random_range(0..names.len())])
    }

    /// A link of the kind people paste: the council's site, a t.co media
    /// link, FixMyStreet, the news, or a bare domain.
    pub fn url(&mut self) -> String {
        let domain = self.world.domain();
        match self.rng.random_range(0..8) {
            0 => format!("https://www.{domain}/bins"),
            1 => format!("https://www.{domain}/report-it"),
            2 => domain,
            3 | 4 => self.media_link(),
            5 => format!(
                "https://www.fixmystreet.com/report/{}",
                self.rng.random_range(4_000_000..8_000_000)
            ),
            6 => format!(
                "https://www.bbc.co.uk/news/articles/c{}o",
                slug(self.rng, 10).to_lowercase()
            ),
            _ => format!("instagram.com/p/{}", slug(self.rng, 11)),
        }
    }

    /// A travel-news link.
    pub fn travel_url(&mut self) -> String {
        match self.rng.random_range(0..4) {
            0 => "tfl.gov.uk/tram/status".to_string(),
            1 => "https://www.southernrailway.com/travel-information".to_string(),
            2 => "nationalrail.co.uk".to_string(),
            _ => self.media_link(),
        }
    }

    /// A `t.co` link, as X shows attached photos and shared links.
    pub fn media_link(&mut self) -> String {
        format!("https://t.co/{}", slug(self.rng, 10))
    }

    fn lookup(&self, key: &str) -> Option<String> {
        self.cache
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn cached(&mut self, key: &str) -> String {
        if let Some(v) = self.lookup(key) {
            return v;
        }
        let rng = &mut *self.rng;
        let v = match key {
            "street" => pick(rng, STREETS).to_string(),
            "landmark" => pick(rng, LANDMARKS).to_string(),
            "station" => pick(rng, STATIONS).to_string(),
            "tram_stop" => pick(rng, TRAM_STOPS).to_string(),
            "tram_stop2" => {
                let first = self.cached("tram_stop");
                let rng = &mut *self.rng;
                let mut second = pick(rng, TRAM_STOPS);
                while second == first {
                    second = pick(rng, TRAM_STOPS);
                }
                second.to_string()
            }
            "bus" => pick(rng, BUSES).to_string(),
            "item" => pick(rng, ITEMS).to_string(),
            "pet" => pick(rng, PETS).to_string(),
            "day" => pick(rng, DAYS).to_string(),
            "team" => pick(rng, TEAMS).to_string(),
            "n" => rng.random_range(2..=40).to_string(),
            "nn" => rng.random_range(3..=240).to_string(),
            "price" => rng.random_range(25..=160).to_string(),
            _ => format!("CRM-{:07}", rng.random_range(0..10_000_000)),
        };
        self.cache.push((key.to_string(), v.clone()));
        v
    }
}
