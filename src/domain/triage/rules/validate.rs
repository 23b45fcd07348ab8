//! The one check of configured rules, run when the config loads and again
//! when a [`RuleSet`](super::RuleSet) is built: every error names the rule
//! and the field, as the config writes them (`rules[2].when.words[1]`), so the
//! config can point at its line without guessing from the message.

use super::{Rule, same_name};
use crate::domain::query::{Keyword, KeywordError, is_language_code, is_username};

/// A rule the rules engine refuses: which one, which of its fields, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules[{index}].{field}: {problem}")]
pub struct RuleError {
    /// The rule's position in `[[rules]]`, from 0.
    pub index: usize,
    /// The field within the rule, as the config writes it: `name`, `when`,
    /// `when.words[1]`, `then.tag`.
    pub field: String,
    pub problem: RuleProblem,
}

/// What is wrong with a rule's field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("must not be empty: every rule needs a name, recorded on the items it matches")]
    NoName,
    #[error(
        "{name:?} is already the name of rules[{earlier}]; rule names must be unique \
         (ignoring case)"
    )]
    DuplicateName { name: String, earlier: usize },
    #[error(
        "rule {0:?} needs at least one condition: when = {{ places, words, authors, \
         languages, flags or summoned }}"
    )]
    NoCondition(String),
    #[error(
        "rule {0:?} needs at least one effect: then = {{ tag, tags, priority, owner, \
         team, dismiss or stop }}"
    )]
    NoEffect(String),
    #[error("must not be empty")]
    Blank,
    #[error(
        "{0:?} is not one of monitor.places (compared ignoring case); add it there or fix \
         the spelling"
    )]
    UnknownPlace(String),
    /// A `when.words` entry that is not a keyword.
    #[error("{0}")]
    Word(KeywordError),
    #[error("must be an X username: 1 to 15 letters, digits or underscores, got {0:?}")]
    Author(String),
    #[error("{0:?} is not a language code like \"en\", \"cy\" or \"en-GB\"")]
    Language(String),
}

/// Checks `rules` in order and returns the first problem: a non-empty name,
/// unique ignoring case; at least one condition and one effect (`stop` alone
/// counts); no blank entries; `when.places` among the monitored `places`
/// (ignoring case and spacing, as when the rule runs); words that parse as
/// [`Keyword`]s; authors that are X usernames (with or without `@`); and
/// language codes (any case).
pub fn validate_rules(rules: &[Rule], places: &[Keyword]) -> Result<(), RuleError> {
    for (index, rule) in rules.iter().enumerate() {
        check(rule, &rules[..index], places).map_err(|(field, problem)| RuleError {
            index,
            field,
            problem,
        })?;
    }
    Ok(())
}

type Problem = (String, RuleProblem);

fn check(rule: &Rule, earlier: &[Rule], places: &[Keyword]) -> Result<(), Problem> {
    let field = |f: &str| f.to_string();
    let entry = |f: &str, k: usize| format!("{f}[{k}]");
    let name = rule.name.trim();
    if name.is_empty() {
        return Err((field("name"), RuleProblem::NoName));
    }
    let lower = name.to_lowercase();
    if let Some(earlier) = earlier
        .iter()
        .position(|r| r.name.trim().to_lowercase() == lower)
    {
        let name = name.to_string();
        return Err((field("name"), RuleProblem::DuplicateName { name, earlier }));
    }

    let when = &rule.when;
    let no_condition = when.places.is_empty()
        && when.words.is_empty()
        && when.authors.is_empty()
        && when.languages.is_empty()
        && when.flags.is_empty()
        && when.summoned.is_none();
    if no_condition {
        return Err((field("when"), RuleProblem::NoCondition(name.into())));
    }
    for (k, place) in when.places.iter().enumerate() {
        if place.trim().is_empty() {
            return Err((entry("when.places", k), RuleProblem::Blank));
        }
        if !places.iter().any(|p| same_name(p.as_str(), place)) {
            let unknown = RuleProblem::UnknownPlace(place.clone());
            return Err((entry("when.places", k), unknown));
        }
    }
    for (k, word) in when.words.iter().enumerate() {
        Keyword::parse(word).map_err(|e| (entry("when.words", k), RuleProblem::Word(e)))?;
    }
    for (k, author) in when.authors.iter().enumerate() {
        let handle = author.trim();
        if handle.is_empty() {
            return Err((entry("when.authors", k), RuleProblem::Blank));
        }
        if !is_username(handle.strip_prefix('@').unwrap_or(handle)) {
            let bad = RuleProblem::Author(author.clone());
            return Err((entry("when.authors", k), bad));
        }
    }
    for (k, code) in when.languages.iter().enumerate() {
        if code.trim().is_empty() {
            return Err((entry("when.languages", k), RuleProblem::Blank));
        }
        if !is_language_code(code.trim(), true) {
            let bad = RuleProblem::Language(code.clone());
            return Err((entry("when.languages", k), bad));
        }
    }

    let then = &rule.then;
    let no_effect = then.tag.is_none()
        && then.tags.is_empty()
        && then.priority.is_none()
        && then.owner.is_none()
        && then.team.is_none()
        && !then.dismiss
        && !then.stop;
    if no_effect {
        return Err((field("then"), RuleProblem::NoEffect(name.into())));
    }
    let blank = |s: &String| s.trim().is_empty();
    if then.tag.as_ref().is_some_and(blank) {
        return Err((field("then.tag"), RuleProblem::Blank));
    }
    if let Some(k) = then.tags.iter().position(blank) {
        return Err((entry("then.tags", k), RuleProblem::Blank));
    }
    if then.owner.as_ref().is_some_and(blank) {
        return Err((field("then.owner"), RuleProblem::Blank));
    }
    if then.team.as_ref().is_some_and(blank) {
        return Err((field("then.team"), RuleProblem::Blank));
    }
    Ok(())
}
