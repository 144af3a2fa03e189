//! The home page: what needs attention in the user's scope, with links to fix it.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Signed, WebResult, page};
use crate::api::AppState;
use crate::auth::Action;
use crate::teams::{TeamFilter, composition, stats};
use crate::vocab::TeamStatus;

pub fn routes() -> Router<AppState> {
    Router::new().route("/home", get(home))
}

#[derive(Serialize)]
struct Failing {
    team_id: i64,
    team_name: String,
    unit_name: String,
    errors: usize,
    first_message: String,
    plugin: String,
}

#[derive(Serialize)]
struct TeamRef {
    id: i64,
    name: String,
    unit_name: String,
}

/// How many uncovered units to list; the count says how many there are.
const UNCOVERED_SHOWN: i64 = 20;

async fn home(State(state): State<AppState>, Signed(ctx): Signed) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let roots = principal.roots(&mut conn, Action::TeamsRead, None).await?;
        let filter = TeamFilter {
            roots: Some(roots.clone()),
            as_of: today.clone(),
            status: Some(TeamStatus::Active),
            q: None,
            sort: Default::default(),
        };
        let (teams, team_total) = crate::teams::list(&mut conn, &filter, i64::MAX, 0).await?;
        let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
        // A broken plugin must not take the home page down with it: show what failed instead.
        let gathered = composition::gather(&mut conn, &state.plugins, &ids, &today).await;
        let leaderless_ids = stats::leaderless(&mut conn, &ids, &today).await?;
        let (uncovered, uncovered_total) =
            stats::without_team(&mut conn, &roots, &today, UNCOVERED_SHOWN).await?;
        // The connection goes back to the pool before any plugin runs.
        drop(conn);
        let (checks, check_error) = match composition::judge_gathered(gathered, &state.plugins).await {
            Ok(c) => (c, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let mut failing = Vec::new();
        for (team, check) in teams.iter().zip(&checks) {
            let errors: Vec<_> = check.findings.iter().filter(|f| f.severity == "error").collect();
            if let (Some(first), Some(plugin)) = (errors.first(), &check.plugin) {
                failing.push(Failing {
                    team_id: team.id,
                    team_name: team.name.clone(),
                    unit_name: team.unit_name.clone(),
                    errors: errors.len(),
                    first_message: first.message.clone(),
                    plugin: format!("{} {}", plugin.plugin_id, plugin.version),
                });
            }
        }
        let leaderless: Vec<TeamRef> = teams
            .iter()
            .filter(|t| leaderless_ids.contains(&t.id))
            .map(|t| TeamRef { id: t.id, name: t.name.clone(), unit_name: t.unit_name.clone() })
            .collect();
        Ok(page(
            &ctx,
            "home.html",
            "home",
            minijinja::context! { failing, leaderless, uncovered, uncovered_total, team_total, check_error },
        ))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}
