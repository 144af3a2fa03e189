//! Installing, listing and binding plugins.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, State};
use axum::http::{Request, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Kind;
use super::bindings::{self, Binding, BindingKey, NewBinding};
use super::registry::{self, PluginInfo};
use crate::api::{ApiJson, ApiPath, ApiQuery, AppState, AsOfParams, Binary, as_of};
use crate::auth::{Action, Principal, Target};
use crate::error::{Error, ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plugins, install_plugin))
        .routes(routes!(get_plugin))
        .routes(routes!(list_bindings, bind_plugin, unbind_plugin))
}

/// The body of `POST /plugins`: a component's bytes, sent as `application/wasm` (or
/// `application/octet-stream`), up to `plugins.max_component_bytes` rather than the server's
/// general body limit, since a component may well be larger than any JSON or roster.
pub struct ComponentUpload(pub Bytes);

/// Content types a component upload may declare.
const COMPONENT_TYPES: [&str; 2] = ["application/wasm", "application/octet-stream"];

impl FromRequest<AppState> for ComponentUpload {
    type Rejection = Error;

    async fn from_request(req: Request<Body>, state: &AppState) -> Result<Self> {
        let content_type = crate::api::content_type(req.headers());
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        // Checked before reading, so a JSON or form body is told what to send instead.
        if !COMPONENT_TYPES.contains(&essence.as_str()) {
            return Err(Error::UnsupportedMediaType(format!(
                "send the component's bytes as {} (got '{content_type}')",
                COMPONENT_TYPES.join(" or ")
            )));
        }
        let limit = state.plugins.limits().max_component_bytes;
        let bytes = crate::api::read_body(req.into_body(), limit).await.map_err(|e| match e {
            Error::PayloadTooLarge(_) => Error::PayloadTooLarge(format!(
                "a plugin component may have at most {}",
                crate::api::human_size(limit)
            )),
            e => e,
        })?;
        Ok(ComponentUpload(bytes))
    }
}

/// Uploads a plugin component (`Content-Type: application/wasm` or `application/octet-stream`). The host checks that it is
/// a component of a supported interface version, imports nothing else, and declares valid
/// metadata, then keeps it with its sha256. 201 when new, 200 when these exact bytes were
/// already installed.
#[utoipa::path(post, path = "/plugins", tag = "plugins", request_body(content((inline(Binary) = "application/wasm"), (inline(Binary) = "application/octet-stream"))),
    responses((status = 201, body = PluginInfo), (status = 200, body = PluginInfo), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "Reading the component's metadata broke a call limit")))]
async fn install_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ComponentUpload(body): ComponentUpload,
) -> Result<(StatusCode, ApiJson<PluginInfo>)> {
    let mut conn = state.db.pool.acquire().await?;
    if principal.roots(&mut conn, Action::PluginsInstall, None).await?.is_empty() {
        return Err(Error::Forbidden("only provincial administrators install plugins".into()));
    }
    drop(conn);
    let inspected = registry::inspect_upload(&state.plugins, body.to_vec()).await?;
    let mut tx = state.db.begin_write().await?;
    let (info, created) = registry::store(&mut tx, &principal.actor(), &inspected, &body).await?;
    tx.commit().await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, ApiJson(info)))
}

/// Every installed plugin version.
#[utoipa::path(get, path = "/plugins", tag = "plugins", responses((status = 200, body = Vec<PluginInfo>)))]
async fn list_plugins(State(state): State<AppState>, _: Principal) -> Result<ApiJson<Vec<PluginInfo>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(registry::list(&mut conn).await?))
}

/// One plugin version, with its parameters.
#[utoipa::path(get, path = "/plugins/{plugin_id}/{version}", tag = "plugins",
    params(("plugin_id" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = PluginInfo), (status = 404, body = ErrorBody)))]
async fn get_plugin(
    State(state): State<AppState>,
    _: Principal,
    ApiPath((plugin_id, version)): ApiPath<(String, String)>,
) -> Result<ApiJson<PluginInfo>> {
    let mut conn = state.db.pool.acquire().await?;
    registry::find(&mut conn, &plugin_id, &version)
        .await?
        .map(ApiJson)
        .ok_or_else(|| Error::NotFound(format!("plugin {plugin_id}@{version}")))
}

/// The rule of one kind in force at a unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Effective {
    pub kind: Kind,
    pub plugin_id: String,
    pub version: String,
    /// Where the binding was set: this unit or an ancestor.
    pub bound_at: String,
    pub effective_from: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitPlugins {
    pub unit_code: String,
    pub as_of: String,
    /// Bindings set at this unit, newest first.
    pub bindings: Vec<Binding>,
    /// What applies here on `as_of`, by kind (inherited ones included; every enabled report
    /// template).
    pub effective: Vec<Effective>,
}

/// Bindings at a unit and the rules in force there.
#[utoipa::path(get, path = "/units/{code}/plugins", tag = "plugins", params(("code" = String, Path), AsOfParams),
    responses((status = 200, body = UnitPlugins), (status = 404, body = ErrorBody)))]
async fn list_bindings(
    State(state): State<AppState>,
    _: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<AsOfParams>,
) -> Result<ApiJson<UnitPlugins>> {
    let date = as_of(q.as_of.as_deref())?;
    let mut conn = state.db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, &code).await?;
    let mut effective = Vec::new();
    let mut resolved = Vec::new();
    for kind in [Kind::Composition, Kind::Commendation] {
        resolved.extend(bindings::resolve(&mut conn, unit_id, kind, &date).await?.map(|r| (kind, r)));
    }
    resolved
        .extend(bindings::templates(&mut conn, unit_id, &date).await?.into_iter().map(|r| (Kind::Report, r)));
    for (kind, r) in resolved {
        effective.push(Effective {
            kind,
            plugin_id: r.plugin.plugin_id,
            version: r.plugin.version,
            bound_at: r.binding.unit_code,
            effective_from: r.binding.effective_from,
        });
    }
    let bindings = bindings::at_unit(&mut conn, unit_id).await?;
    Ok(ApiJson(UnitPlugins { unit_code: code, as_of: date, bindings, effective }))
}

/// Binds a plugin version (or none, to switch a rule off) to a unit's subtree for one kind of
/// rule from a date, with parameter values checked against the plugin's declarations. A
/// binding on the same unit, kind and date replaces the earlier one. Takes effect at once.
#[utoipa::path(post, path = "/units/{code}/plugins", tag = "plugins", params(("code" = String, Path)), request_body = NewBinding,
    responses((status = 201, body = Binding), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bind_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<NewBinding>,
) -> Result<(StatusCode, ApiJson<Binding>)> {
    let mut tx = state.db.begin_write().await?;
    let unit_id = crate::units::id_of(&mut tx, &code).await?;
    if !principal.can(&mut tx, Action::PluginsEnable, Target { unit_id, team_id: None }).await? {
        return Err(Error::Forbidden(format!("your roles do not allow choosing plugins for unit '{code}'")));
    }
    let binding = bindings::bind(&mut tx, &principal.actor(), &code, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(binding)))
}

/// Removes a binding set at the unit (the undo of a binding): the subtree then follows the
/// binding before it, or the nearest one above. Audited. Answers the removed binding.
#[utoipa::path(delete, path = "/units/{code}/plugins", tag = "plugins", params(("code" = String, Path), BindingKey),
    responses((status = 200, body = Binding), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn unbind_plugin(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(key): ApiQuery<BindingKey>,
) -> Result<ApiJson<Binding>> {
    let mut tx = state.db.begin_write().await?;
    let unit_id = crate::units::id_of(&mut tx, &code).await?;
    if !principal.can(&mut tx, Action::PluginsEnable, Target { unit_id, team_id: None }).await? {
        return Err(Error::Forbidden(format!("your roles do not allow choosing plugins for unit '{code}'")));
    }
    let removed = bindings::unbind(&mut tx, &principal.actor(), &code, &key).await?;
    tx.commit().await?;
    Ok(ApiJson(removed))
}
