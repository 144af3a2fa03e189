//! Sign-in, sign-out, the caller's identity, and their API tokens.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::sessions::{self, MintedToken, NewToken, TokenInfo};
use super::{Assignment, COOKIE, Principal};
use crate::api::{ApiJson, ApiPath, AppState};
use crate::error::{Error, ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// The peer address, for rate limiting ("unknown" when the server was not told it).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(ClientAddr(addr.unwrap_or_else(|| "unknown".into())))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Assignment>,
    /// True when this request came with a read-only token.
    pub read_only: bool,
}

impl From<&Principal> for Me {
    fn from(p: &Principal) -> Self {
        Me {
            id: p.user_id,
            username: p.username.clone(),
            display_name: p.display_name.clone(),
            roles: p.assignments.clone(),
            read_only: p.read_only,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginReply {
    pub user: Me,
    pub expires_at: String,
}

/// The session cookie (HttpOnly, SameSite=Lax; Secure when configured).
pub(crate) fn cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).expect("cookie text is ASCII")
}

/// Signs in: sets the session cookie (HttpOnly, SameSite=Lax). Failed attempts are limited per
/// account and per address (429 with Retry-After).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Credentials, security(()),
    responses((status = 200, body = LoginReply), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(input): ApiJson<Credentials>,
) -> Result<Response> {
    let auth = &state.settings.auth;
    let session = sessions::login(&state.db.pool, auth, &input.username, &input.password, &address).await?;
    let mut conn = state.db.pool.acquire().await?;
    let principal = sessions::principal(&mut conn, &session.secret)
        .await?
        .ok_or_else(|| Error::Internal("a fresh session did not resolve".into()))?;
    tracing::info!(user = %principal.username, "signed in");
    let reply = LoginReply { user: Me::from(&principal), expires_at: session.expires_at };
    let mut response = ApiJson(reply).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&session.secret, auth.session_hours * 3600, auth.secure_cookies));
    Ok(response)
}

/// Signs out: revokes this session (or the token the request came with) and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(state): State<AppState>, principal: Principal) -> Result<Response> {
    let mut conn = state.db.pool.acquire().await?;
    sessions::revoke_session(&mut conn, principal.session_id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie("", 0, state.settings.auth.secure_cookies));
    Ok(response)
}

/// Who the caller is, with their roles.
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(principal: Principal) -> ApiJson<Me> {
    ApiJson(Me::from(&principal))
}

/// The caller's API tokens (without their secrets).
#[utoipa::path(get, path = "/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = ErrorBody)))]
async fn list_tokens(State(state): State<AppState>, principal: Principal) -> Result<ApiJson<Vec<TokenInfo>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(sessions::list_tokens(&mut conn, principal.user_id).await?))
}

/// Mints an API token for scripts: `Authorization: Bearer <token>`. The account's password is
/// asked again (a wrong one counts as a failed sign-in). The secret is in this answer only;
/// keep it.
#[utoipa::path(post, path = "/auth/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = MintedToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(address): ClientAddr,
    ApiJson(input): ApiJson<NewToken>,
) -> Result<(StatusCode, ApiJson<MintedToken>)> {
    let mut conn = state.db.pool.acquire().await?;
    let minted = sessions::create_token(&mut conn, &state.settings.auth, &principal, input, &address).await?;
    Ok((StatusCode::CREATED, ApiJson(minted)))
}

/// Revokes one of the caller's tokens at once.
#[utoipa::path(delete, path = "/auth/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode> {
    let mut conn = state.db.pool.acquire().await?;
    sessions::revoke_token(&mut conn, principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
