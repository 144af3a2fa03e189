//! The reports menu: first the periodic reports of the user's units (to enter, review or
//! compile, [`super::reporting`]), then every report template the user may make ad hoc, for
//! their own units and the ones right below, so that reports are one click from the menu
//! instead of Đơn vị → Huyện. The ad hoc form is the unit's report page ([`super::units`]).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Signed, WebResult, page};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::units::{UnitFilter, UnitSort};

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(reports))
}

#[derive(Serialize)]
struct UnitReports {
    code: String,
    name: String,
    templates: Vec<(String, String)>,
}

/// Units below a root that are listed; a province has a few dozen districts.
const CHILDREN_SHOWN: i64 = 200;

async fn reports(State(state): State<AppState>, Signed(ctx): Signed) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let mut units = Vec::new();
        for root in principal.roots(&mut conn, Action::ReportsIssue, None).await? {
            let code = crate::units::code_of(&mut conn, root).await?;
            let mut candidates = vec![crate::units::get(&mut conn, &code, &today).await?.unit];
            let filter = UnitFilter {
                as_of: today.clone(),
                parent: Some(code),
                sort: UnitSort::Name,
                ..Default::default()
            };
            candidates.extend(crate::units::list(&mut conn, &filter, CHILDREN_SHOWN, 0).await?.0);
            for unit in candidates {
                let unit_id = crate::units::id_of(&mut conn, &unit.code).await?;
                if !principal.can(&mut conn, Action::ReportsIssue, Target { unit_id, team_id: None }).await? {
                    continue;
                }
                let templates: Vec<(String, String)> =
                    crate::plugins::bindings::templates(&mut conn, unit_id, &today)
                        .await?
                        .into_iter()
                        .map(|r| (r.plugin.plugin_id, r.plugin.name))
                        .collect();
                if !templates.is_empty() {
                    units.push(UnitReports { code: unit.code, name: unit.name, templates });
                }
            }
        }
        drop(conn);
        let work = super::reporting::work(&state, &ctx).await?;
        Ok(page(&ctx, "reports.html", "reports", minijinja::context! { units, work }))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}
