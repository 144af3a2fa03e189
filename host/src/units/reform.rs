//! The 01/07/2025 reform as a province mapping file describes it: the district level is
//! abolished and communes are merged. Applied with the same `change` and `close` operations
//! the API offers, so every step is checked and history stays readable:
//! - each new commune is created under the province from 01/07/2025;
//! - each old commune is closed that day, merged into (or split among) its successors, and its
//!   villages move to the (first) successor;
//! - a commune the file gives no successor for stays, moved directly under the province;
//! - every district is closed.
//!
//! The mapping names the new communes but not their official codes, so they get provisional
//! codes `<province>-2025-NNN` in order of first appearance (rename them once codes are known).
//! The file does not cover the province's own merger (Bình Định into Gia Lai), so the province
//! stays as it is.

use serde::Serialize;
use sqlx::AnyConnection;

use super::{Level, NewUnit, UnitChange, UnitClosure, UnitFilter};
use crate::audit::Actor;
use crate::error::{Error, Result};

pub const REFORM_DATE: &str = "2025-07-01";
const DAY_BEFORE: &str = "2025-06-30";
const NOTE: &str = "Sắp xếp đơn vị hành chính cấp xã từ 01/07/2025 (Nghị quyết 1664/NQ-UBTVQH15)";

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ReformReport {
    /// True when the province had no districts left to close: nothing was changed.
    pub already_applied: bool,
    pub communes_created: usize,
    pub communes_merged: usize,
    pub communes_split: usize,
    /// Old communes the file gives no successor for; kept and moved under the province.
    pub communes_kept: Vec<String>,
    pub villages_moved: usize,
    pub districts_closed: usize,
}

/// The type word a new commune's name starts with.
fn type_of(name: &str) -> &'static str {
    if name.starts_with("Phường") {
        "Phường"
    } else if name.starts_with("Đặc khu") {
        "Đặc khu"
    } else {
        "Xã"
    }
}

async fn children_on(
    conn: &mut AnyConnection,
    code: &str,
    level: Option<Level>,
    date: &str,
) -> Result<Vec<String>> {
    let filter = UnitFilter { as_of: date.into(), parent: Some(code.into()), level, ..Default::default() };
    let (units, _) = super::list(conn, &filter, i64::MAX, 0).await?;
    Ok(units.into_iter().map(|u| u.code).collect())
}

/// Applies the reform to `province`; call inside a transaction (all or nothing).
pub async fn apply_2025_reform(
    conn: &mut AnyConnection,
    actor: &Actor,
    province: &str,
    mapping: &[(String, Vec<String>)],
) -> Result<ReformReport> {
    let mut report = ReformReport::default();
    let districts = children_on(conn, province, Some(Level::District), DAY_BEFORE).await?;
    if children_on(conn, province, Some(Level::District), REFORM_DATE).await?.is_empty() {
        report.already_applied = true;
        return Ok(report);
    }

    // New communes, in order of first appearance.
    let mut new_codes: Vec<(String, String)> = Vec::new();
    for name in mapping.iter().flat_map(|(_, after)| after) {
        if !new_codes.iter().any(|(n, _)| n == name) {
            let code = format!("{province}-2025-{:03}", new_codes.len() + 1);
            new_codes.push((name.clone(), code));
        }
    }
    for (name, code) in &new_codes {
        let input = NewUnit {
            code: Some(code.clone()),
            name: Some(name.clone()),
            unit_type: Some(type_of(name).into()),
            level: Some(Level::Commune),
            parent_code: Some(province.into()),
            valid_from: Some(REFORM_DATE.into()),
        };
        super::create(conn, actor, input).await?;
        report.communes_created += 1;
    }
    let code_of = |name: &String| new_codes.iter().find(|(n, _)| n == name).map(|(_, c)| c.clone());

    for (old, after) in mapping {
        let successors: Vec<String> = after.iter().filter_map(code_of).collect();
        if successors.is_empty() {
            let change = UnitChange {
                parent_code: Some(province.into()),
                effective_on: Some(REFORM_DATE.into()),
                ..Default::default()
            };
            super::change(conn, actor, old, change).await?;
            report.communes_kept.push(old.clone());
            continue;
        }
        for village in children_on(conn, old, None, DAY_BEFORE).await? {
            let change = UnitChange {
                parent_code: Some(successors[0].clone()),
                effective_on: Some(REFORM_DATE.into()),
                ..Default::default()
            };
            super::change(conn, actor, &village, change).await?;
            report.villages_moved += 1;
        }
        // Its teams follow its villages, to the first new commune the mapping names.
        let closure = UnitClosure {
            effective_on: Some(REFORM_DATE.into()),
            successors: successors.clone(),
            note: NOTE.into(),
            teams_to: Some(successors[0].clone()),
        };
        super::close(conn, actor, old, closure).await?;
        if successors.len() > 1 {
            report.communes_split += 1;
        } else {
            report.communes_merged += 1;
        }
    }

    for district in districts {
        let closure = UnitClosure {
            effective_on: Some(REFORM_DATE.into()),
            successors: Vec::new(),
            note: NOTE.into(),
            teams_to: None,
        };
        super::close(conn, actor, &district, closure).await.map_err(|e| match e {
            Error::Conflict(m) => Error::Conflict(format!("{m} (the mapping file does not cover them)")),
            e => e,
        })?;
        report.districts_closed += 1;
    }
    Ok(report)
}
