//! HTTP handlers for units: parse, call the service, answer.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Level, NewUnit, Unit, UnitChange, UnitClosure, UnitDetail, UnitFilter, UnitSort};
use crate::api::{ApiJson, ApiPath, ApiQuery, AppState, AsOfParams, Page, PageRequest, as_of};
use crate::auth::{Action, Principal, Target};
use crate::error::{Error, ErrorBody, Result};

/// Units are public registry data: anyone signed in reads them, but changing the tree needs
/// `UnitsWrite` at the unit (or, for a new unit, at its parent).
async fn may_change(conn: &mut sqlx::AnyConnection, principal: &Principal, code: &str) -> Result<()> {
    let unit_id = super::id_of(conn, code).await?;
    if principal.can(conn, Action::UnitsWrite, Target { unit_id, team_id: None }).await? {
        Ok(())
    } else {
        Err(Error::Forbidden(format!("your roles do not allow changing unit '{code}'")))
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, change_unit))
        .routes(routes!(close_unit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Date the tree is taken on (default: today).
    as_of: Option<String>,
    /// Only direct children of this unit code.
    parent: Option<String>,
    /// This unit and all its descendants.
    unit: Option<String>,
    level: Option<Level>,
    /// Name search; diacritics and case are ignored ("tay son" finds "Tây Sơn").
    q: Option<String>,
    /// "code" (default) or "name".
    sort: Option<UnitSort>,
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page (default `api.default_page_size`, at most `api.max_page_size`).
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// Lists units in effect on a date, with filters and stable sorting.
#[utoipa::path(get, path = "/units", tag = "units", params(ListParams),
    responses((status = 200, body = Page<Unit>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_units(
    State(state): State<AppState>,
    _: Principal,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<ApiJson<Page<Unit>>> {
    let page = PageRequest::new(q.page, q.per_page, &state.settings)?;
    let filter = UnitFilter {
        as_of: as_of(q.as_of.as_deref())?,
        parent: q.parent,
        subtree: q.unit,
        level: q.level,
        q: q.q,
        sort: q.sort.unwrap_or_default(),
    };
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = super::list(&mut conn, &filter, page.limit(), page.offset()).await?;
    Ok(ApiJson(page.wrap(items, total)))
}

/// One unit with its path, history and successions.
#[utoipa::path(get, path = "/units/{code}", tag = "units",
    params(("code" = String, Path, description = "Official unit code"), AsOfParams),
    responses((status = 200, body = UnitDetail), (status = 404, body = ErrorBody)))]
async fn get_unit(
    State(state): State<AppState>,
    _: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<AsOfParams>,
) -> Result<ApiJson<UnitDetail>> {
    let date = as_of(q.as_of.as_deref())?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(super::get(&mut conn, &code, &date).await?))
}

/// Creates a unit (e.g. a village under a commune).
#[utoipa::path(post, path = "/units", tag = "units", request_body = NewUnit,
    responses((status = 201, body = Unit), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_unit(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewUnit>,
) -> Result<(StatusCode, ApiJson<Unit>)> {
    let mut tx = state.db.begin_write().await?;
    match input.parent_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        // An unknown parent is a validation error, reported by `create` with the rest.
        Some(parent) if super::id_of(&mut tx, parent).await.is_ok() => {
            may_change(&mut tx, &principal, parent).await?
        }
        Some(_) => {}
        None => return Err(Error::Forbidden("provinces come from the national registry import".into())),
    }
    let unit = super::create(&mut tx, &principal.actor(), input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(unit)))
}

/// Renames, retypes or moves a unit from a date, keeping the earlier version as history.
#[utoipa::path(patch, path = "/units/{code}", tag = "units", request_body = UnitChange,
    params(("code" = String, Path, description = "Official unit code")),
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_unit(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<UnitChange>,
) -> Result<ApiJson<Unit>> {
    let mut tx = state.db.begin_write().await?;
    may_change(&mut tx, &principal, &code).await?;
    if let Some(parent) = input.parent_code.as_deref().map(str::trim).filter(|c| !c.is_empty())
        && super::id_of(&mut tx, parent).await.is_ok()
    {
        may_change(&mut tx, &principal, parent).await?;
    }
    let unit = super::change(&mut tx, &principal.actor(), &code, input).await?;
    tx.commit().await?;
    Ok(ApiJson(unit))
}

/// Closes a unit from a date, recording what it was merged into or split among.
#[utoipa::path(post, path = "/units/{code}/close", tag = "units", request_body = UnitClosure,
    params(("code" = String, Path, description = "Official unit code")),
    responses((status = 200, body = UnitDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_unit(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<UnitClosure>,
) -> Result<ApiJson<UnitDetail>> {
    let mut tx = state.db.begin_write().await?;
    may_change(&mut tx, &principal, &code).await?;
    let detail = super::close(&mut tx, &principal.actor(), &code, input).await?;
    tx.commit().await?;
    Ok(ApiJson(detail))
}
