//! HTTP handlers for guidance documents.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Guidance, GuidanceMeta};
use crate::api::{ApiBytes, ApiJson, ApiPath, ApiQuery, AppState, Binary};
use crate::auth::Principal;
use crate::error::{ErrorBody, Result};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(published_at, publish))
        .routes(routes!(addressed))
        .routes(routes!(download))
}

/// The guidance documents published at a unit, in effect or not, newest first.
#[utoipa::path(get, path = "/units/{code}/guidance", tag = "guidance", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Guidance>), (status = 404, body = ErrorBody)))]
async fn published_at(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<Vec<Guidance>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(super::published_at(&mut conn, Some(&principal), &code).await?))
}

/// Publishes a guidance document for the units below (Culture and Information): the file is
/// the request body (PDF, DOCX, XLSX, PNG or JPEG, at most 5 MiB, recognised by its content),
/// or give `link` and an empty body.
#[utoipa::path(post, path = "/units/{code}/guidance", tag = "guidance", params(("code" = String, Path), GuidanceMeta),
    request_body(content((inline(Binary) = "application/octet-stream"))),
    responses((status = 201, body = Guidance), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiQuery(meta): ApiQuery<GuidanceMeta>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<Guidance>)> {
    let store = state.files();
    let published =
        super::publish(&state.db, &store, Some(&principal), &principal.actor(), &code, meta, &body).await?;
    Ok((StatusCode::CREATED, ApiJson(published)))
}

/// The guidance documents addressed to the caller today (by the units and roles they hold).
#[utoipa::path(get, path = "/guidance", tag = "guidance", responses((status = 200, body = Vec<Guidance>)))]
async fn addressed(State(state): State<AppState>, principal: Principal) -> Result<ApiJson<Vec<Guidance>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(super::for_principal(&mut conn, &principal).await?))
}

/// A guidance file, as an attachment (never shown as a page: `nosniff`, sandboxed).
#[utoipa::path(get, path = "/guidance/{id}/file", tag = "guidance", params(("id" = i64, Path)),
    // Served with the media type its name was recognised as at upload (guidance::TYPES).
    responses((status = 200, description = "The file, with the media type of its kind",
               content((inline(Binary) = "application/pdf"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                       (inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                       (inline(Binary) = "image/png"), (inline(Binary) = "image/jpeg"))),
              (status = 404, body = ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response> {
    let store = state.files();
    let (name, mime, bytes) = super::file(&state.db, &store, &principal, id).await?;
    Ok(attachment(&name, &mime, bytes))
}

/// `bytes` as a download named `name` (RFC 6266: an ASCII fallback and the UTF-8 name), with
/// headers that keep a browser from treating it as anything but a file.
pub fn attachment(name: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = crate::text::fold(name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let encoded: String =
        form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox; frame-ancestors 'none'".to_string(),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response()
}
