//! Where a roster's rows come from, read without holding the file: a CSV file is streamed
//! from disk (or from the bytes of an upload) record by record, and read again by each
//! record's byte offset when its team's turn comes; an Excel sheet is read whole (calamine
//! reads sheets whole), within `max_rows`.
//!
//! So a national roster (348,362 rows, 63 MB) costs an index of [`RowRef`]s (16 bytes a row)
//! and the rows of one chunk of teams at a time, not the file and every row's cells.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::PathBuf;
use std::sync::Arc;

use super::{RosterFormat, Row, map_headers};
use crate::error::{Error, Result};

/// A roster as given: a file (the command line) or the bytes of an upload (the API).
#[derive(Debug, Clone)]
pub enum Input {
    File(PathBuf),
    Bytes(Arc<Vec<u8>>),
}

/// A data row's place: for CSV its record's byte offset, for a sheet its index; and its
/// number as the spreadsheet or editor shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    at: u64,
    pub row: usize,
}

/// CSV bytes to read: the file again (each read opens it anew), or text in memory (an
/// upload, or a UTF-16 file transcoded).
#[derive(Clone)]
enum Text {
    File(PathBuf),
    Memory(Arc<Vec<u8>>),
}

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl Text {
    fn open(&self) -> Result<Box<dyn ReadSeek>> {
        Ok(match self {
            Text::File(path) => Box::new(BufReader::with_capacity(
                64 * 1024,
                File::open(path)
                    .map_err(|e| Error::BadRequest(format!("cannot read {}: {e}", path.display())))?,
            )),
            Text::Memory(bytes) => Box::new(Cursor::new(SharedBytes(bytes.clone()))),
        })
    }
}

/// `Arc<Vec<u8>>` as a byte slice, for a `Cursor`.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// An opened roster: its columns known, its rows yet to read.
pub struct Roster(Shape);

enum Shape {
    Csv { text: Text, separator: u8, columns: Vec<Option<&'static str>> },
    Sheet { rows: Vec<Row> },
}

/// How much of a file is looked at to tell its encoding and separator: the header row.
const HEAD: usize = 64 * 1024;

impl Roster {
    /// Opens `input` as `format`: reads the header row (400 naming missing columns, or an
    /// unreadable file); for CSV, tells the encoding (UTF-8, with or without Excel's mark, or
    /// UTF-16 with one, which is transcoded in memory) and the separator. A sheet is read
    /// whole here and refused (413) beyond `max_rows` rows.
    pub fn open(input: &Input, format: RosterFormat, max_rows: usize) -> Result<Roster> {
        if format == RosterFormat::Xlsx {
            let bytes = match input {
                Input::Bytes(b) => b.clone(),
                Input::File(path) => Arc::new(
                    std::fs::read(path)
                        .map_err(|e| Error::BadRequest(format!("cannot read {}: {e}", path.display())))?,
                ),
            };
            return Ok(Roster(Shape::Sheet { rows: super::read_xlsx(&bytes, max_rows)? }));
        }
        let text = match input {
            Input::Bytes(b) => Text::Memory(b.clone()),
            Input::File(path) => Text::File(path.clone()),
        };
        let mut head = Vec::with_capacity(HEAD);
        text.open()?.take(HEAD as u64).read_to_end(&mut head).map_err(io_error)?;
        let text = match head.as_slice() {
            // UTF-16 ("Unicode Text"): transcoded whole; spreadsheets rarely write it.
            [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => {
                let mut all = Vec::new();
                text.open()?.read_to_end(&mut all).map_err(io_error)?;
                Text::Memory(Arc::new(crate::csvfile::decode(&all)?.into_bytes()))
            }
            _ => text,
        };
        // The header row, as text: enough to tell the separator.
        let mut first = Vec::new();
        BufReader::new(text.open()?).read_until(b'\n', &mut first).map_err(io_error)?;
        let first = match std::str::from_utf8(&first) {
            Ok(s) => s.to_string(),
            // Not UTF-8 already in the header: say so as for a whole file.
            Err(_) => return Err(crate::csvfile::decode(&first).err().unwrap_or_else(not_utf8_header)),
        };
        let first = first.strip_prefix('\u{feff}').unwrap_or(&first);
        if first.trim().is_empty() {
            // Nothing, or a blank first line: naming every missing column would mislead.
            return Err(Error::BadRequest(
                "the file is empty or its first line is blank: the first line is the header row \
                 (see the README for the roster layout)"
                    .into(),
            ));
        }
        let separator = super::detect_separator(first);
        let mut reader = crate::csvfile::reader(first, separator);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| Error::BadRequest(format!("cannot read the CSV header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let columns = map_headers(
            &headers,
            " (the file was read as UTF-8 text with columns separated by ',', ';' or tab, the header on the first line)",
        )?;
        Ok(Roster(Shape::Csv { text, separator, columns }))
    }

    /// Whether the roster is held in memory (an upload, a sheet, a transcoded file) rather
    /// than read from disk as needed.
    pub fn in_memory(&self) -> bool {
        !matches!(self.0, Shape::Csv { text: Text::File(_), .. })
    }

    /// Calls `each` with every data row in file order (blank rows included; the caller skips
    /// them). Errors: 400 for text that is not CSV or not UTF-8, 422 (field `file`) for a
    /// forbidden character, naming the line; `each`'s own.
    pub fn scan(&self, mut each: impl FnMut(RowRef, Row) -> Result<()>) -> Result<()> {
        match &self.0 {
            Shape::Sheet { rows } => {
                for (i, row) in rows.iter().enumerate() {
                    each(RowRef { at: i as u64, row: row.0 }, row.clone())?;
                }
                Ok(())
            }
            Shape::Csv { text, separator, columns } => {
                let mut reader = csv_reader(text.open()?, *separator);
                let mut lines =
                    crate::csvfile::LineCounter::new(BufReader::with_capacity(64 * 1024, text.open()?));
                let mut record = csv::StringRecord::new();
                // The header was read when the file was opened.
                reader.headers().map_err(|e| unreadable(e, *separator, 1))?;
                loop {
                    let at = reader.position().byte();
                    match reader.read_record(&mut record) {
                        Ok(false) => return Ok(()),
                        Ok(true) => {}
                        Err(e) => {
                            return Err(unreadable(e, *separator, lines.line_of(at).map_err(io_error)?));
                        }
                    }
                    let start = record.position().map_or(at, |p| p.byte());
                    let line = lines.line_of(start).map_err(io_error)?;
                    let cells = cells(&record, columns, line)?;
                    each(RowRef { at: start, row: line }, (line, cells))?;
                }
            }
        }
    }

    /// The rows at `refs` (from [`Roster::scan`]), in the order given. Errors: as `scan`.
    pub fn read(&self, refs: &[RowRef]) -> Result<Vec<Row>> {
        match &self.0 {
            Shape::Sheet { rows } => Ok(refs.iter().map(|r| rows[r.at as usize].clone()).collect()),
            Shape::Csv { text, separator, columns } => {
                let mut reader = csv_reader(text.open()?, *separator);
                let mut record = csv::StringRecord::new();
                let mut out = Vec::with_capacity(refs.len());
                for r in refs {
                    // No seek when the record follows the last one read (a team's rows in a row).
                    let mut pos = csv::Position::new();
                    pos.set_byte(r.at).set_line(r.row as u64);
                    reader.seek(pos).map_err(|e| unreadable(e, *separator, r.row))?;
                    if !reader.read_record(&mut record).map_err(|e| unreadable(e, *separator, r.row))? {
                        return Err(Error::Internal(format!("the roster ended before its line {}", r.row)));
                    }
                    out.push((r.row, cells(&record, columns, r.row)?));
                }
                Ok(out)
            }
        }
    }
}

fn csv_reader(source: Box<dyn ReadSeek>, separator: u8) -> csv::Reader<Box<dyn ReadSeek>> {
    csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .trim(csv::Trim::All)
        .buffer_capacity(64 * 1024)
        .from_reader(source)
}

/// A record's cells by column name, each screened as a whole file's text is
/// ([`crate::csvfile::screen`]): 422 on field `file` naming the line. A record with another
/// number of cells than the header (beyond empty trailing ones, which Excel writes) is refused
/// the same way: a quote left open joins the lines after it into one record, and those rows
/// would otherwise vanish without a word.
fn cells(
    record: &csv::StringRecord,
    columns: &[Option<&'static str>],
    line: usize,
) -> Result<HashMap<&'static str, String>> {
    let extra = record.iter().skip(columns.len()).any(|c| !c.is_empty());
    if extra || record.len() < columns.len() {
        let blank = record.iter().all(str::is_empty);
        if !blank {
            return Err(Error::field(
                "file",
                format!(
                    "line {line} has {} cells where the header has {}: every row needs the header's \
                     cells (a quote (\") left open joins the lines after it into one row)",
                    record.iter().enumerate().filter(|(_, c)| !c.is_empty()).last().map_or(0, |(i, _)| i + 1),
                    columns.len()
                ),
            ));
        }
    }
    let mut cells = HashMap::new();
    for (c, value) in record.iter().enumerate() {
        if let Some(ch) = crate::text::forbidden_char(value) {
            return Err(Error::field("file", format!("line {line} {}", crate::text::forbidden_reason(ch))));
        }
        if let Some(Some(name)) = columns.get(c) {
            cells.insert(*name, value.to_string());
        }
    }
    Ok(cells)
}

fn io_error(e: std::io::Error) -> Error {
    Error::BadRequest(format!("cannot read the roster: {e}"))
}

fn not_utf8_header() -> Error {
    Error::BadRequest("the CSV file's header is not UTF-8 text".into())
}

/// A record the CSV reader could not read, starting on `line`: not UTF-8, or not CSV.
fn unreadable(e: csv::Error, separator: u8, line: usize) -> Error {
    const SAVE_AS: &str = "save it from Excel as \"CSV UTF-8 (Comma delimited)\" or send the .xlsx workbook";
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => Error::BadRequest(format!(
            "the CSV file is not UTF-8 text (line {line} is not; Windows-1258, TCVN3 and VNI files are not read): {SAVE_AS}"
        )),
        csv::ErrorKind::Io(io) => Error::BadRequest(format!("cannot read the roster: {io}")),
        _ => {
            let sep = if separator == b'\t' { "tab".to_string() } else { format!("'{}'", separator as char) };
            Error::BadRequest(format!(
                "unreadable CSV ({e}); it was read as UTF-8 text with columns separated by {sep}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Mã đơn vị,Tên tổ,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Chức vụ trong tổ,Thành phần,Ngày tham gia";

    fn roster(text: &str) -> Roster {
        Roster::open(&Input::Bytes(Arc::new(text.as_bytes().to_vec())), RosterFormat::Csv, 10).unwrap()
    }

    #[test]
    fn rows_are_numbered_as_an_editor_shows_them_and_read_again_by_reference() {
        let text = format!(
            "\u{feff}{HEADER}\n21835,A,1,01/07/2022,X,Lê Thị Hoa,Nữ,1995,Thành viên,Hội Phụ nữ,02/07/2022\n\n\r\n\
             21835,B,1,01/07/2022,X,\"Trần\nVăn Ba\",Nam,1990,Thành viên,Hội Phụ nữ,02/07/2022\n\
             21835,A,1,01/07/2022,X,Đỗ Văn An,Nam,1991,Tổ trưởng,Hội Phụ nữ,02/07/2022"
        );
        let r = roster(&text);
        let mut seen = Vec::new();
        r.scan(|at, (row, cells)| {
            seen.push((at, row, cells["full_name"].clone()));
            Ok(())
        })
        .unwrap();
        let rows: Vec<(usize, &str)> = seen.iter().map(|(_, row, name)| (*row, name.as_str())).collect();
        assert_eq!(rows, vec![(2, "Lê Thị Hoa"), (5, "Trần\nVăn Ba"), (7, "Đỗ Văn An")]);
        // Read back out of order, as a chunk of teams does.
        let refs = [seen[2].0, seen[0].0, seen[1].0];
        let again: Vec<(usize, String)> =
            r.read(&refs).unwrap().into_iter().map(|(row, c)| (row, c["full_name"].clone())).collect();
        assert_eq!(
            again,
            vec![
                (7, "Đỗ Văn An".to_string()),
                (2, "Lê Thị Hoa".to_string()),
                (5, "Trần\nVăn Ba".to_string())
            ]
        );
    }

    /// Old Macintosh files end lines with a lone CR: each row has its own number (they were
    /// all "row 1", and a bad row took the others with it).
    #[test]
    fn lines_ended_by_a_lone_cr_are_numbered_as_lines() {
        let text = format!(
            "{HEADER}\r21835,A,1,01/07/2022,X,Lê Thị Hoa,Nữ,1995,Thành viên,Hội Phụ nữ,02/07/2022\r\r\
             21835,A,1,01/07/2022,X,Đỗ Văn An,Nam,1991,Tổ trưởng,Hội Phụ nữ,02/07/2022\r\n\
             21835,A,1,01/07/2022,X,Trần Văn Ba,Nam,1990,Thành viên,Hội Phụ nữ,02/07/2022\r"
        );
        let mut rows = Vec::new();
        roster(&text)
            .scan(|_, (row, cells)| {
                rows.push((row, cells["full_name"].clone()));
                Ok(())
            })
            .unwrap();
        let rows: Vec<(usize, &str)> = rows.iter().map(|(r, n)| (*r, n.as_str())).collect();
        assert_eq!(rows, vec![(2, "Lê Thị Hoa"), (4, "Đỗ Văn An"), (5, "Trần Văn Ba")]);
    }

    /// A quote left open joins the next lines into one record: refused, naming its line,
    /// instead of those rows vanishing. Empty trailing cells (Excel's) are fine.
    #[test]
    fn a_row_of_the_wrong_width_is_refused_naming_its_line() {
        let text = format!(
            "{HEADER}\n21835,A,1,01/07/2022,X,Lê Thị Hoa,Nữ,1995,Thành viên,Hội Phụ nữ,02/07/2022,,,\n\
             21835,A,1,01/07/2022,X,\"Đỗ Văn An,Nam,1991,Tổ trưởng,Hội Phụ nữ,02/07/2022\n\
             21835,A,1,01/07/2022,X,Trần Văn Ba,Nam,1990,Thành viên,Hội Phụ nữ,02/07/2022\n"
        );
        let err = roster(&text).scan(|_, _| Ok(())).unwrap_err().to_string();
        assert!(err.contains("line 3 has 6 cells where the header has 11"), "{err}");
    }

    #[test]
    fn an_empty_file_is_called_empty() {
        for text in ["", "\u{feff}", "\n", "  \r\nunit_code,full_name\n"] {
            let bytes = Arc::new(text.as_bytes().to_vec());
            let err = Roster::open(&Input::Bytes(bytes), RosterFormat::Csv, 10).err().expect("refused");
            assert!(
                err.to_string().contains("the file is empty or its first line is blank"),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn a_forbidden_character_or_bytes_that_are_not_utf8_name_their_line() {
        let text = format!(
            "{HEADER}\n21835,A,1,01/07/2022,X,Lê Thị Hoa,Nữ,1995,Thành viên,Hội Phụ nữ,02/07/2022\n21835,A,1,01/07/2022,X,Trần \u{202E}Ba,Nam,1990,Thành viên,Hội Phụ nữ,02/07/2022\n"
        );
        let err = roster(&text).scan(|_, _| Ok(())).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("U+202E"), "{err}");
        let mut bytes =
            format!("{HEADER}\n21835,A,1,01/07/2022,X,Lê,Nữ,1995,Thành viên,Hội Phụ nữ,02/07/2022\n")
                .into_bytes();
        bytes.extend(b"21835,A,1,01/07/2022,X,L\xEA,N\xF5,1995,x,y,z\n");
        let r = Roster::open(&Input::Bytes(Arc::new(bytes)), RosterFormat::Csv, 10).unwrap();
        let err = r.scan(|_, _| Ok(())).unwrap_err().to_string();
        assert!(err.contains("not UTF-8") && err.contains("line 3"), "{err}");
    }
}
