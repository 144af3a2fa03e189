//! # sohoa-sdk
//!
//! Everything a locality needs to write its rules for sohoa as a sandboxed WebAssembly plugin.
//! Implement [`Plugin`] (only the hooks your rules need; the others answer "unsupported"),
//! register it with [`register_plugin!`], and build with `sohoa plugin build`. This SDK builds
//! interface 0.2.0 (`sdk/wit/since_v0.2.0/plugin.wit`, `sohoa:plugin@0.2.0`); hosts that run
//! 0.2.0 also run plugins built for 0.1.0, and refuse components of versions they do not
//! support. See `sdk/README.md` for what each version offers.
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
        path: "wit/since_v0.2.0",
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
    Affiliation, Aggregation, Assessment, Block, Candidate, CandidateKind, CutOff, Date, Document, Finding,
    Gender, Indicator, IndicatorValue, Member, Metadata, Param, ParamSpec, ParamValue, Period, PeriodType,
    PluginError, Position, ReportForm, ReportInput, RuleKind, Severity, Signature, Submission,
    SubmissionFinding, SubmissionStatus, Table, Team, TeamStatus, UnitLevel, UnitRow, ValueType,
};

/// The version of the plugin interface this SDK builds against.
pub const INTERFACE_VERSION: &str = "0.2.0";

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

    /// Report template: the document for a report's data, as structure. The input carries the
    /// period (its type and the days it covers), each unit below with its submission status
    /// and figures, the totals rolled up by the declared form, and the previous period's.
    fn render_report(_input: ReportInput, _params: Vec<Param>) -> Result<Document, PluginError> {
        Err(PluginError::Unsupported("report templates".into()))
    }

    /// Report template: judges one unit's figures for a period before they are submitted
    /// (with the previous period's, when there are any). The host has already checked them
    /// against the declared form (types, bounds, required indicators); return what only the
    /// locality's rules know: errors block the submission ("VNeID accounts cannot exceed the
    /// households guided"), warnings ask the officer to confirm ("fell by more than half").
    /// The default finds nothing.
    fn validate_submission(
        _submission: Submission,
        _params: Vec<Param>,
    ) -> Result<Vec<SubmissionFinding>, PluginError> {
        Ok(vec![])
    }

    /// Commendation criteria: a score, a recommended award or none, and the reasons, for the
    /// campaign `period` (calendar days).
    fn assess(
        _candidates: Vec<Candidate>,
        _period: Period,
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
            fn validate_submission(
                submission: $crate::Submission,
                params: Vec<$crate::Param>,
            ) -> Result<Vec<$crate::SubmissionFinding>, $crate::PluginError> {
                <$plugin as $crate::Plugin>::validate_submission(submission, params)
            }
            fn assess(
                candidates: Vec<$crate::Candidate>,
                period: $crate::Period,
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

    /// Whether the unit's figures are in: submitted (on time or late) or entered directly.
    pub fn reported(&self) -> bool {
        matches!(self.status, SubmissionStatus::OnTime | SubmissionStatus::Late | SubmissionStatus::Entered)
    }
}

impl ReportInput {
    /// An indicator's total over the units below, rolled up by the declared form.
    pub fn total(&self, code: &str) -> Option<f64> {
        value_of(&self.totals, code)
    }

    /// The same indicator's total for the previous period; none when there was none.
    pub fn previous_total(&self, code: &str) -> Option<f64> {
        value_of(&self.previous_totals, code)
    }
}

impl Period {
    /// The calendar period written `id` (`2022-07`, `2022-Q3`, `2022-H1`, `2022`), for a
    /// plugin's own unit tests (the host passes periods ready made, cut-off applied). None when
    /// `id` is none of these.
    pub fn calendar(id: &str) -> Option<Period> {
        let year: u16 = id.get(..4)?.parse().ok()?;
        let rest = id.get(4..)?;
        let (period_type, first, months) = match rest {
            "" => (PeriodType::Year, 1, 12),
            _ if rest.starts_with("-Q") => (
                PeriodType::Quarter,
                3 * (rest[2..].parse::<u8>().ok().filter(|q| (1..=4).contains(q))? - 1) + 1,
                3,
            ),
            _ if rest.starts_with("-H") => (
                PeriodType::HalfYear,
                6 * (rest[2..].parse::<u8>().ok().filter(|h| (1..=2).contains(h))? - 1) + 1,
                6,
            ),
            _ => (
                PeriodType::Month,
                rest.strip_prefix('-')?.parse::<u8>().ok().filter(|m| (1..=12).contains(m))?,
                1,
            ),
        };
        let last = first + months - 1;
        let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match last {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        Some(Period {
            id: id.into(),
            period_type,
            start: Date::new(year, first, 1),
            end: Date::new(year, last, days),
        })
    }

    /// The year the period belongs to.
    pub fn year(&self) -> u16 {
        self.id.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0)
    }

    /// The month (1-12), quarter (1-4) or half (1-2) within the year; 1 for a year.
    pub fn number(&self) -> u8 {
        let digits = self.id.get(5..).unwrap_or("").trim_start_matches(['Q', 'H']);
        digits.parse().unwrap_or(1)
    }

    /// `tháng 7 năm 2022`, `quý III năm 2022`, `6 tháng đầu năm 2022`, `năm 2022`: as a
    /// document's subject says it.
    pub fn vietnamese(&self) -> String {
        let (year, n) = (self.year(), self.number());
        match self.period_type {
            PeriodType::Month => format!("tháng {n} năm {year}"),
            PeriodType::Quarter => format!("quý {} năm {year}", text::roman(n as u32)),
            PeriodType::HalfYear if n == 1 => format!("6 tháng đầu năm {year}"),
            PeriodType::HalfYear => format!("6 tháng cuối năm {year}"),
            PeriodType::Year => format!("năm {year}"),
        }
    }
}

impl Submission {
    /// The submitted value of an indicator; none when left out.
    pub fn value(&self, code: &str) -> Option<f64> {
        value_of(&self.values, code)
    }

    /// The same unit's value for the previous period; none when there is none.
    pub fn previous_value(&self, code: &str) -> Option<f64> {
        self.previous.as_deref().and_then(|values| value_of(values, code))
    }
}

impl SubmissionFinding {
    /// Blocks the submission.
    pub fn error(indicator: &str, code: &str, message: impl Into<String>) -> Self {
        SubmissionFinding {
            severity: Severity::Error,
            code: code.into(),
            indicator: indicator.into(),
            message: message.into(),
        }
    }

    /// Asks the officer to confirm before submitting.
    pub fn warning(indicator: &str, code: &str, message: impl Into<String>) -> Self {
        SubmissionFinding {
            severity: Severity::Warning,
            code: code.into(),
            indicator: indicator.into(),
            message: message.into(),
        }
    }
}

impl Indicator {
    /// A count (households, accounts), added up by sum, optional, without bounds: the usual
    /// indicator. `name` is Vietnamese, `unit` the unit of measure ("hộ").
    pub fn count(code: &str, name: &str, name_en: &str, unit: &str) -> Self {
        Indicator {
            code: code.into(),
            name: name.into(),
            name_en: name_en.into(),
            unit: unit.into(),
            value_type: ValueType::Count,
            aggregation: Aggregation::Sum,
            min: None,
            max: None,
            required: false,
        }
    }

    /// The same indicator, required in every submission.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
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
    fn periods_read_vietnamese() {
        let period = |id: &str, period_type| Period {
            id: id.into(),
            period_type,
            start: Date::new(2022, 1, 1),
            end: Date::new(2022, 1, 1),
        };
        assert_eq!(period("2022-07", PeriodType::Month).vietnamese(), "tháng 7 năm 2022");
        assert_eq!(period("2022-Q3", PeriodType::Quarter).vietnamese(), "quý III năm 2022");
        assert_eq!(period("2022-H2", PeriodType::HalfYear).vietnamese(), "6 tháng cuối năm 2022");
        assert_eq!(period("2022", PeriodType::Year).vietnamese(), "năm 2022");
        assert_eq!(period("2022-Q3", PeriodType::Quarter).number(), 3);
        let q1 = Period::calendar("2024-Q1").unwrap();
        assert_eq!(
            (q1.period_type, q1.start, q1.end),
            (PeriodType::Quarter, Date::new(2024, 1, 1), Date::new(2024, 3, 31))
        );
        assert_eq!(Period::calendar("2024-02").unwrap().end, Date::new(2024, 2, 29));
        assert!(Period::calendar("2022-Q5").is_none() && Period::calendar("2022-13").is_none());
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
