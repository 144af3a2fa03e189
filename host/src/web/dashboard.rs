//! The dashboard: team coverage under a unit, one bar per unit below it. Each chart is a table
//! (unit, bar, value) so that its words are page text, readable at 360 px, with the bar a
//! one-rectangle SVG sized in percent (no chart library, no script, no inline style). Bars are
//! sorted by value (largest first) or by name (`?sort=name`), and the highest and lowest are
//! marked in words, not only by length.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{Signed, WebResult, page};
use crate::api::AppState;
use crate::auth::Action;
use crate::teams::{findings, stats};
use crate::units::UnitFilter;

pub fn routes() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

#[derive(Deserialize)]
struct Params {
    unit: Option<String>,
    /// `name` sorts the bars by unit name (Vietnamese order); anything else by value.
    sort: Option<String>,
}

#[derive(Serialize)]
struct Bar {
    label: String,
    value: String,
    /// Bar length, percent of the largest value.
    percent: u32,
    /// `max`, `min` or empty: the extremes are marked in words.
    mark: &'static str,
}

#[derive(Serialize)]
struct Chart {
    title: String,
    color: &'static str,
    bars: Vec<Bar>,
}

/// One chart's bars, sorted and with the extremes marked (only when the values differ). Rows
/// are (label, value, value as shown, collation key): `by_name` orders them by the key
/// (Vietnamese order of the proper name), otherwise the largest value comes first, ties by name.
fn chart(
    title: String,
    color: &'static str,
    mut rows: Vec<(String, f64, String, String)>,
    by_name: bool,
) -> Chart {
    let max = rows.iter().map(|r| r.1).fold(f64::MIN, f64::max);
    let min = rows.iter().map(|r| r.1).fold(f64::MAX, f64::min);
    rows.sort_by(|a, b| a.3.cmp(&b.3));
    if !by_name {
        // Stable: equal values stay in name order.
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    }
    let differ = rows.len() > 1 && max > min;
    let bars: Vec<Bar> = rows
        .into_iter()
        .map(|(label, v, shown, _)| Bar {
            label,
            value: shown,
            percent: if max > 0.0 { (v / max * 100.0).round().clamp(0.0, 100.0) as u32 } else { 0 },
            mark: match () {
                _ if differ && v == max => "max",
                _ if differ && v == min => "min",
                _ => "",
            },
        })
        .collect();
    Chart { title, color, bars }
}

fn one_decimal(x: f64) -> String {
    sohoa_sdk::text::decimal(x, 1)
}

/// What the dashboard shows of a unit's subtree: kept between requests until the data under
/// it changes ([`crate::teams::scope_cache`]).
pub(crate) struct Scope {
    lines: Vec<stats::Coverage>,
    pub(crate) summary: findings::Summary,
    /// What went wrong checking the subtree's teams, if anything did.
    check_error: Option<String>,
}

impl Scope {
    /// The subtree of `unit_id` on `today` (ISO); owned arguments, as the cache may compute it
    /// in a task of its own. Errors: the database's.
    async fn compute(state: AppState, unit_id: i64, today: String) -> crate::error::Result<Scope> {
        let (state, today) = (&state, &today[..]);
        let (lines, subtree) = {
            let mut conn = state.db.pool.acquire().await?;
            let subtree = crate::units::Subtree::read(&mut conn, &[unit_id], today).await?;
            (stats::by_child_in(&mut conn, unit_id, &subtree).await?, subtree)
        };
        // Stored findings, as on the home page ([`findings::overview`]).
        let found = findings::overview(&state.db, &state.plugins, &subtree).await?;
        Ok(Scope { lines, summary: found.summary, check_error: found.error })
    }
}

async fn dashboard(State(state): State<AppState>, Signed(ctx): Signed, Query(q): Query<Params>) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let roots = principal.roots(&mut conn, Action::TeamsRead, None).await?;
        // The units offered: the user's own, the one shown, and the ones right below it. Not
        // every unit below each of the user's own: the country's viewer has 63 provinces, and
        // their 700 districts made a page (and 190 queries) that grew with the scope.
        let found = crate::units::in_effect_many(&mut conn, &roots, &today).await?;
        let mut choices = Vec::with_capacity(roots.len());
        for root in &roots {
            match found.iter().find(|(id, _)| id == root) {
                Some((_, unit)) => choices.push(unit.clone()),
                None => {
                    // Closed since (a district after the 2025 reform): its nearest version.
                    let code = crate::units::code_of(&mut conn, *root).await?;
                    choices.push(crate::units::get(&mut conn, &code, &today).await?.unit);
                }
            }
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
        if !choices.iter().any(|u| u.code == unit.code) {
            choices.push(unit.clone());
        }
        let filter = UnitFilter { as_of: today.clone(), parent: Some(code), ..Default::default() };
        choices.extend(crate::units::list(&mut conn, &filter, 500, 0).await?.0);
        drop(conn);
        let scope = state
            .scopes
            .dashboard
            .get(&state.db, &[unit_id], &today, {
                let (state, today) = (state.clone(), today.clone());
                move || Scope::compute(state, unit_id, today)
            })
            .await?;
        let (lines, summary, check_error) = (&scope.lines, &scope.summary, &scope.check_error);

        let coverage_rows: Vec<(String, f64, String, String)> = lines
            .iter()
            .filter(|l| l.villages > 0)
            .map(|l| {
                let share = 100.0 * f64::from(l.villages_with_team) / f64::from(l.villages);
                (
                    l.unit_name.clone(),
                    share,
                    format!("{}% ({}/{})", one_decimal(share), l.villages_with_team, l.villages),
                    l.sort_key.clone(),
                )
            })
            .collect();
        let member_rows = lines
            .iter()
            .filter(|l| l.teams > 0)
            .map(|l| {
                let avg = f64::from(l.members) / f64::from(l.teams);
                (l.unit_name.clone(), avg, one_decimal(avg), l.sort_key.clone())
            })
            .collect();
        let failing_rows = lines
            .iter()
            .filter(|l| l.teams > 0)
            .map(|l| {
                let n = l.failing;
                (l.unit_name.clone(), n as f64, format!("{n}/{}", l.teams), l.sort_key.clone())
            })
            .collect();
        let by_name = q.sort.as_deref() == Some("name");
        let mut charts = Vec::new();
        if !coverage_rows.is_empty() {
            charts.push(chart(ctx.t("dashboard.chart_coverage"), "#1f7a4d", coverage_rows, by_name));
        }
        charts.push(chart(ctx.t("dashboard.chart_members"), "#0b57a4", member_rows, by_name));
        charts.push(chart(ctx.t("dashboard.chart_failing"), "#b3261e", failing_rows, by_name));

        let villages: u32 = lines.iter().map(|l| l.villages).sum();
        let covered: u32 = lines.iter().map(|l| l.villages_with_team).sum();
        let coverage = if villages > 0 { format!("{}/{}", covered, villages) } else { "–".to_string() };
        let totals = minijinja::context! {
            teams => lines.iter().map(|l| l.teams).sum::<u32>(),
            members => lines.iter().map(|l| l.members).sum::<u32>(),
            coverage,
            failing => summary.failing,
            refreshing => summary.refreshing, figures_refreshing => scope.refreshing,
        };
        let unit = minijinja::context! { code => unit.code, name => unit.name };
        let choices: Vec<_> =
            choices.into_iter().map(|u| minijinja::context! { code => u.code, name => u.name }).collect();
        Ok(page(
            &ctx,
            "dashboard.html",
            "dashboard",
            minijinja::context! { unit, choices, charts, totals, check_error, by_name },
        ))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

#[cfg(test)]
mod tests {
    use super::chart;

    fn rows() -> Vec<(String, f64, String, String)> {
        // Given out of order: the chart sorts them.
        [("Xã Đông", 1.0), ("Xã Cát", 2.0), ("Xã Bình", 5.0), ("Thị trấn An", 2.0)]
            .into_iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    v,
                    v.to_string(),
                    crate::text::unit_sort_key(n, n.rsplit_once(' ').map_or("", |x| x.0)),
                )
            })
            .collect()
    }

    #[test]
    fn bars_sort_by_value_and_mark_the_extremes() {
        let c = chart("t".into(), "#000", rows(), false);
        let order: Vec<&str> = c.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(
            order,
            ["Xã Bình", "Thị trấn An", "Xã Cát", "Xã Đông"],
            "largest first, ties in name order"
        );
        assert_eq!((c.bars[0].mark, c.bars[3].mark, c.bars[1].mark), ("max", "min", ""));
        assert_eq!((c.bars[0].percent, c.bars[1].percent, c.bars[3].percent), (100, 40, 20));
    }

    #[test]
    fn by_name_sorts_in_vietnamese_order_and_equal_values_mark_nothing() {
        let c = chart("t".into(), "#000", rows(), true);
        let order: Vec<&str> = c.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(
            order,
            ["Thị trấn An", "Xã Bình", "Xã Cát", "Xã Đông"],
            "by proper name, the type word aside"
        );
        assert_eq!(c.bars[1].mark, "max");
        let flat = chart(
            "t".into(),
            "#000",
            vec![("A".into(), 0.0, "0".into(), "a".into()), ("B".into(), 0.0, "0".into(), "b".into())],
            false,
        );
        assert!(flat.bars.iter().all(|b| b.mark.is_empty() && b.percent == 0));
    }
}
