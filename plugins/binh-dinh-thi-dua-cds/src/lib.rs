//! Bình Định: tiêu chí thi đua "chuyển đổi số" cho Tổ công nghệ số cộng đồng và thành viên.
//!
//! Công văn của UBND huyện Tây Sơn (2022) giao Phòng Nội vụ "đề xuất biểu dương, khen thưởng
//! kịp thời ... Tổ công nghệ số cộng đồng có thành tích xuất sắc tiêu biểu"; Luật Thi đua, khen
//! thưởng 06/2022/QH15 để tỉnh tự đặt tiêu chuẩn Giấy khen, Bằng khen. Tiêu chí chấm điểm dưới
//! đây không có trong văn bản công khai nào: mọi trọng số và ngưỡng là tham số.
//!
//! Team score (0-100) = the weighted share of four targets met:
//! households guided per 100 households, VNeID accounts per 100 households, online public
//! service applications per 100 households, and reports sent on time. Individuals: households
//! they guided and outreach sessions they ran, against their own targets.

use sohoa_sdk::text::decimal;
use sohoa_sdk::*;

pub struct ThiDuaCds;

const GIAY_KHEN: &str = "Giấy khen của Chủ tịch UBND huyện";
const BANG_KHEN: &str = "Đề nghị Chủ tịch UBND tỉnh tặng Bằng khen";

fn number_param(name: &str, description: &str, default: f64) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        description: description.into(),
        default_value: ParamValue::Number(default),
    }
}

fn integer_param(name: &str, description: &str, default: i64) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        description: description.into(),
        default_value: ParamValue::Integer(default),
    }
}

/// The parameters, read and checked once per call.
struct Rules {
    w_guided: f64,
    w_accounts: f64,
    w_applications: f64,
    w_on_time: f64,
    target_guided: f64,
    target_accounts: f64,
    target_applications: f64,
    merit: f64,
    exceptional: f64,
    max_team_awards: usize,
    person_target_households: f64,
    person_target_sessions: f64,
    max_person_awards: usize,
}

impl Rules {
    fn read(params: &[Param]) -> Result<Rules, PluginError> {
        let p = Params(params);
        let r = Rules {
            w_guided: p.number("trong_so_huong_dan")?,
            w_accounts: p.number("trong_so_tai_khoan")?,
            w_applications: p.number("trong_so_ho_so")?,
            w_on_time: p.number("trong_so_dung_han")?,
            target_guided: p.number("muc_tieu_huong_dan")?,
            target_accounts: p.number("muc_tieu_tai_khoan")?,
            target_applications: p.number("muc_tieu_ho_so")?,
            merit: p.number("nguong_giay_khen")?,
            exceptional: p.number("nguong_bang_khen")?,
            max_team_awards: p.integer("so_to_toi_da")?.max(0) as usize,
            person_target_households: p.number("muc_tieu_ho_ca_nhan")?,
            person_target_sessions: p.number("muc_tieu_buoi_ca_nhan")?,
            max_person_awards: p.integer("so_ca_nhan_toi_da")?.max(0) as usize,
        };
        let weights = r.w_guided + r.w_accounts + r.w_applications + r.w_on_time;
        if (weights - 100.0).abs() > 1e-6 {
            return Err(PluginError::InvalidParams(format!(
                "tổng các trọng số phải bằng 100, hiện là {}",
                decimal(weights, 1)
            )));
        }
        let targets = [r.target_guided, r.target_accounts, r.target_applications];
        if targets
            .iter()
            .chain([r.person_target_households, r.person_target_sessions].iter())
            .any(|t| *t <= 0.0)
        {
            return Err(PluginError::InvalidParams("các mục tiêu phải lớn hơn 0".into()));
        }
        if r.exceptional < r.merit {
            return Err(PluginError::InvalidParams(
                "ngưỡng Bằng khen không được thấp hơn ngưỡng Giấy khen".into(),
            ));
        }
        Ok(r)
    }
}

/// A part of the score: share of a target met (at most 1) times its weight, and why.
fn part(label: &str, achieved: f64, target: f64, weight: f64, unit: &str) -> (f64, String) {
    let share = (achieved / target).clamp(0.0, 1.0);
    let reason = format!(
        "{label}: {} {unit} (mục tiêu {}, đạt {}%; {}/{} điểm)",
        decimal(achieved, 1),
        decimal(target, 1),
        decimal(share * 100.0, 0),
        decimal(share * weight, 1),
        decimal(weight, 0)
    );
    (share * weight, reason)
}

fn score_team(c: &Candidate, r: &Rules) -> (f64, Vec<String>) {
    let households = c.value("ho_gia_dinh").unwrap_or(0.0);
    if households <= 0.0 {
        return (
            0.0,
            vec![
                "Chưa có số hộ gia đình trên địa bàn (chỉ tiêu ho_gia_dinh) nên không chấm được điểm.".into(),
            ],
        );
    }
    let per100 = |code: &str| c.value(code).unwrap_or(0.0) / households * 100.0;
    let due = c.value("bao_cao_phai_nop").unwrap_or(0.0);
    let on_time = c.value("bao_cao_dung_han").unwrap_or(0.0);
    let parts = [
        part("Hộ được hướng dẫn", per100("ho_duoc_huong_dan"), r.target_guided, r.w_guided, "hộ/100 hộ"),
        part(
            "Tài khoản VNeID kích hoạt",
            per100("tk_vneid"),
            r.target_accounts,
            r.w_accounts,
            "tài khoản/100 hộ",
        ),
        part(
            "Hồ sơ dịch vụ công trực tuyến",
            per100("ho_so_dvc_truc_tuyen"),
            r.target_applications,
            r.w_applications,
            "hồ sơ/100 hộ",
        ),
        if due > 0.0 {
            part("Báo cáo đúng hạn", on_time / due * 100.0, 100.0, r.w_on_time, "%")
        } else {
            (0.0, "Báo cáo đúng hạn: không có kỳ báo cáo nào được ghi nhận (0 điểm)".into())
        },
    ];
    (parts.iter().map(|p| p.0).sum(), parts.into_iter().map(|p| p.1).collect())
}

fn score_person(c: &Candidate, r: &Rules) -> (f64, Vec<String>) {
    let parts = [
        part(
            "Hộ đã trực tiếp hướng dẫn",
            c.value("ho_duoc_huong_dan").unwrap_or(0.0),
            r.person_target_households,
            60.0,
            "hộ",
        ),
        part(
            "Buổi tuyên truyền đã thực hiện",
            c.value("luot_tuyen_truyen").unwrap_or(0.0),
            r.person_target_sessions,
            40.0,
            "buổi",
        ),
    ];
    (parts.iter().map(|p| p.0).sum(), parts.into_iter().map(|p| p.1).collect())
}

impl Plugin for ThiDuaCds {
    fn metadata() -> Metadata {
        Metadata {
            id: "binh-dinh-thi-dua-cds".into(),
            version: "1.0.0".into(),
            name: "Bình Định — Tiêu chí thi đua Tổ công nghệ số cộng đồng".into(),
            description: "Chấm điểm Tổ CNSCĐ và thành viên theo kết quả báo cáo; đề xuất Giấy khen của Chủ tịch \
                          UBND huyện cho các tổ, cá nhân dẫn đầu vượt ngưỡng và đề nghị Bằng khen của tỉnh cho \
                          trường hợp xuất sắc."
                .into(),
            kinds: vec![RuleKind::Commendation],
            indicators: ["ho_gia_dinh", "ho_duoc_huong_dan", "tk_vneid", "ho_so_dvc_truc_tuyen", "bao_cao_dung_han",
                "bao_cao_phai_nop", "luot_tuyen_truyen"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            params: vec![
                number_param("trong_so_huong_dan", "Trọng số: hộ được hướng dẫn (tổng 4 trọng số = 100)", 40.0),
                number_param("trong_so_tai_khoan", "Trọng số: tài khoản VNeID kích hoạt", 25.0),
                number_param("trong_so_ho_so", "Trọng số: hồ sơ dịch vụ công trực tuyến", 20.0),
                number_param("trong_so_dung_han", "Trọng số: báo cáo đúng hạn", 15.0),
                number_param("muc_tieu_huong_dan", "Mục tiêu: hộ được hướng dẫn trên 100 hộ", 60.0),
                number_param("muc_tieu_tai_khoan", "Mục tiêu: tài khoản VNeID trên 100 hộ", 50.0),
                number_param("muc_tieu_ho_so", "Mục tiêu: hồ sơ DVC trực tuyến trên 100 hộ", 20.0),
                number_param("nguong_giay_khen", "Điểm tối thiểu để đề xuất Giấy khen", 75.0),
                number_param("nguong_bang_khen", "Điểm tối thiểu để đề nghị Bằng khen", 95.0),
                integer_param("so_to_toi_da", "Số tổ được khen tối đa trong một đợt", 3),
                number_param("muc_tieu_ho_ca_nhan", "Mục tiêu cá nhân: số hộ trực tiếp hướng dẫn", 50.0),
                number_param("muc_tieu_buoi_ca_nhan", "Mục tiêu cá nhân: số buổi tuyên truyền", 6.0),
                integer_param("so_ca_nhan_toi_da", "Số cá nhân được khen tối đa trong một đợt", 5),
            ],
            report_form: None,
        }
    }

    fn assess(
        candidates: Vec<Candidate>,
        period: Period,
        params: Vec<Param>,
    ) -> Result<Vec<Assessment>, PluginError> {
        let period = period.id;
        let rules = Rules::read(&params)?;
        let mut out = Vec::new();
        for kind in [CandidateKind::Team, CandidateKind::Person] {
            let (limit, noun) = match kind {
                CandidateKind::Team => (rules.max_team_awards, "tổ"),
                CandidateKind::Person => (rules.max_person_awards, "cá nhân"),
            };
            let mut scored: Vec<(&Candidate, f64, Vec<String>)> = candidates
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| {
                    let (score, reasons) = match kind {
                        CandidateKind::Team => score_team(c, &rules),
                        CandidateKind::Person => score_person(c, &rules),
                    };
                    (c, score, reasons)
                })
                .collect();
            // Highest score first; equal scores keep the host's order (stable sort).
            scored.sort_by(|a, b| b.1.total_cmp(&a.1));
            for (rank, (c, score, mut reasons)) in scored.into_iter().enumerate() {
                let shown = decimal(score, 1);
                let award = if score < rules.merit {
                    reasons.push(format!(
                        "Không đề xuất: {shown} điểm, dưới ngưỡng Giấy khen {}.",
                        decimal(rules.merit, 0)
                    ));
                    None
                } else if rank >= limit {
                    reasons.push(format!(
                        "Không đề xuất: {shown} điểm đạt ngưỡng nhưng xếp thứ {}, đợt {period} chỉ khen tối đa {limit} {noun}.",
                        rank + 1
                    ));
                    None
                } else if score >= rules.exceptional {
                    reasons.push(format!(
                        "Xếp thứ {} với {shown} điểm, đạt ngưỡng xuất sắc {}: đề nghị Bằng khen.",
                        rank + 1,
                        decimal(rules.exceptional, 0)
                    ));
                    Some(BANG_KHEN.to_string())
                } else {
                    reasons.push(format!(
                        "Xếp thứ {} với {shown} điểm, đạt ngưỡng Giấy khen {}.",
                        rank + 1,
                        decimal(rules.merit, 0)
                    ));
                    Some(GIAY_KHEN.to_string())
                };
                out.push(Assessment {
                    candidate_id: c.id,
                    score: (score * 10.0).round() / 10.0,
                    award,
                    reasons,
                });
            }
        }
        Ok(out)
    }
}

register_plugin!(ThiDuaCds);

#[cfg(test)]
mod tests {
    use super::*;

    fn year_2022() -> Period {
        Period {
            id: "2022".into(),
            period_type: PeriodType::Year,
            start: Date::new(2022, 1, 1),
            end: Date::new(2022, 12, 31),
        }
    }

    fn params() -> Vec<Param> {
        ThiDuaCds::metadata()
            .params
            .into_iter()
            .map(|s| Param { name: s.name, value: s.default_value })
            .collect()
    }

    fn team(id: i64, values: &[(&str, f64)]) -> Candidate {
        Candidate {
            id,
            kind: CandidateKind::Team,
            name: format!("Tổ {id}"),
            unit_code: "21835".into(),
            values: values.iter().map(|(c, v)| IndicatorValue { code: c.to_string(), value: *v }).collect(),
        }
    }

    #[test]
    fn exceptional_teams_go_to_the_province_and_weak_ones_get_reasons() {
        let strong = team(
            1,
            &[
                ("ho_gia_dinh", 200.0),
                ("ho_duoc_huong_dan", 130.0),
                ("tk_vneid", 110.0),
                ("ho_so_dvc_truc_tuyen", 45.0),
                ("bao_cao_phai_nop", 3.0),
                ("bao_cao_dung_han", 3.0),
            ],
        );
        let weak = team(2, &[("ho_gia_dinh", 300.0), ("ho_duoc_huong_dan", 30.0)]);
        let out = ThiDuaCds::assess(vec![weak, strong], year_2022(), params()).unwrap();
        assert_eq!(out[0].candidate_id, 1);
        assert_eq!(out[0].score, 100.0);
        assert_eq!(out[0].award.as_deref(), Some(BANG_KHEN));
        assert_eq!(out[1].award, None);
        assert!(out[1].reasons.last().unwrap().contains("dưới ngưỡng Giấy khen 75"), "{:?}", out[1].reasons);
    }

    #[test]
    fn weights_must_add_up() {
        let mut p = params();
        p[0].value = ParamValue::Number(50.0);
        assert!(matches!(ThiDuaCds::assess(vec![], year_2022(), p), Err(PluginError::InvalidParams(_))));
    }
}
