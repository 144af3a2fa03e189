//! Sign-in, sign-out and the language switch.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{Ctx, LANG_COOKIE, Lang, Visitor, WebResult, check_csrf, page};
use crate::api::AppState;
use crate::auth::routes::{ClientAddr, cookie};
use crate::auth::sessions;
use crate::error::Error;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(switch_language))
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// Only paths on this site: never an open redirect. A path starts with one `/`, and holds no
/// backslash, control character or whitespace but the plain space: browsers drop tabs and
/// newlines from a URL (`/<TAB>/evil.example` becomes `//evil.example`, another site). What
/// is left is percent-encoded where a `Location` header needs it (spaces, Vietnamese letters of
/// a search), so any accepted path can be redirected to.
fn safe_next(next: Option<&str>) -> String {
    let acceptable = |n: &str| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.chars().any(|c| c == '\\' || c.is_control() || (c.is_whitespace() && c != ' '))
    };
    match next {
        Some(n) if acceptable(n) => {
            let mut out = String::with_capacity(n.len());
            for c in n.chars() {
                if c.is_ascii_graphic() {
                    out.push(c);
                } else {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
            out
        }
        _ => "/home".into(),
    }
}

/// Where to go after signing in: never back to the sign-in page.
fn after_sign_in(next: Option<&str>) -> String {
    let next = safe_next(next);
    if next.starts_with("/login") { "/home".into() } else { next }
}

fn login_form(ctx: &Ctx, next: &str, username: &str, error: Option<String>) -> Response {
    page(ctx, "login.html", "login", minijinja::context! { next, username, error })
}

async fn login_page(Visitor(ctx): Visitor, Query(q): Query<NextParam>) -> Response {
    if ctx.user.is_some() {
        return Redirect::to(&after_sign_in(q.next.as_deref())).into_response();
    }
    let next = after_sign_in(q.next.as_deref());
    page(&ctx, "login.html", "login", minijinja::context! { next, username => "" })
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    ClientAddr(address): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(e) = check_csrf(&ctx, &form.csrf) {
        return e.page(&ctx);
    }
    let next = after_sign_in(form.next.as_deref());
    let auth = &state.settings.auth;
    let result = sessions::login(&state.db.pool, auth, &form.username, &form.password, &address).await;
    match result {
        Ok(session) => {
            tracing::info!(user = %form.username.trim(), "signed in on the web");
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                cookie(&session.secret, auth.session_hours * 3600, auth.secure_cookies),
            );
            response
        }
        Err(Error::Unauthorized(_)) => login_form(&ctx, &next, &form.username, Some(ctx.t("sign_in.failed"))),
        // A refusal of the moment (sign-ins at once beyond the limits, none failed) asks for
        // a retry in a second; one of the failures, for a few minutes.
        Err(Error::TooManyRequests { retry_after_secs: 1, .. }) => {
            login_form(&ctx, &next, &form.username, Some(ctx.t("sign_in.at_once")))
        }
        Err(Error::TooManyRequests { .. }) => {
            login_form(&ctx, &next, &form.username, Some(ctx.t("sign_in.limited")))
        }
        Err(e) => super::WebError::App(e).page(&ctx),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let done: WebResult<Response> = async {
        check_csrf(&ctx, &form.csrf)?;
        if let Some(p) = &ctx.user {
            let mut conn = state.db.pool.acquire().await?;
            sessions::revoke_session(&mut conn, p.session_id).await?;
        }
        let mut response = super::see_other("/login", "signed_out");
        response.headers_mut().insert(header::SET_COOKIE, cookie("", 0, state.settings.auth.secure_cookies));
        Ok(response)
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

/// Sets the interface language for this browser and goes back.
async fn switch_language(Path(code): Path<String>, Query(q): Query<NextParam>) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let mut response = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let text = format!("{LANG_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000", lang.code());
    if let Ok(v) = header::HeaderValue::from_str(&text) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_site() {
        assert_eq!(super::safe_next(Some("/teams/3")), "/teams/3");
        assert_eq!(super::safe_next(Some("//evil.example")), "/home");
        assert_eq!(super::safe_next(Some("https://evil.example")), "/home");
        assert_eq!(super::safe_next(Some("/\\evil")), "/home");
        // Browsers strip tabs and newlines: "/\t/evil.example" would be "//evil.example".
        for hostile in
            ["/\t/evil.example", "/\n/evil.example", "/\r\nSet-Cookie: x=1", "/\u{0}x", "/\u{2028}/evil"]
        {
            assert_eq!(super::safe_next(Some(hostile)), "/home", "{hostile:?}");
        }
        // A search keeps its words, encoded for the header.
        assert_eq!(super::safe_next(Some("/units?q=tây sơn")), "/units?q=t%C3%A2y%20s%C6%A1n");
        assert_eq!(super::safe_next(None), "/home");
        assert_eq!(super::after_sign_in(Some("/login?next=/x")), "/home");
        assert_eq!(super::safe_next(Some("/login")), "/login");
        assert_eq!(super::after_sign_in(Some("/login?next=/x")), "/home");
        assert_eq!(super::safe_next(Some("/login")), "/login");
    }
}
