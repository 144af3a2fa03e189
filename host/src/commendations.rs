//! Emulation and commendation: the commendation criteria a unit has enabled (a plugin) score
//! teams and members from their reported results and recommend awards, with reasons.
//!
//! The caller (the district Home Affairs office) supplies the figures of each candidate; the
//! host checks the candidates are teams and members under the unit, names them, and keeps the
//! plugin's verdicts in the order it ranked them; assessing changes nothing.
//!
//! The workflow that keeps what it decides:
//! - [`campaigns`]: an emulation campaign at a unit, evaluated from stored figures (accepted
//!   reports), its ranked results kept with the plugin that produced them;
//! - [`proposals`]: Home Affairs proposes awards, Culture and Information co-signs, the
//!   leadership approves or rejects each line; approved lines become commendation records;
//! - [`letters`]: the proposal (Tờ trình) and the decision (Quyết định) as official documents.

pub mod campaigns;
pub mod letters;
pub mod proposals;
mod routes;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::error::{Error, Problems, Result};
use crate::periods::{CutOff, Period};
use crate::plugins::types::{Candidate, CandidateKind};
use crate::plugins::{Kind, Runtime, bindings};
use crate::teams::composition::AppliedPlugin;

pub use routes::routes;

/// Who is assessed, with their figures (indicator code to value).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessRequest {
    /// The campaign period: `2022` (year), `2022-H1`, `2022-Q3` or `2022-07` (calendar days).
    pub period: String,
    /// Team id to its figures, e.g. `{"12": {"ho_gia_dinh": 320, "ho_duoc_huong_dan": 250}}`.
    #[serde(default)]
    pub teams: BTreeMap<i64, BTreeMap<String, f64>>,
    /// Membership id to the member's figures.
    #[serde(default)]
    pub members: BTreeMap<i64, BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    /// team or member.
    pub kind: String,
    /// The team id or membership id.
    pub id: i64,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub score: f64,
    /// The recommended award, none when not recommended.
    pub award: Option<String>,
    /// Why, in Vietnamese.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    pub unit_code: String,
    pub period: String,
    pub plugin: AppliedPlugin,
    /// In the plugin's ranking: teams first, then members, best first.
    pub verdicts: Vec<Verdict>,
}

/// A candidate as the host knows it; the plugin sees it numbered by its position in a list
/// of these, so a team and a membership with the same id cannot be confused.
pub(crate) struct Known {
    pub id: i64,
    pub kind: CandidateKind,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
}

/// Runs prepared commendation criteria on `candidates` (numbered 0, 1, ... as `known`) for
/// `period`, without a database connection held, and returns the verdicts in the plugin's
/// order. A verdict on a number the plugin was not given, or a second one on the same
/// candidate, is dropped. Errors: the plugin's failure.
pub(crate) async fn run_criteria(
    runtime: &Arc<Runtime>,
    call: crate::plugins::Prepared,
    candidates: Vec<Candidate>,
    known: &[Known],
    period: Period,
) -> Result<Vec<Verdict>> {
    let (out, _) = call
        .call(runtime, move |runtime, loaded, label, params| {
            runtime.assess(loaded, label, &candidates, &period, params)
        })
        .await?;
    let mut verdicts = Vec::new();
    let mut seen = vec![false; known.len()];
    for a in out {
        let Some(k) =
            usize::try_from(a.candidate_id).ok().filter(|i| *i < known.len() && !seen[*i]).map(|i| {
                seen[i] = true;
                &known[i]
            })
        else {
            continue;
        };
        verdicts.push(Verdict {
            kind: if k.kind == CandidateKind::Team { "team".into() } else { "member".into() },
            id: k.id,
            name: k.name.clone(),
            unit_code: k.unit_code.clone(),
            unit_name: k.unit_name.clone(),
            score: a.score,
            award: a.award,
            reasons: a.reasons,
        });
    }
    Ok(verdicts)
}

/// Assesses the candidates under unit `code` with the commendation criteria enabled there.
pub async fn assess(
    db: &crate::db::Db,
    runtime: &Arc<Runtime>,
    code: &str,
    request: AssessRequest,
) -> Result<Assessment> {
    // Read with a pooled connection, given back before the plugin runs.
    let mut pooled = db.pool.acquire().await?;
    let conn: &mut AnyConnection = &mut pooled;
    let date = crate::dates::today_iso();
    let unit_id = crate::units::id_of(conn, code).await?;
    let resolved = bindings::resolve(conn, unit_id, Kind::Commendation, &date).await?.ok_or_else(|| {
        Error::NotFound(format!("commendation criteria (none are enabled for unit '{code}')"))
    })?;
    let mut p = Problems::default();
    let campaign = match request.period.trim() {
        "" => {
            p.add("period", "give the campaign period, e.g. 2022");
            None
        }
        given => Period::parse(given, CutOff::Calendar).map_err(|e| p.add("period", e.to_string())).ok(),
    };
    if request.teams.is_empty() && request.members.is_empty() {
        p.add("teams", "name at least one team or member to assess");
    }
    let mut candidates = Vec::new();
    // The plugin sees candidates numbered 0, 1, ... so a team and a membership with the same id
    // cannot be confused; `known` maps the numbers back.
    let mut known: Vec<Known> = Vec::new();
    for (kind, field, figures) in
        [(CandidateKind::Team, "teams", &request.teams), (CandidateKind::Person, "members", &request.members)]
    {
        for (id, values) in figures {
            let found = match kind {
                CandidateKind::Team => crate::teams::find(conn, *id)
                    .await
                    .ok()
                    .map(|t| (t.unit_id, t.name, t.unit_code, t.unit_name)),
                CandidateKind::Person => match crate::teams::members::get(conn, *id).await {
                    Ok(m) => {
                        let team = crate::teams::find(conn, m.team_id).await?;
                        Some((team.unit_id, m.full_name, team.unit_code, team.unit_name))
                    }
                    Err(_) => None,
                },
            };
            let Some((member_unit, name, unit_code, unit_name)) = found else {
                p.add(
                    format!("{field}.{id}"),
                    format!("no such {} under '{code}'", &field[..field.len() - 1]),
                );
                continue;
            };
            if !crate::units::ancestors_or_self(conn, member_unit, &date).await?.contains(&unit_id) {
                p.add(
                    format!("{field}.{id}"),
                    format!("no such {} under '{code}'", &field[..field.len() - 1]),
                );
                continue;
            }
            let values = resolved.plugin.figures(&mut p, &format!("{field}.{id}"), values);
            candidates.push(Candidate {
                id: known.len() as i64,
                kind,
                name: name.clone(),
                unit_code: unit_code.clone(),
                values,
            });
            known.push(Known { id: *id, kind, name, unit_code, unit_name });
        }
    }
    p.into_result()?;
    let for_plugin = campaign.expect("checked above");
    let period = for_plugin.id.clone();
    let call = crate::plugins::prepare(conn, runtime, &resolved.plugin, &resolved.params).await?;
    drop(pooled);
    let verdicts = run_criteria(runtime, call, candidates, &known, for_plugin).await?;
    Ok(Assessment { unit_code: code.to_string(), period, plugin: AppliedPlugin::from(&resolved), verdicts })
}
