//! Interface 0.1.0 (`sdk/wit/since_v0.1.0/plugin.wit`, frozen): the first released version.
//! It has no report forms and no submission validation; periods cross as their identifiers.

wasmtime::component::bindgen!({
    path: "../sdk/wit/since_v0.1.0",
    world: "plugin",
});

use self::sohoa::plugin::types as w;
use wasmtime::Store;

pub const VERSION: &str = "0.1.0";

shared_conversions!();

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
        report_form: None,
    })
}

/// The period crosses as its identifier ("2022-Q3"); rows without their submission status,
/// and no totals, which 0.1.0 templates compute themselves.
pub(super) fn render_report(
    p: &Plugin,
    store: &mut Store<CallState>,
    input: &h::ReportInput,
    given: &[h::Param],
) -> super::Answer<h::Document> {
    let input = w::ReportInput {
        unit_code: input.unit_code.clone(),
        unit_name: input.unit_name.clone(),
        period: input.period.id.clone(),
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
                values: values(&r.values),
            })
            .collect(),
    };
    let answer = p.sohoa_plugin_rules().call_render_report(store, &input, &params(given))?;
    Ok(answer.map(document).map_err(error))
}

pub(super) fn assess(
    p: &Plugin,
    store: &mut Store<CallState>,
    given: &[h::Candidate],
    period: &h::Period,
    given_params: &[h::Param],
) -> super::Answer<Vec<h::Assessment>> {
    let answer =
        p.sohoa_plugin_rules().call_assess(store, &candidates(given), &period.id, &params(given_params))?;
    Ok(answer.map(|a| a.into_iter().map(assessment).collect()).map_err(error))
}
