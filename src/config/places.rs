//! Place names, exclusions and language codes in `[monitor]`.
//!
//! `validate_place_name` is a deliberate stand-in for
//! `crate::domain::query::Keyword::parse`, kept local so the config module
//! depends on no other placewatch module for now.

use super::error::ConfigError;
use super::locate::Ctx;

type Result<T> = std::result::Result<T, ConfigError>;

/// Longest place name or exclusion accepted.
pub const MAX_PLACE_NAME_CHARS: usize = 128;

// ======================================================================
// PLACEHOLDER — to be replaced by a call to
// `crate::domain::query::Keyword::parse` (the config module must not depend
// on other placewatch modules until then). Keep the signature.
// ======================================================================
/// Simple checks on a place name or exclusion: non-empty after trimming, no
/// `"`, `(` or `)` (they would break the search query), no leading `-` (the
/// query language's negation), at most 128 characters.
pub fn validate_place_name(name: &str) -> std::result::Result<(), String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(c) = trimmed.chars().find(|c| matches!(c, '"' | '(' | ')')) {
        return Err(format!(
            "must not contain `{c}` (it would break the search query): {trimmed:?}"
        ));
    }
    if trimmed.starts_with('-') {
        return Err(format!(
            "must not start with `-` (X reads that as \"exclude\"; false friends \
             go in monitor.exclusions, written without the `-`): {trimmed:?}"
        ));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_PLACE_NAME_CHARS {
        return Err(format!(
            "is {chars} characters long; at most {MAX_PLACE_NAME_CHARS} are allowed"
        ));
    }
    Ok(())
}

/// Trimmed names, each passing `validate_place_name`, unique ignoring case.
pub(super) fn name_list(ctx: &Ctx<'_>, key: &str, items: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_key = format!("{key}[{i}]");
        validate_place_name(item).map_err(|m| ctx.invalid(&item_key, m))?;
        // Trim and collapse inner whitespace, as `Keyword::parse` does, so
        // "East  Croydon" is caught as a duplicate of "East Croydon".
        let name = item.split_whitespace().collect::<Vec<_>>().join(" ");
        let lower = name.to_lowercase();
        if let Some(j) = out.iter().position(|o| o.to_lowercase() == lower) {
            return Err(ctx.invalid(
                &item_key,
                format!(
                    "duplicate of {key}[{j}] ({:?}); names are compared ignoring case",
                    out[j]
                ),
            ));
        }
        out.push(name);
    }
    Ok(out)
}

/// BCP-47-ish: `^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`, no duplicates.
pub(super) fn languages(ctx: &Ctx<'_>, raw: Vec<String>) -> Result<Vec<String>> {
    for (i, code) in raw.iter().enumerate() {
        let key = format!("monitor.languages[{i}]");
        let mut parts = code.split('-');
        let primary = parts.next().unwrap_or_default();
        let ok = (2..=3).contains(&primary.len())
            && primary.chars().all(|c| c.is_ascii_lowercase())
            && parts.all(|p| {
                (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if !ok {
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
