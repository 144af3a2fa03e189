//! HTTP handlers for commendation assessments, emulation campaigns, their proposals and
//! decisions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::campaigns::{self, Campaign, NewCampaign};
use super::letters::{self, Which};
use super::proposals::{self, NewDecision, NewProposal};
use super::{AssessRequest, Assessment};
use crate::api::{ApiJson, ApiPath, ApiQuery, AppState, Binary};
use crate::auth::{Action, Principal};
use crate::documents::Format;
use crate::error::{Error, ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assess))
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign))
        .routes(routes!(evaluate_campaign))
        .routes(routes!(propose))
        .routes(routes!(cosign))
        .routes(routes!(decide))
        .routes(routes!(campaign_document))
}

/// Scores teams and members under a unit with the commendation criteria enabled there and
/// recommends awards (Giấy khen, Bằng khen) with reasons. Changes nothing.
#[utoipa::path(post, path = "/units/{code}/commendations/assess", tag = "commendations",
    params(("code" = String, Path)), request_body = AssessRequest,
    responses((status = 200, body = Assessment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn assess(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(request): ApiJson<AssessRequest>,
) -> Result<ApiJson<Assessment>> {
    let mut conn = state.db.pool.acquire().await?;
    principal.authorize_unit(&mut conn, Action::CommendationsAssess, &code).await?;
    drop(conn);
    Ok(ApiJson(super::assess(&state.db, &state.plugins, &code, request).await?))
}

/// The emulation campaigns organised at a unit, newest period first.
#[utoipa::path(get, path = "/units/{code}/campaigns", tag = "emulation", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Campaign>), (status = 404, body = ErrorBody)))]
async fn list_campaigns(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<Vec<Campaign>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(campaigns::list(&mut conn, Some(&principal), &code).await?))
}

/// Opens an emulation campaign at a unit (Home Affairs): its name, period, the report template
/// its figures come from and base figures the reports do not carry.
#[utoipa::path(post, path = "/units/{code}/campaigns", tag = "emulation", params(("code" = String, Path)),
    request_body = NewCampaign,
    responses((status = 201, body = Campaign), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_campaign(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<NewCampaign>,
) -> Result<(StatusCode, ApiJson<Campaign>)> {
    let campaign = campaigns::create(&state.db, Some(&principal), &principal.actor(), &code, input).await?;
    Ok((StatusCode::CREATED, ApiJson(campaign)))
}

/// One campaign: its latest evaluation (ranked results, the figures each candidate was given,
/// the plugin that scored them), its proposal and the decision.
#[utoipa::path(get, path = "/campaigns/{id}", tag = "emulation", params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody)))]
async fn get_campaign(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Campaign>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(campaigns::get(&mut conn, Some(&principal), id).await?))
}

/// Evaluates a campaign from the stored figures (accepted reports, base figures) with the
/// commendation criteria bound for its period, and keeps the ranked results. Again replaces
/// them, until a proposal is made.
#[utoipa::path(post, path = "/campaigns/{id}/evaluate", tag = "emulation", params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "The criteria (a plugin) failed")))]
async fn evaluate_campaign(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Campaign>> {
    let actor = principal.actor();
    Ok(ApiJson(campaigns::evaluate(&state.db, &state.plugins, Some(&principal), &actor, id).await?))
}

/// Proposes awards from the campaign's results (Home Affairs): the candidates, the form of
/// award and the justification. With no lines, every recommended candidate.
#[utoipa::path(post, path = "/campaigns/{id}/proposal", tag = "emulation", params(("id" = i64, Path)),
    request_body = NewProposal,
    responses((status = 200, body = Campaign), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn propose(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewProposal>,
) -> Result<ApiJson<Campaign>> {
    Ok(ApiJson(proposals::propose(&state.db, Some(&principal), &principal.actor(), id, input).await?))
}

/// Co-signs the campaign's proposal (Culture and Information; not the account that proposed).
#[utoipa::path(post, path = "/campaigns/{id}/proposal/cosign", tag = "emulation", params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn cosign(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Campaign>> {
    Ok(ApiJson(proposals::cosign(&state.db, Some(&principal), &principal.actor(), id).await?))
}

/// Decides the co-signed proposal (the district leadership): each line approved or rejected
/// with a reason, the decision's number and date. Approved lines become commendation records
/// on the teams' and people's records; the campaign closes.
#[utoipa::path(post, path = "/campaigns/{id}/proposal/decision", tag = "emulation", params(("id" = i64, Path)),
    request_body = NewDecision,
    responses((status = 200, body = Campaign), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewDecision>,
) -> Result<ApiJson<Campaign>> {
    Ok(ApiJson(proposals::decide(&state.db, Some(&principal), &principal.actor(), id, input).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentParams {
    /// html (default), docx, xlsx or pdf (printed by Chromium, when the server has it).
    format: Option<String>,
}

/// The campaign's proposal (Tờ trình) or decision (Quyết định khen thưởng) as an official
/// document (Decree 30/2020 layout), made from what is stored.
#[utoipa::path(get, path = "/campaigns/{id}/documents/{document}", tag = "emulation",
    params(("id" = i64, Path), ("document" = inline(Which), Path, description = "proposal (Tờ trình) or decision (Quyết định)"), DocumentParams),
    responses((status = 200, description = "The document in the format asked for",
               content((String = "text/html"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                       (inline(Binary) = "application/pdf"))),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "Busy, or PDF asked of a server without Chromium")))]
async fn campaign_document(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, which)): ApiPath<(i64, Which)>,
    ApiQuery(q): ApiQuery<DocumentParams>,
) -> Result<Response> {
    let given = q.format.as_deref().unwrap_or("html");
    let format = Format::parse(given)
        .ok_or_else(|| Error::BadRequest(format!("format '{given}' is not html, docx, xlsx or pdf")))?;
    let mut conn = state.db.pool.acquire().await?;
    let letter = letters::document(&mut conn, Some(&principal), id, which).await?;
    drop(conn);
    crate::reports::letter_response(letter, format, &state.layouts).await
}
