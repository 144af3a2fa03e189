//! The composition rule's input and output as plain serde data: what an Extism plugin receives
//! as JSON and a Rhai script as dynamic values, with conversions to and from the SDK's types
//! (what the rule compiled natively and inside sohoa's components takes).
//!
//! Shapes: enums are the WIT names as strings (`"leader"`, `"youth-union"`, `"village"`),
//! dates are `yyyymmdd` integers (20220615), so a script compares them as numbers.

use serde::{Deserialize, Serialize};
use sohoa_sdk as sdk;

/// A team with every member it has had, as the rule receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
    /// "commune" or "village".
    pub kind: String,
    /// "active", "suspended" or "dissolved".
    pub status: String,
    pub decision_date: i64,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub id: i64,
    pub full_name: String,
    /// "male", "female" or "other".
    pub gender: String,
    /// Whole years on the as-of date.
    pub age: Option<i64>,
    /// "leader", "deputy" or "member".
    pub position: String,
    /// The WIT affiliation name, e.g. "commune-leadership".
    pub affiliation: String,
    pub skills: Vec<String>,
    pub joined_on: i64,
    pub left_on: Option<i64>,
}

/// An integer parameter (the Plan 77 rule takes only integers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub value: i64,
}

/// One call's input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub teams: Vec<Team>,
    pub as_of: i64,
    pub params: Vec<Param>,
}

/// One finding; `severity` is "error", "warning" or "info".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    pub team_id: i64,
    pub severity: String,
    pub code: String,
    pub message: String,
    pub member_ids: Vec<i64>,
}

/// `yyyymmdd` as the SDK's date.
pub fn date(d: i64) -> sdk::Date {
    sdk::Date::new((d / 10_000) as u16, (d / 100 % 100) as u8, (d % 100) as u8)
}

/// The SDK's date as `yyyymmdd`.
pub fn yyyymmdd(d: &sdk::Date) -> i64 {
    i64::from(d.year) * 10_000 + i64::from(d.month) * 100 + i64::from(d.day)
}

/// Panics on a name that is not one of the WIT vocabulary's (the benchmark's own data).
pub fn to_sdk(team: &Team) -> sdk::Team {
    use sdk::{Affiliation as A, Gender as G, Position as P, TeamStatus as S, UnitLevel as L};
    let member = |m: &Member| sdk::Member {
        id: m.id,
        full_name: m.full_name.clone(),
        gender: match m.gender.as_str() {
            "male" => G::Male,
            "female" => G::Female,
            _ => G::Other,
        },
        age: m.age.map(|a| a as u32),
        position: match m.position.as_str() {
            "leader" => P::Leader,
            "deputy" => P::Deputy,
            _ => P::Member,
        },
        affiliation: match m.affiliation.as_str() {
            "commune-leadership" => A::CommuneLeadership,
            "commune-police" => A::CommunePolice,
            "cultural-social-officer" => A::CulturalSocialOfficer,
            "youth-union" => A::YouthUnion,
            "womens-union" => A::WomensUnion,
            "farmers-union" => A::FarmersUnion,
            "veterans-association" => A::VeteransAssociation,
            "fatherland-front" => A::FatherlandFront,
            "village-head" => A::VillageHead,
            "telecom-postal" => A::TelecomPostal,
            "teacher" => A::Teacher,
            "volunteer" => A::Volunteer,
            "other" => A::Other,
            other => panic!("not an affiliation: {other}"),
        },
        skills: m.skills.clone(),
        joined_on: date(m.joined_on),
        left_on: m.left_on.map(date),
    };
    sdk::Team {
        id: team.id,
        name: team.name.clone(),
        unit_code: team.unit_code.clone(),
        unit_name: team.unit_name.clone(),
        kind: match team.kind.as_str() {
            "village" => L::Village,
            "district" => L::District,
            "province" => L::Province,
            _ => L::Commune,
        },
        status: match team.status.as_str() {
            "suspended" => S::Suspended,
            "dissolved" => S::Dissolved,
            _ => S::Active,
        },
        decision_date: date(team.decision_date),
        members: team.members.iter().map(member).collect(),
    }
}

pub fn to_sdk_params(params: &[Param]) -> Vec<sdk::Param> {
    params
        .iter()
        .map(|p| sdk::Param { name: p.name.clone(), value: sdk::ParamValue::Integer(p.value) })
        .collect()
}

pub fn from_sdk(f: &sdk::Finding) -> Finding {
    Finding {
        team_id: f.team_id,
        severity: match f.severity {
            sdk::Severity::Error => "error",
            sdk::Severity::Warning => "warning",
            sdk::Severity::Info => "info",
        }
        .into(),
        code: f.code.clone(),
        message: f.message.clone(),
        member_ids: f.member_ids.clone(),
    }
}
