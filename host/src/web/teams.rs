//! Team pages: members, the findings of the composition rule that applies (with the plugin's
//! name and version), and forms to add and edit members. A change that would break the rule is
//! refused with the plugin's findings, and can be saved anyway with a reason (audited), as in
//! the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::{Ctx, Signed, WebError, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::error::Error;
use crate::teams::access;
use crate::teams::{MemberChange, NewMember, composition};
use crate::vocab::{Affiliation, Gender, Position, Vocab};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams/{id}", get(team))
        .route("/teams/{id}/members", post(add_member))
        .route("/members/{id}/edit", get(edit_member))
        .route("/members/{id}", post(save_member))
}

/// What the member forms send (and show again when refused).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    birth_year: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    joined_on: String,
    #[serde(default)]
    left_on: String,
    #[serde(default)]
    override_reason: String,
}

/// Why a form was refused, in words for the page.
#[derive(Default)]
struct Refusal {
    error: Option<String>,
    problems: Vec<String>,
    needs_override: bool,
}

/// Turns a refused write into words for the form, or passes other failures on.
fn refusal(ctx: &Ctx, e: Error) -> WebResult<Refusal> {
    let label = |field: &str| {
        let key = format!("member.{field}");
        if super::i18n::known(&key) { ctx.t(&key) } else { field.to_string() }
    };
    match e {
        Error::Validation(fields) => Ok(Refusal {
            error: Some(ctx.t("form.invalid")),
            problems: fields
                .iter()
                .map(|f| format!("{}: {}", label(&f.field), super::i18n::problem(ctx.lang, &f.message)))
                .collect(),
            needs_override: false,
        }),
        Error::Composition { findings, .. } => Ok(Refusal {
            error: Some(ctx.t("form.breaks_rule")),
            problems: findings.into_iter().map(|f| f.message).collect(),
            needs_override: true,
        }),
        // The rule could not run: the same override lets the change through (audited).
        Error::RuleFailed(failure) => Ok(Refusal {
            error: Some(ctx.t("form.rule_failed")),
            problems: vec![failure.to_string()],
            needs_override: true,
        }),
        Error::Conflict(m) | Error::BadRequest(m) => Ok(Refusal { error: Some(m), ..Default::default() }),
        other => Err(WebError::App(other)),
    }
}

#[derive(Serialize)]
struct MemberView {
    id: i64,
    full_name: String,
    position: &'static str,
    affiliation: &'static str,
    birth_year: Option<i64>,
    joined_vn: String,
}

fn vn_date(iso: &str) -> String {
    crate::dates::parse(iso).map(crate::dates::display).unwrap_or_else(|| iso.to_string())
}

async fn team_page(state: &AppState, ctx: &Ctx, id: i64, form: MemberForm, refused: Refusal) -> WebResult {
    let principal = ctx.principal();
    let today = crate::dates::today_iso();
    let mut conn = state.db.pool.acquire().await?;
    let team = access::authorize_team(&mut conn, principal, Action::TeamsRead, id).await?;
    let mut detail = crate::teams::get(&mut conn, id, false).await?;
    access::redact(&mut conn, principal, &mut detail.members).await?;
    let path = crate::units::get(&mut conn, &team.unit_code, &today).await?.path;
    let can_edit = principal
        .can(&mut conn, Action::MembersWrite, Target { unit_id: team.unit_id, team_id: Some(id) })
        .await?;
    let gathered = composition::gather(&mut conn, &state.plugins, &[id], &today).await;
    // The connection goes back to the pool before the plugin runs.
    drop(conn);
    let (check, check_error) = match composition::judge_gathered(gathered, &state.plugins).await {
        Ok(mut c) => (c.pop(), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let members: Vec<MemberView> = detail
        .members
        .iter()
        .map(|m| MemberView {
            id: m.id,
            full_name: m.full_name.clone(),
            position: m.position.as_str(),
            affiliation: m.affiliation.as_str(),
            birth_year: m.birth_year,
            joined_vn: vn_date(&m.joined_on),
        })
        .collect();
    let status = if refused.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let team_view = minijinja::context! {
        id => team.id, name => team.name, unit_code => team.unit_code, unit_name => team.unit_name,
        decision_number => team.decision_number, decision_date_vn => vn_date(&team.decision_date),
        decision_signer => team.decision_signer, status => team.status.as_str(),
    };
    let mut response = page(
        ctx,
        "team.html",
        "units",
        minijinja::context! {
            team => team_view, path, members, can_edit, check, check_error, form,
            form_error => refused.error, form_problems => refused.problems, needs_override => refused.needs_override,
            positions => Position::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            affiliations => Affiliation::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            genders => Gender::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn team(State(state): State<AppState>, Signed(ctx): Signed, Path(id): Path<i64>) -> Response {
    let form = MemberForm { position: "member".into(), gender: "male".into(), ..Default::default() };
    team_page(&state, &ctx, id, form, Refusal::default()).await.unwrap_or_else(|e| e.page(&ctx))
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

async fn add_member(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let birth_year = match form.birth_year.trim() {
            "" => None,
            y => match y.parse::<i64>() {
                Ok(y) => Some(y),
                Err(_) => {
                    let refused = Refusal {
                        error: Some(ctx.t("form.invalid")),
                        problems: vec![format!("{}: '{y}'", ctx.t("member.birth_year"))],
                        ..Default::default()
                    };
                    return team_page(&state, &ctx, id, form.clone(), refused).await;
                }
            },
        };
        let input = NewMember {
            team_id: Some(id),
            full_name: non_empty(&form.full_name),
            gender: non_empty(&form.gender),
            birth_year,
            phone: non_empty(&form.phone),
            position: non_empty(&form.position),
            affiliation: non_empty(&form.affiliation),
            joined_on: non_empty(&form.joined_on),
            ..Default::default()
        };
        let reason = non_empty(&form.override_reason);
        match access::add_member(&state.db, &state.plugins, ctx.principal(), input, reason.as_deref()).await {
            Ok(_) => Ok(see_other(&format!("/teams/{id}"), "member.added")),
            Err(e) => {
                let refused = refusal(&ctx, e)?;
                team_page(&state, &ctx, id, form.clone(), refused).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn edit_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<MemberForm>,
    refused: Refusal,
) -> WebResult {
    let principal = ctx.principal();
    let mut conn = state.db.pool.acquire().await?;
    let member = access::visible_member(&mut conn, principal, Action::MembersWrite, id).await?;
    let team = crate::teams::find(&mut conn, member.team_id).await?;
    let form = form.unwrap_or_else(|| MemberForm {
        full_name: member.full_name.clone(),
        phone: member.phone.clone().unwrap_or_default(),
        position: member.position.as_str().into(),
        affiliation: member.affiliation.as_str().into(),
        left_on: member.left_on.as_deref().map(vn_date).unwrap_or_default(),
        ..Default::default()
    });
    let status = if refused.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response = page(
        ctx,
        "member_edit.html",
        "units",
        minijinja::context! {
            member => minijinja::context! { id => member.id, full_name => member.full_name, team_id => team.id, team_name => team.name },
            form, form_error => refused.error, form_problems => refused.problems, needs_override => refused.needs_override,
            positions => Position::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            affiliations => Affiliation::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn edit_member(State(state): State<AppState>, Signed(ctx): Signed, Path(id): Path<i64>) -> Response {
    edit_page(&state, &ctx, id, None, Refusal::default()).await.unwrap_or_else(|e| e.page(&ctx))
}

async fn save_member(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let change = MemberChange {
            full_name: non_empty(&form.full_name),
            // An emptied phone field clears the number.
            phone: Some(form.phone.trim().to_string()),
            position: non_empty(&form.position),
            affiliation: non_empty(&form.affiliation),
            left_on: Some(form.left_on.trim().to_string()),
            ..Default::default()
        };
        let reason = non_empty(&form.override_reason);
        match access::change_member(&state.db, &state.plugins, ctx.principal(), id, change, reason.as_deref())
            .await
        {
            Ok((member, _)) => Ok(see_other(&format!("/teams/{}", member.team_id), "member.saved")),
            Err(e) => {
                let refused = refusal(&ctx, e)?;
                edit_page(&state, &ctx, id, Some(form.clone()), refused).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}
