//! Place names, exclusions and other keyword lists, and language codes.
//!
//! Every place name, exclusion and triage word is parsed with
//! `crate::domain::query::Keyword::parse`, the same parser the query packer
//! and the post tagger use, so whatever loads here can be searched for and
//! matched. `keyword_message` restates the parser's refusals in the file's
//! vocabulary, with a hint that fits the list the entry came from.

use crate::domain::query::{Keyword, KeywordError, MAX_KEYWORD_CHARS};

use super::error::ConfigError;
use super::locate::Ctx;

type Result<T> = std::result::Result<T, ConfigError>;

/// Longest place name or exclusion accepted (the keyword limit of the
/// query module).
pub const MAX_PLACE_NAME_CHARS: usize = MAX_KEYWORD_CHARS;

/// Which list a keyword comes from: decides the hint in a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListKind {
    /// `monitor.places` / `monitor.exclusions`: searched on X.
    Search,
    /// Word lists matched locally (`triage.*`, `rules[i].when.words`).
    Local,
}

/// Parses a place name or exclusion as a query [`Keyword`] (trimmed, inner
/// whitespace collapsed), or says why it cannot be one, in the config
/// file's words.
pub fn parse_place_name(name: &str) -> std::result::Result<Keyword, String> {
    Keyword::parse(name).map_err(|e| keyword_message(&e, ListKind::Search))
}

/// Checks a place name or exclusion without keeping it: `parse_place_name`
/// without the result.
pub fn validate_place_name(name: &str) -> std::result::Result<(), String> {
    parse_place_name(name).map(|_| ())
}

/// A `KeywordError` as a config message (the key is named by the caller).
pub(super) fn keyword_message(err: &KeywordError, kind: ListKind) -> String {
    match err {
        KeywordError::Empty => "must not be empty".into(),
        KeywordError::TooLong { len, max } => {
            format!("is {len} characters long; at most {max} are allowed")
        }
        KeywordError::Reserved { keyword, found } => match kind {
            ListKind::Search => {
                format!("must not contain `{found}` (it would break the search query): {keyword:?}")
            }
            ListKind::Local => format!(
                "must not contain `{found}` (words are matched like place names, which \
                 cannot hold it): {keyword:?}"
            ),
        },
        KeywordError::LeadingMinus(keyword) => match kind {
            ListKind::Search => format!(
                "must not start with `-` (X reads that as \"exclude\"; false friends \
                 go in monitor.exclusions, written without the `-`): {keyword:?}"
            ),
            ListKind::Local => format!("must not start with `-`: {keyword:?}"),
        },
        KeywordError::BareOr => {
            "must not be \"OR\" on its own: that is X's OR operator (write \"or\" to \
             match the word)"
                .into()
        }
        KeywordError::NoWords(keyword) => {
            format!("{keyword:?} has no letters, digits or emoji, so it would never match")
        }
        // A variant added to the query module later: its own words.
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}

/// Each entry parsed as a [`Keyword`], unique ignoring case; errors name
/// `key[i]`.
pub(super) fn keyword_list(
    ctx: &Ctx<'_>,
    key: &str,
    items: &[String],
    kind: ListKind,
) -> Result<Vec<Keyword>> {
    let mut out: Vec<Keyword> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_key = format!("{key}[{i}]");
        let keyword =
            Keyword::parse(item).map_err(|e| ctx.invalid(&item_key, keyword_message(&e, kind)))?;
        if let Some(j) = position_ignoring_case(&out, keyword.as_str()) {
            return Err(ctx.invalid(
                &item_key,
                format!(
                    "duplicate of {key}[{j}] ({:?}); names are compared ignoring case",
                    out[j].as_str()
                ),
            ));
        }
        out.push(keyword);
    }
    Ok(out)
}

/// Where `name` is in `list`, comparing as rules do: ignoring case, with
/// whitespace runs collapsed.
pub(super) fn position_ignoring_case(list: &[Keyword], name: &str) -> Option<usize> {
    let wanted = fold(name);
    list.iter().position(|k| fold(k.as_str()) == wanted)
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// BCP-47-ish: `^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`, no duplicates.
pub(super) fn languages(ctx: &Ctx<'_>, raw: Vec<String>) -> Result<Vec<String>> {
    for (i, code) in raw.iter().enumerate() {
        let key = format!("monitor.languages[{i}]");
        if !crate::domain::query::is_language_code(code, false) {
            return Err(ctx.invalid(
                &key,
                format!("{code:?} is not a language code like \"en\" or \"en-GB\""),
            ));
        }
        if let Some(j) = raw[..i].iter().position(|c| c == code) {
            return Err(ctx.invalid(&key, format!("duplicate of monitor.languages[{j}]")));
        }
    }
    Ok(raw)
}
