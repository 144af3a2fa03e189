//! HTTP handlers for Youth Union nominations.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Answer, NewNomination, Nomination};
use crate::api::{ApiJson, ApiPath, AppState};
use crate::auth::Principal;
use crate::error::{ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, nominate)).routes(routes!(answer))
}

/// The nominations to a unit and the units below it, and those its Youth Union made, newest
/// first, with the outcome and the days the answer took. Contacts are hidden from callers
/// who may not read personal data there.
#[utoipa::path(get, path = "/units/{code}/nominations", tag = "nominations", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Nomination>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<Vec<Nomination>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(super::list(&mut conn, Some(&principal), &code).await?))
}

/// Nominates a young person (16-30) with their skills and contacts to a commune, or to one of
/// its teams (the district Youth Union).
#[utoipa::path(post, path = "/units/{code}/nominations", tag = "nominations", params(("code" = String, Path)),
    request_body = NewNomination,
    responses((status = 201, body = Nomination), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn nominate(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<NewNomination>,
) -> Result<(StatusCode, ApiJson<Nomination>)> {
    let made = super::nominate(&state.db, Some(&principal), &principal.actor(), &code, input).await?;
    Ok((StatusCode::CREATED, ApiJson(made)))
}

/// The commune's answer: accept (the person joins the team, judged by its composition rule)
/// or decline with a reason.
#[utoipa::path(post, path = "/nominations/{id}/answer", tag = "nominations", params(("id" = i64, Path)),
    request_body = Answer,
    responses((status = 200, body = Nomination), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "The team's composition rule (a plugin) failed")))]
async fn answer(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<Answer>,
) -> Result<ApiJson<Nomination>> {
    let actor = principal.actor();
    Ok(ApiJson(super::answer(&state.db, &state.plugins, Some(&principal), &actor, id, input).await?))
}
