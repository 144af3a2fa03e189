//! Emulation campaigns for the three offices (`/units/{code}/campaigns`, `/campaigns/{id}`):
//! Home Affairs opens a campaign, evaluates it from the stored reports and proposes awards;
//! Culture and Information co-signs; the district leadership approves or rejects each line
//! and numbers the decision. Each step calls the service the API calls
//! ([`crate::commendations::campaigns`], [`crate::commendations::proposals`]); a refusal
//! brings the page back with the reasons in the user's language, success redirects.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Serialize;

use super::forms::FormErrors;
use super::{Ctx, Signed, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::commendations::campaigns::{self, Campaign, NewCampaign};
use crate::commendations::proposals::{self, LineDecision, NewDecision, NewProposal, ProposedLine};
use crate::error::Error;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{code}/campaigns", get(list).post(create))
        .route("/campaigns/{id}", get(show))
        .route("/campaigns/{id}/evaluate", post(evaluate))
        .route("/campaigns/{id}/propose", post(propose))
        .route("/campaigns/{id}/cosign", post(cosign))
        .route("/campaigns/{id}/decide", post(decide))
}

type Fields = BTreeMap<String, String>;

fn label(ctx: &Ctx, field: &str) -> String {
    let key = format!("campaign.field.{}", field.split('.').next().unwrap_or(field));
    if super::i18n::known(&key) { ctx.t(&key) } else { field.to_string() }
}

async fn list_page(state: &AppState, ctx: &Ctx, code: &str, typed: Fields, errors: FormErrors) -> WebResult {
    let principal = ctx.principal();
    let mut conn = state.db.pool.acquire().await?;
    let list = campaigns::list(&mut conn, Some(principal), code).await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    let manage = principal.can(&mut conn, Action::CampaignsManage, Target { unit_id, team_id: None }).await?;
    let unit = crate::units::get(&mut conn, code, &crate::dates::today_iso()).await?.unit;
    let templates =
        crate::plugins::bindings::templates(&mut conn, unit_id, &crate::dates::today_iso()).await?;
    let templates: Vec<_> = templates
        .into_iter()
        .filter(|t| t.plugin.report_form.is_some())
        .map(|t| minijinja::context! { id => t.plugin.plugin_id, name => t.plugin.name })
        .collect();
    let rows: Vec<_> = list
        .iter()
        .map(|c| {
            minijinja::context! {
                id => c.id, name => c.name, period => period_words(&c.period), status => ctx.t(&format!("campaign.status.{}", c.status.as_str())),
                proposal => c.proposal.as_ref().map(|p| ctx.t(&format!("campaign.proposal.{}", p.status))),
            }
        })
        .collect();
    let status = errors.status();
    let unit = minijinja::context! { code => unit.code, name => unit.name };
    let mut response = page(
        ctx,
        "campaigns.html",
        "units",
        minijinja::context! { unit, rows, manage, templates, typed, errors },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// "năm 2022", "quý III năm 2022".
fn period_words(id: &str) -> String {
    crate::periods::Period::parse(id, crate::periods::CutOff::Calendar)
        .map(|p| p.label_vi())
        .unwrap_or_else(|_| id.into())
}

async fn list(State(state): State<AppState>, Signed(ctx): Signed, Path(code): Path<String>) -> Response {
    list_page(&state, &ctx, &code, Fields::new(), FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

/// Base figures typed one unit per line: `21835: ho_gia_dinh=1450; ...` or `21835 1450`
/// (households, the usual one). A line with a unit and no figure, or a unit on two lines, is
/// not read (the second would silently replace the first).
fn parse_base(text: &str) -> Result<BTreeMap<String, BTreeMap<String, f64>>, String> {
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (code, rest) = line
            .split_once(':')
            .or_else(|| line.split_once(char::is_whitespace))
            .ok_or_else(|| format!("'{line}'"))?;
        let code = code.trim().to_string();
        if out.contains_key(&code) {
            return Err(format!("'{line}' ({code} is on two lines)"));
        }
        let mut figures = BTreeMap::new();
        for part in rest.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (indicator, value) = part.split_once('=').unwrap_or(("ho_gia_dinh", part));
            let value = crate::text::parse_number(value.trim()).ok_or_else(|| format!("'{line}'"))?;
            figures.insert(indicator.trim().to_string(), value);
        }
        if figures.is_empty() {
            return Err(format!("'{line}' (no figure)"));
        }
        out.insert(code, figures);
    }
    Ok(out)
}

async fn create(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let outcome = match parse_base(&get("base_figures")) {
            Ok(base_figures) => {
                let input = NewCampaign {
                    name: get("name"),
                    period: get("period"),
                    template: get("template"),
                    base_figures,
                };
                let principal = ctx.principal();
                campaigns::create(&state.db, Some(principal), &principal.actor(), &code, input).await
            }
            Err(line) => Err(Error::field("base_figures", format!("cannot read {line}"))),
        };
        match outcome {
            Ok(c) => Ok(see_other(&format!("/campaigns/{}", c.id), "campaign.ok.created")),
            Err(e) => {
                let errors = FormErrors::from_error(&ctx, e, |f| label(&ctx, f))?;
                list_page(&state, &ctx, &code, fields.clone(), errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

#[derive(Serialize)]
struct ResultRow {
    key: String,
    id: i64,
    rank: usize,
    kind: String,
    name: String,
    unit_name: String,
    score: String,
    award: Option<String>,
    reasons: Vec<String>,
    figures: Vec<(String, String)>,
}

#[derive(Serialize)]
struct LineRow {
    id: i64,
    name: String,
    unit_name: String,
    score: String,
    award: String,
    justification: String,
    outcome: String,
    outcome_words: String,
    reject_reason: Option<String>,
}

fn when(stamp: &Option<String>) -> String {
    stamp.as_deref().and_then(crate::dates::display_instant).unwrap_or_default()
}

async fn campaign_page(state: &AppState, ctx: &Ctx, id: i64, typed: Fields, errors: FormErrors) -> WebResult {
    let principal = ctx.principal();
    let mut conn = state.db.pool.acquire().await?;
    let c: Campaign = campaigns::get(&mut conn, Some(principal), id).await?;
    let unit_id = crate::units::id_of(&mut conn, &c.unit_code).await?;
    let target = Target { unit_id, team_id: None };
    let manage = principal.can(&mut conn, Action::CampaignsManage, target).await?;
    let cosign = principal.can(&mut conn, Action::ProposalsCosign, target).await?;
    let decide = principal.can(&mut conn, Action::ProposalsDecide, target).await?;
    // People by their display names ("Phòng Nội vụ Tây Sơn"), not their account names.
    let mut names = BTreeMap::new();
    let accounts =
        c.evaluation.iter().map(|e| e.evaluated_by.clone()).chain(c.proposal.iter().flat_map(|p| {
            [Some(p.proposed_by.clone()), p.cosigned_by.clone(), p.decided_by.clone()].into_iter().flatten()
        }));
    for account in accounts.collect::<Vec<_>>() {
        let name = crate::commendations::letters::display_name(&mut conn, &account).await?;
        names.insert(account, name);
    }
    drop(conn);
    let named = |account: &str| names.get(account).cloned().unwrap_or_else(|| account.to_string());
    let number = |s: f64| sohoa_sdk::text::decimal(s, 1);
    let results: Vec<ResultRow> = c
        .evaluation
        .as_ref()
        .map(|e| {
            e.results
                .iter()
                .map(|r| ResultRow {
                    key: format!("{}.{}", r.verdict.kind, r.verdict.id),
                    id: r.verdict.id,
                    rank: r.rank,
                    kind: r.verdict.kind.clone(),
                    name: r.verdict.name.clone(),
                    unit_name: r.verdict.unit_name.clone(),
                    score: number(r.verdict.score),
                    award: r.verdict.award.clone(),
                    reasons: r.verdict.reasons.clone(),
                    figures: r
                        .figures
                        .iter()
                        .map(|(k, v)| {
                            let key = format!("indicator.{k}");
                            let name = if super::i18n::known(&key) { ctx.t(&key) } else { k.clone() };
                            (name, crate::reports::form::shown(*v))
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let evaluation = c.evaluation.as_ref().map(|e| {
        minijinja::context! {
            plugin => e.plugin_name, plugin_id => e.plugin_id, version => e.version, sha256 => e.sha256,
            periods => e.periods.iter().map(|p| period_words(p)).collect::<Vec<_>>().join(", "), at => when(&Some(e.evaluated_at.clone())), by => named(&e.evaluated_by),
        }
    });
    let proposal = c.proposal.as_ref().map(|p| {
        let lines: Vec<LineRow> = p
            .lines
            .iter()
            .map(|l| LineRow {
                id: l.id,
                name: l.name.clone(),
                unit_name: l.unit_name.clone(),
                score: l.score.as_deref().and_then(|s| s.parse::<f64>().ok()).map(number).unwrap_or_default(),
                award: l.award.clone(),
                justification: l.justification.clone(),
                outcome: l.outcome.clone(),
                // An approved award a higher level gives is forwarded, not awarded.
                outcome_words: ctx.t(&format!(
                    "campaign.outcome.{}",
                    if l.forwarded() { "forwarded" } else { l.outcome.as_str() }
                )),
                reject_reason: l.reject_reason.clone(),
            })
            .collect();
        minijinja::context! {
            status => p.status, status_words => ctx.t(&format!("campaign.proposal.{}", p.status)),
            justification => p.justification, proposed => format!("{} · {}", when(&Some(p.proposed_at.clone())), named(&p.proposed_by)),
            cosigned => p.cosigned_at.as_ref().map(|at| format!("{} · {}", when(&Some(at.clone())), named(p.cosigned_by.as_deref().unwrap_or_default()))),
            decided => p.decided_at.as_ref().map(|at| format!("{} · {}", when(&Some(at.clone())), named(p.decided_by.as_deref().unwrap_or_default()))),
            decision_number => p.decision_number,
            decision_date => p.decision_date.as_deref().and_then(crate::dates::parse).map(crate::dates::display),
            // A decision that approved nothing has no document to print (letters::letter: 409).
            printable => p.lines.iter().any(|l| l.outcome == "approved"),
            lines,
        }
    });
    let status = errors.status();
    let today = crate::dates::display(crate::dates::today());
    let mut response = page(
        ctx,
        "campaign.html",
        "units",
        minijinja::context! {
            campaign => minijinja::context! {
                id => c.id, name => c.name, unit_code => c.unit_code, unit_name => c.unit_name,
                period => period_words(&c.period), status => c.status.as_str(),
                status_words => ctx.t(&format!("campaign.status.{}", c.status.as_str())),
            },
            evaluation, results, proposal, manage, cosign, decide, typed, errors, decision_day => today,
            documents => format!("/api/v1/campaigns/{}/documents", c.id),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn show(State(state): State<AppState>, Signed(ctx): Signed, Path(id): Path<i64>) -> Response {
    campaign_page(&state, &ctx, id, Fields::new(), FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

/// The step's outcome: a redirect to the campaign with `ok`, or the page with the refusal.
async fn answer<T>(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    typed: Fields,
    outcome: crate::error::Result<T>,
    ok: &str,
) -> WebResult {
    match outcome {
        Ok(_) => Ok(see_other(&format!("/campaigns/{id}"), ok)),
        Err(e) => {
            let errors = FormErrors::from_error(ctx, e, |f| label(ctx, f))?;
            campaign_page(state, ctx, id, typed, errors).await
        }
    }
}

async fn evaluate(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let principal = ctx.principal();
        let outcome =
            campaigns::evaluate(&state.db, &state.plugins, Some(principal), &principal.actor(), id).await;
        answer(&state, &ctx, id, fields, outcome, "campaign.ok.evaluated").await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn propose(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let done: WebResult = async {
        let typed: Fields = fields.iter().cloned().collect();
        check_csrf(&ctx, typed.get("csrf").map(String::as_str).unwrap_or(""))?;
        // One checkbox `pick` per candidate (`team.12`), its award in `award.team.12`.
        let lines: Vec<ProposedLine> = fields
            .iter()
            .filter(|(k, _)| k == "pick")
            .filter_map(|(_, v)| {
                let (kind, id) = v.split_once('.')?;
                Some(ProposedLine {
                    kind: kind.to_string(),
                    id: id.parse().ok()?,
                    award: typed.get(&format!("award.{v}")).filter(|a| !a.trim().is_empty()).cloned(),
                    justification: None,
                })
            })
            .collect();
        let outcome = if lines.is_empty() {
            Err(Error::field("lines", "tick at least one team or member to propose"))
        } else {
            let input =
                NewProposal { justification: typed.get("justification").cloned().unwrap_or_default(), lines };
            let principal = ctx.principal();
            proposals::propose(&state.db, Some(principal), &principal.actor(), id, input).await
        };
        answer(&state, &ctx, id, typed, outcome, "campaign.ok.proposed").await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn cosign(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let principal = ctx.principal();
        let outcome = proposals::cosign(&state.db, Some(principal), &principal.actor(), id).await;
        answer(&state, &ctx, id, fields, outcome, "campaign.ok.cosigned").await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn decide(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        // `line.<id>` is approve or reject; `reason.<id>` says why a line is rejected.
        let lines: Vec<LineDecision> = fields
            .iter()
            .filter_map(|(k, v)| {
                let line_id = k.strip_prefix("line.")?.parse().ok()?;
                Some(LineDecision {
                    line_id,
                    approve: v == "approve",
                    reason: fields.get(&format!("reason.{line_id}")).cloned(),
                })
            })
            .collect();
        let ids: Vec<i64> = lines.iter().map(|l| l.line_id).collect();
        let input = NewDecision {
            decision_number: fields.get("decision_number").cloned().unwrap_or_default(),
            decision_date: fields.get("decision_date").cloned().unwrap_or_default(),
            lines,
        };
        let principal = ctx.principal();
        // The service names a line by its place in the request (`lines.1.reason`); the form by
        // its id (`reason.12`).
        let outcome =
            proposals::decide(&state.db, Some(principal), &principal.actor(), id, input).await.map_err(|e| {
                super::forms::rename_fields(e, |field| {
                    let (i, rest) = field.strip_prefix("lines.")?.split_once('.')?;
                    let line = ids.get(i.parse::<usize>().ok()?)?;
                    Some(format!("{rest}.{line}"))
                })
            });
        answer(&state, &ctx, id, fields, outcome, "campaign.ok.decided").await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_figures_are_read_one_unit_per_line() {
        let base = super::parse_base("21835: ho_gia_dinh=1.450; tk_vneid=10\n21820 980\n\n").unwrap();
        assert_eq!(base["21835"]["ho_gia_dinh"], 1450.0);
        assert_eq!(base["21835"]["tk_vneid"], 10.0);
        assert_eq!(base["21820"]["ho_gia_dinh"], 980.0);
        assert!(super::parse_base("21835").is_err());
        assert!(super::parse_base("21835:").is_err(), "a unit without a figure");
        assert!(super::parse_base("21835 10\n21835 20").is_err(), "a unit on two lines");
        assert!(super::parse_base("21835: ho_gia_dinh=abc").is_err());
    }
}
