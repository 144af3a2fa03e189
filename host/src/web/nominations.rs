//! Youth Union nominations (`/units/{code}/nominations`): the district Youth Union nominates a
//! young person to a commune; the commune accepts (choosing the team) or declines with a reason.
//! Calls [`crate::nominations`], as the API does.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};

use super::forms::FormErrors;
use super::{Ctx, Signed, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::nominations::{self, Answer, NewNomination};
use crate::teams::{TeamFilter, TeamSort};
use crate::vocab::TeamStatus;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{code}/nominations", get(list).post(nominate))
        .route("/units/{code}/nominations/{id}/answer", post(answer))
}

type Fields = BTreeMap<String, String>;

fn label(ctx: &Ctx, field: &str) -> String {
    let key = format!("nomination.field.{field}");
    if super::i18n::known(&key) { ctx.t(&key) } else { field.to_string() }
}

async fn list_page(state: &AppState, ctx: &Ctx, code: &str, typed: Fields, errors: FormErrors) -> WebResult {
    let principal = ctx.principal();
    let mut conn = state.db.pool.acquire().await?;
    let rows = nominations::list(&mut conn, Some(principal), code).await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    let today = crate::dates::today_iso();
    let unit = crate::units::get(&mut conn, code, &today).await?.unit;
    let nominate =
        principal.can(&mut conn, Action::NominationsMake, Target { unit_id, team_id: None }).await?;
    let filter = TeamFilter {
        roots: Some(vec![unit_id]),
        as_of: today.clone(),
        status: Some(TeamStatus::Active),
        q: None,
        sort: TeamSort::Unit,
        failing: false,
    };
    let mut shown = Vec::new();
    for n in rows {
        let target = crate::units::id_of(&mut conn, &n.unit_code).await?;
        let answer = n.status == "pending"
            && principal
                .can(&mut conn, Action::NominationsAnswer, Target { unit_id: target, team_id: None })
                .await?;
        // The teams of the nominee's commune (and its villages), for the one answering.
        let mut choices = Vec::new();
        if answer {
            let filter = TeamFilter { roots: Some(vec![target]), ..filter.clone() };
            let (teams, _) = crate::teams::list(&mut conn, &filter, 500, 0).await?;
            choices = teams
                .into_iter()
                .map(|t| minijinja::context! { id => t.id, name => t.name, unit_name => t.unit_name })
                .collect();
        }
        shown.push(minijinja::context! {
            id => n.id, full_name => n.full_name, unit_name => n.unit_name, team_name => n.team_name, team_id => n.team_id,
            skills => n.skills.join(", "), note => n.note, status => n.status,
            status_words => ctx.t(&format!("nomination.status.{}", n.status)),
            phone => n.phone, email => n.email, birth_year => n.birth_year, hidden => n.personal_data_hidden,
            decline_reason => n.decline_reason, days => n.days_to_answer,
            nominated => crate::dates::display_instant(&n.nominated_at),
            answer, choices, member => n.membership_id,
        });
    }
    // Nominations go to communes: on a commune's page, that commune; above, the communes below
    // (never its villages, which the host refuses).
    let communes: Vec<_> = if unit.level == crate::units::Level::Commune {
        vec![minijinja::context! { code => unit.code.clone(), name => unit.name.clone() }]
    } else {
        let filter = crate::units::UnitFilter {
            as_of: today.clone(),
            parent: Some(code.to_string()),
            level: Some(crate::units::Level::Commune),
            ..Default::default()
        };
        let (children, _) = crate::units::list(&mut conn, &filter, 500, 0).await?;
        children.into_iter().map(|u| minijinja::context! { code => u.code, name => u.name }).collect()
    };
    let status = errors.status();
    let unit = minijinja::context! { code => unit.code, name => unit.name };
    let mut response = page(
        ctx,
        "nominations.html",
        "units",
        minijinja::context! { unit, rows => shown, nominate, communes, typed, errors },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn list(State(state): State<AppState>, Signed(ctx): Signed, Path(code): Path<String>) -> Response {
    list_page(&state, &ctx, &code, Fields::new(), FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

async fn nominate(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let get = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        let optional = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
        // The commune nominated to: chosen on a district's page, the page's own unit otherwise.
        let to = optional("unit").unwrap_or_else(|| code.clone());
        let input = NewNomination {
            full_name: get("full_name"),
            gender: get("gender"),
            birth_year: get("birth_year").parse().unwrap_or(0),
            phone: optional("phone"),
            email: optional("email"),
            skills: get("skills")
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            team_id: optional("team_id").and_then(|t| t.parse().ok()),
            note: get("note"),
        };
        let principal = ctx.principal();
        match nominations::nominate(&state.db, Some(principal), &principal.actor(), &to, input).await {
            Ok(_) => Ok(see_other(&format!("/units/{code}/nominations"), "nomination.ok.made")),
            Err(e) => {
                let errors = FormErrors::from_error(&ctx, e, |f| label(&ctx, f))?;
                list_page(&state, &ctx, &code, fields.clone(), errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn answer(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path((code, id)): Path<(String, i64)>,
    Form(fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let accept = fields.get("decision").map(String::as_str) == Some("accept");
        let input = Answer {
            accept,
            team_id: fields.get("team_id").and_then(|t| t.parse().ok()),
            joined_on: None,
            reason: fields.get("reason").cloned().filter(|r| !r.trim().is_empty()),
        };
        let principal = ctx.principal();
        let outcome =
            nominations::answer(&state.db, &state.plugins, Some(principal), &principal.actor(), id, input)
                .await;
        match outcome {
            Ok(_) => Ok(see_other(
                &format!("/units/{code}/nominations"),
                if accept { "nomination.ok.accepted" } else { "nomination.declined" },
            )),
            Err(e) => {
                let errors = FormErrors::from_error(&ctx, e, |f| label(&ctx, f))?;
                list_page(&state, &ctx, &code, fields.clone(), errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}
