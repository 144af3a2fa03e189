//! The management group (`/units/{code}/management-group`): who sits in a district's group and
//! who is its focal point; at a province, every district's focal point first. Someone leaves
//! the group on a day asked for on a page of its own (`…/{id}/end`): on a phone, a day field
//! beside every row would crowd the table, and ending today without asking recorded the wrong
//! day for a handover planned or already past. Calls [`crate::management`], as the API does.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};

use super::forms::FormErrors;
use super::{Ctx, Signed, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::error::Error;
use crate::management::{self, GroupEnd, NewGroupMember};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{code}/management-group", get(list).post(add))
        .route("/units/{code}/management-group/{id}/end", get(end_form).post(end))
}

type Fields = BTreeMap<String, String>;

fn label(ctx: &Ctx, field: &str) -> String {
    let key = format!("group.field.{field}");
    if super::i18n::known(&key) { ctx.t(&key) } else { field.to_string() }
}

fn day(iso: &str) -> String {
    crate::dates::parse(iso).map(crate::dates::display).unwrap_or_else(|| iso.to_string())
}

async fn list_page(state: &AppState, ctx: &Ctx, code: &str, typed: Fields, errors: FormErrors) -> WebResult {
    let principal = ctx.principal();
    let mut conn = state.db.pool.acquire().await?;
    let members = management::list(&mut conn, Some(principal), code).await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    let today = crate::dates::today_iso();
    let unit = crate::units::get(&mut conn, code, &today).await?.unit;
    // Groups sit at a district (or a province without districts): a commune's page lists,
    // and offers no form the service would refuse.
    let manage = matches!(unit.level, crate::units::Level::District | crate::units::Level::Province)
        && principal.can(&mut conn, Action::GroupManage, Target { unit_id, team_id: None }).await?;
    let mut rows = Vec::new();
    for m in &members {
        let id = crate::units::id_of(&mut conn, &m.unit_code).await?;
        // Ending is for someone in the group whose last day is not recorded yet (the API
        // answers 409 to a second end).
        let may_end = m.current
            && m.until_date.is_none()
            && principal.can(&mut conn, Action::GroupManage, Target { unit_id: id, team_id: None }).await?;
        // Named from a day still to come: not "former", joining.
        let upcoming = m.from_date > today;
        rows.push(minijinja::context! {
            id => m.id, unit_name => m.unit_name, full_name => m.full_name, title => m.title, office => m.office,
            phone => m.phone, email => m.email, focal => m.focal_point, current => m.current,
            dates => match &m.until_date { Some(u) => format!("{} – {}", day(&m.from_date), day(u)), None => format!("{} {}", ctx.t("guidance.from"), day(&m.from_date)) },
            may_end, upcoming, named_focal => m.named_focal_point,
        });
    }
    let focal: Vec<_> = members
        .iter()
        .filter(|m| m.focal_point && m.current)
        .map(|m| minijinja::context! { unit_name => m.unit_name, full_name => m.full_name, title => m.title, phone => m.phone, email => m.email })
        .collect();
    let status = errors.status();
    let unit = minijinja::context! { code => unit.code, name => unit.name };
    let mut response = page(
        ctx,
        "management.html",
        "units",
        minijinja::context! { unit, rows, focal, manage, typed, errors },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn list(State(state): State<AppState>, Signed(ctx): Signed, Path(code): Path<String>) -> Response {
    list_page(&state, &ctx, &code, Fields::new(), FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

async fn add(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let get = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        let optional = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
        let input = NewGroupMember {
            full_name: get("full_name"),
            title: get("title"),
            office: get("office"),
            phone: optional("phone"),
            email: optional("email"),
            focal_point: fields.contains_key("focal_point"),
            from_date: optional("from_date"),
            until_date: optional("until_date"),
        };
        let principal = ctx.principal();
        match management::add(&state.db, Some(principal), &principal.actor(), &code, input).await {
            Ok(_) => Ok(see_other(&format!("/units/{code}/management-group"), "group.ok.added")),
            Err(e) => {
                let errors = FormErrors::from_error(&ctx, e, |f| label(&ctx, f))?;
                list_page(&state, &ctx, &code, fields.clone(), errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

/// Someone in unit `code`'s group list (the address names both) whom the signed-in user may
/// manage. Errors: 404 for someone not in that list (another district's, through another
/// district's address), 403 for a role that may not manage the group there.
async fn listed_member(
    conn: &mut sqlx::AnyConnection,
    ctx: &Ctx,
    code: &str,
    id: i64,
) -> WebResult<management::GroupMember> {
    let principal = ctx.principal();
    let member = management::list(conn, Some(principal), code)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| Error::NotFound(format!("management group member {id} in {code}")))?;
    let unit_id = crate::units::id_of(conn, &member.unit_code).await?;
    if !principal.can(conn, Action::GroupManage, Target { unit_id, team_id: None }).await? {
        return Err(Error::Forbidden("your roles do not allow managing this group".into()).into());
    }
    Ok(member)
}

/// The end page's words for the service's field: the page asks for the "last day".
fn end_label(ctx: &Ctx, field: &str) -> String {
    if field == "until_date" { ctx.t("group.last_day") } else { label(ctx, field) }
}

/// The page asking for someone's last day in the group, with the day typed (today's on first
/// showing); for someone whose last day is recorded already, that day and no form.
async fn end_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    id: i64,
    typed: Fields,
    errors: FormErrors,
) -> WebResult {
    let mut conn = state.db.pool.acquire().await?;
    let member = listed_member(&mut conn, ctx, code, id).await?;
    let unit = crate::units::get(&mut conn, code, &crate::dates::today_iso()).await?.unit;
    let until =
        typed.get("until_date").cloned().unwrap_or_else(|| crate::dates::display(crate::dates::today()));
    let status = errors.status();
    let unit = minijinja::context! { code => unit.code, name => unit.name };
    let member = minijinja::context! {
        id => member.id, full_name => member.full_name, title => member.title, unit_name => member.unit_name,
        from => day(&member.from_date), focal => member.focal_point,
        ended => member.until_date.as_deref().map(day),
    };
    let mut response =
        page(ctx, "management_end.html", "units", minijinja::context! { unit, member, until, errors });
    *response.status_mut() = status;
    Ok(response)
}

async fn end_form(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    end_page(&state, &ctx, &code, id, Fields::new(), FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

async fn end(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path((code, id)): Path<(String, i64)>,
    Form(mut fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        // Only someone of the group this address names: the service would end anyone the
        // user may manage, whichever district's address the form was posted to.
        listed_member(&mut *state.db.pool.acquire().await?, &ctx, &code, id).await?;
        // The day is asked for; a form without one is refused by the service ("give the last
        // day"), never taken as today, and shown again empty.
        let until = fields.entry("until_date".into()).or_default().trim().to_string();
        let principal = ctx.principal();
        match management::end(
            &state.db,
            Some(principal),
            &principal.actor(),
            id,
            GroupEnd { until_date: until },
        )
        .await
        {
            Ok(_) => Ok(see_other(&format!("/units/{code}/management-group"), "group.ok.ended")),
            Err(e) => {
                let errors = FormErrors::from_error(&ctx, e, |f| end_label(&ctx, f))?;
                end_page(&state, &ctx, &code, id, fields.clone(), errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}
