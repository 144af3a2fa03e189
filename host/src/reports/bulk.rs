//! Bulk entry of a period's figures through a spreadsheet: the host exports the form as an
//! XLSX with one row per unit (the unit itself when it reports on the form, or every unit of
//! the form's level below it as of the period: a district's 15 communes), filled with what is
//! saved; people type the figures in Excel; the host imports the file back, row by row, through
//! the same checks as the form ([`super::submissions::save`]).
//!
//! Layout of the sheet "Số liệu": row 1 the headers, `Mã đơn vị`, `Đơn vị`, `Tình trạng`, then
//! one column per indicator named `<Vietnamese name> (<unit>) [<code>]`; a row per unit below.
//! On import the indicator columns are found by the `[code]` in their header (so the names may
//! be reworded), `Tình trạng` and unknown columns are ignored, an empty cell clears the
//! indicator while an indicator without a column keeps its saved figure, a unit appears on one
//! row only, a row that changes nothing is left alone, and a cell may hold a number or
//! Vietnamese text (`1.234`, `12,5`).
//!
//! Each row is saved (or submitted) on its own: a row that fails its checks is reported with
//! its row number and messages and does not stop the others. Warnings are confirmed only when
//! the caller says so for the whole file (`confirm_warnings`), and the confirmed warnings are
//! kept with each submission as on the form.

use std::collections::BTreeMap;
use std::sync::Arc;

use calamine::Data;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;
use utoipa::ToSchema;

use super::submissions::{self, SubmissionInput};
use crate::audit::Actor;
use crate::auth::{Action, Principal};
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::plugins::Runtime;

/// The sheet's name.
pub const SHEET: &str = "Số liệu";
/// The most rows an import reads: a province's communes fit many times over.
pub const MAX_ROWS: usize = 20_000;

const CODE: &str = "Mã đơn vị";
const NAME: &str = "Đơn vị";
const STATUS: &str = "Tình trạng";

/// The units a file for unit `code` covers: itself when it reports on the form, else every
/// expected unit below it. (unit id, code, name, status words, saved figures).
async fn rows_of(
    db: &Db,
    scope: Option<&Principal>,
    code: &str,
    template: &str,
    period: &str,
) -> Result<(submissions::InForce, Vec<(String, String, submissions::Status, BTreeMap<String, f64>)>)> {
    let mut conn = db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    submissions::allow(&mut conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    let ctx = submissions::in_force(&mut conn, code, template, period).await?;
    let roots = [unit_id];
    let units = if ctx.level == ctx.form.level {
        let view = submissions::get(db, scope, code, template, period, crate::dates::today()).await?;
        vec![(view.unit_code, view.unit_name, view.status, view.figures)]
    } else {
        super::rollup::gather(&mut conn, &roots, template, &ctx.form, &ctx.period)
            .await?
            .units
            .into_iter()
            .map(|u| (u.unit_code, u.unit_name, u.status, u.figures))
            .collect()
    };
    Ok((ctx, units))
}

/// The form for `period` of `template` at unit `code` as an XLSX (see the module's
/// documentation). Needs sight of the unit. Errors: those of [`submissions::in_force`].
pub async fn export(
    db: &Db,
    scope: Option<&Principal>,
    code: &str,
    template: &str,
    period: &str,
) -> Result<Vec<u8>> {
    let (ctx, units) = rows_of(db, scope, code, template, period).await?;
    let e = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("writing the XLSX: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET).map_err(e)?;
    let head = Format::new().set_bold().set_text_wrap();
    let mut headers = vec![CODE.to_string(), NAME.to_string(), STATUS.to_string()];
    headers.extend(ctx.form.indicators.iter().map(|i| format!("{} ({}) [{}]", i.name, i.unit, i.code)));
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &head).map_err(e)?;
        sheet.set_column_width(c as u16, if c == 1 { 28 } else { 18 }).map_err(e)?;
    }
    for (r, (unit_code, name, status, figures)) in units.iter().enumerate() {
        let row = r as u32 + 1;
        sheet.write_string(row, 0, unit_code).map_err(e)?;
        sheet.write_string(row, 1, name).map_err(e)?;
        sheet.write_string(row, 2, status.label_vi()).map_err(e)?;
        for (c, indicator) in ctx.form.indicators.iter().enumerate() {
            if let Some(v) = figures.get(&indicator.code) {
                sheet.write_number(row, c as u16 + 3, *v).map_err(e)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 2).map_err(e)?;
    book.save_to_buffer().map_err(e)
}

/// What happened to one row of an imported file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowOutcome {
    /// The spreadsheet's row number (1-based, the header is row 1).
    pub row: usize,
    pub unit_code: String,
    /// saved (a draft), submitted, skipped (no figures), unchanged (as saved already), refused,
    /// or failed (the database stayed busy: nothing of the row saved; import the file again).
    pub outcome: String,
    /// Why a row was refused, or the warnings confirmed for it; `field` is the indicator.
    pub messages: Vec<FieldError>,
}

/// The outcome of an import, row by row. (`SubmissionImportOutcome` in the OpenAPI document:
/// roster imports have an outcome too.)
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SubmissionImportOutcome)]
pub struct ImportOutcome {
    pub rows: Vec<RowOutcome>,
    pub saved: usize,
    pub submitted: usize,
    pub refused: usize,
    /// Rows not saved because the database stayed busy ([`BUSY_TRIES`] tries each).
    pub failed: usize,
}

/// Tries of a row's save while the database is busy (another process holding SQLite's write
/// lock past `database.busy_timeout_ms`): the rows go on after the request has timed out, so a
/// row kept busy is tried again rather than ending the import with nobody told.
pub const BUSY_TRIES: usize = 3;

/// Options of an import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Submit each row (after every check) instead of saving drafts.
    pub submit: bool,
    /// Confirm every warning the checks raise (kept with each submission, as on the form).
    pub confirm_warnings: bool,
}

/// [`submissions::save`], tried again (up to [`BUSY_TRIES`] in all) while the database is busy.
/// Errors: as `save`'s, the last try's.
#[allow(clippy::too_many_arguments)]
async fn save_when_free(
    db: &Db,
    runtime: &Arc<Runtime>,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    template: &str,
    period: &str,
    input: SubmissionInput,
    today: NaiveDate,
) -> Result<submissions::SubmissionView> {
    let mut tries = 1;
    loop {
        match submissions::save(db, runtime, scope, actor, code, template, period, input.clone(), today).await
        {
            Err(e) if e.is_busy() && tries < BUSY_TRIES => tries += 1,
            other => return other,
        }
    }
}

fn cell_figure(cell: &Data) -> std::result::Result<Option<f64>, String> {
    match cell {
        Data::Empty => Ok(None),
        Data::Int(i) => Ok(Some(*i as f64)),
        Data::Float(f) => Ok(Some(*f)),
        Data::String(s) if s.trim().is_empty() => Ok(None),
        Data::String(s) => {
            crate::text::parse_number(s).map(Some).ok_or_else(|| format!("'{}' is not a number", s.trim()))
        }
        other => Err(format!("'{other}' is not a number")),
    }
}

/// Reads the file and saves (or submits) each row for `period` of `template`, the rows being
/// units at or below unit `code` (as [`export`] writes them), on `today`. Needs
/// `ReportsSubmit` at each row's unit (checked per row). Errors before any row: 400 for a file
/// that is not a readable workbook, 422 when the header has no unit code column or no
/// indicator column, or there are more than [`MAX_ROWS`] rows.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    db: &Db,
    runtime: &Arc<Runtime>,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    template: &str,
    period: &str,
    bytes: &[u8],
    options: ImportOptions,
    today: NaiveDate,
) -> Result<ImportOutcome> {
    let (ctx, units) = rows_of(db, scope, code, template, period).await?;
    let sheet = crate::spreadsheet::first_sheet(bytes, MAX_ROWS + 1)?;
    let first_row = sheet.first_row - 1;
    let mut rows = sheet.rows.iter();
    let header: Vec<String> =
        rows.next().map(|h| h.iter().map(|c| c.to_string().trim().to_string()).collect()).unwrap_or_default();
    let code_column = header.iter().position(|h| h == CODE).ok_or_else(|| {
        Error::field(
            "file",
            format!("the first row has no '{CODE}' column (export the form to get the layout)"),
        )
    })?;
    let indicator_columns: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter_map(|(c, h)| {
            let inner = h.rsplit_once('[')?.1.strip_suffix(']')?.trim();
            ctx.form.indicators.iter().any(|i| i.code == inner).then(|| (c, inner.to_string()))
        })
        .collect();
    if indicator_columns.is_empty() {
        return Err(Error::field(
            "file",
            "no column of the first row names an indicator of the form as '[code]' (export the form to get the layout)",
        ));
    }
    let known: BTreeMap<&str, (submissions::Status, &BTreeMap<String, f64>)> =
        units.iter().map(|u| (u.0.as_str(), (u.2, &u.3))).collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = ImportOutcome { rows: Vec::new(), saved: 0, submitted: 0, refused: 0, failed: 0 };
    for (i, cells) in rows.enumerate() {
        let row = first_row + i + 2;
        let unit_code = cells.get(code_column).map(|c| c.to_string().trim().to_string()).unwrap_or_default();
        if unit_code.is_empty() && cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut messages = Vec::new();
        if let Some(first) = seen.get(&unit_code) {
            messages.push(FieldError::new(
                CODE,
                format!("'{unit_code}' is already on row {first}: one row per unit"),
            ));
        }
        seen.entry(unit_code.clone()).or_insert(row);
        let existing = known.get(unit_code.as_str()).copied();
        if existing.is_none() {
            messages.push(FieldError::new(
                CODE,
                format!(
                    "'{unit_code}' is not a unit that reports on this form under {code} for {}",
                    ctx.period.id
                ),
            ));
        }
        // The file's columns change what is saved; an indicator without a column keeps its
        // figure, and an empty cell in a column clears it.
        let before = existing.map(|e| e.1.clone()).unwrap_or_default();
        let mut figures = before.clone();
        let mut typed = false;
        for (c, indicator) in &indicator_columns {
            match cell_figure(cells.get(*c).unwrap_or(&Data::Empty)) {
                Ok(Some(v)) => {
                    typed = true;
                    figures.insert(indicator.clone(), v);
                }
                Ok(None) => {
                    figures.remove(indicator);
                }
                Err(m) => messages.push(FieldError::new(format!("figures.{indicator}"), m)),
            }
        }
        let refuse = |out: &mut ImportOutcome, messages: Vec<FieldError>| {
            out.refused += 1;
            let messages = messages.into_iter().map(|m| FieldError { row: Some(row), ..m }).collect();
            out.rows.push(RowOutcome {
                row,
                unit_code: unit_code.clone(),
                outcome: "refused".into(),
                messages,
            });
        };
        if !messages.is_empty() {
            refuse(&mut out, messages);
            continue;
        }
        if !typed && before.is_empty() {
            out.rows.push(RowOutcome { row, unit_code, outcome: "skipped".into(), messages: vec![] });
            continue;
        }
        // A row as it stands (an export sent back): nothing to do, unless it is to be submitted.
        let status = existing.map_or(submissions::Status::NotStarted, |e| e.0);
        let to_submit = options.submit && !status.received();
        if figures == before && !to_submit {
            out.rows.push(RowOutcome { row, unit_code, outcome: "unchanged".into(), messages: vec![] });
            continue;
        }
        let mut input = SubmissionInput { figures, submit: options.submit, confirm: Vec::new() };
        let mut confirmed = Vec::new();
        let mut result =
            save_when_free(db, runtime, scope, actor, &unit_code, template, period, input.clone(), today)
                .await;
        if let Err(Error::ConfirmationRequired { findings, .. }) = &result
            && options.confirm_warnings
        {
            confirmed = findings.clone();
            input.confirm = findings
                .iter()
                .map(|f| {
                    format!(
                        "{}@{}",
                        f.code.clone().unwrap_or_default(),
                        f.field.trim_start_matches("figures.")
                    )
                })
                .collect();
            result =
                save_when_free(db, runtime, scope, actor, &unit_code, template, period, input, today).await;
        }
        match result {
            Ok(_) => {
                let submitted = options.submit;
                if submitted {
                    out.submitted += 1;
                } else {
                    out.saved += 1;
                }
                let messages = confirmed.into_iter().map(|m| FieldError { row: Some(row), ..m }).collect();
                let outcome = if submitted { "submitted" } else { "saved" };
                out.rows.push(RowOutcome { row, unit_code, outcome: outcome.into(), messages });
            }
            Err(
                Error::Validation(m)
                | Error::Submission { findings: m, .. }
                | Error::ConfirmationRequired { findings: m, .. },
            ) => refuse(&mut out, m),
            Err(e @ (Error::Locked(_) | Error::Conflict(_) | Error::Forbidden(_) | Error::NotFound(_))) => {
                refuse(&mut out, vec![FieldError::new(CODE, e.to_string())])
            }
            Err(e) if e.is_busy() => {
                out.failed += 1;
                let message = format!("{e}; nothing of this row was saved: import the file again");
                let messages = vec![FieldError { row: Some(row), ..FieldError::new(CODE, message) }];
                out.rows.push(RowOutcome { row, unit_code, outcome: "failed".into(), messages });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(out)
}
