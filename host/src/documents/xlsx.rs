//! The XLSX layout (rust_xlsxwriter): the heading lines, then every table of the document with
//! figures as numbers (so sums and charts work), one sheet, A4.

use chrono::Datelike;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

use super::{Letter, MOTTO, NATIONAL_TITLE};
use crate::plugins::types as model;

const A4: u8 = 9;

pub fn build(letter: &Letter) -> Result<Vec<u8>, String> {
    let e = |e: rust_xlsxwriter::XlsxError| format!("writing XLSX: {e}");
    let base = Format::new().set_font_name("Times New Roman").set_font_size(12);
    let bold = base.clone().set_bold();
    let centre_bold = bold.clone().set_align(FormatAlign::Center);
    let italic = base.clone().set_italic().set_align(FormatAlign::Center);
    let head = centre_bold.clone().set_border(FormatBorder::Thin).set_text_wrap();
    let cell = base.clone().set_border(FormatBorder::Thin);
    let number = cell.clone().set_num_format("#,##0.##");
    let total_cell = cell.clone().set_bold();
    let total_number = number.clone().set_bold();

    let columns = letter
        .body()
        .filter_map(|b| match b {
            model::Block::Table(t) => Some(t.header.len()),
            _ => None,
        })
        .max()
        .unwrap_or(4)
        .max(4) as u16;
    let last = columns - 1;
    let split = columns / 2 - 1;

    let mut book = Workbook::new();
    // The file's creation time is the letter's date, not the clock's: the same letter gives the
    // same bytes, so a stored report can be made again identical.
    let created = ExcelDateTime::from_ymd(
        letter.date.year() as u16,
        letter.date.month() as u8,
        letter.date.day() as u8,
    )
    .map_err(e)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    sheet.set_name("Báo cáo").map_err(e)?;
    sheet.set_paper_size(A4);
    sheet.set_column_width(0, 5).map_err(e)?;
    sheet.set_column_width(1, 28).map_err(e)?;
    for c in 2..columns {
        sheet.set_column_width(c, 14).map_err(e)?;
    }
    let (parent, issuer) = letter.issuer_lines();
    sheet.merge_range(0, 0, 0, split, parent.unwrap_or(""), &centre_bold).map_err(e)?;
    sheet.merge_range(1, 0, 1, split, issuer, &centre_bold).map_err(e)?;
    sheet
        .merge_range(2, 0, 2, split, &letter.doc.number, &base.clone().set_align(FormatAlign::Center))
        .map_err(e)?;
    sheet.merge_range(0, split + 1, 0, last, NATIONAL_TITLE, &centre_bold).map_err(e)?;
    sheet.merge_range(1, split + 1, 1, last, MOTTO, &centre_bold).map_err(e)?;
    sheet.merge_range(2, split + 1, 2, last, &letter.place_date(), &italic).map_err(e)?;
    sheet.merge_range(4, 0, 4, last, &letter.doc.title, &centre_bold).map_err(e)?;
    sheet.merge_range(5, 0, 5, last, &letter.doc.subject, &centre_bold).map_err(e)?;

    let mut row = 7u32;
    for block in letter.body() {
        let model::Block::Table(t) = block else { continue };
        for (c, h) in t.header.iter().enumerate() {
            sheet.write_string_with_format(row, c as u16, h, &head).map_err(e)?;
        }
        row += 1;
        for (i, r) in t.rows.iter().enumerate() {
            let is_total = i + 1 == t.rows.len();
            for (c, value) in r.iter().enumerate() {
                let col = c as u16;
                // The TT column is a label, not a figure to add up.
                match crate::text::parse_number(value).filter(|_| c > 0) {
                    Some(n) => {
                        let f = if is_total { &total_number } else { &number };
                        sheet.write_number_with_format(row, col, n, f).map_err(e)?
                    }
                    None => {
                        let f = if is_total { &total_cell } else { &cell };
                        sheet.write_string_with_format(row, col, value, f).map_err(e)?
                    }
                };
            }
            row += 1;
        }
        row += 1;
    }
    book.save_to_buffer().map_err(e)
}
