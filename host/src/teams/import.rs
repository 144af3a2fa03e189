//! Roster import: officials keep team rosters in Excel or CSV, one row per member with the
//! team's columns repeated. Headers may be the English field names or the Vietnamese ones
//! officials use ("Họ và tên", "Ngày tham gia"...).
//!
//! Every row is checked with the same rules as the API before anything is written; each bad
//! row is reported with its number as the spreadsheet shows it. Nothing is written unless all
//! rows are valid, or `skip_invalid` is set. Importing the same file twice changes nothing:
//! teams are matched by unit and name, people as [`find_person`](super::members::find_person) says (the exact name, gender
//! and year of birth, and a phone, email or the team in common), and a membership with the same
//! start day is the same membership. An import never changes a recorded membership: a row of
//! one that gives another position, affiliation or left day is refused ([`Known::differences`]),
//! since counting it "existing" would leave the change it asks for silently undone.
//!
//! The import is a [`guarded`] write like every other write to teams: the writes always run
//! (rehearsed, then judged by the teams' composition rules with no connection held, then
//! applied); a dry run, invalid rows, or a rule broken without `override_reason` leave
//! nothing written. So a dry run reports exactly what the import would do.
//!
//! **Large rosters.** The rows are streamed ([`source`]: a CSV file is read from disk, never
//! whole) and grouped by team; a roster of more than [`CHUNK_ROWS`] rows is done in chunks
//! of whole teams, every chunk checked before the first is written ([`import_roster`]). All
//! the checks are a team's own (its decision, its members, duplicates within it), so a chunk
//! is judged as the whole file would be. In that check pass, a chunk no composition rule
//! judges is not rehearsed: [`check_and_write`] decides everything in memory and its counts
//! are the write's without the write ([`check_unjudged`]).
//!
//! A chunk reads what its rows are checked against in a few queries ([`known`]: the teams on
//! record, their stints, the people who may be the rows' people) and writes in multi-row
//! statements, so a row costs no statement of its own.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use calamine::Data;
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::access::may_change_person;
use super::composition::{AppliedPlugin, Finding};
use super::guarded::{self, Written};
use super::members::{
    MembershipFields, NewStint, PersonFields, Stint, check_against_team, closed_refusal, fill_person,
    insert_memberships, insert_people, membership_fields, overlapping, person_fields, split_skills,
};
use super::{CheckedTeam, Lookups, NewTeam, check_new_team_with};
use crate::audit::{Actor, Change};
use crate::auth::{Action, Principal, Target};
use crate::db::Db;
use crate::error::{Error, FieldError, Problems, Result};
use crate::plugins::Runtime;
use crate::text;
use crate::vocab::Vocab;

mod known;
mod source;
use known::{Known, PROVISIONAL};
pub use source::Input;
use source::{Roster, RowRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterFormat {
    Csv,
    Xlsx,
}

impl RosterFormat {
    pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match mime.as_str() {
            "text/csv" | "application/csv" => Some(RosterFormat::Csv),
            Self::XLSX_MIME => Some(RosterFormat::Xlsx),
            _ => None,
        }
    }

    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(RosterFormat::Csv),
            "xlsx" => Some(RosterFormat::Xlsx),
            _ => None,
        }
    }
}

/// One roster column: its field name (the English header), the Vietnamese header the export
/// writes, the other header spellings accepted (folded), and whether it is required.
pub(crate) struct Column {
    pub name: &'static str,
    pub header_vi: &'static str,
    aliases: &'static [&'static str],
    required: bool,
}

const fn col(
    name: &'static str,
    header_vi: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> Column {
    Column { name, header_vi, aliases, required }
}

/// The roster's columns, in the order the export writes them.
pub(crate) const COLUMNS: &[Column] = &[
    col("unit_code", "Mã đơn vị", &["ma don vi", "ma dvhc", "ma xa", "ma thon"], true),
    col("team_name", "Tên tổ", &["ten to", "to"], false),
    col("decision_number", "Số quyết định", &["so quyet dinh", "quyet dinh so", "so qd"], true),
    col("decision_date", "Ngày quyết định", &["ngay quyet dinh", "ngay qd"], true),
    col("decision_signer", "Người ký", &["nguoi ky", "nguoi ky quyet dinh"], true),
    col("full_name", "Họ và tên", &["ho va ten", "ho ten"], true),
    col("gender", "Giới tính", &["gioi tinh"], true),
    col("birth_year", "Năm sinh", &["nam sinh"], true),
    col("phone", "Số điện thoại", &["so dien thoai", "dien thoai", "sdt"], false),
    col("email", "Email", &["thu dien tu", "e mail"], false),
    col("position", "Chức vụ trong tổ", &["chuc vu trong to", "chuc vu", "vi tri"], true),
    col("affiliation", "Thành phần", &["thanh phan", "don vi cong tac", "co quan"], true),
    col("skills", "Kỹ năng", &["ky nang"], false),
    col("joined_on", "Ngày tham gia", &["ngay tham gia"], true),
    col("left_on", "Ngày rời tổ", &["ngay roi to", "ngay thoi tham gia"], false),
];

/// What an import did, or would do. The counts are what the valid rows did, or (when
/// `written` is false) would have done: a dry run counts exactly what the import would.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// Whether anything was written (false on a dry run, when rows were invalid, or when a
    /// team broke its composition rule without `override_reason`).
    pub written: bool,
    /// True when the import is (or, on a dry run, would be) refused: invalid rows without
    /// `skip_invalid`, or a team breaking its composition rule without `override_reason`.
    /// The API answers 422 then.
    pub refused: bool,
    /// Data rows read (blank rows are not counted).
    pub rows: usize,
    pub teams_created: usize,
    /// Teams found already recorded.
    pub teams_existing: usize,
    pub members_created: usize,
    /// Memberships found already recorded.
    pub members_existing: usize,
    /// People on record whose missing phone or email a row filled in (never replaced).
    pub people_updated: usize,
    /// Invalid rows (each in `errors`): left out while the rest were written with
    /// `skip_invalid`; without it, they refused the file and nothing was written (`refused`).
    pub rows_skipped: usize,
    pub errors: Vec<FieldError>,
    /// Teams the import leaves breaking their composition rule in a new way, with the rule's
    /// findings; accepted (and audited) only with `override_reason`.
    pub composition: Vec<TeamFindings>,
}

/// A team the import would leave with error findings it did not have before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamFindings {
    /// The team's id; null for a team the import would create.
    pub team_id: Option<i64>,
    pub unit_code: String,
    pub team_name: String,
    /// Spreadsheet rows of the team's members.
    pub rows: Vec<usize>,
    /// The rule that judged.
    pub plugin: Option<AppliedPlugin>,
    /// The new error findings. Their ids are the import's own writes: when the import is not
    /// written, they name nothing stored.
    pub findings: Vec<Finding>,
    /// Why the rule could not run on the team as imported, when it could not (then
    /// `findings` is empty); like findings, accepted only with `override_reason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_failure: Option<String>,
    /// True when `override_reason` accepted them (the override is in the audit trail).
    pub accepted: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub skip_invalid: bool,
    pub dry_run: bool,
    pub max_rows: usize,
    /// Accept teams that break their composition rule; the reason is audited per team.
    pub override_reason: Option<String>,
    /// Rows per chunk of teams (None: [`CHUNK_ROWS`]); tests make chunks small.
    pub chunk_rows: Option<usize>,
}

/// One data row: its spreadsheet row number and its cells by column name.
type Row = (usize, HashMap<&'static str, String>);

fn column_of(header: &str) -> Option<&'static str> {
    let folded = fold_header(header);
    COLUMNS
        .iter()
        .find(|c| folded == c.name.replace('_', " ") || c.aliases.contains(&folded.as_str()))
        .map(|c| c.name)
}

/// A header as [`column_of`] compares it: folded, punctuation as spaces, single spaces.
fn fold_header(header: &str) -> String {
    let folded =
        text::fold(header.trim_start_matches('\u{feff}')).replace(['_', '-', '(', ')', '*', ':'], " ");
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The column a header that names none is most likely a misspelling of: one edit away from a
/// spelling of five letters or more, two from one of eight or more (Levenshtein, on folded
/// text). Shorter spellings are left alone: "STT", the row number column of many sheets, is
/// one edit from "SĐT". A misspelt optional column ("phon") was ignored, and every phone with it.
fn misspelt_column(header: &str) -> Option<&'static Column> {
    let folded = fold_header(header);
    COLUMNS.iter().find(|c| {
        let name = c.name.replace('_', " ");
        std::iter::once(name.as_str()).chain(c.aliases.iter().copied()).any(|spelling| {
            let d = strsim::levenshtein(&folded, spelling);
            (spelling.len() >= 5 && d <= 1) || (spelling.len() >= 8 && d <= 2)
        })
    })
}

/// Required columns the header row lacks.
fn missing_columns(mapped: &[Option<&'static str>]) -> Vec<&'static str> {
    COLUMNS.iter().filter(|c| c.required && !mapped.contains(&Some(c.name))).map(|c| c.name).collect()
}

/// Columns of the header row; 400 naming the missing ones (and, for CSV, how it was read).
fn map_headers(headers: &[String], how_read: &str) -> Result<Vec<Option<&'static str>>> {
    let mapped: Vec<Option<&'static str>> = headers.iter().map(|h| column_of(h)).collect();
    for (i, header) in headers.iter().enumerate() {
        if mapped[i].is_none()
            && let Some(c) = misspelt_column(header)
        {
            return Err(Error::BadRequest(format!(
                "the header row's column {} is '{}', which is no roster column: did you mean '{}' ({})? \
                 Rename the column, or remove it",
                i + 1,
                header.trim_start_matches('\u{feff}'),
                c.header_vi,
                c.name
            )));
        }
    }
    let missing = missing_columns(&mapped);
    if !missing.is_empty() {
        return Err(Error::BadRequest(format!(
            "the header row lacks the column(s) {}{how_read}; see the README for the roster layout",
            missing.join(", ")
        )));
    }
    // A column named twice ("Họ và tên" and "full_name"): which one holds the names is a guess,
    // and taking the last silently replaced every name with the other column's text.
    for (i, name) in mapped.iter().enumerate() {
        if let Some(name) = name
            && let Some(j) = mapped[i + 1..].iter().position(|m| m == &Some(*name))
        {
            return Err(Error::BadRequest(format!(
                "the header row names the column {name} twice ('{}' in column {} and '{}' in column {}); \
                 keep one",
                headers[i].trim_start_matches('\u{feff}'),
                i + 1,
                headers[i + 1 + j],
                i + 2 + j
            )));
        }
    }
    Ok(mapped)
}

/// The separator under which the header row names the most roster columns.
fn detect_separator(text: &str) -> u8 {
    crate::csvfile::detect_separator(text, |c| column_of(c).is_some())
}

fn cell_text(column: &str, cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::Int(i) => phone_digits(column, i.to_string()),
        Data::Float(f) if f.fract() == 0.0 => phone_digits(column, format!("{f:.0}")),
        Data::Float(f) => f.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) => d.date().format("%Y-%m-%d").to_string(),
            None => dt.to_string(),
        },
    }
}

/// Excel turns "0912345678" typed into a number cell into 912345678: give the zero back.
fn phone_digits(column: &str, digits: String) -> String {
    if column == "phone" && (9..=10).contains(&digits.len()) && !digits.starts_with('0') {
        format!("0{digits}")
    } else {
        digits
    }
}

/// The roster rows of the workbook's first sheet, the header row first; at most `max_rows`
/// rows below it ([`crate::spreadsheet`] holds the file to that before reading it whole).
fn read_xlsx(bytes: &[u8], max_rows: usize) -> Result<Vec<Row>> {
    let sheet = crate::spreadsheet::first_sheet(bytes, max_rows.saturating_add(1))?;
    let first_row = sheet.first_row - 1;
    let mut iter = sheet.rows.iter();
    let Some(header) = iter.next() else { return Ok(Vec::new()) };
    let headers: Vec<String> = header.iter().map(|c| cell_text("", c)).collect();
    let columns = map_headers(&headers, " (the header on the first row of the first sheet)")?;
    let mut rows = Vec::new();
    for (i, cells) in iter.enumerate() {
        let mut map = HashMap::new();
        for (c, cell) in cells.iter().enumerate() {
            if let Some(Some(name)) = columns.get(c) {
                map.insert(*name, cell_text(name, cell));
            }
        }
        // Spreadsheet rows are 1-based and the header takes the first one used.
        let row = first_row + i + 2;
        // As for a CSV file's lines (`csvfile::screen`): no cell may hold such characters.
        for (name, text) in &map {
            if let Some(c) = crate::text::forbidden_char(text) {
                return Err(Error::field(format!("row {row}, {name}"), crate::text::forbidden_reason(c)));
            }
        }
        rows.push((row, map));
    }
    Ok(rows)
}

/// A row that passed its own checks.
struct ValidRow {
    row: usize,
    team_key: (String, String),
    person: PersonFields,
    membership: MembershipFields,
}

/// Commune codes have five digits, and Excel drops the leading zeros of a code typed into a
/// number cell ("00123" becomes 123, shown as 00123 only by the cell's format). A code of
/// fewer digits is read as the five-digit code when that unit exists (even when the short
/// code names a province or district: no team serves one).
async fn restore_unit_codes(conn: &mut AnyConnection, rows: &mut [Row]) -> Result<()> {
    let mut known: HashMap<String, String> = HashMap::new();
    for (_, cells) in rows.iter_mut() {
        let Some(code) = cells.get("unit_code").map(|c| c.trim().to_string()) else { continue };
        let restored = restore_code(conn, &mut known, code).await?;
        cells.insert("unit_code", restored);
    }
    Ok(())
}

/// `code` as [`restore_unit_codes`] reads it; `known` remembers the answers.
async fn restore_code(
    conn: &mut AnyConnection,
    known: &mut HashMap<String, String>,
    code: String,
) -> Result<String> {
    if code.is_empty() || code.len() >= 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(code);
    }
    if let Some(r) = known.get(&code) {
        return Ok(r.clone());
    }
    // A shorter code can only name a province (2 digits) or a district (3), which no team
    // serves: "124" in a roster is commune 00124, not the district Huyện Yên Châu.
    let padded = format!("{code:0>5}");
    let r = if crate::units::id_of(conn, &padded).await.is_ok() { padded } else { code.clone() };
    known.insert(code, r.clone());
    Ok(r)
}

/// The key of a row's team within one file: its unit code as written (trimmed) and its name
/// as two names of one unit are compared ([`text::same_name`]), so that "Thôn 1" and
/// "thôn 1" are one team, as they are against the record.
fn team_key(unit_code: Option<&str>, team_name: Option<&str>) -> (String, String) {
    let unit = unit_code.map(str::trim).unwrap_or_default().to_string();
    (unit, team_name.map(text::same_name).unwrap_or_default())
}

/// The key under which a row's person is recognised within one file: what
/// [`find_person`](super::members::find_person) compares (the name as [`text::same_name`]
/// compares names, gender, year of birth, phone or email).
fn person_key(p: &PersonFields) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        p.name_key,
        p.gender.as_str(),
        p.birth_year,
        p.phone.as_deref().unwrap_or(""),
        p.email.as_deref().unwrap_or("")
    )
}

/// Rows of teams checked and written together: one guarded write each (a few thousand rows,
/// so a chunk's transaction is short and its rows, read again from the file, are few).
const CHUNK_ROWS: usize = 2_000;

/// Where an import is, for a progress bar: `done` of `total` rows in `stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the file once through, grouping rows by team (`total` unknown: 0).
    Reading,
    /// Checking every chunk of teams, writing nothing, before the first is written.
    Checking,
    /// Writing, chunk by chunk.
    Writing,
}

/// Reads, checks and writes a roster (see the module documentation). `scope` is the caller,
/// whose scope every team must be in (None for the command line). `progress` hears how far
/// the import has got.
///
/// A roster of more than [`CHUNK_ROWS`] rows is done in chunks of whole teams, so that
/// neither the file nor its rows are held at once: every chunk is checked (and judged by its
/// rules) writing nothing, and only when the whole file would be accepted is it written,
/// chunk by chunk, each chunk judged again as it is written; a chunk whose check found
/// nothing new to write (all of it recorded already) is not read again. A crash while writing leaves
/// whole teams written; importing the same file again finishes it (an import is idempotent).
/// If another writer changes the data between the check and the write so that a chunk is
/// refused, the chunks before it stay written and the error says so.
///
/// Errors: 400 for an unreadable file or header row, 413 beyond `options.max_rows`, 422
/// (validation) for a file without member rows, 409 when a chunk is refused while writing,
/// 503 `busy` when the host is at capacity; bad rows and broken composition rules are
/// reported in the outcome, and `outcome.written` says whether the import was committed.
#[allow(clippy::too_many_arguments)]
pub async fn import_roster(
    db: &Db,
    runtime: &Arc<Runtime>,
    actor: &Actor,
    scope: Option<&Principal>,
    input: &Input,
    format: RosterFormat,
    options: &Options,
    progress: &(dyn Fn(Stage, usize, usize) + Send + Sync),
) -> Result<ImportOutcome> {
    let roster = Roster::open(input, format, options.max_rows)?;
    let teams = index_teams(db, &roster, options.max_rows, progress).await?;
    let rows: usize = teams.iter().map(Vec::len).sum();
    if rows == 0 {
        return Err(Error::field(
            "rows",
            "no member rows were found below the header row: the roster has one row per member",
        ));
    }
    let chunks = chunk_teams(teams, options.chunk_rows.unwrap_or(CHUNK_ROWS));
    if chunks.len() == 1 {
        let rows = roster.read(&chunks[0])?;
        let outcome = import_chunk(db, runtime, actor, scope, rows, options).await?;
        progress(Stage::Writing, outcome.rows, outcome.rows);
        return Ok(outcome);
    }
    // Every chunk checked first, nothing written: the whole file is accepted or nothing is.
    let checking = Options { dry_run: true, ..options.clone() };
    let mut checked = ImportOutcome::default();
    let mut ruled = HashMap::new();
    // By chunk, its checked outcome when it has nothing to write (every team, member and
    // contact found as recorded): the write pass skips it. Importing a file again read and
    // checked each chunk a second time to write nothing.
    let mut nothing_new: Vec<Option<ImportOutcome>> = Vec::with_capacity(chunks.len());
    for refs in &chunks {
        let chunk = roster.read(refs)?;
        let part = match check_unjudged(db, actor, scope, chunk.clone(), options, &mut ruled).await? {
            Some(part) => part,
            None => import_chunk(db, runtime, actor, scope, chunk, &checking).await?,
        };
        let new = part.teams_created + part.members_created + part.people_updated;
        nothing_new.push((new == 0).then(|| part.clone()));
        add(&mut checked, part);
        progress(Stage::Checking, checked.rows, rows);
    }
    checked.errors.sort_by_key(|e| e.row);
    // Checked chunks are never written, so `checked.written` is false.
    if options.dry_run || checked.refused {
        return Ok(checked);
    }
    let mut written = ImportOutcome::default();
    for (i, refs) in chunks.iter().enumerate() {
        if let Some(part) = nothing_new[i].take() {
            add(&mut written, part);
            progress(Stage::Writing, written.rows, rows);
            continue;
        }
        let first_row = refs.iter().map(|r| r.row).min().unwrap_or(0);
        let part = match import_chunk(db, runtime, actor, scope, roster.read(refs)?, options).await {
            Ok(part) => part,
            // Another process (a second import, the server) held the database past the busy
            // timeout: say how far the import got, which "nothing was written" would not.
            Err(e) if e.is_busy() => {
                return Err(Error::Busy {
                    message: format!(
                        "the database stayed busy with other changes ({e}): {i} of {} chunks of teams were written, \
                         the teams from row {first_row} on were not; import the file again to finish",
                        chunks.len()
                    ),
                    retry_after_secs: 1,
                });
            }
            Err(e) => return Err(e),
        };
        if !part.written {
            return Err(Error::Conflict(format!(
                "the data changed while the roster was being written: {i} of {} chunks of teams were written, \
                 the teams from row {first_row} on were not (checked again, they are refused now); \
                 import the file again to see why and to finish",
                chunks.len()
            )));
        }
        add(&mut written, part);
        progress(Stage::Writing, written.rows, rows);
    }
    written.errors.sort_by_key(|e| e.row);
    written.written = true;
    Ok(written)
}

/// Adds a chunk's outcome to the whole file's.
fn add(total: &mut ImportOutcome, part: ImportOutcome) {
    total.rows += part.rows;
    total.teams_created += part.teams_created;
    total.teams_existing += part.teams_existing;
    total.members_created += part.members_created;
    total.members_existing += part.members_existing;
    total.people_updated += part.people_updated;
    total.rows_skipped += part.rows_skipped;
    total.errors.extend(part.errors);
    total.composition.extend(part.composition);
    total.refused |= part.refused;
    total.written |= part.written;
}

/// The file's data rows grouped by team (unit code as [`restore_code`] reads it, and name),
/// teams in the order of their first row, each team's rows in file order; blank rows left
/// out. Errors: 413 beyond `max_rows` rows for a roster held in memory (an upload, a sheet);
/// the file's.
async fn index_teams(
    db: &Db,
    roster: &Roster,
    max_rows: usize,
    progress: &(dyn Fn(Stage, usize, usize) + Send + Sync),
) -> Result<Vec<Vec<RowRef>>> {
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut teams: Vec<((String, String), Vec<RowRef>)> = Vec::new();
    let limited = roster.in_memory();
    let mut count = 0usize;
    roster.scan(|at, (_, cells)| {
        if !cells.values().any(|v| !v.trim().is_empty()) {
            return Ok(());
        }
        count += 1;
        if limited && count > max_rows {
            return Err(Error::PayloadTooLarge(format!(
                "the roster has more than {max_rows} rows; at most {max_rows} are accepted in one upload \
                 (`sohoa teams import` reads a CSV file of any length)"
            )));
        }
        // As check_and_write keys its teams.
        let key =
            team_key(cells.get("unit_code").map(String::as_str), cells.get("team_name").map(String::as_str));
        match index.get(&key) {
            Some(&t) => teams[t].1.push(at),
            None => {
                index.insert(key.clone(), teams.len());
                teams.push((key, vec![at]));
            }
        }
        if count.is_multiple_of(20_000) {
            progress(Stage::Reading, count, 0);
        }
        Ok(())
    })?;
    progress(Stage::Reading, count, 0);
    // Codes Excel shortened ("123" for 00123): read as the unit's code, and a team written
    // both ways is one team.
    let mut conn = db.pool.acquire().await?;
    let mut known: HashMap<String, String> = HashMap::new();
    let mut merged: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Vec<RowRef>> = Vec::with_capacity(teams.len());
    for ((unit, name), rows) in teams {
        let key = (restore_code(&mut conn, &mut known, unit).await?, name);
        match merged.get(&key) {
            Some(&t) => {
                out[t].extend(rows);
                out[t].sort_by_key(|r| r.row);
            }
            None => {
                merged.insert(key, out.len());
                out.push(rows);
            }
        }
    }
    Ok(out)
}

/// Teams in order, cut into chunks of about `size` rows (a team is never split).
fn chunk_teams(teams: Vec<Vec<RowRef>>, size: usize) -> Vec<Vec<RowRef>> {
    let mut chunks: Vec<Vec<RowRef>> = Vec::new();
    let mut current: Vec<RowRef> = Vec::new();
    for rows in teams {
        if !current.is_empty() && current.len() + rows.len() > size {
            chunks.push(std::mem::take(&mut current));
        }
        current.extend(rows);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// One guarded write of `rows` (whole teams), as an import of those rows alone.
async fn import_chunk(
    db: &Db,
    runtime: &Arc<Runtime>,
    actor: &Actor,
    scope: Option<&Principal>,
    rows: Vec<Row>,
    options: &Options,
) -> Result<ImportOutcome> {
    let (who, scope, settings) = (actor.clone(), scope.cloned(), options.clone());
    let judged = guarded::write(db, runtime, actor, options.override_reason.as_deref(), move |conn| {
        let (actor, scope, options, rows) = (who.clone(), scope.clone(), settings.clone(), rows.clone());
        Box::pin(async move {
            let (outcome, touched) = check_and_write(conn, &actor, scope.as_ref(), rows, true).await?;
            let keep = !options.dry_run && (outcome.errors.is_empty() || options.skip_invalid);
            let teams = touched.iter().map(|t| t.team_id).collect();
            Ok(Written { value: (outcome, touched), teams, keep })
        })
    })
    .await?;
    let ((mut outcome, touched), verdicts) = (judged.value, judged.verdicts);
    let accepted = guarded::reason(options.override_reason.as_deref()).is_some();
    for v in verdicts {
        let Some(t) = touched.iter().find(|t| t.team_id == v.team_id) else { continue };
        outcome.composition.push(TeamFindings {
            team_id: t.existed.then_some(t.team_id),
            unit_code: t.unit_code.clone(),
            team_name: t.team_name.clone(),
            rows: t.rows.clone(),
            plugin: v.plugin,
            findings: v.new_errors,
            rule_failure: v.rule_failure.map(|f| f.to_string()),
            accepted,
        });
    }
    let rows_refused = !outcome.errors.is_empty() && !options.skip_invalid;
    outcome.refused = rows_refused || outcome.composition.iter().any(|t| !t.accepted);
    outcome.written = judged.written;
    Ok(outcome)
}

/// The check of a chunk whose teams no composition rule judges: [`check_and_write`] on a read
/// transaction, writing nothing (a rehearsed write and its rollback cost as much as the write
/// itself, which the write pass then does again). None when a rule applies to one of its
/// teams' units, which only a rehearsal can judge ([`guarded`]). `ruled` remembers, by unit
/// id, whether a rule applies there today. Errors: the database's.
async fn check_unjudged(
    db: &Db,
    actor: &Actor,
    scope: Option<&Principal>,
    rows: Vec<Row>,
    options: &Options,
    ruled: &mut HashMap<i64, bool>,
) -> Result<Option<ImportOutcome>> {
    let today = crate::dates::today_iso();
    let mut tx = db.pool.begin().await?;
    let (mut outcome, touched) = check_and_write(&mut tx, actor, scope, rows, false).await?;
    let units: Vec<i64> = touched.iter().map(|t| t.unit_id).collect();
    if super::composition::any_rule_in_units(&mut tx, units, &today, ruled).await? {
        return Ok(None);
    }
    tx.rollback().await?;
    // As import_chunk judges a rehearsal with no rule to run.
    outcome.refused = !outcome.errors.is_empty() && !options.skip_invalid;
    outcome.written = false;
    Ok(Some(outcome))
}

/// A team the import wrote to, with its rows.
#[derive(Clone)]
struct Touched {
    unit_id: i64,
    unit_code: String,
    team_name: String,
    team_id: i64,
    existed: bool,
    rows: Vec<usize>,
}

/// Checks every row and, when `write`, writes the valid ones (see the module documentation):
/// one run of the guarded write, so a function of the database and the rows alone. Without
/// `write` nothing is written and the outcome counts what the write would do (the check pass
/// of a chunk no composition rule judges: [`check_unjudged`]).
async fn check_and_write(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: Option<&Principal>,
    mut rows: Vec<Row>,
    write: bool,
) -> Result<(ImportOutcome, Vec<Touched>)> {
    restore_unit_codes(conn, &mut rows).await?;
    let mut outcome = ImportOutcome { rows: rows.len(), ..Default::default() };
    let mut bad_rows: HashSet<usize> = HashSet::new();
    let fail = |outcome: &mut ImportOutcome,
                bad_rows: &mut HashSet<usize>,
                row: usize,
                problems: Vec<FieldError>| {
        bad_rows.insert(row);
        outcome.errors.extend(problems.into_iter().map(|e| FieldError { row: Some(row), ..e }));
    };

    // Row by row: person and membership fields; teams are gathered by (unit, name).
    let mut parsed: Vec<ParsedRow> = Vec::with_capacity(rows.len());
    for (row, cells) in &rows {
        let get = |c: &str| cells.get(c).map(String::as_str).map(str::trim).filter(|v| !v.is_empty());
        let mut p = Problems::default();
        let birth_year = get("birth_year").map(|y| y.parse::<i64>().map_err(|_| y));
        let person =
            person_fields(&mut p, get("full_name"), get("gender"), birth_year, get("phone"), get("email"));
        let skills: Vec<String> = get("skills").map(split_skills).unwrap_or_default();
        let membership = membership_fields(
            &mut p,
            get("position"),
            get("affiliation"),
            &skills,
            get("joined_on"),
            get("left_on"),
        );
        let team_input = NewTeam {
            unit_code: get("unit_code").map(str::to_string),
            name: get("team_name").map(str::to_string),
            decision_number: get("decision_number").map(str::to_string),
            decision_date: get("decision_date").map(str::to_string),
            decision_signer: get("decision_signer").map(str::to_string),
        };
        let key = team_key(team_input.unit_code.as_deref(), team_input.name.as_deref());
        parsed.push((*row, key, team_input, person, membership, p));
    }
    let decisions: Vec<_> = parsed.iter().map(|(row, key, input, ..)| (*row, key, input)).collect();
    let (teams, chosen) = team_decisions(&decisions);
    // Each field that differs from the team's decision, by name, with the team's value.
    let differs: Vec<Vec<(&'static str, String)>> = parsed
        .iter()
        .enumerate()
        .map(|(i, (_, key, mine, ..))| {
            let first = chosen[key];
            let (first_row, theirs) = (parsed[first].0, &parsed[first].2);
            [
                ("decision_number", &theirs.decision_number, &mine.decision_number),
                ("decision_date", &theirs.decision_date, &mine.decision_date),
                ("decision_signer", &theirs.decision_signer, &mine.decision_signer),
            ]
            .into_iter()
            .filter(|(_, theirs, mine)| first != i && theirs.as_deref().map(text::clean) != mine.as_deref().map(text::clean))
            .map(|(field, theirs, _)| {
                let message = format!(
                    "the team's decision differs from row {first_row}, which has '{}' as most of the team's rows do",
                    theirs.as_deref().unwrap_or("")
                );
                (field, message)
            })
            .collect()
        })
        .collect();
    let mut valid: Vec<ValidRow> = Vec::new();
    for ((row, key, _, person, membership, mut p), differs) in parsed.into_iter().zip(differs) {
        for (field, message) in differs {
            p.add(field, message);
        }
        if p.is_empty() {
            valid.push(ValidRow { row, team_key: key, person, membership });
        } else {
            fail(&mut outcome, &mut bad_rows, row, p.0);
        }
    }

    // Team by team: the same checks as creating one through the API, each unit and its
    // teams read once.
    let mut lookups = Lookups::default();
    let mut allowed: HashMap<(i64, Option<i64>), bool> = HashMap::new();
    let mut checked: HashMap<(String, String), CheckedTeam> = HashMap::new();
    for (key, input, _) in &teams {
        let result = match check_new_team_with(conn, input, &mut lookups).await {
            Ok(t) => match scope {
                Some(p) => {
                    let target = (t.unit_id, t.existing);
                    let may = match allowed.get(&target) {
                        Some(may) => *may,
                        None => {
                            let may = p
                                .can(
                                    conn,
                                    Action::TeamsWrite,
                                    Target { unit_id: t.unit_id, team_id: t.existing },
                                )
                                .await?;
                            *allowed.entry(target).or_insert(may)
                        }
                    };
                    if may {
                        Ok(t)
                    } else {
                        Err(Error::field("unit_code", format!("unit '{}' is outside what you manage", key.0)))
                    }
                }
                None => Ok(t),
            },
            Err(e) => Err(e),
        };
        match result {
            Ok(t) => {
                checked.insert(key.clone(), t);
            }
            Err(Error::Validation(problems)) => {
                for (row, cells) in &rows {
                    let unit = cells.get("unit_code").map(String::as_str);
                    if team_key(unit, cells.get("team_name").map(String::as_str)) == *key {
                        fail(&mut outcome, &mut bad_rows, *row, problems.clone());
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }

    // Members against their team: dates, status, duplicates within the file and in the
    // database, all against what is read once up front.
    let mut on_record: Vec<i64> = checked.values().filter_map(|t| t.existing).collect();
    on_record.sort_unstable();
    on_record.dedup();
    let mut known = Known::read(conn, &on_record, valid.iter().map(|v| &v.person)).await?;
    // By team and person, the stints the rows before gave (each Stint's id is its row): a
    // person may leave a team and join it again, as an export lists them, on two rows.
    let mut seen: HashMap<(String, String, String), Vec<Stint>> = HashMap::new();
    let mut to_write: Vec<ValidRow> = Vec::new();
    let mut fills = Fills::new();
    for v in valid {
        if bad_rows.contains(&v.row) {
            continue;
        }
        let Some(team) = checked.get(&v.team_key) else { continue };
        let mut p = Problems::default();
        let (status, status_date) = known.state(team.existing);
        check_against_team(&mut p, &v.membership, &team.decision_date, status, status_date);
        // The same refusal as POST /members: no stint after the team's unit closed.
        if let Some(id) = team.existing
            && !v.membership.joined_on.is_empty()
            && let Some(closing) = known.closed_by(id, &v.membership.joined_on)
            && let Error::Validation(problems) = closed_refusal(&closing)
        {
            p.0.extend(problems);
        }
        let seen_key = (v.team_key.0.clone(), v.team_key.1.clone(), person_key(&v.person));
        let earlier = seen.entry(seen_key).or_default();
        if let Some(other) = overlapping(earlier, &v.membership, None) {
            p.add(
                "full_name",
                format!(
                    "the same person is already listed for this team on row {}, over an overlapping period",
                    other.id
                ),
            );
        } else {
            earlier.push(Stint {
                id: v.row as i64,
                person_id: 0,
                joined_on: v.membership.joined_on.clone(),
                left_on: v.membership.left_on.clone(),
            });
        }
        // Against the person's stints on record (the person found once per row).
        if p.is_empty()
            && let Some(team_id) = team.existing
        {
            against_record(&known, team_id, &v, &mut fills, &mut p);
        }
        if p.is_empty() {
            to_write.push(v);
        } else {
            fail(&mut outcome, &mut bad_rows, v.row, p.0);
        }
    }
    outcome.errors.sort_by_key(|e| e.row);
    outcome.rows_skipped = bad_rows.len();
    // Who each row is and what it adds are decided in memory (write_rows), so the outcome is
    // the same whether the rows are then written or not.
    let touched = write_rows(conn, actor, scope, &checked, to_write, &mut known, &mut outcome, write).await?;
    Ok((outcome, touched))
}

/// Phones and emails rows of one file fill in for people on record who lack them, by (person
/// id, field): the value and the row that gave it.
type Fills = HashMap<(i64, &'static str), (String, usize)>;

/// The checks of row `v` of team `team_id` (on record) against the people and stints recorded,
/// each problem added to `p`. An import adds and fills in; it never changes a record, so a row
/// that says something else of a recorded stint (an edited export) is refused naming every
/// difference, rather than counted "existing" with the change silently left undone, or taken
/// for a second person of the same name on the team.
fn against_record(known: &Known, team_id: i64, v: &ValidRow, fills: &mut Fills, p: &mut Problems) {
    let stint_differences = |person_id: i64, p: &mut Problems| {
        for (field, recorded, row) in known.differences(team_id, person_id, &v.membership) {
            p.add(
                field,
                format!(
                    "on record as '{recorded}' for this person's stint from the same day; this row says '{row}'. \
                     An import adds teams, people and stints and never changes a recorded stint: change it \
                     on the team page (the change is checked and audited there), or give what is recorded"
                ),
            );
        }
    };
    let found = known.find(&v.person, Some(team_id));
    // A row taken for someone who has a stint on the team from that day describes that stint,
    // whoever else of the name joined the same day (two people named Hà Minh Anh joining
    // together import back as they were exported).
    let found_in_stint = found.is_some_and(|id| known.same_stint(team_id, id, &v.membership.joined_on));
    // A stint the row adds to a dissolved team, held as `POST /members` holds it.
    if !found_in_stint {
        let (status, end) = known.state(Some(team_id));
        super::members::left_by_dissolution(p, &v.membership, status, end);
    }
    // The person serving in the stint this row describes (same name, year of birth and first
    // day), when the row is taken for no one (a second person of that name would join the
    // team) or for another record of the name (whose phone or email the row gives).
    if !found_in_stint
        && let Some(serving) = known.namesake_in_stint(team_id, &v.person, &v.membership.joined_on)
        && found != Some(serving.id)
    {
        let differences = serving.differences(&v.person);
        if !differences.is_empty() {
            refuse_edited_person(serving, differences, p);
            stint_differences(serving.id, p);
            return;
        }
    }
    // The row of a recorded stint with the accents of the person's name or their year of
    // birth edited, which the match above (accents kept, exact year) cannot see.
    if found.is_none()
        && let Some(serving) = known.edited_in_stint(team_id, &v.person, &v.membership.joined_on)
    {
        let mut differences = Vec::new();
        if text::same_name(&serving.full_name) != v.person.name_key {
            differences.push(("full_name", serving.full_name.clone(), v.person.full_name.clone()));
        }
        if serving.birth_year != v.person.birth_year {
            differences.push(("birth_year", serving.birth_year.to_string(), v.person.birth_year.to_string()));
        }
        differences.extend(serving.differences(&v.person));
        refuse_edited_person(serving, differences, p);
        stint_differences(serving.id, p);
        return;
    }
    let Some(person_id) = found else { return };
    if known.overlaps(team_id, person_id, &v.membership)
        && !known.same_stint(team_id, person_id, &v.membership.joined_on)
    {
        p.add("joined_on", "this person already serves on the team over an overlapping period");
    }
    stint_differences(person_id, p);
    // A phone or email the record lacks is filled in from the row; two rows of the file giving
    // the same person two different ones cannot both be (the second was taken for someone new).
    let Some(record) = known.person(person_id, &v.person) else { return };
    for (field, recorded, given) in
        [("phone", &record.phone, &v.person.phone), ("email", &record.email, &v.person.email)]
    {
        let (None, Some(given)) = (recorded, given) else { continue };
        match fills.entry((person_id, field)) {
            Entry::Occupied(first) if first.get().0 != *given => {
                let (value, row) = first.get();
                p.add(
                    field,
                    format!(
                        "row {row} gives '{value}' for this person, who has none on record; this row says '{given}'. \
                         Give the same on both rows"
                    ),
                );
            }
            Entry::Occupied(_) => {}
            Entry::Vacant(slot) => {
                slot.insert((given.clone(), v.row));
            }
        }
    }
}

/// Refuses a row that describes `serving`'s recorded stint but says `differences` (field, the
/// record's value, the row's) of the person: an import never changes a person's record. The
/// row may also be another person of that name joining the same day, which the message says
/// how to record (the team page adds them as a new person).
fn refuse_edited_person(
    serving: &super::members::Candidate,
    differences: Vec<(&'static str, String, String)>,
    p: &mut Problems,
) {
    for (field, recorded, row) in differences {
        p.add(
            field,
            format!(
                "on record as '{recorded}' for {} (born {}), who serves on this team from the same day; \
                 this row says '{row}'. An import never changes a person's record: change it on the \
                 member's page, or give what is recorded. If the row is another person, add them on the \
                 team's page",
                serving.full_name, serving.birth_year
            ),
        );
    }
}

/// Each team's decision: the one most of its rows give (the first of those rows, on a tie),
/// so that one odd row is the row reported, not every row that agrees with the rest. `parsed`
/// holds each row's number, team key (unit code, name) and team fields, in file order.
/// Returns the teams in the order of their first row, each with its key, its fields as the
/// chosen row gives them and that row's number; and by key, the index in `parsed` of the
/// chosen row. Decisions are compared as [`text::clean`] leaves them.
#[allow(clippy::type_complexity)]
fn team_decisions(
    parsed: &[(usize, &(String, String), &NewTeam)],
) -> (Vec<((String, String), NewTeam, usize)>, HashMap<(String, String), usize>) {
    let decision = |t: &NewTeam| {
        [&t.decision_number, &t.decision_date, &t.decision_signer].map(|f| f.as_deref().map(text::clean))
    };
    // By team, each distinct decision: the first row giving it and how many rows do.
    let mut votes: HashMap<&(String, String), Vec<(usize, usize)>> = HashMap::new();
    let mut teams: Vec<((String, String), NewTeam, usize)> = Vec::new();
    for (i, &(_, key, input)) in parsed.iter().enumerate() {
        let ballots = votes.entry(key).or_default();
        match ballots.iter_mut().find(|(first, _)| decision(parsed[*first].2) == decision(input)) {
            Some((_, n)) => *n += 1,
            None => ballots.push((i, 1)),
        }
        if ballots.len() == 1 && ballots[0].1 == 1 {
            teams.push((key.clone(), (*input).clone(), 0));
        }
    }
    let mut chosen: HashMap<(String, String), usize> = HashMap::new();
    for (key, input, first_row) in &mut teams {
        let ballots = &votes[&*key];
        // max_by_key keeps the last of equals: rev() makes it the first.
        let (first, _) = ballots.iter().rev().max_by_key(|(_, n)| *n).copied().expect("a row");
        *input = parsed[first].2.clone();
        *first_row = parsed[first].0;
        chosen.insert(key.clone(), first);
    }
    (teams, chosen)
}

/// A row as read: its number, its team's key (unit code, name), the team, person and
/// membership it gives, and what is wrong with it so far.
type ParsedRow = (usize, (String, String), NewTeam, PersonFields, MembershipFields, Problems);

/// Writes the valid rows and records the counts in `outcome`; returns the teams written to,
/// for their composition rules to judge. Who each row's person is and whether their stint
/// is recorded are decided in memory first, one row after the other as if each were written
/// before the next is read ([`Known`]); then teams, people, stints and their audit rows are
/// written in multi-row statements. Without `write`, only the first part: the counts, and the
/// teams with provisional ids for those the import would create.
///
/// A row matching a person on record fills the phone or email the record lacks only if
/// `scope` (the importer; None: the command line) may change the members of every team that
/// person serves on ([`may_change_person`]), as `POST /members` does: a commune's officer
/// links someone serving in another commune and writes nothing into their record.
#[allow(clippy::too_many_arguments)]
async fn write_rows(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: Option<&Principal>,
    checked: &HashMap<(String, String), CheckedTeam>,
    to_write: Vec<ValidRow>,
    known: &mut Known,
    outcome: &mut ImportOutcome,
    write: bool,
) -> Result<Vec<Touched>> {
    // Teams in the order of their first row, each with its rows.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut by_team: HashMap<(String, String), Vec<ValidRow>> = HashMap::new();
    for v in to_write {
        if !by_team.contains_key(&v.team_key) {
            order.push(v.team_key.clone());
        }
        by_team.entry(v.team_key.clone()).or_default().push(v);
    }

    // New teams get their ids first: their rows refer to them.
    let new_teams: Vec<(String, String)> =
        order.iter().filter(|k| checked[*k].existing.is_none()).cloned().collect();
    let team_ids = if write {
        crate::db::reserve_ids(conn, "teams", new_teams.len()).await?
    } else {
        (PROVISIONAL..).take(new_teams.len()).collect()
    };
    let created: HashMap<(String, String), i64> =
        new_teams.into_iter().zip(team_ids.iter().copied()).collect();
    if write {
        let rows: Vec<(i64, &CheckedTeam)> = created.iter().map(|(k, id)| (*id, &checked[k])).collect();
        super::insert_teams(conn, &rows).await?;
    }

    // Who each row is, and its stint, in memory.
    let mut new_people: Vec<(i64, PersonFields)> = Vec::new();
    // People on record whose phone or email a row fills: id, the row's fields, the team's
    // unit (for the audit row's scope) and their contact before.
    type Contact = (Option<String>, Option<String>);
    let mut filled: Vec<(i64, PersonFields, i64, Contact)> = Vec::new();
    let mut stints: Vec<(i64, i64, MembershipFields)> = Vec::new();
    let mut touched: Vec<Touched> = Vec::new();
    // Whether the importer may amend person id's record, asked once per person.
    let mut may_amend: HashMap<i64, bool> = HashMap::new();
    for key in order {
        let team = &checked[&key];
        let rows = by_team.remove(&key).unwrap_or_default();
        let team_id = match team.existing {
            Some(id) => {
                outcome.teams_existing += 1;
                id
            }
            None => {
                outcome.teams_created += 1;
                created[&key]
            }
        };
        let row_numbers = rows.iter().map(|v| v.row).collect();
        for v in rows {
            let person_id = match known.find(&v.person, Some(team_id)) {
                Some(id) => {
                    let before = known.person(id, &v.person).map(|c| (c.phone.clone(), c.email.clone()));
                    let may = match scope {
                        Some(principal) if id < PROVISIONAL && known.would_fill(id, &v.person) => {
                            match may_amend.get(&id) {
                                Some(may) => *may,
                                None => {
                                    let may = may_change_person(conn, principal, id).await?;
                                    may_amend.insert(id, may);
                                    may
                                }
                            }
                        }
                        _ => true,
                    };
                    if may && known.fill(id, &v.person) && id < PROVISIONAL {
                        outcome.people_updated += 1;
                        filled.push((id, v.person.clone(), team.unit_id, before.unwrap_or_default()));
                    }
                    id
                }
                None => {
                    let id = known.add_person(&v.person);
                    new_people.push((id, v.person.clone()));
                    id
                }
            };
            // A team the import just created has no stint to find.
            if team.existing.is_some() && known.same_stint(team_id, person_id, &v.membership.joined_on) {
                outcome.members_existing += 1;
            } else {
                known.add_stint(team_id, person_id, &v.membership);
                stints.push((team_id, person_id, v.membership));
                outcome.members_created += 1;
            }
        }
        // A team on record was matched by its exact name, so this is its stored name too.
        touched.push(Touched {
            unit_id: team.unit_id,
            unit_code: key.0,
            team_name: team.name.clone(),
            team_id,
            existed: team.existing.is_some(),
            rows: row_numbers,
        });
    }

    if !write {
        return Ok(touched);
    }
    // People: provisional ids become real ones; each is written as the rows left them (a
    // later row may have filled a phone the first one lacked).
    let ids = crate::db::reserve_ids(conn, "people", new_people.len()).await?;
    let real: HashMap<i64, i64> = new_people.iter().map(|(p, _)| *p).zip(ids).collect();
    let people: Vec<PersonFields> = new_people
        .iter()
        .map(|(id, f)| {
            let now = known.person(*id, f).expect("added above");
            PersonFields { phone: now.phone.clone(), email: now.email.clone(), ..f.clone() }
        })
        .collect();
    let rows: Vec<(i64, &PersonFields)> = new_people.iter().map(|(p, _)| real[p]).zip(&people).collect();
    insert_people(conn, &rows).await?;
    for (id, f, ..) in &filled {
        fill_person(conn, *id, f).await?;
    }
    let ids = crate::db::reserve_ids(conn, "memberships", stints.len()).await?;
    let rows: Vec<NewStint> = stints
        .iter()
        .zip(&ids)
        .map(|((team_id, person_id, fields), id)| NewStint {
            id: *id,
            team_id: *team_id,
            person_id: real.get(person_id).copied().unwrap_or(*person_id),
            fields,
        })
        .collect();
    insert_memberships(conn, &rows).await?;

    // The audit trail: each team and membership as the API shows it.
    let mut changes = Vec::new();
    for part in team_ids.chunks(200) {
        for team in super::find_many(conn, part).await? {
            changes.push(Change::new("import", "team", team.id, Some(team.unit_id)).after(&team));
        }
    }
    for part in ids.chunks(200) {
        for member in super::members::many(conn, part).await? {
            changes.push(Change::new("import", "member", member.id, Some(member.unit_id)).after(&member));
        }
    }
    // A phone or email filled in on a person on record: their contact before and after.
    for (id, f, unit_id, (phone, email)) in &filled {
        let now = known.person(*id, f).map(|c| (c.phone.clone(), c.email.clone())).unwrap_or_default();
        let contact = |phone: &Option<String>, email: &Option<String>| serde_json::json!({ "phone": phone, "email": email });
        changes.push(
            Change::new("import", "person", *id, Some(*unit_id))
                .before(Some(&contact(phone, email)))
                .after(&contact(&now.0, &now.1)),
        );
    }
    crate::audit::record_many(conn, actor, changes).await?;
    Ok(touched)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Mã đơn vị,Tên tổ,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Số điện thoại,Chức vụ trong tổ,Thành phần,Ngày tham gia";

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 128, ..Default::default() })]
        /// Issue 16: any bytes as a roster file (CSV or XLSX) are read or refused with an
        /// error, never a panic.
        #[test]
        fn any_bytes_are_a_roster_or_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = read_csv(&bytes);
            let _ = read_xlsx(&bytes, 100);
            let mut csv = format!("{HEADER}\n").into_bytes();
            csv.extend(&bytes);
            let _ = read_csv(&csv);
        }

        /// Rows of any text under the real header: each row is read with its line number and
        /// its cells as written (quoted as a spreadsheet would), or the file is refused naming
        /// a line; no cell that is read holds a character the text rule forbids.
        #[test]
        fn any_cells_read_back_or_are_refused(rows in proptest::collection::vec(proptest::collection::vec(".{0,12}", 12), 1..6)) {
            let quote = |c: &String| format!("\"{}\"", c.replace('"', "\"\""));
            let mut csv = format!("{HEADER}\n");
            for row in &rows {
                csv.push_str(&row.iter().map(quote).collect::<Vec<_>>().join(","));
                csv.push('\n');
            }
            match read_csv(csv.as_bytes()) {
                Ok(read) => {
                    for (_, cells) in &read {
                        for text in cells.values() {
                            proptest::prop_assert!(crate::text::forbidden_char(text).is_none(), "{:?}", text);
                        }
                    }
                    let full_names: Vec<String> = read.iter().map(|(_, c)| c["full_name"].clone()).collect();
                    let written: Vec<String> = rows.iter().map(|r| r[5].clone()).filter(|_| true).collect();
                    proptest::prop_assert_eq!(full_names.len(), written.len());
                }
                Err(e) => proptest::prop_assert!(matches!(e, Error::BadRequest(_) | Error::Validation(_)), "{:?}", e),
            }
        }
    }

    /// The rows of CSV `bytes` as the import streams them.
    fn read_csv(bytes: &[u8]) -> Result<Vec<Row>> {
        let roster = Roster::open(&Input::Bytes(Arc::new(bytes.to_vec())), RosterFormat::Csv, usize::MAX)?;
        let mut rows = Vec::new();
        roster.scan(|_, row| {
            rows.push(row);
            Ok(())
        })?;
        Ok(rows)
    }

    #[test]
    fn a_column_named_twice_is_refused() {
        let headers: Vec<String> = format!("{HEADER},Họ tên").split(',').map(str::to_string).collect();
        let err = map_headers(&headers, "").unwrap_err().to_string();
        assert!(
            err.contains("full_name twice") && err.contains("column 6") && err.contains("column 13"),
            "{err}"
        );
    }

    #[test]
    fn a_header_one_typo_from_a_column_is_named() {
        let headers = |extra: &str| {
            let mut h: Vec<String> =
                COLUMNS.iter().filter(|c| c.required).map(|c| c.header_vi.to_string()).collect();
            h.push(extra.to_string());
            h
        };
        let err = map_headers(&headers("phon"), "").unwrap_err().to_string();
        assert!(err.contains("'phon'") && err.contains("'Số điện thoại' (phone)"), "{err}");
        let err = map_headers(&headers("Số điện thọi"), "").unwrap_err().to_string();
        assert!(err.contains("(phone)"), "{err}");
        // Columns of officials' sheets that are no roster column stay ignored.
        for other in ["STT", "Ghi chú", "Số CCCD", "Địa chỉ"] {
            assert!(map_headers(&headers(other), "").is_ok(), "{other}");
        }
    }

    #[test]
    fn headers_map_from_vietnamese_and_english() {
        assert_eq!(column_of("Họ và tên"), Some("full_name"));
        assert_eq!(column_of("HỌ VÀ TÊN"), Some("full_name"));
        assert_eq!(column_of("full_name"), Some("full_name"));
        assert_eq!(column_of("Ngày tham gia (*)"), Some("joined_on"));
        assert_eq!(column_of("Số điện thoại"), Some("phone"));
        assert_eq!(column_of("Ghi chú"), None);
    }

    #[test]
    fn csv_text_from_utf8_utf16_or_a_clear_refusal() {
        assert_eq!(crate::csvfile::decode("Mã,Tên".as_bytes()).unwrap(), "Mã,Tên");
        assert_eq!(crate::csvfile::decode(b"\xEF\xBB\xBFa;b").unwrap(), "a;b");
        let le: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("Họ;Tên".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(crate::csvfile::decode(&le).unwrap(), "Họ;Tên");
        let be: Vec<u8> =
            [0xFE, 0xFF].into_iter().chain("Nữ".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(crate::csvfile::decode(&be).unwrap(), "Nữ");
        let err = crate::csvfile::decode(b"M\xE3 \xF0\xF5n v\xEB").unwrap_err().to_string();
        assert!(err.contains("not UTF-8") && err.contains("byte 2"), "{err}");
    }

    #[test]
    fn the_separator_is_the_one_that_makes_sense_of_the_header() {
        assert_eq!(detect_separator("Mã đơn vị;Họ và tên;Ghi chú, khác\n"), b';');
        assert_eq!(detect_separator("unit_code\tfull_name\n"), b'\t');
        assert_eq!(detect_separator("unit_code,full_name;x\n"), b',');
        assert_eq!(detect_separator("nothing here\n"), b',');
    }

    #[test]
    fn a_team_takes_the_decision_most_of_its_rows_give() {
        let team = |number: &str| NewTeam {
            decision_number: Some(number.into()),
            decision_date: Some("2023-01-05".into()),
            decision_signer: Some("Nguyễn Văn A".into()),
            ..Default::default()
        };
        let (a, b) = (("00001".to_string(), "Tổ 1".to_string()), ("00001".to_string(), "Tổ 2".to_string()));
        // Team A: row 2 is the odd one, rows 3 and 4 agree (one with extra spaces, as typed).
        // Team B: a tie, which the first row wins.
        let (odd, most, spaced, b1, b2) =
            (team("12/QĐ"), team("15/QĐ"), team(" 15/QĐ "), team("1"), team("2"));
        let rows = [(2, &a, &odd), (3, &a, &most), (4, &a, &spaced), (5, &b, &b1), (6, &b, &b2)];
        let (teams, chosen) = team_decisions(&rows);
        let got: Vec<(&(String, String), Option<&str>, usize)> =
            teams.iter().map(|(k, t, row)| (k, t.decision_number.as_deref(), *row)).collect();
        assert_eq!(got, vec![(&a, Some("15/QĐ"), 3), (&b, Some("1"), 5)]);
        assert_eq!((chosen[&a], chosen[&b]), (1, 3));
    }

    #[test]
    fn excel_numbers_in_phone_column_get_their_zero_back() {
        assert_eq!(cell_text("phone", &Data::Float(912345678.0)), "0912345678");
        assert_eq!(cell_text("birth_year", &Data::Float(1990.0)), "1990");
    }
}
