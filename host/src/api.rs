//! The HTTP surface: application state, request extractors that answer in the one error
//! shape, pagination, the router with its middleware, and the OpenAPI document.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, State};
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Settings;
use crate::db::Db;
use crate::error::{Error, Result};

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool (SQLite or PostgreSQL).
    pub db: Db,
    /// Settings as loaded at start; limits such as page sizes come from here.
    pub settings: Arc<Settings>,
    /// The plugin engine, shared by every request.
    pub plugins: Arc<crate::plugins::Runtime>,
}

/// JSON body extractor whose rejections use the API's error shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// Query-string extractor whose rejections use the API's error shape.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

/// Path extractor whose rejections use the API's error shape.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        let text = rejection.body_text();
        match rejection {
            JsonRejection::JsonDataError(_) => {
                // serde_path_to_error's text is "Failed to ...: <path>: <problem>" (path may be
                // absent at the root); keep the field name so the client knows what to fix.
                let detail = text.split_once(": ").map(|(_, d)| d).unwrap_or(&text);
                let (field, message) = match detail.split_once(": ") {
                    Some((path, msg)) if !path.contains(' ') => (path.to_string(), msg.to_string()),
                    _ => ("body".to_string(), detail.to_string()),
                };
                Error::field(field, message)
            }
            JsonRejection::MissingJsonContentType(_) => {
                Error::UnsupportedMediaType("expected a body with Content-Type: application/json".into())
            }
            r if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Error::PayloadTooLarge("request body is larger than the server accepts".into())
            }
            _ => Error::BadRequest(format!("malformed JSON body: {text}")),
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::BadRequest(format!("invalid query string: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::BadRequest(format!("invalid path: {}", rejection.body_text()))
    }
}

/// One page of a list, with what is needed to ask for the next.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// 1-based page number.
    pub page: u32,
    pub per_page: u32,
    /// Number of items over all pages.
    pub total: i64,
}

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub fn new(page: Option<u32>, per_page: Option<u32>, settings: &Settings) -> Result<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(settings.api.default_page_size);
        if page == 0 {
            return Err(Error::BadRequest("page starts at 1".into()));
        }
        if per_page == 0 || per_page > settings.api.max_page_size {
            return Err(Error::BadRequest(format!(
                "per_page must be between 1 and {}",
                settings.api.max_page_size
            )));
        }
        Ok(PageRequest { page, per_page })
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn wrap<T>(&self, items: Vec<T>, total: i64) -> Page<T> {
        Page { items, page: self.page, per_page: self.per_page, total }
    }
}

/// `?as_of=`: the date a request is answered for (default today).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// yyyy-mm-dd or dd/mm/yyyy; today when absent.
    pub as_of: Option<String>,
}

/// Parses an optional `as_of` query value, defaulting to today in Viet Nam.
pub fn as_of(value: Option<&str>) -> Result<String> {
    match value {
        None | Some("") => Ok(crate::dates::today_iso()),
        Some(v) => crate::dates::parse(v).map(crate::dates::iso).ok_or_else(|| {
            Error::BadRequest(format!("as_of: '{v}' is not a date (yyyy-mm-dd or dd/mm/yyyy)"))
        }),
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sohoa API",
        description = "Community Digital Technology Teams: administrative units, teams and members. \
                       Dates are ISO 8601 (yyyy-mm-dd); input also accepts dd/mm/yyyy. \
                       Errors share one shape: {\"error\": {\"code\", \"message\", \"details\"}}."
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::error::FieldError)),
    modifiers(&SecuritySchemes),
    security(("session" = []), ("token" = [])),
    tags(
        (name = "auth", description = "Sign-in, sessions and API tokens"),
        (name = "users", description = "Accounts and their roles (administrators)"),
        (name = "audit", description = "The append-only audit trail"),
        (name = "units", description = "Administrative units over time"),
        (name = "plugins", description = "Rule plugins: install, bind to units, check"),
        (name = "teams", description = "Community Digital Technology Teams"),
        (name = "members", description = "Team members and their history"),
        (name = "reports", description = "Periodic reports from the enabled templates (HTML, DOCX, XLSX)"),
        (name = "commendations", description = "Scoring teams and members with the commendation criteria"),
        (name = "system", description = "Health and metadata"),
    )
)]
struct ApiDoc;

/// Documents the two ways to authenticate: the session cookie and a bearer token.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes and their OpenAPI description, before state and middleware.
fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(crate::auth::routes())
                .merge(crate::users::routes())
                .merge(crate::units::routes())
                .merge(crate::teams::routes())
                .merge(crate::plugins::routes())
                .merge(crate::reports::routes())
                .merge(crate::commendations::routes())
                .merge(crate::audit::routes()),
        )
        .split_for_parts()
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().1
}

/// The whole application: routes, state and middleware. Tests call it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let (routes, doc) = api_routes();
    let doc = Arc::new(doc);
    let request_id = HeaderName::from_static("x-request-id");
    let settings = state.settings.clone();
    routes
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .merge(crate::web::routes())
        .fallback(|uri: axum::http::Uri, visitor: crate::web::Visitor| async move {
            // The API answers JSON; everything else is a page.
            if uri.path().starts_with("/api/") {
                Error::NotFound("route".into()).into_response()
            } else {
                crate::web::not_found(visitor).await
            }
        })
        .method_not_allowed_fallback(|| async {
            (StatusCode::METHOD_NOT_ALLOWED, Error::BadRequest("method not allowed on this route".into()))
                .into_response()
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(settings.server.body_limit_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            Error::Internal("a request handler panicked".into()).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.server.request_timeout_secs),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), uri = %req.uri())
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// "ok" or "unavailable".
    pub status: String,
    pub database: String,
    pub version: String,
}

/// Answers 200 when the database does, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let up = state.db.ping().await;
    let status = if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = if up { "ok" } else { "unavailable" };
    let backend = match state.db.backend {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    (
        status,
        Json(Health {
            status: word.into(),
            database: format!("{backend}: {word}"),
            version: env!("CARGO_PKG_VERSION").into(),
        }),
    )
}
