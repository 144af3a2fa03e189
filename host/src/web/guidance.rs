//! Guidance documents (`/units/{code}/guidance`): the Culture and Information office uploads
//! files or links for the units below; everyone addressed sees them on their home page.
//! Calls [`crate::guidance`], as the API does; files are downloaded from the API's address.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::routing::get;

use super::forms::FormErrors;
use super::{Ctx, Signed, WebError, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::error::Error;
use crate::guidance::{self, Guidance, GuidanceMeta};

pub fn routes() -> Router<AppState> {
    Router::new().route("/units/{code}/guidance", get(list).post(publish))
}

type Fields = BTreeMap<String, String>;

/// A guidance document as a page lists it.
pub fn shown(ctx: &Ctx, g: &Guidance) -> minijinja::Value {
    let size = g.size.map(|s| format!("{} KB", crate::reports::form::shown((s as f64 / 1024.0).ceil())));
    minijinja::context! {
        id => g.id, title => g.title, link => g.link, download => g.download, file_name => g.file_name, size,
        kind => g.file_name.as_deref().and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_uppercase()),
        unit_name => g.unit_name, in_effect => g.in_effect,
        valid => match &g.valid_until {
            Some(until) => format!("{} – {}", day(&g.valid_from), day(until)),
            None => format!("{} {}", ctx.t("guidance.from"), day(&g.valid_from)),
        },
    }
}

fn day(iso: &str) -> String {
    crate::dates::parse(iso).map(crate::dates::display).unwrap_or_else(|| iso.to_string())
}

async fn list_page(state: &AppState, ctx: &Ctx, code: &str, typed: Fields, errors: FormErrors) -> WebResult {
    let principal = ctx.principal();
    let mut conn = state.db.pool.acquire().await?;
    let published = guidance::published_at(&mut conn, Some(principal), code).await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    let manage = principal.can(&mut conn, Action::GuidanceManage, Target { unit_id, team_id: None }).await?;
    let unit = crate::units::get(&mut conn, code, &crate::dates::today_iso()).await?.unit;
    let rows: Vec<_> = published.iter().map(|g| shown(ctx, g)).collect();
    let roles: Vec<_> = crate::auth::Role::ALL
        .iter()
        .map(|r| minijinja::context! { value => r.as_str(), label => r.label_vi() })
        .collect();
    let status = errors.status();
    let unit = minijinja::context! { code => unit.code, name => unit.name };
    let mut response =
        page(ctx, "guidance.html", "units", minijinja::context! { unit, rows, manage, roles, typed, errors });
    *response.status_mut() = status;
    Ok(response)
}

async fn list(State(state): State<AppState>, Signed(ctx): Signed, Path(code): Path<String>) -> Response {
    list_page(&state, &ctx, &code, Fields::new(), FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

async fn publish(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let done: WebResult = async {
        let mut typed = Fields::new();
        let mut levels = Vec::new();
        let mut roles = Vec::new();
        let mut bytes = Vec::new();
        let mut file_name = None;
        let bad =
            |e: axum::extract::multipart::MultipartError| WebError::App(Error::BadRequest(e.body_text()));
        while let Some(field) = multipart.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or("").to_string();
            match name.as_str() {
                "file" => {
                    file_name = field.file_name().map(str::to_string).filter(|n| !n.is_empty());
                    bytes = field.bytes().await.map_err(bad)?.to_vec();
                }
                "levels" => levels.push(field.text().await.map_err(bad)?),
                "roles" => roles.push(field.text().await.map_err(bad)?),
                _ => {
                    let value = field.text().await.map_err(bad)?;
                    typed.insert(name, value);
                }
            }
        }
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        let optional = |k: &str| typed.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let meta = GuidanceMeta {
            title: typed.get("title").cloned().unwrap_or_default(),
            file_name: if bytes.is_empty() { None } else { file_name },
            link: optional("link"),
            levels: Some(levels.join(",")),
            roles: Some(roles.join(",")),
            valid_from: optional("valid_from"),
            valid_until: optional("valid_until"),
        };
        let principal = ctx.principal();
        let store = state.files();
        match guidance::publish(&state.db, &store, Some(principal), &principal.actor(), &code, meta, &bytes)
            .await
        {
            Ok(_) => Ok(see_other(&format!("/units/{code}/guidance"), "guidance.ok.published")),
            Err(Error::PayloadTooLarge(_)) => {
                let mut errors = FormErrors::new(ctx.t("form.invalid"));
                errors.field("file", &ctx.t("guidance.field.file"), ctx.t("guidance.too_large"));
                list_page(&state, &ctx, &code, typed, errors).await
            }
            Err(e) => {
                let errors = FormErrors::from_error(&ctx, e, |f| {
                    let key = format!("guidance.field.{f}");
                    if super::i18n::known(&key) { ctx.t(&key) } else { f.to_string() }
                })?;
                list_page(&state, &ctx, &code, typed, errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}
