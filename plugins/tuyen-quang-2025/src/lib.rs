//! Tuyên Quang (2025): tổ cấp xã tối đa 10 thành viên, tổ thôn tối đa 5 thành viên.

use sohoa_sdk::*;

pub struct TuyenQuang2025;

impl Plugin for TuyenQuang2025 {
    fn metadata() -> Metadata {
        Metadata {
            id: "tuyen-quang-2025".into(),
            version: "1.0.0".into(),
            name: "Tuyên Quang 2025 — số lượng thành viên Tổ CNSCĐ".into(),
            description: "Tổ cấp xã không quá 10 thành viên; tổ thôn không quá 5 thành viên.".into(),
            kinds: vec![RuleKind::Composition],
            indicators: vec![],
            params: vec![
                ParamSpec {
                    name: "max_commune_members".into(),
                    description: "Số thành viên tối đa của tổ cấp xã".into(),
                    default_value: ParamValue::Integer(10),
                },
                ParamSpec {
                    name: "max_village_members".into(),
                    description: "Số thành viên tối đa của tổ thôn".into(),
                    default_value: ParamValue::Integer(5),
                },
            ],
            report_form: None,
        }
    }

    fn check_teams(teams: Vec<Team>, as_of: Date, params: Vec<Param>) -> Result<Vec<Finding>, PluginError> {
        let p = Params(&params);
        let (commune_max, village_max) =
            (p.integer("max_commune_members")?, p.integer("max_village_members")?);
        let mut out = Vec::new();
        for team in &teams {
            let (max, level) = match team.kind {
                UnitLevel::Village => (village_max, "tổ thôn"),
                _ => (commune_max, "tổ cấp xã"),
            };
            let n = team.serving(&as_of).count() as i64;
            if n > max {
                out.push(Finding::error(
                    team,
                    "qua-nhieu-thanh-vien",
                    format!("{level} có {n} thành viên; tối đa {max}."),
                ));
            }
        }
        Ok(out)
    }
}

register_plugin!(TuyenQuang2025);
