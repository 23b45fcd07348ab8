//! Recursive-descent parser for X's query grammar:
//!
//! ```text
//! query := or EOF
//! or    := and ("OR" and)*        -- AND binds tighter: `a OR b c` = `a OR (b c)`
//! and   := unary unary*           -- juxtaposition is AND
//! unary := "-" unary | "(" or ")" | phrase | word | name:"value"
//! ```
//!
//! Errors use ANTLR-style wording where X does (`no viable alternative at input 'OR'`,
//! `extraneous input ')' expecting <EOF>`), and `Missing closing parenthesis` for an
//! unclosed group, pointing at its `(`.

use super::ast::Expr;
use super::error::QueryError;
use super::lexer::{Lex, Tok, lex};
use super::term::Term;

/// Parses and validates a non-empty query into a tree.
pub(crate) fn parse_expr(query: &str) -> Result<Expr, QueryError> {
    let mut parser = Parser {
        toks: lex(query)?,
        at: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    if let Some(tok) = parser.peek() {
        return Err(QueryError::syntax(
            format!("extraneous input '{}' expecting <EOF>", shown(&tok.lex)),
            tok.pos,
        ));
    }
    expr.validate()?;
    Ok(expr)
}

/// Deepest nesting of groups and negations accepted; bounds recursion everywhere.
const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.toks.get(self.at).cloned();
        self.at += 1;
        tok
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut branches = vec![self.and()?];
        while let Some(tok) = self.peek().filter(|t| t.lex == Lex::Or) {
            let pos = tok.pos;
            self.at += 1;
            if matches!(
                self.peek().map(|t| &t.lex),
                None | Some(Lex::Or | Lex::Close)
            ) {
                return Err(no_viable("OR", pos));
            }
            branches.push(self.and()?);
        }
        Ok(Expr::or(branches))
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut parts = Vec::new();
        while let Some(tok) = self.peek() {
            if matches!(tok.lex, Lex::Or | Lex::Close) {
                if parts.is_empty() {
                    return Err(no_viable(shown(&tok.lex), tok.pos));
                }
                break;
            }
            parts.push(self.unary()?);
        }
        if parts.is_empty() {
            return Err(no_viable("<EOF>", self.toks.last().map_or(1, |t| t.pos)));
        }
        Ok(Expr::and(parts))
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let tok = self.next().expect("caller peeked a token");
        let nests = matches!(tok.lex, Lex::Minus | Lex::Open);
        if nests {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(QueryError::syntax(
                    format!("Nesting exceeds max allowed depth {MAX_DEPTH}"),
                    tok.pos,
                ));
            }
        }
        let expr = self.unary_body(tok);
        if nests {
            self.depth -= 1;
        }
        expr
    }

    fn unary_body(&mut self, tok: Tok) -> Result<Expr, QueryError> {
        let pos = tok.pos;
        match tok.lex {
            Lex::Minus => match self.peek() {
                Some(t) if !matches!(t.lex, Lex::Or | Lex::Close) => Ok(Expr::Not {
                    inner: Box::new(self.unary()?),
                    pos,
                }),
                Some(t) => Err(no_viable(shown(&t.lex), t.pos)),
                None => Err(no_viable("-", pos)),
            },
            Lex::Open => self.group(pos),
            Lex::Phrase(text) => term(Term::keyword(&text, pos), pos),
            Lex::Word(text) => term(Term::from_word(&text, pos), pos),
            Lex::QuotedOperator { name, value } => term(Term::operator(&name, &value, pos), pos),
            Lex::Or | Lex::Close => Err(no_viable(shown(&tok.lex), pos)),
        }
    }

    fn group(&mut self, open: usize) -> Result<Expr, QueryError> {
        let missing = || QueryError::syntax("Missing closing parenthesis", open);
        if self.peek().is_none() {
            return Err(missing());
        }
        let inner = self.or()?;
        match self.next() {
            Some(Tok {
                lex: Lex::Close, ..
            }) => Ok(inner),
            _ => Err(missing()),
        }
    }
}

fn term(term: Result<Term, QueryError>, pos: usize) -> Result<Expr, QueryError> {
    Ok(Expr::Term { term: term?, pos })
}

fn no_viable(input: &str, pos: usize) -> QueryError {
    QueryError::syntax(format!("no viable alternative at input '{input}'"), pos)
}

fn shown(lex: &Lex) -> &str {
    match lex {
        Lex::Open => "(",
        Lex::Close => ")",
        Lex::Or => "OR",
        Lex::Minus => "-",
        Lex::Phrase(s) | Lex::Word(s) => s,
        Lex::QuotedOperator { name, .. } => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(q: &str) -> QueryError {
        parse_expr(q).unwrap_err()
    }

    fn syntax(message: &str, position: usize) -> QueryError {
        QueryError::syntax(message, position)
    }

    /// The tree without positions: `[a b]` is AND, `{a | b}` is OR, `-x` is NOT.
    fn shape(q: &str) -> String {
        fn walk(e: &Expr) -> String {
            let list = |parts: &[Expr], sep: &str| -> String {
                parts.iter().map(walk).collect::<Vec<_>>().join(sep)
            };
            match e {
                Expr::Term { term, .. } => match term {
                    Term::Word(w) => w.to_string(),
                    other => format!("{other:?}"),
                },
                Expr::Not { inner, .. } => format!("-{}", walk(inner)),
                Expr::And(parts) => format!("[{}]", list(parts, " ")),
                Expr::Or(parts) => format!("{{{}}}", list(parts, " | ")),
            }
        }
        walk(&parse_expr(q).unwrap())
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(shape("a OR b c"), "{a | [b c]}");
        assert_eq!(shape("a b OR c"), "{[a b] | c}");
        assert_eq!(shape("(a OR b) c"), "[{a | b} c]");
        assert_eq!(shape("a OR b c OR d"), "{a | [b c] | d}");
        assert_eq!(shape("-(a OR b) c"), "[-{a | b} c]");
    }

    #[test]
    fn groups_flatten_into_their_parent() {
        assert_eq!(shape("(a b) c"), "[a b c]");
        assert_eq!(shape("a OR (b OR c)"), "{a | b | c}");
        assert_eq!(shape("((a))"), "a");
    }

    #[test]
    fn unbalanced_parentheses() {
        assert_eq!(err("(a OR b"), syntax("Missing closing parenthesis", 1));
        assert_eq!(err("x ("), syntax("Missing closing parenthesis", 3));
        assert_eq!(
            err("a OR b)"),
            syntax("extraneous input ')' expecting <EOF>", 7)
        );
        assert_eq!(err("a ()"), syntax("no viable alternative at input ')'", 4));
    }

    #[test]
    fn dangling_or() {
        assert_eq!(
            err("a OR"),
            syntax("no viable alternative at input 'OR'", 3)
        );
        assert_eq!(
            err("OR a"),
            syntax("no viable alternative at input 'OR'", 1)
        );
        assert_eq!(
            err("a OR OR b"),
            syntax("no viable alternative at input 'OR'", 3)
        );
        assert_eq!(
            err("(a OR) b"),
            syntax("no viable alternative at input 'OR'", 4)
        );
        assert_eq!(
            err("a -OR b"),
            syntax("no viable alternative at input 'OR'", 4)
        );
    }

    #[test]
    fn bare_and_or_are_ambiguous_like_x() {
        let e = err("(humorous AND (film OR movies))");
        assert_eq!(
            e.x_message(),
            "There were errors processing your request: Ambiguous use of and as a keyword. Use a space to logically join two clauses, or \"and\" to find occurrences of and in text (at position 11)"
        );
        let e = err("cats or dogs");
        assert!(
            e.to_string()
                .starts_with("Ambiguous use of or as a keyword. Use OR")
        );
        assert!(parse_expr("cats \"or\" dogs").is_ok());
    }

    #[test]
    fn standalone_rule() {
        assert_eq!(
            err("has:links"),
            QueryError::StandaloneRequired { position: 1 }
        );
        assert_eq!(err("-croydon"), QueryError::NegationOnly { position: 1 });
        assert_eq!(err("--b"), QueryError::NegationOnly { position: 1 });
        assert_eq!(
            err("-a has:media"),
            QueryError::StandaloneRequired { position: 4 }
        );
        assert_eq!(
            err("lang:en -is:retweet"),
            QueryError::StandaloneRequired { position: 1 }
        );
        assert_eq!(
            err("croydon OR has:links"),
            QueryError::StandaloneRequired { position: 12 }
        );
        assert_eq!(
            err("croydon OR -sutton"),
            QueryError::NegationOnly { position: 12 }
        );
        assert_eq!(
            err("(a OR has:links) lang:en"),
            QueryError::StandaloneRequired { position: 7 }
        );
        assert!(parse_expr("(a OR b) -is:retweet (lang:en OR lang:cy)").is_ok());
        assert!(parse_expr("(a OR has:links) b").is_ok());
        assert!(parse_expr("from:bob -is:retweet").is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a{}", "(".repeat(64), ")".repeat(64));
        assert!(parse_expr(&deep).is_ok());
        let deeper = format!("{}a{}", "(".repeat(2000), ")".repeat(2000));
        assert_eq!(
            parse_expr(&deeper).unwrap_err(),
            syntax("Nesting exceeds max allowed depth 64", 65)
        );
        let minus = format!("x {}a", "-".repeat(65));
        assert!(matches!(parse_expr(&minus), Err(QueryError::Syntax { .. })));
        let siblings = "(a) ".repeat(500);
        assert!(
            parse_expr(&siblings).is_ok(),
            "depth, not count, is bounded"
        );
    }

    #[test]
    fn nullcast_must_be_negated() {
        assert!(parse_expr("croydon -is:nullcast").is_ok());
        assert_eq!(
            err("croydon is:nullcast"),
            syntax("is:nullcast must always be negated", 9)
        );
    }
}
