//! What crosses the plugin boundary, as the host owns it.
//!
//! The host works with these types only. Each interface version's module
//! ([`super::interface`]) converts them to and from its generated bindings, so a new interface
//! version changes that module and (for what it adds) this one, never the domain modules. The
//! shapes follow the newest interface (`sdk/wit/since_v0.2.0/plugin.wit`); what an older
//! version cannot carry is dropped on the way in (an older plugin never receives it) and
//! filled with "none" on the way out (a 0.1.0 plugin declares no report form).
//!
//! Dates are [`NaiveDate`]s (Viet Nam's local date); the vocabularies are the host's own
//! ([`Position`], [`Affiliation`], [`Gender`], [`TeamStatus`], [`Level`], [`Kind`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::Kind;
pub use crate::periods::{CutOff, Period, PeriodType};
pub use crate::units::Level;
pub use crate::vocab::{Affiliation, Gender, Position, TeamStatus};

/// A team member as a rule sees them on the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Membership id: findings name members by it.
    pub id: i64,
    pub full_name: String,
    pub gender: Gender,
    /// Age in whole years on the as-of date; none when the host may not share it.
    pub age: Option<u32>,
    pub position: Position,
    pub affiliation: Affiliation,
    pub skills: Vec<String>,
    pub joined_on: NaiveDate,
    /// Set for members who have left: they no longer count.
    pub left_on: Option<NaiveDate>,
}

/// A team with every member it has had (those who left carry `left_on`).
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
    /// [`Level::Commune`] or [`Level::Village`].
    pub kind: Level,
    pub status: TeamStatus,
    pub decision_date: NaiveDate,
    pub members: Vec<Member>,
}

/// error blocks a change (or a submission); warning informs (or asks to confirm); info informs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A composition rule's finding about one team.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub team_id: i64,
    pub severity: Severity,
    /// Stable, e.g. "thieu-to-truong".
    pub code: String,
    /// Vietnamese.
    pub message: String,
    /// The members it is about (membership ids).
    pub member_ids: Vec<i64>,
}

/// A parameter's value; its variant is its type.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Integer(i64),
    Number(f64),
    Text(String),
    Flag(bool),
}

/// A parameter passed to a call: every declared one, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub value: ParamValue,
}

/// A parameter a plugin declares.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    pub name: String,
    /// What it means, in Vietnamese.
    pub description: String,
    /// Also fixes the type a value must have.
    pub default_value: ParamValue,
}

/// What kind of number an indicator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A whole number, zero or more.
    Count,
    /// Any number.
    Number,
    /// 0 to 100.
    Percentage,
}

/// How an indicator adds up from the units below to the unit above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Sum,
    Mean,
    /// Mean weighted by the indicator `by` (its code).
    WeightedMean {
        by: String,
    },
    Max,
    Min,
    /// Not added up: each unit's own figure only.
    None,
}

/// One indicator (chỉ tiêu) of a report form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Indicator {
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    pub name_en: String,
    /// Unit of measure (đơn vị tính), e.g. "hộ", "%".
    pub unit: String,
    pub value_type: ValueType,
    pub aggregation: Aggregation,
    /// Inclusive bounds; none when open.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub required: bool,
}

/// The report form a report template declares (interface 0.2.0 and later).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportForm {
    pub period_type: PeriodType,
    /// The level whose units each submit one report per period.
    pub level: Level,
    pub cut_off: CutOff,
    /// Days after the period's last counted day by which a report is due.
    pub deadline_days: u16,
    pub indicators: Vec<Indicator>,
}

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub id: String,
    pub version: String,
    pub name: String,
    pub description: String,
    pub kinds: Vec<Kind>,
    pub indicators: Vec<String>,
    pub params: Vec<ParamDecl>,
    /// Declared by report templates of interface 0.2.0 and later.
    pub report_form: Option<ReportForm>,
}

/// One indicator's figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValue {
    pub code: String,
    pub value: f64,
}

/// Where a child unit's report for a period stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    OnTime,
    Late,
    Missing,
    Returned,
    /// Figures given with the request, outside the submission workflow.
    Entered,
}

/// One child unit's line in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRow {
    pub unit_code: String,
    pub unit_name: String,
    pub team_count: u32,
    pub member_count: u32,
    pub status: SubmissionStatus,
    pub submitted_on: Option<NaiveDate>,
    pub values: Vec<IndicatorValue>,
}

/// What a report template renders. A compiled report stores it as JSON (its snapshot, see
/// [`crate::reports::compiled`]) to render it again: fields added later must take
/// `#[serde(default)]` so that stored snapshots still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    pub unit_code: String,
    pub unit_name: String,
    pub period: Period,
    pub issuing_office: String,
    /// Place name of the date line, e.g. "Tây Sơn".
    pub place: String,
    pub issued_on: NaiveDate,
    pub rows: Vec<UnitRow>,
    /// The rows added up by each indicator's aggregation.
    pub totals: Vec<IndicatorValue>,
    /// The previous period's totals; empty when there is none.
    pub previous_totals: Vec<IndicatorValue>,
}

/// One unit's figures for a period, to be judged before they are submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub unit_code: String,
    pub unit_name: String,
    pub period: Period,
    pub values: Vec<IndicatorValue>,
    /// The unit's figures for the previous period, when there are any.
    pub previous: Option<Vec<IndicatorValue>>,
}

/// A problem with a submission's figures: error blocks it, warning asks to confirm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubmissionFinding {
    pub severity: Severity,
    pub code: String,
    /// The indicator's code; empty when about the whole submission.
    pub indicator: String,
    pub message: String,
}

/// A table: a header row and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The signature block: "KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", the name.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub authority: String,
    pub title: String,
    pub name: String,
}

/// A piece of a document's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    Table(Table),
    Signature(Signature),
    Recipients(Vec<String>),
}

/// A document as structure; [`crate::documents`] lays it out (Decree 30/2020).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Issuing body, e.g. "UBND HUYỆN TÂY SƠN".
    pub issuer: String,
    /// Number and symbol, e.g. "Số: .../BC-VHTT".
    pub number: String,
    pub title: String,
    pub subject: String,
    pub blocks: Vec<Block>,
}

/// Who a commendation candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    Team,
    Person,
}

/// A commendation candidate with its figures for the campaign period.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub kind: CandidateKind,
    pub name: String,
    pub unit_code: String,
    pub values: Vec<IndicatorValue>,
}

/// The criteria's verdict on a candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub candidate_id: i64,
    pub score: f64,
    /// The recommended award; none when not recommended.
    pub award: Option<String>,
    pub reasons: Vec<String>,
}

/// A plugin's refusal of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginError {
    /// A parameter value the plugin cannot use.
    InvalidParams(String),
    /// The plugin does not implement this kind of rule.
    Unsupported(String),
    Failed(String),
}
