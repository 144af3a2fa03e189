//! The web interface: server-rendered pages in Vietnamese (English on request) for the officials
//! who run the teams. Pages work without JavaScript; the vendored htmx only makes searching and
//! previews quicker. Templates live in `host/templates/web/` and are compiled into the binary.
//!
//! - [`session`]: sign-in and sign-out with the same sessions as the API, the language switch.
//! - [`home`]: what needs attention in the user's scope.
//! - [`units`], [`teams`]: the tree, unit pages, team pages with findings and member forms.
//! - [`plugins`]: installed plugins, bindings, upload, "try it on this team".
//! - [`dashboard`]: coverage charts as server-drawn SVG.
//! - [`commendations`]: scoring typed figures with the commendation criteria (nothing kept).
//! - [`campaigns`]: emulation campaigns evaluated from stored reports, proposals, co-signature
//!   and decision; [`nominations`]: the Youth Union's nominations; [`guidance`]: guidance
//!   documents; [`management`]: the management group and focal points.
//! - [`public`]: the public results page (no sign-in, no personal data, cacheable).
//! - [`reports`], [`reporting`]: ad hoc reports, and the periodic reporting workflow (enter and
//!   submit, review, unlock, compile, approve, send, completeness).
//!
//! Every form carries a CSRF token (a random per-browser cookie, compared with the form field),
//! and POSTs from another origin are refused. Pages ask the same services and the same
//! permission table as the API; a page never sees more than the API would show its user.

mod campaigns;
mod commendations;
mod dashboard;
pub mod forms;
mod guidance;
mod home;
pub mod i18n;
mod management;
mod nominations;
mod plugins;
mod public;
mod reporting;
mod reports;
mod session;
mod teams;
mod units;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use crate::api::AppState;
use crate::auth::{Action, Principal};
use crate::error::Error;
use crate::teams::scope_cache::{BACKGROUND_TEAMS, ScopeCache};
pub use i18n::Lang;

/// The scope figures pages keep between requests, each until the data under it changes
/// ([`crate::teams::scope_cache`]): the home page's (by the user's scope) and the
/// dashboard's (by the unit shown). Scopes of more than [`BACKGROUND_TEAMS`] active teams
/// (the country) are served their newest figures while they are computed again, with a note.
#[derive(Debug)]
pub struct ScopeCaches {
    pub(crate) home: ScopeCache<home::Scope>,
    pub(crate) dashboard: ScopeCache<dashboard::Scope>,
}

impl Default for ScopeCaches {
    fn default() -> Self {
        ScopeCaches {
            home: ScopeCache::new("home").in_background_when(|s| s.summary.teams > BACKGROUND_TEAMS),
            dashboard: ScopeCache::new("dashboard")
                .in_background_when(|s| s.summary.teams > BACKGROUND_TEAMS),
        }
    }
}

/// The language cookie.
const LANG_COOKIE: &str = "sohoa_lang";
/// The CSRF cookie; forms echo its value in their `csrf` field.
const CSRF_COOKIE: &str = "sohoa_csrf";

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/web/base.html")),
    ("login.html", include_str!("../templates/web/login.html")),
    ("error.html", include_str!("../templates/web/error.html")),
    ("home.html", include_str!("../templates/web/home.html")),
    ("units.html", include_str!("../templates/web/units.html")),
    ("unit.html", include_str!("../templates/web/unit.html")),
    ("team.html", include_str!("../templates/web/team.html")),
    ("teams.html", include_str!("../templates/web/teams.html")),
    ("team_table.html", include_str!("../templates/web/team_table.html")),
    ("reports.html", include_str!("../templates/web/reports.html")),
    ("forms.html", include_str!("../templates/web/forms.html")),
    ("form_errors.html", include_str!("../templates/web/form_errors.html")),
    ("member_leave.html", include_str!("../templates/web/member_leave.html")),
    ("member_edit.html", include_str!("../templates/web/member_edit.html")),
    ("plugins.html", include_str!("../templates/web/plugins.html")),
    ("plugins_confirm.html", include_str!("../templates/web/plugins_confirm.html")),
    ("plugins_unbind.html", include_str!("../templates/web/plugins_unbind.html")),
    ("dashboard.html", include_str!("../templates/web/dashboard.html")),
    ("report.html", include_str!("../templates/web/report.html")),
    ("commendations.html", include_str!("../templates/web/commendations.html")),
    ("reporting_form.html", include_str!("../templates/web/reporting_form.html")),
    ("reporting_report.html", include_str!("../templates/web/reporting_report.html")),
    ("campaigns.html", include_str!("../templates/web/campaigns.html")),
    ("campaign.html", include_str!("../templates/web/campaign.html")),
    ("nominations.html", include_str!("../templates/web/nominations.html")),
    ("guidance.html", include_str!("../templates/web/guidance.html")),
    ("management.html", include_str!("../templates/web/management.html")),
    ("management_end.html", include_str!("../templates/web/management_end.html")),
    ("public.html", include_str!("../templates/web/public.html")),
];

static ENV: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source).unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env.add_function("t", |state: &minijinja::State, key: &str| -> String {
        let lang = state.lookup("lang").and_then(|v| v.as_str().and_then(Lang::parse)).unwrap_or_default();
        i18n::t(lang, key)
    });
    env
});

/// Who is looking, in which language, with which CSRF token: what every page needs.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    /// The request's path and query, for the language switch and sign-in redirects.
    pub path: String,
    pub user: Option<Principal>,
    /// A message for this page worked out by its handler (it names a person or a date), shown
    /// instead of the `?ok=` key's fixed words.
    pub notice: Option<String>,
    /// Where the language switch returns: this page, or for a page answering a form (a POST,
    /// which cannot be opened again by address) the page the form was on.
    pub here: String,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// The message named by this request's `?ok=` (only known message keys are shown).
    pub fn flash(&self) -> Option<String> {
        if let Some(notice) = &self.notice {
            return Some(notice.clone());
        }
        let query = self.path.split_once('?').map(|(_, q)| q).unwrap_or("");
        query.split('&').find_map(|kv| kv.strip_prefix("ok=")).filter(|k| i18n::known(k)).map(|k| self.t(k))
    }

    /// The value of `name` in this request's query string, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.path.split_once('?').map(|(_, q)| q)?;
        form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    fn principal(&self) -> &Principal {
        self.user.as_ref().expect("a signed-in page has a user")
    }

    /// Whether technical detail (plugin ids and versions, unit codes, a rule's raw failure) is
    /// shown: to those who administer plugins, on a "chi tiết kỹ thuật" line; officials see
    /// titles and unit names only.
    pub fn technical(&self) -> bool {
        self.user.as_ref().is_some_and(|p| {
            p.assignments
                .iter()
                .any(|a| crate::auth::grant(a.role, Action::PluginsEnable) != crate::auth::Reach::No)
        })
    }
}

#[derive(Serialize)]
struct UserView {
    display_name: String,
    roles: Vec<RoleView>,
    plugins_admin: bool,
    /// May make reports somewhere: the menu offers "Báo cáo".
    reports: bool,
}

#[derive(Serialize)]
struct RoleView {
    role: &'static str,
    unit_name: String,
}

/// The names the layout (`base.html`) gives every page; a page's own context may not use them.
const BASE_NAMES: [&str; 7] = ["lang", "csrf", "request_path", "user", "section", "today", "flash"];

/// Renders `template` with the page context plus `extra` (a serializable value or `context!`).
pub fn page(ctx: &Ctx, template: &str, section: &str, extra: impl Serialize) -> Response {
    page_with_status(ctx, StatusCode::OK, template, section, extra)
}

fn page_with_status(
    ctx: &Ctx,
    status: StatusCode,
    template: &str,
    section: &str,
    extra: impl Serialize,
) -> Response {
    let user = ctx.user.as_ref().map(|p| UserView {
        display_name: p.display_name.clone(),
        roles: p
            .assignments
            .iter()
            .map(|a| RoleView { role: a.role.as_str(), unit_name: a.unit_name.clone() })
            .collect(),
        plugins_admin: ctx.technical(),
        reports: p
            .assignments
            .iter()
            .any(|a| crate::auth::grant(a.role, Action::ReportsIssue) != crate::auth::Reach::No),
    });
    let base = minijinja::context! {
        lang => ctx.lang.code(),
        csrf => ctx.csrf,
        request_path => if ctx.here.is_empty() { ctx.path.clone() } else { ctx.here.clone() },
        user => user,
        section => section,
        today => crate::dates::display(crate::dates::today()),
        flash => ctx.flash(),
    };
    let extra = minijinja::Value::from_serialize(&extra);
    // The layout's names are the layout's: a page that reused one (a breadcrumb `path` once
    // replaced the request path, so the language switch lost the page) is a bug caught here.
    if let Some(clash) = BASE_NAMES.iter().find(|name| extra.get_attr(name).is_ok_and(|v| !v.is_undefined()))
    {
        tracing::error!(template, name = clash, "a page's context reuses a layout name");
        debug_assert!(false, "{template}: the page context reuses the layout's name '{clash}'");
    }
    let context = minijinja::context! { ..base, ..extra };
    match ENV.get_template(template).and_then(|t| t.render(context)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "rendering a page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(format!("<p>{}</p>", ctx.t("error.internal_text"))))
                .into_response()
        }
    }
}

/// A page's failure, shown as a page (the API answers JSON; pages answer HTML).
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: go to the sign-in page, then come back.
    SignIn {
        next: String,
    },
    /// The form's CSRF token is missing or wrong.
    Csrf,
    App(Error),
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        WebError::App(e)
    }
}

impl From<sqlx::Error> for WebError {
    fn from(e: sqlx::Error) -> Self {
        WebError::App(Error::Database(e))
    }
}

pub type WebResult<T = Response> = Result<T, WebError>;

impl WebError {
    /// The error as a page in the user's language.
    pub fn page(self, ctx: &Ctx) -> Response {
        let (status, heading, message) = match self {
            WebError::SignIn { next } => {
                return Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response();
            }
            WebError::Csrf => (StatusCode::FORBIDDEN, ctx.t("error.csrf"), ctx.t("error.csrf_text")),
            WebError::App(e) => match e.status() {
                StatusCode::NOT_FOUND => {
                    (StatusCode::NOT_FOUND, ctx.t("error.not_found"), ctx.t("error.not_found_text"))
                }
                StatusCode::FORBIDDEN => {
                    (StatusCode::FORBIDDEN, ctx.t("error.forbidden"), ctx.t("error.forbidden_text"))
                }
                StatusCode::UNAUTHORIZED => {
                    return Redirect::to(&format!("/login?next={}", urlencode(&ctx.path))).into_response();
                }
                s if s.is_server_error() && s != StatusCode::BAD_GATEWAY => {
                    tracing::error!(error = %e, "page failed");
                    (s, ctx.t("error.internal"), ctx.t("error.internal_text"))
                }
                s => {
                    let message = match &e {
                        Error::Validation(fields) => fields
                            .iter()
                            .map(|f| format!("{}: {}", f.field, i18n::problem(ctx.lang, &f.message)))
                            .collect::<Vec<_>>()
                            .join("; "),
                        _ => e.to_string(),
                    };
                    (s, ctx.t("error.bad_input"), message)
                }
            },
        };
        page_with_status(ctx, status, "error.html", "", minijinja::context! { heading, message })
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// The CSRF token of this browser, made by [`csrf_layer`].
#[derive(Debug, Clone)]
struct CsrfToken(String);

/// Gives every browser a CSRF token cookie and refuses cross-origin POSTs.
async fn csrf_layer(mut req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    if parts.method == Method::POST && !same_origin(&parts) {
        let ctx = ctx_of(&parts, None);
        return WebError::Csrf.page(&ctx);
    }
    let existing = valid_csrf(cookie_value(&parts, CSRF_COOKIE));
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(crate::auth::sessions::random_secret);
    parts.extensions.insert(CsrfToken(token.clone()));
    req = Request::from_parts(parts, body);
    let mut response = next.run(req).await;
    if fresh {
        let text = format!("{CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
        if let Ok(v) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The form token of a signed-in browser: SHA-256 of a fixed label and the session's secret
/// (64 hex digits). The secret is an HttpOnly cookie, so another site can neither read it nor
/// compute the token.
fn session_csrf(session_secret: &str) -> String {
    crate::plugins::registry::sha256_hex(format!("sohoa-csrf\0{session_secret}").as_bytes())
}

/// A CSRF cookie as this server makes them (64 hex digits), or None.
fn valid_csrf(token: Option<String>) -> Option<String> {
    token.filter(|t| t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Axum's own refusals of a page request (an id in the address that is not a number, a
/// missing query field, a form body it cannot read, a method the address does not take) are
/// short English text; on the site they become the error page in the user's language: an
/// address that does not parse names nothing (404), a form that cannot be read is bad input,
/// and a form's address opened directly says so.
async fn rejections_as_pages(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = ctx_of(&parts, None);
    let is_get = parts.method == Method::GET;
    let response = next.run(Request::from_parts(parts, body)).await;
    // Axum's refusals are plain text, or (405) no body at all; pages are HTML.
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    let status = response.status();
    if !plain || !status.is_client_error() {
        return response;
    }
    let (status, heading, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (status, ctx.t("error.not_a_page"), ctx.t("error.not_a_page_text")),
        StatusCode::BAD_REQUEST if is_get => {
            (StatusCode::NOT_FOUND, ctx.t("error.not_found"), ctx.t("error.not_found_text"))
        }
        other => (other, ctx.t("error.bad_input"), ctx.t("error.unreadable_form")),
    };
    page_with_status(&ctx, status, "error.html", "", minijinja::context! { heading, message })
}

/// `error` as the error page, for a request refused before it reached a page's handler
/// (e.g. [`crate::api`]'s screening of text); the page is the signed-out one.
pub fn error_page(parts: &Parts, error: Error) -> Response {
    WebError::App(error).page(&ctx_of(parts, None))
}

/// An `Origin` header, when the browser sends one, must name this host.
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").map(|(_, h)| h) == Some(host)
}

fn ctx_of(parts: &Parts, user: Option<Principal>) -> Ctx {
    let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let here = if parts.method == Method::GET {
        path.clone()
    } else {
        // The form's page, from the Referer when it is this site's; else the home page.
        let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        parts
            .headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.split_once("://"))
            .and_then(|(_, rest)| rest.strip_prefix(host))
            .filter(|p| p.starts_with('/'))
            .map(str::to_string)
            .unwrap_or_else(|| "/home".into())
    };
    Ctx {
        here,
        lang: cookie_value(parts, LANG_COOKIE).as_deref().and_then(Lang::parse).unwrap_or_default(),
        // Signed in with a session cookie: the token is derived from the session, so a token
        // seen by one session (or planted as a cookie by a neighbouring site) is worth nothing
        // in another, and signing in changes it. Signed out (the sign-in form): the browser's
        // random cookie. Pages under `routes()` get that from `csrf_layer`; the not-found page
        // (the application's fallback, outside that layer) reads the cookie itself.
        csrf: match user.as_ref().and_then(|_| cookie_value(parts, crate::auth::COOKIE)) {
            Some(session) => session_csrf(&session),
            None => parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .or_else(|| valid_csrf(cookie_value(parts, CSRF_COOKIE)))
                .unwrap_or_default(),
        },
        path,
        user,
        notice: None,
    }
}

/// The page context of a visitor who may not be signed in.
pub struct Visitor(pub Ctx);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = Principal::from_request_parts(parts, state).await.ok();
        Ok(Visitor(ctx_of(parts, user)))
    }
}

/// The page context of a signed-in user; others are sent to the sign-in page.
pub struct Signed(pub Ctx);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await {
            Ok(p) => Ok(Signed(ctx_of(parts, Some(p)))),
            Err(_) => {
                let ctx = ctx_of(parts, None);
                Err(WebError::SignIn { next: ctx.path.clone() }.page(&ctx))
            }
        }
    }
}

/// Compares the form's token with the browser's, in constant time.
pub fn check_csrf(ctx: &Ctx, given: &str) -> WebResult<()> {
    let (a, b) = (ctx.csrf.as_bytes(), given.as_bytes());
    let same =
        a.len() == b.len() && !a.is_empty() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    if same { Ok(()) } else { Err(WebError::Csrf) }
}

/// One step of a breadcrumb trail: a link only where the user may open that unit's page (a
/// commune officer sees the province and district names, but their pages are not theirs).
#[derive(Serialize)]
pub struct Crumb {
    pub code: String,
    pub name: String,
    pub link: bool,
}

/// The breadcrumb trail of `path` (root first) for the signed-in user.
pub async fn crumbs(
    conn: &mut sqlx::AnyConnection,
    ctx: &Ctx,
    path: &[crate::units::UnitRef],
) -> WebResult<Vec<Crumb>> {
    let mut out = Vec::with_capacity(path.len());
    for u in path {
        let unit_id = crate::units::id_of(conn, &u.code).await?;
        let link = ctx
            .principal()
            .can(conn, Action::TeamsRead, crate::auth::Target { unit_id, team_id: None })
            .await?;
        out.push(Crumb { code: u.code.clone(), name: u.name.clone(), link });
    }
    Ok(out)
}

/// A redirect after a successful POST, with a message for the next page.
pub fn see_other(to: &str, message_key: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}ok={message_key}")).into_response()
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/app.css"),
    )
        .into_response()
}

async fn htmx() -> Response {
    // The file name carries the version, so it may be cached for good.
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        include_str!("../static/htmx-2.0.11.min.js"),
    )
        .into_response()
}

async fn root(Visitor(ctx): Visitor) -> Response {
    Redirect::to(if ctx.user.is_some() { "/home" } else { "/login" }).into_response()
}

/// HTML 404 for unknown pages outside the API.
pub async fn not_found(Visitor(ctx): Visitor) -> Response {
    WebError::App(Error::NotFound("page".into())).page(&ctx)
}

/// The pages and their assets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/static/app.css", get(stylesheet))
        .route("/static/htmx-2.0.11.min.js", get(htmx))
        .merge(session::routes())
        .merge(home::routes())
        .merge(units::routes())
        .merge(teams::routes())
        .merge(plugins::routes())
        .merge(reports::routes())
        .merge(reporting::routes())
        .merge(dashboard::routes())
        .merge(commendations::routes())
        .merge(campaigns::routes())
        .merge(nominations::routes())
        .merge(guidance::routes())
        .merge(management::routes())
        .layer(axum::middleware::from_fn(rejections_as_pages))
        .layer(axum::middleware::from_fn(csrf_layer))
        // Outside the session and CSRF layers: no cookie, the same page for everyone.
        .merge(public::routes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_every_word_is_translated() {
        for (name, source) in TEMPLATES {
            ENV.get_template(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Every literal key a template asks for is in the dictionary.
            for part in source.split("t(").skip(1) {
                let quote = part.chars().next().unwrap_or(' ');
                if quote != '"' && quote != '\'' {
                    continue;
                }
                let key: String = part[1..].chars().take_while(|c| *c != quote).collect();
                if part[1 + key.len() + 1..].trim_start().starts_with('~') {
                    continue; // a prefix completed at run time, e.g. t("level." ~ u.level)
                }
                assert!(i18n::known(&key), "{name} uses t(\"{key}\") which has no translation");
            }
        }
    }

    #[test]
    fn every_word_the_handlers_ask_for_is_translated() {
        let sources = [
            include_str!("web.rs"),
            include_str!("web/commendations.rs"),
            include_str!("web/campaigns.rs"),
            include_str!("web/nominations.rs"),
            include_str!("web/guidance.rs"),
            include_str!("web/management.rs"),
            include_str!("web/public.rs"),
            include_str!("web/dashboard.rs"),
            include_str!("web/forms.rs"),
            include_str!("web/home.rs"),
            include_str!("web/plugins.rs"),
            include_str!("web/reports.rs"),
            include_str!("web/session.rs"),
            include_str!("web/teams.rs"),
            include_str!("web/units.rs"),
        ];
        for source in sources {
            for part in source.split(".t(\"").skip(1) {
                let key: String = part.chars().take_while(|c| *c != '"').collect();
                assert!(i18n::known(&key), "ctx.t(\"{key}\") has no translation");
            }
        }
    }

    #[test]
    fn the_layout_renders_for_visitors() {
        let ctx = Ctx {
            lang: Lang::Vi,
            csrf: "c".repeat(64),
            path: "/login?next=/teams/3".into(),
            user: None,
            notice: None,
            here: String::new(),
        };
        let response =
            page(&ctx, "login.html", "login", minijinja::context! { next => "/home", username => "" });
        assert_eq!(response.status(), StatusCode::OK);
        let response = page(&ctx, "error.html", "", minijinja::context! { heading => "x", message => "y" });
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn the_language_switch_keeps_the_page_whatever_the_page_calls_path() {
        let ctx = Ctx {
            lang: Lang::Vi,
            csrf: "c".repeat(64),
            path: "/teams/3?former=1".into(),
            user: None,
            notice: None,
            here: String::new(),
        };
        // A page with a breadcrumb trail named `path`, as the team page has.
        let response = page(
            &ctx,
            "error.html",
            "",
            minijinja::context! { heading => "x", message => "y", path => ["52", "547"] },
        );
        let body = futures::executor::block_on(axum::body::to_bytes(response.into_body(), 1 << 20)).unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("/lang/en?next=&#x2f;teams&#x2f;3%3Fformer%3D1"), "{body}");
    }

    #[test]
    #[should_panic(expected = "reuses the layout's name 'user'")]
    fn a_page_may_not_reuse_a_layout_name() {
        let ctx = Ctx { lang: Lang::Vi, path: "/".into(), ..Default::default() };
        page(
            &ctx,
            "error.html",
            "",
            minijinja::context! { heading => "x", message => "y", user => "mallory" },
        );
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        let ctx = Ctx { lang: Lang::Vi, csrf: "ab".repeat(32), path: "/".into(), ..Default::default() };
        assert!(check_csrf(&ctx, &"ab".repeat(32)).is_ok());
        assert!(check_csrf(&ctx, &"ab".repeat(31)).is_err());
        assert!(check_csrf(&ctx, "").is_err());
        let empty = Ctx { csrf: String::new(), ..ctx };
        assert!(check_csrf(&empty, "").is_err());
    }
}
