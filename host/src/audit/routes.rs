//! Reading the audit trail. There is deliberately no route that changes it.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AuditEntry, AuditFilter};
use crate::api::{ApiJson, ApiQuery, AppState, Page, PageRequest};
use crate::auth::{Action, Principal};
use crate::error::{Error, ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only changes to objects in this unit's subtree.
    unit: Option<String>,
    /// unit, team, member, user, ...
    entity: Option<String>,
    entity_id: Option<String>,
    /// Only changes made by this user.
    user_id: Option<i64>,
    /// From this day (yyyy-mm-dd or dd/mm/yyyy), inclusive.
    from: Option<String>,
    /// Until this day, inclusive.
    to: Option<String>,
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page (default `api.default_page_size`, at most `api.max_page_size`).
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

fn day_bound(field: &str, value: Option<&str>, next: bool) -> Result<Option<String>> {
    let Some(v) = value.filter(|v| !v.is_empty()) else { return Ok(None) };
    let d =
        crate::dates::parse(v).ok_or_else(|| Error::BadRequest(format!("{field}: '{v}' is not a date")))?;
    let d = if next { d.succ_opt().unwrap_or(d) } else { d };
    Ok(Some(format!("{}T00:00:00Z", crate::dates::iso(d))))
}

/// Changes within the caller's scope, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Page<AuditEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "`unit` names no unit, or one outside your scope")))]
async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> Result<ApiJson<Page<AuditEntry>>> {
    let page = PageRequest::new(q.page, q.per_page, &state.settings)?;
    let mut conn = state.db.pool.acquire().await?;
    let anywhere = principal.roots(&mut conn, Action::AuditRead, None).await?;
    if anywhere.is_empty() {
        return Err(Error::Forbidden("your roles do not include reading the audit trail".into()));
    }
    let roots = principal.roots(&mut conn, Action::AuditRead, q.unit.as_deref()).await?;
    let filter = AuditFilter {
        roots: Some(roots),
        entity: q.entity,
        entity_id: q.entity_id,
        user_id: q.user_id,
        from: day_bound("from", q.from.as_deref(), false)?,
        to: day_bound("to", q.to.as_deref(), true)?,
    };
    let (items, total) = super::list(&mut conn, &filter, page.limit(), page.offset()).await?;
    Ok(ApiJson(page.wrap(items, total)))
}
