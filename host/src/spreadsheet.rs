//! Reading the first sheet of an uploaded Excel workbook (rosters, report figures) within
//! bounds, so that a small hostile file cannot take the server down.
//!
//! calamine's `worksheet_range` builds a dense grid spanning the used cells' corners (and
//! reserves room from the sheet's declared `<dimension>`): a file of a few kilobytes with one
//! cell in A1 and one in XFD1048576 asks for about 17 billion cells and aborts the process.
//! Here cells are read one at a time with calamine's cell reader, and a cell outside
//! `max_rows` x [`MAX_COLUMNS`] from the first used cell refuses the file before anything
//! else is held. The workbook's parts are also held to [`MAX_UNPACKED_BYTES`] as their zip
//! directory declares them, which stops the common "zip bomb" before calamine inflates them.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::error::{Error, Result};

/// Columns a sheet may use: every layout sohoa reads has fewer than 40.
pub const MAX_COLUMNS: u32 = 64;

/// The most a workbook's parts may declare once unpacked (64 MiB): an 8 MiB upload of real
/// rosters unpacks to well under this.
pub const MAX_UNPACKED_BYTES: u64 = 64 << 20;

/// The used part of a sheet: rows from the first used one, each as wide as the widest.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The spreadsheet's row number (1-based) of `rows[0]`.
    pub first_row: usize,
    /// Cells by row and column; a missing cell is [`Data::Empty`].
    pub rows: Vec<Vec<Data>>,
}

/// The first sheet of the `.xlsx` workbook in `bytes`, holding at most `max_rows` rows
/// (counted from the first used row, the header included). Errors: 400 for a file that is not
/// a readable `.xlsx` workbook or has no sheet; 413 `payload_too_large` for a cell beyond
/// `max_rows` rows or [`MAX_COLUMNS`] columns, or parts declaring more than
/// [`MAX_UNPACKED_BYTES`], naming the cell or the size.
pub fn first_sheet(bytes: &[u8], max_rows: usize) -> Result<Sheet> {
    check_unpacked_size(bytes)?;
    let unreadable =
        |e: &dyn std::fmt::Display| Error::BadRequest(format!("not a readable Excel workbook (.xlsx): {e}"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Error::BadRequest("the workbook has no sheet".into()))?;
    let mut reader = book.worksheet_cells_reader(&name).map_err(|e| unreadable(&e))?;
    let mut cells: BTreeMap<u32, Vec<(u32, Data)>> = BTreeMap::new();
    let mut first_row: Option<u32> = None;
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
        let (row, column) = cell.get_position();
        let value: Data = cell.get_value().clone().into();
        if matches!(value, Data::Empty) {
            continue;
        }
        if column >= MAX_COLUMNS {
            return Err(too_large(row, column, max_rows));
        }
        let first = *first_row.get_or_insert(row);
        // Cells come in row order in files Excel writes; a file that goes back up starts the
        // count there.
        let first = if row < first {
            first_row = Some(row);
            row
        } else {
            first
        };
        let last = cells.keys().next_back().copied().unwrap_or(row).max(row);
        if (last - first) as usize >= max_rows {
            return Err(too_large(last, column, max_rows));
        }
        cells.entry(row).or_default().push((column, value));
    }
    let Some(first) = first_row else { return Ok(Sheet { first_row: 1, rows: Vec::new() }) };
    let last = *cells.keys().next_back().expect("a used cell");
    let width = cells.values().flatten().map(|(c, _)| *c + 1).max().unwrap_or(0) as usize;
    let mut rows = vec![vec![Data::Empty; width]; (last - first + 1) as usize];
    for (row, values) in cells {
        for (column, value) in values {
            rows[(row - first) as usize][column as usize] = value;
        }
    }
    Ok(Sheet { first_row: first as usize + 1, rows })
}

fn too_large(row: u32, column: u32, max_rows: usize) -> Error {
    Error::PayloadTooLarge(format!(
        "the first sheet has a cell in row {}, column {}; a file here has at most {max_rows} rows and {MAX_COLUMNS} columns",
        row as u64 + 1,
        column as u64 + 1
    ))
}

/// Refuses a workbook whose parts declare more than [`MAX_UNPACKED_BYTES`] in all.
fn check_unpacked_size(bytes: &[u8]) -> Result<()> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // not a zip: calamine says what is wrong with it
    };
    let mut total = 0u64;
    for i in 0..zip.len() {
        if let Ok(entry) = zip.by_index_raw(i) {
            total = total.saturating_add(entry.size());
        }
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(Error::PayloadTooLarge(format!(
            "the workbook unpacks to {total} bytes; at most {MAX_UNPACKED_BYTES} are read"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, column, text) in cells {
            sheet.write_string(*row, *column, *text).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 48, ..Default::default() })]
        /// Issue 16: cells anywhere on a sheet are read back in place within the bounds, or the
        /// file is refused with 413; never a panic or an allocation past the bounds.
        #[test]
        fn cells_anywhere_read_back_or_are_refused(cells in proptest::collection::vec((0u32..1_048_576, 0u16..16_384, "[a-zà-ỹ ]{1,8}"), 1..20)) {
            let book = workbook(&cells.iter().map(|(r, c, t)| (*r, *c, t.as_str())).collect::<Vec<_>>());
            match first_sheet(&book, 1000) {
                Ok(sheet) => {
                    for (r, c, t) in &cells {
                        let last = cells.iter().rev().find(|(r2, c2, _)| r2 == r && c2 == c).unwrap();
                        let got = &sheet.rows[*r as usize + 1 - sheet.first_row][*c as usize];
                        proptest::prop_assert_eq!(got.to_string(), last.2.clone(), "{} at {},{}", t, r, c);
                    }
                }
                Err(e) => proptest::prop_assert!(matches!(e, Error::PayloadTooLarge(_)), "{:?}", e),
            }
        }
    }

    #[test]
    fn a_far_cell_is_refused_before_anything_is_held() {
        // Issue 16: A1 and XFD1048576 made calamine's dense grid ask for ~17 billion cells.
        let far = workbook(&[(0, 0, "Mã đơn vị"), (1_048_575, 16_383, "x")]);
        let e = first_sheet(&far, 100_000).unwrap_err();
        assert!(matches!(&e, Error::PayloadTooLarge(m) if m.contains("column 16384")), "{e:?}");
        let deep = workbook(&[(0, 0, "Mã đơn vị"), (1_048_575, 0, "x")]);
        let e = first_sheet(&deep, 100_000).unwrap_err();
        assert!(matches!(&e, Error::PayloadTooLarge(m) if m.contains("row 1048576")), "{e:?}");
    }

    #[test]
    fn used_cells_come_back_in_place_from_the_first_used_row() {
        let book = workbook(&[(2, 1, "a"), (2, 3, "b"), (4, 2, "c")]);
        let sheet = first_sheet(&book, 10).unwrap();
        assert_eq!(sheet.first_row, 3);
        let text: Vec<Vec<String>> =
            sheet.rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(text, [vec!["", "a", "", "b"], vec!["", "", "", ""], vec!["", "", "c", ""]]);
        assert!(first_sheet(&book, 2).is_err(), "three rows used, two allowed");
        assert!(matches!(first_sheet(b"not a workbook", 10), Err(Error::BadRequest(_))));
    }
}
