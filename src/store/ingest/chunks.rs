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

/// `(?, ?), (?, ?)`: the `VALUES` list of `rows` rows of `columns` columns.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
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
        assert_eq!(placeholders(2, 3), "(?, ?, ?), (?, ?, ?)");
        let rows: Vec<usize> = (0..150).collect();
        let split: Vec<&[usize]> = split(&rows).collect();
        assert_eq!(
            split.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [100, 32, 16, 2]
        );
        assert_eq!(split.concat(), rows);
    }
}
