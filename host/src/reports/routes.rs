//! HTTP handlers for report templates and rendering.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::compiled::{self, Decision, ReportView};
use super::rollup::{self, CompletenessReport};
use super::submissions::{self, Review, SubmissionInput, SubmissionView, UnlockInput};
use super::{ReportDocument, ReportRequest};
use crate::api::{ApiBytes, ApiJson, ApiPath, ApiQuery, AppState, AsOfParams, Binary, as_of};
use crate::auth::{Action, Principal};
use crate::documents::Format;
use crate::error::{Error, ErrorBody, Result};
use crate::plugins::bindings;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(render_report))
        .routes(routes!(get_submission, save_submission))
        .routes(routes!(review_submission))
        .routes(routes!(unlock_submission))
        .routes(routes!(get_compiled, compile_report))
        .routes(routes!(decide_report))
        .routes(routes!(compiled_document))
        .routes(routes!(get_completeness))
        .routes(routes!(export_form, import_form))
}

/// A report template enabled at a unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Template {
    pub plugin_id: String,
    pub version: String,
    pub name: String,
    pub description: String,
    /// The indicator codes it reads from `values`.
    pub indicators: Vec<String>,
    /// Where it was enabled: this unit or an ancestor.
    pub bound_at: String,
}

/// The report templates enabled for a unit (inherited ones included).
#[utoipa::path(get, path = "/units/{code}/reports", tag = "reports", params(("code" = String, Path), AsOfParams),
    responses((status = 200, body = Vec<Template>), (status = 404, body = ErrorBody)))]
async fn list_templates(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<AsOfParams>,
) -> Result<ApiJson<Vec<Template>>> {
    let date = as_of(q.as_of.as_deref())?;
    let mut conn = state.db.pool.acquire().await?;
    let unit_id = principal.authorize_unit(&mut conn, Action::TeamsRead, &code).await?;
    let templates = bindings::templates(&mut conn, unit_id, &date).await?;
    Ok(ApiJson(
        templates
            .into_iter()
            .map(|r| Template {
                plugin_id: r.plugin.plugin_id,
                version: r.plugin.version,
                name: r.plugin.name,
                description: r.plugin.description,
                indicators: r.plugin.indicators,
                bound_at: r.binding.unit_code,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// json (default: the document's text), html, docx, xlsx or pdf (printed by Chromium, when
    /// the server has it: 503 `unavailable` otherwise).
    format: Option<String>,
}

/// Renders a report with an enabled template: the host counts each child unit's teams and
/// serving members on the date of issue, the template writes the document, the host lays it
/// out per Decree 30/2020. Changes nothing.
#[utoipa::path(post, path = "/units/{code}/reports/{template}", tag = "reports",
    params(("code" = String, Path), ("template" = String, Path), FormatParams), request_body = ReportRequest,
    responses((status = 200, description = "format=json (default): the document's text; html, docx and xlsx answer the file",
               content((ReportDocument = "application/json"), (String = "text/html"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "The template failed: it crashed, ran out of a limit, or answered too much or too many elements"),
              (status = 503, body = ErrorBody, description = "Busy (see Retry-After): the database, or the queue of document layouts (html, docx, xlsx); or the request timed out")))]
async fn render_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<FormatParams>,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<Response> {
    let format = parse_format(q.format.as_deref())?;
    let mut conn = state.db.pool.acquire().await?;
    principal.authorize_unit(&mut conn, Action::ReportsIssue, &code).await?;
    drop(conn);
    let rendered = super::render(&state.db, &state.plugins, &code, &template, request).await?;
    let Some(format) = format else {
        return Ok(ApiJson(ReportDocument::from(&rendered)).into_response());
    };
    rendered.file_response(format, &state.layouts).await
}

/// The path of one unit's report for one period of one template.
type ReportPath = ApiPath<(String, String, String)>;

fn parse_format(given: Option<&str>) -> Result<Option<Format>> {
    match given.unwrap_or("json") {
        "json" => Ok(None),
        other => Format::parse(other).map(Some).ok_or_else(|| {
            Error::BadRequest(format!("format '{other}' is not json, html, docx, xlsx or pdf"))
        }),
    }
}

/// A unit's report for a period on a template's form: figures, status, deadline, whether it is
/// open, the previous period's figures and the history of the report.
#[utoipa::path(get, path = "/units/{code}/submissions/{template}/{period}", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path, description = "2022-Q3, 2022-07, 2022-H1 or 2022; current for the one containing today")),
    responses((status = 200, body = SubmissionView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_submission(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
) -> Result<ApiJson<SubmissionView>> {
    let today = crate::dates::today();
    Ok(ApiJson(submissions::get(&state.db, Some(&principal), &code, &template, &period, today).await?))
}

/// Saves a unit's figures as a draft, or submits them (`submit: true`) to the unit above after
/// the host's checks and the template's `validate-submission`: errors refuse
/// (`submission_invalid`), warnings must be confirmed (`confirmation_required` lists them as
/// `code@indicator`). Closed after the deadline (`locked`, naming the deadline and who can
/// open it again) unless opened again or returned.
#[utoipa::path(put, path = "/units/{code}/submissions/{template}/{period}", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)), request_body = SubmissionInput,
    responses((status = 200, body = SubmissionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "locked: past the deadline, or accepted, or the report above is approved"),
              (status = 422, body = ErrorBody, description = "submission_invalid, confirmation_required or validation_failed"),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn save_submission(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
    ApiJson(input): ApiJson<SubmissionInput>,
) -> Result<ApiJson<SubmissionView>> {
    let today = crate::dates::today();
    let actor = principal.actor();
    let view = submissions::save(
        &state.db,
        &state.plugins,
        Some(&principal),
        &actor,
        &code,
        &template,
        &period,
        input,
        today,
    )
    .await?;
    Ok(ApiJson(view))
}

/// The unit above accepts a submitted report (`{"decision": "accept"}`) or returns it with a
/// reason (`{"decision": "return", "reason": "..."}`), which reopens it for the unit.
#[utoipa::path(post, path = "/units/{code}/submissions/{template}/{period}/review", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)), request_body = Review,
    responses((status = 200, body = SubmissionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn review_submission(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
    ApiJson(decision): ApiJson<Review>,
) -> Result<ApiJson<SubmissionView>> {
    let actor = principal.actor();
    Ok(ApiJson(
        submissions::review(&state.db, Some(&principal), &actor, &code, &template, &period, decision).await?,
    ))
}

/// The unit above opens a closed form again for this unit until a day, with a reason (audited).
#[utoipa::path(post, path = "/units/{code}/submissions/{template}/{period}/unlock", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)), request_body = UnlockInput,
    responses((status = 200, body = SubmissionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn unlock_submission(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
    ApiJson(input): ApiJson<UnlockInput>,
) -> Result<ApiJson<SubmissionView>> {
    let actor = principal.actor();
    let today = crate::dates::today();
    let view =
        submissions::unlock(&state.db, Some(&principal), &actor, &code, &template, &period, input, today)
            .await?;
    Ok(ApiJson(view))
}

/// The report compiled at a unit for a period (`not_compiled` when none yet), its lines and
/// totals as compiled, the completeness of the reports below now, and its history.
#[utoipa::path(get, path = "/units/{code}/compiled/{template}/{period}", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ReportView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_compiled(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
) -> Result<ApiJson<ReportView>> {
    Ok(ApiJson(compiled::get(&state.db, Some(&principal), &code, &template, &period).await?))
}

/// Compiles (again) the unit's report for the period from the accepted figures below it, with
/// the template version in force for the period; stores the snapshot it was made from.
#[utoipa::path(post, path = "/units/{code}/compiled/{template}/{period}", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "locked: approved or sent"), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn compile_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
) -> Result<ApiJson<ReportView>> {
    let actor = principal.actor();
    let today = crate::dates::today();
    let view = compiled::compile(
        &state.db,
        &state.plugins,
        Some(&principal),
        &actor,
        &code,
        &template,
        &period,
        today,
    )
    .await?;
    Ok(ApiJson(view))
}

/// Approves (`{"step": "approve"}`, the leadership), sends (`{"step": "send"}`) or, from the
/// level above, returns (`{"step": "return", "reason": "..."}`) a compiled report.
#[utoipa::path(post, path = "/units/{code}/compiled/{template}/{period}/decision", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)), request_body = Decision,
    responses((status = 200, body = ReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<ApiJson<ReportView>> {
    let actor = principal.actor();
    Ok(ApiJson(
        compiled::decide(&state.db, Some(&principal), &actor, &code, &template, &period, decision).await?,
    ))
}

/// The compiled report's document, made again from its snapshot with the template version that
/// compiled it: the same bytes every time.
#[utoipa::path(get, path = "/units/{code}/compiled/{template}/{period}/document", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path), FormatParams),
    responses((status = 200, description = "format=json (default): the document's text; html, docx and xlsx answer the file",
               content((ReportDocument = "application/json"), (String = "text/html"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                       (inline(Binary) = "application/pdf"))),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
async fn compiled_document(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
    ApiQuery(q): ApiQuery<FormatParams>,
) -> Result<Response> {
    let format = parse_format(q.format.as_deref())?;
    let rendered =
        compiled::document(&state.db, &state.plugins, Some(&principal), &code, &template, &period).await?;
    let Some(format) = format else {
        return Ok(ApiJson(ReportDocument::from(&rendered)).into_response());
    };
    rendered.file_response(format, &state.layouts).await
}

/// Completeness and timeliness of the reports expected below a unit for a period: counts and
/// rates, per child, each unit's report with its officers, and the periods before.
#[utoipa::path(get, path = "/units/{code}/completeness/{template}/{period}", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = CompletenessReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_completeness(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
) -> Result<ApiJson<CompletenessReport>> {
    Ok(ApiJson(rollup::completeness(&state.db, Some(&principal), &code, &template, &period).await?))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The form as a spreadsheet for bulk entry: one row per unit (the unit itself when it
/// reports on the form, else every unit below it that does, as of the period), with the
/// figures saved so far. Import it back with POST.
#[utoipa::path(get, path = "/units/{code}/submissions/{template}/{period}/xlsx", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path)),
    responses((status = 200, content((inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export_form(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
) -> Result<Response> {
    let bytes = super::bulk::export(&state.db, Some(&principal), &code, &template, &period).await?;
    let disposition = format!("attachment; filename=\"{template}-{code}-{period}.xlsx\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, XLSX.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Submit each row after every check (default: save drafts).
    submit: Option<bool>,
    /// Confirm every warning the checks raise; they are kept with each submission.
    confirm_warnings: Option<bool>,
}

/// Imports the form's spreadsheet (as GET exports it; sent as XLSX or octet-stream), row by row through the same checks as
/// the form: each row is saved (or submitted) or refused on its own, with its row number and
/// messages. Answers 200 with the outcome of every row (422 when every row with figures was
/// refused, or failed because the database stayed busy). Rows still going at the request timeout go on to the end: the answer is then 503
/// `timeout` saying so.
#[utoipa::path(post, path = "/units/{code}/submissions/{template}/{period}/xlsx", tag = "reporting",
    params(("code" = String, Path), ("template" = String, Path), ("period" = String, Path), ImportParams),
    request_body(content((inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                         (inline(Binary) = "application/octet-stream"))),
    responses((status = 200, body = super::bulk::ImportOutcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn import_form(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((code, template, period)): ReportPath,
    ApiQuery(q): ApiQuery<ImportParams>,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(axum::http::StatusCode, ApiJson<super::bulk::ImportOutcome>)> {
    let content_type = crate::api::content_type(&headers);
    // Files often travel as plain bytes (`curl --data-binary` with octet-stream): the content
    // decides, and a body that is no workbook is a 400.
    if content_type != XLSX && content_type != "application/octet-stream" {
        return Err(Error::UnsupportedMediaType(format!(
            "send the form as {XLSX} or application/octet-stream (got '{content_type}')"
        )));
    }
    let mut conn = state.db.pool.acquire().await?;
    if principal.roots(&mut conn, crate::auth::Action::ReportsSubmit, None).await?.is_empty() {
        return Err(Error::Forbidden("your roles do not include entering report figures".into()));
    }
    drop(conn);
    let options = super::bulk::ImportOptions {
        submit: q.submit.unwrap_or(false),
        confirm_warnings: q.confirm_warnings.unwrap_or(false),
    };
    let actor = principal.actor();
    let today = crate::dates::today();
    // Each row is saved on its own: the rows go on to the end whatever becomes of the request
    // (cut off at its timeout, some rows were saved while the answer said it was abandoned).
    let (db, plugins) = (state.db.clone(), state.plugins.clone());
    let work = async move {
        super::bulk::import(
            &db,
            &plugins,
            Some(&principal),
            &actor,
            &code,
            &template,
            &period,
            &body,
            options,
            today,
        )
        .await
    };
    let outcome = crate::api::run_to_end(&state.settings, "report form import", work, |budget| {
        format!(
            "the form's rows are taking longer than {budget:.0?}: their import goes on to the end, each row saved \
             or refused on its own; export the form again in a few minutes to see what was saved"
        )
    })
    .await?;
    let all_refused = outcome.refused + outcome.failed > 0 && outcome.saved + outcome.submitted == 0;
    let status =
        if all_refused { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((status, ApiJson(outcome)))
}
