//! Emulation campaigns (phong trào thi đua): organised at a unit by its Home Affairs office,
//! over a period, evaluated from what is stored.
//!
//! **Figures.** A team's figures for a campaign are those of its unit's *accepted* submissions
//! on the campaign's report template, for every period of the template's form whose calendar
//! span lies inside the campaign period (2022-Q1 to 2022-Q4 for the campaign 2022). The
//! periods combine with each indicator's own aggregation (flows add up, a mean stays a mean,
//! `none` keeps the latest). The host adds two figures of its own:
//! - `bao_cao_phai_nop`: the form's periods in the campaign whose deadline has passed;
//! - `bao_cao_dung_han`: of those, the ones the unit submitted by the deadline and that were
//!   accepted.
//!
//! Figures reports do not carry (households per commune, from the statistics office) are the
//! campaign's base figures, set by unit code when it is created; a base figure replaces a
//! reported one of the same code. Only the indicators the criteria read are sent.
//!
//! **Evaluation** runs the commendation criteria bound at the organising unit on the campaign
//! period's last day (dated bindings, as for reports) and stores the ranked results with the
//! figures each candidate was given and the plugin's id, version and sha256, so a result reads
//! the same later whatever is installed since. Evaluating again replaces the results until a
//! proposal is made from them.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::{Known, Verdict, run_criteria};
use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal};
use crate::dates;
use crate::db::{Db, Sql, now};
use crate::error::{Error, Problems, Result};
use crate::periods::{CutOff, Period};
use crate::plugins::types::{self as h, Aggregation, Candidate, CandidateKind, ReportForm};
use crate::plugins::{Kind, Runtime, bindings};
use crate::reports::submissions::allow;
use crate::teams::{TeamFilter, TeamSort};
use crate::vocab::TeamStatus;

/// Host figure: the form's periods in the campaign whose deadline has passed.
pub const REPORTS_DUE: &str = "bao_cao_phai_nop";
/// Host figure: of [`REPORTS_DUE`], those submitted by the deadline and accepted.
pub const REPORTS_ON_TIME: &str = "bao_cao_dung_han";
/// The longest campaign name, in characters.
const MAX_NAME: usize = 300;

/// A campaign to open.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// E.g. "Thi đua chuyển đổi số cộng đồng năm 2022"; unique at the unit.
    pub name: String,
    /// `2022` (year), `2022-H1` or `2022-Q3`: calendar days.
    pub period: String,
    /// The report template whose accepted figures the candidates are judged on.
    pub template: String,
    /// Figures the reports do not carry, by unit code then indicator code, e.g.
    /// `{"21835": {"ho_gia_dinh": 1450}}`. Zero or more, at most 10^12.
    #[serde(default)]
    pub base_figures: BTreeMap<String, BTreeMap<String, f64>>,
}

/// open (no results yet), evaluating (results kept, no decision yet) or closed (decided).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Open,
    Evaluating,
    Closed,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Open => "open",
            CampaignStatus::Evaluating => "evaluating",
            CampaignStatus::Closed => "closed",
        }
    }

    fn parse(s: &str) -> CampaignStatus {
        match s {
            "evaluating" => CampaignStatus::Evaluating,
            "closed" => CampaignStatus::Closed,
            _ => CampaignStatus::Open,
        }
    }
}

/// One candidate's place in an evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ranked {
    /// 1 for the first of its kind (teams and members are ranked apart).
    pub rank: usize,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What the criteria were given: indicator code to value.
    pub figures: BTreeMap<String, f64>,
}

/// The stored result of running the criteria.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evaluation {
    pub plugin_id: String,
    pub version: String,
    pub plugin_name: String,
    /// SHA-256 of the component that ran (hex).
    pub sha256: String,
    /// The unit whose binding applied and the binding's first day.
    pub bound_at: String,
    pub effective_from: String,
    /// The form's periods the figures came from, e.g. `["2022-Q1", ..., "2022-Q4"]`.
    pub periods: Vec<String>,
    pub evaluated_at: String,
    pub evaluated_by: String,
    /// Teams first, then members, each best first.
    pub results: Vec<Ranked>,
}

/// A campaign as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub name: String,
    /// The organising office's role, e.g. `district_home_affairs`.
    pub office: String,
    pub period: String,
    pub template: String,
    pub status: CampaignStatus,
    #[schema(value_type = Object)]
    pub base_figures: BTreeMap<String, BTreeMap<String, f64>>,
    pub evaluation: Option<Evaluation>,
    pub proposal: Option<super::proposals::Proposal>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Row {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub office: String,
    pub period: String,
    pub template: String,
    pub base_figures: String,
    pub status: String,
    pub evaluation: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

impl Row {
    pub fn status(&self) -> CampaignStatus {
        CampaignStatus::parse(&self.status)
    }

    pub fn evaluation(&self) -> Option<Evaluation> {
        self.evaluation.as_deref().and_then(|e| serde_json::from_str(e).ok())
    }
}

const COLUMNS: &str =
    "id, unit_id, name, office, period, template, base_figures, status, evaluation, created_at, created_by";

pub(crate) async fn load(conn: &mut AnyConnection, id: i64) -> Result<Row> {
    sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("campaign {id}")))
}

/// The unit's name today (or its last one).
pub(crate) async fn unit_name(conn: &mut AnyConnection, unit_id: i64) -> Result<String> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT name FROM unit_versions WHERE unit_id = $1 ORDER BY valid_to IS NULL DESC, valid_to DESC LIMIT 1",
    )
    .bind(unit_id)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or_default())
}

async fn view(conn: &mut AnyConnection, row: Row) -> Result<Campaign> {
    let unit_code = crate::units::code_of(conn, row.unit_id).await?;
    let unit_name = unit_name(conn, row.unit_id).await?;
    let proposal = super::proposals::of_campaign(conn, row.id).await?;
    Ok(Campaign {
        id: row.id,
        unit_code,
        unit_name,
        status: row.status(),
        evaluation: row.evaluation(),
        base_figures: serde_json::from_str(&row.base_figures).unwrap_or_default(),
        name: row.name,
        office: row.office,
        period: row.period,
        template: row.template,
        proposal,
        created_at: row.created_at,
        created_by: row.created_by,
    })
}

/// The campaign `id`, checked readable by `scope` (404 otherwise).
pub async fn get(conn: &mut AnyConnection, scope: Option<&Principal>, id: i64) -> Result<Campaign> {
    let row = load(conn, id).await?;
    allow(conn, scope, Action::TeamsRead, row.unit_id, &format!("campaign {id}")).await?;
    view(conn, row).await
}

/// The campaigns organised at unit `code`, newest period first.
pub async fn list(conn: &mut AnyConnection, scope: Option<&Principal>, code: &str) -> Result<Vec<Campaign>> {
    let unit_id = crate::units::id_of(conn, code).await?;
    allow(conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM campaigns WHERE unit_id = $1 ORDER BY period DESC, id DESC"
    ))
    .bind(unit_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        out.push(view(conn, row).await?);
    }
    Ok(out)
}

/// The most base figures one unit may be given: criteria read a handful (households,
/// population); more is a mistake or an attempt to fill the database.
const MAX_BASE_PER_UNIT: usize = 20;

/// Checks base figures: known units under the organiser (by code), at most
/// [`MAX_BASE_PER_UNIT`] per unit, indicator codes as plugins name them (`ho_gia_dinh`:
/// lower-case ASCII letters, digits and `_`, at most 64), numbers zero or more and at most
/// 10^12. Problems are named `base_figures.<code>` or `base_figures.<code>.<indicator>`.
async fn check_base(
    conn: &mut AnyConnection,
    p: &mut Problems,
    unit_id: i64,
    date: &str,
    base: &BTreeMap<String, BTreeMap<String, f64>>,
) -> Result<()> {
    for (code, figures) in base {
        let inside = match crate::units::id_of(conn, code).await {
            Ok(id) => crate::units::ancestors_or_self(conn, id, date).await?.contains(&unit_id),
            Err(_) => false,
        };
        if !inside {
            p.add(format!("base_figures.{code}"), format!("no unit '{code}' under the organising unit"));
        }
        if figures.len() > MAX_BASE_PER_UNIT {
            p.add(format!("base_figures.{code}"), format!("at most {MAX_BASE_PER_UNIT} figures per unit"));
            continue;
        }
        for (indicator, value) in figures {
            let named = !indicator.is_empty()
                && indicator.len() <= 64
                && indicator.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !named {
                p.add(
                    format!("base_figures.{code}"),
                    format!("'{indicator}' is not an indicator code (e.g. ho_gia_dinh)"),
                );
            } else if !value.is_finite() || *value < 0.0 || *value > crate::plugins::registry::MAX_FIGURE {
                p.add(format!("base_figures.{code}.{indicator}"), "must be a number from 0 to 1000000000000");
            }
        }
    }
    Ok(())
}

/// Opens a campaign at unit `code`, organised by the caller's office (Home Affairs).
/// Errors: 422 for an empty or overlong name, a malformed period, a template that is not
/// enabled there or has no report form, bad base figures; 409 for a name already used there.
pub async fn create(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    input: NewCampaign,
) -> Result<Campaign> {
    let mut conn = db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    allow(&mut conn, scope, Action::CampaignsManage, unit_id, &format!("unit '{code}'")).await?;
    let mut p = Problems::default();
    let name = crate::text::clean(&input.name);
    if name.is_empty() {
        p.add("name", "give the campaign a name");
    } else if name.chars().count() > MAX_NAME {
        p.add("name", format!("at most {MAX_NAME} characters"));
    }
    let period = match Period::parse(input.period.trim(), CutOff::Calendar) {
        Ok(period) if period.period_type == crate::periods::PeriodType::Month => {
            p.add("period", "a campaign runs over a quarter, a half-year or a year");
            None
        }
        Ok(period) => Some(period),
        Err(e) => {
            p.add("period", e.to_string());
            None
        }
    };
    if let Some(period) = &period {
        let end = dates::iso(period.end);
        match bindings::resolve_template(&mut conn, unit_id, input.template.trim(), &end).await? {
            Some(r) if r.plugin.report_form.is_some() => {}
            Some(r) => p.add(
                "template",
                format!("{} declares no report form: nothing is submitted on it", r.label()),
            ),
            None => p.add(
                "template",
                format!(
                    "report template '{}' is not enabled for unit '{code}' in {}",
                    input.template, period.id
                ),
            ),
        }
        check_base(&mut conn, &mut p, unit_id, &end, &input.base_figures).await?;
    }
    p.into_result()?;
    drop(conn);
    let period = period.expect("checked above");
    // The organising office: the caller's role that lets them organise here.
    let office = match scope {
        Some(principal) => principal
            .assignments
            .iter()
            .find(|a| crate::auth::grant(a.role, Action::CampaignsManage) != crate::auth::Reach::No)
            .map_or("district_home_affairs", |a| a.role.as_str()),
        None => "district_home_affairs",
    };
    let stamp = now();
    let mut tx = db.begin_write().await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM campaigns WHERE unit_id = $1 AND name = $2")
        .bind(unit_id)
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(Error::Conflict(format!("unit '{code}' already has a campaign named '{name}'")));
    }
    let base = serde_json::to_string(&input.base_figures).map_err(|e| Error::Internal(e.to_string()))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (unit_id, name, office, period, template, base_figures, status, created_at, \
         created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9) RETURNING id",
    )
    .bind(unit_id)
    .bind(&name)
    .bind(office)
    .bind(&period.id)
    .bind(input.template.trim())
    .bind(&base)
    .bind(&stamp)
    .bind(&actor.name)
    .bind(&stamp)
    .fetch_one(&mut *tx)
    .await?;
    let after = serde_json::json!({"name": name, "period": period.id, "template": input.template.trim()});
    audit::record(&mut tx, actor, Change::new("create", "campaign", id, Some(unit_id)).after(&after)).await?;
    let row = load(&mut tx, id).await?;
    let campaign = view(&mut tx, row).await?;
    tx.commit().await?;
    Ok(campaign)
}

/// The form's periods whose calendar span lies inside `campaign`, in order.
pub(crate) fn periods_within(campaign: &Period, form: &ReportForm) -> Vec<Period> {
    let mut out = Vec::new();
    let mut day = campaign.start;
    while day <= campaign.end {
        let Some(calendar) = Period::containing(day, form.period_type, CutOff::Calendar) else { break };
        if calendar.start >= campaign.start
            && calendar.end <= campaign.end
            && let Ok(p) = Period::parse(&calendar.id, form.cut_off)
        {
            out.push(p);
        }
        day = calendar.end + chrono::Duration::days(1);
    }
    out
}

/// Combines one indicator's values over periods (oldest first) by its aggregation.
fn combine(aggregation: &Aggregation, values: &[f64]) -> f64 {
    match aggregation {
        Aggregation::Sum => values.iter().sum(),
        Aggregation::Mean | Aggregation::WeightedMean { .. } => {
            values.iter().sum::<f64>() / values.len().max(1) as f64
        }
        Aggregation::Max => values.iter().copied().fold(f64::MIN, f64::max),
        Aggregation::Min => values.iter().copied().fold(f64::MAX, f64::min),
        Aggregation::None => values.last().copied().unwrap_or(0.0),
    }
}

/// Each unit's campaign figures (see the module docs), for `unit_ids`.
pub(crate) async fn unit_figures(
    conn: &mut AnyConnection,
    template: &str,
    form: &ReportForm,
    periods: &[Period],
    unit_ids: &[i64],
    today: NaiveDate,
) -> Result<BTreeMap<i64, BTreeMap<String, f64>>> {
    #[derive(sqlx::FromRow)]
    struct Stored {
        unit_id: i64,
        period: String,
        figures: String,
        late: i64,
    }
    let mut out: BTreeMap<i64, BTreeMap<String, f64>> = BTreeMap::new();
    let due = periods.iter().filter(|p| p.deadline(form.deadline_days) < today).count() as f64;
    let mut series: BTreeMap<(i64, String), Vec<(String, f64)>> = BTreeMap::new();
    let mut on_time: BTreeMap<i64, f64> = BTreeMap::new();
    for chunk in unit_ids.chunks(crate::reports::rollup::IDS_PER_QUERY) {
        if periods.is_empty() || chunk.is_empty() {
            break;
        }
        let mut sql = Sql::new(
            "SELECT unit_id, period, figures, late FROM report_submissions WHERE status = 'accepted' AND template = ",
        );
        sql.bind(template).push(" AND period IN (");
        for (i, p) in periods.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(p.id.as_str());
        }
        sql.push(") AND unit_id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(") ORDER BY period");
        for row in sql.query_as::<Stored>().fetch_all(&mut *conn).await? {
            let figures: BTreeMap<String, f64> = serde_json::from_str(&row.figures).unwrap_or_default();
            for (code, value) in figures {
                series.entry((row.unit_id, code)).or_default().push((row.period.clone(), value));
            }
            let deadline_passed =
                periods.iter().any(|p| p.id == row.period && p.deadline(form.deadline_days) < today);
            if row.late == 0 && deadline_passed {
                *on_time.entry(row.unit_id).or_default() += 1.0;
            }
        }
    }
    for id in unit_ids {
        let figures = out.entry(*id).or_default();
        figures.insert(REPORTS_DUE.into(), due);
        figures.insert(REPORTS_ON_TIME.into(), on_time.get(id).copied().unwrap_or(0.0));
    }
    for ((unit_id, code), values) in series {
        let Some(indicator) = form.indicators.iter().find(|i| i.code == code) else { continue };
        let values: Vec<f64> = values.into_iter().map(|(_, v)| v).collect();
        out.entry(unit_id).or_default().insert(code, combine(&indicator.aggregation, &values));
    }
    Ok(out)
}

/// Evaluates campaign `id` from the stored figures and keeps the ranked results (see the
/// module docs). Errors: 404 for an unknown campaign or one outside the caller's scope, 403
/// without the right to organise there, 409 before the period begins or once a proposal was
/// made from the results,
/// 404 when no commendation criteria are enabled for the period, 422 when the template has
/// no form for the period, the plugin's failure as 502.
pub async fn evaluate(
    db: &Db,
    runtime: &Arc<Runtime>,
    scope: Option<&Principal>,
    actor: &Actor,
    id: i64,
) -> Result<Campaign> {
    let mut conn = db.pool.acquire().await?;
    let row = load(&mut conn, id).await?;
    allow(&mut conn, scope, Action::CampaignsManage, row.unit_id, &format!("campaign {id}")).await?;
    if super::proposals::of_campaign(&mut conn, id).await?.is_some() {
        return Err(Error::Conflict(format!(
            "campaign {id} has a proposal made from its results; they are no longer re-evaluated"
        )));
    }
    let period = Period::parse(&row.period, CutOff::Calendar).map_err(|e| Error::Internal(e.to_string()))?;
    // During the period an evaluation ranks the figures so far; before it, there are none.
    if period.start > dates::today() {
        return Err(Error::Conflict(format!(
            "campaign {id} runs from {}: there is nothing to evaluate before then",
            dates::display(period.start)
        )));
    }
    let end = dates::iso(period.end);
    let criteria =
        bindings::resolve(&mut conn, row.unit_id, Kind::Commendation, &end).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "commendation criteria (none are enabled at the campaign's unit for {})",
                row.period
            ))
        })?;
    let template = bindings::resolve_template(&mut conn, row.unit_id, &row.template, &end).await?;
    let form = template.and_then(|t| t.plugin.report_form).ok_or_else(|| {
        Error::field("template", format!("report template '{}' has no form for {}", row.template, row.period))
    })?;
    // The form's periods in the campaign in which the template was in force (bound on the
    // period's last day): before it was enabled nothing was due.
    let mut periods = Vec::new();
    for p in periods_within(&period, &form) {
        if bindings::resolve_template(&mut conn, row.unit_id, &row.template, &dates::iso(p.end))
            .await?
            .is_some()
        {
            periods.push(p);
        }
    }
    let filter = TeamFilter {
        roots: Some(vec![row.unit_id]),
        as_of: end.clone(),
        status: Some(TeamStatus::Active),
        q: None,
        sort: TeamSort::Unit,
        failing: false,
    };
    let (teams, _) = crate::teams::list(&mut conn, &filter, i64::MAX, 0).await?;
    let unit_ids: Vec<i64> = {
        let mut ids: Vec<i64> = teams.iter().map(|t| t.unit_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let figures = unit_figures(&mut conn, &row.template, &form, &periods, &unit_ids, dates::today()).await?;
    let base: BTreeMap<String, BTreeMap<String, f64>> =
        serde_json::from_str(&row.base_figures).unwrap_or_default();
    let mut candidates = Vec::new();
    let mut known = Vec::new();
    let mut given = Vec::new();
    for team in &teams {
        let mut values = figures.get(&team.unit_id).cloned().unwrap_or_default();
        if let Some(extra) = base.get(&team.unit_code) {
            values.extend(extra.iter().map(|(k, v)| (k.clone(), *v)));
        }
        values.retain(|code, _| criteria.plugin.indicators.contains(code));
        candidates.push(Candidate {
            id: known.len() as i64,
            kind: CandidateKind::Team,
            name: team.name.clone(),
            unit_code: team.unit_code.clone(),
            values: values
                .iter()
                .map(|(code, value)| h::IndicatorValue { code: code.clone(), value: *value })
                .collect(),
        });
        known.push(Known {
            id: team.id,
            kind: CandidateKind::Team,
            name: team.name.clone(),
            unit_code: team.unit_code.clone(),
            unit_name: team.unit_name.clone(),
        });
        given.push(values);
    }
    if candidates.is_empty() {
        return Err(Error::Conflict(format!(
            "no active team under the campaign's unit on {}",
            dates::display(period.end)
        )));
    }
    let plugin_ref = crate::reports::submissions::plugin_ref(
        &mut conn,
        &criteria.plugin.plugin_id,
        &criteria.plugin.version,
    )
    .await?;
    let call = crate::plugins::prepare(&mut conn, runtime, &criteria.plugin, &criteria.params).await?;
    drop(conn);
    let verdicts = run_criteria(runtime, call, candidates, &known, period.clone()).await?;
    let mut rank_of: BTreeMap<String, usize> = BTreeMap::new();
    let results: Vec<Ranked> = verdicts
        .into_iter()
        .map(|verdict| {
            let rank = rank_of.entry(verdict.kind.clone()).or_default();
            *rank += 1;
            let index = known.iter().position(|k| k.id == verdict.id).unwrap_or(0);
            Ranked { rank: *rank, figures: given[index].clone(), verdict }
        })
        .collect();
    let evaluation = Evaluation {
        plugin_id: criteria.plugin.plugin_id.clone(),
        version: criteria.plugin.version.clone(),
        plugin_name: criteria.plugin.name.clone(),
        sha256: criteria.plugin.sha256.clone(),
        bound_at: criteria.binding.unit_code.clone(),
        effective_from: criteria.binding.effective_from.clone(),
        periods: periods.iter().map(|p| p.id.clone()).collect(),
        evaluated_at: now(),
        evaluated_by: actor.name.clone(),
        results,
    };
    let stored = serde_json::to_string(&evaluation).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    // A proposal made meanwhile keeps the results it was made from.
    if super::proposals::of_campaign(&mut tx, id).await?.is_some() {
        return Err(Error::Conflict(format!("campaign {id} got a proposal while it was being evaluated")));
    }
    sqlx::query(
        "UPDATE campaigns SET evaluation = $1, plugin_ref = $2, plugin_sha256 = $3, evaluated_at = $4, \
         evaluated_by = $5, status = 'evaluating', updated_at = $6 WHERE id = $7",
    )
    .bind(&stored)
    .bind(plugin_ref)
    .bind(&evaluation.sha256)
    .bind(&evaluation.evaluated_at)
    .bind(&actor.name)
    .bind(&evaluation.evaluated_at)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let summary = serde_json::json!({
        "plugin": format!("{}@{}", evaluation.plugin_id, evaluation.version),
        "candidates": evaluation.results.len(),
        "recommended": evaluation.results.iter().filter(|r| r.verdict.award.is_some()).count(),
    });
    audit::record(&mut tx, actor, Change::new("evaluate", "campaign", id, Some(row.unit_id)).after(&summary))
        .await?;
    let row = load(&mut tx, id).await?;
    let campaign = view(&mut tx, row).await?;
    tx.commit().await?;
    Ok(campaign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::periods::PeriodType;
    use crate::units::Level;

    fn form(period_type: PeriodType, cut_off: CutOff) -> ReportForm {
        ReportForm { period_type, level: Level::Commune, cut_off, deadline_days: 4, indicators: vec![] }
    }

    #[test]
    fn a_year_holds_its_four_quarters_whatever_the_cut_off() {
        let year = Period::parse("2022", CutOff::Calendar).unwrap();
        for cut_off in [CutOff::Calendar, CutOff::Decree092019] {
            let ids: Vec<String> = periods_within(&year, &form(PeriodType::Quarter, cut_off))
                .into_iter()
                .map(|p| p.id)
                .collect();
            assert_eq!(ids, ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"]);
        }
        let half = Period::parse("2022-H2", CutOff::Calendar).unwrap();
        let months = periods_within(&half, &form(PeriodType::Month, CutOff::Calendar));
        assert_eq!(months.len(), 6);
        assert_eq!(months[0].id, "2022-07");
        // A form period longer than the campaign is not inside it.
        let quarter = Period::parse("2022-Q3", CutOff::Calendar).unwrap();
        assert!(periods_within(&quarter, &form(PeriodType::Year, CutOff::Calendar)).is_empty());
    }

    #[test]
    fn periods_combine_by_each_indicators_aggregation() {
        assert_eq!(combine(&Aggregation::Sum, &[1.0, 2.0, 3.0]), 6.0);
        assert_eq!(combine(&Aggregation::Mean, &[1.0, 2.0, 3.0]), 2.0);
        assert_eq!(combine(&Aggregation::Max, &[1.0, 5.0, 3.0]), 5.0);
        assert_eq!(combine(&Aggregation::Min, &[4.0, 2.0, 3.0]), 2.0);
        assert_eq!(combine(&Aggregation::None, &[1.0, 2.0, 7.0]), 7.0);
    }
}
