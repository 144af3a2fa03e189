//! Loading administrative units in bulk from the national registry (JSON), the Bình Định
//! 2022/2025 mapping file, or CSV (`code,name,type,parent_code[,level]`).
//!
//! Every source becomes one flat list, checked as a whole before anything is written; then
//! the new units go in with multi-row inserts inside one transaction. Units whose code is
//! already known are left alone (counted as unchanged, or listed when they differ), so an
//! import can be repeated safely and never rewrites history made by later changes.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use sqlx::AnyConnection;

use super::Level;
use crate::db::{Sql, now};
use crate::error::{Error, FieldError, Result};
use crate::text;

/// One unit as a file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportUnit {
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub level: Level,
    pub parent_code: Option<String>,
    /// Where it came from, for error messages (CSV line, or JSON position).
    pub row: usize,
}

/// What a file holds: units, and for the Bình Định file the 2025 successor of each commune.
#[derive(Debug, Default)]
pub struct UnitSource {
    pub units: Vec<ImportUnit>,
    /// Commune code to the names of the communes it became part of on 01/07/2025.
    pub reform_2025: Option<Vec<(String, Vec<String>)>>,
    /// The province the reform file covers.
    pub reform_province: Option<String>,
}

/// What a unit import did.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Units added.
    pub created: usize,
    /// Units already known with the same name, type, level and parent.
    pub unchanged: usize,
    /// Codes already present with other attributes; the import leaves them as they are.
    pub differing: Vec<String>,
}

#[derive(Deserialize)]
struct National {
    data: Vec<NationalProvince>,
}
#[derive(Deserialize)]
struct NationalProvince {
    level1_id: String,
    name: String,
    #[serde(rename = "type")]
    unit_type: String,
    #[serde(default)]
    level2s: Vec<NationalDistrict>,
}
#[derive(Deserialize)]
struct NationalDistrict {
    level2_id: String,
    name: String,
    #[serde(rename = "type")]
    unit_type: String,
    #[serde(default)]
    level3s: Vec<NationalCommune>,
}
#[derive(Deserialize)]
struct NationalCommune {
    level3_id: String,
    name: String,
    #[serde(rename = "type")]
    unit_type: String,
}

#[derive(Deserialize)]
struct Mapping {
    province: MappingProvince,
    districts: Vec<MappingDistrict>,
}
#[derive(Deserialize)]
struct MappingProvince {
    code: String,
    name: String,
}
#[derive(Deserialize)]
struct MappingDistrict {
    code: String,
    name: String,
    #[serde(rename = "type")]
    unit_type: String,
    communes: Vec<MappingCommune>,
}
#[derive(Deserialize)]
struct MappingCommune {
    code: String,
    name: String,
    #[serde(rename = "type")]
    unit_type: String,
    #[serde(default)]
    after_2025_07_01: Vec<String>,
}

fn unit(
    code: &str,
    name: &str,
    unit_type: &str,
    level: Level,
    parent: Option<&str>,
    row: usize,
) -> ImportUnit {
    ImportUnit {
        code: code.trim().to_string(),
        name: text::clean(name),
        unit_type: text::clean(unit_type),
        level,
        parent_code: parent.map(|p| p.trim().to_string()),
        row,
    }
}

impl UnitSource {
    /// Reads a file, choosing the format from its extension and, for JSON, its shape.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::BadRequest(format!("cannot read {}: {e}", path.display())))?;
        let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv { Self::from_csv(&bytes) } else { Self::from_json(&bytes) }
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| Error::BadRequest(format!("not valid JSON: {e}")))?;
        let bad = |e: serde_json::Error| Error::BadRequest(format!("unexpected JSON layout: {e}"));
        if value.get("data").is_some() {
            let national: National = serde_json::from_value(value).map_err(bad)?;
            let mut units = Vec::new();
            for p in &national.data {
                units.push(unit(&p.level1_id, &p.name, &p.unit_type, Level::Province, None, units.len() + 1));
                for d in &p.level2s {
                    let row = units.len() + 1;
                    units.push(unit(
                        &d.level2_id,
                        &d.name,
                        &d.unit_type,
                        Level::District,
                        Some(&p.level1_id),
                        row,
                    ));
                    for c in &d.level3s {
                        let row = units.len() + 1;
                        units.push(unit(
                            &c.level3_id,
                            &c.name,
                            &c.unit_type,
                            Level::Commune,
                            Some(&d.level2_id),
                            row,
                        ));
                    }
                }
            }
            Ok(UnitSource { units, ..Default::default() })
        } else if value.get("districts").is_some() {
            let m: Mapping = serde_json::from_value(value).map_err(bad)?;
            let province_type = if text::fold(&m.province.name).starts_with("thanh pho") {
                "Thành phố Trung ương"
            } else {
                "Tỉnh"
            };
            let mut units =
                vec![unit(&m.province.code, &m.province.name, province_type, Level::Province, None, 1)];
            let mut reform = Vec::new();
            for d in &m.districts {
                let row = units.len() + 1;
                units.push(unit(
                    &d.code,
                    &d.name,
                    &d.unit_type,
                    Level::District,
                    Some(&m.province.code),
                    row,
                ));
                for c in &d.communes {
                    let row = units.len() + 1;
                    units.push(unit(&c.code, &c.name, &c.unit_type, Level::Commune, Some(&d.code), row));
                    reform
                        .push((c.code.clone(), c.after_2025_07_01.iter().map(|n| text::clean(n)).collect()));
                }
            }
            Ok(UnitSource { units, reform_2025: Some(reform), reform_province: Some(m.province.code) })
        } else {
            Err(Error::BadRequest(
                "unknown JSON layout: expected the national registry ({\"data\": [...]}) or a province mapping ({\"province\", \"districts\"})".into(),
            ))
        }
    }

    /// CSV with a header row: `code,name,type,parent_code` and optionally `level`, in any
    /// dialect a spreadsheet writes ([`crate::csvfile`]: UTF-8 or UTF-16, ',' ';' or tab).
    pub fn from_csv(bytes: &[u8]) -> Result<Self> {
        const COLUMNS: [&str; 5] = ["code", "name", "type", "parent_code", "level"];
        let text = crate::csvfile::decode(bytes)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let separator =
            crate::csvfile::detect_separator(text, |h| COLUMNS.contains(&h.trim().to_lowercase().as_str()));
        let bytes = text.as_bytes();
        let mut reader = crate::csvfile::reader(text, separator);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| Error::BadRequest(format!("cannot read the CSV header: {e}")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(c_code), Some(c_name), Some(c_type)) = (col("code"), col("name"), col("type")) else {
            return Err(Error::BadRequest(
                "the CSV header must have code, name, type and parent_code".into(),
            ));
        };
        let c_parent = col("parent_code");
        let c_level = col("level");
        let mut units = Vec::new();
        let mut problems = Vec::new();
        let mut lines = crate::csvfile::LineCounter::new(bytes);
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let row = e.position().map(|p| p.line() as usize);
                    problems.push(FieldError { row, ..FieldError::new("row", e.to_string()) });
                    continue;
                }
            };
            let start = record.position().map_or(0, |p| p.byte());
            let row = lines
                .line_of(start)
                .map_err(|e| Error::BadRequest(format!("cannot read the CSV file: {e}")))?;
            let get = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").to_string();
            let parent = Some(get(c_parent)).filter(|p| !p.is_empty());
            let unit_type = get(Some(c_type));
            let level = match get(c_level).as_str() {
                "" => Level::from_type(&unit_type, parent.is_some()),
                l => Level::parse(l),
            };
            let Some(level) = level else {
                problems.push(FieldError {
                    row: Some(row),
                    ..FieldError::new(
                        "type",
                        format!("cannot tell the level of type '{unit_type}'; add a level column"),
                    )
                });
                continue;
            };
            units.push(unit(
                &get(Some(c_code)),
                &get(Some(c_name)),
                &unit_type,
                level,
                parent.as_deref(),
                row,
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        Ok(UnitSource { units, ..Default::default() })
    }
}

/// Existing unit as last recorded, for the unchanged/differing comparison.
#[derive(sqlx::FromRow)]
struct Known {
    id: i64,
    code: String,
    name: String,
    unit_type: String,
    level: String,
    parent_code: Option<String>,
    /// The day the unit closed, if it has.
    valid_to: Option<String>,
}

const CHUNK: usize = 400;

/// Imports units not yet known; checks everything first and writes nothing on any error.
/// Call inside a transaction so that a failure part-way leaves nothing behind.
pub async fn import_units(
    conn: &mut AnyConnection,
    actor: &crate::audit::Actor,
    units: &[ImportUnit],
    valid_from: Option<&str>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ImportReport> {
    // The latest version of every known unit: at national scale this is ~11,000 rows, cheaper
    // than one lookup per row.
    let known: Vec<Known> = sqlx::query_as(
        "SELECT u.id, u.code, v.name, v.unit_type, v.level, p.code AS parent_code, v.valid_to \
         FROM units u JOIN unit_versions v ON v.unit_id = u.id LEFT JOIN units p ON p.id = v.parent_id \
         WHERE v.id = (SELECT MAX(v2.id) FROM unit_versions v2 WHERE v2.unit_id = u.id)",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut ids: HashMap<String, i64> = known.iter().map(|k| (k.code.clone(), k.id)).collect();
    let known: HashMap<&str, &Known> = known.iter().map(|k| (k.code.as_str(), k)).collect();
    let in_file: HashMap<&str, &ImportUnit> = units.iter().map(|u| (u.code.as_str(), u)).collect();

    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let starts = valid_from.map(str::to_string).unwrap_or_else(crate::dates::today_iso);
    let mut report = ImportReport::default();
    let mut fresh: Vec<&ImportUnit> = Vec::new();
    for u in units {
        let err =
            |field: &str, message: String| FieldError { row: Some(u.row), ..FieldError::new(field, message) };
        if !super::valid_code(&u.code) {
            problems.push(err("code", format!("'{}' is not a valid unit code", u.code)));
            continue;
        }
        if !seen.insert(u.code.as_str()) {
            problems.push(err("code", format!("'{}' appears twice in the file", u.code)));
            continue;
        }
        if u.name.is_empty() {
            problems.push(err("name", "is required".into()));
        }
        if let Some(k) = known.get(u.code.as_str()) {
            let same = k.name == u.name
                && k.unit_type == u.unit_type
                && k.level == u.level.as_str()
                && k.parent_code == u.parent_code;
            if same {
                report.unchanged += 1;
            } else {
                report.differing.push(u.code.clone());
            }
            continue;
        }
        match (&u.parent_code, u.level) {
            (None, Level::Province) => {}
            (None, _) => problems.push(err("parent_code", "is required below a province".into())),
            (Some(_), Level::Province) => {
                problems.push(err("parent_code", "a province has no parent".into()))
            }
            (Some(pc), level) => {
                let parent_level = in_file
                    .get(pc.as_str())
                    .map(|p| p.level)
                    .or_else(|| known.get(pc.as_str()).and_then(|k| Level::parse(&k.level)));
                match parent_level {
                    None => problems.push(err(
                        "parent_code",
                        format!("unit '{pc}' is neither in the file nor in the database"),
                    )),
                    Some(pl) if pl >= level => problems.push(err(
                        "parent_code",
                        format!("a {} cannot contain a {}", pl.as_str(), level.as_str()),
                    )),
                    // A new unit under one that has closed by the day it starts would sit
                    // outside the tree of every date (POST /units refuses it the same way).
                    Some(_) => match known.get(pc.as_str()).and_then(|k| k.valid_to.as_deref()) {
                        Some(closed) if closed <= starts.as_str() => problems.push(err(
                            "parent_code",
                            format!(
                                "unit '{pc}' closed on {closed}, before this unit would start ({starts})"
                            ),
                        )),
                        _ => {}
                    },
                }
            }
        }
        fresh.push(u);
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }

    // Parents first: order the new units by depth within the file.
    let depth = |u: &ImportUnit| {
        let mut d = 0;
        let mut p = u.parent_code.as_deref();
        while let Some(pc) = p.and_then(|pc| in_file.get(pc)).filter(|_| d < 16) {
            d += 1;
            p = pc.parent_code.as_deref();
        }
        d
    };
    fresh.sort_by_key(|u| depth(u));
    let total = fresh.len();
    let created_at = now();
    for (done, chunk) in fresh.chunks(CHUNK).enumerate() {
        // A chunk may hold a parent and its child: insert identities first, then versions.
        let mut insert = Sql::new("INSERT INTO units (code, created_at) VALUES ");
        insert.push_tuples(chunk.len(), 2);
        for u in chunk {
            insert.arg(u.code.as_str()).arg(created_at.as_str());
        }
        insert.push(" RETURNING id, code");
        let rows: Vec<(i64, String)> = insert.query_as().fetch_all(&mut *conn).await?;
        ids.extend(rows.into_iter().map(|(id, code)| (code, id)));

        let mut versions = Sql::new(
            "INSERT INTO unit_versions (unit_id, name, search_key, unit_type, level, parent_id, valid_from, sort_key) VALUES ",
        );
        versions.push_tuples(chunk.len(), 8);
        for u in chunk {
            let parent = u.parent_code.as_ref().and_then(|pc| ids.get(pc).copied());
            versions
                .arg(ids[&u.code])
                .arg(u.name.as_str())
                .arg(text::fold(&u.name))
                .arg(u.unit_type.as_str())
                .arg(u.level.as_str())
                .arg(parent)
                .arg(valid_from.map(str::to_string))
                .arg(text::unit_sort_key(&u.name, &u.unit_type));
        }
        versions.query().execute(&mut *conn).await?;
        report.created += chunk.len();
        progress((done * CHUNK + chunk.len()).min(total), total);
    }
    if report.created > 0 {
        // One row for the batch, filed under its topmost new unit: thousands of rows would
        // bury the trail without telling more.
        let change = crate::audit::Change {
            action: "import",
            entity: "units",
            entity_id: fresh[0].code.clone(),
            unit_id: ids.get(&fresh[0].code).copied(),
            before: None,
            after: crate::audit::snapshot(&report),
            reason: None,
        };
        crate::audit::record(conn, actor, change).await?;
    }
    Ok(report)
}
