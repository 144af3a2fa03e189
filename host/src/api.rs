//! The HTTP surface: application state, request extractors that answer in the one error
//! shape (bodies are read under a limit the 413 names), pagination, the router with its
//! middleware (`json_errors` gives the framework's own answers under `/api/` the same shape),
//! and the OpenAPI document (`CommonResponses` declares the statuses every operation shares).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRef, FromRequest, FromRequestParts, State};
use axum::http::{HeaderMap, HeaderName, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod rejections;

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
    /// Where reports are laid out (the blocking pool, a few at a time).
    pub layouts: Arc<crate::documents::Layouts>,
    /// What the home page and the dashboard computed of a scope, kept until the data changes
    /// ([`crate::teams::scope_cache`]); one per process, like the plugin engine.
    pub scopes: Arc<crate::web::ScopeCaches>,
}

impl AppState {
    /// Where uploaded files (guidance documents) are stored for this instance.
    pub fn files(&self) -> crate::guidance::Store {
        crate::guidance::Store::for_instance(&self.db, &self.settings.paths.data_dir)
    }
}

/// Runs `work` in a task of its own, to its end whatever becomes of the request, and waits for
/// it until shortly before the server's request timeout (`server.request_timeout_secs`, less 2 s
/// or a third of it, whichever is shorter). For work that commits in steps (a roster in chunks,
/// a form's rows one by one): cut off with the request at the timeout, it stopped between two
/// steps with part of it written while the answer said the request was abandoned.
///
/// Errors: `work`'s; 503 `timeout` with `late(budget)` as its message when it outlasts the
/// budget (say there that it goes on, and how to see what it did); 500 if the task panicked.
/// The end of work that outlasted its request is logged (`what` names it), a failure as an
/// error: nobody is waiting for its answer any more.
pub async fn run_to_end<T: Send + 'static>(
    settings: &Settings,
    what: &'static str,
    work: impl std::future::Future<Output = Result<T>> + Send + 'static,
    late: impl FnOnce(Duration) -> String,
) -> Result<T> {
    let mut task = tokio::spawn(work);
    let timeout = settings.server.request_timeout_secs * 1000;
    let budget = Duration::from_millis(timeout - (timeout / 3).min(2000));
    match tokio::time::timeout(budget, &mut task).await {
        Ok(joined) => joined.map_err(|e| Error::Internal(format!("the work failed: {e}")))?,
        Err(_) => {
            tokio::spawn(async move {
                match task.await {
                    Ok(Ok(_)) => tracing::info!(what, "finished after its request timed out"),
                    Ok(Err(e)) => tracing::error!(what, error = %e, "failed after its request timed out"),
                    Err(e) => tracing::error!(what, error = %e, "panicked after its request timed out"),
                }
            });
            Err(Error::Timeout(late(budget)))
        }
    }
}

/// JSON body extractor whose rejections use the API's error shape. It reads the body itself,
/// under `server.body_limit_bytes`, so that a 413 can name the limit.
///
/// Request bodies are `#[serde(deny_unknown_fields)]`: a misspelt field ("nmae") answers 422
/// naming it, instead of being ignored while the change the caller meant does not happen.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request(req: Request<Body>, state: &S) -> Result<Self> {
        // Checked before reading, so a wrong type answers 415 however large the body.
        let content_type = content_type(req.headers());
        if !is_json(&content_type) {
            return Err(Error::UnsupportedMediaType(format!(
                "expected a body with Content-Type: application/json (got '{content_type}')"
            )));
        }
        let limit = AppState::from_ref(state).settings.server.body_limit_bytes;
        let bytes = read_body(req.into_body(), limit).await?;
        // Every request body is a record. serde reads a record given as an array as its fields
        // in order (`["Tổ 1", "2022-06-15"]`), which would write whatever lands where; any
        // other JSON value is refused in the same words (malformed JSON: 400 below).
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        {
            return Err(Error::field("body", NOT_A_RECORD));
        }
        // As axum's `Json` reads a body, but keeping serde's error whole: the path of the field
        // and the message apart, for [`rejections::field_problem`].
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            // Trailing characters after the record: not one JSON value, malformed.
            Ok(value) => match de.end() {
                Ok(()) => Ok(ApiJson(value)),
                Err(e) => Err(Error::BadRequest(format!("malformed JSON body: {e}"))),
            },
            // A wrong value of a field (422 naming it) only in a body that is well-formed
            // JSON as a whole: serde stops at the first wrong field and never reads on to
            // trailing garbage, a broken escape or invalid UTF-8 further on (all malformed,
            // 400). And serde_json calls some wrong types syntax errors: an enum given anything
            // but a string fails with "expected ident", a field's wrong value all the same.
            Err(e) if serde_json::from_slice::<serde_json::Value>(&bytes).is_ok() => {
                let (field, message) =
                    rejections::field_problem(&e.path().to_string(), &e.inner().to_string());
                Err(Error::field(field, message))
            }
            Err(e) => Err(Error::BadRequest(format!("malformed JSON body: {}", e.inner()))),
        }
    }
}

const NOT_A_RECORD: &str = "must be a JSON object ({\"field\": value, ...})";

/// For a request field holding a list of records (`#[serde(deserialize_with =
/// "crate::api::records")]` on a `Vec<T>` of structs): each item must be a JSON object, as
/// [`ApiJson`] requires of the body, because serde would read an item given as an array as
/// the record's fields in order. Errors name the item, counted from 1 ("item 2: ...").
pub fn records<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::de::Error as _;
    let items = Vec::<serde_json::Value>::deserialize(d)?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            if !item.is_object() {
                return Err(D::Error::custom(format!("item {}: {NOT_A_RECORD}", i + 1)));
            }
            // The field inside the item too ("item 2: role: missing field"), for the 422 to
            // name `roles[1].role` ([`rejections::field_problem`]). A path that could not be
            // told from the message (a key holding a space or ": ") is left out; serde's
            // message still names an unknown key.
            serde_path_to_error::deserialize(item).map_err(|e| {
                let inner = e.path().to_string();
                if inner == "." || inner.contains(' ') || inner.contains(':') {
                    D::Error::custom(format!("item {}: {}", i + 1, e.inner()))
                } else {
                    D::Error::custom(format!("item {}: {inner}: {}", i + 1, e.inner()))
                }
            })
        })
        .collect()
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// A raw body (roster files) under `server.body_limit_bytes`; too large answers 413 naming it.
#[derive(Debug)]
pub struct ApiBytes(pub Bytes);

impl<S> FromRequest<S> for ApiBytes
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request(req: Request<Body>, state: &S) -> Result<Self> {
        let limit = AppState::from_ref(state).settings.server.body_limit_bytes;
        Ok(ApiBytes(read_body(req.into_body(), limit).await?))
    }
}

/// The request's Content-Type, or "" when absent or not text.
pub fn content_type(headers: &HeaderMap) -> String {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// application/json, with parameters (`; charset=utf-8`) or a `+json` suffix.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads a whole body of at most `limit` bytes. Extractors call this instead of axum's
/// `Bytes`, whose rejection is `text/plain` and does not say what the limit is.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(limit)),
        Err(e) => Err(Error::BadRequest(format!("the request body could not be read: {e}"))),
    }
}

/// The 413 every body limit answers with, naming the limit.
pub fn too_large(limit: usize) -> Error {
    Error::PayloadTooLarge(format!(
        "the request body is larger than the {} this server accepts",
        human_size(limit)
    ))
}

/// A byte count as people read it: "8 MiB (8388608 bytes)".
pub fn human_size(bytes: usize) -> String {
    const MIB: usize = 1 << 20;
    const KIB: usize = 1 << 10;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB ({bytes} bytes)", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB ({bytes} bytes)", bytes / KIB)
    } else {
        format!("{bytes} bytes")
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

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::BadRequest(rejections::query_problem(&rejection))
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::BadRequest(rejections::path_problem(&rejection))
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

/// The bytes of a file (a component, a roster, a document) in the OpenAPI document: a binary
/// string, where `Vec<u8>` would describe a JSON array of numbers.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

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
    // Query parameter types are referenced by name but, unlike bodies, not collected from the
    // routes: they are listed here.
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::error::FieldError,
        crate::teams::TeamSort,
        crate::teams::members::MemberSort,
        crate::teams::export::Language,
        crate::units::UnitSort
    )),
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
        (name = "reporting", description = "The reporting workflow: submissions, review, unlocks, compiled reports, approval and completeness"),
        (name = "commendations", description = "Scoring teams and members with the commendation criteria"),
        (name = "emulation", description = "Emulation campaigns evaluated from stored reports, proposals, decisions and commendation records"),
        (name = "nominations", description = "Youth Union nominations of young people to communes and teams"),
        (name = "guidance", description = "Guidance documents for the teams (files and links)"),
        (name = "management", description = "The management group of a unit and its focal point"),
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
    let (routes, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
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
                .merge(crate::nominations::routes())
                .merge(crate::guidance::routes())
                .merge(crate::management::routes())
                .merge(crate::audit::routes()),
        )
        .split_for_parts();
    // After the split: `modifiers` on ApiDoc run before the routes add their operations.
    utoipa::Modify::modify(&CommonResponses, &mut doc);
    (routes, doc)
}

/// Declares, on every operation, the error statuses that come from the shared machinery
/// rather than from the handler's own logic, so that no annotation has to repeat them:
///
/// - 400 when there is a path, query or body to be malformed (`ApiPath`, `ApiQuery`, `ApiJson`);
/// - 401 unless the operation is public (`security(())` in its annotation, made `[]` here);
/// - 403 on changes (a body to write, or a DELETE: roles, read-only and unit-limited tokens)
///   unless public;
/// - 404 when the path names an object (missing and out-of-scope objects look alike);
/// - 409 on changes: a concurrent writer can hit a unique constraint first (`Error::Database`);
/// - 413, 415 and 422 when there is a body (its limit, its type, its content);
/// - 500 and 503 (database busy, request timeout) on every operation.
///
/// Statuses an annotation already declares (with its own body or description) are kept.
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                ("get", item.get.as_mut()),
                ("post", item.post.as_mut()),
                ("put", item.put.as_mut()),
                ("patch", item.patch.as_mut()),
                ("delete", item.delete.as_mut()),
            ];
            for (method, op) in operations {
                let Some(op) = op else { continue };
                // A POST without a body (checking a team, signing out) only reads or ends the
                // caller's own session; it is no change that roles or constraints can refuse.
                let change = method == "delete" || (method != "get" && op.request_body.is_some());
                let public = op.security.as_ref().is_some_and(|s| {
                    s.iter().all(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({})))
                });
                if public {
                    // `[]`: no credentials at all, rather than `[{}]` (credentials optional).
                    op.security = Some(Vec::new());
                }
                let params = op.parameters.as_deref().unwrap_or_default();
                let in_path = params.iter().any(|p| matches!(p.parameter_in, ParameterIn::Path));
                let body = op.request_body.is_some();
                let declared = [
                    (!params.is_empty() || body, "400", "The path, query string or body cannot be read"),
                    (!public, "401", "Not signed in, or the session or token is invalid"),
                    (!public && change, "403", "Your roles (or this token) do not allow this"),
                    (in_path, "404", "Not found, or outside your scope"),
                    (!public && change, "409", "The change conflicts with existing data"),
                    (body, "413", "The body is larger than the limit the message names"),
                    (body, "415", "The body's Content-Type is not one this operation reads"),
                    (body, "422", "The body was read but its content is not acceptable"),
                    (true, "500", "Internal error; the server log has the details"),
                    (true, "503", "The database is busy (see Retry-After) or the request timed out"),
                ];
                for (applies, status, description) in declared {
                    if applies {
                        op.responses
                            .responses
                            .entry(status.to_string())
                            .or_insert_with(|| error_response(description));
                    }
                }
            }
        }
    }
}

/// A response carrying the error shape.
fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    ResponseBuilder::new().description(description).content("application/json", content).build().into()
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().1
}

/// The whole application: routes, state and middleware. Tests call it with `oneshot`.
pub fn router(state: AppState) -> Router {
    crate::observability::install();
    let (routes, doc) = api_routes();
    let doc = Arc::new(doc);
    let settings = state.settings.clone();
    let app = routes
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .merge(crate::web::routes())
        // Counts and times every routed request by its route template (a route layer sees
        // the matched route); /metrics itself is added after, so scrapes are not counted.
        .route_layer(axum::middleware::from_fn(crate::observability::track))
        .route("/metrics", axum::routing::get(crate::observability::scrape))
        .fallback(|uri: axum::http::Uri, visitor: crate::web::Visitor| async move {
            // The API answers JSON; everything else is a page.
            if uri.path().starts_with("/api/") {
                Error::NotFound("route".into()).into_response()
            } else {
                crate::web::not_found(visitor).await
            }
        })
        .with_state(state);
    middleware(app, settings)
}

/// The layers around every route: body limit, panics, timeout, the error shape, request ids
/// and tracing (the last added is the outermost).
fn middleware(app: Router, settings: Arc<Settings>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    app.layer(axum::middleware::from_fn_with_state(settings.clone(), screen_text))
        // For web forms; the API's extractors read bodies under their own limits (`read_body`).
        .layer(DefaultBodyLimit::max(settings.server.body_limit_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            Error::Internal("a request handler panicked".into()).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(settings.server.request_timeout_secs),
        ))
        // Outside the timeout and the panic catcher, so that their answers are reshaped too.
        .layer(axum::middleware::from_fn_with_state(settings, json_errors))
        // Every answer, errors and framework refusals included.
        .layer(axum::middleware::from_fn(security_headers))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), uri = %req.uri())
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Refuses, before any handler runs, a request whose text holds a character no text sent to
/// sohoa may hold ([`crate::text::forbidden_char`]: control characters, direction overrides):
/// the query string (400, naming the parameter) and JSON or form bodies (422 naming the
/// field; read under `server.body_limit_bytes`; a body that does not parse passes on, for its
/// extractor to refuse in its own words). The answer is the API's error shape under `/api/`,
/// the error page elsewhere.
/// Other bodies (files, plugin components) are bytes, checked where they are read.
async fn screen_text(State(settings): State<Arc<Settings>>, req: Request<Body>, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    // A query string is part of the address: one that holds such a character is malformed (400).
    if let Some((field, c)) = parts.uri.query().and_then(|q| crate::text::forbidden_in_pairs(q.as_bytes())) {
        let reason = crate::text::forbidden_reason(c);
        return refuse(&parts, Error::BadRequest(format!("query parameter '{field}' {reason}")));
    }
    let essence = content_type(&parts.headers).split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    // As loosely as axum's `Form` accepts it ("application/x-www-form-urlencodedX" is read
    // as a form too): whatever a handler would read as a form is screened as one.
    let form = essence.starts_with("application/x-www-form-urlencoded");
    if !form && !is_json(&essence) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let bytes = match read_body(body, settings.server.body_limit_bytes).await {
        Ok(bytes) => bytes,
        Err(e) => return refuse(&parts, e),
    };
    let found = if form {
        crate::text::forbidden_in_pairs(&bytes)
    } else {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| crate::text::forbidden_in_json(&v))
    };
    match found {
        Some((field, c)) => refuse(&parts, Error::field(field, crate::text::forbidden_reason(c))),
        None => next.run(Request::from_parts(parts, Body::from(bytes))).await,
    }
}

/// The Content-Security-Policy of every page and API answer: the app's own scripts (htmx),
/// styles and images only, no inline script or style, no plugins, forms posting only here,
/// and no framing (clickjacking). OWASP ASVS 14.4.
pub const APP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of a laid-out document opened in the browser (`?format=html`): it carries its own
/// inline styles and loads nothing.
pub const DOCUMENT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Headers every answer carries unless its handler chose its own (a guidance file's sandbox, a
/// document's policy, the public page's and static files' caching):
/// - `Content-Security-Policy`: [`APP_CSP`];
/// - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (for browsers without
///   `frame-ancestors`);
/// - `Referrer-Policy: same-origin`: the site reads its own Referer to return to a form's page,
///   and no address (with its unit codes and search words) goes to another site;
/// - `Cache-Control: no-store`: pages and answers show personal data, which must not stay in a
///   shared or a lost machine's cache; what may be cached says so itself. A page answering a
///   form (POST: the form again with its errors, a laid-out report) is `private, no-cache`
///   instead: with `no-store` the browser's Back button could not return to it without asking
///   to send the form again (the browser walk found this), and it stays out of shared caches.
async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let form_answer = req.method() == axum::http::Method::POST && !req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, APP_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, if form_answer { "private, no-cache" } else { "no-store" }),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, axum::http::HeaderValue::from_static(value));
        }
    }
    response
}

/// `error` as the API's JSON under `/api/`, as the error page elsewhere.
fn refuse(parts: &axum::http::request::Parts, error: Error) -> Response {
    if parts.uri.path().starts_with("/api/") {
        error.into_response()
    } else {
        crate::web::error_page(parts, error)
    }
}

/// The one place where answers the framework makes by itself under `/api/` get the API's
/// error shape: axum's 405 (with its `Allow` header kept), the timeout's bare status, and any
/// extractor rejection that is still `text/plain`. Handlers and the API's own extractors
/// already answer [`Error`]s, which are JSON and pass through untouched; pages are left alone.
async fn json_errors(State(settings): State<Arc<Settings>>, req: Request<Body>, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    if !api
        || !(status.is_client_error() || status.is_server_error())
        || is_json(&content_type(response.headers()))
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Framework rejections carry a short sentence; keep it when there is one.
    let text = read_body(body, 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let or = |fallback: &str| if text.is_empty() { fallback.to_string() } else { text.clone() };
    let error = match status {
        StatusCode::BAD_REQUEST => Error::BadRequest(or("the request could not be read")),
        StatusCode::NOT_FOUND => Error::NotFound("route".into()),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
            Error::MethodNotAllowed(format!("{method} is not allowed on this route (allowed: {allowed})"))
        }
        StatusCode::PAYLOAD_TOO_LARGE => too_large(settings.server.body_limit_bytes),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType(or("unsupported Content-Type")),
        StatusCode::UNPROCESSABLE_ENTITY => Error::field("body", or("the request body is not acceptable")),
        StatusCode::SERVICE_UNAVAILABLE => Error::Timeout(format!(
            "the request took longer than {} seconds and was abandoned",
            settings.server.request_timeout_secs
        )),
        _ if status.is_client_error() => Error::BadRequest(or("the request was refused")),
        _ => Error::Internal(or("the server failed")),
    };
    let shaped = error.into_response();
    // The status stays what the framework chose; only the body and its type change.
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in shaped.headers() {
        parts.headers.insert(name, value.clone());
    }
    let (_, body) = shaped.into_parts();
    Response::from_parts(parts, body)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// "ok" or "unavailable".
    pub status: String,
    pub database: String,
    pub version: String,
}

/// Answers 200 when the database does, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "system", security(()),
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

#[cfg(test)]
mod tests {
    use axum::routing::{get, post};
    use tower::ServiceExt;

    use super::*;

    async fn panics() -> &'static str {
        panic!("on purpose")
    }

    /// Answers that no handler of the real API gives on purpose (a panic, a timeout, axum's
    /// own `text/plain` rejections) still get the error shape under `/api/`, and only there.
    #[tokio::test]
    async fn framework_answers_under_api_get_the_error_shape() {
        let overrides = vec![("server.request_timeout_secs", "1".to_string())];
        let settings = Settings::load(&crate::config::Sources { overrides, ..Default::default() }).unwrap();
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late"
        };
        let app = Router::new()
            .route("/api/panic", get(panics))
            .route("/api/slow", get(slow))
            .route("/page/slow", get(slow))
            // axum's own extractor, whose rejections are text/plain.
            .route("/api/bytes", post(|body: Bytes| async move { body.len().to_string() }));
        let app = middleware(app, Arc::new(settings));
        let send = |method: &str, uri: &str, body: Vec<u8>| {
            let req = Request::builder().method(method).uri(uri).body(Body::from(body)).unwrap();
            app.clone().oneshot(req)
        };
        let shape = |response: Response| async move {
            let status = response.status();
            let json = content_type(response.headers());
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            (status.as_u16(), json, body["error"]["code"].as_str().unwrap_or("").to_string(), body)
        };

        let (status, json, code, _) = shape(send("GET", "/api/panic", vec![]).await.unwrap()).await;
        assert_eq!((status, json.as_str(), code.as_str()), (500, "application/json", "internal"));

        let (status, json, code, body) = shape(send("GET", "/api/slow", vec![]).await.unwrap()).await;
        assert_eq!((status, json.as_str(), code.as_str()), (503, "application/json", "timeout"), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("1 seconds"), "{body}");

        let big = vec![b'x'; Settings::defaults().server.body_limit_bytes + 1];
        let (status, json, code, body) = shape(send("POST", "/api/bytes", big).await.unwrap()).await;
        assert_eq!((status, json.as_str(), code.as_str()), (413, "application/json", "payload_too_large"));
        assert!(body["error"]["message"].as_str().unwrap().contains("8 MiB"), "{body}");

        let response = send("GET", "/api/bytes", vec![]).await.unwrap();
        assert!(response.headers().contains_key(header::ALLOW), "the Allow header is kept");
        let (status, json, code, _) = shape(response).await;
        assert_eq!((status, json.as_str(), code.as_str()), (405, "application/json", "method_not_allowed"));

        // Pages keep their own answers.
        let (status, json, _, _) = shape(send("GET", "/page/slow", vec![]).await.unwrap()).await;
        assert_eq!(status, 503);
        assert_ne!(json, "application/json");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(8 << 20), "8 MiB (8388608 bytes)");
        assert_eq!(human_size(2048), "2 KiB (2048 bytes)");
        assert_eq!(human_size(1000), "1000 bytes");
    }
}
