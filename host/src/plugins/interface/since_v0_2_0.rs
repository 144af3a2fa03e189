//! Interface 0.2.0 (`sdk/wit/since_v0.2.0/plugin.wit`): report forms in the metadata,
//! `validate-submission`, periods as records, submission status and totals in report input.

wasmtime::component::bindgen!({
    path: "../sdk/wit/since_v0.2.0",
    world: "plugin",
});

use self::sohoa::plugin::types as w;
use wasmtime::Store;

pub const VERSION: &str = "0.2.0";

shared_conversions!();

fn period_type(t: h::PeriodType) -> w::PeriodType {
    match t {
        h::PeriodType::Month => w::PeriodType::Month,
        h::PeriodType::Quarter => w::PeriodType::Quarter,
        h::PeriodType::HalfYear => w::PeriodType::HalfYear,
        h::PeriodType::Year => w::PeriodType::Year,
    }
}

fn period(p: &h::Period) -> w::Period {
    w::Period {
        id: p.id.clone(),
        period_type: period_type(p.period_type),
        start: date(p.start),
        end: date(p.end),
    }
}

fn form(f: w::ReportForm) -> h::ReportForm {
    let indicator = |i: w::Indicator| h::Indicator {
        code: i.code,
        name: i.name,
        name_en: i.name_en,
        unit: i.unit,
        value_type: match i.value_type {
            w::ValueType::Count => h::ValueType::Count,
            w::ValueType::Number => h::ValueType::Number,
            w::ValueType::Percentage => h::ValueType::Percentage,
        },
        aggregation: match i.aggregation {
            w::Aggregation::Sum => h::Aggregation::Sum,
            w::Aggregation::Mean => h::Aggregation::Mean,
            w::Aggregation::WeightedMean(by) => h::Aggregation::WeightedMean { by },
            w::Aggregation::Max => h::Aggregation::Max,
            w::Aggregation::Min => h::Aggregation::Min,
            w::Aggregation::None => h::Aggregation::None,
        },
        min: i.min,
        max: i.max,
        required: i.required,
    };
    h::ReportForm {
        period_type: match f.period_type {
            w::PeriodType::Month => h::PeriodType::Month,
            w::PeriodType::Quarter => h::PeriodType::Quarter,
            w::PeriodType::HalfYear => h::PeriodType::HalfYear,
            w::PeriodType::Year => h::PeriodType::Year,
        },
        level: level_from(f.level),
        cut_off: match f.cut_off {
            w::CutOff::Calendar => h::CutOff::Calendar,
            w::CutOff::AdministrativeRegime => h::CutOff::Decree092019,
        },
        deadline_days: f.deadline_days,
        indicators: f.indicators.into_iter().map(indicator).collect(),
    }
}

pub(super) fn describe(p: &Plugin, store: &mut Store<CallState>) -> wasmtime::Result<h::Metadata> {
    let m = p.sohoa_plugin_rules().call_describe(store)?;
    Ok(h::Metadata {
        id: m.id,
        version: m.version,
        name: m.name,
        description: m.description,
        kinds: m.kinds.into_iter().map(kind).collect(),
        indicators: m.indicators,
        params: m.params.into_iter().map(param_decl).collect(),
        report_form: m.report_form.map(form),
    })
}

pub(super) fn render_report(
    p: &Plugin,
    store: &mut Store<CallState>,
    input: &h::ReportInput,
    given: &[h::Param],
) -> super::Answer<h::Document> {
    let status = |s: h::SubmissionStatus| match s {
        h::SubmissionStatus::OnTime => w::SubmissionStatus::OnTime,
        h::SubmissionStatus::Late => w::SubmissionStatus::Late,
        h::SubmissionStatus::Missing => w::SubmissionStatus::Missing,
        h::SubmissionStatus::Returned => w::SubmissionStatus::Returned,
        h::SubmissionStatus::Entered => w::SubmissionStatus::Entered,
    };
    let input = w::ReportInput {
        unit_code: input.unit_code.clone(),
        unit_name: input.unit_name.clone(),
        period: period(&input.period),
        issuing_office: input.issuing_office.clone(),
        place: input.place.clone(),
        issued_on: date(input.issued_on),
        rows: input
            .rows
            .iter()
            .map(|r| w::UnitRow {
                unit_code: r.unit_code.clone(),
                unit_name: r.unit_name.clone(),
                team_count: r.team_count,
                member_count: r.member_count,
                status: status(r.status),
                submitted_on: r.submitted_on.map(date),
                values: values(&r.values),
            })
            .collect(),
        totals: values(&input.totals),
        previous_totals: values(&input.previous_totals),
    };
    let answer = p.sohoa_plugin_rules().call_render_report(store, &input, &params(given))?;
    Ok(answer.map(document).map_err(error))
}

pub(super) fn validate_submission(
    p: &Plugin,
    store: &mut Store<CallState>,
    submission: &h::Submission,
    given: &[h::Param],
) -> super::Answer<Vec<h::SubmissionFinding>> {
    let submission = w::Submission {
        unit_code: submission.unit_code.clone(),
        unit_name: submission.unit_name.clone(),
        period: period(&submission.period),
        values: values(&submission.values),
        previous: submission.previous.as_deref().map(values),
    };
    let answer = p.sohoa_plugin_rules().call_validate_submission(store, &submission, &params(given))?;
    Ok(answer
        .map(|found| {
            found
                .into_iter()
                .map(|f| h::SubmissionFinding {
                    severity: severity(f.severity),
                    code: f.code,
                    indicator: f.indicator,
                    message: f.message,
                })
                .collect()
        })
        .map_err(error))
}

pub(super) fn assess(
    p: &Plugin,
    store: &mut Store<CallState>,
    given: &[h::Candidate],
    campaign: &h::Period,
    given_params: &[h::Param],
) -> super::Answer<Vec<h::Assessment>> {
    let answer = p.sohoa_plugin_rules().call_assess(
        store,
        &candidates(given),
        &period(campaign),
        &params(given_params),
    )?;
    Ok(answer.map(|a| a.into_iter().map(assessment).collect()).map_err(error))
}
