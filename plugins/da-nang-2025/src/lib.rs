//! Đà Nẵng (2025): tổ công nghệ số cộng đồng ở thôn, tổ dân phố có ít nhất 7 thành viên; tổ
//! trưởng là trưởng thôn / tổ trưởng tổ dân phố, tổ phó là bí thư chi đoàn; có công an khu vực.

use sohoa_sdk::*;

pub struct DaNang2025;

impl Plugin for DaNang2025 {
    fn metadata() -> Metadata {
        Metadata {
            id: "da-nang-2025".into(),
            version: "1.0.0".into(),
            name: "Đà Nẵng 2025 — thành phần Tổ CNSCĐ".into(),
            description:
                "Ít nhất 7 thành viên; tổ trưởng là trưởng thôn, tổ trưởng tổ dân phố; tổ phó là bí thư \
                          Đoàn; có công an khu vực."
                    .into(),
            kinds: vec![RuleKind::Composition],
            indicators: vec![],
            params: vec![ParamSpec {
                name: "min_members".into(),
                description: "Số thành viên tối thiểu".into(),
                default_value: ParamValue::Integer(7),
            }],
            report_form: None,
        }
    }

    fn check_teams(teams: Vec<Team>, as_of: Date, params: Vec<Param>) -> Result<Vec<Finding>, PluginError> {
        let min = Params(&params).integer("min_members")?;
        let mut out = Vec::new();
        for team in &teams {
            let serving: Vec<&Member> = team.serving(&as_of).collect();
            if (serving.len() as i64) < min {
                let text = format!("Tổ có {} thành viên; Đà Nẵng yêu cầu ít nhất {min}.", serving.len());
                out.push(Finding::error(team, "thieu-thanh-vien", text));
            }
            let leaders: Vec<&Member> =
                serving.iter().copied().filter(|m| m.position == Position::Leader).collect();
            match leaders.as_slice() {
                [] => out.push(Finding::error(team, "khong-co-to-truong", "Tổ chưa có tổ trưởng.")),
                [leader] if leader.affiliation != Affiliation::VillageHead => out.push(
                    Finding::error(
                        team,
                        "to-truong-khong-phai-truong-thon",
                        format!(
                            "Tổ trưởng {} không phải trưởng thôn, tổ trưởng tổ dân phố.",
                            leader.full_name
                        ),
                    )
                    .about([leader.id]),
                ),
                [_] => {}
                many => out.push(
                    Finding::error(team, "nhieu-to-truong", format!("Tổ có {} tổ trưởng.", many.len()))
                        .about(many.iter().map(|m| m.id)),
                ),
            }
            let youth_deputy = serving
                .iter()
                .any(|m| m.position == Position::Deputy && m.affiliation == Affiliation::YouthUnion);
            if !youth_deputy {
                out.push(Finding::error(
                    team,
                    "to-pho-khong-phai-bi-thu-doan",
                    "Tổ phó phải là bí thư chi đoàn (Đoàn Thanh niên).",
                ));
            }
            if !serving.iter().any(|m| m.affiliation == Affiliation::CommunePolice) {
                out.push(Finding::error(team, "thieu-cong-an-khu-vuc", "Tổ phải có công an khu vực."));
            }
        }
        Ok(out)
    }
}

register_plugin!(DaNang2025);
