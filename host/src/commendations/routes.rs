//! HTTP handler for commendation assessments.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AssessRequest, Assessment};
use crate::api::{ApiJson, ApiPath, AppState};
use crate::auth::{Action, Principal};
use crate::error::{ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(assess))
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
