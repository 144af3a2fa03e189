//! A plugin as provinces built them for interface 0.1.0, generated straight from the frozen
//! WIT (`sdk/wit/since_v0.1.0`), not from today's SDK: installed on a host that also runs
//! 0.2.0 plugins, it must install, bind, check teams and render reports as before, and be
//! reported as lacking the hooks 0.1.0 does not have.
//!
//! Its rule: a team needs at least `min_members` serving members (default 2), finding
//! `it-thanh-vien`. Its report: one line per unit, the period as the 0.1.0 string.

wit_bindgen::generate!({ path: "../../../sdk/wit/since_v0.1.0", world: "plugin" });

use exports::sohoa::plugin::rules::Guest;
use sohoa::plugin::types::*;

struct Legacy;

fn serving(m: &Member, as_of: &Date) -> bool {
    let key = |d: &Date| (d.year, d.month, d.day);
    key(&m.joined_on) <= key(as_of) && m.left_on.as_ref().is_none_or(|l| key(l) > key(as_of))
}

impl Guest for Legacy {
    fn describe() -> Metadata {
        Metadata {
            id: "interface-v0-1-0".into(),
            version: "0.1.0".into(),
            name: "Quy tắc viết cho giao diện 0.1.0".into(),
            description: "Ít nhất min_members thành viên; báo cáo một dòng mỗi đơn vị.".into(),
            kinds: vec![RuleKind::Composition, RuleKind::Report],
            indicators: vec!["ho_duoc_huong_dan".into()],
            params: vec![ParamSpec {
                name: "min_members".into(),
                description: "Số thành viên tối thiểu".into(),
                default_value: ParamValue::Integer(2),
            }],
        }
    }

    fn check_teams(teams: Vec<Team>, as_of: Date, params: Vec<Param>) -> Result<Vec<Finding>, PluginError> {
        let min = match params.iter().find(|p| p.name == "min_members").map(|p| &p.value) {
            Some(ParamValue::Integer(n)) => *n,
            _ => return Err(PluginError::InvalidParams("min_members phải là số nguyên".into())),
        };
        Ok(teams
            .iter()
            .filter_map(|t| {
                let n = t.members.iter().filter(|m| serving(m, &as_of)).count() as i64;
                (n < min).then(|| Finding {
                    team_id: t.id,
                    severity: Severity::Error,
                    code: "it-thanh-vien".into(),
                    message: format!("Tổ có {n} thành viên, cần ít nhất {min}."),
                    member_ids: vec![],
                })
            })
            .collect())
    }

    fn render_report(input: ReportInput, _params: Vec<Param>) -> Result<Document, PluginError> {
        let rows = input
            .rows
            .iter()
            .map(|r| {
                let guided = r.values.iter().find(|v| v.code == "ho_duoc_huong_dan").map(|v| v.value);
                vec![
                    r.unit_name.clone(),
                    r.team_count.to_string(),
                    guided.map_or("-".into(), |v| format!("{v}")),
                ]
            })
            .collect();
        Ok(Document {
            issuer: format!("UBND {}", input.unit_name.to_uppercase()),
            number: "Số:      /BC".into(),
            title: "BÁO CÁO".into(),
            subject: format!("Kỳ {}", input.period),
            blocks: vec![Block::Table(Table {
                header: vec!["Đơn vị".into(), "Số tổ".into(), "Hộ được hướng dẫn".into()],
                rows,
            })],
        })
    }

    fn assess(_: Vec<Candidate>, _: String, _: Vec<Param>) -> Result<Vec<Assessment>, PluginError> {
        Err(PluginError::Unsupported("commendation criteria".into()))
    }
}

export!(Legacy);
