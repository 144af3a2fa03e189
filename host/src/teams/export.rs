//! Roster export: the teams of a subtree and their members, one row per membership (those who
//! left included, with their leaving day), in the layout the roster import reads, so an
//! exported file imports back unchanged. XLSX or CSV (UTF-8 with a byte-order mark, so Excel
//! shows the Vietnamese text); Vietnamese headers and labels unless English is asked for.
//! Codes and phone numbers are text cells, so their leading zeros survive Excel. Personal data
//! (phone, email, year of birth) is left blank where the caller may not see it.

use std::collections::HashMap;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde::Deserialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::import::{COLUMNS, RosterFormat};
use super::{Member, MemberFilter, Team};
use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::vocab::Vocab;

/// The language of the headers and of the words in the cells (gender, position, affiliation).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// "Họ và tên", "Nữ", "Tổ trưởng", dates as dd/mm/yyyy.
    #[default]
    Vi,
    /// "full_name", "female", "leader", dates as yyyy-mm-dd.
    En,
}

/// One exported row: the cells of [`COLUMNS`], in order, as text ("" when empty).
type Cells = Vec<String>;

/// The rows of a roster: every membership of the teams in the subtrees of `roots` (on
/// `as_of`, ISO date), including those who left, ordered by team then as the member list
/// orders them. With `viewer`, personal data the viewer may not see is blank.
pub async fn rows(
    conn: &mut AnyConnection,
    viewer: Option<&Principal>,
    roots: Option<Vec<i64>>,
    as_of: &str,
    language: Language,
) -> Result<Vec<Cells>> {
    let filter = MemberFilter { roots, as_of: as_of.to_string(), include_left: true, ..Default::default() };
    let (mut members, _) = super::members::list(conn, &filter, i64::MAX, 0).await?;
    if let Some(p) = viewer {
        super::access::redact(conn, p, &mut members).await?;
    }
    let mut teams: HashMap<i64, Team> = HashMap::new();
    for m in &members {
        if let std::collections::hash_map::Entry::Vacant(slot) = teams.entry(m.team_id) {
            slot.insert(super::find(conn, m.team_id).await?);
        }
    }
    // Teams by unit code, then by id; members keep their order within the team.
    members.sort_by(|a, b| {
        (&teams[&a.team_id].unit_code, a.team_id).cmp(&(&teams[&b.team_id].unit_code, b.team_id))
    });
    Ok(members.iter().map(|m| cells(&teams[&m.team_id], m, language)).collect())
}

fn date(iso: &str, language: Language) -> String {
    match (language, crate::dates::parse(iso)) {
        (Language::Vi, Some(d)) => crate::dates::display(d),
        _ => iso.to_string(),
    }
}

fn word<V: Vocab>(v: V, language: Language) -> String {
    match language {
        Language::Vi => v.label_vi(),
        Language::En => v.as_str(),
    }
    .to_string()
}

fn cells(team: &Team, m: &Member, language: Language) -> Cells {
    COLUMNS
        .iter()
        .map(|c| match c.name {
            "unit_code" => team.unit_code.clone(),
            "team_name" => team.name.clone(),
            "decision_number" => team.decision_number.clone(),
            "decision_date" => date(&team.decision_date, language),
            "decision_signer" => team.decision_signer.clone(),
            "full_name" => m.full_name.clone(),
            "gender" => word(m.gender, language),
            "birth_year" => m.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            "phone" => m.phone.clone().unwrap_or_default(),
            "email" => m.email.clone().unwrap_or_default(),
            "position" => word(m.position, language),
            "affiliation" => word(m.affiliation, language),
            "skills" => m.skills.join("; "),
            "joined_on" => date(&m.joined_on, language),
            "left_on" => m.left_on.as_deref().map(|d| date(d, language)).unwrap_or_default(),
            other => unreachable!("no export for column {other}"),
        })
        .collect()
}

fn headers(language: Language) -> Vec<&'static str> {
    COLUMNS
        .iter()
        .map(|c| match language {
            Language::Vi => c.header_vi,
            Language::En => c.name,
        })
        .collect()
}

/// The roster as CSV: UTF-8 with a byte-order mark, comma-separated, one header line.
pub fn to_csv(rows: &[Cells], language: Language) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let fail = |e: csv::Error| Error::Internal(format!("writing the CSV roster: {e}"));
        w.write_record(headers(language)).map_err(fail)?;
        for r in rows {
            w.write_record(r).map_err(fail)?;
        }
        w.flush().map_err(|e| Error::Internal(format!("writing the CSV roster: {e}")))?;
    }
    Ok(out)
}

/// The roster as an XLSX workbook with one sheet: a bold, frozen header row; codes, decision
/// numbers and phones as text cells (formatted `@`, so what is typed later stays text too);
/// years of birth as numbers; dates as date cells shown dd/mm/yyyy.
pub fn to_xlsx(rows: &[Cells], language: Language) -> Result<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("writing the XLSX roster: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(match language {
            Language::Vi => "Danh sách tổ",
            Language::En => "Roster",
        })
        .map_err(fail)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in headers(language).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(fail)?;
        let width = match COLUMNS[c].name {
            "team_name" | "full_name" | "affiliation" | "skills" | "decision_signer" => 28.0,
            "email" => 24.0,
            _ => 14.0,
        };
        sheet.set_column_width(c as u16, width).map_err(fail)?;
        if matches!(COLUMNS[c].name, "unit_code" | "decision_number" | "phone") {
            sheet.set_column_format(c as u16, &text).map_err(fail)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    for (r, cells) in rows.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, value) in cells.iter().enumerate() {
            let col = c as u16;
            if value.is_empty() {
                continue;
            }
            match COLUMNS[c].name {
                "unit_code" | "decision_number" | "phone" => {
                    sheet.write_string_with_format(row, col, value, &text).map_err(fail)?;
                }
                "birth_year" => match value.parse::<f64>() {
                    Ok(y) => {
                        sheet.write_number(row, col, y).map_err(fail)?;
                    }
                    Err(_) => {
                        sheet.write_string(row, col, value).map_err(fail)?;
                    }
                },
                "decision_date" | "joined_on" | "left_on" => {
                    let parsed = crate::dates::parse(value).and_then(|d| {
                        use chrono::Datelike;
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()
                    });
                    match parsed {
                        Some(d) => sheet.write_datetime_with_format(row, col, &d, &day).map_err(fail)?,
                        None => sheet.write_string(row, col, value).map_err(fail)?,
                    };
                }
                _ => {
                    sheet.write_string(row, col, value).map_err(fail)?;
                }
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// The roster file as an HTTP answer (an attachment named after the unit).
pub fn file_response(
    rows: &[Cells],
    format: RosterFormat,
    language: Language,
    unit: &str,
) -> Result<Response> {
    let (bytes, content_type, extension) = match format {
        RosterFormat::Csv => (to_csv(rows, language)?, "text/csv; charset=utf-8", "csv"),
        RosterFormat::Xlsx => (to_xlsx(rows, language)?, RosterFormat::XLSX_MIME, "xlsx"),
    };
    let stem: String =
        unit.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"to-cong-nghe-so-{stem}.{extension}\"");
    Ok((
        [(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}
