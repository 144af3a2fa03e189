//! The unit tree: search by name (diacritics optional), unit pages with their teams and the
//! coverage of the units below, and the report form.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use std::collections::BTreeMap;

use chrono::Datelike;

use serde::{Deserialize, Serialize};

use super::forms::FormErrors;
use super::{Ctx, Signed, WebResult, check_csrf, page};
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

/// Teams listed on a unit page; past this, the page links to the team list instead.
const TEAMS_SHOWN: i64 = 200;

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
            failing: false,
        };
        // Every team of the unit and the units below (a commune and its villages), with its
        // check; a district or a province has too many for one page and links to the list.
        let (teams, teams_total) = crate::teams::list(&mut conn, &filter, TEAMS_SHOWN, 0).await?;
        let teams = if teams_total <= TEAMS_SHOWN { teams } else { Vec::new() };
        let templates: Vec<TemplateView> =
            if closed_on.is_none() && principal.can(&mut conn, Action::ReportsIssue, target).await? {
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
        let trail = super::crumbs(&mut conn, &ctx, &detail.path).await?;
        drop(conn);
        let lines_of_teams = super::teams::team_lines(&state, &teams, &today).await;
        let unit: UnitView = detail.unit.into();
        Ok(page(
            &ctx,
            "unit.html",
            "units",
            minijinja::context! {
                unit, path => trail, lines, teams => lines_of_teams, teams_total, templates, can_assess, closed_on, successors,
            },
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

/// The years offered for a report period: from the start of the teams (2019) to this year.
const FIRST_REPORT_YEAR: i32 = 2019;

/// The report form for one template: the period (a quarter or a month, and a year, chosen from
/// lists), and a grid of figures (one row per unit below, one column per indicator the
/// template reads), with the teams and members the host counts shown beside them. A refused
/// form comes back with every figure as it was typed and each problem beside its cell.
async fn report_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    form: ReportForm,
    errors: FormErrors,
) -> WebResult {
    let principal = ctx.principal();
    let today = crate::dates::today_iso();
    let mut conn = state.db.pool.acquire().await?;
    let unit_id = principal.authorize_unit(&mut conn, Action::ReportsIssue, code).await?;
    let template = crate::plugins::bindings::resolve_template(&mut conn, unit_id, &form.template, &today)
        .await?
        .ok_or_else(|| Error::NotFound(format!("report template '{}'", form.template)))?;
    let unit: UnitView = crate::units::get(&mut conn, code, &today).await?.unit.into();
    let lines = stats::by_child(&mut conn, unit_id, &today).await?;
    let indicators = indicator_views(ctx, &template.plugin.indicators);
    let template = minijinja::context! {
        plugin_id => template.plugin.plugin_id, name => template.plugin.name, version => template.plugin.version,
    };
    let this_year = crate::dates::today().year();
    let years: Vec<i32> = (FIRST_REPORT_YEAR..=this_year).rev().collect();
    let year = if form.year.is_empty() { this_year.to_string() } else { form.year.clone() };
    let status = errors.status();
    let mut response = page(
        ctx,
        "report.html",
        "reports",
        minijinja::context! {
            unit, template, lines, indicators, errors, years, year, part => form.part,
            months => (1..=12).map(|m| format!("{m:02}")).collect::<Vec<_>>(),
            issued_on => form.issued_on, format => form.format, typed => form.typed,
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

fn indicator_views(ctx: &Ctx, codes: &[String]) -> Vec<IndicatorView> {
    codes
        .iter()
        .map(|c| {
            let key = format!("indicator.{c}");
            IndicatorView {
                code: c.clone(),
                label: if super::i18n::known(&key) { ctx.t(&key) } else { c.clone() },
            }
        })
        .collect()
}

async fn report_form(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Query(q): Query<TemplateParam>,
) -> Response {
    let form = ReportForm { template: q.template, ..Default::default() };
    report_page(&state, &ctx, &code, form, FormErrors::default()).await.unwrap_or_else(|e| e.page(&ctx))
}

/// The report form's fields: the fixed ones, and `v.<unit code>.<indicator>` for each figure.
#[derive(Debug, Default)]
struct ReportForm {
    csrf: String,
    template: String,
    /// The period's year, as chosen.
    year: String,
    /// `Q1`..`Q4` or `01`..`12`, as chosen.
    part: String,
    /// A whole period (`2022-Q3`), as API-minded clients send it; wins over year and part.
    period: String,
    issued_on: String,
    format: String,
    values: BTreeMap<String, BTreeMap<String, f64>>,
    /// Every figure as typed, by field name, to fill the form again after a refusal.
    typed: BTreeMap<String, String>,
    /// Figures that are not numbers: (field name, what was typed).
    unreadable: Vec<(String, String)>,
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
                "period_year" => form.year = value,
                "period_part" => form.part = value,
                "issued_on" => form.issued_on = value,
                "format" => form.format = value,
                figure => {
                    let Some((unit, indicator)) = figure.strip_prefix("v.").and_then(|f| f.split_once('.'))
                    else {
                        continue;
                    };
                    if value.is_empty() {
                        continue;
                    }
                    form.typed.insert(figure.to_string(), value.clone());
                    match crate::text::parse_number(&value) {
                        Some(v) => {
                            form.values.entry(unit.to_string()).or_default().insert(indicator.to_string(), v);
                        }
                        None => form.unreadable.push((figure.to_string(), value)),
                    }
                }
            }
        }
        form
    }

    /// The period as the templates read it (`2022-Q3`, `2022-07`), or None when none was
    /// chosen or it is not a quarter or a month of a year.
    fn period(&self) -> Option<String> {
        let period =
            if self.period.is_empty() { format!("{}-{}", self.year, self.part) } else { self.period.clone() };
        let (year, part) = period.split_once('-')?;
        let year_ok = year.len() == 4 && year.chars().all(|c| c.is_ascii_digit());
        let part_ok = matches!(part, "Q1" | "Q2" | "Q3" | "Q4")
            || (part.len() == 2 && part.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)));
        (year_ok && part_ok).then_some(period)
    }
}

/// Whether the template is enabled for the unit on `day`.
async fn template_on(
    state: &AppState,
    unit_id: i64,
    template: &str,
    day: chrono::NaiveDate,
) -> WebResult<bool> {
    let mut conn = state.db.pool.acquire().await?;
    let found =
        crate::plugins::bindings::resolve_template(&mut conn, unit_id, template, &crate::dates::iso(day))
            .await?;
    Ok(found.is_some())
}

/// Whether `period` (`2022-Q3`, `2022-07`) is within the years offered and has begun by
/// `today`: a report on a quarter to come, or on year 0, is a tampered form, not a report.
fn period_has_begun(period: &str, today: chrono::NaiveDate) -> bool {
    let Some((year, part)) = period.split_once('-') else { return false };
    let Ok(year) = year.parse::<i32>() else { return false };
    let month = match part {
        "Q1" => 1,
        "Q2" => 4,
        "Q3" => 7,
        "Q4" => 10,
        m => m.parse::<u32>().unwrap_or(13),
    };
    let Some(first_day) = chrono::NaiveDate::from_ymd_opt(year, month, 1) else { return false };
    year >= FIRST_REPORT_YEAR && first_day <= today
}

/// Renders a report and answers the file (HTML opens in the browser, DOCX and XLSX download);
/// a refusal shows the form again, filled in.
async fn report(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = ReportForm::read(fields);
    let built: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let principal = ctx.principal();
        let mut conn = state.db.pool.acquire().await?;
        principal.authorize_unit(&mut conn, Action::ReportsIssue, &code).await?;
        let today = crate::dates::today_iso();
        let unit_id = crate::units::id_of(&mut conn, &code).await?;
        let lines = stats::by_child(&mut conn, unit_id, &today).await?;
        let indicators =
            match crate::plugins::bindings::resolve_template(&mut conn, unit_id, &form.template, &today)
                .await?
            {
                Some(t) => indicator_views(&ctx, &t.plugin.indicators),
                None => Vec::new(),
            };
        drop(conn);
        // A cell's name for people: "Xã Tây Giang: Hộ gia đình được hướng dẫn".
        let label = |field: &str| -> String {
            let Some((unit, indicator)) = field.strip_prefix("v.").and_then(|f| f.split_once('.')) else {
                return match field {
                    "period" => ctx.t("report.period"),
                    "issued_on" => ctx.t("report.issued_on"),
                    other => other.to_string(),
                };
            };
            let unit = lines.iter().find(|l| l.unit_code == unit).map_or(unit, |l| l.unit_name.as_str());
            let indicator =
                indicators.iter().find(|i| i.code == indicator).map_or(indicator, |i| i.label.as_str());
            format!("{unit}: {indicator}")
        };
        let mut errors = FormErrors::new(ctx.t("form.report_invalid"));
        let today = crate::dates::today();
        let period = form.period().filter(|p| period_has_begun(p, today));
        if period.is_none() {
            errors.field("period_part", &label("period"), ctx.t("report.choose_period"));
        }
        // The date of issue: a real day, not in the future, on which the template was enabled.
        if !form.issued_on.is_empty() {
            match crate::dates::parse(&form.issued_on) {
                None => {
                    let message =
                        super::i18n::problem(ctx.lang, &format!("'{}' is not a date", form.issued_on));
                    errors.field("issued_on", &label("issued_on"), message);
                }
                Some(d) if d > today => {
                    let message =
                        super::i18n::problem(ctx.lang, &format!("{} is in the future", form.issued_on));
                    errors.field("issued_on", &label("issued_on"), message);
                }
                Some(d) if !template_on(&state, unit_id, &form.template, d).await? => {
                    let message = ctx.t("report.not_enabled_on").replace("{date}", &crate::dates::display(d));
                    errors.field("issued_on", &label("issued_on"), message);
                }
                Some(_) => {}
            }
        }
        for (field, typed) in &form.unreadable {
            errors.field(field, &label(field), ctx.t("report.not_a_number").replace("{typed}", typed));
        }
        if !errors.problems.is_empty() {
            return report_page(&state, &ctx, &code, form, errors).await;
        }
        let format = Format::parse(&form.format).unwrap_or(Format::Html);
        let request = ReportRequest {
            period: period.unwrap_or_default(),
            issued_on: Some(form.issued_on.clone()).filter(|d| !d.is_empty()),
            values: form.values.clone(),
            ..Default::default()
        };
        match crate::reports::render(&state.db, &state.plugins, &code, &form.template, request).await {
            Ok(rendered) => match rendered.file_response(format, &state.layouts).await {
                Ok(response) => Ok(response),
                Err(e) => {
                    let errors = FormErrors::from_error(&ctx, e, label)?;
                    report_page(&state, &ctx, &code, form, errors).await
                }
            },
            // The template's own refusal (a month given to a quarterly report) is in its words.
            Err(Error::Plugin(crate::plugins::PluginFailure::Refused { message, .. })) => {
                let mut errors = FormErrors::new(ctx.t("report.refused"));
                errors.field("period_part", &label("period"), message);
                report_page(&state, &ctx, &code, form, errors).await
            }
            Err(e) => {
                // The service names figures `values.<unit>.<indicator>`; the form, `v.<unit>.<indicator>`.
                let e = super::forms::rename_fields(e, |field| match field {
                    "period" => Some("period_part".into()),
                    f => f.strip_prefix("values.").map(|rest| format!("v.{rest}")),
                });
                let errors = FormErrors::from_error(&ctx, e, label)?;
                report_page(&state, &ctx, &code, form, errors).await
            }
        }
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
        let unreadable: Vec<_> = form.unreadable.iter().map(|(f, v)| format!("{f}={v}")).collect();
        assert_eq!(unreadable, ["v.21835.ho=nhiều", "v.21841.ho=12.5"]);
        assert_eq!(form.typed["v.21835.ho"], "nhiều", "kept as typed, to show again");
        assert_eq!(form.issued_on, "");
        assert_eq!(form.period().as_deref(), Some("2022-Q3"));
    }

    #[test]
    fn periods_are_a_quarter_or_a_month_of_a_year() {
        let form = |year: &str, part: &str, period: &str| super::ReportForm {
            year: year.into(),
            part: part.into(),
            period: period.into(),
            ..Default::default()
        };
        assert_eq!(form("2022", "Q3", "").period().as_deref(), Some("2022-Q3"));
        assert_eq!(form("2024", "07", "").period().as_deref(), Some("2024-07"));
        for (year, part, period) in [
            ("2022", "", ""),
            ("", "Q3", ""),
            ("2022", "Q5", ""),
            ("2022", "13", ""),
            ("2022", "7", ""),
            ("", "", "Quý 3/2022"),
        ] {
            assert_eq!(form(year, part, period).period(), None, "{year} {part} {period}");
        }
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert!(super::period_has_begun("2026-Q4", today) && super::period_has_begun("2026-12", today));
        assert!(super::period_has_begun("2019-Q1", today));
        for tampered in ["2027-Q1", "2099-Q1", "0000-Q1", "1999-Q4", "2018-12"] {
            assert!(!super::period_has_begun(tampered, today), "{tampered}");
        }
    }
}
