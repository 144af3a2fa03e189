//! Composition checks: the plugin bound to a team's unit (or the nearest ancestor) says what
//! is wrong with the team. Writes that would introduce a new error finding are refused unless
//! the caller gives a reason, which goes into the audit trail.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Datelike;
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::members::{MemberFilter, list as list_members};
use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result};
use crate::plugins::{Kind, Runtime, bindings, wit};
use crate::vocab::{Affiliation, Gender, Position, TeamStatus};

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

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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
    fn error_codes(&self) -> BTreeSet<String> {
        self.findings.iter().filter(|f| f.severity == "error").map(|f| f.code.clone()).collect()
    }
}

fn wit_date(iso: &str) -> wit::Date {
    let d = crate::dates::parse(iso).unwrap_or_else(crate::dates::today);
    wit::Date { year: d.year() as u16, month: d.month() as u8, day: d.day() as u8 }
}

fn position(p: Position) -> wit::Position {
    match p {
        Position::Leader => wit::Position::Leader,
        Position::Deputy => wit::Position::Deputy,
        Position::Member => wit::Position::Member,
    }
}

fn affiliation(a: Affiliation) -> wit::Affiliation {
    use wit::Affiliation as W;
    match a {
        Affiliation::CommuneLeadership => W::CommuneLeadership,
        Affiliation::CommunePolice => W::CommunePolice,
        Affiliation::CulturalSocialOfficer => W::CulturalSocialOfficer,
        Affiliation::YouthUnion => W::YouthUnion,
        Affiliation::WomensUnion => W::WomensUnion,
        Affiliation::FarmersUnion => W::FarmersUnion,
        Affiliation::VeteransAssociation => W::VeteransAssociation,
        Affiliation::FatherlandFront => W::FatherlandFront,
        Affiliation::VillageHead => W::VillageHead,
        Affiliation::TelecomPostal => W::TelecomPostal,
        Affiliation::Teacher => W::Teacher,
        Affiliation::Volunteer => W::Volunteer,
        Affiliation::Other => W::Other,
    }
}

/// The team as the plugin interface describes it, on `as_of`.
pub async fn wit_team(conn: &mut AnyConnection, team: super::Team, as_of: &str) -> Result<wit::Team> {
    let filter = MemberFilter { team: Some(team.id), include_left: true, ..Default::default() };
    let (members, _) = list_members(conn, &filter, i64::MAX, 0).await?;
    let year = i64::from(wit_date(as_of).year);
    Ok(wit::Team {
        id: team.id,
        name: team.name,
        unit_code: team.unit_code,
        unit_name: team.unit_name,
        kind: if team.kind == crate::units::Level::Village {
            wit::UnitLevel::Village
        } else {
            wit::UnitLevel::Commune
        },
        status: match team.status {
            TeamStatus::Active => wit::TeamStatus::Active,
            TeamStatus::Suspended => wit::TeamStatus::Suspended,
            TeamStatus::Dissolved => wit::TeamStatus::Dissolved,
        },
        decision_date: wit_date(&team.decision_date),
        members: members
            .into_iter()
            .map(|m| wit::Member {
                id: m.id,
                full_name: m.full_name,
                gender: match m.gender {
                    Gender::Male => wit::Gender::Male,
                    Gender::Female => wit::Gender::Female,
                    Gender::Other => wit::Gender::Other,
                },
                // Age in whole years is all the plugin needs; the year of birth stays home.
                age: m.birth_year.map(|b| (year - b).max(0) as u32),
                position: position(m.position),
                affiliation: affiliation(m.affiliation),
                skills: m.skills,
                joined_on: wit_date(&m.joined_on),
                left_on: m.left_on.as_deref().map(wit_date),
            })
            .collect(),
    })
}

/// Runs the composition rule that applies to the team on `as_of`.
pub async fn check(
    conn: &mut AnyConnection,
    runtime: &Arc<Runtime>,
    team_id: i64,
    as_of: &str,
) -> Result<CheckResult> {
    check_many(conn, runtime, &[team_id], as_of)
        .await?
        .pop()
        .ok_or_else(|| Error::Internal("a check gave no result".into()))
}

/// Checks many teams on `as_of` (a district's, for the home page and the dashboard): the teams
/// whose rule is the same plugin version with the same parameters go to it in one call, which
/// is several times cheaper than one call per team (see docs/BENCHMARKS.md). Results are in
/// the order of `team_ids`.
pub async fn check_many(
    conn: &mut AnyConnection,
    runtime: &Arc<Runtime>,
    team_ids: &[i64],
    as_of: &str,
) -> Result<Vec<CheckResult>> {
    use std::collections::HashMap;
    let mut rules: HashMap<i64, Option<bindings::Resolved>> = HashMap::new();
    // (sha, parameters) -> the rule and the teams it judges.
    let mut groups: Vec<(bindings::Resolved, Vec<wit::Team>)> = Vec::new();
    let mut results: HashMap<i64, CheckResult> = HashMap::new();
    for &team_id in team_ids {
        let team = super::find(conn, team_id).await?;
        let rule = match rules.get(&team.unit_id) {
            Some(r) => r.clone(),
            None => {
                let r = bindings::resolve(conn, team.unit_id, Kind::Composition, as_of).await?;
                rules.insert(team.unit_id, r.clone());
                r
            }
        };
        let Some(resolved) = rule else {
            results.insert(
                team_id,
                CheckResult { team_id, as_of: as_of.into(), plugin: None, findings: vec![], fuel: 0 },
            );
            continue;
        };
        let input = wit_team(conn, team, as_of).await?;
        let same = |r: &bindings::Resolved| {
            r.plugin.sha256 == resolved.plugin.sha256
                && format!("{:?}", r.params) == format!("{:?}", resolved.params)
        };
        match groups.iter_mut().find(|(r, _)| same(r)) {
            Some((_, teams)) => teams.push(input),
            None => groups.push((resolved, vec![input])),
        }
    }
    let date = wit_date(as_of);
    for (resolved, teams) in groups {
        let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
        let (findings, usage) = crate::plugins::call(
            conn,
            runtime,
            &resolved.plugin,
            &resolved.params,
            move |runtime, loaded, label, params| runtime.check_teams(loaded, label, &teams, date, params),
        )
        .await?;
        let plugin = AppliedPlugin::from(&resolved);
        let share = usage.fuel / ids.len().max(1) as u64;
        for id in &ids {
            results.insert(
                *id,
                CheckResult {
                    team_id: *id,
                    as_of: as_of.into(),
                    plugin: Some(plugin.clone()),
                    findings: vec![],
                    fuel: share,
                },
            );
        }
        // A plugin may only report on the teams it was given.
        for f in findings {
            if let Some(r) = results.get_mut(&f.team_id).filter(|r| ids.contains(&r.team_id)) {
                r.findings.push(finding(f));
            }
        }
    }
    Ok(team_ids.iter().filter_map(|id| results.remove(id)).collect())
}

/// Runs `plugin` (with its default parameters) on one team, whatever rule is bound there: the
/// "try it on this team" of the plugin administration page. Changes nothing.
pub async fn preview(
    conn: &mut AnyConnection,
    runtime: &Arc<Runtime>,
    team_id: i64,
    plugin: &crate::plugins::registry::PluginInfo,
    as_of: &str,
) -> Result<Vec<Finding>> {
    let params = bindings::params_for(&plugin.params, &Default::default())?;
    let team = super::find(conn, team_id).await?;
    let input = wit_team(conn, team, as_of).await?;
    let date = wit_date(as_of);
    let (findings, _) =
        crate::plugins::call(conn, runtime, plugin, &params, move |runtime, loaded, label, params| {
            runtime.check_teams(loaded, label, std::slice::from_ref(&input), date, params)
        })
        .await?;
    Ok(findings.into_iter().filter(|f| f.team_id == team_id).map(finding).collect())
}

fn finding(f: wit::Finding) -> Finding {
    Finding {
        team_id: f.team_id,
        severity: match f.severity {
            wit::Severity::Error => "error",
            wit::Severity::Warning => "warning",
            wit::Severity::Info => "info",
        }
        .into(),
        code: f.code,
        message: f.message,
        member_ids: f.member_ids,
    }
}

/// Guards a write to a team: run [`before`](Guard::before) before it and
/// [`after`](Guard::after) after it, in the same transaction. Every path that writes teams or
/// members (API, web pages, roster import) goes through it, so the rule is judged the same way.
pub struct Guard {
    team_id: i64,
    before: BTreeSet<String>,
}

/// What a guarded write did to its team's composition: the error findings it introduced.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub team_id: i64,
    /// The rule that judged, None when none applies.
    pub plugin: Option<AppliedPlugin>,
    /// Error findings the team did not have before the write.
    pub new_errors: Vec<Finding>,
}

impl Guard {
    pub async fn before(conn: &mut AnyConnection, runtime: &Arc<Runtime>, team_id: i64) -> Result<Guard> {
        let today = crate::dates::today_iso();
        Ok(Guard { team_id, before: check(conn, runtime, team_id, &today).await?.error_codes() })
    }

    /// A guard for a team created by the write itself: every error finding is new.
    pub fn new_team(team_id: i64) -> Guard {
        Guard { team_id, before: BTreeSet::new() }
    }

    /// Runs the rule after the write and keeps the error findings it introduced.
    pub async fn verdict(self, conn: &mut AnyConnection, runtime: &Arc<Runtime>) -> Result<Verdict> {
        let today = crate::dates::today_iso();
        let result = check(conn, runtime, self.team_id, &today).await?;
        let new_errors = result
            .findings
            .into_iter()
            .filter(|f| f.severity == "error" && !self.before.contains(&f.code))
            .collect();
        Ok(Verdict { team_id: self.team_id, plugin: result.plugin, new_errors })
    }

    /// Refuses (422 `composition_failed`) when the write introduced error findings, unless
    /// `override_reason` is given; an override is recorded in the audit trail.
    pub async fn after(
        self,
        conn: &mut AnyConnection,
        runtime: &Arc<Runtime>,
        actor: &Actor,
        override_reason: Option<&str>,
    ) -> Result<()> {
        self.verdict(conn, runtime).await?.settle(conn, actor, override_reason).await
    }
}

impl Verdict {
    /// The override reason given, trimmed, if not blank.
    pub fn reason(override_reason: Option<&str>) -> Option<&str> {
        override_reason.map(str::trim).filter(|r| !r.is_empty())
    }

    /// Ok when the write introduced no error finding. Otherwise, with a reason, records the
    /// override (the findings and the reason) in the audit trail; without one, the 422
    /// `composition_failed` error naming the rule and its findings.
    pub async fn settle(
        self,
        conn: &mut AnyConnection,
        actor: &Actor,
        override_reason: Option<&str>,
    ) -> Result<()> {
        if self.new_errors.is_empty() {
            return Ok(());
        }
        let team = super::find(conn, self.team_id).await?;
        match Self::reason(override_reason) {
            Some(reason) => {
                let mut change =
                    Change::new("override", "team", self.team_id, Some(team.unit_id)).after(&self.new_errors);
                change.reason = Some(reason.to_string());
                audit::record(conn, actor, change).await
            }
            None => Err(Error::Composition {
                message: format!(
                    "the change breaks the composition rule {}: {} (give override_reason to proceed anyway)",
                    self.plugin.map(|p| format!("{}@{}", p.plugin_id, p.version)).unwrap_or_default(),
                    self.new_errors.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" ")
                ),
                findings: self
                    .new_errors
                    .iter()
                    .map(|f| crate::error::FieldError::new(f.code.clone(), f.message.clone()))
                    .collect(),
            }),
        }
    }
}
