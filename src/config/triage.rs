//! `[triage]` and `[[rules]]`: word lists parsed as query keywords, and the
//! triage rules of `crate::domain::triage`.
//!
//! Rules are deserialized straight into `domain::triage::Rule` (its serde
//! derives refuse unknown keys, so a typo such as `when.place` is a parse
//! error at its line), then checked by `validate_rules`, the rules engine's
//! one validator, whose error names the exact key (`rules[2].when.words[1]`)
//! so the message points at its line.

use crate::domain::query::Keyword;
use crate::domain::triage::{
    AbuseList, Rule, RuleProblem, default_false_friend_context, validate_rules,
};

use super::error::ConfigError;
use super::locate::Ctx;
use super::places::{ListKind, keyword_list, keyword_message, position_ignoring_case};
use super::schema::{RawTriage, Triage};
use crate::domain::team::TeamConfig;

type Result<T> = std::result::Result<T, ConfigError>;

/// `[triage]`: the abuse list and the false-friend context words.
pub(super) fn triage(raw: RawTriage, places: &[Keyword], ctx: &Ctx<'_>) -> Result<Triage> {
    let mut words = match &raw.abusive_words {
        Some(list) => keyword_list(ctx, "triage.abusive_words", list, ListKind::Local)?,
        None => AbuseList::uk_default()
            .entries()
            .filter_map(|w| Keyword::parse(w).ok())
            .collect(),
    };
    let extra = keyword_list(
        ctx,
        "triage.abusive_words_extra",
        &raw.abusive_words_extra,
        ListKind::Local,
    )?;
    for keyword in extra {
        // Already in the base list (perhaps the built-in one): nothing to add.
        if position_ignoring_case(&words, keyword.as_str()).is_none() {
            words.push(keyword);
        }
    }
    let words: Vec<String> = words.iter().map(|k| k.as_str().to_string()).collect();
    let abuse = AbuseList::from_words(&words);

    let false_friend_words = match &raw.false_friend_words {
        None => default_false_friend_context(),
        Some(list) => {
            let key = "triage.false_friend_words";
            let words = keyword_list(ctx, key, list, ListKind::Local)?;
            for (i, word) in words.iter().enumerate() {
                if let Some(j) = position_ignoring_case(places, word.as_str()) {
                    return Err(ctx.invalid(
                        &format!("{key}[{i}]"),
                        format!(
                            "{:?} is also monitor.places[{j}]; every post about it would be \
                             flagged as a false friend",
                            word.as_str()
                        ),
                    ));
                }
            }
            words
        }
    };
    Ok(Triage {
        abuse,
        false_friend_words,
    })
}

/// `[[rules]]`, in file order, checked by the rules engine's own validator
/// against the monitored places; its error names the rule's field, so the
/// config points at that key's line. A rule's `then.team` must be one of
/// the config's `[[teams]]` (ignoring case; written as the team spells it):
/// those are in the store, synced at start-up, before any rule runs.
pub(super) fn rules(
    raw: Vec<Rule>,
    places: &[Keyword],
    teams: &[TeamConfig],
    ctx: &Ctx<'_>,
) -> Result<Vec<Rule>> {
    let mut raw = raw;
    for (i, rule) in raw.iter_mut().enumerate() {
        let Some(name) = rule.then.team.as_deref().map(str::trim) else {
            continue;
        };
        if name.is_empty() {
            // The validator below says so.
            continue;
        }
        let team = teams
            .iter()
            .find(|t| t.name.to_lowercase() == name.to_lowercase());
        match team {
            Some(team) => rule.then.team = Some(team.name.clone()),
            None => {
                let known: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
                let message = if known.is_empty() {
                    format!("{name:?} is not a team: there are no [[teams]] in this file")
                } else {
                    format!(
                        "{name:?} is not one of the [[teams]] ({}); add it there or fix the spelling",
                        known.join(", ")
                    )
                };
                return Err(ctx.invalid(&format!("rules[{i}].then.team"), message));
            }
        }
    }
    validate_rules(&raw, places).map_err(|e| {
        let message = match &e.problem {
            RuleProblem::Word(word) => keyword_message(word, ListKind::Local),
            problem => problem.to_string(),
        };
        ctx.invalid(&format!("rules[{}].{}", e.index, e.field), message)
    })?;
    Ok(raw)
}
