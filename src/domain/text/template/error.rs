//! `TemplateError`: why a template's text was refused, with a hint when an
//! unknown placeholder looks like a typo of a known one.

/// Why a template's text was refused. Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The text is empty or only whitespace.
    #[error("the text is empty")]
    Empty,
    /// `{name}` is neither a built-in placeholder nor a configured variable.
    #[error("{}", unknown_message(.name, *.position, .known))]
    UnknownPlaceholder {
        /// What was written between the braces.
        name: String,
        /// Character position of the opening brace.
        position: usize,
        /// Every placeholder the template may use, without braces.
        known: Vec<String>,
    },
    /// A `{` with no `}` after it.
    #[error(
        "unclosed `{{` at character {position}: close the placeholder with `}}`, \
         or write `{{{{` for a literal brace"
    )]
    UnclosedBrace {
        /// Character position of the `{`.
        position: usize,
    },
    /// U+FFFE, U+FEFF or U+FFFF, which X refuses in any post.
    #[error("U+{:04X} at character {position} is a character X refuses", u32::from(*.ch))]
    InvalidChar {
        /// The character.
        ch: char,
        /// Its position.
        position: usize,
    },
    /// A `}` that closes nothing.
    #[error("`}}` at character {position} closes nothing: write `}}}}` for a literal brace")]
    UnopenedBrace {
        /// Character position of the `}`.
        position: usize,
    },
}

fn unknown_message(name: &str, position: usize, known: &[String]) -> String {
    let list: Vec<String> = known.iter().map(|k| format!("{{{k}}}")).collect();
    let list = list.join(", ");
    let looks_like_a_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !looks_like_a_name {
        return format!(
            "`{{{name}}}` at character {position} is not a placeholder (placeholders: \
             {list}); write `{{{{` and `}}}}` for literal braces"
        );
    }
    let hint = closest(name, known)
        .map(|k| format!(" (did you mean {{{k}}}?)"))
        .unwrap_or_default();
    format!("unknown placeholder {{{name}}} at character {position}{hint}; placeholders: {list}")
}

/// The known name nearest to `name` when it is close enough to be a typo.
fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&lower, k), k))
        .filter(|(d, k)| *d <= 2 && *d < k.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}
