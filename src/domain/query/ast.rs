//! The parsed query tree, its evaluation, and the checks X makes on the whole tree:
//! the standalone rule and `is:nullcast` only negated.
//!
//! Standalone rule: a query must hold a positive standalone term (keyword, phrase,
//! entity, `from:`, `url:`...) in every OR branch. An AND is satisfied when any of its
//! parts is; an OR only when all its branches are; a negation never is. So
//! `(a OR b) -is:retweet (lang:en OR lang:cy)` is accepted and `a OR has:links` is not.
//! When the failing branch holds a positive `is:`/`has:`/`lang:` the error is
//! [`QueryError::StandaloneRequired`] at that operator, otherwise
//! [`QueryError::NegationOnly`] at the first negation.

use super::Document;
use super::error::QueryError;
use super::term::{IsFlag, Term};

/// A node of the query tree. Positions are 1-based characters, kept for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Term { term: Term, pos: usize },
    Not { inner: Box<Expr>, pos: usize },
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

impl Expr {
    /// Builds an AND, flattening nested ANDs; one part is returned as is.
    pub(crate) fn and(parts: Vec<Expr>) -> Expr {
        Expr::join(parts, true)
    }

    /// Builds an OR, flattening nested ORs; one branch is returned as is.
    pub(crate) fn or(parts: Vec<Expr>) -> Expr {
        Expr::join(parts, false)
    }

    fn join(parts: Vec<Expr>, is_and: bool) -> Expr {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Expr::And(inner) if is_and => flat.extend(inner),
                Expr::Or(inner) if !is_and => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match (flat.len(), is_and) {
            (1, _) => flat.pop().expect("one part"),
            (_, true) => Expr::And(flat),
            (_, false) => Expr::Or(flat),
        }
    }

    /// Evaluates the tree against a post, short-circuiting.
    pub(crate) fn eval(&self, doc: &Document<'_>) -> bool {
        match self {
            Expr::Term { term, .. } => term.matches(doc),
            Expr::Not { inner, .. } => !inner.eval(doc),
            Expr::And(parts) => parts.iter().all(|p| p.eval(doc)),
            Expr::Or(parts) => parts.iter().any(|p| p.eval(doc)),
        }
    }

    /// Applies X's whole-query rules (see the module doc).
    pub(crate) fn validate(&self) -> Result<(), QueryError> {
        self.check_nullcast(false)?;
        match self.standalone() {
            Ok(()) => Ok(()),
            Err(v) => Err(v.into_error()),
        }
    }

    fn check_nullcast(&self, negated: bool) -> Result<(), QueryError> {
        match self {
            Expr::Term {
                term: Term::Is(IsFlag::Nullcast),
                pos,
            } if !negated => Err(QueryError::syntax(
                "is:nullcast must always be negated",
                *pos,
            )),
            Expr::Term { .. } => Ok(()),
            Expr::Not { inner, .. } => inner.check_nullcast(!negated),
            Expr::And(parts) | Expr::Or(parts) => {
                parts.iter().try_for_each(|p| p.check_nullcast(negated))
            }
        }
    }

    fn standalone(&self) -> Result<(), Violation> {
        match self {
            Expr::Term { term, .. } if term.is_standalone() => Ok(()),
            Expr::Term { pos, .. } => Err(Violation::Conjunction(*pos)),
            Expr::Not { pos, .. } => Err(Violation::Negation(*pos)),
            Expr::Or(branches) => branches.iter().try_for_each(Expr::standalone),
            Expr::And(parts) => {
                let mut worst: Option<Violation> = None;
                for part in parts {
                    match part.standalone() {
                        Ok(()) => return Ok(()),
                        Err(v) => worst = Some(worst.map_or(v, |w| w.worse(v))),
                    }
                }
                Err(worst.unwrap_or(Violation::Negation(1)))
            }
        }
    }
}

/// Why a subtree cannot stand alone, and where.
#[derive(Debug, Clone, Copy)]
enum Violation {
    Conjunction(usize),
    Negation(usize),
}

impl Violation {
    /// Prefers the first conjunction-required operator over negations.
    fn worse(self, other: Violation) -> Violation {
        match (self, other) {
            (Violation::Negation(_), Violation::Conjunction(_)) => other,
            _ => self,
        }
    }

    fn into_error(self) -> QueryError {
        match self {
            Violation::Conjunction(position) => QueryError::StandaloneRequired { position },
            Violation::Negation(position) => QueryError::NegationOnly { position },
        }
    }
}
