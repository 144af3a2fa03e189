//! The public results page (`/public/{code}`, no sign-in): for a province, district or
//! commune, its active teams, serving members, the villages with a team, the key figures of
//! the latest period with accepted reports, and the awards decided (the Youth Union publicises
//! the teams' results).
//!
//! **No personal data**: counts, unit and team names, and the names of published award
//! recipients only; never a phone, an email, a year of birth or a member's name otherwise.
//! The page is cacheable (`Cache-Control: public, max-age=300`) and carries no cookie: it is
//! served outside the session and CSRF layers, and is a few kilobytes for a phone on a weak
//! connection.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::{Ctx, Lang, WebResult, page};
use crate::api::AppState;
use crate::error::Error;
use crate::periods::Period;
use crate::plugins::types::Aggregation;
use crate::reports::submissions::Status;
use crate::teams::{TeamFilter, TeamSort};
use crate::units::{Level, UnitFilter};
use crate::vocab::TeamStatus;

/// How long browsers and shared caches may keep the page, in seconds.
const MAX_AGE: u32 = 300;
/// How many of the latest periods with accepted reports (anywhere) the page tries for this
/// unit's subtree.
const PERIODS_TRIED: i64 = 12;

pub fn routes() -> Router<AppState> {
    Router::new().route("/public/{code}", get(show))
}

#[derive(Serialize)]
struct Figure {
    name: String,
    unit: String,
    value: String,
}

#[derive(Serialize)]
struct Block {
    template: String,
    period: String,
    received: usize,
    expected: usize,
    figures: Vec<Figure>,
}

async fn build(state: &AppState, ctx: &Ctx, code: &str) -> WebResult {
    let mut conn = state.db.pool.acquire().await?;
    let today = crate::dates::today_iso();
    let detail = crate::units::get(&mut conn, code, &today).await?;
    if !detail.in_effect || detail.unit.level == Level::Village {
        return Err(Error::NotFound(format!("public page of unit '{code}'")).into());
    }
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    let filter = TeamFilter {
        roots: Some(vec![unit_id]),
        as_of: today.clone(),
        status: Some(TeamStatus::Active),
        q: None,
        sort: TeamSort::Unit,
        failing: false,
    };
    let (teams, team_count) = crate::teams::list(&mut conn, &filter, i64::MAX, 0).await?;
    let members: i64 = teams.iter().map(|t| t.member_count).sum();
    let villages_filter = UnitFilter {
        as_of: today.clone(),
        subtree: Some(code.to_string()),
        level: Some(Level::Village),
        ..Default::default()
    };
    let (_, villages) = crate::units::list(&mut conn, &villages_filter, 1, 0).await?;
    let mut covered: Vec<&str> =
        teams.iter().filter(|t| t.kind == Level::Village).map(|t| t.unit_code.as_str()).collect();
    covered.sort_unstable();
    covered.dedup();
    // Key figures: per report template enabled here, the latest period with accepted reports.
    let mut blocks = Vec::new();
    for template in crate::plugins::bindings::templates(&mut conn, unit_id, &today).await? {
        let Some(form) = template.plugin.report_form.clone() else { continue };
        // Period ids of one type sort in time order ("2022-Q3" < "2022-Q4").
        let latest: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT period FROM report_submissions WHERE template = $1 AND status = 'accepted' \
             ORDER BY period DESC LIMIT $2",
        )
        .bind(&template.plugin.plugin_id)
        .bind(PERIODS_TRIED)
        .fetch_all(&mut *conn)
        .await?;
        for id in latest {
            let Ok(period) = Period::parse(&id, form.cut_off) else { continue };
            let rollup = crate::reports::rollup::gather(
                &mut conn,
                &[unit_id],
                &template.plugin.plugin_id,
                &form,
                &period,
            )
            .await?;
            let accepted: Vec<_> = rollup.units.iter().filter(|u| u.status == Status::Accepted).collect();
            if !accepted.is_empty() {
                let figures = form
                    .indicators
                    .iter()
                    .filter(|i| i.aggregation == Aggregation::Sum)
                    .map(|i| {
                        let total: f64 = accepted.iter().filter_map(|u| u.figures.get(&i.code)).sum();
                        let name = if ctx.lang == Lang::En { i.name_en.clone() } else { i.name.clone() };
                        Figure { name, unit: i.unit.clone(), value: crate::reports::form::shown(total) }
                    })
                    .collect();
                blocks.push(Block {
                    template: template.plugin.name.clone(),
                    period: period.label_vi(),
                    received: accepted.len(),
                    expected: rollup.units.len(),
                    figures,
                });
                break;
            }
        }
    }
    let awards: Vec<_> = crate::commendations::proposals::under(&mut conn, unit_id, &today)
        .await?
        .into_iter()
        .map(|c| {
            minijinja::context! {
                recipient => c.recipient, award => c.award, decision => c.decision_number,
                date => crate::dates::parse(&c.decision_date).map(crate::dates::display),
            }
        })
        .collect();
    let path: Vec<_> =
        detail.path.iter().map(|u| minijinja::context! { code => u.code, name => u.name }).collect();
    let children_filter =
        UnitFilter { as_of: today.clone(), parent: Some(code.to_string()), ..Default::default() };
    let (children, _) = crate::units::list(&mut conn, &children_filter, 500, 0).await?;
    let children: Vec<_> = children
        .into_iter()
        .filter(|c| c.level != Level::Village)
        .map(|c| minijinja::context! { code => c.code, name => c.name })
        .collect();
    let shown = |n: i64| crate::reports::form::shown(n as f64);
    let mut response = page(
        ctx,
        "public.html",
        "public",
        minijinja::context! {
            unit => minijinja::context! { code => detail.unit.code, name => detail.unit.name },
            trail => path, children,
            teams => shown(team_count), members => shown(members),
            villages => shown(villages), covered => shown(covered.len() as i64),
            coverage => if villages > 0 { format!("{}%", crate::reports::form::shown((covered.len() as f64 * 1000.0 / villages as f64).round() / 10.0)) } else { String::new() },
            blocks, awards,
        },
    );
    let headers = response.headers_mut();
    if let Ok(v) = format!("public, max-age={MAX_AGE}").parse() {
        headers.insert(header::CACHE_CONTROL, v);
    }
    Ok(response)
}

async fn show(
    State(state): State<AppState>,
    Path(code): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    // Anonymous whoever asks, in Vietnamese unless the address says `?lang=en`: the page
    // depends on its address alone, so caches may keep it.
    let lang = if query.as_deref() == Some("lang=en") { Lang::En } else { Lang::Vi };
    let ctx = Ctx { lang, path: format!("/public/{code}"), ..Default::default() };
    match build(&state, &ctx, &code).await {
        Ok(response) => response,
        Err(e) => {
            let mut response = e.page(&ctx);
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::NOT_FOUND;
            }
            response.into_response()
        }
    }
}
