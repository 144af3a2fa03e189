//! # sohoa-sdk
//!
//! Everything a locality needs to write its rules for sohoa as a sandboxed WebAssembly plugin.
//! Implement [`Plugin`] (only the hooks your rules need; the others answer "unsupported"),
//! register it with [`register_plugin!`], and build with `sohoa plugin build`. The interface
//! is `sdk/wit/plugin.wit` (`sohoa:plugin@0.1.0`); the host refuses components built against
//! a version it does not support.
//!
//! ```ignore
//! use sohoa_sdk::*;
//!
//! struct MyRules;
//!
//! impl Plugin for MyRules {
//!     fn metadata() -> Metadata { /* id, version, kinds, params */ }
//!     fn check_teams(teams: Vec<Team>, as_of: Date, params: Vec<Param>) -> Result<Vec<Finding>, PluginError> {
//!         /* one finding per problem, with a stable code and a Vietnamese message */
//!     }
//! }
//!
//! register_plugin!(MyRules);
//! ```
//!
//! Plugins are plain Rust: unit-test them natively by calling your `Plugin` functions, and run
//! fixture files against the built component with `sohoa plugin test`.

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
        default_bindings_module: "sohoa_sdk::bindings",
    });
}

pub mod document;
pub mod text;

pub use bindings::sohoa::plugin::host::LogLevel;
pub use bindings::sohoa::plugin::types::{
    Affiliation, Assessment, Block, Candidate, CandidateKind, Date, Document, Finding, Gender,
    IndicatorValue, Member, Metadata, Param, ParamSpec, ParamValue, PluginError, Position, ReportInput,
    RuleKind, Severity, Signature, Table, Team, TeamStatus, UnitLevel, UnitRow,
};

/// The version of the plugin interface this SDK builds against.
pub const INTERFACE_VERSION: &str = "0.1.0";

/// A locality's rules. Implement what your plugin offers and list it in `metadata().kinds`.
pub trait Plugin {
    /// Identity, version, the kinds of rule offered, indicators read and parameters accepted.
    fn metadata() -> Metadata;

    /// Team composition check: findings for each team on the as-of date. The host passes
    /// many teams at once (a whole district) and every declared parameter (defaults filled in).
    fn check_teams(
        _teams: Vec<Team>,
        _as_of: Date,
        _params: Vec<Param>,
    ) -> Result<Vec<Finding>, PluginError> {
        Err(PluginError::Unsupported("composition checks".into()))
    }

    /// Report template: the document for a report's data, as structure.
    fn render_report(_input: ReportInput, _params: Vec<Param>) -> Result<Document, PluginError> {
        Err(PluginError::Unsupported("report templates".into()))
    }

    /// Commendation criteria: a score, a recommended award or none, and the reasons.
    fn assess(
        _candidates: Vec<Candidate>,
        _period: String,
        _params: Vec<Param>,
    ) -> Result<Vec<Assessment>, PluginError> {
        Err(PluginError::Unsupported("commendation criteria".into()))
    }
}

/// Makes a [`Plugin`] the component's export: `register_plugin!(MyRules);` once per crate.
#[macro_export]
macro_rules! register_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __SohoaGlue;

        impl $crate::bindings::exports::sohoa::plugin::rules::Guest for __SohoaGlue {
            fn describe() -> $crate::Metadata {
                <$plugin as $crate::Plugin>::metadata()
            }
            fn check_teams(
                teams: Vec<$crate::Team>,
                as_of: $crate::Date,
                params: Vec<$crate::Param>,
            ) -> Result<Vec<$crate::Finding>, $crate::PluginError> {
                <$plugin as $crate::Plugin>::check_teams(teams, as_of, params)
            }
            fn render_report(
                input: $crate::ReportInput,
                params: Vec<$crate::Param>,
            ) -> Result<$crate::Document, $crate::PluginError> {
                <$plugin as $crate::Plugin>::render_report(input, params)
            }
            fn assess(
                candidates: Vec<$crate::Candidate>,
                period: String,
                params: Vec<$crate::Param>,
            ) -> Result<Vec<$crate::Assessment>, $crate::PluginError> {
                <$plugin as $crate::Plugin>::assess(candidates, period, params)
            }
        }

        $crate::bindings::__export_plugin!(__SohoaGlue with_types_in $crate::bindings);
    };
}

/// Writes a line to the host's log, tagged with the plugin's id. The host caps how much one
/// call may log. Natively (in unit tests) it prints to standard error.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    bindings::sohoa::plugin::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// Reading the parameters the host passes (every declared one, defaults filled in).
pub struct Params<'a>(pub &'a [Param]);

impl Params<'_> {
    fn find(&self, name: &str) -> Result<&ParamValue, PluginError> {
        self.0
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.value)
            .ok_or_else(|| PluginError::InvalidParams(format!("thiếu tham số {name}")))
    }

    pub fn integer(&self, name: &str) -> Result<i64, PluginError> {
        match self.find(name)? {
            ParamValue::Integer(v) => Ok(*v),
            _ => Err(PluginError::InvalidParams(format!("tham số {name} phải là số nguyên"))),
        }
    }

    pub fn number(&self, name: &str) -> Result<f64, PluginError> {
        match self.find(name)? {
            ParamValue::Number(v) => Ok(*v),
            ParamValue::Integer(v) => Ok(*v as f64),
            _ => Err(PluginError::InvalidParams(format!("tham số {name} phải là số"))),
        }
    }

    pub fn text(&self, name: &str) -> Result<String, PluginError> {
        match self.find(name)? {
            ParamValue::Text(v) => Ok(v.clone()),
            _ => Err(PluginError::InvalidParams(format!("tham số {name} phải là chuỗi"))),
        }
    }

    pub fn flag(&self, name: &str) -> Result<bool, PluginError> {
        match self.find(name)? {
            ParamValue::Flag(v) => Ok(*v),
            _ => Err(PluginError::InvalidParams(format!("tham số {name} phải là đúng/sai"))),
        }
    }
}

impl Date {
    pub fn new(year: u16, month: u8, day: u8) -> Self {
        Date { year, month, day }
    }

    /// `05/07/2022`, as dates read in Viet Nam.
    pub fn display(&self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }

    /// `ngày 05 tháng 7 năm 2022`: the date line of an official document. Decree 30/2020 pads
    /// days below 10, and months 1 and 2 (so "tháng 01" is not misread as "tháng 10"/"11"/"12").
    pub fn vietnamese(&self) -> String {
        let month = if self.month <= 2 { format!("{:02}", self.month) } else { self.month.to_string() };
        format!("ngày {:02} tháng {month} năm {}", self.day, self.year)
    }

    fn ordinal(&self) -> (u16, u8, u8) {
        (self.year, self.month, self.day)
    }
}

impl PartialEq for Date {
    fn eq(&self, other: &Self) -> bool {
        self.ordinal() == other.ordinal()
    }
}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.ordinal().cmp(&other.ordinal()))
    }
}

impl Member {
    /// Still serving on `as_of`.
    pub fn serving_on(&self, as_of: &Date) -> bool {
        self.joined_on <= *as_of && self.left_on.as_ref().is_none_or(|left| left > as_of)
    }
}

impl Team {
    /// The members serving on `as_of`.
    pub fn serving(&self, as_of: &Date) -> impl Iterator<Item = &Member> {
        let as_of = *as_of;
        self.members.iter().filter(move |m| m.serving_on(&as_of))
    }
}

fn value_of(values: &[IndicatorValue], code: &str) -> Option<f64> {
    values.iter().find(|v| v.code == code).map(|v| v.value)
}

impl UnitRow {
    /// The reported value of an indicator; none when the unit has not reported it.
    pub fn value(&self, code: &str) -> Option<f64> {
        value_of(&self.values, code)
    }
}

impl Candidate {
    /// The value of an indicator for this candidate; none when not recorded.
    pub fn value(&self, code: &str) -> Option<f64> {
        value_of(&self.values, code)
    }
}

impl Finding {
    pub fn error(team: &Team, code: &str, message: impl Into<String>) -> Self {
        Finding {
            team_id: team.id,
            severity: Severity::Error,
            code: code.into(),
            message: message.into(),
            member_ids: vec![],
        }
    }

    pub fn warning(team: &Team, code: &str, message: impl Into<String>) -> Self {
        Finding {
            team_id: team.id,
            severity: Severity::Warning,
            code: code.into(),
            message: message.into(),
            member_ids: vec![],
        }
    }

    /// The members the finding is about.
    pub fn about(mut self, members: impl IntoIterator<Item = i64>) -> Self {
        self.member_ids.extend(members);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_compare_and_read_vietnamese() {
        let d = Date::new(2022, 7, 5);
        assert_eq!(d.display(), "05/07/2022");
        assert_eq!(d.vietnamese(), "ngày 05 tháng 7 năm 2022");
        assert_eq!(Date::new(2022, 2, 1).vietnamese(), "ngày 01 tháng 02 năm 2022");
        assert!(Date::new(2022, 6, 30) < d);
    }

    #[test]
    fn params_are_typed() {
        let params = vec![
            Param { name: "min".into(), value: ParamValue::Integer(3) },
            Param { name: "note".into(), value: ParamValue::Text("x".into()) },
        ];
        let p = Params(&params);
        assert_eq!(p.integer("min").unwrap(), 3);
        assert_eq!(p.number("min").unwrap(), 3.0);
        assert!(p.integer("note").is_err());
        assert!(p.flag("absent").is_err());
    }
}
