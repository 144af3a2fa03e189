//! The reporting workflow's pages, one address per unit, template and period
//! (`/reporting/{unit}/{template}/{period}`):
//! - for a unit of the form's level (a commune): its form, with the figures typed the
//!   Vietnamese way (`1.234`, `12,5`) beside the previous period's, "save" and "submit"
//!   buttons, the warnings to confirm, the deadline and why it is closed; for the unit above,
//!   accept or return with a reason, and open the form again after the deadline;
//! - for a unit above it (a district): completeness with who has not reported and their
//!   officers, timeliness over the last periods, the report's lines and totals, and the steps
//!   compile, approve, send (and, for the level above, return), with the documents to download.
//!
//! Every action calls the same service as the API ([`crate::reports::submissions`],
//! [`crate::reports::compiled`]); a refusal brings the page back with what was typed and the
//! reasons in Vietnamese; success redirects (post/redirect/get).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Serialize;

use super::forms::FormErrors;
use super::{Ctx, Signed, WebResult, check_csrf, page};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::error::Error;
use crate::reports::compiled::{self, Decision, ReportStatus, ReportView};
use crate::reports::submissions::{self, Review, Status, SubmissionInput, SubmissionView, UnlockInput};
use crate::units::Level;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reporting/{code}/{template}/{period}", get(show))
        .route("/reporting/{code}/{template}/{period}/save", post(save))
        .route("/reporting/{code}/{template}/{period}/review", post(review))
        .route("/reporting/{code}/{template}/{period}/unlock", post(unlock))
        .route("/reporting/{code}/{template}/{period}/compile", post(compile))
        .route("/reporting/{code}/{template}/{period}/decision", post(decide))
}

type Key = (String, String, String);
type Fields = BTreeMap<String, String>;

fn address((code, template, period): &Key) -> String {
    format!("/reporting/{code}/{template}/{period}")
}

/// `1.234,5`: a figure as people read it.
fn figure(v: f64) -> String {
    crate::reports::form::shown(v)
}

fn when(stamp: &Option<String>) -> String {
    stamp.as_deref().and_then(crate::dates::display_instant).unwrap_or_default()
}

#[derive(Serialize)]
struct Step {
    on: String,
    actor: String,
    action: String,
    reason: Option<String>,
    /// Saves in a row by the same person, shown as one line ("×12").
    times: u32,
}

fn steps(ctx: &Ctx, timeline: &[submissions::Step]) -> Vec<Step> {
    timeline
        .iter()
        .map(|s| Step {
            on: crate::dates::display_instant(&s.at).unwrap_or_default(),
            actor: s.actor.clone(),
            action: ctx.t(&format!("reporting.step.{}", s.action)),
            times: s.times,
            reason: s.reason.clone(),
        })
        .collect()
}

async fn can(state: &AppState, ctx: &Ctx, action: Action, code: &str) -> WebResult<bool> {
    let mut conn = state.db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    Ok(ctx.principal().can(&mut conn, action, Target { unit_id, team_id: None }).await?)
}

/// Whether `code` reports on the form (its level) rather than compiles it (a level above).
async fn reports_on_form(state: &AppState, key: &Key) -> WebResult<bool> {
    let mut conn = state.db.pool.acquire().await?;
    let ctx = submissions::in_force(&mut conn, &key.0, &key.1, &key.2).await?;
    Ok(ctx.level == ctx.form.level)
}

async fn show(State(state): State<AppState>, Signed(ctx): Signed, Path(key): Path<Key>) -> Response {
    let built: WebResult = async {
        if reports_on_form(&state, &key).await? {
            submission_page(&state, &ctx, &key, Fields::new(), FormErrors::default(), Vec::new()).await
        } else {
            report_page(&state, &ctx, &key, FormErrors::default()).await
        }
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

#[derive(Serialize)]
struct Line {
    field: String,
    code: String,
    name: String,
    unit: String,
    required: bool,
    value: String,
    previous: String,
}

#[derive(Serialize)]
struct Warning {
    key: String,
    message: String,
}

/// The status of a unit's report, for people.
fn status_words(ctx: &Ctx, view: &SubmissionView) -> String {
    let mut words = ctx.t(&format!("reporting.status.{}", view.status.as_str()));
    if view.late && view.status.received() {
        words.push_str(&format!(" ({})", ctx.t("reporting.late")));
    }
    words
}

/// Why the form is closed, in the user's language.
fn closed_words(ctx: &Ctx, view: &SubmissionView) -> Option<String> {
    if view.period.start > crate::dates::today() {
        return Some(
            ctx.t("reporting.not_begun").replace("{start}", &crate::dates::display(view.period.start)),
        );
    }
    if view.open {
        return None;
    }
    let text = if view.frozen {
        ctx.t("reporting.frozen_text")
    } else if view.status == Status::Accepted {
        ctx.t("reporting.closed_accepted")
    } else {
        ctx.t("reporting.closed_deadline").replace("{deadline}", &crate::dates::display(view.deadline))
    };
    Some(text.replace("{reviewer}", &view.reviewer_name))
}

async fn submission_page(
    state: &AppState,
    ctx: &Ctx,
    key: &Key,
    typed: Fields,
    errors: FormErrors,
    warnings: Vec<Warning>,
) -> WebResult {
    let principal = ctx.principal();
    let view =
        submissions::get(&state.db, Some(principal), &key.0, &key.1, &key.2, crate::dates::today()).await?;
    let may_submit = can(state, ctx, Action::ReportsSubmit, &key.0).await?;
    let may_review = can(state, ctx, Action::ReportsReview, &view.reviewer_code).await?;
    let lines: Vec<Line> = view
        .indicators
        .iter()
        .map(|i| {
            let field = format!("f.{}", i.code);
            let value = typed
                .get(&field)
                .cloned()
                .unwrap_or_else(|| view.figures.get(&i.code).map(|v| figure(*v)).unwrap_or_default());
            let previous =
                view.previous.as_ref().and_then(|p| p.get(&i.code)).map(|v| figure(*v)).unwrap_or_default();
            let name = if ctx.lang == super::Lang::En { i.name_en.clone() } else { i.name.clone() };
            Line {
                field,
                code: i.code.clone(),
                name,
                unit: i.unit.clone(),
                required: i.required,
                value,
                previous,
            }
        })
        .collect();
    let status = errors.status();
    let mut response = page(
        ctx,
        "reporting_form.html",
        "reports",
        minijinja::context! {
            key => address(key),
            period => key.2.clone(),
            report => minijinja::context! {
                unit_code => view.unit_code, unit_name => view.unit_name, period_label => view.period_label,
                deadline => crate::dates::display(view.deadline), status => view.status.as_str(),
                status_words => status_words(ctx, &view), open => view.open,
                open_until => view.open_until.map(crate::dates::display), closed => closed_words(ctx, &view),
                reviewer_code => view.reviewer_code, reviewer_name => view.reviewer_name,
                return_reason => view.return_reason, submitted_at => when(&view.submitted_at),
                submitted_stamp => view.submitted_at.clone().unwrap_or_default(),
                confirmed => view.confirmed.iter().map(|f| f.message.clone()).collect::<Vec<_>>(),
                template => view.template, version => view.version,
            },
            lines, warnings, errors,
            timeline => steps(ctx, &view.timeline),
            may_submit => may_submit && view.open && view.period.start <= crate::dates::today(),
            may_review => may_review && matches!(view.status, Status::Submitted | Status::Accepted),
            may_unlock => may_review && !view.open && view.status != Status::Accepted,
            unlock_default => crate::dates::display(crate::dates::today() + chrono::Duration::days(7)),
            reason => typed.get("reason").cloned().unwrap_or_default(),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

fn fields(form: Vec<(String, String)>) -> (Fields, Vec<String>) {
    let mut out = Fields::new();
    let mut confirm = Vec::new();
    for (k, v) in form {
        if k == "confirm" {
            confirm.push(v);
        } else {
            out.insert(k, v.trim().to_string());
        }
    }
    (out, confirm)
}

/// The form's indicator names by code, in the user's language.
async fn indicator_names(state: &AppState, ctx: &Ctx, key: &Key) -> WebResult<BTreeMap<String, String>> {
    let mut conn = state.db.pool.acquire().await?;
    let form = submissions::in_force(&mut conn, &key.0, &key.1, &key.2).await?.form;
    Ok(form
        .indicators
        .into_iter()
        .map(|i| (i.code, if ctx.lang == super::Lang::En { i.name_en } else { i.name }))
        .collect())
}

async fn save(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(key): Path<Key>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let done: WebResult = async {
        let (typed, confirm) = fields(form);
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        let submit = typed.get("action").is_some_and(|a| a == "submit");
        let names = indicator_names(&state, &ctx, &key).await?;
        let label = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
        let mut figures = BTreeMap::new();
        let mut errors = FormErrors::new(ctx.t("form.invalid"));
        for (name, value) in &typed {
            let Some(code) = name.strip_prefix("f.") else { continue };
            if value.is_empty() {
                continue;
            }
            match crate::text::parse_number(value) {
                Some(v) => {
                    figures.insert(code.to_string(), v);
                }
                None => {
                    errors.field(name, &label(code), ctx.t("report.not_a_number").replace("{typed}", value));
                }
            }
        }
        if !errors.problems.is_empty() {
            return submission_page(&state, &ctx, &key, typed, errors, Vec::new()).await;
        }
        let input = SubmissionInput { figures, submit, confirm };
        let principal = ctx.principal();
        let today = crate::dates::today();
        let outcome = submissions::save(
            &state.db,
            &state.plugins,
            Some(principal),
            &principal.actor(),
            &key.0,
            &key.1,
            &key.2,
            input,
            today,
        )
        .await;
        let (errors, warnings) = match outcome {
            Ok(_) => {
                let ok = if submit { "reporting.submitted" } else { "reporting.saved" };
                return Ok(Redirect::to(&format!("{}?ok={ok}", address(&key))).into_response());
            }
            Err(Error::Submission { findings, .. }) => {
                let mut errors = FormErrors::new(ctx.t("reporting.not_submitted"));
                for f in findings {
                    let field = f.field.replacen("figures.", "f.", 1);
                    // The host's and the template's messages name the indicator already; a
                    // message that does not gets the name in front.
                    let name = label(f.field.strip_prefix("figures.").unwrap_or(""));
                    let text = if f.message.starts_with(&name) {
                        f.message.clone()
                    } else {
                        format!("{name}: {}", f.message)
                    };
                    errors.problems.push(super::forms::Problem { field: Some(field.clone()), text });
                    errors.fields.entry(field).or_insert(f.message);
                }
                (errors, Vec::new())
            }
            Err(Error::ConfirmationRequired { findings, .. }) => {
                let warnings = findings
                    .into_iter()
                    .map(|f| Warning {
                        key: format!(
                            "{}@{}",
                            f.code.unwrap_or_default(),
                            f.field.trim_start_matches("figures.")
                        ),
                        message: f.message,
                    })
                    .collect();
                (FormErrors::new(ctx.t("reporting.confirm_needed")), warnings)
            }
            Err(Error::Locked(_)) => {
                let mut errors = FormErrors::new(ctx.t("reporting.locked"));
                errors.note(ctx.t("reporting.locked_text"));
                (errors, Vec::new())
            }
            Err(Error::Plugin(crate::plugins::PluginFailure::Refused { message, .. })) => {
                let mut errors = FormErrors::new(ctx.t("reporting.not_submitted"));
                errors.note(message);
                (errors, Vec::new())
            }
            Err(e) => {
                let e =
                    super::forms::rename_fields(e, |f| f.strip_prefix("figures.").map(|c| format!("f.{c}")));
                (FormErrors::from_error(&ctx, e, |f| label(f.trim_start_matches("f.")))?, Vec::new())
            }
        };
        submission_page(&state, &ctx, &key, typed, errors, warnings).await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn review(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(key): Path<Key>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let done: WebResult = async {
        let (typed, _) = fields(form);
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        let accept = typed.get("decision").is_some_and(|d| d == "accept");
        let decision = if accept {
            // The figures the reviewer read: if the unit submits again meanwhile, no accept.
            Review::Accept { submitted_at: typed.get("submitted_at").cloned().filter(|s| !s.is_empty()) }
        } else {
            Review::Return { reason: typed.get("reason").cloned().unwrap_or_default() }
        };
        let principal = ctx.principal();
        let outcome = submissions::review(
            &state.db,
            Some(principal),
            &principal.actor(),
            &key.0,
            &key.1,
            &key.2,
            decision,
        )
        .await;
        let ok = if accept { "reporting.accepted" } else { "reporting.returned" };
        answer(&state, &ctx, &key, outcome, ok, Back::Form(typed)).await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

/// The page a step's refusal comes back on: the unit's form (with what was typed), or the
/// report page.
enum Back {
    Form(Fields),
    Report,
}

/// The answer to a review, unlock or report step: back to its page with `?ok=` when done
/// (post/redirect/get), or the page again with the refusal in the user's language.
async fn answer<T>(
    state: &AppState,
    ctx: &Ctx,
    key: &Key,
    outcome: crate::error::Result<T>,
    ok: &str,
    back: Back,
) -> WebResult {
    let e = match outcome {
        Ok(_) => return Ok(Redirect::to(&format!("{}?ok={ok}", address(key))).into_response()),
        Err(e) => e,
    };
    let errors = refusal(ctx, e)?;
    match back {
        Back::Form(typed) => submission_page(state, ctx, key, typed, errors, Vec::new()).await,
        Back::Report => report_page(state, ctx, key, errors).await,
    }
}

/// A refused review, unlock or report step, in the user's language.
fn refusal(ctx: &Ctx, e: Error) -> WebResult<FormErrors> {
    Ok(match e {
        Error::Locked(_) => {
            let mut errors = FormErrors::new(ctx.t("reporting.locked"));
            errors.note(ctx.t("reporting.frozen_text"));
            errors
        }
        Error::Conflict(message) => {
            let mut errors = FormErrors::new(ctx.t("form.not_saved"));
            // The two refusals a district meets on its report page say what to do; any other
            // is a change someone else made meanwhile.
            if let Some(units) =
                message.strip_prefix("accept or return the figures waiting for review first: ")
            {
                errors.note(ctx.t("reporting.pending_review").replace("{units}", units));
            } else if let Some(units) = message
                .strip_prefix("the figures of ")
                .and_then(|m| m.split_once(" changed since the report was compiled"))
                .map(|(units, _)| units)
            {
                errors.note(ctx.t("reporting.stale").replace("{units}", units));
            } else {
                errors.note(ctx.t("reporting.changed_meanwhile"));
            }
            errors
        }
        // The one refusal a reviewer meets on their own page: accepting what they entered.
        Error::Forbidden(_) => {
            let mut errors = FormErrors::new(ctx.t("form.not_saved"));
            errors.note(ctx.t("reporting.own_figures"));
            errors
        }
        other => FormErrors::from_error(ctx, other, |f| ctx.t(&format!("reporting.field.{f}")))?,
    })
}

async fn unlock(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(key): Path<Key>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let done: WebResult = async {
        let (typed, _) = fields(form);
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        let input = UnlockInput {
            reason: typed.get("reason").cloned().unwrap_or_default(),
            open_until: typed.get("open_until").cloned().unwrap_or_default(),
        };
        let principal = ctx.principal();
        let today = crate::dates::today();
        let outcome = submissions::unlock(
            &state.db,
            Some(principal),
            &principal.actor(),
            &key.0,
            &key.1,
            &key.2,
            input,
            today,
        )
        .await;
        answer(&state, &ctx, &key, outcome, "reporting.unlocked", Back::Form(typed)).await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

#[derive(Serialize)]
struct UnitLine {
    code: String,
    name: String,
    under: String,
    status: String,
    status_key: String,
    late: bool,
    submitted: String,
    officers: String,
}

#[derive(Serialize)]
struct Bar {
    label: String,
    on_time: f64,
    late: f64,
    text: String,
}

async fn report_page(state: &AppState, ctx: &Ctx, key: &Key, errors: FormErrors) -> WebResult {
    let principal = ctx.principal();
    let report: ReportView = compiled::get(&state.db, Some(principal), &key.0, &key.1, &key.2).await?;
    let completeness =
        crate::reports::rollup::completeness(&state.db, Some(principal), &key.0, &key.1, &key.2).await?;
    let may_review = can(state, ctx, Action::ReportsReview, &key.0).await?;
    let may_approve = can(state, ctx, Action::ReportsApprove, &key.0).await?;
    let parent = {
        let mut conn = state.db.pool.acquire().await?;
        let unit_id = crate::units::id_of(&mut conn, &key.0).await?;
        let end = crate::dates::iso(report.period.end);
        crate::units::ancestors_or_self(&mut conn, unit_id, &end).await?.get(1).copied()
    };
    let may_return = match parent {
        Some(p) => {
            let mut conn = state.db.pool.acquire().await?;
            principal.can(&mut conn, Action::ReportsReview, Target { unit_id: p, team_id: None }).await?
        }
        None => false,
    };
    let indicators: Vec<_> = {
        let mut conn = state.db.pool.acquire().await?;
        submissions::in_force(&mut conn, &key.0, &key.1, &key.2).await?.form.indicators
    };
    let names: BTreeMap<String, String> = indicators
        .iter()
        .map(|i| {
            (i.code.clone(), if ctx.lang == super::Lang::En { i.name_en.clone() } else { i.name.clone() })
        })
        .collect();
    let totals: Vec<_> = indicators
        .iter()
        .filter_map(|i| {
            let now = report.totals.get(&i.code)?;
            let before = report.previous_totals.get(&i.code).map(|v| figure(*v)).unwrap_or_default();
            Some(minijinja::context! { name => names[&i.code].clone(), unit => i.unit.clone(), value => figure(*now), previous => before })
        })
        .collect();
    let units: Vec<UnitLine> = completeness
        .units
        .iter()
        .map(|u| UnitLine {
            code: u.report.unit_code.clone(),
            name: u.report.unit_name.clone(),
            under: u.report.under_name.clone(),
            status: ctx.t(&format!("reporting.status.{}", u.report.status.as_str())),
            status_key: u.report.status.as_str().to_string(),
            late: u.report.late,
            submitted: u.report.first_submitted_on.map(crate::dates::display).unwrap_or_default(),
            officers: u.officers.join(", "),
        })
        .collect();
    let bars: Vec<Bar> = completeness
        .history
        .iter()
        .map(|h| Bar {
            label: h.period_label.clone(),
            on_time: if h.summary.expected == 0 {
                0.0
            } else {
                100.0 * h.summary.on_time as f64 / h.summary.expected as f64
            },
            late: if h.summary.expected == 0 {
                0.0
            } else {
                100.0 * h.summary.late as f64 / h.summary.expected as f64
            },
            text: format!(
                "{}/{} · {} {}",
                h.summary.received,
                h.summary.expected,
                h.summary.late,
                ctx.t("reporting.late")
            ),
        })
        .collect();
    let summary = completeness.summary;
    let status = errors.status();
    let mut response = page(
        ctx,
        "reporting_report.html",
        "reports",
        minijinja::context! {
            key => address(key),
            report => minijinja::context! {
                unit_code => report.unit_code, unit_name => report.unit_name, period_label => report.period_label,
                template => report.template, period => report.period.id, status => report.status.as_str(),
                status_words => ctx.t(&format!("reporting.report.{}", report.status.as_str())),
                version => report.version, compiled_at => when(&report.compiled_at), compiled_by => report.compiled_by,
                approved_at => when(&report.approved_at), approved_by => report.approved_by,
                sent_at => when(&report.sent_at), return_reason => report.return_reason,
                deadline => crate::dates::display(completeness.deadline),
            },
            summary => minijinja::context! {
                expected => summary.expected, received => summary.received, on_time => summary.on_time,
                late => summary.late, returned => summary.returned, missing => summary.missing,
                completeness => sohoa_sdk::text::decimal(summary.completeness_rate, 1),
                timeliness => sohoa_sdk::text::decimal(summary.timeliness_rate, 1),
            },
            units, bars, totals, errors,
            timeline => steps(ctx, &report.timeline),
            compiled => report.status != ReportStatus::NotCompiled,
            may_compile => may_review && matches!(report.status, ReportStatus::NotCompiled | ReportStatus::Compiled | ReportStatus::Returned),
            may_approve => may_approve && report.status == ReportStatus::Compiled,
            may_send => may_review && report.status == ReportStatus::Approved,
            may_return => may_return && report.status == ReportStatus::Sent,
            document => format!("/api/v1/units/{}/compiled/{}/{}/document", key.0, key.1, key.2),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn compile(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(key): Path<Key>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let done: WebResult = async {
        let (typed, _) = fields(form);
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        let principal = ctx.principal();
        let today = crate::dates::today();
        let outcome = compiled::compile(
            &state.db,
            &state.plugins,
            Some(principal),
            &principal.actor(),
            &key.0,
            &key.1,
            &key.2,
            today,
        )
        .await;
        answer(&state, &ctx, &key, outcome, "reporting.compiled", Back::Report).await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn decide(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(key): Path<Key>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let done: WebResult = async {
        let (typed, _) = fields(form);
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        let (decision, ok) = match typed.get("step").map(String::as_str) {
            Some("approve") => (Decision::Approve, "reporting.approved"),
            Some("send") => (Decision::Send, "reporting.sent"),
            _ => (
                Decision::Return { reason: typed.get("reason").cloned().unwrap_or_default() },
                "reporting.report_returned",
            ),
        };
        let principal = ctx.principal();
        let outcome = compiled::decide(
            &state.db,
            Some(principal),
            &principal.actor(),
            &key.0,
            &key.1,
            &key.2,
            decision,
        )
        .await;
        answer(&state, &ctx, &key, outcome, ok, Back::Report).await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

/// One line of the reporting list on the reports page: a unit's report for a period, to
/// enter (the unit reports on the form) or to compile (it is above).
#[derive(Debug, Serialize)]
pub struct Work {
    #[serde(skip)]
    end: chrono::NaiveDate,
    pub url: String,
    pub unit_name: String,
    pub template_name: String,
    pub period_label: String,
    /// "submit" or "compile".
    pub kind: &'static str,
    pub status: String,
    pub deadline: String,
}

/// How many periods of each form the reports page lists: the current one and those before.
const PERIODS_LISTED: usize = 4;

/// The reporting work of the user's units: for each unit where they may act (enter figures or
/// review) and each template with a form enabled there, the current period and the ones
/// before, and every earlier period with stored reports.
pub async fn work(state: &AppState, ctx: &Ctx) -> WebResult<Vec<Work>> {
    use crate::periods::Period;
    let principal = ctx.principal();
    let today = crate::dates::today();
    let mut conn = state.db.pool.acquire().await?;
    let mut roots = principal.roots(&mut conn, Action::ReportsSubmit, None).await?;
    roots.extend(principal.roots(&mut conn, Action::ReportsApprove, None).await?);
    roots.sort_unstable();
    roots.dedup();
    let mut out = Vec::new();
    for root in roots {
        let code = crate::units::code_of(&mut conn, root).await?;
        let Some(unit) = crate::units::version_on(&mut conn, root, &crate::dates::iso(today)).await? else {
            continue;
        };
        for resolved in
            crate::plugins::bindings::templates(&mut conn, root, &crate::dates::iso(today)).await?
        {
            let Some(form) = resolved.plugin.report_form.clone() else { continue };
            // A unit compiles the form of the level right below it (a district its communes'
            // reports, a commune its villages'); a province may compile any form below it.
            let next = match unit.level() {
                Level::Province => Level::District,
                Level::District => Level::Commune,
                Level::Commune | Level::Village => Level::Village,
            };
            let kind = if unit.level() == form.level {
                "submit"
            } else if form.level == next || (unit.level() == Level::Province && form.level > next) {
                "compile"
            } else {
                continue;
            };
            let template = resolved.plugin.plugin_id.clone();
            let mut periods: Vec<String> = Vec::new();
            let mut at = Period::containing(today, form.period_type, form.cut_off);
            while let Some(p) = at.take().filter(|_| periods.len() < PERIODS_LISTED) {
                at = p.previous(form.cut_off);
                periods.push(p.id);
            }
            let stored: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT period FROM report_submissions WHERE template = $1 ORDER BY period DESC",
            )
            .bind(&template)
            .fetch_all(&mut *conn)
            .await?;
            for p in stored {
                if !periods.contains(&p) {
                    periods.push(p);
                }
            }
            for period in periods {
                let Ok(p) = Period::parse(&period, form.cut_off) else { continue };
                if p.period_type != form.period_type || p.start > today {
                    continue;
                }
                let status = if kind == "submit" {
                    match submissions::get(&state.db, Some(principal), &code, &template, &period, today).await
                    {
                        Ok(v) => status_words(ctx, &v),
                        Err(_) => continue,
                    }
                } else {
                    match compiled::get(&state.db, Some(principal), &code, &template, &period).await {
                        Ok(r) => format!(
                            "{} · {}/{}",
                            ctx.t(&format!("reporting.report.{}", r.status.as_str())),
                            r.completeness.received,
                            r.completeness.expected
                        ),
                        Err(_) => continue,
                    }
                };
                out.push(Work {
                    end: p.end,
                    url: format!("/reporting/{code}/{template}/{period}"),
                    unit_name: unit.name.clone(),
                    template_name: resolved.plugin.name.clone(),
                    period_label: p.label_vi(),
                    kind,
                    status,
                    deadline: crate::dates::display(p.deadline(form.deadline_days)),
                });
            }
        }
    }
    // Newest first within each unit and form, as people look for the current period.
    out.sort_by(|a, b| {
        (&a.unit_name, &a.template_name, std::cmp::Reverse(a.end)).cmp(&(
            &b.unit_name,
            &b.template_name,
            std::cmp::Reverse(b.end),
        ))
    });
    Ok(out)
}
