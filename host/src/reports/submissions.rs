//! Submissions (DHIS2's data set registrations): what one unit reported for one period on a
//! report template's form, and where it stands.
//!
//! ```text
//!   (none) ──save──▶ draft ──submit──▶ submitted ──accept──▶ accepted
//!                      ▲                   │  ▲                  │
//!                      └──── save ─────────┘  └─ submit ─┐       │ return (reason)
//!                                                        │       ▼
//!                                                     returned ◀─┘ (also from submitted)
//! ```
//!
//! - **The form in force.** A submission is judged by the template version bound to the unit
//!   on the period's last counted day ([`in_force`]), so a 2022 report stays a 2022 report
//!   after the province ships a 2023 version from 2023 on.
//! - **Deadline.** The unit may save or submit until the period's deadline
//!   ([`Period::deadline`] with the form's `deadline_days`), inclusive. After it the form is
//!   locked for the unit ([`Error::Locked`]) unless the level above opened it again for that
//!   unit until a day ([`unlock`]), or returned the figures (a return reopens them). The first
//!   submission made after the deadline marks the submission late for good; an on-time one that
//!   was returned and corrected later stays on time.
//! - **Checks.** Saving a draft refuses only indicators the form does not have. Submitting runs
//!   the host's structural checks ([`super::form::check_figures`]) and then the template's
//!   `validate-submission`, with the unit's previous-period figures: errors block
//!   ([`Error::Submission`]); warnings must be confirmed one by one, as `code@indicator`
//!   ([`Error::ConfirmationRequired`]), and the confirmed ones are kept with the submission.
//! - **Review.** The unit above (the district for a commune) accepts or returns with a reason.
//!   Once the report compiled above is approved, its submissions are frozen until the report is
//!   returned from above ([`super::compiled`]).
//!
//! The template runs with no database connection held: the state is read, the figures judged,
//! then a write transaction reads the state again and applies the change only if it is still
//! allowed (another officer may have accepted or returned it meanwhile).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal, Target};
use crate::dates;
use crate::db::{Db, now};
use crate::error::{Error, FieldError, Result};
use crate::periods::{CutOff, Period};
use crate::plugins::types::{self as h, Indicator, ReportForm, Severity, SubmissionFinding};
use crate::plugins::{Runtime, bindings};
use crate::units::Level;

/// Where a unit's report for a period stands. `not_started` is never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    Draft,
    Submitted,
    Accepted,
    Returned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Returned => "returned",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "draft" => Status::Draft,
            "submitted" => Status::Submitted,
            "accepted" => Status::Accepted,
            "returned" => Status::Returned,
            _ => Status::NotStarted,
        }
    }

    /// "Đã tiếp nhận": for documents and files (pages use their own words, in either language).
    pub fn label_vi(self) -> &'static str {
        match self {
            Status::NotStarted => "Chưa nhập",
            Status::Draft => "Đang nhập",
            Status::Submitted => "Đã gửi",
            Status::Accepted => "Đã tiếp nhận",
            Status::Returned => "Bị trả lại",
        }
    }

    /// Received by the level above: submitted or accepted.
    pub fn received(self) -> bool {
        matches!(self, Status::Submitted | Status::Accepted)
    }
}

/// The report form that applies to a unit for a period, and the unit as it was then.
#[derive(Debug, Clone)]
pub struct InForce {
    pub unit_id: i64,
    pub unit_code: String,
    /// The unit's name and level on the period's last counted day.
    pub unit_name: String,
    /// "Huyện", "Xã"...
    pub unit_type: String,
    pub level: Level,
    /// The template, version and parameters bound to the unit for the period.
    pub resolved: bindings::Resolved,
    /// The `plugins` row of that version.
    pub plugin_ref: i64,
    pub form: ReportForm,
    pub period: Period,
    /// The last day a report is due (inclusive).
    pub deadline: NaiveDate,
}

/// The word that names the period containing today (by the form bound today) wherever a
/// period is given: `…/submissions/binh-dinh-bao-cao-quy/current`.
pub const CURRENT: &str = "current";

/// The template `template` as bound to unit `code` for the period `period_id` (or
/// [`CURRENT`]): the version in force on the period's last counted day (under the form's own
/// cut-off rule), with its form.
/// Errors: 404 for an unknown unit or a template not enabled there for the period; 422 for a
/// malformed period, one of another type than the form's, a template that declares no form
/// (interface 0.1.0, or a 0.2.0 template without one), or a unit that did not exist then.
pub async fn in_force(
    conn: &mut AnyConnection,
    code: &str,
    template: &str,
    period_id: &str,
) -> Result<InForce> {
    let unit_id = crate::units::id_of(conn, code).await?;
    // `current`: the period containing today, by the form bound today.
    let current;
    let period_id = if period_id == CURRENT {
        let today = dates::today();
        let found = bindings::resolve_template(conn, unit_id, template, &dates::iso(today))
            .await?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "report template '{template}' (it is not enabled for unit '{code}' today)"
                ))
            })?;
        let form = found.plugin.report_form.as_ref().ok_or_else(|| {
            Error::field(
                "template",
                format!("{template} declares no report form, so it has no current period"),
            )
        })?;
        current = Period::containing(today, form.period_type, form.cut_off)
            .ok_or_else(|| Error::field("period", "today is outside the years 2000-2100"))?
            .id;
        current.as_str()
    } else {
        period_id
    };
    let mut period =
        Period::parse(period_id, CutOff::Calendar).map_err(|e| Error::field("period", e.to_string()))?;
    // The cut-off is the form's, and the form is the one in force at the period's end: resolve
    // on the calendar end, re-read the period under that form's cut-off, and resolve again if
    // its end moved (a version bound from the 20th of the last month does not cover a period
    // that ends on the 14th).
    let mut resolved = None;
    for _ in 0..2 {
        let end = dates::iso(period.end);
        let found = bindings::resolve_template(conn, unit_id, template, &end).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "report template '{template}' (it is not enabled for unit '{code}' for {period_id})"
            ))
        })?;
        let cut_off = found.plugin.report_form.as_ref().map_or(CutOff::Calendar, |f| f.cut_off);
        let reread = Period::parse(period_id, cut_off).map_err(|e| Error::field("period", e.to_string()))?;
        let settled = reread.end == period.end;
        period = reread;
        resolved = Some(found);
        if settled {
            break;
        }
    }
    let resolved = resolved.expect("resolved at least once");
    let form = resolved.plugin.report_form.clone().ok_or_else(|| {
        Error::field(
            "template",
            format!(
                "{}@{} declares no report form (interface {}): its reports are rendered from figures \
                 sent with the request, not submitted",
                resolved.plugin.plugin_id, resolved.plugin.version, resolved.plugin.interface_version
            ),
        )
    })?;
    if form.period_type != period.period_type {
        return Err(Error::field(
            "period",
            format!("{template} reports by {}, not '{period_id}'", form.period_type.example()),
        ));
    }
    let end = dates::iso(period.end);
    let unit = crate::units::version_on(conn, unit_id, &end).await?.ok_or_else(|| {
        Error::field("unit", format!("unit '{code}' did not exist on {}", dates::display(period.end)))
    })?;
    let plugin_ref = plugin_ref(conn, &resolved.plugin.plugin_id, &resolved.plugin.version).await?;
    Ok(InForce {
        unit_id,
        unit_code: code.to_string(),
        unit_name: unit.name.clone(),
        unit_type: unit.unit_type.clone(),
        level: unit.level(),
        deadline: period.deadline(form.deadline_days),
        resolved,
        plugin_ref,
        form,
        period,
    })
}

/// The `plugins` row id of an installed version.
pub(crate) async fn plugin_ref(conn: &mut AnyConnection, plugin_id: &str, version: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM plugins WHERE plugin_id = $1 AND version = $2")
        .bind(plugin_id)
        .bind(version)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::Internal(format!("plugin {plugin_id}@{version} has no row")))
}

/// Checks that the caller may do `action` at `unit_id` (none: the command line, which may
/// do anything). 404 when the caller cannot see the unit, 403 when they may not act there.
pub(crate) async fn allow(
    conn: &mut AnyConnection,
    scope: Option<&Principal>,
    action: Action,
    unit_id: i64,
    what: &str,
) -> Result<()> {
    match scope {
        Some(principal) => principal.authorize(conn, action, Target { unit_id, team_id: None }, what).await,
        None => Ok(()),
    }
}

/// A stored submission.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Row {
    pub id: i64,
    pub unit_id: i64,
    pub figures: String,
    pub status: String,
    pub late: i64,
    pub first_submitted_on: Option<String>,
    pub submitted_at: Option<String>,
    pub submitted_by: Option<String>,
    pub confirmed: String,
    pub reviewed_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub return_reason: Option<String>,
}

pub(crate) const ROW_COLUMNS: &str = "id, unit_id, figures, status, late, first_submitted_on, submitted_at, \
     submitted_by, confirmed, reviewed_at, reviewed_by, return_reason";

impl Row {
    pub fn status(&self) -> Status {
        Status::parse(&self.status)
    }

    pub fn figures(&self) -> BTreeMap<String, f64> {
        serde_json::from_str(&self.figures).unwrap_or_default()
    }
}

async fn load(conn: &mut AnyConnection, unit_id: i64, template: &str, period: &str) -> Result<Option<Row>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ROW_COLUMNS} FROM report_submissions WHERE unit_id = $1 AND template = $2 AND period = $3"
    ))
    .bind(unit_id)
    .bind(template)
    .bind(period)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The last day of the unit's latest unlock of the form for the period, when it is still in
/// force on `today`.
async fn unlocked_until(
    conn: &mut AnyConnection,
    unit_id: i64,
    template: &str,
    period: &str,
    today: NaiveDate,
) -> Result<Option<NaiveDate>> {
    // The latest unlock decides: a second one may shorten the first.
    let until: Option<String> = sqlx::query_scalar(
        "SELECT open_until FROM report_unlocks WHERE unit_id = $1 AND template = $2 AND period = $3 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(unit_id)
    .bind(template)
    .bind(period)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(until.as_deref().and_then(dates::parse).filter(|d| *d >= today))
}

/// Who reviews a unit's submissions: its parent on the period's last counted day.
pub(crate) async fn reviewer_of(conn: &mut AnyConnection, ctx: &InForce) -> Result<(i64, String)> {
    let chain = crate::units::ancestors_or_self(conn, ctx.unit_id, &dates::iso(ctx.period.end)).await?;
    let parent = *chain.get(1).ok_or_else(|| {
        Error::field("unit", format!("unit '{}' has no unit above it to report to", ctx.unit_code))
    })?;
    let name = crate::units::version_on(conn, parent, &dates::iso(ctx.period.end))
        .await?
        .map(|v| v.name)
        .unwrap_or_default();
    Ok((parent, name))
}

/// Why the unit may not change its figures on `today`, or None when it may.
fn closed(
    status: Status,
    deadline: NaiveDate,
    unlocked: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<Closed> {
    match status {
        Status::Accepted => Some(Closed::Accepted),
        Status::Returned => None,
        _ if today <= deadline || unlocked.is_some() => None,
        _ => Some(Closed::PastDeadline),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    Accepted,
    PastDeadline,
}

fn closed_message(why: Closed, ctx: &InForce, reviewer: &str) -> String {
    let what =
        format!("the {} report of {} for {}", ctx.resolved.plugin.plugin_id, ctx.unit_name, ctx.period.id);
    match why {
        Closed::Accepted => {
            format!("{what} was accepted by {reviewer}; it can be changed only after {reviewer} returns it")
        }
        Closed::PastDeadline => format!(
            "{what} was due by {}; the form is locked. {reviewer} (its Culture and Information office, or \
             whoever reviews its reports) can open it again for this unit",
            dates::display(ctx.deadline)
        ),
    }
}

/// A unit's report for a period, as the API and the pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionView {
    pub unit_code: String,
    pub unit_name: String,
    pub template: String,
    /// The template version whose form judges this period.
    pub version: String,
    pub period: Period,
    /// "quý III năm 2022".
    pub period_label: String,
    /// The last day to submit (inclusive), yyyy-mm-dd.
    pub deadline: NaiveDate,
    pub status: Status,
    /// First submitted after the deadline.
    pub late: bool,
    /// Whether the unit may save or submit now.
    pub open: bool,
    /// Open after the deadline until this day, by an unlock from the level above.
    pub open_until: Option<NaiveDate>,
    /// Why it is closed, when it is.
    pub closed_reason: Option<String>,
    /// The report compiled above was approved or sent: nothing below changes until it is
    /// returned from above.
    pub frozen: bool,
    /// The unit above that reviews it.
    pub reviewer_code: String,
    pub reviewer_name: String,
    /// The form's indicators, in order.
    pub indicators: Vec<Indicator>,
    /// The figures saved or submitted, by indicator code.
    pub figures: BTreeMap<String, f64>,
    /// The unit's submitted figures for the period before, when there are any.
    pub previous: Option<BTreeMap<String, f64>>,
    /// Warnings the submitter confirmed when submitting.
    pub confirmed: Vec<SubmissionFinding>,
    pub submitted_at: Option<String>,
    pub submitted_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub reviewed_by: Option<String>,
    /// Why it was returned, while it is.
    pub return_reason: Option<String>,
    /// Every step, oldest first; saves in a row by one person are one step (`times`).
    pub timeline: Vec<Step>,
}

/// One step of a report's history, from the audit trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    /// RFC 3339, UTC.
    pub at: String,
    /// Who: the account's display name, or the command that did it.
    pub actor: String,
    /// save, submit, accept, return, unlock; compile, approve, send, return.
    pub action: String,
    pub reason: Option<String>,
    /// How many saves in a row by the same person this step stands for (the last one's time);
    /// 1 for every other step.
    pub times: u32,
}

/// The audit trail's steps for one entity, with those of a second one (a submission's unlocks)
/// when given, in the order they happened, saves in a row by one person folded into one step
/// ([`fold_saves`]). Errors: the database's.
///
/// Every row is read: a draft saved 4,594 times costs a few ms here, inside its next save's
/// write transaction. Folding in SQL (window functions) was slower on SQLite (a commune's
/// saves under load: 34 requests/s against 53, docs/BENCHMARKS.md), and joining its CTE back
/// to itself timed out.
pub(crate) async fn timeline(
    conn: &mut AnyConnection,
    entity: (&str, &str),
    also: Option<(&str, &str)>,
) -> Result<Vec<Step>> {
    let (other, other_id) = also.unwrap_or(("", ""));
    let rows: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT a.at, COALESCE(u.display_name, a.actor), a.action, a.reason, \
           COALESCE(CAST(a.user_id AS TEXT), 'cli:' || a.actor) FROM audit_log a \
         LEFT JOIN users u ON u.id = a.user_id WHERE (a.entity = $1 AND a.entity_id = $2) \
         OR (a.entity = $3 AND a.entity_id = $4) ORDER BY a.id",
    )
    .bind(entity.0)
    .bind(entity.1)
    .bind(other)
    .bind(other_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(fold_saves(
        rows.into_iter()
            .map(|(at, actor, action, reason, who)| (Step { at, actor, action, reason, times: 1 }, who)),
    ))
}

/// Saves in a row by one person (`who`: the same account, or the same command; two accounts
/// of one office often share a display name) as one step, the last, counting them: a draft
/// saved fifty times reads as one line, and a report's answer does not grow with every save (a
/// benchmark's commune saving thousands of times made it 300 KB).
fn fold_saves(steps: impl IntoIterator<Item = (Step, String)>) -> Vec<Step> {
    let mut out: Vec<(Step, String)> = Vec::new();
    for (step, who) in steps {
        if let Some((last, last_who)) = out.last_mut()
            && step.action == "save"
            && last.action == "save"
            && *last_who == who
            && step.reason.is_none()
            && last.reason.is_none()
        {
            let times = last.times + 1;
            *last = Step { times, ..step };
            continue;
        }
        out.push((step, who));
    }
    out.into_iter().map(|(step, _)| step).collect()
}

/// How the audit trail names the unlocks of one unit's form for one period.
fn unlock_key(unit_code: &str, template: &str, period: &str) -> String {
    format!("{unit_code}/{template}/{period}")
}

/// The unit's received (submitted or accepted) figures for `period`, if any.
async fn received_figures(
    conn: &mut AnyConnection,
    unit_id: i64,
    template: &str,
    period: Option<&Period>,
) -> Result<Option<BTreeMap<String, f64>>> {
    let Some(period) = period else { return Ok(None) };
    let row = load(conn, unit_id, template, &period.id).await?;
    Ok(row.filter(|r| r.status().received()).map(|r| r.figures()))
}

/// The unit's report for the period, as it stands on `today`. Needs `TeamsRead` at the unit
/// (whoever sees the unit sees its reports). Errors: those of [`in_force`], 404/403.
pub async fn get(
    db: &Db,
    scope: Option<&Principal>,
    code: &str,
    template: &str,
    period: &str,
    today: NaiveDate,
) -> Result<SubmissionView> {
    let mut conn = db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    allow(&mut conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    let ctx = in_force(&mut conn, code, template, period).await?;
    view(&mut conn, &ctx, today).await
}

async fn view(conn: &mut AnyConnection, ctx: &InForce, today: NaiveDate) -> Result<SubmissionView> {
    let template = &ctx.resolved.plugin.plugin_id;
    let row = load(conn, ctx.unit_id, template, &ctx.period.id).await?;
    let status = row.as_ref().map_or(Status::NotStarted, Row::status);
    let unlocked = unlocked_until(conn, ctx.unit_id, template, &ctx.period.id, today).await?;
    let (reviewer_id, reviewer_name) = reviewer_of(conn, ctx).await?;
    let frozen =
        super::compiled::ensure_open(conn, reviewer_id, &reviewer_name, template, &ctx.period.id).await.err();
    let why = closed(status, ctx.deadline, unlocked, today);
    let previous = ctx.period.previous(ctx.form.cut_off);
    let previous = received_figures(conn, ctx.unit_id, template, previous.as_ref()).await?;
    let key = unlock_key(&ctx.unit_code, template, &ctx.period.id);
    let id = row.as_ref().map_or(String::new(), |r| r.id.to_string());
    let timeline = timeline(conn, ("report_submission", &id), Some(("report_unlock", &key))).await?;
    Ok(SubmissionView {
        unit_code: ctx.unit_code.clone(),
        unit_name: ctx.unit_name.clone(),
        template: template.clone(),
        version: ctx.resolved.plugin.version.clone(),
        period: ctx.period.clone(),
        period_label: ctx.period.label_vi(),
        deadline: ctx.deadline,
        status,
        late: row.as_ref().is_some_and(|r| r.late == 1),
        open: why.is_none() && frozen.is_none(),
        frozen: frozen.is_some(),
        open_until: unlocked.filter(|_| today > ctx.deadline),
        closed_reason: why.map(|w| closed_message(w, ctx, &reviewer_name)).or(frozen.map(|e| e.to_string())),
        reviewer_code: crate::units::code_of(conn, reviewer_id).await?,
        reviewer_name,
        indicators: ctx.form.indicators.clone(),
        figures: row.as_ref().map(Row::figures).unwrap_or_default(),
        previous,
        confirmed: row.as_ref().and_then(|r| serde_json::from_str(&r.confirmed).ok()).unwrap_or_default(),
        submitted_at: row.as_ref().and_then(|r| r.submitted_at.clone()),
        submitted_by: row.as_ref().and_then(|r| r.submitted_by.clone()),
        reviewed_at: row.as_ref().and_then(|r| r.reviewed_at.clone()),
        reviewed_by: row.as_ref().and_then(|r| r.reviewed_by.clone()),
        return_reason: row
            .as_ref()
            .and_then(|r| r.return_reason.clone())
            .filter(|_| status == Status::Returned),
        timeline,
    })
}

/// A unit's figures for a period, to save or submit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionInput {
    /// Figures by indicator code, e.g. `{"ho_duoc_huong_dan": 1234}`. They replace what was
    /// saved before; leave an indicator out to leave it empty (`{}` clears them all).
    pub figures: BTreeMap<String, f64>,
    /// false (default): save as a draft, which only refuses indicators the form does not have;
    /// true: submit to the unit above, after every check.
    #[serde(default)]
    pub submit: bool,
    /// The warnings the submitter has read and confirms, each as `code@indicator` (as the
    /// `confirmation_required` answer lists them: `giam-manh@tk_vneid`).
    #[serde(default)]
    pub confirm: Vec<String>,
}

/// `code@indicator`: how a warning is named to confirm it.
pub fn warning_key(f: &SubmissionFinding) -> String {
    format!("{}@{}", f.code, f.indicator)
}

fn detail(f: &SubmissionFinding) -> FieldError {
    let field =
        if f.indicator.is_empty() { "figures".to_string() } else { format!("figures.{}", f.indicator) };
    FieldError::coded(field, &f.code, &f.message)
}

/// What was stored, for the audit trail.
#[derive(Serialize)]
struct Audited<'a> {
    status: &'a str,
    figures: &'a BTreeMap<String, f64>,
    late: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    confirmed: &'a [SubmissionFinding],
}

/// Saves (as a draft) or submits a unit's figures for a period, on `today`. Needs
/// `ReportsSubmit` at the unit. Errors, with nothing written: those of [`in_force`]; 422 when
/// the unit is not of the form's level or the figures name indicators the form lacks; 409
/// [`Error::Locked`] when the form is closed for the unit; on submit, 422
/// [`Error::Submission`] for error findings and [`Error::ConfirmationRequired`] for unconfirmed
/// warnings; the template's failure (502) or refusal (422).
#[allow(clippy::too_many_arguments)]
pub async fn save(
    db: &Db,
    runtime: &Arc<Runtime>,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    template: &str,
    period: &str,
    input: SubmissionInput,
    today: NaiveDate,
) -> Result<SubmissionView> {
    let mut pooled = db.pool.acquire().await?;
    let conn: &mut AnyConnection = &mut pooled;
    let unit_id = crate::units::id_of(conn, code).await?;
    allow(conn, scope, Action::ReportsSubmit, unit_id, &format!("unit '{code}'")).await?;
    let ctx = in_force(conn, code, template, period).await?;
    if ctx.level != ctx.form.level {
        return Err(Error::field(
            "unit",
            format!(
                "{} is a {} unit; {} collects the figures of {} units",
                ctx.unit_name,
                ctx.level.as_str(),
                ctx.resolved.plugin.plugin_id,
                ctx.form.level.as_str()
            ),
        ));
    }
    begun(&ctx, today)?;
    // -0 is 0 (JSON may carry it; nobody means it).
    let mut input = input;
    for value in input.figures.values_mut() {
        if *value == 0.0 {
            *value = 0.0;
        }
    }
    let (reviewer_id, reviewer) = reviewer_of(conn, &ctx).await?;
    let check_open = |row: Option<&Row>, unlocked| {
        let status = row.map_or(Status::NotStarted, Row::status);
        if let Some(why) = closed(status, ctx.deadline, unlocked, today) {
            return Err(Error::Locked(closed_message(why, &ctx, &reviewer)));
        }
        // A submitted report is replaced by submitting again, never quietly withdrawn.
        if status == Status::Submitted && !input.submit {
            return Err(Error::Conflict(format!(
                "the {} report of {} for {} is submitted: submit the corrected figures again (they replace \
                 the submitted ones), or ask {reviewer} to return it",
                ctx.resolved.plugin.plugin_id, ctx.unit_name, ctx.period.id
            )));
        }
        Ok(())
    };
    let row = load(conn, unit_id, template, &ctx.period.id).await?;
    let unlocked = unlocked_until(conn, unit_id, template, &ctx.period.id, today).await?;
    check_open(row.as_ref(), unlocked)?;

    let values: Vec<h::IndicatorValue> = input
        .figures
        .iter()
        .map(|(code, value)| h::IndicatorValue { code: code.clone(), value: *value })
        .collect();
    let structural = super::form::check_figures(&ctx.form, &values);
    // Even a draft refuses what cannot be kept: an indicator the form lacks, a figure too large
    // to be real (beyond MAX_FIGURE it would come back changed).
    let unkeepable: Vec<FieldError> = structural
        .iter()
        .filter(|f| {
            f.code == "chi-tieu-khong-co"
                || input
                    .figures
                    .get(&f.indicator)
                    .is_some_and(|v| v.abs() > crate::plugins::registry::MAX_FIGURE)
        })
        .map(detail)
        .collect();
    if !unkeepable.is_empty() {
        return Err(Error::Validation(unkeepable));
    }
    let mut confirmed = Vec::new();
    if input.submit {
        let errors: Vec<&SubmissionFinding> =
            structural.iter().filter(|f| f.severity == Severity::Error).collect();
        let mut findings = structural.clone();
        if errors.is_empty() {
            let previous_period = ctx.period.previous(ctx.form.cut_off);
            let previous = received_figures(conn, unit_id, template, previous_period.as_ref()).await?;
            let submission = h::Submission {
                unit_code: ctx.unit_code.clone(),
                unit_name: ctx.unit_name.clone(),
                period: ctx.period.clone(),
                values: values.clone(),
                previous: previous
                    .map(|p| p.into_iter().map(|(code, value)| h::IndicatorValue { code, value }).collect()),
            };
            let call =
                crate::plugins::prepare(conn, runtime, &ctx.resolved.plugin, &ctx.resolved.params).await?;
            drop(pooled);
            let (judged, _usage) = call
                .call(runtime, move |runtime, loaded, label, params| {
                    runtime.validate_submission(loaded, label, &submission, params)
                })
                .await?;
            findings = judged;
        } else {
            drop(pooled);
        }
        let errors: Vec<FieldError> =
            findings.iter().filter(|f| f.severity == Severity::Error).map(detail).collect();
        if !errors.is_empty() {
            return Err(Error::Submission {
                message: format!(
                    "the figures have {} error(s); nothing was submitted: {}",
                    errors.len(),
                    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ")
                ),
                findings: errors,
            });
        }
        let warnings: Vec<&SubmissionFinding> =
            findings.iter().filter(|f| f.severity == Severity::Warning).collect();
        let unconfirmed: Vec<FieldError> =
            warnings.iter().filter(|w| !input.confirm.contains(&warning_key(w))).map(|w| detail(w)).collect();
        if !unconfirmed.is_empty() {
            return Err(Error::ConfirmationRequired {
                message: format!(
                    "confirm {} warning(s) to submit (send each as code@indicator in confirm); nothing was submitted",
                    unconfirmed.len()
                ),
                findings: unconfirmed,
            });
        }
        confirmed = warnings.into_iter().cloned().collect();
    } else {
        drop(pooled);
    }

    // Apply, if the state still allows it.
    let mut tx = db.begin_write().await?;
    super::compiled::ensure_open(&mut tx, reviewer_id, &reviewer, template, &ctx.period.id).await?;
    let row = load(&mut tx, unit_id, template, &ctx.period.id).await?;
    let unlocked = unlocked_until(&mut tx, unit_id, template, &ctx.period.id, today).await?;
    check_open(row.as_ref(), unlocked)?;
    let stamp = stamp_on(today);
    let figures = serde_json::to_string(&input.figures).expect("numbers serialise");
    let (status, late, first_submitted_on) = if input.submit {
        let first = row.as_ref().and_then(|r| r.first_submitted_on.clone());
        let late = match &first {
            Some(_) => row.as_ref().is_some_and(|r| r.late == 1),
            None => today > ctx.deadline,
        };
        (Status::Submitted, late, Some(first.unwrap_or_else(|| dates::iso(today))))
    } else {
        let keep = row.as_ref().map(|r| (r.late == 1, r.first_submitted_on.clone()));
        let (late, first) = keep.unwrap_or((false, None));
        // A returned report being corrected stays returned (and open) until submitted again.
        let status = if row.as_ref().is_some_and(|r| r.status() == Status::Returned) {
            Status::Returned
        } else {
            Status::Draft
        };
        (status, late, first)
    };
    let confirmed_json = serde_json::to_string(&confirmed).expect("findings serialise");
    // A draft keeps when (and by whom) it was last submitted; a submission records itself.
    let (submitted_at, submitted_by) = match input.submit {
        true => (Some(stamp.clone()), Some(actor.name.clone())),
        false => row.as_ref().map_or((None, None), |r| (r.submitted_at.clone(), r.submitted_by.clone())),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO report_submissions (unit_id, template, period, plugin_ref, figures, status, late, \
         first_submitted_on, submitted_at, submitted_by, confirmed, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (unit_id, template, period) DO UPDATE SET plugin_ref = excluded.plugin_ref, \
         figures = excluded.figures, status = excluded.status, late = excluded.late, \
         first_submitted_on = excluded.first_submitted_on, submitted_at = excluded.submitted_at, \
         submitted_by = excluded.submitted_by, confirmed = excluded.confirmed, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by RETURNING id",
    )
    .bind(unit_id)
    .bind(template)
    .bind(&ctx.period.id)
    .bind(ctx.plugin_ref)
    .bind(&figures)
    .bind(status.as_str())
    .bind(late as i64)
    .bind(&first_submitted_on)
    .bind(submitted_at)
    .bind(submitted_by)
    .bind(&confirmed_json)
    .bind(&stamp)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    let before = row.as_ref().map(|r| (r.status.clone(), r.figures()));
    let before = before.as_ref().map(|(status, figures)| Audited {
        status,
        figures,
        late: row.as_ref().is_some_and(|r| r.late == 1),
        confirmed: &[],
    });
    let after = Audited { status: status.as_str(), figures: &input.figures, late, confirmed: &confirmed };
    let action = if input.submit { "submit" } else { "save" };
    let change =
        Change::new(action, "report_submission", id, Some(unit_id)).before(before.as_ref()).after(&after);
    audit::record(&mut tx, actor, change).await?;
    // The answer shows this change, not a later one of another writer.
    let answer = view(&mut tx, &ctx, today).await?;
    tx.commit().await?;
    Ok(answer)
}

/// The instant recorded for a change made on `today`: now, or for a day in the past (the demo
/// entering 2022's reports, a back-dated load) 09:00 in Viet Nam that day, so that the times
/// shown agree with the days the deadline was judged on.
pub(crate) fn stamp_on(today: NaiveDate) -> String {
    if today >= dates::today() { now() } else { format!("{}T02:00:00Z", dates::iso(today)) }
}

/// What the unit above decides about a submission.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum Review {
    /// The figures go into the report compiled above. Not by the person who submitted them.
    Accept {
        /// The `submitted_at` of the figures the reviewer read: when given and the unit has
        /// submitted again since, the answer is 409 instead of accepting unread figures.
        #[serde(default)]
        submitted_at: Option<String>,
    },
    /// Back to the unit, which may correct and submit them again whatever the deadline.
    Return {
        /// Why, for the unit (required).
        reason: String,
    },
}

/// Accepts or returns a unit's submission for a period, on `today`. Needs `ReportsReview` at
/// the unit above (its parent on the period's last day). Errors: those of [`in_force`];
/// 422 for a return without a reason; 409 [`Error::Conflict`] when there is nothing submitted
/// to accept (or to return), [`Error::Locked`] when the report compiled above has been
/// approved (it must be returned from above first).
#[allow(clippy::too_many_arguments)]
pub async fn review(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    template: &str,
    period: &str,
    decision: Review,
) -> Result<SubmissionView> {
    let mut conn = db.pool.acquire().await?;
    let ctx = in_force(&mut conn, code, template, period).await?;
    let (reviewer_id, reviewer_name) = reviewer_of(&mut conn, &ctx).await?;
    let reviewer_code = crate::units::code_of(&mut conn, reviewer_id).await?;
    allow(&mut conn, scope, Action::ReportsReview, reviewer_id, &format!("unit '{reviewer_code}'")).await?;
    let returned = match &decision {
        Review::Return { reason: given } => Some(reason(given, "reason", "the figures are returned")?),
        Review::Accept { .. } => None,
    };
    drop(conn);

    let mut tx = db.begin_write().await?;
    super::compiled::ensure_open(&mut tx, reviewer_id, &reviewer_name, template, &ctx.period.id).await?;
    let row = load(&mut tx, ctx.unit_id, template, &ctx.period.id).await?;
    let status = row.as_ref().map_or(Status::NotStarted, Row::status);
    let (action, next, reason) = match (&decision, status) {
        (Review::Accept { .. }, Status::Submitted) => ("accept", Status::Accepted, None),
        (Review::Return { .. }, Status::Submitted | Status::Accepted) => {
            ("return", Status::Returned, returned)
        }
        (Review::Accept { .. }, other) | (Review::Return { .. }, other) => {
            return Err(Error::Conflict(format!(
                "the {template} report of {} for {} is {}; only submitted figures can be accepted, and \
                 submitted or accepted ones returned",
                ctx.unit_name,
                ctx.period.id,
                other.as_str().replace('_', " ")
            )));
        }
    };
    let row = row.expect("a submitted row");
    if let Review::Accept { submitted_at: Some(seen) } = &decision
        && row.submitted_at.as_deref() != Some(seen.as_str())
    {
        return Err(Error::Conflict(format!(
            "{} submitted its figures again since they were read; read them again before accepting",
            ctx.unit_name
        )));
    }
    // Two people: who entered the figures does not accept them.
    if next == Status::Accepted && row.submitted_by.as_deref() == Some(actor.name.as_str()) {
        return Err(Error::Forbidden(format!(
            "you submitted these figures for {}; another officer of {reviewer_name} accepts them",
            ctx.unit_name
        )));
    }
    let stamp = now();
    sqlx::query(
        "UPDATE report_submissions SET status = $1, reviewed_at = $2, reviewed_by = $3, return_reason = $4, \
         updated_at = $5, updated_by = $6 WHERE id = $7",
    )
    .bind(next.as_str())
    .bind(&stamp)
    .bind(&actor.name)
    .bind(&reason)
    .bind(&stamp)
    .bind(&actor.name)
    .bind(row.id)
    .execute(&mut *tx)
    .await?;
    let mut change = Change::new(action, "report_submission", row.id, Some(ctx.unit_id))
        .before(Some(&serde_json::json!({"status": status.as_str()})))
        .after(&serde_json::json!({"status": next.as_str()}));
    change.reason = reason;
    audit::record(&mut tx, actor, change).await?;
    // The answer shows this change, not a later one of another writer.
    let answer = view(&mut tx, &ctx, dates::today()).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Opening a closed form again for one unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockInput {
    /// Why (required; kept in the audit trail).
    pub reason: String,
    /// The last day it stays open, yyyy-mm-dd or dd/mm/yyyy: today at the earliest, at most 90
    /// days ahead.
    pub open_until: String,
}

/// The longest reason kept (a return, an unlock): a paragraph, not a document.
pub const MAX_REASON_CHARS: usize = 2000;

/// A reason given for a step: required (text of only spaces or zero-width characters is no
/// reason), at most [`MAX_REASON_CHARS`], no [`crate::text::forbidden_char`] (line breaks are
/// kept). Returns it trimmed. `why` completes "say why ...".
pub(crate) fn reason(given: &str, field: &str, why: &str) -> Result<String> {
    let text = given.trim();
    if crate::text::clean(text).is_empty() {
        return Err(Error::field(field, format!("say why {why}")));
    }
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(Error::field(field, format!("at most {MAX_REASON_CHARS} characters")));
    }
    if let Some(c) = crate::text::forbidden_char(text) {
        return Err(Error::field(field, crate::text::forbidden_reason(c)));
    }
    Ok(text.to_string())
}

/// Refuses a period that has not begun on `today`: figures are entered for a period once its
/// first counted day has come.
fn begun(ctx: &InForce, today: NaiveDate) -> Result<()> {
    if ctx.period.start > today {
        return Err(Error::field(
            "period",
            format!(
                "{} has not begun: figures can be entered from {}",
                ctx.period.id,
                dates::display(ctx.period.start)
            ),
        ));
    }
    Ok(())
}

/// How far ahead an unlock may reach: a late report is chased in weeks, not seasons.
pub const MAX_UNLOCK_DAYS: i64 = 90;

/// Opens the unit's form for the period again until a day, on `today`. Needs `ReportsReview`
/// at the unit above. Errors: those of [`in_force`]; 422 for a missing reason or a day in the
/// past or more than [`MAX_UNLOCK_DAYS`] ahead; 409 when the figures were accepted (return them
/// instead).
#[allow(clippy::too_many_arguments)]
pub async fn unlock(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    template: &str,
    period: &str,
    input: UnlockInput,
    today: NaiveDate,
) -> Result<SubmissionView> {
    let mut conn = db.pool.acquire().await?;
    let ctx = in_force(&mut conn, code, template, period).await?;
    let (reviewer_id, reviewer_name) = reviewer_of(&mut conn, &ctx).await?;
    let reviewer_code = crate::units::code_of(&mut conn, reviewer_id).await?;
    allow(&mut conn, scope, Action::ReportsReview, reviewer_id, &format!("unit '{reviewer_code}'")).await?;
    begun(&ctx, today)?;
    if today <= ctx.deadline {
        return Err(Error::Conflict(format!(
            "the form of {} for {} is open until its deadline, {}: there is nothing to open",
            ctx.unit_name,
            ctx.period.id,
            dates::display(ctx.deadline)
        )));
    }
    let mut p = crate::error::Problems::default();
    let why = reason(&input.reason, "reason", "the form is opened again").map_err(|e| match e {
        Error::Validation(f) => p.0.extend(f),
        _ => unreachable!("reason() gives validation errors"),
    });
    let until = dates::parse(&input.open_until);
    match until {
        None => p.add("open_until", format!("'{}' is not a date", input.open_until)),
        Some(d) if d < today => p.add("open_until", format!("{} is in the past", dates::display(d))),
        Some(d) if (d - today).num_days() > MAX_UNLOCK_DAYS => {
            p.add("open_until", format!("at most {MAX_UNLOCK_DAYS} days ahead ({})", dates::display(d)))
        }
        Some(_) => {}
    }
    p.into_result()?;
    let (until, why) = (until.expect("checked"), why.expect("checked"));
    drop(conn);

    let mut tx = db.begin_write().await?;
    super::compiled::ensure_open(&mut tx, reviewer_id, &reviewer_name, template, &ctx.period.id).await?;
    let row = load(&mut tx, ctx.unit_id, template, &ctx.period.id).await?;
    match row.as_ref().map(Row::status) {
        Some(Status::Accepted) => {
            return Err(Error::Conflict(format!(
                "the figures of {} for {} were accepted; return them to let the unit change them",
                ctx.unit_name, ctx.period.id
            )));
        }
        Some(Status::Returned) => {
            return Err(Error::Conflict(format!(
                "the figures of {} for {} were returned, which keeps the form open until they are submitted again",
                ctx.unit_name, ctx.period.id
            )));
        }
        _ => {}
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO report_unlocks (unit_id, template, period, open_until, reason, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(ctx.unit_id)
    .bind(template)
    .bind(&ctx.period.id)
    .bind(dates::iso(until))
    .bind(&why)
    .bind(now())
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    // Filed under the unit, template and period (there may be no submission yet): the
    // submission's timeline reads it from there.
    let key = unlock_key(&ctx.unit_code, template, &ctx.period.id);
    let mut change =
        Change::new("unlock", "report_unlock", &key, Some(ctx.unit_id)).after(&serde_json::json!({
            "id": id, "open_until": dates::iso(until)
        }));
    change.reason = Some(why);
    audit::record(&mut tx, actor, change).await?;
    let answer = view(&mut tx, &ctx, today).await?;
    tx.commit().await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    #[test]
    fn saves_in_a_row_by_one_person_are_one_step() {
        use super::{Step, fold_saves};
        let step = |at: &str, who: &str, action: &str| {
            // Both accounts are shown by the office's name.
            let s = Step {
                at: at.into(),
                actor: "UBND xã".into(),
                action: action.into(),
                reason: None,
                times: 1,
            };
            (s, who.to_string())
        };
        let folded = fold_saves([
            step("1", "7", "save"),
            step("2", "7", "save"),
            step("3", "7", "save"),
            step("4", "8", "save"),
            step("5", "7", "submit"),
            step("6", "7", "save"),
        ]);
        let seen: Vec<(&str, &str, u32)> =
            folded.iter().map(|s| (s.at.as_str(), s.action.as_str(), s.times)).collect();
        assert_eq!(seen, [("3", "save", 3), ("4", "save", 1), ("5", "submit", 1), ("6", "save", 1)]);
    }
    use super::*;

    fn d(s: &str) -> NaiveDate {
        dates::parse(s).unwrap()
    }

    #[test]
    fn a_form_closes_after_its_deadline_unless_opened_again_or_returned() {
        let deadline = d("2022-09-18");
        assert_eq!(closed(Status::NotStarted, deadline, None, d("2022-09-18")), None);
        assert_eq!(closed(Status::Draft, deadline, None, d("2022-09-19")), Some(Closed::PastDeadline));
        assert_eq!(closed(Status::Submitted, deadline, None, d("2022-09-19")), Some(Closed::PastDeadline));
        assert_eq!(closed(Status::Draft, deadline, Some(d("2022-09-30")), d("2022-09-19")), None);
        assert_eq!(closed(Status::Returned, deadline, None, d("2023-01-01")), None);
        assert_eq!(closed(Status::Accepted, deadline, None, d("2022-09-01")), Some(Closed::Accepted));
        assert_eq!(
            closed(Status::Accepted, deadline, Some(d("2022-09-30")), d("2022-09-19")),
            Some(Closed::Accepted)
        );
    }
}
