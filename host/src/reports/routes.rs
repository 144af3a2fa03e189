//! HTTP handlers for report templates and rendering.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ReportDocument, ReportRequest};
use crate::api::{ApiJson, ApiPath, ApiQuery, AppState, AsOfParams, Binary, as_of};
use crate::auth::{Action, Principal};
use crate::documents::Format;
use crate::error::{Error, ErrorBody, Result};
use crate::plugins::bindings;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_templates)).routes(routes!(render_report))
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
    /// json (default: the document's text), html, docx or xlsx.
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
    let format =
        match q.format.as_deref().unwrap_or("json") {
            "json" => None,
            other => Some(Format::parse(other).ok_or_else(|| {
                Error::BadRequest(format!("format '{other}' is not json, html, docx or xlsx"))
            })?),
        };
    let mut conn = state.db.pool.acquire().await?;
    principal.authorize_unit(&mut conn, Action::ReportsIssue, &code).await?;
    drop(conn);
    let rendered = super::render(&state.db, &state.plugins, &code, &template, request).await?;
    let Some(format) = format else {
        return Ok(ApiJson(ReportDocument::from(&rendered)).into_response());
    };
    rendered.file_response(format, &state.layouts).await
}
