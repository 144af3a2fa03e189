//! Roster import: officials keep team rosters in Excel or CSV, one row per member with the
//! team's columns repeated. Headers may be the English field names or the Vietnamese ones
//! officials use ("Họ và tên", "Ngày tham gia"...).
//!
//! Every row is checked with the same rules as the API before anything is written; each bad
//! row is reported with its number as the spreadsheet shows it. Nothing is written unless all
//! rows are valid, or `skip_invalid` is set. Importing the same file twice changes nothing:
//! teams are matched by unit and name, people by name and phone or email, and a membership
//! with the same start day is the same membership.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader};
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::members::{
    MembershipFields, PersonFields, check_against_team, find_person, insert_membership, insert_person,
    membership_fields, person_fields,
};
use super::{CheckedTeam, NewTeam, check_new_team, insert_team};
use crate::audit::Actor;
use crate::auth::{Action, Principal, Target};
use crate::error::{Error, FieldError, Problems, Result};
use crate::text;
use crate::vocab::TeamStatus;

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

/// The roster's columns, with the header spellings accepted for each (folded).
const COLUMNS: &[(&str, &[&str], bool)] = &[
    ("unit_code", &["ma don vi", "ma dvhc", "ma xa", "ma thon"], true),
    ("team_name", &["ten to", "to"], false),
    ("decision_number", &["so quyet dinh", "quyet dinh so", "so qd"], true),
    ("decision_date", &["ngay quyet dinh", "ngay qd"], true),
    ("decision_signer", &["nguoi ky", "nguoi ky quyet dinh"], true),
    ("full_name", &["ho va ten", "ho ten"], true),
    ("gender", &["gioi tinh"], true),
    ("birth_year", &["nam sinh"], true),
    ("phone", &["so dien thoai", "dien thoai", "sdt"], false),
    ("email", &["thu dien tu", "e mail"], false),
    ("position", &["chuc vu trong to", "chuc vu", "vi tri"], true),
    ("affiliation", &["thanh phan", "don vi cong tac", "co quan"], true),
    ("skills", &["ky nang"], false),
    ("joined_on", &["ngay tham gia"], true),
    ("left_on", &["ngay roi to", "ngay thoi tham gia"], false),
];

/// What an import did, or would do.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// Whether anything was written (false on a dry run, or when rows were invalid).
    pub written: bool,
    /// Data rows read (blank rows are not counted).
    pub rows: usize,
    pub teams_created: usize,
    /// Teams found already recorded.
    pub teams_existing: usize,
    pub members_created: usize,
    /// Memberships found already recorded.
    pub members_existing: usize,
    /// Rows left out because they were invalid (with `skip_invalid`).
    pub rows_skipped: usize,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub skip_invalid: bool,
    pub dry_run: bool,
    pub max_rows: usize,
}

/// One data row: its spreadsheet row number and its cells by column name.
type Row = (usize, HashMap<&'static str, String>);

fn column_of(header: &str) -> Option<&'static str> {
    let folded =
        text::fold(header.trim_start_matches('\u{feff}')).replace(['_', '-', '(', ')', '*', ':'], " ");
    let folded = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    COLUMNS
        .iter()
        .find(|(name, aliases, _)| folded == name.replace('_', " ") || aliases.contains(&folded.as_str()))
        .map(|(name, _, _)| *name)
}

fn map_headers(headers: &[String]) -> Result<Vec<Option<&'static str>>> {
    let mapped: Vec<Option<&'static str>> = headers.iter().map(|h| column_of(h)).collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|(name, _, required)| *required && !mapped.contains(&Some(*name)))
        .map(|(name, _, _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(Error::BadRequest(format!(
            "the header row lacks the column(s) {}; see the README for the roster layout",
            missing.join(", ")
        )));
    }
    Ok(mapped)
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::BadRequest(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let columns = map_headers(&headers)?;
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(bytes);
    for record in reader.records() {
        let record = record.map_err(|e| Error::BadRequest(format!("unreadable CSV: {e}")))?;
        let mut cells = HashMap::new();
        for (c, value) in record.iter().enumerate() {
            if let Some(Some(name)) = columns.get(c) {
                cells.insert(*name, value.to_string());
            }
        }
        // The reader skips blank lines, so count lines, not records.
        rows.push((lines.line_of(&record), cells));
    }
    Ok(rows)
}

/// Line numbers of CSV records as an editor shows them. The csv crate's own line count skips
/// blank lines, so count the newlines before each record's first byte instead.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, offset: 0, line: 1 }
    }

    /// The 1-based line a record starts on; records must come in file order.
    pub fn line_of(&mut self, record: &csv::StringRecord) -> usize {
        let mut target =
            record.position().map(|p| p.byte() as usize).unwrap_or(self.offset).min(self.bytes.len());
        // The reported offset is where reading resumed, before any blank lines it skipped.
        while target < self.bytes.len() && matches!(self.bytes[target], b'\n' | b'\r') {
            target += 1;
        }
        if target > self.offset {
            self.line += self.bytes[self.offset..target].iter().filter(|b| **b == b'\n').count();
            self.offset = target;
        }
        self.line
    }
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

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Row>> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| Error::BadRequest(format!("not a readable Excel workbook: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| Error::BadRequest("the workbook has no sheet".into()))?
        .map_err(|e| Error::BadRequest(format!("cannot read the first sheet: {e}")))?;
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let mut iter = range.rows();
    let Some(header) = iter.next() else { return Ok(Vec::new()) };
    let headers: Vec<String> = header.iter().map(|c| cell_text("", c)).collect();
    let columns = map_headers(&headers)?;
    let mut rows = Vec::new();
    for (i, cells) in iter.enumerate() {
        let mut map = HashMap::new();
        for (c, cell) in cells.iter().enumerate() {
            if let Some(Some(name)) = columns.get(c) {
                map.insert(*name, cell_text(name, cell));
            }
        }
        // Spreadsheet rows are 1-based and the header takes the first one used.
        rows.push((first_row + i + 2, map));
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

/// Reads, checks and (unless told otherwise) writes a roster into the open transaction.
pub async fn import_roster(
    conn: &mut AnyConnection,
    actor: &Actor,
    // The caller, whose scope every team must be in; None for the command line.
    scope: Option<&Principal>,
    bytes: &[u8],
    format: RosterFormat,
    options: &Options,
) -> Result<ImportOutcome> {
    let rows = match format {
        RosterFormat::Csv => read_csv(bytes)?,
        RosterFormat::Xlsx => read_xlsx(bytes)?,
    };
    let rows: Vec<Row> =
        rows.into_iter().filter(|(_, cells)| cells.values().any(|v| !v.trim().is_empty())).collect();
    if rows.len() > options.max_rows {
        return Err(Error::PayloadTooLarge(format!(
            "the roster has {} rows; at most {} are accepted in one import",
            rows.len(),
            options.max_rows
        )));
    }
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
    let mut teams: Vec<((String, String), NewTeam, usize)> = Vec::new();
    let mut valid: Vec<ValidRow> = Vec::new();
    for (row, cells) in &rows {
        let get = |c: &str| cells.get(c).map(String::as_str).map(str::trim).filter(|v| !v.is_empty());
        let mut p = Problems::default();
        let birth_year = get("birth_year").map(|y| y.parse::<i64>().map_err(|_| y));
        let person =
            person_fields(&mut p, get("full_name"), get("gender"), birth_year, get("phone"), get("email"));
        let skills: Vec<String> = get("skills")
            .map(|s| s.split([';', ',', '\n']).map(str::to_string).collect())
            .unwrap_or_default();
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
        let key = (
            team_input.unit_code.clone().unwrap_or_default(),
            team_input.name.as_deref().map(text::clean).unwrap_or_default(),
        );
        match teams.iter().find(|(k, _, _)| *k == key) {
            None => teams.push((key.clone(), team_input, *row)),
            Some((_, first, first_row)) => {
                let same = |a: &Option<String>, b: &Option<String>| {
                    a.as_deref().map(text::clean) == b.as_deref().map(text::clean)
                };
                if !same(&first.decision_number, &team_input.decision_number)
                    || !same(&first.decision_date, &team_input.decision_date)
                    || !same(&first.decision_signer, &team_input.decision_signer)
                {
                    p.add("decision_number", format!("the team's decision differs from row {first_row}"));
                }
            }
        }
        if p.is_empty() {
            valid.push(ValidRow { row: *row, team_key: key, person, membership });
        } else {
            fail(&mut outcome, &mut bad_rows, *row, p.0);
        }
    }

    // Team by team: the same checks as creating one through the API.
    let mut checked: HashMap<(String, String), CheckedTeam> = HashMap::new();
    for (key, input, _) in &teams {
        let result = match check_new_team(conn, input).await {
            Ok(t) => match scope {
                Some(p)
                    if !p
                        .can(conn, Action::TeamsWrite, Target { unit_id: t.unit_id, team_id: t.existing })
                        .await? =>
                {
                    Err(Error::field("unit_code", format!("unit '{}' is outside what you manage", key.0)))
                }
                _ => Ok(t),
            },
            Err(e) => Err(e),
        };
        match result {
            Ok(t) => {
                checked.insert(key.clone(), t);
            }
            Err(Error::Validation(problems)) => {
                for (row, cells) in &rows {
                    let unit = cells.get("unit_code").map(|s| s.trim().to_string()).unwrap_or_default();
                    let name = cells.get("team_name").map(|s| text::clean(s)).unwrap_or_default();
                    if (unit, name) == *key {
                        fail(&mut outcome, &mut bad_rows, *row, problems.clone());
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }

    // Members against their team: dates, status, duplicates within the file and in the database.
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    let mut to_write: Vec<(ValidRow, Option<i64>)> = Vec::new();
    for v in valid {
        if bad_rows.contains(&v.row) {
            continue;
        }
        let Some(team) = checked.get(&v.team_key) else { continue };
        let mut p = Problems::default();
        let (status, status_date) = match team.existing {
            Some(id) => match super::members::team_state(conn, id).await? {
                Some((_, s, d)) => (s, d),
                None => (TeamStatus::Active, None),
            },
            None => (TeamStatus::Active, None),
        };
        check_against_team(&mut p, &v.membership, &team.decision_date, status, status_date.as_deref());
        let identity = v
            .person
            .phone
            .clone()
            .or(v.person.email.clone())
            .unwrap_or_else(|| v.person.birth_year.to_string());
        let person_key =
            (format!("{}|{}", v.team_key.0, v.team_key.1), text::fold(&v.person.full_name), identity);
        if let Some(first) = seen.get(&person_key) {
            p.add("full_name", format!("the same person is already listed for this team on row {first}"));
        } else {
            seen.insert(person_key, v.row);
        }
        let mut person_id = None;
        if p.is_empty()
            && let Some(team_id) = team.existing
            && let Some(pid) = find_person(conn, &v.person).await?
        {
            person_id = Some(pid);
            if let Err(Error::Conflict(_)) =
                super::members::check_overlap(conn, team_id, pid, &v.membership, None).await
            {
                let same_stint: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM memberships WHERE team_id = $1 AND person_id = $2 AND joined_on = $3",
                )
                .bind(team_id)
                .bind(pid)
                .bind(&v.membership.joined_on)
                .fetch_optional(&mut *conn)
                .await?;
                if same_stint.is_none() {
                    p.add("joined_on", "this person already serves on the team over an overlapping period");
                }
            }
        }
        if p.is_empty() {
            to_write.push((v, person_id));
        } else {
            fail(&mut outcome, &mut bad_rows, v.row, p.0);
        }
    }

    outcome.errors.sort_by_key(|e| e.row);
    outcome.rows_skipped = bad_rows.len();
    if (!outcome.errors.is_empty() && !options.skip_invalid) || options.dry_run {
        // Count what would be written, for the report, without writing.
        let keys: HashSet<&(String, String)> = to_write.iter().map(|(v, _)| &v.team_key).collect();
        for k in keys {
            match checked[k].existing {
                Some(_) => outcome.teams_existing += 1,
                None => outcome.teams_created += 1,
            }
        }
        return Ok(outcome);
    }

    let mut team_ids: HashMap<(String, String), i64> = HashMap::new();
    for (v, known_person) in to_write {
        let team_id = match team_ids.get(&v.team_key) {
            Some(id) => *id,
            None => {
                let team = &checked[&v.team_key];
                let id = match team.existing {
                    Some(id) => {
                        outcome.teams_existing += 1;
                        id
                    }
                    None => {
                        outcome.teams_created += 1;
                        let id = insert_team(conn, team).await?;
                        let created = super::find(conn, id).await?;
                        super::audit_team(conn, actor, "import", None, &created).await?;
                        id
                    }
                };
                team_ids.insert(v.team_key.clone(), id);
                id
            }
        };
        let person_id = match known_person {
            Some(pid) => pid,
            None => match find_person(conn, &v.person).await? {
                Some(pid) => pid,
                None => insert_person(conn, &v.person).await?,
            },
        };
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM memberships WHERE team_id = $1 AND person_id = $2 AND joined_on = $3",
        )
        .bind(team_id)
        .bind(person_id)
        .bind(&v.membership.joined_on)
        .fetch_optional(&mut *conn)
        .await?;
        if exists.is_some() {
            outcome.members_existing += 1;
        } else {
            let id = insert_membership(conn, team_id, person_id, &v.membership).await?;
            let created = super::members::get(conn, id).await?;
            super::members::audit_member(conn, actor, "import", None, &created).await?;
            outcome.members_created += 1;
        }
    }
    outcome.written = true;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn excel_numbers_in_phone_column_get_their_zero_back() {
        assert_eq!(cell_text("phone", &Data::Float(912345678.0)), "0912345678");
        assert_eq!(cell_text("birth_year", &Data::Float(1990.0)), "1990");
    }
}
