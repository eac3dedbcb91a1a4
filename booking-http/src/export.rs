//! CSV exports for spreadsheets: RFC 4180 text (CRLF line ends; a cell
//! with a comma, a quote or a line break in quotes, its quotes doubled),
//! with formula injection escaped: a cell that starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return gets a leading `'`, so a spreadsheet
//! shows it as text instead of running it (OWASP's advice for CSV files).

use std::borrow::Cow;

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV document being written, line by line.
#[derive(Default)]
pub struct Csv {
    text: String,
}

impl Csv {
    /// Adds a line of `cells`.
    pub fn line<I, C>(&mut self, cells: I)
    where
        I: IntoIterator<Item = C>,
        C: AsRef<str>,
    {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push_str(&cell_text(cell.as_ref()));
        }
        self.text.push_str("\r\n");
    }

    /// The document as an attachment named `filename` (ASCII letters,
    /// digits, `-` and `.` only: it is written into a header unescaped).
    pub fn attachment(self, filename: &str) -> Response {
        debug_assert!(
            filename
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        );
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            self.text,
        )
            .into_response()
    }
}

/// One cell as written: formula-escaped, then quoted when it must be.
fn cell_text(cell: &str) -> Cow<'_, str> {
    let cell: Cow<'_, str> = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    };
    if cell.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", cell.replace('"', "\"\"")))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(lines: &[&[&str]]) -> String {
        let mut csv = Csv::default();
        for line in lines {
            csv.line(line.iter());
        }
        csv.text
    }

    #[test]
    fn plain_cells_stay_as_they_are_and_lines_end_in_crlf() {
        assert_eq!(
            csv(&[&["id", "seats"], &["7", "A1 A2"], &[""]]),
            "id,seats\r\n7,A1 A2\r\n\r\n"
        );
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(
            csv(&[&["a,b", "say \"hi\"", "two\nlines", "cr\rlf", "x"]]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rlf\",x\r\n"
        );
    }

    #[test]
    fn formulas_become_text() {
        for (cell, written) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("a=b", "a=b"),
            (" =x", " =x"),
        ] {
            assert_eq!(csv(&[&[cell]]), format!("{written}\r\n"), "{cell:?}");
        }
    }
}
