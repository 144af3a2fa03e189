//! The unit tree: search by name (diacritics optional), unit pages with their teams and the
//! coverage of the units below, and the report form.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Signed, WebResult, check_csrf, page};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::documents::Format;
use crate::error::Error;
use crate::reports::ReportRequest;
use crate::teams::{TeamFilter, stats};
use crate::units::{UnitFilter, UnitSort};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(tree))
        .route("/units/{code}", get(unit))
        .route("/units/{code}/report", get(report_form).post(report))
}

#[derive(Serialize)]
struct UnitView {
    code: String,
    name: String,
    level: &'static str,
    /// The official type ("Thị trấn", "Phường"), which the level word ("Xã") would misname.
    unit_type: String,
}

impl From<crate::units::Unit> for UnitView {
    fn from(u: crate::units::Unit) -> Self {
        UnitView { code: u.code, name: u.name, level: u.level.as_str(), unit_type: u.unit_type }
    }
}

#[derive(Deserialize)]
struct TreeParams {
    q: Option<String>,
}

/// Results shown for one search.
const SEARCH_LIMIT: i64 = 50;

async fn tree(State(state): State<AppState>, Signed(ctx): Signed, Query(p): Query<TreeParams>) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let roots = principal.roots(&mut conn, Action::TeamsRead, None).await?;
        let q = p.q.unwrap_or_default().trim().to_string();
        let mut units: Vec<UnitView> = Vec::new();
        let mut total = 0;
        for root in &roots {
            let code: String = crate::units::code_of(&mut conn, *root).await?;
            if q.is_empty() {
                units.push(crate::units::get(&mut conn, &code, &today).await?.unit.into());
            } else {
                let filter = UnitFilter {
                    as_of: today.clone(),
                    subtree: Some(code),
                    q: Some(q.clone()),
                    sort: UnitSort::Name,
                    ..Default::default()
                };
                let (found, n) = crate::units::list(&mut conn, &filter, SEARCH_LIMIT, 0).await?;
                total += n;
                units.extend(found.into_iter().map(UnitView::from));
            }
        }
        Ok(page(&ctx, "units.html", "units", minijinja::context! { q, units, total }))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

#[derive(Serialize)]
struct TemplateView {
    plugin_id: String,
    name: String,
    version: String,
}

async fn unit(State(state): State<AppState>, Signed(ctx): Signed, Path(code): Path<String>) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let unit_id = principal.authorize_unit(&mut conn, Action::TeamsRead, &code).await?;
        let target = Target { unit_id, team_id: None };
        let detail = crate::units::get(&mut conn, &code, &today).await?;
        // A unit closed since (merged, split): say so, point to its successors, and offer no
        // new reports for it; its teams and figures now live under the successors.
        let closed_on = (!detail.in_effect)
            .then(|| detail.unit.valid_to.as_deref().and_then(crate::dates::parse).map(crate::dates::display))
            .flatten();
        let successors: Vec<(String, String)> =
            detail.successors.iter().map(|s| (s.code.clone(), s.name.clone())).collect();
        let lines: Vec<_> = stats::by_child(&mut conn, unit_id, &today)
            .await?
            .into_iter()
            .filter(|l| l.unit_code != code)
            .collect();
        let filter = TeamFilter {
            roots: Some(vec![unit_id]),
            as_of: today.clone(),
            status: None,
            q: None,
            sort: Default::default(),
        };
        let (teams, _) = crate::teams::list(&mut conn, &filter, i64::MAX, 0).await?;
        let teams: Vec<_> = teams.into_iter().filter(|t| t.unit_id == unit_id).collect();
        let templates: Vec<TemplateView> = if closed_on.is_none()
            && principal.can(&mut conn, Action::ReportsIssue, target).await?
        {
            crate::plugins::bindings::templates(&mut conn, unit_id, &today)
                .await?
                .into_iter()
                .map(|r| TemplateView {
                    plugin_id: r.plugin.plugin_id,
                    name: r.plugin.name,
                    version: r.plugin.version,
                })
                .collect()
        } else {
            Vec::new()
        };
        let can_assess = closed_on.is_none()
            && principal.can(&mut conn, Action::CommendationsAssess, target).await?
            && crate::plugins::bindings::resolve(
                &mut conn,
                unit_id,
                crate::plugins::Kind::Commendation,
                &today,
            )
            .await?
            .is_some();
        let unit: UnitView = detail.unit.into();
        Ok(page(
            &ctx,
            "unit.html",
            "units",
            minijinja::context! { unit, path => detail.path, lines, teams, templates, can_assess, closed_on, successors },
        ))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

#[derive(Deserialize)]
struct TemplateParam {
    template: String,
}

#[derive(Serialize)]
struct IndicatorView {
    code: String,
    label: String,
}

/// The report form for one template: the period, and a grid of figures (one row per unit
/// below, one column per indicator the template reads), with the teams and members the host
/// counts shown beside them.
async fn report_form(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Query(q): Query<TemplateParam>,
) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let unit_id = principal.authorize_unit(&mut conn, Action::ReportsIssue, &code).await?;
        let template = crate::plugins::bindings::resolve_template(&mut conn, unit_id, &q.template, &today)
            .await?
            .ok_or_else(|| Error::NotFound(format!("report template '{}'", q.template)))?;
        let unit: UnitView = crate::units::get(&mut conn, &code, &today).await?.unit.into();
        let lines = stats::by_child(&mut conn, unit_id, &today).await?;
        let indicators: Vec<IndicatorView> = template
            .plugin
            .indicators
            .iter()
            .map(|c| {
                let key = format!("indicator.{c}");
                IndicatorView { code: c.clone(), label: if super::i18n::known(&key) { ctx.t(&key) } else { c.clone() } }
            })
            .collect();
        let template = minijinja::context! {
            plugin_id => template.plugin.plugin_id, name => template.plugin.name, version => template.plugin.version,
        };
        Ok(page(&ctx, "report.html", "units", minijinja::context! { unit, template, lines, indicators }))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

/// The report form's fields: the fixed ones, and `v.<unit code>.<indicator>` for each figure.
#[derive(Debug, Default)]
struct ReportForm {
    csrf: String,
    template: String,
    period: String,
    issued_on: Option<String>,
    format: String,
    values: BTreeMap<String, BTreeMap<String, f64>>,
    /// Figures that are not numbers: (unit, indicator, what was typed).
    unreadable: Vec<String>,
}

impl ReportForm {
    fn read(fields: Vec<(String, String)>) -> ReportForm {
        let mut form = ReportForm::default();
        for (name, value) in fields {
            let value = value.trim().to_string();
            match name.as_str() {
                "csrf" => form.csrf = value,
                "template" => form.template = value,
                "period" => form.period = value,
                "issued_on" => form.issued_on = Some(value).filter(|v| !v.is_empty()),
                "format" => form.format = value,
                figure => {
                    let Some((unit, indicator)) = figure.strip_prefix("v.").and_then(|f| f.split_once('.'))
                    else {
                        continue;
                    };
                    if value.is_empty() {
                        continue;
                    }
                    match crate::text::parse_number(&value) {
                        Some(v) => {
                            form.values.entry(unit.to_string()).or_default().insert(indicator.to_string(), v);
                        }
                        None => form.unreadable.push(format!("{unit} / {indicator}: '{value}'")),
                    }
                }
            }
        }
        form
    }
}

/// Renders a report and answers the file (HTML opens in the browser, DOCX and XLSX download).
async fn report(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = ReportForm::read(fields);
    let built: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        if !form.unreadable.is_empty() {
            let problems =
                form.unreadable.iter().map(|u| crate::error::FieldError::new("values", u.clone())).collect();
            return Err(Error::Validation(problems).into());
        }
        let principal = ctx.principal();
        let format = Format::parse(&form.format).unwrap_or(Format::Html);
        let mut conn = state.db.pool.acquire().await?;
        principal.authorize_unit(&mut conn, Action::ReportsIssue, &code).await?;
        drop(conn);
        let request = ReportRequest {
            period: form.period.clone(),
            issued_on: form.issued_on.clone(),
            values: form.values.clone(),
            ..Default::default()
        };
        let rendered =
            crate::reports::render(&state.db, &state.plugins, &code, &form.template, request).await?;
        Ok(rendered.file_response(format, &state.layouts).await?)
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

#[cfg(test)]
mod tests {
    #[test]
    fn report_figures_read_as_officials_type_them() {
        let fields = [
            ("csrf", "t"),
            ("template", "x"),
            ("period", "2022-Q3"),
            ("v.21808.tk_vneid", "1.234"),
            ("v.21808.ty_le", "12,5"),
            ("v.21835.tk_vneid", ""),
            ("v.21835.ho", "nhiều"),
            // Ambiguous (twelve and a half, or a mistyped thousands group): refused, not guessed.
            ("v.21841.ho", "12.5"),
            ("format", "docx"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = super::ReportForm::read(fields);
        assert_eq!(form.values["21808"]["tk_vneid"], 1234.0);
        assert_eq!(form.values["21808"]["ty_le"], 12.5);
        assert!(!form.values.contains_key("21835"), "empty cells are not sent");
        assert_eq!(form.unreadable, ["21835 / ho: 'nhiều'", "21841 / ho: '12.5'"]);
        assert_eq!(form.issued_on, None);
    }
}
