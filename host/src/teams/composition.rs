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
use crate::plugins::{Kind, Runtime, bindings, registry, wit};
use crate::vocab::{Affiliation, Gender, Position, TeamStatus};

/// The plugin version a check ran with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedPlugin {
    pub plugin_id: String,
    pub version: String,
    pub name: String,
    /// The unit whose binding applied (the team's own, or an ancestor's).
    pub bound_at: String,
    pub effective_from: String,
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
    /// Instruction units the plugin used.
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
    let team = super::find(conn, team_id).await?;
    let Some(resolved) = bindings::resolve(conn, team.unit_id, Kind::Composition, as_of).await? else {
        return Ok(CheckResult { team_id, as_of: as_of.into(), plugin: None, findings: vec![], fuel: 0 });
    };
    let input = wit_team(conn, team, as_of).await?;
    let sha = resolved.plugin.sha256.clone();
    let bytes = match runtime.get(&sha) {
        Some(_) => Vec::new(),
        None => registry::component(conn, &sha).await?,
    };
    let label = resolved.label();
    let params = resolved.params.clone();
    let date = wit_date(as_of);
    let (findings, usage) = runtime
        .run(move |runtime| {
            let loaded = match runtime.get(&sha) {
                Some(l) => l,
                None => runtime.load(&sha, &bytes)?,
            };
            runtime.check_teams(&loaded, &label, std::slice::from_ref(&input), date, &params)
        })
        .await?;
    let findings = findings
        .into_iter()
        .map(|f| Finding {
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
        })
        .collect();
    let plugin = AppliedPlugin {
        plugin_id: resolved.plugin.plugin_id,
        version: resolved.plugin.version,
        name: resolved.plugin.name,
        bound_at: resolved.binding.unit_code,
        effective_from: resolved.binding.effective_from,
    };
    Ok(CheckResult { team_id, as_of: as_of.into(), plugin: Some(plugin), findings, fuel: usage.fuel })
}

/// Guards a write to a team: run [`before`](Guard::before) before it and
/// [`after`](Guard::after) after it, in the same transaction.
pub struct Guard {
    team_id: i64,
    before: BTreeSet<String>,
}

impl Guard {
    pub async fn before(conn: &mut AnyConnection, runtime: &Arc<Runtime>, team_id: i64) -> Result<Guard> {
        let today = crate::dates::iso(crate::dates::today());
        Ok(Guard { team_id, before: check(conn, runtime, team_id, &today).await?.error_codes() })
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
        let today = crate::dates::iso(crate::dates::today());
        let result = check(conn, runtime, self.team_id, &today).await?;
        let new: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| f.severity == "error" && !self.before.contains(&f.code))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let team = super::find(conn, self.team_id).await?;
        match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(reason) => {
                let mut change =
                    Change::new("override", "team", self.team_id, Some(team.unit_id)).after(&new);
                change.reason = Some(reason.to_string());
                audit::record(conn, actor, change).await
            }
            None => Err(Error::Composition {
                message: format!(
                    "the change breaks the composition rule {}: {} (give override_reason to proceed anyway)",
                    result.plugin.map(|p| format!("{}@{}", p.plugin_id, p.version)).unwrap_or_default(),
                    new.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" ")
                ),
                findings: new
                    .iter()
                    .map(|f| crate::error::FieldError::new(f.code.clone(), f.message.clone()))
                    .collect(),
            }),
        }
    }
}
