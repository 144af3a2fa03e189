//! CSV files as spreadsheets write them: the text's encoding (UTF-8 with or without Excel's
//! byte-order mark, or UTF-16 with one) and the column separator (',' or, where the comma is
//! the decimal sign as in Vietnamese settings, ';', or tab). Roster and unit imports read
//! their files through here, so both accept the same dialects.

use crate::error::{Error, Result};

/// The text of a CSV file: UTF-8 (with or without the byte-order mark Excel writes) or
/// UTF-16 with its byte-order mark ("Unicode Text"). Anything else is refused (400) with what
/// to save instead: legacy code pages (Windows-1258, TCVN3, VNI) cannot be told apart reliably.
pub fn decode(bytes: &[u8]) -> Result<String> {
    let text = decode_text(bytes)?;
    screen(&text)?;
    Ok(text)
}

/// Refuses (422, field `file`) a file's text holding a [`crate::text::forbidden_char`]
/// (control characters but tab and line breaks, direction overrides), naming its line: files
/// do not pass the request screening that JSON and forms do, and their names and notes are
/// shown in pages, exports and documents like any other.
pub fn screen(text: &str) -> Result<()> {
    let Some(c) = crate::text::forbidden_char(text) else { return Ok(()) };
    let at = text.find(c).unwrap_or(0);
    let line = text[..at].matches('\n').count() + 1;
    Err(Error::field("file", format!("line {line} {}", crate::text::forbidden_reason(c))))
}

fn decode_text(bytes: &[u8]) -> Result<String> {
    const SAVE_AS: &str = "save it from Excel as \"CSV UTF-8 (Comma delimited)\" or send the .xlsx workbook";
    let utf16 = |le: bool| -> Result<String> {
        let body = &bytes[2..];
        if !body.len().is_multiple_of(2) {
            return Err(Error::BadRequest(format!("the CSV file is cut short UTF-16 text; {SAVE_AS}")));
        }
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|p| if le { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) })
            .collect();
        String::from_utf16(&units)
            .map_err(|_| Error::BadRequest(format!("the CSV file is not valid UTF-16 text; {SAVE_AS}")))
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest).map(str::to_string).map_err(|e| {
            Error::BadRequest(format!("the CSV file is not valid UTF-8 text (byte {}); {SAVE_AS}", e.valid_up_to() + 3))
        }),
        [0xFF, 0xFE, ..] => utf16(true),
        [0xFE, 0xFF, ..] => utf16(false),
        _ => std::str::from_utf8(bytes).map(str::to_string).map_err(|e| {
            Error::BadRequest(format!(
                "the CSV file is not UTF-8 text (byte {} is not; Windows-1258, TCVN3 and VNI files are not read): {SAVE_AS}",
                e.valid_up_to() + 1
            ))
        }),
    }
}

/// Separators spreadsheets write between CSV columns: ',' (or ';' where the comma is the
/// decimal sign, as in Vietnamese settings) and tab.
const SEPARATORS: [u8; 3] = [b',', b';', b'\t'];

pub fn reader(text: &str, separator: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// The separator under which the header row holds the most columns that `known` recognises
/// (',' when none does better).
pub fn detect_separator(text: &str, known: impl Fn(&str) -> bool) -> u8 {
    let recognised = |sep: u8| -> usize {
        let mut reader = reader(text, sep);
        reader.headers().map(|h| h.iter().filter(|c| known(c)).count()).unwrap_or(0)
    };
    let mut best = (SEPARATORS[0], 0);
    for sep in SEPARATORS {
        let n = recognised(sep);
        if n > best.1 {
            best = (sep, n);
        }
    }
    best.0
}

/// Line breaks in `bytes` as an editor counts them: `\n`, `\r\n` and a lone `\r` (old
/// Macintosh files) each end a line. `after_cr` says whether the byte before `bytes` was a
/// `\r` (so a `\n` first here completes that break), and is left saying so of the last byte.
/// Roster and unit imports number rows with it: counting `\n` alone numbered every row of a
/// CR-only file "1", and a bad row then took all the others with it.
pub fn line_breaks(bytes: &[u8], after_cr: &mut bool) -> usize {
    let mut n = 0;
    for &b in bytes {
        match b {
            b'\r' => n += 1,
            b'\n' if !*after_cr => n += 1,
            _ => {}
        }
        *after_cr = b == b'\r';
    }
    n
}

/// Line numbers of CSV records as an editor shows them, read from a second reader of the same
/// text (a slice, or a file streamed): the csv crate's own line count skips blank lines, so
/// the line breaks ([`line_breaks`]) before each record's first byte are counted instead.
/// Records must come in file order. Roster and unit imports number their rows with it.
pub struct LineCounter<R> {
    bytes: R,
    offset: u64,
    line: usize,
    /// The last byte counted was `\r`.
    after_cr: bool,
}

impl<R: std::io::BufRead> LineCounter<R> {
    pub fn new(bytes: R) -> Self {
        LineCounter { bytes, offset: 0, line: 1, after_cr: false }
    }

    /// The 1-based line of the record starting at byte `start` (the CSV reader's position
    /// before it, which may sit before blank lines it skipped). Errors: the reader's.
    pub fn line_of(&mut self, start: u64) -> std::io::Result<usize> {
        while self.offset < start {
            let buf = self.bytes.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = ((start - self.offset) as usize).min(buf.len());
            self.line += line_breaks(&buf[..n], &mut self.after_cr);
            self.bytes.consume(n);
            self.offset += n as u64;
        }
        // Blank lines the reader skipped before the record.
        loop {
            match self.bytes.fill_buf()?.first() {
                Some(&b @ (b'\n' | b'\r')) => {
                    self.line += line_breaks(&[b], &mut self.after_cr);
                    self.bytes.consume(1);
                    self.offset += 1;
                }
                _ => return Ok(self.line),
            }
        }
    }
}
