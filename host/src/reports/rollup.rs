//! Roll-up and completeness over the tree **as of the period**: the units expected to report
//! are those of the form's level in the subtree on the period's last counted day, so a 2024
//! quarter adds up 2024's communes (under their districts) even after the 2025 merges, and a
//! 2025-Q3 report adds up the new communes (directly under the province). A unit has one
//! parent on a given day, so a unit that changed parent is counted once, where it was then.
//!
//! Figures add up by each indicator's declared aggregation ([`super::form::totals`]) over the
//! accepted reports of the expected units themselves, never over subtotals, so a mean over a
//! province is the mean over its communes, not the mean of its districts' means. The same
//! function answers for a district, a province or several provinces (the country).
//!
//! Completeness (DHIS2's terms): *expected* units; *received* reports (submitted or accepted);
//! *on time* and *late* among them (late: first submitted after the deadline); *returned*
//! ones, waiting for the unit's correction; *missing*: the rest (nothing, or a draft). Rates
//! are percentages of expected, to one decimal.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::submissions::{ROW_COLUMNS, Row, Status};
use crate::db::Sql;
use crate::periods::Period;
use crate::plugins::types::{IndicatorValue, ReportForm};
use crate::units::{self, Level};

/// Unit ids per query when reading stored reports: well under SQLite's (32,766) and PostgreSQL's (65,535) limits
/// on bound parameters.
pub(crate) const IDS_PER_QUERY: usize = 5000;

/// One expected unit's report for the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitReport {
    #[serde(skip)]
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// The child of the roll-up's root the unit sits under (itself when it is one).
    pub under_code: String,
    pub under_name: String,
    pub status: Status,
    pub late: bool,
    /// When it was last submitted (RFC 3339, UTC).
    pub submitted_at: Option<String>,
    /// Why it was returned, while it is.
    pub return_reason: Option<String>,
    #[serde(skip)]
    pub figures: BTreeMap<String, f64>,
    /// The day it was first submitted (lateness counts from it).
    pub first_submitted_on: Option<NaiveDate>,
    #[serde(skip)]
    sort_key: String,
}

impl UnitReport {
    /// Accepted figures, as the interface carries them; empty when not accepted.
    pub fn accepted_values(&self) -> Vec<IndicatorValue> {
        if self.status != Status::Accepted {
            return Vec::new();
        }
        self.figures
            .iter()
            .map(|(code, value)| IndicatorValue { code: code.clone(), value: *value })
            .collect()
    }
}

/// The expected units of a roll-up, in Vietnamese order within each child of the root.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub units: Vec<UnitReport>,
    /// The root's children on the period's last day, in Vietnamese order: (unit id, code, name).
    pub children: Vec<(i64, String, String)>,
}

/// The reports expected of `form.level` units under `roots` for `period` of `template`, with
/// what each has stored: the tree in one query, the reports in one per 5,000 expected units (each round trip to PostgreSQL costs; 22 of them took most of a national roll-up).
pub async fn gather(
    conn: &mut AnyConnection,
    roots: &[i64],
    template: &str,
    form: &ReportForm,
    period: &Period,
) -> crate::error::Result<Rollup> {
    let date = crate::dates::iso(period.end);
    let mut sql = Sql::default();
    units::Subtree::read(conn, roots, &date).await?.push_cte(&mut sql);
    sql.push(
        "SELECT v.unit_id, v.parent_id, v.level, u.code, v.name, v.sort_key FROM unit_versions v \
         JOIN sub ON sub.id = v.unit_id JOIN units u ON u.id = v.unit_id WHERE ",
    );
    units::push_in_effect(&mut sql, "v", &date);
    let tree: Vec<(i64, Option<i64>, String, String, String, String)> =
        sql.query_as().fetch_all(&mut *conn).await?;
    let parent: HashMap<i64, Option<i64>> = tree.iter().map(|t| (t.0, t.1)).collect();
    let named: HashMap<i64, (&str, &str, &str)> =
        tree.iter().map(|t| (t.0, (t.3.as_str(), t.4.as_str(), t.5.as_str()))).collect();
    // The child of a root that a unit sits under (the unit itself when it is one).
    let under = |mut id: i64| -> Option<i64> {
        for _ in 0..16 {
            match parent.get(&id).copied().flatten() {
                Some(p) if roots.contains(&p) => return Some(id),
                Some(p) => id = p,
                None => return None,
            }
        }
        None
    };

    // The expected units' stored reports, by their ids in chunks: an index lookup each on
    // (template, period, unit_id), whatever the planner believes of a table just loaded (a
    // join with the subtree, planned as a nested loop, took 7 s nationally on PostgreSQL before
    // its statistics caught up).
    let expected: Vec<i64> = tree
        .iter()
        .filter(|t| Level::parse(&t.2) == Some(form.level) && !roots.contains(&t.0))
        .map(|t| t.0)
        .collect();
    let mut stored = Vec::new();
    for chunk in expected.chunks(IDS_PER_QUERY) {
        let mut sql = Sql::new(&format!("SELECT {ROW_COLUMNS} FROM report_submissions WHERE template = "));
        sql.bind(template).push(" AND period = ").bind(period.id.as_str()).push(" AND unit_id IN ");
        sql.push_tuples(1, chunk.len());
        for id in chunk {
            sql.arg(*id);
        }
        stored.extend(sql.query_as::<Row>().fetch_all(&mut *conn).await?);
    }
    let mut stored: HashMap<i64, Row> = stored.into_iter().map(|r| (r.unit_id, r)).collect();

    let mut children: Vec<(i64, String, String, String)> = tree
        .iter()
        .filter(|t| t.1.is_some_and(|p| roots.contains(&p)))
        .map(|t| (t.0, t.3.clone(), t.4.clone(), t.5.clone()))
        .collect();
    children.sort_by(|a, b| a.3.cmp(&b.3).then_with(|| a.1.cmp(&b.1)));
    let order: HashMap<String, usize> = children.iter().enumerate().map(|(i, c)| (c.1.clone(), i)).collect();

    let mut out = Vec::new();
    for (id, _, level, code, name, sort_key) in &tree {
        if Level::parse(level) != Some(form.level) || roots.contains(id) {
            continue;
        }
        let Some(child) = under(*id) else { continue };
        let (under_code, under_name, _) = named[&child];
        let row = stored.remove(id);
        out.push(UnitReport {
            unit_id: *id,
            unit_code: code.clone(),
            unit_name: name.clone(),
            under_code: under_code.to_string(),
            under_name: under_name.to_string(),
            status: row.as_ref().map_or(Status::NotStarted, Row::status),
            late: row.as_ref().is_some_and(|r| r.late == 1),
            submitted_at: row.as_ref().and_then(|r| r.submitted_at.clone()),
            return_reason: row.as_ref().and_then(|r| r.return_reason.clone()),
            figures: row.as_ref().map(Row::figures).unwrap_or_default(),
            first_submitted_on: row
                .as_ref()
                .and_then(|r| r.first_submitted_on.as_deref())
                .and_then(crate::dates::parse),
            sort_key: sort_key.clone(),
        });
    }
    out.sort_by(|a, b| {
        let child = |u: &UnitReport| order.get(&u.under_code).copied().unwrap_or(usize::MAX);
        child(a)
            .cmp(&child(b))
            .then_with(|| a.sort_key.cmp(&b.sort_key))
            .then_with(|| a.unit_code.cmp(&b.unit_code))
    });
    Ok(Rollup { units: out, children: children.into_iter().map(|c| (c.0, c.1, c.2)).collect() })
}

impl Rollup {
    /// Every indicator added up over the accepted reports.
    pub fn totals(&self, form: &ReportForm) -> Vec<IndicatorValue> {
        totals_of(form, self.units.iter())
    }

    /// The accepted reports under one child of the root, added up.
    pub fn child_totals(&self, form: &ReportForm, child_code: &str) -> Vec<IndicatorValue> {
        totals_of(form, self.units.iter().filter(|u| u.under_code == child_code))
    }

    /// Completeness over every expected unit.
    pub fn completeness(&self) -> Completeness {
        Completeness::of(self.units.iter())
    }

    /// Completeness under one child of the root.
    pub fn child_completeness(&self, child_code: &str) -> Completeness {
        Completeness::of(self.units.iter().filter(|u| u.under_code == child_code))
    }
}

fn totals_of<'a>(form: &ReportForm, units: impl Iterator<Item = &'a UnitReport>) -> Vec<IndicatorValue> {
    use crate::plugins::types::{SubmissionStatus, UnitRow};
    let rows: Vec<UnitRow> = units
        .filter(|u| u.status == Status::Accepted)
        .map(|u| UnitRow {
            unit_code: u.unit_code.clone(),
            unit_name: u.unit_name.clone(),
            team_count: 0,
            member_count: 0,
            status: SubmissionStatus::OnTime,
            submitted_on: None,
            values: u.accepted_values(),
        })
        .collect();
    super::form::totals(form, &rows)
}

/// Counts of expected, received, on-time, late, returned and missing reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Completeness {
    pub expected: u32,
    /// Submitted or accepted.
    pub received: u32,
    pub accepted: u32,
    /// Received, first submitted by the deadline.
    pub on_time: u32,
    /// Received, first submitted after the deadline (through an unlock).
    pub late: u32,
    /// Returned to the unit, waiting for its correction.
    pub returned: u32,
    /// Nothing submitted (nothing saved, or a draft).
    pub missing: u32,
    /// received / expected, in percent (one decimal); 0 when nothing is expected.
    pub completeness_rate: f64,
    /// on_time / expected, in percent (one decimal).
    pub timeliness_rate: f64,
}

impl Completeness {
    fn of<'a>(units: impl Iterator<Item = &'a UnitReport>) -> Completeness {
        let mut c = Completeness::default();
        for u in units {
            c.expected += 1;
            match u.status {
                Status::Submitted | Status::Accepted => {
                    c.received += 1;
                    if u.status == Status::Accepted {
                        c.accepted += 1;
                    }
                    if u.late {
                        c.late += 1;
                    } else {
                        c.on_time += 1;
                    }
                }
                Status::Returned => c.returned += 1,
                Status::NotStarted | Status::Draft => c.missing += 1,
            }
        }
        let rate = |n: u32| {
            if c.expected == 0 { 0.0 } else { (n as f64 * 1000.0 / c.expected as f64).round() / 10.0 }
        };
        c.completeness_rate = rate(c.received);
        c.timeliness_rate = rate(c.on_time);
        c
    }
}

/// Completeness of one period at one unit, for the district's page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompletenessReport {
    pub unit_code: String,
    pub unit_name: String,
    pub template: String,
    pub period: Period,
    pub period_label: String,
    /// The last day to submit (inclusive).
    pub deadline: NaiveDate,
    pub summary: Completeness,
    /// Per child of the unit (per commune for a district, per district for a province).
    pub by_child: Vec<ChildCompleteness>,
    /// Every expected unit's report, with who to call about the ones not received.
    pub units: Vec<UnitStatus>,
    /// The same summary for this period and the ones before it, oldest first (up to
    /// [`HISTORY`]): timeliness over periods.
    pub history: Vec<PeriodCompleteness>,
}

/// How many periods the completeness history shows.
pub const HISTORY: usize = 4;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildCompleteness {
    pub unit_code: String,
    pub unit_name: String,
    pub summary: Completeness,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodCompleteness {
    pub period: String,
    pub period_label: String,
    pub summary: Completeness,
}

/// An expected unit's report and its contacts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitStatus {
    #[serde(flatten)]
    pub report: UnitReport,
    /// The unit's officers with a sohoa account (display names), to chase a missing report.
    pub officers: Vec<String>,
}

/// Completeness of `template`'s reports for `period` below unit `code`. Needs `TeamsRead`
/// at the unit. Errors: those of [`super::submissions::in_force`].
pub async fn completeness(
    db: &crate::db::Db,
    scope: Option<&crate::auth::Principal>,
    code: &str,
    template: &str,
    period: &str,
) -> crate::error::Result<CompletenessReport> {
    let mut conn = db.pool.acquire().await?;
    let unit_id = units::id_of(&mut conn, code).await?;
    super::submissions::allow(
        &mut conn,
        scope,
        crate::auth::Action::TeamsRead,
        unit_id,
        &format!("unit '{code}'"),
    )
    .await?;
    let ctx = super::submissions::in_force(&mut conn, code, template, period).await?;
    let rollup = gather(&mut conn, &[unit_id], template, &ctx.form, &ctx.period).await?;
    let mut history = Vec::new();
    let mut at = Some(ctx.period.clone());
    while let Some(p) = at.take().filter(|_| history.len() < HISTORY) {
        let summary = if p == ctx.period {
            rollup.completeness()
        } else {
            gather(&mut conn, &[unit_id], template, &ctx.form, &p).await?.completeness()
        };
        at = p.previous(ctx.form.cut_off);
        history.push(PeriodCompleteness { period: p.id.clone(), period_label: p.label_vi(), summary });
    }
    history.reverse();

    // Officers of the units not received, in one query.
    let waiting: Vec<i64> = rollup.units.iter().filter(|u| !u.status.received()).map(|u| u.unit_id).collect();
    let mut officers: HashMap<i64, Vec<String>> = HashMap::new();
    if !waiting.is_empty() {
        let mut sql = Sql::new(
            "SELECT r.unit_id, u.display_name FROM role_assignments r JOIN users u ON u.id = r.user_id \
             WHERE r.role = 'commune_officer' AND u.active = 1 AND r.unit_id IN ",
        );
        sql.push_tuples(1, waiting.len());
        for id in &waiting {
            sql.arg(*id);
        }
        sql.push(" ORDER BY u.display_name");
        let rows: Vec<(i64, String)> = sql.query_as().fetch_all(&mut *conn).await?;
        for (unit, name) in rows {
            officers.entry(unit).or_default().push(name);
        }
    }
    Ok(CompletenessReport {
        unit_code: ctx.unit_code.clone(),
        unit_name: ctx.unit_name.clone(),
        template: template.to_string(),
        period_label: ctx.period.label_vi(),
        deadline: ctx.deadline,
        summary: rollup.completeness(),
        by_child: rollup
            .children
            .iter()
            .map(|(_, code, name)| ChildCompleteness {
                unit_code: code.clone(),
                unit_name: name.clone(),
                summary: rollup.child_completeness(code),
            })
            .filter(|c| c.summary.expected > 0)
            .collect(),
        units: rollup
            .units
            .iter()
            .map(|u| UnitStatus {
                report: u.clone(),
                officers: officers.remove(&u.unit_id).unwrap_or_default(),
            })
            .collect(),
        period: ctx.period,
        history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(status: Status, late: bool) -> UnitReport {
        UnitReport {
            unit_id: 1,
            unit_code: "1".into(),
            unit_name: "X".into(),
            under_code: "1".into(),
            under_name: "X".into(),
            status,
            late,
            submitted_at: None,
            return_reason: None,
            figures: BTreeMap::new(),
            first_submitted_on: None,
            sort_key: String::new(),
        }
    }

    #[test]
    fn completeness_counts_each_unit_once() {
        let units = [
            unit(Status::Accepted, false),
            unit(Status::Accepted, true),
            unit(Status::Submitted, false),
            unit(Status::Returned, false),
            unit(Status::Draft, false),
            unit(Status::NotStarted, false),
        ];
        let c = Completeness::of(units.iter());
        assert_eq!(
            (c.expected, c.received, c.accepted, c.on_time, c.late, c.returned, c.missing),
            (6, 3, 2, 2, 1, 1, 2)
        );
        assert_eq!((c.completeness_rate, c.timeliness_rate), (50.0, 33.3));
        assert_eq!(Completeness::of([].iter()).completeness_rate, 0.0);
    }
}
