//! Lexer: splits a raw query into parentheses, `OR`, negation marks, quoted phrases
//! and bare words, each with its 1-based character position.
//!
//! - A bare word runs until whitespace, `(`, `)` or `"`.
//! - `name:"value"` and `name:[value]` keep their quoted or bracketed value with the
//!   operator (`url:"https://t.co"`, `point_radius:[2.35 48.86 16km]`).
//! - `-` negates only when glued to what follows (`-is:retweet`, `-"a b"`, `-(a OR b)`);
//!   a lone `-` is an error.
//! - Only upper-case `OR` is the operator; any other spelling is a word (the parser
//!   refuses bare `and`/`or` as X does).

use super::error::QueryError;

/// One lexical item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lex {
    Open,
    Close,
    Or,
    Minus,
    /// A `"quoted phrase"`, without the quotes.
    Phrase(String),
    /// A bare word, possibly `name:value` (including `name:[...]`).
    Word(String),
    /// `name:"value"`.
    QuotedOperator {
        name: String,
        value: String,
    },
}

/// A lexical item and where it starts (1-based character position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tok {
    pub(crate) lex: Lex,
    pub(crate) pos: usize,
}

/// Splits `query` into tokens.
pub(crate) fn lex(query: &str) -> Result<Vec<Tok>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        let (lex, next) = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Lex::Open, i + 1),
            ')' => (Lex::Close, i + 1),
            '"' => {
                let (value, next) = quoted(&chars, i)?;
                (Lex::Phrase(value), next)
            }
            '-' => match chars.get(i + 1) {
                Some(n) if !n.is_whitespace() && *n != ')' => (Lex::Minus, i + 1),
                _ => {
                    return Err(QueryError::syntax(
                        "no viable alternative at input '-'",
                        pos,
                    ));
                }
            },
            _ => word(&chars, i)?,
        };
        out.push(Tok { lex, pos });
        i = next;
    }
    Ok(out)
}

/// Reads a `"..."` starting at `start`; returns the inner text and the index after it.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    match chars[start + 1..].iter().position(|c| *c == '"') {
        Some(len) => {
            let value = chars[start + 1..start + 1 + len].iter().collect();
            Ok((value, start + len + 2))
        }
        None => Err(QueryError::syntax(
            "no viable alternative at character '\"'",
            start + 1,
        )),
    }
}

/// Reads a bare word (or operator) starting at `start`.
fn word(chars: &[char], start: usize) -> Result<(Lex, usize), QueryError> {
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || matches!(c, '(' | ')' | '"') {
            break;
        }
        if c == '[' && i > start && chars[i - 1] == ':' {
            let Some(len) = chars[i..].iter().position(|c| *c == ']') else {
                return Err(QueryError::syntax("Missing closing bracket", i + 1));
            };
            i += len;
        }
        i += 1;
    }
    let text: String = chars[start..i].iter().collect();
    if text == "OR" {
        return Ok((Lex::Or, i));
    }
    if let Some(name) = text.strip_suffix(':')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.get(i) == Some(&'"')
    {
        let (value, next) = quoted(chars, i)?;
        let name = name.to_string();
        return Ok((Lex::QuotedOperator { name, value }, next));
    }
    Ok((Lex::Word(text), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Vec<Lex> {
        lex(q).unwrap().into_iter().map(|t| t.lex).collect()
    }

    fn word(s: &str) -> Lex {
        Lex::Word(s.into())
    }

    #[test]
    fn splits_words_groups_phrases_and_or() {
        assert_eq!(
            kinds(r#"(Croydon OR "East Croydon") -is:retweet or"#),
            [
                Lex::Open,
                word("Croydon"),
                Lex::Or,
                Lex::Phrase("East Croydon".into()),
                Lex::Close,
                Lex::Minus,
                word("is:retweet"),
                word("or"),
            ]
        );
    }

    #[test]
    fn operators_keep_quoted_and_bracketed_values() {
        assert_eq!(
            kinds(r#"url:"https://t.co/x y" point_radius:[2.35 48.86 16km]"#),
            [
                Lex::QuotedOperator {
                    name: "url".into(),
                    value: "https://t.co/x y".into()
                },
                word("point_radius:[2.35 48.86 16km]"),
            ]
        );
    }

    #[test]
    fn positions_are_one_based_characters() {
        let toks = lex("café (a)").unwrap();
        let positions: Vec<usize> = toks.iter().map(|t| t.pos).collect();
        assert_eq!(positions, [1, 6, 7, 8]);
    }

    #[test]
    fn unbalanced_quotes_and_lone_minus_are_errors() {
        assert_eq!(
            lex(r#"a "open"#).unwrap_err(),
            QueryError::syntax("no viable alternative at character '\"'", 3)
        );
        assert_eq!(
            lex("a - b").unwrap_err(),
            QueryError::syntax("no viable alternative at input '-'", 3)
        );
        assert!(lex("point_radius:[1 2").is_err());
        assert_eq!(kinds("10:\"x\""), [word("10:"), Lex::Phrase("x".into())]);
        assert_eq!(kinds("--a"), [Lex::Minus, Lex::Minus, word("a")]);
    }
}
