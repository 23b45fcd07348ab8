//! The flags a triage item carries: abusive language ([`AbuseList`]), a likely *false
//! friend* (a post about another Croydon), its language, and whether it summons the
//! council. [`flags`] computes them once, on arrival.
//!
//! Word lists match exactly as place names do: each entry is a [`Keyword`], so matching
//! is whole-word, case-insensitive and diacritic-folded on the post's [`TextIndex`]
//! tokens, and an entry of several words matches as a phrase or as its joined hashtag
//! (`piss off`, `#PissOff`). `BLOODY`, `#bloody` and `bloody's` contain the token
//! `bloody`; `Bl00dy` and `bloodymindedness` do not.

use serde::{Deserialize, Serialize};

use crate::domain::post::Post;
use crate::domain::query::{Keyword, KeywordError, KeywordSet, TextIndex};

/// Common British swearing and insults aimed at people, every inflection spelled out
/// because matching is whole-word.
///
/// Deliberately left out, as words councils hear all day in ordinary complaints that
/// are not abuse of anyone: `bloody`, `crap`, `damn`, `hell`, `arse` (as in "can't be
/// arsed"), `piss` and `pissed` ("taking the piss", "pissed off with the bins"),
/// `bugger`, `sod`. Words with common innocent senses (`dick`, `knob`, `git`, `cock`)
/// are out too. Add any of them with [`AbuseList::from_words`] if a council wants.
const UK_DEFAULT: &[&str] = &[
    "fuck",
    "fucks",
    "fucked",
    "fucker",
    "fuckers",
    "fucking",
    "fuckin",
    "fuckwit",
    "fuckwits",
    "fuckface",
    "motherfucker",
    "motherfuckers",
    "shit",
    "shits",
    "shite",
    "shitty",
    "shithead",
    "shitheads",
    "shithole",
    "bullshit",
    "bollocks",
    "wank",
    "wanker",
    "wankers",
    "wanking",
    "twat",
    "twats",
    "cunt",
    "cunts",
    "prick",
    "pricks",
    "dickhead",
    "dickheads",
    "arsehole",
    "arseholes",
    "asshole",
    "assholes",
    "bastard",
    "bastards",
    "bellend",
    "bellends",
    "knobhead",
    "knobheads",
    "tosser",
    "tossers",
    "slag",
    "slags",
    "piss off",
];

/// Places and abbreviations that suggest a post is about another Croydon: Croydon in
/// Victoria (Melbourne) or New South Wales (Sydney) or Queensland, or Croydon in Bucks
/// County, Pennsylvania.
///
/// `Victoria` and `PA` appear only as `Croydon Victoria` and `Croydon PA`: bare
/// "Victoria" is London Victoria, the station most trains from East Croydon run to, and
/// bare "PA" is too common a word ("PA system", "my pa") to be evidence.
const FALSE_FRIEND_CONTEXT: &[&str] = &[
    "Australia",
    "Melbourne",
    "Croydon Victoria",
    "Croydon VIC",
    "NSW",
    "Sydney",
    "Queensland",
    "Pennsylvania",
    "Croydon PA",
    "Bucks County",
    "Philadelphia",
];

/// An abusive-language word list: whole-word, case-insensitive, diacritic-folded
/// matches on [`TextIndex`] tokens (so `Bl00dy` is not matched but `BLOODY` and
/// `#bloody` are, for a list holding `bloody`). Multi-word entries match as phrases.
///
/// Slurs (racist, homophobic, disablist and the like) are out of scope for a hard-coded
/// list: which terms to flag, and their spellings and reclaimed uses, are a policy
/// decision for each council, so they belong in its configured list, not in source
/// code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseList {
    entries: KeywordSet,
}

impl AbuseList {
    /// A sensible UK list: common British swearing and insults (`shit`, `bollocks`,
    /// `wanker`, `twat`, `cunt`, `prick`, `dickhead`, `arsehole`, `bastard`, `bellend`,
    /// `knobhead`, `tosser`, `fuck` and its forms, `piss off`, `slag`, …) but not the
    /// mild words councils hear all the time (`bloody`, `crap`, `damn`, `hell`): those
    /// would flag half of all complaints and make the flag useless. No slurs; see the
    /// type's documentation.
    pub fn uk_default() -> AbuseList {
        AbuseList::of(UK_DEFAULT.iter().filter_map(|w| Keyword::parse(w).ok()))
    }

    /// A list of the given entries, in order, without duplicates. Entries that cannot be
    /// keywords (blank, only punctuation, ...) are skipped: check configured lists with
    /// [`AbuseList::try_from_words`] at load.
    pub fn from_words(words: &[String]) -> AbuseList {
        AbuseList::of(words.iter().filter_map(|w| Keyword::parse(w).ok()))
    }

    /// Like [`AbuseList::from_words`], but refuses the first entry that is not a valid
    /// keyword, with its index.
    pub fn try_from_words(words: &[String]) -> Result<AbuseList, (usize, KeywordError)> {
        let keywords = words
            .iter()
            .enumerate()
            .map(|(i, word)| Keyword::parse(word).map_err(|e| (i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AbuseList::of(keywords))
    }

    /// The list of `keywords`, in order, without duplicates.
    fn of(keywords: impl IntoIterator<Item = Keyword>) -> AbuseList {
        let mut entries: Vec<Keyword> = Vec::new();
        for keyword in keywords {
            if !entries.contains(&keyword) {
                entries.push(keyword);
            }
        }
        AbuseList {
            entries: KeywordSet::new(entries),
        }
    }

    /// The entries found in the text, as listed (trimmed), in list order.
    pub fn matches(&self, text: &TextIndex) -> Vec<String> {
        self.entries
            .matching(text)
            .map(|k| k.as_str().to_string())
            .collect()
    }

    /// The entries, in order.
    pub fn entries(&self) -> impl Iterator<Item = &str> {
        self.entries.keywords().iter().map(Keyword::as_str)
    }

    /// True when the list has no entries (nothing is ever flagged).
    pub fn is_empty(&self) -> bool {
        self.entries.keywords().is_empty()
    }
}

/// The default context words for [`flags`]' false-friend test: other Croydons in
/// Australia and Pennsylvania. Append the monitor's exclusion keywords to this list.
pub fn default_false_friend_context() -> Vec<Keyword> {
    FALSE_FRIEND_CONTEXT
        .iter()
        .filter_map(|w| Keyword::parse(w).ok())
        .collect()
}

/// What triage noticed about a post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Flags {
    /// The text contains an entry of the abuse list.
    pub abusive: bool,
    /// The abuse-list entries found, in list order.
    pub abusive_words: Vec<String>,
    /// The post is probably about somewhere else of the same name.
    pub false_friend: bool,
    /// X's language code for the post, if it gave one.
    pub language: Option<String>,
    /// The post mentions, quotes or replies to the council (see `summons`).
    pub summoned: bool,
}

/// A flag that a rule can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// [`Flags::abusive`].
    Abusive,
    /// [`Flags::false_friend`].
    FalseFriend,
    /// [`Flags::summoned`].
    Summoned,
}

impl Flags {
    /// True when the flag of that kind is set.
    pub fn has(&self, kind: FlagKind) -> bool {
        match kind {
            FlagKind::Abusive => self.abusive,
            FlagKind::FalseFriend => self.false_friend,
            FlagKind::Summoned => self.summoned,
        }
    }
}

/// Flags a post that matched a place name. `text` is the post's [`TextIndex`];
/// `summoned` comes from `summons`.
///
/// False friend: the text contains any of `false_friend_words`, which should be the
/// monitor's configured exclusion keywords (X already applied them as `-exclusions`,
/// but local tagging may not have) followed by context words suggesting another
/// Croydon, usually [`default_false_friend_context`]. As for places, a word of
/// several words also matches its hashtag form (`#CroydonPark`), which the
/// search does not exclude (see `domain::query::pack`).
pub fn flags(
    post: &Post,
    text: &TextIndex,
    abuse: &AbuseList,
    false_friend_words: &[Keyword],
    summoned: bool,
) -> Flags {
    let abusive_words = abuse.matches(text);
    Flags {
        abusive: !abusive_words.is_empty(),
        abusive_words,
        false_friend: false_friend_words.iter().any(|k| k.matches(text)),
        language: post.lang.clone(),
        summoned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triage::test_post as post;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    fn found(list: &AbuseList, text: &str) -> Vec<String> {
        list.matches(&TextIndex::new(text))
    }

    #[test]
    fn default_list_matches_whole_words_in_any_case() {
        let uk = AbuseList::uk_default();
        assert_eq!(
            found(&uk, "Croydon council are a bunch of WANKERS"),
            ["wankers"]
        );
        assert_eq!(
            found(&uk, "what a load of Bollocks, fucking hell"),
            ["fucking", "bollocks"]
        );
        assert_eq!(found(&uk, "#shite service again"), ["shite"]);
        assert_eq!(found(&uk, "you absolute tosser's"), ["tosser"]);
        assert!(found(&uk, "nice day in Croydon").is_empty());
    }

    #[test]
    fn words_inside_other_words_are_not_matched() {
        let uk = AbuseList::uk_default();
        for innocent in [
            "Scunthorpe United at home",
            "Cockfosters to Croydon",
            "a shitake mushroom risotto",
            "Penistone Road",
            "sussex bastardry",
            "pricked my finger",
        ] {
            assert!(found(&uk, innocent).is_empty(), "{innocent}");
        }
    }

    #[test]
    fn mild_words_are_left_out_of_the_default() {
        let uk = AbuseList::uk_default();
        let text = "bloody crap bins, damn it, hell of a mess, can't be arsed, taking the piss";
        assert!(found(&uk, text).is_empty());
        assert!(
            uk.entries()
                .all(|w| !["bloody", "crap", "damn", "hell"].contains(&w))
        );
        assert!(!uk.is_empty());
    }

    #[test]
    fn phrases_match_as_phrases() {
        let uk = AbuseList::uk_default();
        assert_eq!(found(&uk, "Oh PISS-OFF, Croydon"), ["piss off"]);
        assert!(found(&uk, "piss poor, off to work").is_empty());
        assert_eq!(found(&uk, "#PissOff Croydon"), ["piss off"]);
    }

    #[test]
    fn custom_lists_fold_case_diacritics_and_hashtags() {
        let list = AbuseList::from_words(&words(&["bloody", "Crétin", " fat  cat ", "bloody"]));
        assert_eq!(
            list.entries().collect::<Vec<_>>(),
            ["bloody", "Crétin", "fat cat"]
        );
        assert_eq!(found(&list, "BLOODY buses"), ["bloody"]);
        assert_eq!(found(&list, "#bloody buses"), ["bloody"]);
        assert!(found(&list, "Bl00dy buses").is_empty());
        assert_eq!(
            found(&list, "quel CRETIN, another FAT-CAT"),
            ["Crétin", "fat cat"]
        );
        assert!(
            AbuseList::uk_default()
                .matches(&TextIndex::new("bloody"))
                .is_empty()
        );
    }

    #[test]
    fn invalid_entries_are_skipped_or_refused() {
        let raw = words(&["ok", "  ", "!!!"]);
        assert_eq!(
            AbuseList::from_words(&raw).entries().collect::<Vec<_>>(),
            ["ok"]
        );
        assert_eq!(AbuseList::try_from_words(&raw).unwrap_err().0, 1);
        assert!(AbuseList::try_from_words(&words(&["a", "b c"])).is_ok());
        assert!(AbuseList::from_words(&[]).is_empty());
    }

    #[test]
    fn flags_collects_abuse_false_friends_language_and_summons() {
        let uk = AbuseList::uk_default();
        let context = default_false_friend_context();
        let p = post("Croydon, Victoria is lovely - Melbourne's best suburb");
        let f = flags(&p, &TextIndex::new(&p.text), &uk, &context, false);
        assert!(f.false_friend && !f.abusive);
        assert_eq!(f.language.as_deref(), Some("en"));

        let p = post("@CroydonCouncil you twats, fix the road");
        let f = flags(&p, &TextIndex::new(&p.text), &uk, &context, true);
        assert_eq!(
            f,
            Flags {
                abusive: true,
                abusive_words: vec!["twats".into()],
                false_friend: false,
                language: Some("en".into()),
                summoned: true,
            }
        );
        assert!(f.has(FlagKind::Abusive) && f.has(FlagKind::Summoned));
        assert!(!f.has(FlagKind::FalseFriend));
    }

    #[test]
    fn false_friend_context_and_exclusions() {
        let context = default_false_friend_context();
        let hit = |text: &str, words: &[Keyword]| {
            let p = post(text);
            flags(
                &p,
                &TextIndex::new(text),
                &AbuseList::from_words(&[]),
                words,
                false,
            )
            .false_friend
        };
        assert!(hit("Croydon PA fire company open house", &context));
        assert!(hit("croydon, pa: Bucks County news", &context));
        assert!(hit("moved to Croydon NSW from Sydney", &context));
        assert!(!hit("East Croydon to London Victoria is delayed", &context));
        assert!(!hit("the PA at East Croydon is broken", &context));
        assert!(!hit("Croydon council tax", &context));
        // Words of several words count as their hashtag too, as places do.
        assert!(hit("#Croydon sunset #BucksCounty", &context));
        assert!(!hit("#CroydonCouncil tax", &context));

        let mut with_exclusions = vec![Keyword::parse("Croydon Cycle Club").unwrap()];
        with_exclusions.extend(context);
        assert!(hit("croydon cycle club ride today", &with_exclusions));
    }

    #[test]
    fn flags_serialise_and_default_missing_fields() {
        let f: Flags = serde_json::from_str(r#"{"abusive": true}"#).unwrap();
        assert!(f.abusive && f.abusive_words.is_empty() && f.language.is_none());
        let json = serde_json::to_string(&Flags::default()).unwrap();
        assert_eq!(
            serde_json::from_str::<Flags>(&json).unwrap(),
            Flags::default()
        );
        assert_eq!(
            serde_json::to_string(&FlagKind::FalseFriend).unwrap(),
            "\"false_friend\""
        );
    }
}
