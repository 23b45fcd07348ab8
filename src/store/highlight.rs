//! Which words of a post a search matched, for the desk to mark.
//!
//! The search indexes keep no text (they are contentless), and what matched
//! is decided by their tokenizer: the stemmer, case and accent folding,
//! phrases and prefixes. So the store asks SQLite itself: the texts on show
//! go into a small in-memory FTS5 table of the reading connection (temp
//! schema, same tokenizer) and FTS5's `highlight()` marks them for the same
//! query. A page of 50 posts costs well under a millisecond.

use std::ops::Range;

use sqlx::Row;

use super::plan::{TOKENIZER, fts_query};
use super::{Engine, Store, StoreError, codec};

/// What `highlight()` puts around a match: private-use characters, which
/// [`Store::highlights`] first replaces in the texts by another of the same
/// UTF-8 length and tokenizer class, so byte offsets and matches are kept and
/// every mark found is one FTS5 made.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
const STAND_IN: char = '\u{E002}';

impl Store {
    /// The byte ranges of each of `texts` that `search` (the officer's words,
    /// as the inbox's search takes them) matches, in order; empty for a text
    /// it does not match or a search with nothing to look for.
    pub async fn highlights(
        &self,
        search: &str,
        texts: &[&str],
    ) -> Result<Vec<Vec<Range<usize>>>, StoreError> {
        let mut marks = vec![Vec::new(); texts.len()];
        let Some(query) = fts_query(search) else {
            return Ok(marks);
        };
        if texts.is_empty() {
            return Ok(marks);
        }
        let texts: Vec<String> = texts
            .iter()
            .map(|t| t.replace([OPEN, CLOSE], &STAND_IN.to_string()))
            .collect();
        if self.engine == Engine::Postgres {
            return self.highlights_pg(search, &texts, OPEN, CLOSE).await;
        }
        let mut conn = self.inbox_readers("search highlighting")?.acquire().await?;
        sqlx::query(&format!(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.highlights \
             USING fts5 (text, tokenize = '{TOKENIZER}')"
        ))
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM temp.highlights")
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO temp.highlights (rowid, text) SELECT key + 1, value FROM json_each($1)",
        )
        .bind(codec::to_json(&texts))
        .execute(&mut *conn)
        .await?;
        let rows = sqlx::query(
            "SELECT rowid, highlight(highlights, 0, char(57344), char(57345)) AS marked \
             FROM temp.highlights WHERE highlights MATCH $1",
        )
        .bind(&query)
        .fetch_all(&mut *conn)
        .await;
        // Leave no copy of the texts behind on the pooled connection.
        sqlx::query("DELETE FROM temp.highlights")
            .execute(&mut *conn)
            .await?;
        for row in rows? {
            let n: i64 = row.try_get("rowid")?;
            let marked: String = row.try_get("marked")?;
            if let Some(slot) = usize::try_from(n - 1).ok().and_then(|n| marks.get_mut(n)) {
                *slot = ranges(&marked);
            }
        }
        Ok(marks)
    }
}

/// The byte ranges, in the unmarked text, between each OPEN and CLOSE of a
/// text `highlight()` marked.
pub(super) fn ranges(marked: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut removed = 0;
    let mut start = None;
    for (at, c) in marked.char_indices() {
        match c {
            OPEN => {
                start = Some(at - removed);
                removed += c.len_utf8();
            }
            CLOSE => {
                removed += c.len_utf8();
                if let Some(s) = start.take() {
                    out.push(s..at + c.len_utf8() - removed);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlighting_tokenizes_as_the_search_indexes_do() {
        let latest = include_str!("../../migrations/0012_stemmed_search.sql");
        assert_eq!(
            latest.matches(&format!("tokenize = '{TOKENIZER}'")).count(),
            5
        );
    }

    #[test]
    fn marks_become_byte_ranges_of_the_plain_text() {
        let plain = "Potholes on Cherry Orchard Road";
        let marked = "\u{E000}Potholes\u{E001} on \u{E000}Cherry Orchard\u{E001} Road";
        let r = ranges(marked);
        assert_eq!(r, [0..8, 12..26]);
        assert_eq!(&plain[r[1].clone()], "Cherry Orchard");
    }
}
