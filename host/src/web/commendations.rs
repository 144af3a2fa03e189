//! The emulation campaign page (Home Affairs, with Culture and Information): the figures of
//! each active team under a unit go to the commendation criteria enabled there, and the
//! recommended awards come back ranked, each with its reasons. Nothing is stored: proposing the
//! awards is a later workflow.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Serialize;

use super::forms::FormErrors;
use super::{Ctx, Signed, WebResult, check_csrf, page};
use crate::api::AppState;
use crate::auth::Action;
use crate::commendations::{AssessRequest, Verdict};
use crate::error::{Error, FieldError};
use crate::plugins::{Kind, bindings};
use crate::teams::TeamFilter;
use crate::vocab::TeamStatus;

pub fn routes() -> Router<AppState> {
    Router::new().route("/units/{code}/commendations", get(form).post(assess))
}

#[derive(Serialize)]
struct Row {
    id: i64,
    name: String,
    unit_name: String,
}

#[derive(Serialize)]
struct Column {
    code: String,
    label: String,
}

/// What was typed, to show again beside the results: `t.<team id>.<indicator>` to the text.
type Typed = BTreeMap<String, String>;

async fn campaign_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    typed: Typed,
    verdicts: Option<Vec<Verdict>>,
    errors: FormErrors,
) -> WebResult {
    let principal = ctx.principal();
    let today = crate::dates::today_iso();
    let mut conn = state.db.pool.acquire().await?;
    let unit_id = principal.authorize_unit(&mut conn, Action::CommendationsAssess, code).await?;
    let criteria = bindings::resolve(&mut conn, unit_id, Kind::Commendation, &today)
        .await?
        .ok_or_else(|| Error::NotFound(format!("commendation criteria for unit '{code}'")))?;
    let unit = crate::units::get(&mut conn, code, &today).await?.unit;
    let filter = TeamFilter {
        roots: Some(vec![unit_id]),
        as_of: today.clone(),
        status: Some(TeamStatus::Active),
        q: None,
        sort: crate::teams::TeamSort::Unit,
        failing: false,
    };
    let (teams, _) = crate::teams::list(&mut conn, &filter, i64::MAX, 0).await?;
    let rows: Vec<Row> =
        teams.into_iter().map(|t| Row { id: t.id, name: t.name, unit_name: t.unit_name }).collect();
    // Individuals are assessed through the API; the page scores teams.
    let columns: Vec<Column> = criteria
        .plugin
        .indicators
        .iter()
        .filter(|c| !matches!(c.as_str(), "luot_tuyen_truyen"))
        .map(|c| {
            let key = format!("indicator.{c}");
            Column { code: c.clone(), label: if super::i18n::known(&key) { ctx.t(&key) } else { c.clone() } }
        })
        .collect();
    let plugin = minijinja::context! {
        plugin_id => criteria.plugin.plugin_id, name => criteria.plugin.name, version => criteria.plugin.version,
    };
    let this_year = chrono::Datelike::year(&crate::dates::today());
    let period = typed.get("period").cloned().unwrap_or_else(|| (this_year - 1).to_string());
    let years: Vec<String> = (2019..=this_year).rev().map(|y| y.to_string()).collect();
    // Scores as Vietnamese write them (86,3).
    let verdicts: Option<Vec<_>> = verdicts.map(|list| {
        list.into_iter()
            .map(|v| {
                minijinja::context! {
                    name => v.name, unit_name => v.unit_name, award => v.award, reasons => v.reasons,
                    score => sohoa_sdk::text::decimal(v.score, 1),
                }
            })
            .collect()
    });
    let unit = minijinja::context! { code => unit.code, name => unit.name };
    let status = errors.status();
    let mut response = page(
        ctx,
        "commendations.html",
        "units",
        minijinja::context! { unit, plugin, rows, columns, typed, period, years, verdicts, errors },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn form(State(state): State<AppState>, Signed(ctx): Signed, Path(code): Path<String>) -> Response {
    campaign_page(&state, &ctx, &code, Typed::new(), None, FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

async fn assess(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let done: WebResult = async {
        let typed: Typed = fields.into_iter().map(|(k, v)| (k, v.trim().to_string())).collect();
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        let mut request =
            AssessRequest { period: typed.get("period").cloned().unwrap_or_default(), ..Default::default() };
        let mut unreadable = Vec::new();
        for (name, value) in &typed {
            let Some((team, indicator)) = name.strip_prefix("t.").and_then(|f| f.split_once('.')) else {
                continue;
            };
            let Ok(team) = team.parse::<i64>() else { continue };
            // A team is a candidate when at least one of its figures was entered.
            if value.is_empty() {
                continue;
            }
            match crate::text::parse_number(value) {
                Some(v) => {
                    request.teams.entry(team).or_default().insert(indicator.to_string(), v);
                }
                None => unreadable.push(FieldError::new(name.clone(), format!("'{value}'"))),
            }
        }
        let mut conn = state.db.pool.acquire().await?;
        ctx.principal().authorize_unit(&mut conn, Action::CommendationsAssess, &code).await?;
        drop(conn);
        // A figure that is not a number, or a refusal: the page comes back with every figure.
        let label =
            |field: &str| if field == "period" { ctx.t("commend.period") } else { ctx.t("commend.figure") };
        if !unreadable.is_empty() {
            let mut errors = FormErrors::new(ctx.t("form.invalid"));
            for f in unreadable {
                let message = ctx.t("report.not_a_number").replace("{typed}", f.message.trim_matches('\''));
                errors.field(&f.field, &label(&f.field), message);
            }
            return campaign_page(&state, &ctx, &code, typed, None, errors).await;
        }
        match crate::commendations::assess(&state.db, &state.plugins, &code, request).await {
            Ok(assessment) => {
                campaign_page(&state, &ctx, &code, typed, Some(assessment.verdicts), FormErrors::default())
                    .await
            }
            Err(Error::Plugin(crate::plugins::PluginFailure::Refused { message, .. })) => {
                let mut errors = FormErrors::new(ctx.t("commend.refused"));
                errors.note(message);
                campaign_page(&state, &ctx, &code, typed, None, errors).await
            }
            Err(e) => {
                // The service names team figures `teams.<id>.<indicator>`; the form `t.<id>.<indicator>`.
                let e = super::forms::rename_fields(e, |f| {
                    f.strip_prefix("teams.").map(|rest| format!("t.{rest}"))
                });
                let errors = FormErrors::from_error(&ctx, e, label)?;
                campaign_page(&state, &ctx, &code, typed, None, errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}
