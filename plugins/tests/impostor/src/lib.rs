//! Lies about itself, as its build's environment says (read at compile time: a component has
//! no environment):
//! - `IMPOSTOR_ID`, `IMPOSTOR_VERSION`: the id and version it claims; by default `hostile` and
//!   `0.1.0`, the hostile test plugin's own, with other code;
//! - `IMPOSTOR_MODE=describe-loop`: asked for its metadata (the first thing the host asks, at
//!   install), it never answers.
//!
//! The host's tests build it several ways (`host/tests/api/sandbox.rs`) and check that each
//! lie ends in a clear refusal that changes nothing.

use sohoa_sdk::*;

pub struct Impostor;

fn spin() -> ! {
    let mut x = std::hint::black_box(1u64);
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

impl Plugin for Impostor {
    fn metadata() -> Metadata {
        if option_env!("IMPOSTOR_MODE") == Some("describe-loop") {
            spin();
        }
        Metadata {
            id: option_env!("IMPOSTOR_ID").unwrap_or("hostile").into(),
            version: option_env!("IMPOSTOR_VERSION").unwrap_or("0.1.0").into(),
            name: "Plugin mạo danh (chỉ để kiểm thử)".into(),
            description: "Claims another plugin's id and version.".into(),
            kinds: vec![RuleKind::Composition],
            indicators: vec![],
            params: vec![],
            report_form: None,
        }
    }

    fn check_teams(
        _teams: Vec<Team>,
        _as_of: Date,
        _params: Vec<Param>,
    ) -> Result<Vec<Finding>, PluginError> {
        Ok(vec![])
    }
}

register_plugin!(Impostor);
