//! [`QueryError`]: why a query was refused, worded as X words it.
//!
//! Wording seen in real X API v2 responses (quoted in public issue threads and code):
//! - `There were errors processing your request: <detail> (at position N)` — the 400
//!   envelope; positions are 1-based characters.
//! - `Reference to invalid operator 'point_radius'. Operator is not available in current
//!   product or product packaging. Please refer to complete available operator list at
//!   http://t.co/operators.` (turbot/steampipe-plugin-twitter#10, 2022).
//! - `Reference to invalid operator 'has:polls'` (bittensor datura prompt examples).
//! - `is/has/lang cannot be used as a standalone operator` (xdevplatform/search-tweets-python#27).
//! - `Rules must contain a non-negation term` (v2 rule validation, 2016–2022 captures).
//! - `Ambiguous use of and as a keyword. Use a space to logically join two clauses, or
//!   "and" to find occurrences of and in text` (digitalmethodsinitiative/4cat#359) and the
//!   `or` form (felixdorn/twitter-stream-api#10).
//! - `no viable alternative at character '''` / `at input '['` (ANTLR lexer and parser
//!   messages X returns for stray characters).
//!
//! Not found verbatim, so chosen here: the length message (modelled on X's
//! `Raw query length N exceeds max allowed 512`), the empty-query message, and the
//! parenthesis, empty-phrase and bad-value messages.

/// Why a query cannot be run. `Display` gives the detail; [`QueryError::x_message`]
/// gives the full message X puts in a 400 response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query has more characters (Unicode scalar values) than the limit.
    #[error("Query length {len} exceeds max allowed {max}")]
    TooLong {
        /// Characters in the query.
        len: usize,
        /// The access level's limit.
        max: usize,
    },
    /// The query is empty or only whitespace.
    #[error("The `query` query parameter can not be empty")]
    Empty,
    /// `name:value` where `name` (or `is:`/`has:` value) is not an X operator.
    #[error("Reference to invalid operator '{op}' (at position {position})")]
    UnknownOperator {
        /// The operator as written, e.g. `foo` or `has:polls`.
        op: String,
        /// 1-based character position of the operator.
        position: usize,
    },
    /// An X operator this implementation does not evaluate (geo, context, lists,
    /// engagement counts...). X gives the same answer when an access level lacks it.
    #[error(
        "Reference to invalid operator '{op}'. Operator is not available in current product or product packaging. Please refer to complete available operator list at http://t.co/operators. (at position {position})"
    )]
    UnavailableOperator {
        /// The operator name, e.g. `point_radius`.
        op: String,
        /// 1-based character position of the operator.
        position: usize,
    },
    /// A query, or one of its OR branches, whose only positive terms are
    /// conjunction-required operators (`is:`, `has:`, `lang:`).
    #[error("is/has/lang cannot be used as a standalone operator (at position {position})")]
    StandaloneRequired {
        /// 1-based character position of the offending operator.
        position: usize,
    },
    /// A query, or one of its OR branches, made only of negated terms.
    #[error("Rules must contain a non-negation term (at position {position})")]
    NegationOnly {
        /// 1-based character position of the first negated term.
        position: usize,
    },
    /// Anything else: unbalanced parentheses or quotes, dangling `OR`, lower-case
    /// `and`/`or`, operators with a missing or malformed value.
    #[error("{message} (at position {position})")]
    Syntax {
        /// What is wrong, in X's words where known.
        message: String,
        /// 1-based character position where it went wrong.
        position: usize,
    },
}

impl QueryError {
    /// The message X puts in the 400 invalid-request body's `errors[0].message`.
    pub fn x_message(&self) -> String {
        match self {
            QueryError::Empty => self.to_string(),
            other => format!("There were errors processing your request: {other}"),
        }
    }

    /// The 1-based character position the error points at, when it points somewhere.
    pub fn position(&self) -> Option<usize> {
        match self {
            QueryError::TooLong { .. } | QueryError::Empty => None,
            QueryError::UnknownOperator { position, .. }
            | QueryError::UnavailableOperator { position, .. }
            | QueryError::StandaloneRequired { position }
            | QueryError::NegationOnly { position }
            | QueryError::Syntax { position, .. } => Some(*position),
        }
    }

    pub(crate) fn syntax(message: impl Into<String>, position: usize) -> QueryError {
        QueryError::Syntax {
            message: message.into(),
            position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_messages_carry_the_envelope_and_position() {
        let e = QueryError::UnknownOperator {
            op: "has:polls".into(),
            position: 1,
        };
        assert_eq!(
            e.x_message(),
            "There were errors processing your request: Reference to invalid operator 'has:polls' (at position 1)"
        );
        assert_eq!(e.position(), Some(1));
        let e = QueryError::StandaloneRequired { position: 3 };
        assert!(
            e.x_message()
                .ends_with("is/has/lang cannot be used as a standalone operator (at position 3)")
        );
        let e = QueryError::TooLong { len: 513, max: 512 };
        assert_eq!(
            e.x_message(),
            "There were errors processing your request: Query length 513 exceeds max allowed 512"
        );
        assert_eq!(e.position(), None);
        assert_eq!(
            QueryError::Empty.x_message(),
            "The `query` query parameter can not be empty"
        );
    }
}
