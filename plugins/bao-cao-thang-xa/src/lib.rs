//! Báo cáo tháng của UBND cấp xã về hoạt động của Tổ công nghệ số cộng đồng, gửi Phòng Văn hóa
//! và Thông tin cấp huyện: một dòng cho mỗi thôn, tổ dân phố.
//!
//! No province publishes a national form for it (see the plugin README); the columns and the
//! signing office are parameters.

use sohoa_sdk::document::DocumentBuilder;
use sohoa_sdk::text::{decimal, in_sentence, number};
use sohoa_sdk::*;

pub struct BaoCaoThangXa;

const INDICATORS: &[(&str, &str)] = &[
    ("ho_duoc_huong_dan", "Hộ được hướng dẫn"),
    ("tk_vneid", "Tài khoản VNeID"),
    ("ho_so_dvc_truc_tuyen", "Hồ sơ DVC trực tuyến"),
    ("tk_thanh_toan", "Tài khoản thanh toán"),
    ("luot_tuyen_truyen", "Lượt tuyên truyền"),
];

fn text_param(name: &str, description: &str, default: &str) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        description: description.into(),
        default_value: ParamValue::Text(default.into()),
    }
}

impl Plugin for BaoCaoThangXa {
    fn metadata() -> Metadata {
        Metadata {
            id: "bao-cao-thang-xa".into(),
            version: "1.1.0".into(),
            name: "Báo cáo tháng của UBND xã về Tổ công nghệ số cộng đồng".into(),
            description: "UBND xã báo cáo Phòng Văn hóa và Thông tin huyện kết quả hoạt động hằng tháng \
                          của các Tổ CNSCĐ, theo từng thôn."
                .into(),
            kinds: vec![RuleKind::Report],
            indicators: INDICATORS.iter().map(|(code, _)| code.to_string()).collect(),
            params: vec![
                text_param("noi_nhan", "Cơ quan nhận báo cáo", "Phòng Văn hóa và Thông tin huyện"),
                text_param("ky_hieu", "Ký hiệu văn bản, sau \"Số: .../\"", "BC-UBND"),
                ParamSpec {
                    name: "ky_thay".into(),
                    description: "Phó Chủ tịch ký thay (KT. CHỦ TỊCH)".into(),
                    default_value: ParamValue::Flag(true),
                },
                text_param("nguoi_ky", "Họ và tên người ký", ""),
                ParamSpec {
                    name: "muc_tieu_ho_moi_to".into(),
                    description: "Số hộ mỗi tổ thôn cần hướng dẫn trong tháng (để nêu thôn chưa đạt)".into(),
                    default_value: ParamValue::Integer(20),
                },
            ],
            report_form: Some(report_form()),
        }
    }

    fn render_report(input: ReportInput, params: Vec<Param>) -> Result<Document, PluginError> {
        let p = Params(&params);
        let period = &input.period;
        if period.period_type != PeriodType::Month {
            return Err(PluginError::Failed(format!(
                "báo cáo tháng cần kỳ là một tháng (ví dụ 2022-07), không phải '{}'",
                period.id
            )));
        }
        let target = p.integer("muc_tieu_ho_moi_to")?;
        if target < 0 {
            return Err(PluginError::InvalidParams("muc_tieu_ho_moi_to không được âm".into()));
        }
        let commune = in_sentence(&input.unit_name);
        let issuer = format!("UBND {}", input.unit_name.to_uppercase());
        let subject = format!("Kết quả hoạt động của Tổ công nghệ số cộng đồng {}", period.vietnamese());
        let recipient = p.text("noi_nhan")?;
        let mut doc =
            DocumentBuilder::new(&issuer, &format!("Số:      /{}", p.text("ky_hieu")?), "BÁO CÁO", &subject)
                .paragraph(&format!("Kính gửi: {recipient}."))
                .paragraph(&format!(
                    "UBND {commune} báo cáo kết quả hoạt động của Tổ công nghệ số cộng đồng {} như sau:",
                    period.vietnamese()
                ));

        let teams: u32 = input.rows.iter().map(|r| r.team_count).sum();
        let members: u32 = input.rows.iter().map(|r| r.member_count).sum();
        let with_team = input.rows.iter().filter(|r| r.team_count > 0).count();
        doc = doc.heading("1. Tình hình tổ chức").paragraph(&format!(
            "Có {}/{} thôn, tổ dân phố đã có Tổ công nghệ số cộng đồng; tổng số {} tổ, {} thành viên.",
            with_team,
            input.rows.len(),
            number(teams.into()),
            number(members.into())
        ));

        let mut header = vec!["TT", "Thôn, tổ dân phố", "Số thành viên"];
        header.extend(INDICATORS.iter().map(|(_, label)| *label));
        let mut totals = [0f64; INDICATORS.len()];
        let mut rows = Vec::new();
        let mut behind = Vec::new();
        for (i, row) in input.rows.iter().enumerate() {
            let mut line = vec![(i + 1).to_string(), row.unit_name.clone(), number(row.member_count.into())];
            for (c, (code, _)) in INDICATORS.iter().enumerate() {
                match row.value(code) {
                    Some(v) => {
                        totals[c] += v;
                        line.push(decimal(v, 0));
                    }
                    None => line.push("-".into()),
                }
            }
            let guided = row.value("ho_duoc_huong_dan").unwrap_or(0.0);
            if row.team_count > 0 && guided < (target * row.team_count as i64) as f64 {
                behind.push(row.unit_name.as_str());
            }
            rows.push(line);
        }
        let mut total = vec![String::new(), "Cộng".into(), number(members.into())];
        total.extend(totals.iter().map(|t| decimal(*t, 0)));
        rows.push(total);
        doc = doc.heading("2. Kết quả thực hiện trong tháng").table(&header, rows);
        if !behind.is_empty() {
            doc = doc.paragraph(&format!(
                "Thôn, tổ dân phố chưa đạt {target} hộ được hướng dẫn mỗi tổ: {}.",
                behind.join(", ")
            ));
        }
        let (authority, title) = if p.flag("ky_thay")? {
            ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
        } else {
            ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
        };
        Ok(doc
            .heading("3. Nhiệm vụ tháng tới")
            .paragraph(
                "Tiếp tục hướng dẫn người dân cài đặt, kích hoạt tài khoản định danh điện tử, sử dụng dịch vụ công \
                 trực tuyến và thanh toán không dùng tiền mặt; các thôn chưa đạt chỉ tiêu tăng cường tuyên truyền.",
            )
            .recipients(&[&format!("{recipient} (b/c);"), "Lưu: VT."])
            .signature(authority, title, &p.text("nguoi_ky")?)
            .build())
    }
}

/// The form: each village's figures for a calendar month, due by the 5th of the next month.
/// No national form exists (see the README); a province changes these by shipping a version.
fn report_form() -> ReportForm {
    let units = ["hộ", "tài khoản", "hồ sơ", "tài khoản", "lượt"];
    let english = [
        "households guided",
        "VNeID accounts",
        "online public service files",
        "payment accounts",
        "outreach sessions",
    ];
    ReportForm {
        period_type: PeriodType::Month,
        level: UnitLevel::Village,
        cut_off: CutOff::Calendar,
        deadline_days: 5,
        indicators: INDICATORS
            .iter()
            .zip(units.iter().zip(english))
            .map(|((code, name), (unit, en))| {
                let indicator = Indicator::count(code, name, en, unit);
                if *code == "ho_duoc_huong_dan" { indicator.required() } else { indicator }
            })
            .collect(),
    }
}

register_plugin!(BaoCaoThangXa);

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Vec<Param> {
        BaoCaoThangXa::metadata()
            .params
            .into_iter()
            .map(|s| Param { name: s.name, value: s.default_value })
            .collect()
    }

    fn input(period: &str) -> ReportInput {
        let row = |name: &str, teams, members, guided: Option<f64>| UnitRow {
            unit_code: name.into(),
            unit_name: name.into(),
            team_count: teams,
            member_count: members,
            status: if guided.is_some() { SubmissionStatus::Entered } else { SubmissionStatus::Missing },
            submitted_on: None,
            values: guided
                .map(|v| IndicatorValue { code: "ho_duoc_huong_dan".into(), value: v })
                .into_iter()
                .collect(),
        };
        ReportInput {
            unit_code: "21835".into(),
            unit_name: "Xã Bình Tường".into(),
            period: Period::calendar(period).unwrap(),
            issuing_office: String::new(),
            place: "Bình Tường".into(),
            issued_on: Date::new(2022, 8, 2),
            rows: vec![row("Thôn Hòa Hiệp", 1, 5, Some(25.0)), row("Thôn Phú Lạc", 1, 4, Some(12.0))],
            totals: vec![],
            previous_totals: vec![],
        }
    }

    #[test]
    fn monthly_report_names_villages_behind_target() {
        let doc = BaoCaoThangXa::render_report(input("2022-07"), params()).unwrap();
        assert_eq!(doc.issuer, "UBND XÃ BÌNH TƯỜNG");
        assert!(doc.subject.ends_with("tháng 7 năm 2022"));
        let behind = doc
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Paragraph(t) if t.contains("mỗi tổ: Thôn Phú Lạc.")));
        assert!(behind);
    }

    #[test]
    fn a_quarter_is_refused() {
        assert!(matches!(
            BaoCaoThangXa::render_report(input("2022-Q3"), params()),
            Err(PluginError::Failed(_))
        ));
    }
}
