//! `[triage]` and `[[rules]]`: loading, defaults, every error class naming
//! file, key and line, and what environment overrides can and cannot do.

use std::path::Path;

use super::*;
use crate::domain::query::{Keyword, TextIndex};
use crate::domain::triage::{
    AbuseList, Conditions, Effects, FlagKind, Priority, Rule, default_false_friend_context,
};

/// MINIMAL (6 lines) and three rules: headers at lines 8, 13 and 18.
const THREE_RULES: &str = r#"
[[rules]]
name = "bins"
when = { words = ["bins", "fly-tipping"], places = ["east croydon"] }
then = { tag = "waste", owner = "streets-team" }

[[rules]]
name = "summoned"
when = { summoned = true }
then = { priority = "high" }

[[rules]]
name = "abusive"
when = { flags = ["abusive"] }
then = { priority = "low", tags = ["abuse"], stop = true }
"#;

fn three_rules() -> String {
    format!("{MINIMAL}{THREE_RULES}")
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

fn keywords(list: &[&str]) -> Vec<Keyword> {
    list.iter().map(|w| Keyword::parse(w).unwrap()).collect()
}

fn flagged(abuse: &AbuseList, text: &str) -> Vec<String> {
    abuse.matches(&TextIndex::new(text))
}

// ------------------------------------------------------------ loading

#[test]
fn rules_load_in_order_into_the_domain_type() {
    let c = parse(&three_rules()).unwrap();
    let names: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["bins", "summoned", "abusive"]);
    assert_eq!(
        c.rules[0],
        Rule {
            name: "bins".into(),
            when: Conditions {
                places: words(&["east croydon"]),
                words: words(&["bins", "fly-tipping"]),
                ..Conditions::default()
            },
            then: Effects {
                tag: Some("waste".into()),
                owner: Some("streets-team".into()),
                ..Effects::default()
            },
        }
    );
    assert_eq!(c.rules[1].when.summoned, Some(true));
    assert_eq!(c.rules[1].then.priority, Some(Priority::High));
    assert_eq!(c.rules[2].when.flags, [FlagKind::Abusive]);
    assert!(c.rules[2].then.stop);

    // Sub-tables work as well as inline tables.
    let src = with_monitor(
        "[[rules]]\nname = \"a\"\n[rules.when]\nwords = [\"x\"]\n[rules.then]\ndismiss = true",
    );
    let c = parse(&src).unwrap();
    assert!(c.rules[0].then.dismiss);
}

#[test]
fn no_triage_section_and_no_rules_mean_the_defaults() {
    let c = parse(MINIMAL).unwrap();
    assert!(c.rules.is_empty());
    assert_eq!(c.triage.abuse, AbuseList::uk_default());
    assert_eq!(c.triage.false_friend_words, default_false_friend_context());
    let rendered = c.render_effective_with_env(&no_env);
    assert!(rendered.contains("# [[rules]]: none"), "{rendered}");
    assert_eq!(parse(&rendered).unwrap(), c);
    // An explicitly empty list of rules is no rules.
    assert!(
        parse(&format!("rules = []\n{MINIMAL}"))
            .unwrap()
            .rules
            .is_empty()
    );
}

#[test]
fn abusive_words_replace_and_extra_words_add() {
    let uk = AbuseList::uk_default();
    let replaced = parse(&with_monitor(
        "[triage]\nabusive_words = [\"numpty\", \" Plonker \"]",
    ))
    .unwrap();
    assert_eq!(
        replaced.triage.abuse.entries().collect::<Vec<_>>(),
        ["numpty", "Plonker"]
    );
    assert_eq!(
        flagged(&replaced.triage.abuse, "you NUMPTY, you wanker"),
        ["numpty"]
    );

    let extra = parse(&with_monitor(
        "[triage]\nabusive_words_extra = [\"numpty\", \"WANKER\"]",
    ))
    .unwrap();
    let entries: Vec<&str> = extra.triage.abuse.entries().collect();
    // The default list, then the new word; "WANKER" is already in it.
    assert_eq!(entries.len(), uk.entries().count() + 1);
    assert_eq!(entries.last(), Some(&"numpty"));
    assert_eq!(
        flagged(&extra.triage.abuse, "you numpty, you wanker"),
        ["wanker", "numpty"]
    );

    let both = parse(&with_monitor(
        "[triage]\nabusive_words = [\"numpty\"]\nabusive_words_extra = [\"plonker\"]",
    ))
    .unwrap();
    assert_eq!(
        both.triage.abuse.entries().collect::<Vec<_>>(),
        ["numpty", "plonker"]
    );

    let none = parse(&with_monitor("[triage]\nabusive_words = []")).unwrap();
    assert!(none.triage.abuse.is_empty());

    // What was configured renders, and loads back the same.
    let rendered = both.render_effective_with_env(&no_env);
    assert!(
        rendered.contains("abusive_words = [\n    \"numpty\", \"plonker\",\n]\n"),
        "{rendered}"
    );
    assert_eq!(parse(&rendered).unwrap().triage, both.triage);
}

#[test]
fn false_friend_words_replace_the_default_and_exclusions_come_first() {
    let c = parse(&with_monitor(
        "exclusions = [\"Croydon Park\"]\n[triage]\nfalse_friend_words = [\"Brisbane\", \"croydon park\"]",
    ))
    .unwrap();
    assert_eq!(
        c.triage.false_friend_words,
        keywords(&["Brisbane", "croydon park"])
    );
    assert_eq!(
        c.false_friend_words(),
        keywords(&["Croydon Park", "Brisbane"])
    );
    let d = parse(&with_monitor("exclusions = [\"Hong Kong\"]")).unwrap();
    let mut expected = keywords(&["Hong Kong"]);
    expected.extend(default_false_friend_context());
    assert_eq!(d.false_friend_words(), expected);
}

#[test]
fn places_and_exclusions_are_query_keywords() {
    let c = parse(&MINIMAL.replace("\"East Croydon\"", "\"  East   Croydon \"")).unwrap();
    assert_eq!(c.monitor.places, keywords(&["Croydon", "East Croydon"]));
    assert_eq!(c.monitor.places[1].to_query_term(), "\"East Croydon\"");
    // Display gives the name as configured, as callers that want strings use.
    let names: Vec<String> = c.monitor.places.iter().map(|p| p.to_string()).collect();
    assert_eq!(names, ["Croydon", "East Croydon"]);

    let e = err(&MINIMAL.replace("\"East Croydon\"", "\"OR\""));
    assert!(
        e.starts_with("config/placewatch.toml:6: monitor.places[1]: must not be \"OR\""),
        "{e}"
    );
    let e = err(&MINIMAL.replace("\"East Croydon\"", "\"!!!\""));
    assert!(
        e.ends_with(
            "monitor.places[1]: \"!!!\" has no letters, digits or emoji, so it would never match"
        ),
        "{e}"
    );
    assert_eq!(
        parse_place_name(" Cherry  Orchard Road ").unwrap().as_str(),
        "Cherry Orchard Road"
    );
    assert!(validate_place_name("OR").is_err());
    assert!(validate_place_name("or").is_ok());
}

// ------------------------------------------------------------ errors

#[test]
fn unknown_key_inside_a_rule_names_its_path_and_line() {
    let src = three_rules().replace("when = { summoned = true }", "when = { summond = true }");
    let e = err(&src);
    assert_eq!(
        e,
        "config/placewatch.toml:15:10: rules[1].when.summond: unknown key (expected one of: \
         places, words, authors, languages, flags, summoned) (in the [[rules]] table at line 13)"
    );
    let src = three_rules().replace("name = \"abusive\"", "name = \"abusive\"\nif = 3");
    let e = err(&src);
    assert!(
        e.starts_with("config/placewatch.toml:20:1: rules[2].if: unknown key (expected one of: name, when, then)"),
        "{e}"
    );
}

#[test]
fn bad_priority_and_flag_values_name_the_key() {
    let src = three_rules().replace("priority = \"high\"", "priority = \"critical\"");
    let e = err(&src);
    assert!(
        e.starts_with(
            "config/placewatch.toml:16:21: rules[1].then.priority: unknown variant `critical`, \
             expected one of `low`, `normal`, `high`, `urgent`"
        ),
        "{e}"
    );
    assert!(e.ends_with("(in the [[rules]] table at line 13)"), "{e}");
    let src = three_rules().replace("flags = [\"abusive\"]", "flags = [\"abusive\", \"rude\"]");
    let e = err(&src);
    assert!(
        e.starts_with(
            "config/placewatch.toml:20:30: rules[2].when.flags[1]: unknown variant `rude`"
        ),
        "{e}"
    );
    let src = three_rules().replace("stop = true", "stop = \"yes\"");
    let e = err(&src);
    assert!(
        e.contains("rules[2].then.stop: invalid type: string \"yes\", expected a boolean"),
        "{e}"
    );
}

#[test]
fn rule_names_must_be_given_non_empty_and_unique() {
    let e = err(&three_rules().replace("name = \"summoned\"", "name = \"  \""));
    assert_eq!(
        e,
        "config/placewatch.toml:14: rules[1].name: must not be empty: every rule needs a \
         name, recorded on the items it matches (in the [[rules]] table at line 13)"
    );
    let e = err(&three_rules().replace("name = \"summoned\"", "name = \"BINS\""));
    assert!(
        e.starts_with(
            "config/placewatch.toml:14: rules[1].name: \"BINS\" is already the name of rules[0]"
        ),
        "{e}"
    );
    let e = err(&three_rules().replace("name = \"summoned\"\n", ""));
    assert_eq!(
        e,
        "config/placewatch.toml:13:1: rules[1].name: missing required key `name` in this \
         [[rules]] table"
    );
}

#[test]
fn rule_places_must_be_configured_places() {
    let src = three_rules().replace(
        "places = [\"east croydon\"]",
        "places = [\"Croydon\", \"Croydn\"]",
    );
    assert_eq!(
        err(&src),
        "config/placewatch.toml:10: rules[0].when.places[1]: \"Croydn\" is not one of \
         monitor.places (compared ignoring case); add it there or fix the spelling \
         (in the [[rules]] table at line 8)"
    );
    // Case and spacing are ignored, as when the rule runs.
    assert!(parse(&three_rules().replace("\"east croydon\"", "\" EAST  croydon\"")).is_ok());
}

#[test]
fn every_rule_key_is_checked_where_it_is_written() {
    let bad = |from: &str, to: &str| err(&three_rules().replace(from, to));
    let e = bad("\"fly-tipping\"", "\"-fly-tipping\"");
    assert!(
        e.starts_with("config/placewatch.toml:10: rules[0].when.words[1]: must not start with `-`"),
        "{e}"
    );
    let e = bad(
        "when = { summoned = true }",
        "when = { authors = [\"@bob smith\"] }",
    );
    assert!(
        e.contains(":15: rules[1].when.authors[0]: must be an X username"),
        "{e}"
    );
    assert!(parse(&three_rules().replace("summoned = true", "authors = [\"@Bob_1\"]")).is_ok());
    let e = bad(
        "when = { summoned = true }",
        "when = { languages = [\"english\"] }",
    );
    assert!(
        e.contains(":15: rules[1].when.languages[0]: \"english\" is not a language code"),
        "{e}"
    );
    let e = bad("tag = \"waste\"", "tag = \" \"");
    assert!(
        e.contains(":11: rules[0].then.tag: must not be empty"),
        "{e}"
    );
    let e = bad("tags = [\"abuse\"]", "tags = [\"abuse\", \"\"]");
    assert!(
        e.contains(":21: rules[2].then.tags[1]: must not be empty"),
        "{e}"
    );
    let e = bad("owner = \"streets-team\"", "owner = \"\"");
    assert!(
        e.contains(":11: rules[0].then.owner: must not be empty"),
        "{e}"
    );
}

#[test]
fn a_rule_needs_a_condition_and_an_effect() {
    let e = err(&three_rules().replace("when = { summoned = true }\n", ""));
    assert_eq!(
        e,
        "config/placewatch.toml:13: rules[1].when: rule \"summoned\" needs at least one \
         condition: when = { places, words, authors, languages, flags or summoned }"
    );
    let e = err(&three_rules().replace("then = { priority = \"high\" }", "then = {}"));
    assert!(
        e.starts_with(
            "config/placewatch.toml:16: rules[1].then: rule \"summoned\" needs at least one effect"
        ),
        "{e}"
    );
}

#[test]
fn rules_must_be_an_array_of_tables() {
    let e = err(&with_monitor("[rules]\nname = \"x\""));
    assert!(
        e.starts_with("config/placewatch.toml:7:1: rules: must be an array of tables"),
        "{e}"
    );
    let e = err(&format!("rules = [\"bins\"]\n{MINIMAL}"));
    assert!(
        e.starts_with(
            "config/placewatch.toml:1:10: rules[0]: invalid type: string \"bins\", expected a table"
        ),
        "{e}"
    );
    let e = err(&with_monitor("[[triage]]\nabusive_words = []"));
    assert!(
        e.contains("triage: must be a table [triage], not an array of tables"),
        "{e}"
    );
}

#[test]
fn bad_triage_words_name_the_entry() {
    let e = err(&with_monitor(
        "[triage]\nabusive_words = [\n  \"numpty\",\n  \"-plonker\",\n]",
    ));
    assert_eq!(
        e,
        "config/placewatch.toml:10: triage.abusive_words[1]: must not start with `-`: \"-plonker\""
    );
    let e = err(&with_monitor(
        "[triage]\nabusive_words_extra = [\"numpty\", \"  \"]",
    ));
    assert_eq!(
        e,
        "config/placewatch.toml:8: triage.abusive_words_extra[1]: must not be empty"
    );
    let e = err(&with_monitor(
        "[triage]\nabusive_words = [\"numpty\", \"Numpty\"]",
    ));
    assert!(
        e.contains("triage.abusive_words[1]: duplicate of triage.abusive_words[0]"),
        "{e}"
    );
    let e = err(&with_monitor("[triage]\nfalse_friend_words = [\"(Vic)\"]"));
    assert!(
        e.contains(":8: triage.false_friend_words[0]: must not contain `(`"),
        "{e}"
    );
    let e = err(&with_monitor(
        "[triage]\nfalse_friend_words = [\"EAST croydon\"]",
    ));
    assert!(
        e.contains(":8: triage.false_friend_words[0]: \"EAST croydon\" is also monitor.places[1]"),
        "{e}"
    );
    let e = err(&with_monitor("[triage]\nabusive_word = [\"numpty\"]"));
    assert!(
        e.starts_with(
            "config/placewatch.toml:8:1: triage.abusive_word: unknown key (expected one of: \
             abusive_words, abusive_words_extra, false_friend_words)"
        ),
        "{e}"
    );
}

// ------------------------------------------------------------ overrides

#[test]
fn triage_lists_can_be_overridden_from_the_environment() {
    let c = parse_env(
        &three_rules(),
        &[
            ("PLACEWATCH__TRIAGE__ABUSIVE_WORDS", r#"["numpty"]"#),
            ("PLACEWATCH__TRIAGE__ABUSIVE_WORDS_EXTRA", r#"["plonker"]"#),
            ("PLACEWATCH__TRIAGE__FALSE_FRIEND_WORDS", "[]"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.triage.abuse.entries().collect::<Vec<_>>(),
        ["numpty", "plonker"]
    );
    assert!(c.triage.false_friend_words.is_empty());
    assert_eq!(c.rules.len(), 3);

    let e = env_err(
        MINIMAL,
        &[(
            "PLACEWATCH__TRIAGE__ABUSIVE_WORDS",
            r#"["numpty", "-plonker"]"#,
        )],
    );
    assert_eq!(
        e,
        "environment variable PLACEWATCH__TRIAGE__ABUSIVE_WORDS: triage.abusive_words[1]: \
         must not start with `-`: \"-plonker\""
    );
    let e = env_err(
        MINIMAL,
        &[("PLACEWATCH__TRIAGE__ABUSIVE_WORDS_EXTRA", "numpty")],
    );
    assert!(
        e.starts_with("environment variable PLACEWATCH__TRIAGE__ABUSIVE_WORDS_EXTRA: triage.abusive_words_extra: invalid type"),
        "{e}"
    );
    assert!(e.contains("write a TOML array"), "{e}");
}

#[test]
fn rules_cannot_be_overridden_and_the_error_says_so() {
    let load = |name: &str| {
        let vars = [(name.to_string(), "x".to_string())];
        Config::from_str_with_vars(&three_rules(), Path::new(PATH), vars)
    };
    for var in [
        "PLACEWATCH__RULES__0__NAME",
        "PLACEWATCH__RULES__NAME",
        "PLACEWATCH__RULES",
    ] {
        let e = load(var).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("environment variable {var}: rules")),
            "{e}"
        );
        assert!(
            e.contains(
                "[[rules]] is an array of tables and cannot be overridden from the environment"
            ),
            "{e}"
        );
    }
    let e = load("PLACEWATCH__RULES__0__NAME").unwrap_err().to_string();
    assert!(
        e.starts_with("environment variable PLACEWATCH__RULES__0__NAME: rules.0.name: "),
        "{e}"
    );
}

#[test]
fn a_repeated_key_in_a_rule_is_named_at_its_rule() {
    let src = three_rules().replace(
        "when = { summoned = true }",
        "when = { summoned = true }\nwhen = { flags = [\"abusive\"] }",
    );
    assert_eq!(
        err(&src),
        "config/placewatch.toml:16:1: rules[1].when: duplicate key"
    );
    let e = err(&three_rules().replace("name = \"summoned\"", "name = \"a\"\nname = \"b\""));
    assert_eq!(
        e,
        "config/placewatch.toml:15:1: rules[1].name: duplicate key"
    );
}

#[test]
fn a_rule_assigns_to_one_of_the_configured_teams() {
    let teams = "\n[[teams]]\nname = \"Streets\"\nemails = [\"streets@croydon.example\"]\n";
    let with_team = |team: &str| {
        format!(
            "{}{teams}",
            three_rules().replace("owner = \"streets-team\"", &format!("team = \"{team}\""))
        )
    };
    // Ignoring case, kept as the team spells it.
    let c = parse(&with_team("STREETS")).unwrap();
    assert_eq!(c.rules[0].then.team.as_deref(), Some("Streets"));
    assert_eq!(
        err(&with_team("Parks")),
        "config/placewatch.toml:11: rules[0].then.team: \"Parks\" is not one of the \
         [[teams]] (Streets); add it there or fix the spelling \
         (in the [[rules]] table at line 8)"
    );
    let no_teams = three_rules().replace("owner = \"streets-team\"", "team = \"Streets\"");
    assert!(
        err(&no_teams).contains(":11: rules[0].then.team: \"Streets\" is not a team: there are no [[teams]] in this file"),
        "{}",
        err(&no_teams)
    );
    assert!(
        err(&with_team(" ")).contains(":11: rules[0].then.team: must not be empty"),
        "{}",
        err(&with_team(" "))
    );
}
