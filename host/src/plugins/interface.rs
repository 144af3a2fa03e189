//! The plugin interface versions this host runs, side by side.
//!
//! Each released version of `sohoa:plugin` is a frozen WIT folder (`sdk/wit/since_vX.Y.Z/`)
//! and a module here (`since_vX_Y_Z`) with its own `bindgen!` and the conversions between its
//! generated types and the host's own ([`super::types`]). Nothing outside these modules names a
//! generated type. A component is run through the module of the version it was built for
//! ([`Pre`]); a hook its version lacks is reported as unsupported ([`Hook::since`]) before
//! anything is instantiated.
//!
//! Adding a version (docs/PLUGIN-INTERFACE.md): copy the newest WIT folder to the new one and
//! change it there, add a module and an arm to [`Pre`] and [`Instance`], convert what is new.
//! A released folder is never edited: installed plugins were built against it byte for byte.
//! This follows Zed's extension host (`wasm_host/wit/since_v*.rs`, one `bindgen!` per version
//! and conversions into the latest types).

use chrono::NaiveDate;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use super::runtime::CallState;
use super::types::*;

/// Conversions of the records every version so far shares, and the calls whose shape has not
/// changed (the linker, `check-teams`), written once and expanded in each version's module,
/// where `w` names that version's generated `types`. A version that changes one of these
/// writes its own instead.
macro_rules! shared_conversions {
    () => {
        use super::super::runtime::{CallState, LogLevel};
        use super::super::types as h;
        use chrono::Datelike as _;

        impl w::Host for CallState {}

        impl self::sohoa::plugin::host::Host for CallState {
            fn log(&mut self, level: self::sohoa::plugin::host::LogLevel, message: String) {
                use self::sohoa::plugin::host::LogLevel as L;
                let level = match level {
                    L::Debug => LogLevel::Debug,
                    L::Info => LogLevel::Info,
                    L::Warn => LogLevel::Warn,
                    L::Error => LogLevel::Error,
                };
                self.log_line(level, message);
            }
        }

        pub(super) fn linker(
            engine: &wasmtime::Engine,
        ) -> wasmtime::Result<wasmtime::component::Linker<CallState>> {
            let mut linker = wasmtime::component::Linker::new(engine);
            Plugin::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(&mut linker, |s| s)?;
            Ok(linker)
        }

        pub(super) fn check_teams(
            p: &Plugin,
            store: &mut wasmtime::Store<CallState>,
            teams: &[h::Team],
            as_of: chrono::NaiveDate,
            given: &[h::Param],
        ) -> super::Answer<Vec<h::Finding>> {
            let teams: Vec<w::Team> = teams.iter().map(team).collect();
            let answer =
                p.sohoa_plugin_rules().call_check_teams(store, &teams, date(as_of), &params(given))?;
            Ok(answer.map(|f| f.into_iter().map(finding).collect()).map_err(error))
        }

        pub(super) fn date(d: chrono::NaiveDate) -> w::Date {
            // Years outside u16 never reach a plugin: dates are checked to 2000-2100 (periods)
            // or come from the store.
            w::Date {
                year: d.year().clamp(0, u16::MAX as i32) as u16,
                month: d.month() as u8,
                day: d.day() as u8,
            }
        }

        fn level(l: h::Level) -> w::UnitLevel {
            match l {
                h::Level::Province => w::UnitLevel::Province,
                h::Level::District => w::UnitLevel::District,
                h::Level::Commune => w::UnitLevel::Commune,
                h::Level::Village => w::UnitLevel::Village,
            }
        }

        #[allow(dead_code)]
        fn level_from(l: w::UnitLevel) -> h::Level {
            match l {
                w::UnitLevel::Province => h::Level::Province,
                w::UnitLevel::District => h::Level::District,
                w::UnitLevel::Commune => h::Level::Commune,
                w::UnitLevel::Village => h::Level::Village,
            }
        }

        fn member(m: &h::Member) -> w::Member {
            use h::Affiliation as A;
            use w::Affiliation as W;
            w::Member {
                id: m.id,
                full_name: m.full_name.clone(),
                gender: match m.gender {
                    h::Gender::Male => w::Gender::Male,
                    h::Gender::Female => w::Gender::Female,
                    h::Gender::Other => w::Gender::Other,
                },
                age: m.age,
                position: match m.position {
                    h::Position::Leader => w::Position::Leader,
                    h::Position::Deputy => w::Position::Deputy,
                    h::Position::Member => w::Position::Member,
                },
                affiliation: match m.affiliation {
                    A::CommuneLeadership => W::CommuneLeadership,
                    A::CommunePolice => W::CommunePolice,
                    A::CulturalSocialOfficer => W::CulturalSocialOfficer,
                    A::YouthUnion => W::YouthUnion,
                    A::WomensUnion => W::WomensUnion,
                    A::FarmersUnion => W::FarmersUnion,
                    A::VeteransAssociation => W::VeteransAssociation,
                    A::FatherlandFront => W::FatherlandFront,
                    A::VillageHead => W::VillageHead,
                    A::TelecomPostal => W::TelecomPostal,
                    A::Teacher => W::Teacher,
                    A::Volunteer => W::Volunteer,
                    A::Other => W::Other,
                },
                skills: m.skills.clone(),
                joined_on: date(m.joined_on),
                left_on: m.left_on.map(date),
            }
        }

        pub(super) fn team(t: &h::Team) -> w::Team {
            w::Team {
                id: t.id,
                name: t.name.clone(),
                unit_code: t.unit_code.clone(),
                unit_name: t.unit_name.clone(),
                kind: level(t.kind),
                status: match t.status {
                    h::TeamStatus::Active => w::TeamStatus::Active,
                    h::TeamStatus::Suspended => w::TeamStatus::Suspended,
                    h::TeamStatus::Dissolved => w::TeamStatus::Dissolved,
                },
                decision_date: date(t.decision_date),
                members: t.members.iter().map(member).collect(),
            }
        }

        fn severity(s: w::Severity) -> h::Severity {
            match s {
                w::Severity::Error => h::Severity::Error,
                w::Severity::Warning => h::Severity::Warning,
                w::Severity::Info => h::Severity::Info,
            }
        }

        pub(super) fn finding(f: w::Finding) -> h::Finding {
            h::Finding {
                team_id: f.team_id,
                severity: severity(f.severity),
                code: f.code,
                message: f.message,
                member_ids: f.member_ids,
            }
        }

        fn param_value(v: &h::ParamValue) -> w::ParamValue {
            match v {
                h::ParamValue::Integer(i) => w::ParamValue::Integer(*i),
                h::ParamValue::Number(n) => w::ParamValue::Number(*n),
                h::ParamValue::Text(t) => w::ParamValue::Text(t.clone()),
                h::ParamValue::Flag(b) => w::ParamValue::Flag(*b),
            }
        }

        fn param_value_from(v: w::ParamValue) -> h::ParamValue {
            match v {
                w::ParamValue::Integer(i) => h::ParamValue::Integer(i),
                w::ParamValue::Number(n) => h::ParamValue::Number(n),
                w::ParamValue::Text(t) => h::ParamValue::Text(t),
                w::ParamValue::Flag(b) => h::ParamValue::Flag(b),
            }
        }

        pub(super) fn params(p: &[h::Param]) -> Vec<w::Param> {
            p.iter().map(|p| w::Param { name: p.name.clone(), value: param_value(&p.value) }).collect()
        }

        fn param_decl(p: w::ParamSpec) -> h::ParamDecl {
            h::ParamDecl {
                name: p.name,
                description: p.description,
                default_value: param_value_from(p.default_value),
            }
        }

        fn kind(k: w::RuleKind) -> h::Kind {
            match k {
                w::RuleKind::Composition => h::Kind::Composition,
                w::RuleKind::Report => h::Kind::Report,
                w::RuleKind::Commendation => h::Kind::Commendation,
            }
        }

        fn values(v: &[h::IndicatorValue]) -> Vec<w::IndicatorValue> {
            v.iter().map(|v| w::IndicatorValue { code: v.code.clone(), value: v.value }).collect()
        }

        pub(super) fn document(d: w::Document) -> h::Document {
            let block = |b: w::Block| match b {
                w::Block::Heading(t) => h::Block::Heading(t),
                w::Block::Paragraph(t) => h::Block::Paragraph(t),
                w::Block::Table(t) => h::Block::Table(h::Table { header: t.header, rows: t.rows }),
                w::Block::Signature(s) => {
                    h::Block::Signature(h::Signature { authority: s.authority, title: s.title, name: s.name })
                }
                w::Block::Recipients(r) => h::Block::Recipients(r),
            };
            h::Document {
                issuer: d.issuer,
                number: d.number,
                title: d.title,
                subject: d.subject,
                blocks: d.blocks.into_iter().map(block).collect(),
            }
        }

        pub(super) fn candidates(c: &[h::Candidate]) -> Vec<w::Candidate> {
            c.iter()
                .map(|c| w::Candidate {
                    id: c.id,
                    kind: match c.kind {
                        h::CandidateKind::Team => w::CandidateKind::Team,
                        h::CandidateKind::Person => w::CandidateKind::Person,
                    },
                    name: c.name.clone(),
                    unit_code: c.unit_code.clone(),
                    values: values(&c.values),
                })
                .collect()
        }

        pub(super) fn assessment(a: w::Assessment) -> h::Assessment {
            h::Assessment { candidate_id: a.candidate_id, score: a.score, award: a.award, reasons: a.reasons }
        }

        pub(super) fn error(e: w::PluginError) -> h::PluginError {
            match e {
                w::PluginError::InvalidParams(m) => h::PluginError::InvalidParams(m),
                w::PluginError::Unsupported(m) => h::PluginError::Unsupported(m),
                w::PluginError::Failed(m) => h::PluginError::Failed(m),
            }
        }
    };
}

mod since_v0_1_0;
mod since_v0_2_0;

/// The interface versions this host runs, oldest first.
pub const SUPPORTED: &[&str] = &[since_v0_1_0::VERSION, since_v0_2_0::VERSION];

/// The version the SDK builds and `sohoa plugin new` starts from.
pub const LATEST: &str = since_v0_2_0::VERSION;

/// The calls a plugin exports, with the version that introduced each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Describe,
    CheckTeams,
    RenderReport,
    ValidateSubmission,
    Assess,
}

impl Hook {
    /// The first interface version with this hook.
    pub fn since(self) -> &'static str {
        match self {
            Hook::ValidateSubmission => since_v0_2_0::VERSION,
            _ => since_v0_1_0::VERSION,
        }
    }

    /// What it does, for messages: "submission validation".
    pub fn label(self) -> &'static str {
        match self {
            Hook::Describe => "description",
            Hook::CheckTeams => "composition checks",
            Hook::RenderReport => "report templates",
            Hook::ValidateSubmission => "submission validation",
            Hook::Assess => "commendation criteria",
        }
    }
}

/// One linker per version: each gives its version's `host` interface (logging) and nothing
/// else.
pub struct Linkers {
    v0_1_0: Linker<CallState>,
    v0_2_0: Linker<CallState>,
}

impl Linkers {
    /// Errors: the engine refused a definition (a bug in the host).
    pub fn new(engine: &Engine) -> wasmtime::Result<Self> {
        Ok(Linkers { v0_1_0: since_v0_1_0::linker(engine)?, v0_2_0: since_v0_2_0::linker(engine)? })
    }

    /// Pre-instantiates `component`, built for interface `version` (one of [`SUPPORTED`]).
    /// Errors: the component does not match that version's world.
    pub fn prepare(&self, component: &Component, version: &str) -> wasmtime::Result<Pre> {
        match version {
            since_v0_1_0::VERSION => {
                let pre = self.v0_1_0.instantiate_pre(component)?;
                Ok(Pre::V0_1_0(since_v0_1_0::PluginPre::new(pre)?))
            }
            since_v0_2_0::VERSION => {
                let pre = self.v0_2_0.instantiate_pre(component)?;
                Ok(Pre::V0_2_0(since_v0_2_0::PluginPre::new(pre)?))
            }
            other => Err(wasmtime::format_err!("interface {other} is not supported")),
        }
    }
}

/// A component ready to instantiate, in the version it was built for.
pub enum Pre {
    V0_1_0(since_v0_1_0::PluginPre<CallState>),
    V0_2_0(since_v0_2_0::PluginPre<CallState>),
}

/// A fresh instance of a component, for one call.
pub enum Instance {
    V0_1_0(since_v0_1_0::Plugin),
    V0_2_0(since_v0_2_0::Plugin),
}

/// A call's outcome: the trap (outer) or the plugin's own refusal (inner).
pub type Answer<T> = wasmtime::Result<Result<T, PluginError>>;

impl Pre {
    /// The interface version, e.g. "0.1.0".
    pub fn version(&self) -> &'static str {
        match self {
            Pre::V0_1_0(_) => since_v0_1_0::VERSION,
            Pre::V0_2_0(_) => since_v0_2_0::VERSION,
        }
    }

    /// Whether this version has `hook`.
    pub fn offers(&self, hook: Hook) -> bool {
        semver::Version::parse(self.version()).expect("a version")
            >= semver::Version::parse(hook.since()).expect("a version")
    }

    pub fn instantiate(&self, store: &mut Store<CallState>) -> wasmtime::Result<Instance> {
        Ok(match self {
            Pre::V0_1_0(pre) => Instance::V0_1_0(pre.instantiate(store)?),
            Pre::V0_2_0(pre) => Instance::V0_2_0(pre.instantiate(store)?),
        })
    }
}

impl Instance {
    pub fn describe(&self, store: &mut Store<CallState>) -> wasmtime::Result<Metadata> {
        match self {
            Instance::V0_1_0(p) => since_v0_1_0::describe(p, store),
            Instance::V0_2_0(p) => since_v0_2_0::describe(p, store),
        }
    }

    pub fn check_teams(
        &self,
        store: &mut Store<CallState>,
        teams: &[Team],
        as_of: NaiveDate,
        params: &[Param],
    ) -> Answer<Vec<Finding>> {
        match self {
            Instance::V0_1_0(p) => since_v0_1_0::check_teams(p, store, teams, as_of, params),
            Instance::V0_2_0(p) => since_v0_2_0::check_teams(p, store, teams, as_of, params),
        }
    }

    pub fn render_report(
        &self,
        store: &mut Store<CallState>,
        input: &ReportInput,
        params: &[Param],
    ) -> Answer<Document> {
        match self {
            Instance::V0_1_0(p) => since_v0_1_0::render_report(p, store, input, params),
            Instance::V0_2_0(p) => since_v0_2_0::render_report(p, store, input, params),
        }
    }

    /// Interface 0.2.0 and later; an older plugin answers "unsupported" (the runtime checks
    /// [`Pre::offers`] first, so this is never reached for one).
    pub fn validate_submission(
        &self,
        store: &mut Store<CallState>,
        submission: &Submission,
        params: &[Param],
    ) -> Answer<Vec<SubmissionFinding>> {
        match self {
            Instance::V0_1_0(_) => Ok(Err(PluginError::Unsupported(Hook::ValidateSubmission.label().into()))),
            Instance::V0_2_0(p) => since_v0_2_0::validate_submission(p, store, submission, params),
        }
    }

    pub fn assess(
        &self,
        store: &mut Store<CallState>,
        candidates: &[Candidate],
        period: &Period,
        params: &[Param],
    ) -> Answer<Vec<Assessment>> {
        match self {
            Instance::V0_1_0(p) => since_v0_1_0::assess(p, store, candidates, period, params),
            Instance::V0_2_0(p) => since_v0_2_0::assess(p, store, candidates, period, params),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_name_the_version_that_added_them() {
        assert_eq!(Hook::ValidateSubmission.since(), "0.2.0");
        assert_eq!(Hook::CheckTeams.since(), "0.1.0");
        assert_eq!(SUPPORTED, &["0.1.0", "0.2.0"]);
    }
}
