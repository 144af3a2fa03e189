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
        .routes(routes!(import_units))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// First day the new units exist (yyyy-mm-dd or dd/mm/yyyy); absent: since before our records.
    valid_from: Option<String>,
}

/// Loads many units at once below units the caller administers: a CSV
/// (`code,name,type,parent_code[,level]`, `text/csv`) or the national JSON layout
/// (`application/json`). Units already known by their code are left alone; every problem is
/// reported with its row and nothing is written unless the whole file is valid. Provinces
/// themselves come from the national registry on the command line (`sohoa units import`).
#[utoipa::path(post, path = "/units/import", tag = "units", params(ImportParams),
    request_body(content((inline(crate::api::Binary) = "text/csv"), (Object = "application/json"))),
    responses((status = 200, body = super::import::ImportReport), (status = 403, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_units(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ImportParams>,
    headers: axum::http::HeaderMap,
    crate::api::ApiBytes(body): crate::api::ApiBytes,
) -> Result<ApiJson<super::import::ImportReport>> {
    let content_type = crate::api::content_type(&headers);
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let source = match mime.as_str() {
        "text/csv" | "application/csv" => super::UnitSource::from_csv(&body)?,
        "application/json" => super::UnitSource::from_json(&body)?,
        _ => {
            return Err(Error::UnsupportedMediaType(format!(
                "send the units as text/csv or application/json (got '{content_type}')"
            )));
        }
    };
    let valid_from = match q.valid_from.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(crate::dates::parse(v).map(crate::dates::iso).ok_or_else(|| {
            Error::field("valid_from", format!("'{v}' is not a date (yyyy-mm-dd or dd/mm/yyyy)"))
        })?),
    };
    let mut tx = state.db.begin_write().await?;
    // Each new unit hangs below a unit already recorded (or one in the file that does): the
    // caller must be allowed to change those anchors.
    let in_file: std::collections::HashSet<&str> = source.units.iter().map(|u| u.code.as_str()).collect();
    let mut anchors: Vec<&str> = Vec::new();
    for u in &source.units {
        if super::id_of(&mut tx, &u.code).await.is_ok() {
            continue;
        }
        match u.parent_code.as_deref() {
            None => {
                return Err(Error::Forbidden(format!(
                    "row {}: provinces come from the national registry (sohoa units import)",
                    u.row
                )));
            }
            Some(pc) if !in_file.contains(pc) && !anchors.contains(&pc) => anchors.push(pc),
            Some(_) => {}
        }
    }
    for anchor in anchors {
        // An unknown parent is reported by the import with its row.
        if super::id_of(&mut tx, anchor).await.is_ok() {
            may_change(&mut tx, &principal, anchor).await?;
        }
    }
    let report =
        super::import_units(&mut tx, &principal.actor(), &source.units, valid_from.as_deref(), &|_, _| {})
            .await?;
    tx.commit().await?;
    Ok(ApiJson(report))
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
    // The successors take the unit's teams: they must be within the caller's reach too (an
    // unknown one is left to the validation, which names it).
    for successor in input.successors.iter().chain(input.teams_to.iter()) {
        if super::id_of(&mut tx, successor.trim()).await.is_ok() {
            may_change(&mut tx, &principal, successor.trim()).await?;
        }
    }
    let detail = super::close(&mut tx, &principal.actor(), &code, input).await?;
    tx.commit().await?;
    Ok(ApiJson(detail))
}
