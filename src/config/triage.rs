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
/// config points at that key's line.
pub(super) fn rules(raw: Vec<Rule>, places: &[Keyword], ctx: &Ctx<'_>) -> Result<Vec<Rule>> {
    validate_rules(&raw, places).map_err(|e| {
        let message = match &e.problem {
            RuleProblem::Word(word) => keyword_message(word, ListKind::Local),
            problem => problem.to_string(),
        };
        ctx.invalid(&format!("rules[{}].{}", e.index, e.field), message)
    })?;
    Ok(raw)
}
