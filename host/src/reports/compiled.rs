//! Compiled reports: the report a unit makes from the accepted figures of the units below it
//! for a period, and its way up.
//!
//! ```text
//!   (none) ──compile──▶ compiled ──approve──▶ approved ──send──▶ sent
//!                         ▲  │ compile again                       │
//!                         └──┴──────────── returned ◀── return ────┘ (from the level above)
//! ```
//!
//! - **Compile** (the office that reviews, `ReportsReview` at the unit): the host rolls up the
//!   accepted figures ([`super::rollup`]) under the unit as of the period, counts each child's
//!   teams and members on the period's last counted day, and has the template in force for the
//!   period render it. It stores the **snapshot**: exactly the input the template was given
//!   (figures, statuses, totals, previous totals, date of issue) and the binding's parameters,
//!   with the component version (row, sha256) that rendered it.
//! - **Approve** (the leadership, `ReportsApprove` at the unit) signs it for the People's
//!   Committee; from then on the submissions below are frozen ([`ensure_open`]). **Send**
//!   (`ReportsReview`) dispatches it to the level above, which may **return** it with a reason
//!   (`ReportsReview` at the parent): that reopens it, and through it the submissions below,
//!   which the unit may return to their senders in turn. A returned report is compiled again.
//! - **Documents** ([`document`]) are rendered again from the snapshot with the stored component
//!   version, never from live data: the same bytes in DOCX, XLSX and HTML however the template
//!   or the data changed since. A new compilation takes the version bound for the period then.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::rollup::{self, Completeness, Rollup};
use super::submissions::{InForce, Status, Step, allow, in_force, timeline};
use super::{Rendered, place_name};
use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal};
use crate::dates;
use crate::db::{Db, now};
use crate::documents::Letter;
use crate::error::{Error, Result};
use crate::periods::Period;
use crate::plugins::types::{self as h, IndicatorValue, SubmissionStatus};
use crate::plugins::{Runtime, bindings, registry};
use crate::teams::composition::AppliedPlugin;

/// Where a compiled report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    NotCompiled,
    Compiled,
    Approved,
    Sent,
    Returned,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::NotCompiled => "not_compiled",
            ReportStatus::Compiled => "compiled",
            ReportStatus::Approved => "approved",
            ReportStatus::Sent => "sent",
            ReportStatus::Returned => "returned",
        }
    }

    fn parse(s: &str) -> ReportStatus {
        match s {
            "compiled" => ReportStatus::Compiled,
            "approved" => ReportStatus::Approved,
            "sent" => ReportStatus::Sent,
            "returned" => ReportStatus::Returned,
            _ => ReportStatus::NotCompiled,
        }
    }

    /// Approved or sent: signed, so what it was made from is frozen.
    fn signed(self) -> bool {
        matches!(self, ReportStatus::Approved | ReportStatus::Sent)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: i64,
    plugin_ref: i64,
    plugin_sha256: String,
    bound_at: String,
    effective_from: String,
    params: String,
    input: String,
    status: String,
    compiled_at: String,
    compiled_by: String,
    approved_at: Option<String>,
    approved_by: Option<String>,
    sent_at: Option<String>,
    sent_by: Option<String>,
    returned_at: Option<String>,
    returned_by: Option<String>,
    return_reason: Option<String>,
}

const COLUMNS: &str = "id, plugin_ref, plugin_sha256, bound_at, effective_from, params, input, status, compiled_at, \
     compiled_by, approved_at, approved_by, sent_at, sent_by, returned_at, returned_by, return_reason";

async fn load(conn: &mut AnyConnection, unit_id: i64, template: &str, period: &str) -> Result<Option<Row>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM compiled_reports WHERE unit_id = $1 AND template = $2 AND period = $3"
    ))
    .bind(unit_id)
    .bind(template)
    .bind(period)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Fails with [`Error::Locked`] when the report compiled at `unit_id` for the period has been
/// approved or sent: the submissions it was made from stay as they are until it is returned.
pub(crate) async fn ensure_open(
    conn: &mut AnyConnection,
    unit_id: i64,
    unit_name: &str,
    template: &str,
    period: &str,
) -> Result<()> {
    let row = load(conn, unit_id, template, period).await?;
    match row.map(|r| ReportStatus::parse(&r.status)) {
        Some(status) if status.signed() => Err(Error::Locked(format!(
            "the {template} report of {unit_name} for {period} is {}; the figures it was made from can change \
             only after the level above returns it",
            status.as_str()
        ))),
        _ => Ok(()),
    }
}

/// One child unit's line of a compiled report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    pub unit_code: String,
    pub unit_name: String,
    pub team_count: u32,
    pub member_count: u32,
    pub status: SubmissionStatus,
    /// Accepted figures, added up under the child, by indicator code.
    pub figures: std::collections::BTreeMap<String, f64>,
}

/// A unit's compiled report for a period, as the API and pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportView {
    pub unit_code: String,
    pub unit_name: String,
    pub template: String,
    pub period: Period,
    pub period_label: String,
    pub status: ReportStatus,
    /// The template version it was compiled with, and the component's sha256.
    pub version: Option<String>,
    pub plugin_sha256: Option<String>,
    /// Date of issue (the day it was compiled), yyyy-mm-dd.
    pub issued_on: Option<NaiveDate>,
    /// Its lines and totals as compiled (from the snapshot).
    pub lines: Vec<Line>,
    pub totals: std::collections::BTreeMap<String, f64>,
    pub previous_totals: std::collections::BTreeMap<String, f64>,
    /// The reports expected below the unit, as they stand now.
    pub completeness: Completeness,
    /// Each expected unit's report as it stands now.
    pub units: Vec<rollup::UnitReport>,
    pub compiled_at: Option<String>,
    pub compiled_by: Option<String>,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    pub sent_at: Option<String>,
    pub sent_by: Option<String>,
    pub returned_at: Option<String>,
    pub returned_by: Option<String>,
    pub return_reason: Option<String>,
    /// Every step of the report's own history, oldest first.
    pub timeline: Vec<Step>,
}

fn map(values: &[IndicatorValue]) -> std::collections::BTreeMap<String, f64> {
    values.iter().map(|v| (v.code.clone(), v.value)).collect()
}

/// The unit `code` as the compiling unit of `template` for `period`: above the form's level.
async fn compiling(conn: &mut AnyConnection, code: &str, template: &str, period: &str) -> Result<InForce> {
    let ctx = in_force(conn, code, template, period).await?;
    if ctx.level >= ctx.form.level {
        return Err(Error::field(
            "unit",
            format!(
                "{} is a {} unit: {} is compiled above the {} units that report on it",
                ctx.unit_name,
                ctx.level.as_str(),
                template,
                ctx.form.level.as_str()
            ),
        ));
    }
    Ok(ctx)
}

/// The compiled report of unit `code` for the period (status `not_compiled` when there is
/// none yet), with the completeness of the reports below as it stands. Needs `TeamsRead`.
pub async fn get(
    db: &Db,
    scope: Option<&Principal>,
    code: &str,
    template: &str,
    period: &str,
) -> Result<ReportView> {
    let mut conn = db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    allow(&mut conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    let ctx = compiling(&mut conn, code, template, period).await?;
    view(&mut conn, &ctx).await
}

async fn view(conn: &mut AnyConnection, ctx: &InForce) -> Result<ReportView> {
    let template = &ctx.resolved.plugin.plugin_id;
    let row = load(conn, ctx.unit_id, template, &ctx.period.id).await?;
    let rollup = rollup::gather(conn, &[ctx.unit_id], template, &ctx.form, &ctx.period).await?;
    let input: Option<h::ReportInput> = row.as_ref().and_then(|r| serde_json::from_str(&r.input).ok());
    let version = match &row {
        Some(r) => {
            sqlx::query_scalar::<_, String>("SELECT version FROM plugins WHERE id = $1")
                .bind(r.plugin_ref)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let timeline = match &row {
        Some(r) => timeline(conn, ("compiled_report", &r.id.to_string()), None).await?,
        None => Vec::new(),
    };
    let r = row.as_ref();
    Ok(ReportView {
        unit_code: ctx.unit_code.clone(),
        unit_name: ctx.unit_name.clone(),
        template: template.clone(),
        period: ctx.period.clone(),
        period_label: ctx.period.label_vi(),
        status: r.map_or(ReportStatus::NotCompiled, |r| ReportStatus::parse(&r.status)),
        version,
        plugin_sha256: r.map(|r| r.plugin_sha256.clone()),
        issued_on: input.as_ref().map(|i| i.issued_on),
        lines: input
            .as_ref()
            .map(|i| {
                i.rows
                    .iter()
                    .map(|row| Line {
                        unit_code: row.unit_code.clone(),
                        unit_name: row.unit_name.clone(),
                        team_count: row.team_count,
                        member_count: row.member_count,
                        status: row.status,
                        figures: map(&row.values),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        totals: input.as_ref().map(|i| map(&i.totals)).unwrap_or_default(),
        previous_totals: input.as_ref().map(|i| map(&i.previous_totals)).unwrap_or_default(),
        completeness: rollup.completeness(),
        units: rollup.units,
        compiled_at: r.map(|r| r.compiled_at.clone()),
        compiled_by: r.map(|r| r.compiled_by.clone()),
        approved_at: r.and_then(|r| r.approved_at.clone()),
        approved_by: r.and_then(|r| r.approved_by.clone()),
        sent_at: r.and_then(|r| r.sent_at.clone()),
        sent_by: r.and_then(|r| r.sent_by.clone()),
        returned_at: r.and_then(|r| r.returned_at.clone()),
        returned_by: r.and_then(|r| r.returned_by.clone()),
        return_reason: r.and_then(|r| r.return_reason.clone()),
        timeline,
    })
}

/// A child's status in the report: its own report's when it is an expected unit; for a child
/// above the form's level, missing when nothing below was accepted, late when any accepted
/// report came late, on time otherwise.
fn line_status(rollup: &Rollup, child_code: &str) -> (SubmissionStatus, Option<NaiveDate>) {
    let below: Vec<&rollup::UnitReport> =
        rollup.units.iter().filter(|u| u.under_code == child_code).collect();
    if let [own] = below.as_slice()
        && own.unit_code == child_code
    {
        let status = match own.status {
            Status::Accepted if own.late => SubmissionStatus::Late,
            Status::Accepted => SubmissionStatus::OnTime,
            Status::Returned => SubmissionStatus::Returned,
            _ => SubmissionStatus::Missing,
        };
        let on = own.first_submitted_on.filter(|_| own.status == Status::Accepted);
        return (status, on);
    }
    let accepted: Vec<_> = below.iter().filter(|u| u.status == Status::Accepted).collect();
    let status = if accepted.is_empty() {
        SubmissionStatus::Missing
    } else if accepted.iter().any(|u| u.late) {
        SubmissionStatus::Late
    } else {
        SubmissionStatus::OnTime
    };
    (status, None)
}

/// Compiles the report of unit `code` for the period from the accepted figures below it, on
/// `today` (its date of issue). Needs `ReportsReview` at the unit. Errors: those of
/// [`in_force`]; 422 when the unit is not above the form's level; 409 [`Error::Locked`] when
/// the report is approved or sent; the template's failure (502) or refusal (422).
#[allow(clippy::too_many_arguments)]
pub async fn compile(
    db: &Db,
    runtime: &Arc<Runtime>,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    template: &str,
    period: &str,
    today: NaiveDate,
) -> Result<ReportView> {
    let mut pooled = db.pool.acquire().await?;
    let conn: &mut AnyConnection = &mut pooled;
    let unit_id = crate::units::id_of(conn, code).await?;
    allow(conn, scope, Action::ReportsReview, unit_id, &format!("unit '{code}'")).await?;
    let ctx = compiling(conn, code, template, period).await?;
    let refuse_signed = |row: &Option<Row>| match row.as_ref().map(|r| ReportStatus::parse(&r.status)) {
        Some(status) if status.signed() => Err(Error::Locked(format!(
            "the {template} report of {} for {} is {}; it can be compiled again only after the level above returns it",
            ctx.unit_name,
            ctx.period.id,
            status.as_str()
        ))),
        _ => Ok(()),
    };
    refuse_signed(&load(conn, unit_id, template, &ctx.period.id).await?)?;

    let rollup = rollup::gather(conn, &[unit_id], template, &ctx.form, &ctx.period).await?;
    // A report lists each unit as reported or not: one waiting for review is neither, so the
    // review comes first.
    let waiting: Vec<&str> =
        rollup.units.iter().filter(|u| u.status == Status::Submitted).map(|u| u.unit_name.as_str()).collect();
    if !waiting.is_empty() {
        return Err(Error::Conflict(format!(
            "accept or return the figures waiting for review first: {}",
            waiting.join(", ")
        )));
    }
    let end = dates::iso(ctx.period.end);
    let coverage = crate::teams::stats::by_child(conn, unit_id, &end).await?;
    let rows: Vec<h::UnitRow> = rollup
        .children
        .iter()
        .map(|(_, child_code, child_name)| {
            let counted = coverage.iter().find(|c| &c.unit_code == child_code);
            let (status, submitted_on) = line_status(&rollup, child_code);
            h::UnitRow {
                unit_code: child_code.clone(),
                unit_name: child_name.clone(),
                team_count: counted.map_or(0, |c| c.teams),
                member_count: counted.map_or(0, |c| c.members),
                status,
                submitted_on,
                values: rollup.child_totals(&ctx.form, child_code),
            }
        })
        .collect();
    let previous_totals = match ctx.period.previous(ctx.form.cut_off) {
        Some(previous) => {
            rollup::gather(conn, &[unit_id], template, &ctx.form, &previous).await?.totals(&ctx.form)
        }
        None => Vec::new(),
    };
    let input = h::ReportInput {
        unit_code: ctx.unit_code.clone(),
        unit_name: ctx.unit_name.clone(),
        period: ctx.period.clone(),
        issuing_office: String::new(),
        place: place_name(&ctx.unit_name, &ctx.unit_type),
        issued_on: today,
        totals: rollup.totals(&ctx.form),
        previous_totals,
        rows,
    };
    // Render once now: a template that cannot render the input fails the compilation, not a
    // later download.
    let call = crate::plugins::prepare(conn, runtime, &ctx.resolved.plugin, &ctx.resolved.params).await?;
    drop(pooled);
    let rendered_input = input.clone();
    call.call(runtime, move |runtime, loaded, label, params| {
        runtime.render_report(loaded, label, &rendered_input, params)
    })
    .await?;

    let mut tx = db.begin_write().await?;
    let row = load(&mut tx, unit_id, template, &ctx.period.id).await?;
    refuse_signed(&row)?;
    let stamp = super::submissions::stamp_on(today);
    let params = serde_json::to_string(&ctx.resolved.binding.params).expect("a JSON map");
    let snapshot = serde_json::to_string(&input).expect("the input serialises");
    // One statement for a first compilation and a new one: a new one replaces the snapshot and
    // clears the approval (the last return's reason stays, as history).
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO compiled_reports (unit_id, template, period, plugin_ref, plugin_sha256, bound_at, \
         effective_from, params, input, status, compiled_at, compiled_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'compiled', $10, $11) \
         ON CONFLICT (unit_id, template, period) DO UPDATE SET plugin_ref = excluded.plugin_ref, \
         plugin_sha256 = excluded.plugin_sha256, bound_at = excluded.bound_at, \
         effective_from = excluded.effective_from, params = excluded.params, input = excluded.input, \
         status = 'compiled', compiled_at = excluded.compiled_at, compiled_by = excluded.compiled_by, \
         approved_at = NULL, approved_by = NULL, sent_at = NULL, sent_by = NULL RETURNING id",
    )
    .bind(unit_id)
    .bind(template)
    .bind(&ctx.period.id)
    .bind(ctx.plugin_ref)
    .bind(&ctx.resolved.plugin.sha256)
    .bind(&ctx.resolved.binding.unit_code)
    .bind(&ctx.resolved.binding.effective_from)
    .bind(&params)
    .bind(&snapshot)
    .bind(&stamp)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    let change = Change::new("compile", "compiled_report", id, Some(unit_id)).after(&serde_json::json!({
        "template": template,
        "version": ctx.resolved.plugin.version,
        "period": ctx.period.id,
        "totals": map(&input.totals),
    }));
    audit::record(&mut tx, actor, change).await?;
    // The answer shows this change, not a later one of another writer.
    let answer = view(&mut tx, &ctx).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Refuses to approve a report whose figures changed below it since it was compiled (a return,
/// a new acceptance): what is signed must be what the accepted figures say now.
async fn ensure_current(conn: &mut AnyConnection, unit_id: i64, ctx: &InForce, row: &Row) -> Result<()> {
    let stored: h::ReportInput =
        serde_json::from_str(&row.input).map_err(|e| Error::Internal(format!("stored report input: {e}")))?;
    let template = &ctx.resolved.plugin.plugin_id;
    let now = rollup::gather(conn, &[unit_id], template, &ctx.form, &ctx.period).await?;
    let changed: Vec<&str> = stored
        .rows
        .iter()
        .filter(|line| {
            let (status, _) = line_status(&now, &line.unit_code);
            map(&now.child_totals(&ctx.form, &line.unit_code)) != map(&line.values) || status != line.status
        })
        .map(|line| line.unit_name.as_str())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "the figures of {} changed since the report was compiled; compile it again before approving",
        changed.join(", ")
    )))
}

/// A step of a compiled report after compilation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    /// The leadership signs it (`ReportsApprove` at the unit): compiled → approved.
    Approve,
    /// The office dispatches it to the level above (`ReportsReview` at the unit): approved → sent.
    Send,
    /// The level above sends it back (`ReportsReview` at the parent): sent → returned.
    Return {
        /// Why (required).
        reason: String,
    },
}

/// Approves, sends or returns the compiled report of unit `code` for the period. Errors: those
/// of [`in_force`]; 404/403 for a caller without the step's permission; 422 for a return
/// without a reason; 409 [`Error::Conflict`] when the report is not in the state the step
/// needs (approve a compiled one, send an approved one, return a sent one).
pub async fn decide(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    template: &str,
    period: &str,
    decision: Decision,
) -> Result<ReportView> {
    let mut conn = db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    let ctx = compiling(&mut conn, code, template, period).await?;
    let (action, target, from, to, reason) = match &decision {
        Decision::Approve => {
            (Action::ReportsApprove, unit_id, ReportStatus::Compiled, ReportStatus::Approved, None)
        }
        Decision::Send => (Action::ReportsReview, unit_id, ReportStatus::Approved, ReportStatus::Sent, None),
        Decision::Return { reason } => {
            // The level above: whoever reviews this unit's reports for the period.
            let (parent, _) = super::submissions::reviewer_of(&mut conn, &ctx).await?;
            let why = super::submissions::reason(reason, "reason", "the report is returned")?;
            (Action::ReportsReview, parent, ReportStatus::Sent, ReportStatus::Returned, Some(why))
        }
    };
    let target_code = crate::units::code_of(&mut conn, target).await?;
    allow(&mut conn, scope, action, target, &format!("unit '{target_code}'")).await?;
    drop(conn);

    let mut tx = db.begin_write().await?;
    let row = load(&mut tx, unit_id, template, &ctx.period.id).await?;
    let status = row.as_ref().map_or(ReportStatus::NotCompiled, |r| ReportStatus::parse(&r.status));
    let Some(row) = row.filter(|_| status == from) else {
        return Err(Error::Conflict(format!(
            "the {template} report of {} for {} is {}; only one that is {} can be {}",
            ctx.unit_name,
            ctx.period.id,
            status.as_str().replace('_', " "),
            from.as_str(),
            to.as_str()
        )));
    };
    if to == ReportStatus::Approved {
        ensure_current(&mut tx, unit_id, &ctx, &row).await?;
    }
    let stamp = now();
    let sql = match to {
        ReportStatus::Approved => {
            "UPDATE compiled_reports SET status = $1, approved_at = $2, approved_by = $3 WHERE id = $4"
        }
        ReportStatus::Sent => {
            "UPDATE compiled_reports SET status = $1, sent_at = $2, sent_by = $3 WHERE id = $4"
        }
        _ => {
            "UPDATE compiled_reports SET status = $1, returned_at = $2, returned_by = $3, return_reason = $4 \
             WHERE id = $5"
        }
    };
    let mut q = sqlx::query(sql).bind(to.as_str()).bind(&stamp).bind(&actor.name);
    if to == ReportStatus::Returned {
        q = q.bind(&reason);
    }
    q = q.bind(row.id);
    q.execute(&mut *tx).await?;
    let verb = match to {
        ReportStatus::Approved => "approve",
        ReportStatus::Sent => "send",
        _ => "return",
    };
    let mut change = Change::new(verb, "compiled_report", row.id, Some(unit_id))
        .before(Some(&serde_json::json!({"status": from.as_str()})))
        .after(&serde_json::json!({"status": to.as_str()}));
    change.reason = reason;
    audit::record(&mut tx, actor, change).await?;
    // The answer shows this change, not a later one of another writer.
    let answer = view(&mut tx, &ctx).await?;
    tx.commit().await?;
    Ok(answer)
}

/// The stored report of unit `code` for the period rendered again from its snapshot, with the
/// component version that compiled it: the same document whatever changed since. Needs
/// `ReportsIssue`. Errors: 404 when nothing was compiled; the template's failure (502).
pub async fn document(
    db: &Db,
    runtime: &Arc<Runtime>,
    scope: Option<&Principal>,
    code: &str,
    template: &str,
    period: &str,
) -> Result<Rendered> {
    let mut pooled = db.pool.acquire().await?;
    let conn: &mut AnyConnection = &mut pooled;
    let unit_id = crate::units::id_of(conn, code).await?;
    allow(conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    // `current` and any other spelling the form accepts name one stored period.
    let period = &compiling(conn, code, template, period).await?.period.id;
    let row = load(conn, unit_id, template, period).await?.ok_or_else(|| {
        Error::NotFound(format!("compiled {template} report of unit '{code}' for '{period}'"))
    })?;
    let (plugin_id, version): (String, String) =
        sqlx::query_as("SELECT plugin_id, version FROM plugins WHERE id = $1")
            .bind(row.plugin_ref)
            .fetch_one(&mut *conn)
            .await?;
    let plugin = registry::find(conn, &plugin_id, &version)
        .await?
        .ok_or_else(|| Error::Internal(format!("plugin {plugin_id}@{version} vanished")))?;
    let stored: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.params).map_err(|e| Error::Internal(format!("stored parameters: {e}")))?;
    let params = bindings::params_for(&plugin.params, &stored)?;
    let input: h::ReportInput =
        serde_json::from_str(&row.input).map_err(|e| Error::Internal(format!("stored report input: {e}")))?;
    let applied = AppliedPlugin {
        plugin_id: plugin.plugin_id.clone(),
        version: plugin.version.clone(),
        name: plugin.name.clone(),
        bound_at: row.bound_at.clone(),
        effective_from: row.effective_from.clone(),
    };
    let call = crate::plugins::prepare(conn, runtime, &plugin, &params).await?;
    drop(pooled);
    let (place, date) = (input.place.clone(), input.issued_on);
    let (doc, usage) = call
        .call(runtime, move |runtime, loaded, label, params| {
            runtime.render_report(loaded, label, &input, params)
        })
        .await?;
    Ok(Rendered { plugin: applied, letter: Letter { doc, place, date }, fuel: usage.fuel })
}
