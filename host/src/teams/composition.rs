//! Composition checks: the plugin bound to a team's unit (or the nearest ancestor) says what
//! is wrong with the team. A check reads with a database connection ([`gather`]) and runs the
//! plugins without one ([`Gathered::judge`]). Writes are judged by [`super::guarded`].

use std::sync::Arc;

use chrono::Datelike;
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::members::{MemberFilter, list as list_members};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::plugins::types as h;
use crate::plugins::{Kind, Runtime, bindings};

/// The plugin version a check (or report, or assessment) ran with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedPlugin {
    pub plugin_id: String,
    pub version: String,
    pub name: String,
    /// The unit whose binding applied (the team's own, or an ancestor's).
    pub bound_at: String,
    pub effective_from: String,
}

impl From<&bindings::Resolved> for AppliedPlugin {
    fn from(r: &bindings::Resolved) -> Self {
        AppliedPlugin {
            plugin_id: r.plugin.plugin_id.clone(),
            version: r.plugin.version.clone(),
            name: r.plugin.name.clone(),
            bound_at: r.binding.unit_code.clone(),
            effective_from: r.binding.effective_from.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct Finding {
    pub team_id: i64,
    /// error (blocks changes), warning or info.
    pub severity: String,
    pub code: String,
    pub message: String,
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckResult {
    pub team_id: i64,
    pub as_of: String,
    /// None when no composition rule applies to the team's unit.
    pub plugin: Option<AppliedPlugin>,
    pub findings: Vec<Finding>,
    /// Instruction units the plugin used; when teams were checked together in one call, that
    /// call's fuel shared equally among them.
    pub fuel: u64,
}

impl CheckResult {
    /// The codes of its error findings (those that block changes).
    pub fn error_codes(&self) -> std::collections::BTreeSet<&str> {
        self.findings.iter().filter(|f| f.severity == "error").map(|f| f.code.as_str()).collect()
    }
}

pub(crate) fn day(iso: &str) -> chrono::NaiveDate {
    crate::dates::parse(iso).unwrap_or_else(crate::dates::today)
}

/// The team as a plugin sees it on `as_of` (ISO date): every member it has had, with ages
/// instead of years of birth. Errors: the database's.
pub async fn plugin_team(conn: &mut AnyConnection, team: super::Team, as_of: &str) -> Result<h::Team> {
    let filter = MemberFilter { team: Some(team.id), include_left: true, ..Default::default() };
    let (members, _) = list_members(conn, &filter, i64::MAX, 0).await?;
    Ok(as_plugin_team(team, members, as_of))
}

/// `team` with `members` (all it has had, in a team list's order) as a plugin sees it on
/// `as_of` (ISO date).
fn as_plugin_team(team: super::Team, members: Vec<super::members::Member>, as_of: &str) -> h::Team {
    let year = i64::from(day(as_of).year());
    h::Team {
        id: team.id,
        name: team.name,
        unit_code: team.unit_code,
        unit_name: team.unit_name,
        kind: if team.kind == crate::units::Level::Village {
            crate::units::Level::Village
        } else {
            crate::units::Level::Commune
        },
        status: team.status,
        decision_date: day(&team.decision_date),
        members: members
            .into_iter()
            .map(|m| h::Member {
                id: m.id,
                full_name: m.full_name,
                gender: m.gender,
                // Age in whole years is all the plugin needs; the year of birth stays home.
                age: m.birth_year.map(|b| (year - b).max(0) as u32),
                position: m.position,
                affiliation: m.affiliation,
                skills: m.skills,
                joined_on: day(&m.joined_on),
                left_on: m.left_on.as_deref().map(day),
            })
            .collect(),
    }
}

/// One team as its composition rule sees it on a date.
#[derive(Debug, Clone)]
pub struct Subject {
    pub team_id: i64,
    /// The rule that applies, None when none does.
    pub rule: Option<bindings::Resolved>,
    /// The team as the plugin interface describes it.
    pub input: h::Team,
}

impl Subject {
    /// What the rule judges, without database ids (the team's id becomes 0, members' ids their
    /// positions): two subjects of the same shape get the same findings from the same rule. A
    /// guarded write compares the shapes it judged with the ones it commits.
    pub fn shape(&self) -> String {
        let mut team = self.input.clone();
        team.id = 0;
        for (i, m) in team.members.iter_mut().enumerate() {
            m.id = i as i64;
        }
        let rule = self.rule.as_ref().map(|r| (&r.plugin.sha256, format!("{:?}", r.params)));
        format!("{rule:?}|{team:?}")
    }
}

/// Teams gathered for their composition rules: read with a database connection, then judged
/// without one ([`judge`](Gathered::judge)), so no connection (and no write lock) is held
/// while a plugin runs.
pub struct Gathered {
    as_of: String,
    pub subjects: Vec<Subject>,
    /// The subjects (by index) that share a rule (the same component with the same
    /// parameters), with the rule's prepared call: one call each.
    groups: Vec<(crate::plugins::Prepared, Vec<usize>)>,
}

/// Teams whose rows and members [`gather`] reads with one query each (SQLite binds
/// parameters in time quadratic in their number, so not thousands).
const GATHER_CHUNK: usize = 200;

/// Reads the teams `team_ids` and the rules that apply to them on `as_of` (ISO date).
/// Errors: 404 for an unknown team; the database's.
pub async fn gather(
    conn: &mut AnyConnection,
    runtime: &Runtime,
    team_ids: &[i64],
    as_of: &str,
) -> Result<Gathered> {
    use std::collections::HashMap;
    let mut rules: HashMap<i64, Option<bindings::Resolved>> = HashMap::new();
    let mut subjects = Vec::with_capacity(team_ids.len());
    let mut groups: Vec<(crate::plugins::Prepared, Vec<usize>)> = Vec::new();
    // Teams and members are read GATHER_CHUNK teams per query, not four queries per team.
    for chunk in team_ids.chunks(GATHER_CHUNK) {
        let teams: HashMap<i64, super::Team> =
            super::find_many(conn, chunk).await?.into_iter().map(|t| (t.id, t)).collect();
        let mut members: HashMap<i64, Vec<super::members::Member>> = HashMap::new();
        for m in super::members::of_teams(conn, chunk).await? {
            members.entry(m.team_id).or_default().push(m);
        }
        for &team_id in chunk {
            // Cloned, not taken: a caller may name a team twice.
            let team =
                teams.get(&team_id).cloned().ok_or_else(|| Error::NotFound(format!("team {team_id}")))?;
            let rule = match rules.get(&team.unit_id) {
                Some(r) => r.clone(),
                None => {
                    let r = bindings::resolve(conn, team.unit_id, Kind::Composition, as_of).await?;
                    rules.insert(team.unit_id, r.clone());
                    r
                }
            };
            let input = as_plugin_team(team, members.get(&team_id).cloned().unwrap_or_default(), as_of);
            let index = subjects.len();
            if let Some(resolved) = &rule {
                let same = |p: &crate::plugins::Prepared| {
                    p.label == resolved.label()
                        && format!("{:?}", p.params) == format!("{:?}", resolved.params)
                };
                match groups.iter_mut().find(|(p, _)| same(p)) {
                    Some((_, members)) => members.push(index),
                    None => {
                        let call = crate::plugins::prepare(conn, runtime, &resolved.plugin, &resolved.params)
                            .await?;
                        groups.push((call, vec![index]));
                    }
                }
            }
            subjects.push(Subject { team_id, rule, input });
        }
    }
    Ok(Gathered { as_of: as_of.to_string(), subjects, groups })
}

/// Whether a composition rule applies on `as_of` (ISO date) to any of the teams `team_ids`:
/// their units' bindings ([`any_rule_in_units`]), without reading the teams' members as
/// [`gather`] does (a write to teams no rule judges needs nothing more: the roster import's
/// chunks spent 8% of their time gathering members no rule would see). Teams that do not
/// exist are left out. Errors: the database's.
pub async fn any_rule(conn: &mut AnyConnection, team_ids: &[i64], as_of: &str) -> Result<bool> {
    let mut units = std::collections::BTreeSet::new();
    for chunk in team_ids.chunks(GATHER_CHUNK) {
        let mut sql = crate::db::Sql::new("SELECT DISTINCT unit_id FROM teams WHERE id IN ");
        sql.push_tuples(1, chunk.len());
        for id in chunk {
            sql.arg(*id);
        }
        units.extend(sql.query_scalar::<i64>().fetch_all(&mut *conn).await?);
    }
    any_rule_in_units(conn, units, as_of, &mut Default::default()).await
}

/// Whether a composition rule is bound on `as_of` (ISO date) to any of `units` (the units a
/// team serves, by id). `known` remembers each unit's answer, for a caller that asks about
/// many units in turn (the roster import, chunk after chunk). Errors: the database's.
pub async fn any_rule_in_units(
    conn: &mut AnyConnection,
    units: impl IntoIterator<Item = i64>,
    as_of: &str,
    known: &mut std::collections::HashMap<i64, bool>,
) -> Result<bool> {
    for unit_id in units {
        let ruled = match known.get(&unit_id) {
            Some(ruled) => *ruled,
            None => {
                let ruled = bindings::resolve(conn, unit_id, Kind::Composition, as_of).await?.is_some();
                *known.entry(unit_id).or_insert(ruled)
            }
        };
        if ruled {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Gathered {
    /// Runs the rules, one call per group of teams sharing one; per subject (in order) its
    /// result, or why its rule could not run. Errors: 503 `busy` when the host is at capacity
    /// for plugin work (nothing ran, so there is nothing to judge by).
    pub async fn judge_each(
        &self,
        runtime: &Arc<Runtime>,
    ) -> Result<Vec<std::result::Result<CheckResult, crate::plugins::PluginFailure>>> {
        let mut results: Vec<std::result::Result<CheckResult, crate::plugins::PluginFailure>> = self
            .subjects
            .iter()
            .map(|s| {
                Ok(CheckResult {
                    team_id: s.team_id,
                    as_of: self.as_of.clone(),
                    plugin: s.rule.as_ref().map(AppliedPlugin::from),
                    findings: vec![],
                    fuel: 0,
                })
            })
            .collect();
        let date = day(&self.as_of);
        for (call, members) in &self.groups {
            let teams: Vec<h::Team> = members.iter().map(|&i| self.subjects[i].input.clone()).collect();
            let outcome = call
                .call(runtime, move |runtime, loaded, label, params| {
                    runtime.check_teams(loaded, label, &teams, date, params)
                })
                .await;
            match outcome {
                Ok((findings, usage)) => {
                    let share = usage.fuel / members.len().max(1) as u64;
                    for &i in members {
                        if let Ok(r) = &mut results[i] {
                            r.fuel = share;
                        }
                    }
                    // A plugin may only report on the teams it was given.
                    for f in findings {
                        let target = members.iter().find(|&&i| self.subjects[i].team_id == f.team_id);
                        if let Some(Ok(r)) = target.map(|&i| &mut results[i]) {
                            r.findings.push(finding(f));
                        }
                    }
                }
                Err(busy @ crate::plugins::PluginFailure::Busy { .. }) => return Err(busy.into()),
                Err(failure) => {
                    for &i in members {
                        results[i] = Err(failure.clone());
                    }
                }
            }
        }
        Ok(results)
    }

    /// [`judge_each`](Self::judge_each), failing with the first rule that could not run (502
    /// `plugin_failed`, 422 `plugin_refused`).
    pub async fn judge(&self, runtime: &Arc<Runtime>) -> Result<Vec<CheckResult>> {
        self.judge_each(runtime).await?.into_iter().map(|r| r.map_err(Error::from)).collect()
    }
}

/// The results of a gathering, or the error that stopped it: for pages that show a failed
/// check instead of failing. Call after giving the connection back.
pub async fn judge_gathered(gathered: Result<Gathered>, runtime: &Arc<Runtime>) -> Result<Vec<CheckResult>> {
    gathered?.judge(runtime).await
}

/// Runs the composition rule that applies to the team on `as_of`, holding a pooled connection
/// only while reading. Errors: 404, the plugin's (502, 422, 503).
pub async fn check(db: &Db, runtime: &Arc<Runtime>, team_id: i64, as_of: &str) -> Result<CheckResult> {
    check_many(db, runtime, &[team_id], as_of)
        .await?
        .pop()
        .ok_or_else(|| Error::Internal("a check gave no result".into()))
}

/// Checks many teams on `as_of` (a district's, for the home page and the dashboard): the teams
/// whose rule is the same plugin version with the same parameters go to it in one call, which
/// is several times cheaper than one call per team (see docs/BENCHMARKS.md). Results are in
/// the order of `team_ids`.
pub async fn check_many(
    db: &Db,
    runtime: &Arc<Runtime>,
    team_ids: &[i64],
    as_of: &str,
) -> Result<Vec<CheckResult>> {
    let gathered = {
        let mut conn = db.pool.acquire().await?;
        gather(&mut conn, runtime, team_ids, as_of).await?
    };
    gathered.judge(runtime).await
}

/// Teams per plugin call in [`preview`].
const PREVIEW_BATCH: usize = 256;

/// Runs `plugin` with the parameter values `given` (absent ones take their defaults) on
/// `team_ids`, whatever rule is bound there: "try it on this team" and the impact shown before
/// a binding is saved. Changes nothing. Returns each team's findings, in the order of
/// `team_ids`. Errors: `Validation` when `given` does not fit the plugin's declared
/// parameters; the plugin's failures as for any check.
pub async fn preview(
    db: &Db,
    runtime: &Arc<Runtime>,
    team_ids: &[i64],
    plugin: &crate::plugins::registry::PluginInfo,
    given: &serde_json::Map<String, serde_json::Value>,
    as_of: &str,
) -> Result<Vec<Vec<Finding>>> {
    let params = bindings::params_for(&plugin.params, given)?;
    let (inputs, call) = {
        let mut conn = db.pool.acquire().await?;
        let mut inputs = Vec::with_capacity(team_ids.len());
        for id in team_ids {
            let team = super::find(&mut conn, *id).await?;
            inputs.push(plugin_team(&mut conn, team, as_of).await?);
        }
        (inputs, crate::plugins::prepare(&mut conn, runtime, plugin, &params).await?)
    };
    let date = day(as_of);
    // A province's teams in calls of a few hundred, each well inside the input size limit.
    let mut findings = Vec::new();
    for chunk in inputs.chunks(PREVIEW_BATCH) {
        let chunk = chunk.to_vec();
        let (found, _) = call
            .call(runtime, move |runtime, loaded, label, params| {
                runtime.check_teams(loaded, label, &chunk, date, params)
            })
            .await?;
        findings.extend(found.into_iter().map(finding));
    }
    Ok(team_ids.iter().map(|id| findings.iter().filter(|f| f.team_id == *id).cloned().collect()).collect())
}

fn finding(f: h::Finding) -> Finding {
    Finding {
        team_id: f.team_id,
        severity: f.severity.as_str().into(),
        code: f.code,
        message: f.message,
        member_ids: f.member_ids,
    }
}
