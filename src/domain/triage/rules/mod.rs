//! Triage rules from config, applied in order when a post arrives.
//!
//! A [`Rule`] is a name, conditions and effects:
//!
//! ```toml
//! [[rules]]
//! name = "abuse to the safety team"
//! when = { flags = ["abusive"], summoned = true }
//! then = { tag = "abuse", priority = "high", owner = "safety" }
//! ```
//!
//! Conditions of different kinds must all hold; within one list (`places`, `words`,
//! `authors`, `languages`) any entry will do; every listed flag must be set. Effects
//! accumulate over the matching rules: tags are added (deduplicated, in order), a later
//! priority or owner overrides an earlier one, `dismiss` sticks once set, and `stop`
//! ends evaluation after the rule that sets it.
//!
//! [`validate_rules`] checks rules when config loads; [`RuleSet`] keeps the parsed
//! `words` so a busy poller does not re-tokenise them for every post.

mod validate;

use serde::{Deserialize, Serialize};

use super::flags::{FlagKind, Flags};
use super::status::Priority;
use crate::domain::post::Post;
use crate::domain::query::{Keyword, TextIndex};

/// One rule from config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique, non-blank; recorded on every item the rule matched.
    pub name: String,
    /// What the post must look like.
    #[serde(default)]
    pub when: Conditions,
    /// What happens to a matching post's item.
    #[serde(default)]
    pub then: Effects,
}

/// What a post must look like for a rule to apply. Empty lists and `None` impose
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Any of these place names matched the post (case-insensitive).
    #[serde(default)]
    pub places: Vec<String>,
    /// The text contains any of these, each tokenised and matched like a place-name
    /// keyword (whole words, case- and diacritic-insensitive; several words are a phrase
    /// or their joined hashtag: `street lighting` or `#StreetLighting`).
    #[serde(default)]
    pub words: Vec<String>,
    /// The author is any of these usernames (with or without `@`, any case).
    #[serde(default)]
    pub authors: Vec<String>,
    /// The post's language is any of these codes (any case); `en` also covers `en-GB`.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Every one of these flags is set.
    #[serde(default)]
    pub flags: Vec<FlagKind>,
    /// The post does (`true`) or does not (`false`) summon the council.
    #[serde(default)]
    pub summoned: Option<bool>,
}

/// What a matching rule does to the item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effects {
    /// One tag to add (shorthand for a one-element `tags`, added first).
    #[serde(default)]
    pub tag: Option<String>,
    /// Tags to add.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Sets the priority, overriding earlier rules.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Assigns the item to this officer, overriding earlier rules.
    #[serde(default)]
    pub owner: Option<String>,
    /// Assigns the item to this team (by name, one of the config's
    /// `[[teams]]`), overriding earlier rules.
    #[serde(default)]
    pub team: Option<String>,
    /// Files the item as dismissed; later rules cannot undo it.
    #[serde(default)]
    pub dismiss: bool,
    /// Stop evaluating later rules.
    #[serde(default)]
    pub stop: bool,
}

/// What the rules decided for one post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Tags from every matching rule, deduplicated, in order.
    pub tags: Vec<String>,
    /// The last priority a matching rule set; [`Priority::Normal`] when none did.
    pub priority: Priority,
    /// The last owner a matching rule set.
    pub owner: Option<String>,
    /// The last team (a name) a matching rule set.
    pub team: Option<String>,
    /// A matching rule dismissed the item.
    pub dismissed: bool,
    /// Names of the rules that matched, in order.
    pub matched_rules: Vec<String>,
}

/// Everything a rule can look at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The post.
    pub post: &'a Post,
    /// Its analysed text.
    pub text: &'a TextIndex,
    /// The author's username, without `@`.
    pub author_username: &'a str,
    /// The place names the post matched, as configured.
    pub places: &'a [String],
    /// Its flags.
    pub flags: &'a Flags,
}

pub use validate::{RuleError, RuleProblem, validate_rules};

/// Rules with their `words` parsed once, ready to run over many posts.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<(Rule, Vec<Keyword>)>,
}

impl RuleSet {
    /// Validates the rules against the monitored `places` (see
    /// [`validate_rules`]) and parses their words.
    pub fn new(rules: &[Rule], places: &[Keyword]) -> Result<RuleSet, RuleError> {
        validate_rules(rules, places)?;
        Ok(RuleSet::compile(rules))
    }

    /// Parses the rules' words without validating; unparseable words never match.
    fn compile(rules: &[Rule]) -> RuleSet {
        let rules = rules.iter().map(|rule| {
            let words = rule.when.words.iter();
            let keywords = words.filter_map(|w| Keyword::parse(w).ok()).collect();
            (rule.clone(), keywords)
        });
        RuleSet {
            rules: rules.collect(),
        }
    }

    /// Applies the rules in order to one post.
    pub fn decide(&self, facts: &Facts<'_>) -> Decision {
        let mut decision = Decision::default();
        for (rule, words) in &self.rules {
            if !holds(&rule.when, words, facts) {
                continue;
            }
            apply(&rule.then, &mut decision);
            decision.matched_rules.push(rule.name.clone());
            if rule.then.stop {
                break;
            }
        }
        decision
    }
}

/// Applies `rules` in order to one post: later rules override priority and owner, tags
/// accumulate (deduplicated, in order), dismiss sticks, and `stop` ends evaluation. A
/// rule without conditions matches every post. For many posts, build a [`RuleSet`] once.
pub fn decide(rules: &[Rule], facts: &Facts<'_>) -> Decision {
    RuleSet::compile(rules).decide(facts)
}

pub(crate) fn same_name(a: &str, b: &str) -> bool {
    // Checked for every rule and place of every post: ASCII without allocating.
    if a.is_ascii() && b.is_ascii() {
        let (mut a, mut b) = (a.split_whitespace(), b.split_whitespace());
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => {}
                _ => return false,
            }
        }
    }
    let a = a.split_whitespace().map(str::to_lowercase);
    a.eq(b.split_whitespace().map(str::to_lowercase))
}

fn same_user(a: &str, b: &str) -> bool {
    let (a, b) = (bare_user(a), bare_user(b));
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.to_lowercase() == b.to_lowercase()
}

fn bare_user(s: &str) -> &str {
    s.trim().trim_start_matches('@')
}

/// `wanted` (`en`) covers `lang` when equal or a prefix before `-` (`en-GB`).
fn covers_language(wanted: &str, lang: &str) -> bool {
    let wanted = wanted.trim();
    lang.eq_ignore_ascii_case(wanted)
        || lang
            .split_once('-')
            .is_some_and(|(primary, _)| primary.eq_ignore_ascii_case(wanted))
}

/// True when every condition holds: any entry of each non-empty list, every flag.
fn holds(when: &Conditions, words: &[Keyword], facts: &Facts<'_>) -> bool {
    let lang = facts.post.lang.as_deref();
    let place = |p: &String| facts.places.iter().any(|m| same_name(p, m));
    let author = |a: &String| same_user(a, facts.author_username);
    let language = |l: &String| lang.is_some_and(|x| covers_language(l, x));
    (when.places.is_empty() || when.places.iter().any(place))
        && (when.words.is_empty() || words.iter().any(|k| k.matches(facts.text)))
        && (when.authors.is_empty() || when.authors.iter().any(author))
        && (when.languages.is_empty() || when.languages.iter().any(language))
        && when.flags.iter().all(|f| facts.flags.has(*f))
        && when.summoned.is_none_or(|s| s == facts.flags.summoned)
}

fn apply(then: &Effects, decision: &mut Decision) {
    for tag in then.tag.iter().chain(&then.tags) {
        if !decision.tags.contains(tag) {
            decision.tags.push(tag.clone());
        }
    }
    if let Some(priority) = then.priority {
        decision.priority = priority;
    }
    if let Some(owner) = &then.owner {
        decision.owner = Some(owner.clone());
    }
    if let Some(team) = &then.team {
        decision.team = Some(team.clone());
    }
    decision.dismissed |= then.dismiss;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triage::test_post;

    /// Rules written as the config writes them: one inline table per line.
    fn rules(lines: &str) -> Vec<Rule> {
        #[derive(Deserialize)]
        struct File {
            rules: Vec<Rule>,
        }
        let file: File = toml::from_str(&format!("rules = [\n{lines}\n]")).unwrap();
        file.rules
    }

    /// Runs `rules` over a post in `en-GB` by `Alice` that matched `places`.
    fn run(rules: &[Rule], text: &str, places: &[&str], flags: &Flags) -> Decision {
        let mut p = test_post(text);
        p.lang = Some("en-GB".into());
        let index = TextIndex::new(text);
        let places: Vec<String> = places.iter().map(|s| s.to_string()).collect();
        let facts = Facts {
            post: &p,
            text: &index,
            author_username: "Alice",
            places: &places,
            flags,
        };
        let decision = decide(rules, &facts);
        assert_eq!(RuleSet::compile(rules).decide(&facts), decision);
        decision
    }

    #[test]
    fn later_rules_override_priority_and_owner_and_tags_accumulate() {
        let rules = rules(
            r#"{ name = "a", when = { places = ["croydon"] },
                 then = { tag = "x", priority = "high", owner = "ann", team = "Streets" } },
               { name = "b", when = { words = ["bins"] },
                 then = { tags = ["x", "y"], priority = "low", owner = "bob", team = "CleanCo" } },
               { name = "c", when = { words = ["trams"] }, then = { priority = "urgent" } }"#,
        );
        let d = run(&rules, "Bins again", &["Croydon"], &Flags::default());
        assert_eq!(
            (d.tags, d.priority),
            (vec!["x".into(), "y".into()], Priority::Low)
        );
        assert_eq!((d.owner.as_deref(), d.dismissed), (Some("bob"), false));
        assert_eq!(d.team.as_deref(), Some("CleanCo"));
        assert_eq!(d.matched_rules, ["a", "b"]);
        let trams = run(&rules, "Trams again", &["Croydon"], &Flags::default());
        assert_eq!(trams.team.as_deref(), Some("Streets"));
        let none = run(&rules, "nothing", &[], &Flags::default());
        assert_eq!(none, Decision::default());
        assert_eq!(none.priority, Priority::Normal);
    }

    #[test]
    fn stop_ends_evaluation_and_dismiss_sticks() {
        let rules = rules(
            r#"{ name = "spam", when = { words = ["crypto"] }, then = { dismiss = true } },
               { name = "tag", when = { places = ["Croydon"] }, then = { tag = "seen" } },
               { name = "guard", when = { authors = ["@ALICE"] }, then = { stop = true } },
               { name = "never", when = { places = ["Croydon"] }, then = { tag = "late" } }"#,
        );
        let d = run(&rules, "crypto in croydon", &["Croydon"], &Flags::default());
        assert!(d.dismissed);
        assert_eq!(d.tags, ["seen"]);
        assert_eq!(d.matched_rules, ["spam", "tag", "guard"]);
    }

    #[test]
    fn conditions_all_hold_and_lists_take_any() {
        let none = Flags::default();
        let mut abusive = none.clone();
        abusive.abusive = true;
        let mut summoned = abusive.clone();
        summoned.summoned = true;
        let all = rules(
            r#"{ name = "all", then = { tag = "hit" }, when = { places = ["east  CROYDON", "Purley"],
                 words = ["fly tipping", "litter"], authors = ["bob", "alice"], languages = ["cy", "EN"],
                 flags = ["abusive", "summoned"], summoned = true } }"#,
        );
        let hit = |rules: &[Rule], text, places: &[&str], flags| {
            !run(rules, text, places, flags).matched_rules.is_empty()
        };
        let text = "Fly-tipping at East Croydon";
        assert!(hit(&all, text, &["East Croydon"], &summoned));
        assert!(!hit(&all, text, &["Croydon"], &summoned), "place");
        assert!(!hit(&all, "tipping fly", &["East Croydon"], &summoned));
        assert!(!hit(&all, text, &["East Croydon"], &abusive), "all flags");

        let quiet = rules(r#"{ name = "q", when = { summoned = false }, then = { tag = "q" } }"#);
        assert!(hit(&quiet, "x", &[], &none));
        assert!(!hit(&quiet, "x", &[], &summoned));
        let welsh = rules(r#"{ name = "w", when = { languages = ["cy"] }, then = { tag = "w" } }"#);
        assert!(!hit(&welsh, "x", &[], &none));
        let bob = rules(r#"{ name = "b", when = { authors = ["bob"] }, then = { tag = "b" } }"#);
        assert!(!hit(&bob, "x", &[], &none));
    }

    #[test]
    fn validation_names_the_first_bad_rule_and_its_field() {
        let places = [Keyword::parse("East Croydon").unwrap()];
        let ok = r#"{ name = "ok", when = { words = ["a"] }, then = { stop = true } }"#;
        assert_eq!(validate_rules(&rules(ok), &places), Ok(()));
        assert_eq!(validate_rules(&[], &[]), Ok(()));
        // Each line: the bad rule's keys | the field named | part of the message.
        let cases = r#"
            name = " ", when = { words = ["a"] }, then = { tag = "t" }  | name | needs a name
            name = "OK", when = { words = ["a"] }, then = { tag = "t" } | name | already the name of rules[0]
            name = "n", then = { tag = "t" }                            | when | at least one condition
            name = "n", when = { words = ["a"] }                        | then | at least one effect
            name = "n", when = { words = ["a", "-a"] }, then = { tag = "t" } | when.words[1] | starts with '-'
            name = "n", when = { words = ['a"'] }, then = { tag = "t" } | when.words[0] | contains '"'
            name = "n", when = { places = ["", "a"] }, then = { tag = "t" } | when.places[0] | must not be empty
            name = "n", when = { places = ["east  CROYDON", "Croydn"] }, then = { tag = "t" } | when.places[1] | "Croydn" is not one of
            name = "n", when = { authors = ["@bob", "bob smith"] }, then = { tag = "t" } | when.authors[1] | X username
            name = "n", when = { languages = ["EN-gb", "english"] }, then = { tag = "t" } | when.languages[1] | language code
            name = "n", when = { words = ["a"] }, then = { tags = ["x", " "] } | then.tags[1] | must not be empty
            name = "n", when = { words = ["a"] }, then = { owner = " " }    | then.owner | must not be empty"#;
        let cases: Vec<Vec<&str>> = cases
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(" | ").map(str::trim).collect())
            .collect();
        assert_eq!(cases.len(), 12);
        for case in cases {
            let [bad, field, message] = case[..] else {
                panic!("{case:?}")
            };
            let rules = rules(&format!("{ok},\n{{ {bad} }}"));
            let e = validate_rules(&rules, &places).unwrap_err();
            assert_eq!((e.index, e.field.as_str()), (1, field), "{e}");
            assert!(e.to_string().contains(message), "{e}");
            assert!(RuleSet::new(&rules, &places).is_err());
        }
    }

    #[test]
    fn rules_round_trip_through_serde_and_refuse_unknown_keys() {
        let json = r#"{"name":"abuse","when":{"flags":["abusive","false_friend"],"summoned":true},
            "then":{"tag":"abuse","priority":"urgent","owner":"safety","dismiss":false}}"#;
        let r: Rule = serde_json::from_str(json).unwrap();
        assert_eq!(r.when.flags, [FlagKind::Abusive, FlagKind::FalseFriend]);
        assert_eq!(r.then.priority, Some(Priority::Urgent));
        let back: Rule = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        let from_toml = rules(
            r#"{ name = "abuse", when = { flags = ["abusive", "false_friend"], summoned = true },
                 then = { tag = "abuse", priority = "urgent", owner = "safety" } }"#,
        );
        assert_eq!(from_toml, [r]);

        for bad in [
            r#"{"name":"n","when":{"place":["a"]}}"#,
            r#"{"name":"n","then":{"priority":"critical"}}"#,
            r#"{"name":"n","if":{}}"#,
            r#"{"name":"n","when":{"flags":["rude"]}}"#,
        ] {
            assert!(serde_json::from_str::<Rule>(bad).is_err(), "{bad}");
        }
        let d = serde_json::to_value(Decision::default()).unwrap();
        assert_eq!(d["priority"], "normal");
    }
}
