//! Thành phần Tổ công nghệ số cộng đồng theo Kế hoạch 77/KH-UBND ngày 27/5/2022 của UBND tỉnh
//! Bình Định (after MIC guidance 793/BTTTT-THH). See README.md for the rules and assumptions.

use sohoa_sdk::*;

pub struct KeHoach77;

fn has(serving: &[&Member], a: Affiliation) -> bool {
    serving.iter().any(|m| m.affiliation == a)
}

impl Plugin for KeHoach77 {
    fn metadata() -> Metadata {
        Metadata {
            id: "binh-dinh-ke-hoach-77".into(),
            version: "1.0.0".into(),
            name: "Bình Định — Kế hoạch 77/KH-UBND: thành phần Tổ CNSCĐ".into(),
            description: "Tổ cấp xã do lãnh đạo UBND xã làm tổ trưởng, có Đoàn Thanh niên, Công an xã, công chức \
                          VH-XH (khuyến khích doanh nghiệp viễn thông, bưu chính); tổ thôn do trưởng thôn làm tổ \
                          trưởng, thêm ít nhất hai thành viên, khuyến khích có đoàn viên."
                .into(),
            kinds: vec![RuleKind::Composition],
            indicators: vec![],
            params: vec![
                ParamSpec {
                    name: "min_village_members".into(),
                    description: "Số thành viên tối thiểu của tổ thôn (trưởng thôn và ít nhất hai người)".into(),
                    default_value: ParamValue::Integer(3),
                },
                ParamSpec {
                    name: "max_deputies".into(),
                    description: "Số tổ phó tối đa".into(),
                    default_value: ParamValue::Integer(2),
                },
                ParamSpec {
                    name: "min_age".into(),
                    description: "Tuổi tối thiểu của thành viên".into(),
                    default_value: ParamValue::Integer(16),
                },
            ],
            report_form: None,
        }
    }

    fn check_teams(teams: Vec<Team>, as_of: Date, params: Vec<Param>) -> Result<Vec<Finding>, PluginError> {
        let p = Params(&params);
        let min_village = p.integer("min_village_members")?;
        let max_deputies = p.integer("max_deputies")?;
        let min_age = p.integer("min_age")?;
        let mut out = Vec::new();
        for team in &teams {
            let serving: Vec<&Member> = team.serving(&as_of).collect();
            let leaders: Vec<&Member> =
                serving.iter().copied().filter(|m| m.position == Position::Leader).collect();
            let deputies: Vec<i64> =
                serving.iter().filter(|m| m.position == Position::Deputy).map(|m| m.id).collect();
            match leaders.len() {
                0 => out.push(Finding::error(team, "khong-co-to-truong", "Tổ chưa có tổ trưởng.")),
                1 => {}
                n => out.push(
                    Finding::error(
                        team,
                        "nhieu-to-truong",
                        format!("Tổ có {n} tổ trưởng; mỗi tổ chỉ một tổ trưởng."),
                    )
                    .about(leaders.iter().map(|m| m.id)),
                ),
            }
            if deputies.len() as i64 > max_deputies {
                let text = format!("Tổ có {} tổ phó; tối đa {max_deputies}.", deputies.len());
                out.push(Finding::error(team, "qua-nhieu-to-pho", text).about(deputies));
            }
            for m in &serving {
                if let Some(age) = m.age
                    && i64::from(age) < min_age
                {
                    let text = format!("{} mới {age} tuổi; thành viên phải từ {min_age} tuổi.", m.full_name);
                    out.push(Finding::error(team, "chua-du-tuoi", text).about([m.id]));
                }
            }
            match team.kind {
                UnitLevel::Village => {
                    if let [leader] = leaders.as_slice()
                        && leader.affiliation != Affiliation::VillageHead
                    {
                        let text = format!(
                            "Tổ trưởng {} không phải trưởng thôn, tổ trưởng tổ dân phố.",
                            leader.full_name
                        );
                        out.push(
                            Finding::error(team, "to-truong-khong-phai-truong-thon", text).about([leader.id]),
                        );
                    }
                    if (serving.len() as i64) < min_village {
                        let text = format!(
                            "Tổ có {} thành viên; cần trưởng thôn và ít nhất {} thành viên khác.",
                            serving.len(),
                            min_village - 1
                        );
                        out.push(Finding::error(team, "thieu-thanh-vien", text));
                    }
                    if !has(&serving, Affiliation::YouthUnion) {
                        out.push(Finding::warning(
                            team,
                            "thieu-doan-vien",
                            "Nên có thành viên là đoàn viên thanh niên.",
                        ));
                    }
                }
                _ => {
                    if let [leader] = leaders.as_slice()
                        && leader.affiliation != Affiliation::CommuneLeadership
                    {
                        let text = format!(
                            "Tổ trưởng {} không phải Chủ tịch hoặc Phó Chủ tịch UBND xã.",
                            leader.full_name
                        );
                        out.push(
                            Finding::error(team, "to-truong-khong-phai-lanh-dao-xa", text).about([leader.id]),
                        );
                    }
                    for (aff, code, text) in [
                        (
                            Affiliation::YouthUnion,
                            "thieu-doan-thanh-nien",
                            "Thiếu thành viên Đoàn Thanh niên.",
                        ),
                        (Affiliation::CommunePolice, "thieu-cong-an-xa", "Thiếu thành viên Công an xã."),
                        (
                            Affiliation::CulturalSocialOfficer,
                            "thieu-cong-chuc-vhxh",
                            "Thiếu công chức Văn hóa - Xã hội.",
                        ),
                    ] {
                        if !has(&serving, aff) {
                            out.push(Finding::error(team, code, text));
                        }
                    }
                    if !has(&serving, Affiliation::TelecomPostal) {
                        out.push(Finding::warning(
                            team,
                            "thieu-doanh-nghiep",
                            "Khuyến khích có đại diện doanh nghiệp viễn thông, bưu chính (Viettel, VNPT, Bưu điện).",
                        ));
                    }
                }
            }
        }
        Ok(out)
    }
}

register_plugin!(KeHoach77);

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: i64, position: Position, affiliation: Affiliation, age: u32) -> Member {
        Member {
            id,
            full_name: format!("Người {id}"),
            gender: Gender::Male,
            age: Some(age),
            position,
            affiliation,
            skills: vec![],
            joined_on: Date::new(2022, 6, 1),
            left_on: None,
        }
    }

    fn team(kind: UnitLevel, members: Vec<Member>) -> Team {
        Team {
            id: 7,
            name: "Tổ".into(),
            unit_code: "x".into(),
            unit_name: "x".into(),
            kind,
            status: TeamStatus::Active,
            decision_date: Date::new(2022, 6, 1),
            members,
        }
    }

    fn params() -> Vec<Param> {
        vec![
            Param { name: "min_village_members".into(), value: ParamValue::Integer(3) },
            Param { name: "max_deputies".into(), value: ParamValue::Integer(2) },
            Param { name: "min_age".into(), value: ParamValue::Integer(16) },
        ]
    }

    fn codes(t: Team) -> Vec<String> {
        KeHoach77::check_teams(vec![t], Date::new(2022, 8, 1), params())
            .unwrap()
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn complete_commune_team_passes() {
        use Affiliation::*;
        let t = team(
            UnitLevel::Commune,
            vec![
                m(1, Position::Leader, CommuneLeadership, 45),
                m(2, Position::Deputy, YouthUnion, 28),
                m(3, Position::Member, CommunePolice, 35),
                m(4, Position::Member, CulturalSocialOfficer, 33),
                m(5, Position::Member, TelecomPostal, 30),
            ],
        );
        assert!(codes(t).is_empty());
    }

    #[test]
    fn village_team_needs_its_head_and_two_more() {
        use Affiliation::*;
        let t = team(
            UnitLevel::Village,
            vec![m(1, Position::Leader, Volunteer, 45), m(2, Position::Member, WomensUnion, 15)],
        );
        assert_eq!(
            codes(t),
            ["chua-du-tuoi", "to-truong-khong-phai-truong-thon", "thieu-thanh-vien", "thieu-doan-vien"]
        );
    }
}
