//! HTTP handlers for the management group.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{GroupEnd, GroupMember, NewGroupMember};
use crate::api::{ApiJson, ApiPath, AppState};
use crate::auth::Principal;
use crate::error::{ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, add)).routes(routes!(end))
}

/// The management groups at a unit and below, with each unit's focal point first: a province
/// sees every district's focal point.
#[utoipa::path(get, path = "/units/{code}/management-group", tag = "management", params(("code" = String, Path)),
    responses((status = 200, body = Vec<GroupMember>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<Vec<GroupMember>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(super::list(&mut conn, Some(&principal), &code).await?))
}

/// Adds someone to a unit's management group (Culture and Information), possibly as its focal
/// point.
#[utoipa::path(post, path = "/units/{code}/management-group", tag = "management", params(("code" = String, Path)),
    request_body = NewGroupMember,
    responses((status = 201, body = GroupMember), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn add(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<NewGroupMember>,
) -> Result<(StatusCode, ApiJson<GroupMember>)> {
    let added = super::add(&state.db, Some(&principal), &principal.actor(), &code, input).await?;
    Ok((StatusCode::CREATED, ApiJson(added)))
}

/// Records someone's last day in the group.
#[utoipa::path(post, path = "/management-group/{id}/end", tag = "management", params(("id" = i64, Path)),
    request_body = GroupEnd,
    responses((status = 200, body = GroupMember), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn end(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<GroupEnd>,
) -> Result<ApiJson<GroupMember>> {
    Ok(ApiJson(super::end(&state.db, Some(&principal), &principal.actor(), id, input).await?))
}
