//! Multi-row statements for bulk writes (a page batch's). A batch can carry
//! thousands of posts; multi-row `VALUES` lets SQLite insert a
//! chunk in one statement execution, and measured faster than one cached
//! statement per row (benches/ingest.rs). Rows go in chunks of a few fixed
//! sizes only, so each table needs at most ten distinct SQL strings and
//! their prepared statements stay in the write connection's statement cache.
//! Multi-row `VALUES` is portable SQL.

/// Chunk sizes, largest first. 1,024 rows of the widest table (posts, 14
/// columns) bind 14,336 values, below SQLite's 32,766. A full page is 100
/// posts (X's maximum), so 100 is a size of its own: a page's items go in
/// one statement (four before, 64 + 16 + 16 + 4), and its posts with their
/// context in two or three. (Search documents go in one statement whatever
/// their number, as a JSON array: see `derive`.)
use std::collections::BTreeMap;
use std::sync::Mutex;

use sqlx::AnyConnection;

use crate::store::Engine;

const SIZES: [usize; 10] = [1024, 256, 100, 64, 32, 16, 8, 4, 2, 1];

/// Splits `n` rows into chunk lengths drawn from [`SIZES`], largest first.
pub(super) fn chunks(mut n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for size in SIZES {
        while n >= size {
            out.push(size);
            n -= size;
        }
    }
    out
}

/// `rows` in chunks of the lengths [`chunks`] gives, in order.
pub(super) fn split<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    chunks(rows.len()).into_iter().map(move |size| {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        chunk
    })
}

/// The `VALUES` list of `rows` rows of `columns` columns for the engine of
/// `conn`: `($1, $2), ($3, $4)` on PostgreSQL, which numbers its
/// placeholders, and `(?, ?), (?, ?)` on SQLite, which binds plain `?` in
/// order. (SQLite can bind `$1` too, but sqlx then looks each parameter's
/// name up, and SQLite finds a name by walking the statement's list of
/// names: for a 1,024-row chunk of posts that made binding quadratic, a
/// quarter of the writer's time in `sqlite3_bind_parameter_name`.) Each
/// list is written once and kept: the chunk sizes are few, and a 1,024-row
/// list of a wide table is some fourteen thousand numbers to format for
/// every chunk otherwise.
pub(super) fn placeholders(conn: &AnyConnection, rows: usize, columns: usize) -> String {
    placeholders_for(Engine::of(conn), rows, columns)
}

/// `n` placeholders separated by commas, for an `IN (…)` list, numbered
/// as [`placeholders`] numbers them.
pub(super) fn list(conn: &AnyConnection, n: usize) -> String {
    let engine = Engine::of(conn);
    let row = placeholders_for(engine, 1, n);
    row.trim_start_matches('(').trim_end_matches(')').to_owned()
}

fn placeholders_for(engine: Engine, rows: usize, columns: usize) -> String {
    type Written = BTreeMap<(Engine, usize, usize), String>;
    static WRITTEN: Mutex<Written> = Mutex::new(BTreeMap::new());
    let mut written = WRITTEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    written
        .entry((engine, rows, columns))
        .or_insert_with(|| {
            let mut list = String::with_capacity(rows * columns * 8);
            for n in 1..=rows * columns {
                let first_of_row = n % columns == 1 || columns == 1;
                if n > 1 {
                    list.push_str(if first_of_row { "), (" } else { ", " });
                }
                match engine {
                    Engine::Postgres => {
                        list.push('$');
                        list.push_str(&n.to_string());
                    }
                    Engine::Sqlite => list.push('?'),
                }
            }
            if rows * columns > 0 {
                list.insert(0, '(');
                list.push(')');
            }
            list
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_with_few_sizes() {
        assert_eq!(chunks(0), Vec::<usize>::new());
        assert_eq!(chunks(1), [1]);
        assert_eq!(chunks(100), [100]);
        assert_eq!(chunks(150), [100, 32, 16, 2]);
        assert_eq!(chunks(600), [256, 256, 64, 16, 8]);
        for n in 0..700 {
            assert_eq!(chunks(n).iter().sum::<usize>(), n);
        }
        let pg = |rows, columns| placeholders_for(Engine::Postgres, rows, columns);
        assert_eq!(pg(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(pg(3, 1), "($1), ($2), ($3)");
        assert_eq!(pg(1, 2), "($1, $2)");
        assert_eq!(pg(2, 3), "($1, $2, $3), ($4, $5, $6)", "kept");
        let sqlite = |rows, columns| placeholders_for(Engine::Sqlite, rows, columns);
        assert_eq!(sqlite(2, 3), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(sqlite(1, 1), "(?)");
        // One row of n columns is the IN list `list` trims.
        assert_eq!(pg(1, 3), "($1, $2, $3)");
        let rows: Vec<usize> = (0..150).collect();
        let split: Vec<&[usize]> = split(&rows).collect();
        assert_eq!(
            split.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [100, 32, 16, 2]
        );
        assert_eq!(split.concat(), rows);
    }
}
