//! The dashboard: team coverage under a unit, one bar per unit below it, drawn as SVG on the
//! server (no chart library, nothing to download), each chart with its numbers as a table too.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{Signed, WebResult, page};
use crate::api::AppState;
use crate::auth::Action;
use crate::teams::{composition, stats};
use crate::units::UnitFilter;

pub fn routes() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

#[derive(Deserialize)]
struct Params {
    unit: Option<String>,
}

#[derive(Serialize)]
struct Bar {
    label: String,
    value: String,
    y: u32,
    width: u32,
}

#[derive(Serialize)]
struct Chart {
    title: String,
    color: &'static str,
    height: u32,
    bars: Vec<Bar>,
}

/// Bars start at x = 200 and are at most this long, leaving room for the value on the right.
const BAR_MAX: f64 = 290.0;
const ROW: u32 = 24;

fn chart(title: String, color: &'static str, rows: Vec<(String, f64, String)>) -> Chart {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let bars: Vec<Bar> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, v, shown))| Bar {
            label: if label.chars().count() > 28 {
                format!("{}…", label.chars().take(27).collect::<String>())
            } else {
                label
            },
            value: shown,
            y: i as u32 * ROW + 4,
            width: if max > 0.0 { (v / max * BAR_MAX).round() as u32 } else { 0 },
        })
        .collect();
    Chart { title, color, height: bars.len() as u32 * ROW + 8, bars }
}

fn one_decimal(x: f64) -> String {
    sohoa_sdk::text::decimal(x, 1)
}

async fn dashboard(State(state): State<AppState>, Signed(ctx): Signed, Query(q): Query<Params>) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let roots = principal.roots(&mut conn, Action::TeamsRead, None).await?;
        // The units offered: the user's own and the ones right below them.
        let mut choices = Vec::new();
        for root in &roots {
            let code: String = crate::units::code_of(&mut conn, *root).await?;
            choices.push(crate::units::get(&mut conn, &code, &today).await?.unit);
            let filter = UnitFilter { as_of: today.clone(), parent: Some(code), ..Default::default() };
            choices.extend(crate::units::list(&mut conn, &filter, 500, 0).await?.0);
        }
        let code = match q.unit.filter(|c| !c.is_empty()) {
            Some(c) => c,
            None => match choices.first() {
                Some(u) => u.code.clone(),
                None => return Err(crate::error::Error::Forbidden("no units".into()).into()),
            },
        };
        let unit_id = principal.authorize_unit(&mut conn, Action::TeamsRead, &code).await?;
        let unit = crate::units::get(&mut conn, &code, &today).await?.unit;
        let lines = stats::by_child(&mut conn, unit_id, &today).await?;
        let all_ids: Vec<i64> = lines.iter().flat_map(|l| l.team_ids.iter().copied()).collect();
        let gathered = composition::gather(&mut conn, &state.plugins, &all_ids, &today).await;
        // The connection goes back to the pool before any plugin runs.
        drop(conn);
        let (checks, check_error) = match composition::judge_gathered(gathered, &state.plugins).await {
            Ok(c) => (c, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let failing_ids: Vec<i64> = checks
            .iter()
            .filter(|c| c.findings.iter().any(|f| f.severity == "error"))
            .map(|c| c.team_id)
            .collect();

        let coverage_rows: Vec<(String, f64, String)> = lines
            .iter()
            .filter(|l| l.villages > 0)
            .map(|l| {
                let share = 100.0 * f64::from(l.villages_with_team) / f64::from(l.villages);
                (
                    l.unit_name.clone(),
                    share,
                    format!("{}% ({}/{})", one_decimal(share), l.villages_with_team, l.villages),
                )
            })
            .collect();
        let member_rows = lines
            .iter()
            .filter(|l| l.teams > 0)
            .map(|l| {
                let avg = f64::from(l.members) / f64::from(l.teams);
                (l.unit_name.clone(), avg, one_decimal(avg))
            })
            .collect();
        let failing_rows = lines
            .iter()
            .filter(|l| l.teams > 0)
            .map(|l| {
                let n = l.team_ids.iter().filter(|id| failing_ids.contains(id)).count();
                (l.unit_name.clone(), n as f64, format!("{n}/{}", l.teams))
            })
            .collect();
        let mut charts = Vec::new();
        if !coverage_rows.is_empty() {
            charts.push(chart(ctx.t("dashboard.chart_coverage"), "#1f7a4d", coverage_rows));
        }
        charts.push(chart(ctx.t("dashboard.chart_members"), "#0b57a4", member_rows));
        charts.push(chart(ctx.t("dashboard.chart_failing"), "#b3261e", failing_rows));

        let villages: u32 = lines.iter().map(|l| l.villages).sum();
        let covered: u32 = lines.iter().map(|l| l.villages_with_team).sum();
        let coverage = if villages > 0 { format!("{}/{}", covered, villages) } else { "–".to_string() };
        let totals = minijinja::context! {
            teams => lines.iter().map(|l| l.teams).sum::<u32>(),
            members => lines.iter().map(|l| l.members).sum::<u32>(),
            coverage,
            failing => failing_ids.len(),
        };
        let unit = minijinja::context! { code => unit.code, name => unit.name };
        let choices: Vec<_> =
            choices.into_iter().map(|u| minijinja::context! { code => u.code, name => u.name }).collect();
        Ok(page(
            &ctx,
            "dashboard.html",
            "dashboard",
            minijinja::context! { unit, choices, charts, totals, check_error },
        ))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}
