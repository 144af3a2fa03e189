//! User administration: province administrators manage the accounts within their province.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use sqlx::AnyConnection;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{NewRole, NewUser, User, UserChange};
use crate::api::{ApiJson, ApiPath, ApiQuery, AppState, Page, PageRequest};
use crate::auth::{Action, Principal, Target, password};
use crate::error::{Error, ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(add_role))
        .routes(routes!(remove_role))
}

/// 403 for a caller who may manage users nowhere.
fn require_admin(p: &Principal) -> Result<()> {
    let anywhere = p
        .assignments
        .iter()
        .any(|a| crate::auth::grant(a.role, Action::UsersManage) != crate::auth::Reach::No);
    if anywhere && !p.read_only {
        Ok(())
    } else {
        Err(Error::Forbidden("only administrators manage users".into()))
    }
}

async fn may_assign(conn: &mut AnyConnection, p: &Principal, unit_id: i64) -> Result<bool> {
    p.can(conn, Action::UsersManage, Target { unit_id, team_id: None }).await
}

/// The user, if the caller manages at least one of their roles; 404 otherwise.
async fn visible_user(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<User> {
    require_admin(p)?;
    let hidden = || Error::NotFound(format!("user {id}"));
    let user = super::get(conn, id).await.map_err(|_| hidden())?;
    for role in &user.roles {
        if may_assign(conn, p, role.unit_id).await? {
            return Ok(user);
        }
    }
    Err(hidden())
}

/// The user, if the caller manages *every* one of their roles: renaming, deactivating or
/// resetting the password acts on the whole account, so an administrator who manages one of
/// its roles (a district's) must not take over an account that also holds another province's.
/// Errors: 404 as [`visible_user`]; 403 when a role is outside the caller's scope.
async fn managed_user(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<User> {
    let user = visible_user(conn, p, id).await?;
    for role in &user.roles {
        if !may_assign(conn, p, role.unit_id).await? {
            return Err(Error::Forbidden(format!(
                "this account also holds a role at {} ({}), outside your scope; an administrator over all its roles changes the account",
                role.unit_name, role.unit_code
            )));
        }
    }
    Ok(user)
}

async fn checked_role(
    conn: &mut AnyConnection,
    p: &Principal,
    input: &NewRole,
) -> Result<super::CheckedRole> {
    let role = super::check_role(conn, input).await?;
    if !may_assign(conn, p, role.unit_id).await? {
        return Err(Error::Forbidden("you may only hand out roles at units within your own scope".into()));
    }
    Ok(role)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page (default `api.default_page_size`, at most `api.max_page_size`).
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// Users holding a role within the caller's scope, by id, a page at a time.
#[utoipa::path(get, path = "/users", tag = "users", params(UserListParams),
    responses((status = 200, body = Page<User>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<UserListParams>,
) -> Result<ApiJson<Page<User>>> {
    require_admin(&principal)?;
    let page = PageRequest::new(q.page, q.per_page, &state.settings)?;
    let mut conn = state.db.pool.acquire().await?;
    let roots = principal.roots(&mut conn, Action::UsersManage, None).await?;
    let (items, total) = super::list(&mut conn, &roots, page.limit(), page.offset()).await?;
    Ok(ApiJson(page.wrap(items, total)))
}

/// Creates an account with at least one role within the caller's scope.
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewUser>,
) -> Result<(StatusCode, ApiJson<User>)> {
    require_admin(&principal)?;
    if input.roles.is_empty() {
        return Err(Error::field("roles", "give the new user at least one role"));
    }
    // Hashed before the writers' lock is taken (see `password::Hashed`).
    let password = password::Hashed::of(input.password.as_deref().unwrap_or("")).await?;
    let mut tx = state.db.begin_write().await?;
    let mut roles = Vec::new();
    for (i, role) in input.roles.iter().enumerate() {
        roles.push(
            checked_role(&mut tx, &principal, role).await.map_err(|e| e.under(&format!("roles[{i}]")))?,
        );
    }
    let user = super::create(&mut tx, &principal.actor(), &input, &password, &roles).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<User>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(visible_user(&mut conn, &principal, id).await?))
}

/// Renames, deactivates or resets the password of an account (ending its sessions).
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserChange,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<UserChange>,
) -> Result<ApiJson<User>> {
    let password = match input.password.as_deref() {
        Some(plain) => Some(password::Hashed::of(plain).await?),
        None => None,
    };
    let mut tx = state.db.begin_write().await?;
    managed_user(&mut tx, &principal, id).await?;
    let user = super::update(&mut tx, &principal.actor(), id, &input, password.as_ref()).await?;
    tx.commit().await?;
    Ok(ApiJson(user))
}

/// Hands a role to a user.
#[utoipa::path(post, path = "/users/{id}/roles", tag = "users", params(("id" = i64, Path)), request_body = NewRole,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_role(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewRole>,
) -> Result<ApiJson<User>> {
    let mut tx = state.db.begin_write().await?;
    visible_user(&mut tx, &principal, id).await?;
    let role = checked_role(&mut tx, &principal, &input).await?;
    let user = super::add_role(&mut tx, &principal.actor(), id, &role).await?;
    tx.commit().await?;
    Ok(ApiJson(user))
}

/// Takes a role away from a user.
#[utoipa::path(delete, path = "/users/{id}/roles/{role_id}", tag = "users", params(("id" = i64, Path), ("role_id" = i64, Path)),
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_role(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, role_id)): ApiPath<(i64, i64)>,
) -> Result<ApiJson<User>> {
    let mut tx = state.db.begin_write().await?;
    let user = visible_user(&mut tx, &principal, id).await?;
    let Some(role) = user.roles.iter().find(|r| r.id == role_id) else {
        return Err(Error::NotFound(format!("role {role_id} of user {id}")));
    };
    if !may_assign(&mut tx, &principal, role.unit_id).await? {
        return Err(Error::Forbidden("that role is held outside your scope".into()));
    }
    let user = super::remove_role(&mut tx, &principal.actor(), id, role_id).await?;
    tx.commit().await?;
    Ok(ApiJson(user))
}
