//! Bình Định's Plan 77 composition rule as an Extism plugin: the rule is the sohoa plugin
//! crate's own `check_teams` (the same Rust), wrapped the way Extism plugins usually take and
//! give structured data (JSON through the PDK's `Json`). Built for `wasm32-unknown-unknown`
//! (no WASI, as sohoa's components) by `bench/engines.sh`.

use binh_dinh_ke_hoach_77::KeHoach77;
use extism_pdk::*;
use sohoa_bench_rule_model as model;
use sohoa_sdk::Plugin as _;

/// Input: [`model::Input`] as JSON; output: the findings as a JSON array of [`model::Finding`].
#[plugin_fn]
pub fn check_teams(Json(input): Json<model::Input>) -> FnResult<Json<Vec<model::Finding>>> {
    let teams = input.teams.iter().map(model::to_sdk).collect();
    let findings =
        KeHoach77::check_teams(teams, model::date(input.as_of), model::to_sdk_params(&input.params))
            .map_err(|e| Error::msg(format!("{e:?}")))?;
    Ok(Json(findings.iter().map(model::from_sdk).collect()))
}
