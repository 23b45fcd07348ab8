//! CSV as spreadsheets read it safely: RFC 4180 (the `csv` crate's quoting,
//! CRLF line ends), UTF-8, and no cell that a spreadsheet would run as a
//! formula. Post text is hostile: a resident's `=HYPERLINK(…)` must reach the
//! manager's spreadsheet as text.

use super::report::Table;

/// The characters that make a spreadsheet read a cell as a formula (or, for
/// tab and CR, that some of them strip before doing so).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` made inert: a cell that would start a formula gets a leading `'`,
/// which spreadsheets show as text and do not display. Everything else is
/// unchanged.
pub fn guard(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A CSV document: the `header` row, then `rows`, every cell guarded.
pub fn document<R, C>(header: &[&str], rows: R) -> String
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut out = records([header]);
    out.push_str(&records(rows));
    out
}

/// Rows of a CSV document without a header, every cell guarded: a part of
/// a document written a page at a time (the first part starting with the
/// header row).
pub fn records<R, C>(rows: R) -> String
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail, and every cell is a str, so the record
    // shapes are the only error and each record is written whole.
    let mut write = |cells: Vec<String>| {
        writer
            .write_record(cells.iter().map(|c| guard(c).into_owned()))
            .expect("writing CSV to memory");
    };
    for row in rows {
        write(row.into_iter().map(|c| c.as_ref().to_owned()).collect());
    }
    let bytes = writer.into_inner().expect("flushing CSV to memory");
    String::from_utf8(bytes).expect("CSV of strings is UTF-8")
}

impl Table {
    /// The table as a CSV document: its columns, then its cells' text.
    pub fn to_csv(&self) -> String {
        let header: Vec<&str> = self.columns.iter().map(String::as_str).collect();
        document(
            &header,
            self.rows
                .iter()
                .map(|row| row.iter().map(|cell| cell.text.as_str())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::Cell;

    #[test]
    fn formulas_are_made_inert_and_everything_else_is_kept() {
        for hostile in ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\r=1"] {
            assert_eq!(guard(hostile), format!("'{hostile}"));
        }
        for plain in ["Croydon", "", " =1", "'quoted", "a=b", "\u{202e}=1"] {
            assert_eq!(guard(plain), plain);
        }
    }

    #[test]
    fn quotes_commas_and_line_breaks_are_quoted_as_rfc_4180_says() {
        let csv = document(
            &["text", "n"],
            [
                vec!["say \"hi\", then\nbye", "3"],
                vec!["=cmd|' /C calc'!A0", "4"],
            ],
        );
        assert_eq!(
            csv,
            "text,n\r\n\"say \"\"hi\"\", then\nbye\",3\r\n'=cmd|' /C calc'!A0,4\r\n"
        );
    }

    #[test]
    fn a_document_written_in_parts_is_the_document_written_whole() {
        let rows = [vec!["a", "=b"], vec!["c\r\nd", "e"], vec!["f", ""]];
        let whole = document(&["x", "y"], rows.clone());
        let parts = records([["x", "y"]]) + &records(&rows[..1]) + &records(&rows[1..]);
        assert_eq!(parts, whole);
        assert_eq!(records(Vec::<Vec<&str>>::new()), "");
    }

    #[test]
    fn a_table_exports_its_columns_and_cell_text() {
        let table = Table {
            id: "volume-by-place",
            title: "Items by place".to_owned(),
            columns: vec!["Place".to_owned(), "Items".to_owned()],
            rows: vec![vec![
                Cell::text("Thornton Heath"),
                Cell::linked("12", Some("place=Thornton+Heath".to_owned())),
            ]],
        };
        assert_eq!(table.to_csv(), "Place,Items\r\nThornton Heath,12\r\n");
    }
}
