//! `[triage]` and `[[rules]]`: word lists parsed as query keywords, and the
//! triage rules of `crate::domain::triage`.
//!
//! Rules are deserialized straight into `domain::triage::Rule` (its serde
//! derives refuse unknown keys, so a typo such as `when.place` is a parse
//! error at its line). Each rule is then checked here key by key, so an
//! error names the exact key (`rules[2].when.words[1]`) and its line, and a
//! rule's `when.places` must be configured place names. Finally
//! `validate_rules`, the domain's own check, runs as the authority: anything
//! it refuses that the checks here let through is reported at the rule.

use crate::domain::query::Keyword;
use crate::domain::triage::{AbuseList, Rule, default_false_friend_context, validate_rules};

use super::error::ConfigError;
use super::locate::Ctx;
use super::places::{
    ListKind, is_language_code, keyword_list, keyword_message, position_ignoring_case,
};
use super::schema::{RawTriage, Triage};
use super::validate::check_handle;

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

/// `[[rules]]`, in file order: each checked key by key, then by
/// `validate_rules`.
pub(super) fn rules(raw: Vec<Rule>, places: &[Keyword], ctx: &Ctx<'_>) -> Result<Vec<Rule>> {
    for (i, rule) in raw.iter().enumerate() {
        check_rule(ctx, &format!("rules[{i}]"), rule, &raw[..i], places)?;
    }
    validate_rules(&raw)
        .map_err(|(i, message)| ctx.invalid(&backstop_key(i, &message), message))?;
    Ok(raw)
}

fn check_rule(
    ctx: &Ctx<'_>,
    at: &str,
    rule: &Rule,
    earlier: &[Rule],
    places: &[Keyword],
) -> Result<()> {
    let key = |sub: &str| format!("{at}.{sub}");
    let item = |sub: &str, k: usize| format!("{at}.{sub}[{k}]");

    let name = rule.name.trim();
    if name.is_empty() {
        return Err(ctx.invalid(
            &key("name"),
            "must not be empty: every rule needs a name, recorded on the items it matches",
        ));
    }
    if let Some(j) = earlier
        .iter()
        .position(|r| r.name.trim().to_lowercase() == name.to_lowercase())
    {
        return Err(ctx.invalid(
            &key("name"),
            format!("{name:?} is already the name of rules[{j}]; rule names must be unique (ignoring case)"),
        ));
    }

    let when = &rule.when;
    let no_condition = when.places.is_empty()
        && when.words.is_empty()
        && when.authors.is_empty()
        && when.languages.is_empty()
        && when.flags.is_empty()
        && when.summoned.is_none();
    if no_condition {
        return Err(ctx.invalid(
            &key("when"),
            format!(
                "rule {name:?} needs at least one condition: when = {{ places, words, \
                 authors, languages, flags or summoned }}"
            ),
        ));
    }
    for (k, place) in when.places.iter().enumerate() {
        if place.trim().is_empty() {
            return Err(ctx.invalid(&item("when.places", k), "must not be empty"));
        }
        if position_ignoring_case(places, place).is_none() {
            return Err(ctx.invalid(
                &item("when.places", k),
                format!(
                    "{place:?} is not one of monitor.places (compared ignoring case); \
                     add it there or fix the spelling"
                ),
            ));
        }
    }
    for (k, word) in when.words.iter().enumerate() {
        Keyword::parse(word).map_err(|e| {
            ctx.invalid(&item("when.words", k), keyword_message(&e, ListKind::Local))
        })?;
    }
    for (k, author) in when.authors.iter().enumerate() {
        let handle = author.trim().strip_prefix('@').unwrap_or(author.trim());
        check_handle(handle).map_err(|m| ctx.invalid(&item("when.authors", k), m))?;
    }
    for (k, code) in when.languages.iter().enumerate() {
        if !is_language_code(code.trim(), true) {
            return Err(ctx.invalid(
                &item("when.languages", k),
                format!("{code:?} is not a language code like \"en\", \"cy\" or \"en-GB\""),
            ));
        }
    }

    let then = &rule.then;
    let no_effect = then.tag.is_none()
        && then.tags.is_empty()
        && then.priority.is_none()
        && then.owner.is_none()
        && !then.dismiss
        && !then.stop;
    if no_effect {
        return Err(ctx.invalid(
            &key("then"),
            format!(
                "rule {name:?} needs at least one effect: then = {{ tag, tags, priority, \
                 owner, dismiss or stop }}"
            ),
        ));
    }
    if then.tag.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ctx.invalid(&key("then.tag"), "must not be empty"));
    }
    if let Some(k) = then.tags.iter().position(|t| t.trim().is_empty()) {
        return Err(ctx.invalid(&item("then.tags", k), "must not be empty"));
    }
    if then.owner.as_deref().is_some_and(|o| o.trim().is_empty()) {
        return Err(ctx.invalid(&key("then.owner"), "must not be empty"));
    }
    Ok(())
}

/// The key a message of `validate_rules` is about, as near as it tells:
/// `rules[i].when.places` when it names that key, else `rules[i]`.
fn backstop_key(i: usize, message: &str) -> String {
    const KEYS: [&str; 9] = [
        "when.places",
        "when.words",
        "when.authors",
        "when.languages",
        "when.flags",
        "then.tags",
        "then.tag",
        "then.owner",
        "then.priority",
    ];
    let sub = KEYS
        .iter()
        .find(|k| message.contains(*k))
        .copied()
        .or_else(|| {
            [("`when`", "when"), ("`then`", "then"), ("name", "name")]
                .iter()
                .find(|(word, _)| message.contains(word))
                .map(|(_, sub)| *sub)
        });
    match sub {
        Some(sub) => format!("rules[{i}].{sub}"),
        None => format!("rules[{i}]"),
    }
}
